from django import template

register = template.Library()


@register.filter
def hours(minutes) -> str:
    """Minutes as hours with one decimal: 90 → "1.5"."""
    try:
        return f"{int(minutes or 0) / 60:.1f}"
    except (TypeError, ValueError):
        return ""
