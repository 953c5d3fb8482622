"""Template helpers of the list pages (branch list, pairing list)."""

from django import template

register = template.Library()


@register.filter
def choice_list(bound_field) -> list:
    """A field's choices as a list: one query for a model choice field, where ``{% for %}`` over
    the field's iterator would first ask its length with a COUNT."""
    return list(iter(bound_field.field.choices))
