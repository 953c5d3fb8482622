"""English through Django i18n: the catalogue is complete, compiled, and the pages switch language.

The UI's source strings are Simplified Chinese (zh-hans, the default); locale/en/LC_MESSAGES holds
the English catalogue. See docs/i18n.md for how to update it.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from tests.conftest import unavailable
from tests.factories import PASSWORD, RegionFactory, UserFactory

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
PO_PATH = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.mo"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader: enough for the catalogues makemessages writes (no dependency needed)."""
    entries: list[Entry] = []
    entry = Entry()
    current: tuple[str, int | None] | None = None

    def flush():
        nonlocal entry, current
        if entry.msgid or entry.msgstr or entry.msgid_plural is not None:
            entries.append(entry)
        entry, current = Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(\".*\")$", line)
        if match:
            keyword, index, literal = match.group(1), match.group(2), ast.literal_eval(match.group(3))
            if keyword == "msgid" and not entry.line:
                entry.line = number
            current = (keyword, int(index) if index is not None else None)
        elif line.startswith('"') and current:
            literal = ast.literal_eval(line)
        else:
            raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
        keyword, index = current
        if keyword == "msgstr":
            key = index or 0
            entry.msgstr[key] = entry.msgstr.get(key, "") + literal if match is None else literal
        elif keyword == "msgid_plural":
            entry.msgid_plural = (entry.msgid_plural or "") + literal if match is None else literal
        elif keyword == "msgctxt":
            entry.msgctxt = (entry.msgctxt or "") + literal if match is None else literal
        else:
            entry.msgid = entry.msgid + literal if match is None else literal
    flush()
    return entries


def messages(path: Path = PO_PATH) -> list[Entry]:
    return [e for e in parse_po(path) if e.msgid and not e.obsolete]


def describe(entry: Entry) -> str:
    return f"line {entry.line}: {entry.msgid!r}"


# --- the catalogue --------------------------------------------------------------------------


def test_catalogue_has_entries():
    assert len(messages()) > 500


def test_catalogue_has_no_untranslated_entries():
    missing = [describe(e) for e in messages() if not e.msgstr or not all(e.msgstr.values())]
    assert not missing, "untranslated entries:\n" + "\n".join(missing)


def test_catalogue_has_no_fuzzy_entries():
    fuzzy = [describe(e) for e in parse_po(PO_PATH) if "fuzzy" in e.flags]
    assert not fuzzy, "fuzzy entries (ignored by gettext):\n" + "\n".join(fuzzy)


# English text may quote the Chinese words a roster spreadsheet must contain (headers and values).
QUOTED_CHINESE = {
    "支部编码",
    "支部名称",
    "支部名册",
    "示例",
    "机关",
    "企业",
    "事业",
    "农村",
    "社区",
    "其他",
    "市直",
    "县区",
}
QUOTED_CHINESE |= {"好", "中", "差", "强", "弱", "是", "否"}


def test_translations_are_english():
    chinese = []
    for entry in messages():
        words = set(re.findall(r"[\u4e00-\u9fff]+", " ".join(entry.msgstr.values())))
        if words - QUOTED_CHINESE:
            chinese.append(f"{describe(entry)} -> {sorted(words - QUOTED_CHINESE)}")
    assert not chinese, "English translations with Chinese in them:\n" + "\n".join(chinese)


def test_placeholders_survive_translation():
    broken = []
    for entry in messages():
        for index, text in entry.msgstr.items():
            source = entry.msgid_plural if index and entry.msgid_plural is not None else entry.msgid
            if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
                broken.append(describe(entry))
    assert not broken, "placeholders differ between msgid and msgstr:\n" + "\n".join(broken)


def test_plural_forms_header_is_english():
    header = next(e for e in parse_po(PO_PATH) if e.msgid == "").msgstr[0]
    assert "Language: en\n" in header
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header


def test_compiled_catalogue_matches_the_po_file():
    """django.mo is committed; it must be compiled from the current django.po."""
    with MO_PATH.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in messages():
        if entry.msgid_plural is not None:
            got = [compiled.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
            want = [entry.msgstr[0], entry.msgstr[1]]
        elif entry.msgctxt is not None:
            got, want = compiled.pgettext(entry.msgctxt, entry.msgid), entry.msgstr[0]
        else:
            got, want = compiled.gettext(entry.msgid), entry.msgstr[0]
        if got != want:
            stale.append(describe(entry))
    assert not stale, "django.mo is out of date (run `make messages`):\n" + "\n".join(stale[:20])


# What makemessages reads (its default extensions), and the folders it is told to leave out.
SOURCE_SUFFIXES = (".py", ".html", ".txt")
NOT_SOURCE = [".venv", "node_modules", "static", "staticfiles", "artifacts", "tests", ".test-media", "media"]


def copy_sources(root: Path, destination: Path) -> None:
    """The files makemessages would read under ``root``, copied to ``destination``.

    makemessages writes into the ``locale`` folder of the tree it walks (whatever LOCALE_PATHS
    says) and leaves temporary ``.html.py`` files beside the templates, so it runs on a copy: the
    repository's catalogue and source tree are never touched.
    """
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [
            name for name in subfolders if name not in (*NOT_SOURCE, "locale") and not name.startswith((".", "__"))
        ]
        for name in names:
            if name.endswith(SOURCE_SUFFIXES):
                source = Path(folder) / name
                target = destination / source.relative_to(root)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)


@pytest.fixture(scope="module")
def fresh_catalogue(tmp_path_factory) -> Path:
    """``make messages`` run over a copy of the source, starting from the committed catalogue: the
    catalogue it would write."""
    if not shutil.which("xgettext") or not shutil.which("msgmerge"):
        unavailable("GNU gettext not installed (apt-get install gettext)")
    tree = tmp_path_factory.mktemp("src")
    copy_sources(Path(settings.BASE_DIR), tree)
    target = tree / "locale" / "en" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(PO_PATH, target / "django.po")
    cwd = os.getcwd()
    try:
        os.chdir(tree)
        with override_settings(LOCALE_PATHS=[tree / "locale"]):
            call_command("makemessages", locale=["en"], ignore_patterns=NOT_SOURCE, no_obsolete=True, verbosity=0)
    finally:
        os.chdir(cwd)
    return target / "django.po"


def test_catalogue_covers_every_string_in_the_source(fresh_catalogue):
    """makemessages over (a copy of) the source finds nothing the committed catalogue lacks."""
    committed = {(e.msgctxt, e.msgid) for e in messages()}
    fresh = messages(fresh_catalogue)
    new = [describe(e) for e in fresh if (e.msgctxt, e.msgid) not in committed]
    untranslated = [describe(e) for e in fresh if not all(e.msgstr.values()) or "fuzzy" in e.flags]
    assert not new and not untranslated, (
        "strings in the source without an English translation (run `make messages` and translate):\n"
        + "\n".join(new or untranslated)
    )


def jinja2_template_strings() -> dict[tuple[str | None, str], str]:
    """Every string the Jinja2 templates pass to gettext, as Jinja2's own parser finds them:
    {(context, msgid): where}."""
    from twinning.jinja2 import environment

    env = environment()
    found = {}
    for folder in (e["DIRS"][0] for e in settings.TEMPLATES if e["BACKEND"] == "twinning.jinja2.Jinja2"):
        for path in sorted(Path(folder).rglob("*.html")):
            for line, function, message in env.extract_translations(path.read_text(encoding="utf-8")):
                strings = message if isinstance(message, tuple) else (message,)
                context, msgid = (
                    (strings[0], strings[1]) if function in ("pgettext", "npgettext") else (None, strings[0])
                )
                if isinstance(msgid, str):
                    found[(context, msgid)] = f"{path.relative_to(settings.BASE_DIR)}:{line}"
    return found


def test_make_messages_keeps_every_string_the_jinja2_templates_use(fresh_catalogue):
    """Django's extraction read Jinja2 templates as Django ones and dropped strings inside expressions
    (``yesno(_("是,否"))``, ``… or _("管理员")``): the English pages then showed Chinese."""
    kept = {(e.msgctxt, e.msgid) for e in messages(fresh_catalogue)}
    dropped = [
        f"{where}: {msgid!r}"
        for (context, msgid), where in jinja2_template_strings().items()
        if (context, msgid) not in kept
    ]
    assert not dropped, "`make messages` would drop strings the Jinja2 templates use:\n" + "\n".join(dropped)


# --- the pages ------------------------------------------------------------------------------


def test_choices_and_form_help_follow_the_active_language():
    from activities.forms import ThemeDayForm
    from pairing.choices import Role

    with translation.override("en"):
        assert Role.STAFF.label == "Organisation Dept. staff"
        # Built at import time, so it must stay lazy to follow the language of each request.
        assert str(ThemeDayForm.base_fields["photos"].help_text).startswith("Take photos")
    with translation.override("zh-hans"):
        assert Role.STAFF.label == "组织部工作人员"
        assert str(ThemeDayForm.base_fields["photos"].help_text).startswith("可直接拍照")


@pytest.mark.django_db
def test_login_page_is_chinese_by_default(client):
    content = client.get(reverse("login")).content.decode()
    assert "登录" in content
    assert "Log in" not in content


@pytest.mark.django_db
def test_login_page_in_english_with_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("login"))
    content = response.content.decode()
    assert response.status_code == 200
    assert 'lang="en"' in content
    assert "Log in" in content
    assert "Branch Twinning Portal" in content
    assert "登录" not in content


@pytest.mark.django_db
def test_login_page_in_english_with_accept_language(client):
    content = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert "Log in" in content


@pytest.mark.django_db
def test_the_footer_switch_sets_english_for_a_staff_home_page(client):
    city = RegionFactory(city=True, name="信阳市")
    staff = UserFactory.staff(region=city)
    assert client.login(username=staff.username, password=PASSWORD)

    chinese = client.get(reverse("home")).content.decode()
    assert "退出" in chinese
    assert "信阳市 · 工作概览" in chinese

    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    english = client.get(reverse("home")).content.decode()
    for label in ("Log out", "信阳市 · Overview", "Branch registry", "Organisation Dept. staff", "Home"):
        assert label in english, label
    for label in ("退出", "工作概览", "支部名册", "首页"):
        assert label not in english, label

    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("home")})
    assert "退出" in client.get(reverse("home")).content.decode()


# --- no Chinese left on English pages -------------------------------------------------------

# Chinese that English pages may show: the footer's language switch names Chinese in Chinese, and
# help text quotes the words a roster spreadsheet must contain.
ALLOWED_ON_ENGLISH_PAGES = {"简体中文"} | QUOTED_CHINESE
CJK_RUN = re.compile(
    r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]*[\u4e00-\u9fff][\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]*"
)


@pytest.fixture
def ascii_world():
    """Data with English names, so any Chinese on an English page comes from the UI itself."""
    from tests.factories import (
        BranchFactory,
        GradeFactory,
        PairingCampaignFactory,
        PairingFactory,
        PartnerBranchFactory,
    )

    city = RegionFactory(city=True, name="Xinyang")
    county = RegionFactory(parent=city, name="Shangcheng")
    township = RegionFactory(parent=county, name="Fengdian")
    village = RegionFactory(parent=township, name="Yuying")
    helper = BranchFactory(county=county, name="County office branch", secretary_name="Gao")
    partner = PartnerBranchFactory(
        county=county, township=township, region=village, name="Yuying village branch", secretary_name="Xu"
    )
    campaign = PairingCampaignFactory(city=city, name="Twinning 2022")
    pairing = PairingFactory(helper=helper, partner=partner, campaign=campaign)
    GradeFactory(branch=helper)
    return {"city": city, "county": county, "helper": helper, "partner": partner, "pairing": pairing}


def chinese_on_english_page(client, path: str) -> set[str]:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    html = response.content.decode()
    assert '<html lang="en">' in html, path
    return set(CJK_RUN.findall(html)) - ALLOWED_ON_ENGLISH_PAGES


STAFF_PAGES = [
    ("home", {}),
    ("pairing:branch_list", {}),
    ("pairing:branch_create", {}),
    ("pairing:pairing_list", {}),
    ("pairing:pairing_create", {}),
    ("pairing:coverage", {}),
    ("pairing:draw_list", {}),
    ("pairing:draw_create", {}),
    ("pairing:roster_upload", {}),
    ("activities:index", {}),
    ("activities:compliance", {}),
    ("activities:task_list_index", {}),
    ("activities:task_list_create", {}),
    ("activities:joint_activity_list", {}),
    ("volunteers:community_list", {}),
    ("volunteers:demand_list", {}),
    ("reports:dashboard", {}),
    ("reports:audit", {}),
    ("reports:assessment", {}),
    ("reports:thresholds", {}),
    ("reports:assessment_weights", {}),
    ("notice_list", {}),
]


@pytest.mark.django_db
def test_staff_pages_in_english_have_no_chinese_ui_text(client, ascii_world):
    staff = UserFactory.staff(region=ascii_world["city"], display_name="Li")
    assert client.login(username=staff.username, password=PASSWORD)
    paths = [reverse(name, kwargs=kwargs) for name, kwargs in STAFF_PAGES]
    paths += [
        reverse("pairing:branch_detail", args=[ascii_world["helper"].pk]),
        reverse("pairing:pairing_detail", args=[ascii_world["pairing"].pk]),
    ]
    found = {path: runs for path in paths if (runs := chinese_on_english_page(client, path))}
    assert not found, f"Chinese UI text on English pages: {found}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["secretary", "community_secretary", "member"])
def test_branch_roles_pages_in_english_have_no_chinese_ui_text(client, ascii_world, role):
    if role == "community_secretary":
        from tests.factories import PartnerBranchFactory

        community = PartnerBranchFactory(
            county=ascii_world["county"],
            kind="community",
            name="Xiguan community branch",
            secretary_name="Cheng",
            township=ascii_world["partner"].township,
            region=RegionFactory(parent=ascii_world["partner"].township, name="Xiguan", level="community"),
        )
        user = UserFactory.community_secretary(branch=community, display_name="Cheng")
    elif role == "member":
        user = UserFactory.member(branch=ascii_world["helper"], display_name="Zhou")
    else:
        user = UserFactory.secretary(branch=ascii_world["helper"], display_name="Gao")
    assert client.login(username=user.username, password=PASSWORD)
    paths = [reverse("home"), reverse("activities:index"), reverse("volunteers:demand_list")]
    paths.append(reverse("volunteers:my_record") if role == "member" else reverse("pairing:my_pairing"))
    found = {path: runs for path in paths if (runs := chinese_on_english_page(client, path))}
    assert not found, f"Chinese UI text on English pages: {found}"


@pytest.mark.django_db
def test_english_branch_page_says_yes_or_no(client, ascii_world):
    """The optimised flag is drawn by ``yesno(_("是,否"))``: with the translation missing it read 是/否."""
    staff = UserFactory.staff(region=ascii_world["city"], display_name="Li")
    assert client.login(username=staff.username, password=PASSWORD)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("pairing:branch_detail", args=[ascii_world["helper"].pk])).content.decode()
    optimised = re.search(r"Optimised in this campaign</dt><dd[^>]*>([^<]*)</dd>", html)
    assert optimised and optimised.group(1) in ("Yes", "No"), optimised and optimised.group(1)
