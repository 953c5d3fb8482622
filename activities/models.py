"""The "1+N": monthly theme Party days, other joint activities and the half-yearly key-task list."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pairing.models import Branch, Pairing, Region
from twinning.models import FastChoiceDisplay

from .choices import ActivityKind, Half, TaskProgress, ThemeDayStatus
from .querysets import KeyTaskListQuerySet, RecordedQuerySet


class StoredImage(models.Model):
    """An uploaded image: the original as sent, and a resized copy for the page.

    Files live in the default storage under a non-public path and are served only by
    views that apply the scope rule.
    """

    original = models.FileField(_("原图"), max_length=255)
    display = models.FileField(_("展示图"), max_length=255)
    original_name = models.CharField(_("文件名"), max_length=255, blank=True)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)
    width = models.PositiveIntegerField(_("宽"), default=0)
    height = models.PositiveIntegerField(_("高"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        abstract = True


class ThemeDay(FastChoiceDisplay, models.Model):
    """A theme Party day (主题党日) of a pairing: the monthly "1".

    Recorded by either side's secretary; the other side confirms it (双方确认) or returns
    it with a reason. Any edit puts it back to pending. In principle held on a weekend:
    a weekday is allowed but flagged.
    """

    pairing = models.ForeignKey(Pairing, verbose_name=_("结对"), on_delete=models.PROTECT, related_name="theme_days")
    recorded_by_branch = models.ForeignKey(Branch, verbose_name=_("记录方"), on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    held_on = models.DateField(_("活动日期"))
    theme = models.CharField(_("活动主题"), max_length=120)
    place = models.CharField(_("活动地点"), max_length=120)
    summary = models.TextField(_("活动内容"), blank=True)
    helper_attendance = models.PositiveIntegerField(_("帮扶支部参加人数"), default=0)
    partner_attendance = models.PositiveIntegerField(_("结对支部参加人数"), default=0)
    status = models.CharField(_("状态"), max_length=16, choices=ThemeDayStatus.choices, default=ThemeDayStatus.PENDING)
    return_reason = models.CharField(_("退回原因"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    objects = RecordedQuerySet.as_manager()

    class Meta:
        verbose_name = _("主题党日")
        verbose_name_plural = _("主题党日")
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ThemeDayStatus.RETURNED) | ~Q(return_reason=""),
                name="themeday_returned_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["pairing", "held_on"]),
            models.Index(fields=["held_on", "status"]),
            # The lists, newest first, one keyset page at a time; and filtered by status.
            models.Index(fields=["held_on", "id"], name="themeday_newest"),
            models.Index(fields=["status", "held_on", "id"], name="themeday_status_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} {self.theme}"

    def get_absolute_url(self) -> str:
        return reverse("activities:theme_day_detail", args=[self.pk])

    @property
    def is_weekend(self) -> bool:
        return self.held_on.weekday() >= 5

    @property
    def other_branch_id(self) -> int:
        """The branch that confirms: the side that did not record it."""
        p = self.pairing
        return p.partner_id if self.recorded_by_branch_id == p.helper_id else p.helper_id


class ThemeDayPhoto(StoredImage):
    """A photo of a theme Party day."""

    theme_day = models.ForeignKey(ThemeDay, verbose_name=_("主题党日"), on_delete=models.CASCADE, related_name="photos")

    class Meta:
        verbose_name = _("活动照片")
        verbose_name_plural = _("活动照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name or str(self.pk)


class ThemeDayAttachment(models.Model):
    """An optional document of a theme Party day (minutes, sign-in sheet)."""

    theme_day = models.ForeignKey(
        ThemeDay, verbose_name=_("主题党日"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("附件"), max_length=255)
    original_name = models.CharField(_("文件名"), max_length=255)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("活动附件")
        verbose_name_plural = _("活动附件")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name


class JointActivity(FastChoiceDisplay, models.Model):
    """Other joint work of a pairing (党课, 调研座谈, 走访慰问 ...). Counted in reports; not the monthly "1"."""

    pairing = models.ForeignKey(
        Pairing, verbose_name=_("结对"), on_delete=models.PROTECT, related_name="joint_activities"
    )
    recorded_by_branch = models.ForeignKey(Branch, verbose_name=_("记录方"), on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("活动类型"), max_length=16, choices=ActivityKind.choices)
    held_on = models.DateField(_("活动日期"))
    title = models.CharField(_("活动名称"), max_length=120)
    summary = models.TextField(_("活动内容"), blank=True)
    participants = models.PositiveIntegerField(_("参加人数"), default=0)
    persons_visited = models.PositiveIntegerField(_("走访慰问人数"), default=0)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    objects = RecordedQuerySet.as_manager()

    class Meta:
        verbose_name = _("联建活动")
        verbose_name_plural = _("联建活动")
        ordering = ["-held_on", "-id"]
        indexes = [
            models.Index(fields=["pairing", "held_on"]),
            models.Index(fields=["kind", "held_on"]),
            models.Index(fields=["held_on", "id"], name="jointactivity_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.title}"


class KeyTaskList(FastChoiceDisplay, models.Model):
    """The "N": the key-task list (重点任务清单) of a region for one half year, e.g. 2022上半年."""

    region = models.ForeignKey(Region, verbose_name=_("区域"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    half = models.PositiveSmallIntegerField(_("半年"), choices=Half.choices)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["published_at"])

    objects = KeyTaskListQuerySet.as_manager()

    class Meta:
        verbose_name = _("重点任务清单")
        verbose_name_plural = _("重点任务清单")
        ordering = ["-year", "-half", "region__path"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "half"], name="keytasklist_unique_region_half"),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.period_label}"

    def get_absolute_url(self) -> str:
        return reverse("activities:task_list_detail", args=[self.pk])

    @property
    def period_label(self) -> str:
        return f"{self.year}{Half(self.half).label}"


class KeyTask(models.Model):
    """One item of a key-task list (N 项重点任务), e.g. 防汛救灾."""

    task_list = models.ForeignKey(KeyTaskList, verbose_name=_("清单"), on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("任务"), max_length=120)
    description = models.TextField(_("任务说明"), blank=True)
    due_on = models.DateField(_("完成时限"))
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    carried_from = models.ForeignKey(
        "self", verbose_name=_("延续自"), null=True, blank=True, on_delete=models.SET_NULL, related_name="carried_to"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("重点任务")
        verbose_name_plural = _("重点任务")
        ordering = ["task_list", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task_list", "carried_from"],
                condition=Q(carried_from__isnull=False),
                name="keytask_carried_once_per_list",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class KeyTaskReport(FastChoiceDisplay, models.Model):
    """A pairing's progress on one key task."""

    task = models.ForeignKey(KeyTask, verbose_name=_("重点任务"), on_delete=models.CASCADE, related_name="reports")
    pairing = models.ForeignKey(Pairing, verbose_name=_("结对"), on_delete=models.PROTECT, related_name="task_reports")
    status = models.CharField(_("进展"), max_length=16, choices=TaskProgress.choices, default=TaskProgress.NOT_STARTED)
    note = models.TextField(_("进展说明"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("任务进展")
        verbose_name_plural = _("任务进展")
        ordering = ["task", "pairing"]
        constraints = [models.UniqueConstraint(fields=["task", "pairing"], name="keytaskreport_unique_task_pairing")]

    def __str__(self) -> str:
        return f"{self.task_id}/{self.pairing_id} {self.get_status_display()}"


class KeyTaskEvidence(StoredImage):
    """An evidence photo of a key-task report."""

    report = models.ForeignKey(
        KeyTaskReport, verbose_name=_("任务进展"), on_delete=models.CASCADE, related_name="photos"
    )

    class Meta:
        verbose_name = _("佐证照片")
        verbose_name_plural = _("佐证照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name or str(self.pk)
