"""Jinja2, the one engine for the pages (twinning/jinja2.py): one layout for every page,
translations, the test client's view of Jinja2 pages, and what the environment offers."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation

from tests.factories import PASSWORD, PairingFactory, UserFactory

pytestmark = pytest.mark.django_db
JINJA = engines["jinja2"]


def _skeleton(html: str) -> str:
    """The layout around a page: the navbar, the footer and the assets, without the page's content."""
    html = re.sub(r"<main.*</main>", "<main/>", html, flags=re.S)
    html = re.sub(r"<title>.*</title>", "", html, flags=re.S)
    html = re.sub(r'name="next" type="hidden" value="[^"]*"', "next", html)  # the page's own address
    return re.sub(r'value="[^"]{40,}"', 'value="csrf"', html).strip()


@pytest.fixture
def secretary(client):
    pairing = PairingFactory()
    user = UserFactory.secretary(branch=pairing.helper)
    client.login(username=user.username, password=PASSWORD)
    return user


def test_every_page_template_is_jinja2():
    """One engine for pages: outside templates/jinja2/ only a library's template may be extended
    (drf-spectacular's Swagger page, a Django template)."""
    root = Path(settings.BASE_DIR) / "templates"
    django_pages = {str(p.relative_to(root)) for p in root.rglob("*.html") if "jinja2" not in p.relative_to(root).parts}
    assert django_pages == {"api/swagger_ui.html"}


def test_pages_of_two_apps_share_one_layout(client, secretary):
    pairing_page = client.get(reverse("pairing:my_pairing"))
    volunteers_page = client.get(reverse("volunteers:demand_list"))
    assert [t.name for t in pairing_page.templates][:1] == ["pairing/my_pairing.html"]
    assert [t.name for t in volunteers_page.templates][:1] == ["volunteers/demand_list.html"]
    assert _skeleton(pairing_page.content.decode()) == _skeleton(volunteers_page.content.decode())
    for page in (pairing_page, volunteers_page):
        html = _skeleton(page.content.decode())
        assert html.count('name="csrfmiddlewaretoken"') == 2  # logout and the language switch
        assert secretary.label in html and 'data-testid="current-user"' in html
        assert html.endswith("</html>")


def test_a_pages_blocks_fill_the_layout(client, secretary):
    html = client.get(reverse("notice_list")).content.decode()
    title = re.search(r"<title>(.*?)</title>", html, flags=re.S).group(1)
    assert "通知" in title
    assert title.endswith("支部联支部工作平台")


def test_jinja2_pages_are_translated(client, secretary):
    client.cookies["django_language"] = "en"
    html = client.get(reverse("pairing:my_pairing")).content.decode()
    assert "My pairing" in html or "my pairing" in html.lower()
    assert "我的结对" not in html


def test_the_test_client_sees_the_context_of_jinja2_pages(client, secretary):
    response = client.get(reverse("pairing:my_pairing"))
    assert len(response.context["rows"]) == 1


def test_undefined_values_draw_as_nothing():
    assert JINJA.from_string("[{{ missing }}|{{ missing.attr.deeper }}|{{ missing.title }}]").render({}) == "[||]"


def test_the_environment_offers_djangos_helpers():
    template = JINJA.from_string("{{ url('pairing:my_pairing') }} {{ static('css/app.css') }} {{ d|date('Y-m-d') }}")
    assert template.render({"d": datetime.date(2026, 11, 22)}) == (
        f"{reverse('pairing:my_pairing')} {static('css/app.css')} 2026-11-22"
    )
    with translation.override("en"):
        assert JINJA.from_string("{{ _('我的结对') }}").render({}) != "我的结对"


def test_values_are_escaped():
    assert JINJA.from_string("{{ v }}").render({"v": "<b>&"}) == "&lt;b&gt;&amp;"


def test_dates_are_drawn_in_the_local_time_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    moment = datetime.datetime(2026, 11, 21, 20, 30, tzinfo=datetime.UTC)
    assert JINJA.from_string("{{ t|date('Y-m-d H:i') }} {{ t|time('H:i') }}").render({"t": moment}) == (
        "2026-11-22 04:30 04:30"
    )


def test_the_test_client_sees_what_the_context_processors_add(client, secretary):
    response = client.get(reverse("pairing:my_pairing"))
    assert response.context["unread_notice_count"] == 0 and response.context["user"] == secretary
