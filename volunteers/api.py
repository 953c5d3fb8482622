"""JSON API of 双报到、双服务: registrations, projects, claims, wishes and hours (mounted by twinning/api.py).

Reads start from volunteers.selectors (``*_visible``); writes go through volunteers.services,
which decide who may claim, log and verify (PermissionDenied → 403). Phone numbers go through
``pairing.scope.phone_for`` and residents' names through ``resident_name_for``, as on the pages.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from pairing import scope
from pairing.api import BranchRefSerializer
from twinning.api import IdFilter, LocalTimeField, ScopedPrimaryKeyRelatedField

from . import perms, selectors, services
from .choices import HourStatus, OpenClosed, RegistrationKind, RegistrationStatus
from .models import Claim, HourEntry, Project, Registration, Whistle, Wish


class PersonSerializer(serializers.ModelSerializer):
    """A member as other people see them: name, and the phone masked unless the reader is staff."""

    name = serializers.CharField(source="label", read_only=True)
    phone = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "name", "phone"]

    def get_phone(self, user: User) -> str:
        return scope.person_phone_for(self.context["request"].user, user.phone)


# --- registrations ----------------------------------------------------------------------------


class RegistrationSerializer(serializers.ModelSerializer):
    community = BranchRefSerializer(read_only=True)
    branch = BranchRefSerializer(read_only=True, allow_null=True)
    member = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Registration
        fields = [
            "id",
            "kind",
            "community",
            "branch",
            "member",
            "skills",
            "preferences",
            "status",
            "decline_reason",
            "decided_at",
            "ended_at",
            "created_at",
        ]


class RegistrationFilter(django_filters.FilterSet):
    community = IdFilter(field_name="community_id")
    kind = django_filters.ChoiceFilter(choices=RegistrationKind.choices)
    status = django_filters.ChoiceFilter(choices=RegistrationStatus.choices)

    class Meta:
        model = Registration
        fields = ["community", "kind", "status"]


class RegistrationViewSet(viewsets.ReadOnlyModelViewSet):
    """Registrations (报到) at communities: the community's, or the user's own (and their unit's)."""

    serializer_class = RegistrationSerializer
    filterset_class = RegistrationFilter
    queryset = Registration.objects.none()

    def get_queryset(self):
        return selectors.registrations_visible(user=self.request.user)


# --- projects and claims ----------------------------------------------------------------------


class ProjectSerializer(serializers.ModelSerializer):
    community = BranchRefSerializer(read_only=True)
    claimed = serializers.IntegerField(read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "community",
            "title",
            "category",
            "description",
            "place",
            "starts_on",
            "ends_on",
            "places",
            "claimed",
            "claimants",
            "status",
            "created_at",
        ]


class ClaimSerializer(serializers.ModelSerializer):
    claimant = serializers.CharField(source="registration.claimant_label", read_only=True)
    kind = serializers.CharField(source="registration.kind", read_only=True)

    class Meta:
        model = Claim
        fields = ["id", "project", "registration", "kind", "claimant", "mode", "created_at"]


def _community_registrations(user) -> QuerySet[Registration]:
    return selectors.registrations_visible(user=user)


class ClaimCreateSerializer(serializers.Serializer):
    """Empty for 自主认领 (the user's own or their unit's registration); a registration id for
    指定认领 by the community secretary."""

    registration = ScopedPrimaryKeyRelatedField(
        scoped=_community_registrations, model=Registration, required=False, allow_null=True
    )


class ProjectFilter(django_filters.FilterSet):
    community = IdFilter(field_name="community_id")
    status = django_filters.ChoiceFilter(choices=OpenClosed.choices)

    class Meta:
        model = Project
        fields = ["community", "status"]


class ProjectViewSet(viewsets.ReadOnlyModelViewSet):
    """Service projects (服务项目) on the demand lists the user may see; registered members and
    units claim them."""

    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    queryset = Project.objects.none()

    def get_queryset(self):
        return selectors.projects_visible(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "claim":
            return ClaimCreateSerializer
        return ProjectSerializer

    @extend_schema(request=ClaimCreateSerializer, responses={201: ClaimSerializer})
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """Claim the project (认领)."""
        project = self.get_object()
        serializer = ClaimCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        claim = services.claim_create(
            project=project, acting_user=request.user, registration=serializer.validated_data.get("registration")
        )
        claim = _claims(request.user).get(pk=claim.pk)
        return Response(
            ClaimSerializer(claim, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )


def _claims(user) -> QuerySet[Claim]:
    """Claims are shown with their project: whoever sees the project sees who claimed it."""
    return Claim.objects.filter(project__in=selectors.projects_visible(user=user).values("pk")).select_related(
        "registration__branch", "registration__member"
    )


class ClaimFilter(django_filters.FilterSet):
    project = IdFilter(field_name="project_id")
    registration = IdFilter(field_name="registration_id")

    class Meta:
        model = Claim
        fields = ["project", "registration"]


class ClaimViewSet(viewsets.ReadOnlyModelViewSet):
    """Claims (认领) of the projects the user may see."""

    serializer_class = ClaimSerializer
    filterset_class = ClaimFilter
    queryset = Claim.objects.none()

    def get_queryset(self):
        return _claims(self.request.user)


# --- micro-wishes -----------------------------------------------------------------------------


class WishSerializer(serializers.ModelSerializer):
    community = BranchRefSerializer(read_only=True)
    resident_name = serializers.SerializerMethodField()

    class Meta:
        model = Wish
        fields = ["id", "community", "title", "description", "resident_name", "status", "claimed_at", "created_at"]

    def get_resident_name(self, wish: Wish) -> str:
        return selectors.resident_name_for(user=self.context["request"].user, wish=wish)


class WishViewSet(viewsets.ReadOnlyModelViewSet):
    """Micro-wishes (微心愿): the resident's name is masked except for the community and the claimer."""

    serializer_class = WishSerializer
    queryset = Wish.objects.none()

    def get_queryset(self):
        return selectors.wishes_visible(user=self.request.user)


# --- volunteer hours --------------------------------------------------------------------------


class HourEntrySerializer(serializers.ModelSerializer):
    member = PersonSerializer(read_only=True)
    community = BranchRefSerializer(read_only=True)
    starts_at = LocalTimeField(read_only=True)
    ends_at = LocalTimeField(read_only=True)

    class Meta:
        model = HourEntry
        fields = [
            "id",
            "member",
            "community",
            "project",
            "wish",
            "whistle",
            "served_on",
            "starts_at",
            "ends_at",
            "minutes",
            "description",
            "status",
            "reject_reason",
            "decided_at",
            "created_at",
        ]


def _projects(user) -> QuerySet[Project]:
    return selectors.projects_visible(user=user)


def _wishes(user) -> QuerySet[Wish]:
    return selectors.wishes_visible(user=user)


def _whistles(user) -> QuerySet[Whistle]:
    return selectors.whistles_visible(user=user)


class HourEntryCreateSerializer(serializers.Serializer):
    """One of ``project``, ``wish`` or ``whistle``: what the member served (the service checks it was claimed)."""

    served_on = serializers.DateField()
    starts_at = LocalTimeField()
    ends_at = LocalTimeField()
    description = serializers.CharField(max_length=300)
    project = ScopedPrimaryKeyRelatedField(scoped=_projects, model=Project, required=False, allow_null=True)
    wish = ScopedPrimaryKeyRelatedField(scoped=_wishes, model=Wish, required=False, allow_null=True)
    whistle = ScopedPrimaryKeyRelatedField(scoped=_whistles, model=Whistle, required=False, allow_null=True)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class HourEntryFilter(django_filters.FilterSet):
    community = IdFilter(field_name="community_id")
    member = IdFilter(field_name="member_id")
    status = django_filters.ChoiceFilter(choices=HourStatus.choices)
    served_after = django_filters.DateFilter(field_name="served_on", lookup_expr="gte")
    served_before = django_filters.DateFilter(field_name="served_on", lookup_expr="lte")

    class Meta:
        model = HourEntry
        fields = ["community", "member", "status", "served_after", "served_before"]


class HourEntryViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Volunteer hours (志愿服务时长): a member logs their own; the community secretary verifies or rejects."""

    filterset_class = HourEntryFilter
    queryset = HourEntry.objects.none()

    def get_queryset(self):
        return selectors.hours_visible(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return HourEntryCreateSerializer
        if self.action == "reject":
            return RejectSerializer
        return HourEntrySerializer

    @extend_schema(request=HourEntryCreateSerializer, responses={201: HourEntrySerializer})
    def create(self, request, *args, **kwargs):
        if not perms.is_member(request.user):
            # As on the page: only members log hours; say so before looking at the body.
            raise PermissionDenied(_("只有在职党员可以进行此操作。"))
        serializer = HourEntryCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if v is not None}
        entry = services.hours_record(member=request.user, **data)
        return self._entry_response(entry.pk, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: HourEntrySerializer})
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """The community secretary verifies (认定) a pending entry."""
        entry = self.get_object()
        services.hours_decide(entry=entry, acting_user=request.user, verify=True)
        return self._entry_response(entry.pk, status.HTTP_200_OK)

    @extend_schema(request=RejectSerializer, responses={200: HourEntrySerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """The community secretary returns a pending entry with a reason."""
        entry = self.get_object()
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.hours_decide(entry=entry, acting_user=request.user, verify=False, **serializer.validated_data)
        return self._entry_response(entry.pk, status.HTTP_200_OK)

    def _entry_response(self, pk: int, code: int) -> Response:
        entry = selectors.hours_get(user=self.request.user, pk=pk)
        return Response(HourEntrySerializer(entry, context=self.get_serializer_context()).data, status=code)


def register(router) -> None:
    router.register("registrations", RegistrationViewSet, basename="registration")
    router.register("projects", ProjectViewSet, basename="project")
    router.register("claims", ClaimViewSet, basename="claim")
    router.register("wishes", WishViewSet, basename="wish")
    router.register("hours", HourEntryViewSet, basename="hour")
