"""Filters of the branch list (django-filter). Choices come from the user's scope."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import selectors
from .choices import BranchKind, Grade, UnitLevel
from .models import Branch, Region


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
        self.filters["county"].queryset = selectors.counties_visible(user=user)
        townships = selectors.townships_visible(user=user)
        county = self.data.get("county") if self.data else None
        if county and str(county).isdigit():
            townships = townships.filter(parent_id=county)
        self.filters["township"].queryset = townships

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__istartswith=value))

    # The filters test EXISTS in the WHERE clause, not the list's annotations: PostgreSQL can then
    # anti-join or semi-join the grades and records in one pass (or probe an index per branch),
    # where filtering on an annotation ran a scalar subquery for every branch in scope
    # (未优化 over a city of 200,000 branches: 360 ms; 未评定: 750 ms).

    def filter_grade(self, queryset, name, value):
        if value == "none":
            return queryset.filter(~selectors.graded())
        return queryset.filter(selectors.graded(grade=value))

    def filter_optimised(self, queryset, name, value):
        return queryset.filter(selectors.optimised() if value == "yes" else ~selectors.optimised())
