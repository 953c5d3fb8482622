"""Jinja2, the one template engine for the project's pages (templates/jinja2/).

Chosen by measured render cost: Django's template engine spent about 10 ms drawing a 50-row table
and 2 ms on the layout; Jinja2 compiles templates to Python and draws the same in a fifth of that
(docs/performance.md). Every page extends the one layout, ``layout.html``, which draws the main menu
(``includes/main_menu.html``) from memoised entries (``accounts.selectors.menu_entries``). Forms are drawn
by crispy-forms through ``crispy(form)``. Django's engine stays configured only for libraries' own
templates (the admin, crispy-forms' templates, DRF and drf-spectacular, form widgets).

Templates are found under the names views render (``render(request, "pairing/coverage.html")``).
What they get, beyond the context processors' values:

- ``_("…")`` (Django's gettext; the project's ``makemessages`` reads these files with Jinja2's parser),
  ``ngettext``, ``pgettext``, ``get_language()``, ``available_languages()``. ``_()`` does not format:
  a Django ``{% blocktranslate with name=x %}…{{ name }}…`` keeps its msgid as
  ``_("…%(name)s…") % {"name": x}``;
- ``main_menu(user)``: the main menu's entries (``url``, ``label``) for ``user``;
- ``url(name, *args, **kwargs)``, ``static(path)``, ``static_prefix()`` (``STATIC_URL``, for
  500.html, which must not need the static manifest);
- ``crispy(form)``: the whole form as ``{% crispy form %}`` draws it, with the page's CSRF token;
  inside a ``<form>`` the page writes itself, crispy's own filters ``form|crispy`` and
  ``field|as_crispy_field``;
- ``minutes|hours``: minutes as hours with one decimal (90 → "1.5");
- Django's filters ``date``, ``time``, ``floatformat``, ``linebreaksbr``, ``truncatechars``,
  ``yesno``, ``filesizeformat``, ``localize``, ``intcomma``, ``json_script`` and
  ``language_name_local``.

Under the test client the backend sends ``template_rendered`` as Django's engine does, so tests read
``response.context`` and ``response.templates`` as for Django templates.
"""

from __future__ import annotations

import functools

import jinja2
from crispy_forms.templatetags import crispy_forms_filters
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template import defaultfilters
from django.template.backends import jinja2 as django_jinja2
from django.template.backends.utils import csrf_input_lazy, csrf_token_lazy
from django.templatetags.static import PrefixNode, static
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


@jinja2.pass_context
def crispy(context, form, helper=None) -> str:
    """A form drawn by crispy-forms' Bootstrap 5 templates, as ``{% crispy form %}`` draws it (with the
    page's CSRF token, which crispy's ``<form>`` carries)."""
    from crispy_forms.utils import render_crispy_form

    drawn = render_crispy_form(form, helper, context={"csrf_token": context.get("csrf_token")})
    return mark_safe(drawn)  # noqa: S308 (crispy escapes its fields)


def hours(minutes) -> str:
    """Minutes as hours with one decimal: 90 → "1.5"."""
    try:
        return f"{int(minutes or 0) / 60:.1f}"
    except (TypeError, ValueError):
        return ""


def static_prefix() -> str:
    """``STATIC_URL``, as ``{% get_static_prefix %}`` gives it: for 500.html, which must not need the manifest."""
    return PrefixNode.handle_simple("STATIC_URL")


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
    # crispy-forms' own filters, for a form's fields inside a <form> the page writes (crispy() draws the whole form)
    "crispy": crispy_forms_filters.as_crispy_form,
    "as_crispy_field": crispy_forms_filters.as_crispy_field,
    "hours": hours,
}


def environment(**options) -> jinja2.Environment:
    options.setdefault("extensions", []).append("jinja2.ext.i18n")
    # Undefined values (and their attributes) draw as nothing in every mode, as in Django templates (Django's backend would
    # print them in DEBUG, and the pages would differ between the tests and production).
    options["undefined"] = jinja2.ChainableUndefined
    options.setdefault("trim_blocks", True)
    options.setdefault("lstrip_blocks", True)
    from accounts.selectors import menu_entries  # the engine is built once the apps are loaded

    env = jinja2.Environment(**options)
    env.install_gettext_translations(translation, newstyle=False)
    env.globals.update(
        url=url,
        static=static_url,
        static_prefix=static_prefix,
        crispy=crispy,
        main_menu=lambda user: menu_entries(user=user),
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
