"""Template helpers of the pairing pages."""

from django import template

from .. import selectors_pairing

register = template.Library()


@register.simple_tag(takes_context=True)
def branch_pairings(context, branch):
    """The branch's pairings the current user may see (current first, then history)."""
    return list(selectors_pairing.branch_pairings(user=context["request"].user, branch=branch)[:50])
