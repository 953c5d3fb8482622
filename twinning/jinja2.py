"""Jinja2 for the pages drawn on every visit: the layout and the lists and pages of the month-end rush.

Django's template engine spends about 10 ms drawing a 50-row table and 2 ms on the layout; Jinja2
compiles templates to Python and draws the same in a fifth of that (docs/performance.md). Every page
template is Jinja2; Django's engine draws only the libraries' own templates (the admin, DRF, and
crispy-forms' field templates, reached through ``crispy(form)`` and the ``crispy_*`` filters).

Jinja2 templates live in ``templates/jinja2/`` and are found under the same names as Django's
(``render(request, "pairing/branch_list.html")``): the Django engine is asked first, so a page moves
to Jinja2 by moving its template. What the templates get, beyond the context processors' values:

- ``_("…")`` (Django's gettext; the project's ``makemessages`` reads these files with Jinja2's parser),
  ``ngettext``, ``pgettext``, ``get_language()``, ``available_languages()``;
- ``url(name, *args, **kwargs)``, ``static(path)``, ``main_menu(user)``, ``crispy(form)`` (as
  ``{% crispy form %}``: the form's own FormHelper layout);
- ``form|crispy_fields`` (crispy's ``|crispy``: the fields without a FormHelper) and
  ``field|crispy_field`` (crispy's ``|as_crispy_field``), for forms and formsets laid out by the page;
- ``minutes|hours``: minutes as hours with one decimal (90 → "1.5");
- Django's filters ``date``, ``time``, ``floatformat``, ``linebreaksbr``, ``truncatechars``,
  ``yesno``, ``filesizeformat``, ``localize``, ``intcomma`` and ``language_name_local``.

Under the test client the backend sends ``template_rendered`` as Django's engine does, so tests read
``response.context`` and ``response.templates`` the same for both engines.
"""

from __future__ import annotations

import functools

import jinja2
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template import defaultfilters
from django.template.backends import jinja2 as django_jinja2
from django.template.backends.utils import csrf_input_lazy, csrf_token_lazy
from django.templatetags.static import static
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.html import json_script
from django.utils.safestring import mark_safe


@functools.lru_cache(maxsize=512)
def static_url(path: str) -> str:
    """A static file's URL, looked up in the manifest once per process (the manifest does not change
    while the process runs; every page asks for the same six files)."""
    return static(path)


def url(name: str, *args, **kwargs) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def available_languages() -> list[tuple[str, str]]:
    return [(code, translation.gettext(name)) for code, name in settings.LANGUAGES]


def language_name_local(code: str) -> str:
    return translation.get_language_info(code)["name_local"]


def main_menu(user) -> str:
    from accounts.templatetags.menus import cached_menu

    return mark_safe(cached_menu(user=user))  # noqa: S308 (our template, memoised)


@jinja2.pass_context
def crispy(context, form, helper=None) -> str:
    """A form drawn by crispy-forms' Bootstrap 5 templates, as ``{% crispy form %}`` draws it: with the
    page's CSRF token, which crispy writes into a POST form (the ``<form>`` tag its helper may draw)."""
    from crispy_forms.utils import render_crispy_form

    html = render_crispy_form(form, helper, context={"csrf_token": context.get("csrf_token")})
    return mark_safe(html)  # noqa: S308 (crispy escapes its fields)


def hours(minutes) -> str:
    """Minutes as hours with one decimal: 90 → "1.5"."""
    try:
        return f"{int(minutes or 0) / 60:.1f}"
    except (TypeError, ValueError):
        return ""


def date(value, arg=None) -> str:
    """Django's ``date`` filter on the value in the current time zone, as Django's templates pass it."""
    return defaultfilters.date(timezone.template_localtime(value), arg)


def time(value, arg=None) -> str:
    return defaultfilters.time(timezone.template_localtime(value), arg)


def linebreaksbr(value) -> str:
    return defaultfilters.linebreaksbr(value, autoescape=True)


FILTERS = {
    "date": date,
    "time": time,
    "floatformat": defaultfilters.floatformat,
    "linebreaksbr": linebreaksbr,
    "truncatechars": defaultfilters.truncatechars,
    "yesno": defaultfilters.yesno,
    "filesizeformat": defaultfilters.filesizeformat,
    "localize": formats.localize,
    "intcomma": intcomma,
    "language_name_local": language_name_local,
    "json_script": json_script,
    "crispy_fields": as_crispy_form,
    "crispy_field": as_crispy_field,
    "hours": hours,
}


def environment(**options) -> jinja2.Environment:
    options.setdefault("extensions", []).append("jinja2.ext.i18n")
    # Undefined values (and their attributes) draw as nothing in every mode, as in Django templates (Django's backend would
    # print them in DEBUG, and the pages would differ between the tests and production).
    options["undefined"] = jinja2.ChainableUndefined
    options.setdefault("trim_blocks", True)
    options.setdefault("lstrip_blocks", True)
    env = jinja2.Environment(**options)
    env.install_gettext_translations(translation, newstyle=False)
    env.globals.update(
        url=url,
        static=static_url,
        main_menu=main_menu,
        crispy=crispy,
        get_language=translation.get_language,
        available_languages=available_languages,
        pgettext=translation.pgettext,
    )
    env.filters.update(FILTERS)
    return env


class Jinja2(django_jinja2.Jinja2):
    """Django's Jinja2 backend whose templates report their rendering to the test client."""

    def from_string(self, template_code):
        return Template(self.env.from_string(template_code), self)

    def get_template(self, template_name):
        template = super().get_template(template_name)
        return Template(template.template, self)


class Template(django_jinja2.Template):
    def render(self, context=None, request=None):
        if not template_rendered.receivers:  # only the test client listens
            return super().render(context, request)
        # As Django's backend does, then tell the test client, which keeps the whole context.
        context = {} if context is None else context
        if request is not None:
            context["request"] = request
            context["csrf_input"] = csrf_input_lazy(request)
            context["csrf_token"] = csrf_token_lazy(request)
            for context_processor in self.backend.template_context_processors:
                context.update(context_processor(request))
        template_rendered.send(sender=self, template=self, context=context)
        return super().render(context)

    @property
    def name(self) -> str:
        return self.template.name
