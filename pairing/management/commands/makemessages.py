"""makemessages that reads the Jinja2 templates with Jinja2's own parser.

Django's makemessages reads every ``.html`` file as a Django template: in ``templates/jinja2/`` it
finds ``{{ _("…") }}`` but not a string inside an expression (``x|yesno(_("是,否"))``,
``a or _("管理员")``, a macro's argument), and those translations were dropped from the catalogue
while the pages still used them. Here each Jinja2 template is handed to xgettext as the gettext
calls Jinja2 itself finds in it, on the template's own line numbers; every other file goes through
Django's command unchanged. Project-wide: it lives in ``pairing`` because ``twinning`` is not an
installed app (a management command must be in one).
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.core.management.commands import makemessages

from twinning.jinja2 import environment as jinja2_environment

JINJA2_BACKEND = "twinning.jinja2.Jinja2"


def jinja2_template_dirs() -> list[Path]:
    """The Jinja2 engine's template folders, relative to the project (makemessages walks from there)."""
    return [
        Path(folder).resolve().relative_to(Path(settings.BASE_DIR).resolve())
        for engine in settings.TEMPLATES
        if engine["BACKEND"] == JINJA2_BACKEND
        for folder in engine.get("DIRS", [])
    ]


def jinja2_gettext_calls(source: str) -> str:
    """Python source with one gettext call per string Jinja2 finds in ``source``, each on the line
    of the template it comes from (so that the catalogue's ``#:`` references point at the template).
    """
    lines: dict[int, list[str]] = {}
    for lineno, function, message in jinja2_environment().extract_translations(source):
        arguments = [repr(m) for m in (message if isinstance(message, tuple) else (message,)) if isinstance(m, str)]
        if not arguments:
            continue  # a call with no literal string: nothing to translate
        if function in ("ngettext", "npgettext"):
            arguments.append("n")  # the count, after the forms
        call = f"{'gettext' if function == '_' else function}({', '.join(arguments)})"
        lines.setdefault(lineno, []).append(call)
    last = max(lines, default=0)
    return "\n".join("; ".join(lines.get(number, [])) for number in range(1, last + 1)) + "\n"


class BuildFile(makemessages.BuildFile):
    @cached_property
    def is_jinja2(self) -> bool:
        path = Path(os.path.normpath(self.path))
        return self.domain == "django" and any(path.is_relative_to(folder) for folder in jinja2_template_dirs())

    def preprocess(self):
        if not self.is_jinja2:
            return super().preprocess()
        with open(self.path, encoding="utf-8") as handle:
            source = handle.read()
        with open(self.work_path, "w", encoding="utf-8") as handle:
            handle.write(jinja2_gettext_calls(source))
        return None


class Command(makemessages.Command):
    build_file_class = BuildFile
