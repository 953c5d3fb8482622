"""JSON API of the activities: theme Party days, N lists and N-task reports (mounted by twinning/api.py).

Reads start from activities.selectors / pairing.scope; writes go through activities.services,
which decide who may record, confirm, return and report (PermissionDenied → 403).
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from pairing import scope
from pairing.api import BranchRefSerializer
from pairing.models import Pairing
from pairing.selectors.pairings import pairings_visible
from twinning.api import BoundedIntegerField, IdFilter, ScopedPrimaryKeyRelatedField

from . import selectors, services
from .choices import TaskProgress, ThemeDayStatus
from .models import KeyTask, KeyTaskList, KeyTaskReport, ThemeDay

# --- theme Party days -------------------------------------------------------------------------


class StoredFileSerializer(serializers.Serializer):
    """A photo or attachment: its URL is the page's file view, which applies the scope rule."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="original_name", read_only=True)
    url = serializers.SerializerMethodField()

    def __init__(self, *args, url_name: str, **kwargs):
        self.url_name = url_name
        super().__init__(*args, **kwargs)

    def get_url(self, obj) -> str:
        return self.context["request"].build_absolute_uri(reverse(self.url_name, args=[obj.pk]))


class ThemeDaySerializer(serializers.ModelSerializer):
    recorded_by_branch = BranchRefSerializer(read_only=True)
    photos = StoredFileSerializer(many=True, read_only=True, url_name="activities:theme_day_photo")
    attachments = StoredFileSerializer(many=True, read_only=True, url_name="activities:theme_day_attachment")
    helper = BranchRefSerializer(source="pairing.helper", read_only=True)
    partner = BranchRefSerializer(source="pairing.partner", read_only=True)

    class Meta:
        model = ThemeDay
        fields = [
            "id",
            "pairing",
            "helper",
            "partner",
            "recorded_by_branch",
            "held_on",
            "theme",
            "place",
            "summary",
            "helper_attendance",
            "partner_attendance",
            "status",
            "return_reason",
            "reviewed_at",
            "created_at",
            "photos",
            "attachments",
        ]


def _pairings(user) -> QuerySet[Pairing]:
    return pairings_visible(user=user)


class ThemeDayCreateSerializer(serializers.Serializer):
    pairing = ScopedPrimaryKeyRelatedField(scoped=_pairings, model=Pairing)
    held_on = serializers.DateField()
    theme = serializers.CharField(max_length=120)
    place = serializers.CharField(max_length=120)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    helper_attendance = BoundedIntegerField(required=False, default=0)
    partner_attendance = BoundedIntegerField(required=False, default=0)


class ReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ThemeDayFilter(django_filters.FilterSet):
    pairing = IdFilter(field_name="pairing_id")
    status = django_filters.ChoiceFilter(choices=ThemeDayStatus.choices)
    held_after = django_filters.DateFilter(field_name="held_on", lookup_expr="gte")
    held_before = django_filters.DateFilter(field_name="held_on", lookup_expr="lte")

    class Meta:
        model = ThemeDay
        fields = ["pairing", "status", "held_after", "held_before"]


class ThemeDayViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Theme Party days (主题党日) of the pairings in scope. A pairing's secretary records one
    (photos and attachments are added on the page); the other side's secretary confirms or returns it."""

    filterset_class = ThemeDayFilter
    queryset = ThemeDay.objects.none()

    def get_queryset(self):
        return selectors.theme_day_list(user=self.request.user).prefetch_related("photos", "attachments")

    def get_serializer_class(self):
        if self.action == "create":
            return ThemeDayCreateSerializer
        if self.action == "return_":
            return ReturnSerializer
        return ThemeDaySerializer

    @extend_schema(request=ThemeDayCreateSerializer, responses={201: ThemeDaySerializer})
    def create(self, request, *args, **kwargs):
        serializer = ThemeDayCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        theme_day = services.theme_day_record(acting_user=request.user, **serializer.validated_data)
        return self._theme_day_response(theme_day.pk, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ThemeDaySerializer})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """The other side's secretary confirms the theme day (双方确认)."""
        services.theme_day_confirm(theme_day=self.get_object(), acting_user=request.user)
        return self._theme_day_response(int(pk), status.HTTP_200_OK)

    @extend_schema(request=ReturnSerializer, responses={200: ThemeDaySerializer})
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request, pk=None):
        """The other side's secretary returns the theme day with a reason."""
        theme_day = self.get_object()
        serializer = ReturnSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.theme_day_return(theme_day=theme_day, acting_user=request.user, **serializer.validated_data)
        return self._theme_day_response(theme_day.pk, status.HTTP_200_OK)

    def _theme_day_response(self, pk: int, code: int) -> Response:
        theme_day = selectors.theme_day_get(user=self.request.user, pk=pk)
        return Response(ThemeDaySerializer(theme_day, context=self.get_serializer_context()).data, status=code)


# --- N lists and N-task reports ---------------------------------------------------------------


class KeyTaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = KeyTask
        fields = ["id", "order", "title", "description", "due_on"]


class KeyTaskListSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="name", read_only=True)
    tasks = KeyTaskSerializer(many=True, read_only=True)

    class Meta:
        model = KeyTaskList
        fields = ["id", "region_id", "region", "year", "half", "published_at", "tasks"]


class KeyTaskListViewSet(viewsets.ReadOnlyModelViewSet):
    """N lists (N 项重点任务清单) published for the regions in scope, with their items."""

    serializer_class = KeyTaskListSerializer
    filterset_fields = ["year", "half"]
    queryset = KeyTaskList.objects.none()

    def get_queryset(self):
        return selectors.task_list_list(user=self.request.user).prefetch_related(
            Prefetch("tasks", queryset=KeyTask.objects.order_by("order", "pk"))
        )


class KeyTaskReportSerializer(serializers.ModelSerializer):
    task_list = serializers.IntegerField(source="task.task_list_id", read_only=True)

    class Meta:
        model = KeyTaskReport
        fields = ["id", "task", "task_list", "pairing", "status", "note", "updated_at"]


def _tasks(user) -> QuerySet[KeyTask]:
    return KeyTask.objects.filter(scope.region_q(user, "task_list__region__")).select_related("task_list__region")


class KeyTaskReportWriteSerializer(serializers.Serializer):
    task = ScopedPrimaryKeyRelatedField(scoped=_tasks, model=KeyTask)
    pairing = ScopedPrimaryKeyRelatedField(scoped=_pairings, model=Pairing)
    status = serializers.ChoiceField(choices=TaskProgress.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class KeyTaskReportUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TaskProgress.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class KeyTaskReportFilter(django_filters.FilterSet):
    task = IdFilter(field_name="task_id")
    task_list = IdFilter(field_name="task__task_list_id")
    pairing = IdFilter(field_name="pairing_id")
    status = django_filters.ChoiceFilter(choices=TaskProgress.choices)

    class Meta:
        model = KeyTaskReport
        fields = ["task", "task_list", "pairing", "status"]


class KeyTaskReportViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Progress reports of pairings on N-list items: the list's region and the pairing both in scope.

    A pairing's secretary reports (POST creates or replaces the report of that item; PUT/PATCH
    changes it); evidence photos are added on the page.
    """

    filterset_class = KeyTaskReportFilter
    queryset = KeyTaskReport.objects.none()

    def get_queryset(self):
        user = self.request.user
        return KeyTaskReport.objects.filter(
            Q(scope.pairing_q(user, "pairing__")) & Q(scope.region_q(user, "task__task_list__region__"))
        ).select_related("task")

    def get_serializer_class(self):
        if self.action == "create":
            return KeyTaskReportWriteSerializer
        if self.action in ("update", "partial_update"):
            return KeyTaskReportUpdateSerializer
        return KeyTaskReportSerializer

    @extend_schema(request=KeyTaskReportWriteSerializer, responses={201: KeyTaskReportSerializer})
    def create(self, request, *args, **kwargs):
        serializer = KeyTaskReportWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        task, pairing = data["task"], data["pairing"]
        reporting = selectors.task_list_pairings(task_list=task.task_list, user=request.user)
        if not reporting.filter(pk=pairing.pk).exists():
            raise serializers.ValidationError({"pairing": [_("该结对不在这份清单的范围内。")]})
        report = services.key_task_report_save(
            task=task, pairing=pairing, acting_user=request.user, status=data["status"], note=data["note"]
        )
        return self._report_response(report.pk, status.HTTP_201_CREATED)

    @extend_schema(request=KeyTaskReportUpdateSerializer, responses={200: KeyTaskReportSerializer})
    def update(self, request, *args, **kwargs):
        report = self.get_object()
        partial = kwargs.pop("partial", False)
        serializer = KeyTaskReportUpdateSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = {"status": report.status, "note": report.note, **serializer.validated_data}
        services.key_task_report_save(task=report.task, pairing=report.pairing, acting_user=request.user, **data)
        return self._report_response(report.pk, status.HTTP_200_OK)

    @extend_schema(request=KeyTaskReportUpdateSerializer, responses={200: KeyTaskReportSerializer})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    def _report_response(self, pk: int, code: int) -> Response:
        report = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(KeyTaskReportSerializer(report, context=self.get_serializer_context()).data, status=code)


def register(router) -> None:
    router.register("theme-days", ThemeDayViewSet, basename="theme-day")
    router.register("n-lists", KeyTaskListViewSet, basename="n-list")
    router.register("n-task-reports", KeyTaskReportViewSet, basename="n-task-report")
