"""Enumerations of the activities app ("1+N")."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ThemeDayStatus(models.TextChoices):
    PENDING = "pending", _("待对方确认")
    CONFIRMED = "confirmed", _("双方已确认")
    RETURNED = "returned", _("已退回")


class ActivityKind(models.TextChoices):
    LECTURE = "lecture", _("党课")
    SURVEY = "survey", _("调研座谈")
    VISIT = "visit", _("走访慰问")
    VOLUNTEER = "volunteer", _("志愿服务")
    TRAINING = "training", _("培训")
    OTHER = "other", _("其他")


class Half(models.IntegerChoices):
    FIRST = 1, _("上半年")
    SECOND = 2, _("下半年")


class TaskProgress(models.TextChoices):
    NOT_STARTED = "not_started", _("未开始")
    IN_PROGRESS = "in_progress", _("推进中")
    DONE = "done", _("已完成")


class ComplianceCell(models.TextChoices):
    """A pairing's month in the compliance grid."""

    GREEN = "green", _("已确认")
    AMBER = "amber", _("待确认")
    RED = "red", _("未开展")
    NONE = "none", _("不计")
