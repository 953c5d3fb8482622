"""Dated report snapshots, report runs, dashboard thresholds and assessment weights."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import Metric, ReportRunStatus


class Snapshot(models.Model):
    """The headline figures of one region as of one date, computed by a Celery task.

    ``figures`` holds the region's own figures and ``children`` the same figures for
    each child region (counties of a city, townships of a county), keyed by name.
    Dashboards read snapshots and never recompute on a page view. A re-run for the
    same region and date replaces the row in one transaction (idempotent by period).
    """

    region = models.ForeignKey("pairing.Region", verbose_name=_("区域"), on_delete=models.CASCADE, related_name="+")
    as_of = models.DateField(_("统计日期"))
    figures = models.JSONField(_("指标"), default=dict)
    children = models.JSONField(_("下级指标"), default=dict)
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("统计快照")
        verbose_name_plural = _("统计快照")
        ordering = ["-as_of"]
        constraints = [models.UniqueConstraint(fields=["region", "as_of"], name="snapshot_unique_region_date")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.as_of}"


class ReportRun(models.Model):
    """One refresh of the snapshots, so staff can watch its progress."""

    Status = ReportRunStatus

    city = models.ForeignKey("pairing.Region", verbose_name=_("市"), on_delete=models.CASCADE, related_name="+")
    # The county refreshed, for county staff; empty: the whole city (the city and each of its counties).
    county = models.ForeignKey(
        "pairing.Region", verbose_name=_("县区"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    as_of = models.DateField(_("统计日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    total = models.PositiveSmallIntegerField(_("总步数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("统计任务")
        verbose_name_plural = _("统计任务")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.as_of} {self.status}"

    @property
    def percent(self) -> int:
        return int(self.progress * 100 / self.total) if self.total else 0

    @property
    def area(self):
        """The region the run refreshes: its county, or the whole city."""
        return self.county or self.city


class Threshold(models.Model):
    """Red/amber/green bands of a dashboard figure, set by staff for their city.

    A rate at or above ``green_from`` is green, at or above ``amber_from`` amber, else red.
    """

    city = models.ForeignKey("pairing.Region", verbose_name=_("市"), on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(_("指标"), max_length=20, choices=Metric.choices)
    green_from = models.DecimalField(_("绿色下限（%）"), max_digits=5, decimal_places=2, default=95)
    amber_from = models.DecimalField(_("黄色下限（%）"), max_digits=5, decimal_places=2, default=80)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("设置人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    updated_at = models.DateTimeField(_("设置时间"), auto_now=True)

    class Meta:
        verbose_name = _("预警阈值")
        verbose_name_plural = _("预警阈值")
        constraints = [
            models.UniqueConstraint(fields=["city", "metric"], name="threshold_unique_metric"),
            models.CheckConstraint(condition=models.Q(green_from__gte=models.F("amber_from")), name="threshold_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} ≥{self.green_from}/≥{self.amber_from}"

    def colour(self, rate: float | None) -> str:
        if rate is None:
            return "secondary"
        if rate >= float(self.green_from):
            return "success"
        if rate >= float(self.amber_from):
            return "warning"
        return "danger"


class AssessmentWeights(models.Model):
    """The scoring weights of the quarterly assessment (双考核) of a city, set by the city's staff.

    A unit's score is the weighted mean of its component ratios (each 0..1, capped at the
    target), over the components that apply to it; the weights sum to 100. Every export
    records the weights it used.
    """

    COMPONENTS = ("w_paired", "w_theme_days", "w_n_tasks", "w_projects", "w_activities", "w_members")

    city = models.OneToOneField(
        "pairing.Region", verbose_name=_("市"), on_delete=models.CASCADE, related_name="assessment_weights"
    )
    w_paired = models.PositiveSmallIntegerField(_("结对覆盖"), default=20)
    w_theme_days = models.PositiveSmallIntegerField(_("主题党日"), default=25)
    w_n_tasks = models.PositiveSmallIntegerField(_("重点任务"), default=20)
    w_projects = models.PositiveSmallIntegerField(_("认领项目"), default=10)
    w_activities = models.PositiveSmallIntegerField(_("社区活动"), default=10)
    w_members = models.PositiveSmallIntegerField(_("党员服务时长"), default=15)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设置人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("设置时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("考核权重")
        verbose_name_plural = _("考核权重")

    def __str__(self) -> str:
        return f"{self.city_id} {self.as_dict()}"

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.COMPONENTS}


class AssessmentExport(models.Model):
    """One quarterly assessment workbook of a region, built by a Celery task.

    The file lives in the default storage under ``private/`` (never routed under a public URL)
    and is downloaded through a scoped view. ``weights`` are the weights it was scored with.
    """

    Status = ReportRunStatus

    region = models.ForeignKey("pairing.Region", verbose_name=_("区域"), on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"))
    status = models.CharField(_("状态"), max_length=16, choices=ReportRunStatus.choices, default=ReportRunStatus.QUEUED)
    progress = models.PositiveIntegerField(_("进度"), default=0)
    total = models.PositiveIntegerField(_("总步数"), default=0)
    weights = models.JSONField(_("考核权重"), default=dict)
    file = models.FileField(_("文件"), max_length=255, blank=True)
    error = models.TextField(_("错误"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("考核表导出")
        verbose_name_plural = _("考核表导出")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quarter__gte=1, quarter__lte=4), name="assessmentexport_quarter"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.quarter_code}"

    @property
    def quarter_code(self) -> str:
        return f"{self.year}Q{self.quarter}"

    @property
    def percent(self) -> int:
        return int(self.progress * 100 / self.total) if self.total else 0
