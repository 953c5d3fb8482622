"""JSON API of the registry: branches, grades and pairings (mounted by twinning/api.py).

Reads start from pairing.selectors / pairing.scope; writes go through
pairing.services.registry. Serializers check the shape of a request; the services decide.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from twinning.api import BoundedIntegerField, CursorPage, IdFilter, ScopedPrimaryKeyRelatedField
from twinning.keyset import Keyset

from . import scope
from .choices import Grade, PairingMethod, PairingStatus
from .filters import BranchFilter
from .models import BRANCH_EDITABLE_FIELDS, Branch, BranchGrade, Pairing, Region, Unit
from .selectors import pairings as pairing_selectors
from .selectors import registry as registry_selectors
from .services import registry as services


class ManagerWritePermission(permissions.BasePermission):
    """Reads for every signed-in user (in scope); writes for org-department staff only (403 otherwise)."""

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or scope.can_manage(request.user)


# --- branches ---------------------------------------------------------------------------------


class BranchRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Branch
        fields = ["id", "code", "name", "kind"]


class RegionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name", "level"]


class BranchSerializer(serializers.ModelSerializer):
    """A branch as its detail page shows it: the phone masked unless the reader is staff in scope."""

    county = RegionRefSerializer(read_only=True, allow_null=True)
    township = RegionRefSerializer(read_only=True, allow_null=True)
    region = RegionRefSerializer(read_only=True, allow_null=True)
    unit = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    secretary_phone = serializers.SerializerMethodField()
    current_grade = serializers.ChoiceField(choices=Grade.choices, read_only=True, allow_null=True)
    is_optimised = serializers.BooleanField(read_only=True)

    class Meta:
        model = Branch
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "level",
            "city_id",
            "county",
            "township",
            "region",
            "unit",
            "secretary_name",
            "secretary_phone",
            "member_count",
            "current_grade",
            "is_optimised",
        ]

    def get_secretary_phone(self, branch: Branch) -> str:
        return scope.phone_for(self.context["request"].user, branch.secretary_phone, branch=branch)


def _counties(user) -> QuerySet[Region]:
    return registry_selectors.counties_visible(user=user)


def _townships(user) -> QuerySet[Region]:
    return registry_selectors.townships_visible(user=user)


def _units(user) -> QuerySet[Unit]:
    return registry_selectors.units_visible(user=user)


class BranchWriteSerializer(serializers.ModelSerializer):
    """What a client sends to register or change a branch; regions and units are chosen in scope."""

    county = ScopedPrimaryKeyRelatedField(scoped=_counties, model=Region, required=False, allow_null=True)
    township = ScopedPrimaryKeyRelatedField(scoped=_townships, model=Region, required=False, allow_null=True)
    unit = ScopedPrimaryKeyRelatedField(scoped=_units, model=Unit, required=False, allow_null=True)
    member_count = BoundedIntegerField(required=False)

    class Meta:
        model = Branch
        fields = BRANCH_EDITABLE_FIELDS
        # Uniqueness of the code is the service's (and the database's) to decide.
        extra_kwargs = {"code": {"validators": []}}

    def validate_code(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise serializers.ValidationError(_("请填写支部编码。"))
        return value


class BranchCursorPage(CursorPage):
    """Branches in code order, as on the list page. The unique code index (a city) and the
    (county, code) index serve every page from the cursor on; "-pk" walked backwards past every
    later county's branches before reaching a county user's first one (~100 ms at 200,000)."""

    keyset = Keyset("code")


class BranchViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Branches in the user's scope (支部), with this year's grade; staff register and change them."""

    permission_classes = [permissions.IsAuthenticated, ManagerWritePermission]
    pagination_class = BranchCursorPage
    filterset_class = None  # set below: BranchFilter needs the user
    queryset = Branch.objects.none()

    def get_queryset(self):
        return registry_selectors.branch_list(user=self.request.user)

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return BranchWriteSerializer
        return BranchSerializer

    @extend_schema(responses={201: BranchSerializer})
    def create(self, request, *args, **kwargs):
        serializer = BranchWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        branch = services.branch_create(acting_user=request.user, **serializer.validated_data)
        return self._branch_response(branch.pk, status.HTTP_201_CREATED)

    @extend_schema(responses={200: BranchSerializer})
    def update(self, request, *args, **kwargs):
        branch = self.get_object()
        partial = kwargs.pop("partial", False)
        serializer = BranchWriteSerializer(
            branch, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        services.branch_update(branch=branch, acting_user=request.user, data=serializer.validated_data)
        return self._branch_response(branch.pk, status.HTTP_200_OK)

    @extend_schema(responses={200: BranchSerializer})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    def _branch_response(self, pk: int, code: int) -> Response:
        branch = registry_selectors.branch_get(user=self.request.user, pk=pk)
        return Response(BranchSerializer(branch, context=self.get_serializer_context()).data, status=code)


class ApiBranchFilter(BranchFilter):
    """The branch list page's filter; its choices come from the requesting user's scope."""

    def __init__(self, *args, request=None, **kwargs):
        user = getattr(request, "user", None)
        super().__init__(*args, user=user, request=request, **kwargs)


BranchViewSet.filterset_class = ApiBranchFilter


# --- grades -----------------------------------------------------------------------------------


class GradeSerializer(serializers.ModelSerializer):
    class Meta:
        model = BranchGrade
        fields = ["id", "branch", "year", "grade", "graded_at"]


def _branches(user) -> QuerySet[Branch]:
    return Branch.objects.visible_to(user)


class GradeAssignSerializer(serializers.Serializer):
    branches = ScopedPrimaryKeyRelatedField(scoped=_branches, model=Branch, many=True, allow_empty=False)
    year = BoundedIntegerField(min_value=2000, max_value=2100)
    grade = serializers.ChoiceField(choices=Grade.choices)


class GradeFilter(django_filters.FilterSet):
    branch = IdFilter(field_name="branch_id")
    year = django_filters.NumberFilter()
    grade = django_filters.ChoiceFilter(choices=Grade.choices)

    class Meta:
        model = BranchGrade
        fields = ["branch", "year", "grade"]


class GradeViewSet(viewsets.ReadOnlyModelViewSet):
    """Annual grades (等次) of the branches in scope; staff grade several branches at once."""

    serializer_class = GradeSerializer
    permission_classes = [permissions.IsAuthenticated, ManagerWritePermission]
    filterset_class = GradeFilter
    queryset = BranchGrade.objects.none()

    def get_queryset(self):
        return BranchGrade.objects.filter(scope.branch_q(self.request.user, "branch__"))

    @extend_schema(
        request=GradeAssignSerializer,
        responses={200: inline_serializer("GradeAssignResult", {"count": serializers.IntegerField()})},
    )
    @action(detail=False, methods=["post"])
    def assign(self, request):
        """Grade the given branches for a year (upsert); returns how many grades changed."""
        serializer = GradeAssignSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        count = services.grades_assign(acting_user=request.user, **serializer.validated_data)
        return Response({"count": count})


# --- pairings ---------------------------------------------------------------------------------


class PairingSerializer(serializers.ModelSerializer):
    helper = BranchRefSerializer(read_only=True)
    partner = BranchRefSerializer(read_only=True)

    class Meta:
        model = Pairing
        fields = [
            "id",
            "campaign",
            "helper",
            "partner",
            "slot",
            "method",
            "status",
            "started_on",
            "dissolved_on",
            "dissolve_reason",
            "liaison_officers",
            "part_time_secretary",
            "invited_members",
        ]


class PairingFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PairingStatus.choices)
    method = django_filters.ChoiceFilter(choices=PairingMethod.choices)
    helper = IdFilter(field_name="helper_id")
    partner = IdFilter(field_name="partner_id")
    campaign = IdFilter(field_name="campaign_id")

    class Meta:
        model = Pairing
        fields = ["status", "method", "helper", "partner", "campaign"]


class PairingViewSet(viewsets.ReadOnlyModelViewSet):
    """Pairings (结对) with either side in the user's scope; read-only here (draws and dissolutions are pages)."""

    serializer_class = PairingSerializer
    filterset_class = PairingFilter
    queryset = Pairing.objects.none()

    def get_queryset(self):
        # The pairing list page's selector: a county user's pairings found through hashed id sets.
        return pairing_selectors.pairing_list(user=self.request.user)


def register(router) -> None:
    router.register("branches", BranchViewSet, basename="branch")
    router.register("grades", GradeViewSet, basename="grade")
    router.register("pairings", PairingViewSet, basename="pairing")
