"""Template helpers of the activities pages."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from ..choices import ComplianceCell

register = template.Library()

_SYMBOLS = {ComplianceCell.GREEN: "✓", ComplianceCell.AMBER: "…", ComplianceCell.RED: "✗", ComplianceCell.NONE: "·"}
_CELLS = {
    cell: format_html('<td class="cell c-{0}" data-cell="{0}">{1}</td>', cell, _SYMBOLS[cell]) for cell in _SYMBOLS
}


@register.simple_tag
def compliance_cells(row):
    """The month cells of a compliance row. A page has 1,200 of them: as template tags they were
    half the page's time, so each kind of cell is rendered once and reused."""
    return mark_safe("".join(_CELLS[cell] for cell in row.cells))  # noqa: S308 - built by format_html above
