"""The branch list table (django-tables2): sortable columns, masked phones."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import scope
from .choices import Grade

GRADE_BADGE = {Grade.GOOD: "success", Grade.MEDIUM: "warning", Grade.WEAK: "danger"}
# Columns a phone screen can do without; the name, grade and secretary stay visible.
WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}
NUMERIC_WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell text-end"}}


class BranchTable(tables.Table):
    select = tables.CheckBoxColumn(accessor="pk", attrs={"th__input": {"data-select-all": "branches"}})
    code = tables.Column(verbose_name=_("支部编码"), linkify=True, attrs=WIDE_ONLY)
    name = tables.Column(verbose_name=_("支部名称"), linkify=True)
    kind = tables.Column(verbose_name=_("类型"), attrs=WIDE_ONLY)
    level = tables.Column(verbose_name=_("层级"), attrs=WIDE_ONLY)
    county = tables.Column(verbose_name=_("县区"), order_by=("county__path",), default="—", attrs=WIDE_ONLY)
    township = tables.Column(verbose_name=_("乡镇街道"), order_by=("township__path",), default="—", attrs=WIDE_ONLY)
    secretary_name = tables.Column(verbose_name=_("书记"))
    secretary_phone = tables.Column(verbose_name=_("联系电话"), orderable=False, attrs=WIDE_ONLY)
    member_count = tables.Column(verbose_name=_("党员数"), attrs=NUMERIC_WIDE_ONLY)
    current_grade = tables.Column(verbose_name=_("等次"), default="—")
    is_optimised = tables.BooleanColumn(verbose_name=_("已优化"), yesno="✔,—")

    class Meta:
        attrs = {"class": "table table-sm table-hover align-middle", "id": "branch-table"}
        order_by = ("code",)
        empty_text = _("没有符合条件的支部。")

    def __init__(self, *args, user, selectable: bool, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if not selectable:
            self.columns.hide("select")

    def render_select(self, value):
        return format_html('<input type="checkbox" name="branches" value="{}" form="grade-form">', value)

    def render_secretary_phone(self, value):
        return scope.phone_for(self.user, value)

    def render_current_grade(self, value):
        return format_html(
            '<span class="badge text-bg-{}">{}</span>', GRADE_BADGE.get(value, "secondary"), Grade(value).label
        )
