"""The main menu, rendered once per kind of user and language and kept in process memory (``@memoized``).

Every page draws it, and its four app menus with their URL reversals and translations were about
1.5 ms of each request. The menus read only ``can`` (accounts.perms.Can) and the attributes in
``_menu_key`` (see the ``_nav.html`` templates); a menu that starts reading another must add it to the key (tests/accounts/test_menus.py
compares the kept menu with a fresh rendering for every role).
"""

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from twinning.memo import memoized

from ..perms import Can

register = template.Library()


def _menu_key(user) -> tuple:
    return (
        bool(getattr(user, "is_authenticated", False)),
        Can.of(user).key,
        bool(getattr(user, "branch_id", None)),
        get_language(),
        get_script_prefix(),
    )


def render_menu(user) -> str:
    return render_to_string("includes/main_menu.html", {"user": user, "can": Can.of(user)})


# No stamp: the menu moves with the code and the translations, which a deploy restarts.
@memoized(key=lambda *, user: _menu_key(user), size=64, ttl=3600)
def cached_menu(*, user) -> str:
    return render_menu(user)


@register.simple_tag(takes_context=True)
def main_menu(context):
    return mark_safe(cached_menu(user=context.get("user")))  # noqa: S308 (our template)
