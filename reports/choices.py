"""Enumerations of the reports domain."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportRunStatus(models.TextChoices):
    """A report run's or an assessment export's state."""

    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("计算中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class Metric(models.TextChoices):
    COVERAGE = "coverage", _("结对覆盖率")
    OPTIMISATION = "optimisation", _("优化率")
    THEME_DAYS = "theme_days", _("主题党日达标率")
    N_TASKS = "n_tasks", _("重点任务完成率")
    VOLUNTEERS = "volunteers", _("在职党员服务达标率")
