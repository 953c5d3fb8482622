"""Filters of the branch list (django-filter). Choices come from the user's scope."""

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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
        self.user, self.county = user, county

    def region_options(self) -> dict[str, tuple]:
        """The (pk, name) rows the region fields offer (memoised by the selector)."""
        return registry_selectors.region_choices(user=self.user, names=("county", "township"), county=self.county)

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
    options: Sequence[tuple] | None  # a select's (value, label) rows; None for a text input
    selected: int | None  # the index of the option shown selected (the first with the current value)


def filter_fields(form: forms.Form, *, region_options: Mapping[str, Sequence[tuple]]) -> list[FilterField]:
    """The fields of a list page's filter form, as its template draws them (the ``filter_field`` macro
    of templates/jinja2/pairing/_macros.html). A region field's options are the (pk, name) rows of
    ``region_options`` (``registry_selectors.region_choices``, memoised), after its empty label."""
    fields = []
    for bound in form:
        field = bound.field
        value = bound.value()
        current = "" if value is None else str(value)
        if isinstance(field, forms.ModelChoiceField):
            empty = () if field.empty_label is None else (("", field.empty_label),)
            options = (*empty, *region_options[bound.name])
        elif isinstance(field, forms.ChoiceField):
            options = tuple(field.choices)
        else:
            options = None
        selected = None
        if options is not None:
            selected = next((i for i, (choice, _label) in enumerate(options) if str(choice) == current), None)
        fields.append(
            FilterField(bound.auto_id, bound.html_name, bound.label, current, bound.errors, options, selected)
        )
    return fields
