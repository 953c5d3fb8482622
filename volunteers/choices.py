"""Enumerations of 双报到、双服务 (the words come from the seed articles)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegistrationKind(models.TextChoices):
    UNIT = "unit", _("单位党组织报到")
    MEMBER = "member", _("在职党员报到")


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    ACCEPTED = "accepted", _("已报到")
    DECLINED = "declined", _("未通过")
    ENDED = "ended", _("已转出")


# A member holds at most one registration in these states; a unit one per community.
LIVE_REGISTRATION = (RegistrationStatus.PENDING, RegistrationStatus.ACCEPTED)


class ProjectCategory(models.TextChoices):
    PARTY_LECTURE = "party_lecture", _("党课辅导")
    POLICY = "policy", _("政策宣传")
    LEGAL = "legal", _("法律维权")
    SCIENCE = "science", _("科普")
    TRAINING = "training", _("技术培训")
    HEALTH = "health", _("健康义诊")
    JOBS_SCHOOLS = "jobs_schools", _("就业就学")
    VISITS = "visits", _("民情走访")
    POVERTY = "poverty", _("扶贫帮困")
    CIVILITY = "civility", _("文明创建")
    FESTIVAL = "festival", _("节日慰问")
    YOUTH = "youth", _("关爱青少年")
    ELDERLY = "elderly", _("关爱空巢老人")
    OTHER = "other", _("其他")


class Claimants(models.TextChoices):
    UNITS = "units", _("单位党组织")
    MEMBERS = "members", _("在职党员")
    BOTH = "both", _("单位和党员均可")


class OpenClosed(models.TextChoices):
    OPEN = "open", _("认领中")
    CLOSED = "closed", _("已结束")


class ClaimMode(models.TextChoices):
    SELF = "self", _("自主认领")
    ASSIGNED = "assigned", _("指定认领")


class WishStatus(models.TextChoices):
    OPEN = "open", _("待认领")
    CLAIMED = "claimed", _("已认领")
    FULFILLED = "fulfilled", _("已圆梦")
    CONFIRMED = "confirmed", _("社区已确认")


class WhistleKind(models.TextChoices):
    EPIDEMIC = "epidemic", _("疫情防控卡点")
    FLOOD = "flood", _("防汛抢险")
    CIVILITY = "civility", _("文明创建")
    OTHER = "other", _("其他急难事项")


class HourStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    VERIFIED = "verified", _("已认定")
    REJECTED = "rejected", _("已退回")


MEMBER_QUARTER_TARGET_HOURS = 10
UNIT_YEAR_TARGET_PROJECTS = 2
UNIT_QUARTER_TARGET_ACTIVITIES = 1
