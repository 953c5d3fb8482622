"""Filters of the branch list (django-filter). Choices come from the user's scope."""

from collections.abc import Callable, Hashable, Mapping
from typing import NamedTuple

import django_filters
from django import forms
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from markupsafe import escape

from twinning.memo import ProcessMemo
from twinning.params import id_or_none

from .choices import BranchKind, Grade, RegionLevel, UnitLevel
from .models import Branch, Region
from .selectors import registry as registry_selectors


class BranchFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="search")
    county = django_filters.ModelChoiceFilter(label=_("县区"), queryset=Region.objects.none())
    township = django_filters.ModelChoiceFilter(label=_("乡镇街道"), queryset=Region.objects.none())
    kind = django_filters.ChoiceFilter(label=_("支部类型"), choices=BranchKind.choices)
    level = django_filters.ChoiceFilter(label=_("层级"), choices=UnitLevel.choices)
    grade = django_filters.ChoiceFilter(
        label=_("等次"), choices=[*Grade.choices, ("none", _("未评定"))], method="filter_grade"
    )
    optimised = django_filters.ChoiceFilter(
        label=_("已优化"), choices=[("yes", _("是")), ("no", _("否"))], method="filter_optimised"
    )

    class Meta:
        model = Branch
        fields = ["q", "county", "township", "kind", "level", "grade", "optimised"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        county = self.data.get("county") if self.data else None
        county = id_or_none(county)
        # The fields validate one region by id, for which the level says all; the options (many
        # rows) are read down the tree as the selectors read them (``region_choices``).
        regions = registry_selectors.regions_visible(user=user)
        townships = regions.filter(level=RegionLevel.TOWNSHIP)
        self.filters["county"].queryset = regions.filter(level=RegionLevel.COUNTY)
        self.filters["township"].queryset = townships if county is None else townships.filter(parent_id=county)

        def township_options():
            options = registry_selectors.townships_visible(user=user)
            return options if county is None else options.filter(parent_id=county)

        self.region_choices = {
            "county": lambda: registry_selectors.counties_visible(user=user),
            "township": township_options,
        }

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__istartswith=value))

    # The grade filter tests EXISTS in the WHERE clause, not the list's annotation: PostgreSQL can then
    # anti-join or semi-join the grades in one pass (or probe an index per branch), where filtering
    # on an annotation ran a scalar subquery for every branch in scope (未评定 over a city of 200,000
    # branches: 750 ms). 已优化 reads the branch's flag (Branch.optimised), 未优化 a partial index.

    def filter_grade(self, queryset, name, value):
        if value == "none":
            return queryset.filter(~registry_selectors.graded())
        return queryset.filter(registry_selectors.graded(grade=value))

    def filter_optimised(self, queryset, name, value):
        return queryset.filter(optimised=value == "yes")


class FilterField(NamedTuple):
    id: str
    name: str
    label: str
    value: str  # the current value as text
    errors: list
    options: str | None  # a select's <option>s, the current one selected; None for a text input


# The region options of the filter forms, drawn once per scope and stamp (twinning/memo.py). The
# stamp is the newest region's id, so a region added (a township by a roster import, or in the
# admin) shows at once; a region renamed in the admin shows within the memo's minute.
_region_options = ProcessMemo(size=512, ttl=60)


def regions_stamp() -> int:
    """The newest region's id: one read of the primary key index, and no ORM query to compile."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(Region._meta.db_table)}")  # noqa: S608
        return cursor.fetchone()[0] or 0


def _options(choices) -> str:
    return mark_safe("".join(f'<option value="{escape(value)}">{escape(label)}</option>' for value, label in choices))  # noqa: S308


def filter_fields(
    form: forms.Form,
    *,
    choices_key: Hashable | None = None,
    region_choices: Mapping[str, Callable[[], QuerySet]] | None = None,
) -> list[FilterField]:
    """The fields of a list page's filter form, as its template draws them (templates/jinja2/pairing/_macros.html).

    A region field's options are read as (pk, name) pairs, the label ``Region.__str__`` gives
    (iterating the field built a model instance per option: ~200 townships, with their counties),
    from ``region_choices[name]()`` if given, else the field's queryset. Given ``choices_key`` (what
    decides the regions offered: the user's scope and the filters that narrow them), they are drawn
    once per key and ``regions_stamp()`` in each process.
    """
    fields, stamp = [], None
    for bound in form:
        field = bound.field
        value = bound.value()
        current = "" if value is None else str(value)
        if isinstance(field, forms.ModelChoiceField):
            empty = "" if field.empty_label is None else _options([("", field.empty_label)])
            source = (region_choices or {}).get(bound.name, lambda field=field: field.queryset)

            def draw(source=source) -> str:
                return _options(source().values_list("pk", "name"))

            if choices_key is None:
                options = draw()
            else:
                stamp = regions_stamp() if stamp is None else stamp
                options = _region_options.get((choices_key, bound.name, stamp), draw)
            options = empty + options
        elif isinstance(field, forms.ChoiceField):
            options = _options(field.choices)
        else:
            options = None
        if options is not None:
            chosen = f'<option value="{escape(current)}">'
            options = mark_safe(options.replace(chosen, f"{chosen[:-1]} selected>", 1))  # noqa: S308
        fields.append(FilterField(bound.auto_id, bound.html_name, bound.label, current, bound.errors, options))
    return fields
