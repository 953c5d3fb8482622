"""JSON API of the report snapshots (mounted by twinning/api.py): read-only, for the dashboard's readers."""

from __future__ import annotations

import django_filters
from rest_framework import serializers, viewsets

from pairing import scope
from pairing.api import RegionRefSerializer
from twinning.api import IdFilter

from .models import Snapshot


class SnapshotSerializer(serializers.ModelSerializer):
    """A region's headline figures as of a date; ``children`` holds the same figures per child region."""

    region = RegionRefSerializer(read_only=True)
    figures = serializers.JSONField(read_only=True)
    children = serializers.JSONField(read_only=True)

    class Meta:
        model = Snapshot
        fields = ["id", "region", "as_of", "figures", "children", "computed_at"]


class SnapshotFilter(django_filters.FilterSet):
    region = IdFilter(field_name="region_id")
    as_of = django_filters.DateFilter()
    as_of_after = django_filters.DateFilter(field_name="as_of", lookup_expr="gte")
    as_of_before = django_filters.DateFilter(field_name="as_of", lookup_expr="lte")

    class Meta:
        model = Snapshot
        fields = ["region", "as_of", "as_of_after", "as_of_before"]


class SnapshotViewSet(viewsets.ReadOnlyModelViewSet):
    """Report snapshots (统计快照) of the regions inside the user's region; staff and leaders only,
    like the dashboard (everyone else sees an empty list and 404)."""

    serializer_class = SnapshotSerializer
    filterset_class = SnapshotFilter
    queryset = Snapshot.objects.none()

    def get_queryset(self):
        user = self.request.user
        if not scope.sees_region(user):
            return Snapshot.objects.none()
        return Snapshot.objects.filter(scope.region_q(user, prefix="region__")).select_related("region")


def register(router) -> None:
    router.register("report-snapshots", SnapshotViewSet, basename="report-snapshot")
