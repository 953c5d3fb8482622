"""双报到、双服务: registrations at a community, the demand list, claims, micro-wishes,
whistles and volunteer hours.

A community is a community branch (``Branch`` of kind 社区); every row here hangs off one,
so the scope rule reaches it through ``community__`` (see ``pairing.scope.community_q``).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from twinning.models import FastChoiceDisplay

from .choices import (
    LIVE_REGISTRATION,
    Claimants,
    ClaimMode,
    HourStatus,
    OpenClosed,
    ProjectCategory,
    RegistrationKind,
    RegistrationStatus,
    WhistleKind,
    WishStatus,
)
from .querysets import CommunityRowQuerySet, HourEntryQuerySet, RegistrationQuerySet

COMMUNITY = "pairing.Branch"


class Registration(FastChoiceDisplay, models.Model):
    """A registration (报到) at a community: a unit Party organisation (its helper-side branch)
    with a co-building agreement (共驻共建协议), or an in-service member with skills.

    A member holds at most one pending/accepted registration; moving is a new registration
    and the old one is ended, so the history stays.
    """

    kind = models.CharField(_("报到类型"), max_length=16, choices=RegistrationKind.choices)
    community = models.ForeignKey(
        COMMUNITY, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="volunteer_registrations"
    )
    branch = models.ForeignKey(
        COMMUNITY,
        verbose_name=_("单位党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="community_registrations",
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("在职党员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="volunteer_registrations",
    )
    skills = models.CharField(_("特长"), max_length=200, blank=True)
    preferences = models.CharField(_("服务意向"), max_length=200, blank=True)
    agreement = models.FileField(_("共驻共建协议"), upload_to="volunteers/agreements/%Y/", blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=RegistrationStatus.choices, default=RegistrationStatus.PENDING
    )
    decline_reason = models.CharField(_("未通过原因"), max_length=200, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("报到人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    ended_at = models.DateTimeField(_("转出时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("报到时间"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("报到")
        verbose_name_plural = _("报到")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="unit", branch__isnull=False, member__isnull=True))
                | Q(kind="member", member__isnull=False, branch__isnull=True),
                name="volreg_unit_or_member",
            ),
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status__in=list(LIVE_REGISTRATION), member__isnull=False),
                name="volreg_one_live_per_member",
            ),
            models.UniqueConstraint(
                fields=["community", "branch"],
                condition=Q(status__in=list(LIVE_REGISTRATION), branch__isnull=False),
                name="volreg_one_live_per_unit_and_community",
            ),
        ]
        indexes = [models.Index(fields=["community", "status"])]

    def __str__(self) -> str:
        return f"{self.claimant_label} → {self.community.name}"

    @property
    def claimant_label(self) -> str:
        return self.branch.name if self.kind == RegistrationKind.UNIT else self.member.label


class Project(FastChoiceDisplay, models.Model):
    """A service project (服务项目) on a community's demand list (需求清单)."""

    community = models.ForeignKey(
        COMMUNITY, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="service_projects"
    )
    title = models.CharField(_("项目名称"), max_length=100)
    category = models.CharField(_("类别"), max_length=20, choices=ProjectCategory.choices)
    description = models.TextField(_("服务内容"), blank=True)
    place = models.CharField(_("地点"), max_length=100)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    # At least one: the validator says so on the field (form, service); the constraint guards the table.
    places = models.PositiveSmallIntegerField(
        _("需认领数"), validators=[MinValueValidator(1)], help_text=_("可认领的单位或党员数量")
    )
    claimants = models.CharField(_("认领对象"), max_length=16, choices=Claimants.choices, default=Claimants.BOTH)
    status = models.CharField(_("状态"), max_length=16, choices=OpenClosed.choices, default=OpenClosed.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    objects = CommunityRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务项目")
        verbose_name_plural = _("服务项目")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(places__gte=1), name="volproject_places_positive"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="volproject_ends_after_start"),
        ]
        indexes = [models.Index(fields=["community", "status"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("volunteers:project_detail", args=[self.pk])

    def clean(self) -> None:
        # The rule of volproject_ends_after_start, said on the field (the form and the service run it).
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("结束日期不能早于开始日期。")})


class Claim(FastChoiceDisplay, models.Model):
    """A claim (认领) of a project by a registered unit or member; at most ``project.places`` per project."""

    project = models.ForeignKey(Project, verbose_name=_("服务项目"), on_delete=models.CASCADE, related_name="claims")
    registration = models.ForeignKey(
        Registration, verbose_name=_("认领方"), on_delete=models.PROTECT, related_name="claims"
    )
    mode = models.CharField(_("认领方式"), max_length=16, choices=ClaimMode.choices)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("认领时间"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = _("认领")
        verbose_name_plural = _("认领")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "registration"], name="volclaim_once_per_claimant"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} → {self.project_id}"


class Wish(FastChoiceDisplay, models.Model):
    """A resident's micro-wish (微心愿): entered by the community, claimed by one member,
    fulfilled with a note and photo, confirmed by the community. The resident's name is
    personal data: shown masked to everyone but the community and the claiming member."""

    community = models.ForeignKey(COMMUNITY, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="wishes")
    title = models.CharField(_("心愿"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    resident_name = models.CharField(_("群众姓名"), max_length=50)
    status = models.CharField(_("状态"), max_length=16, choices=WishStatus.choices, default=WishStatus.OPEN)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("认领党员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claimed_wishes",
    )
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    fulfil_note = models.TextField(_("圆梦情况"), blank=True)
    photo = models.ImageField(_("圆梦照片"), upload_to="volunteers/wishes/%Y/", blank=True)
    fulfilled_at = models.DateTimeField(_("圆梦时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    objects = CommunityRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("微心愿")
        verbose_name_plural = _("微心愿")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", claimed_by__isnull=True) | (~Q(status="open") & Q(claimed_by__isnull=False)),
                name="volwish_claimed_has_member",
            ),
        ]
        indexes = [models.Index(fields=["community", "status"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("volunteers:wish_detail", args=[self.pk])


class Whistle(FastChoiceDisplay, models.Model):
    """An urgent call (吹哨) by a community; registered units and members respond (报到)."""

    community = models.ForeignKey(COMMUNITY, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="whistles")
    kind = models.CharField(_("事项类别"), max_length=16, choices=WhistleKind.choices)
    title = models.CharField(_("事项"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    place = models.CharField(_("集合地点"), max_length=100)
    happens_on = models.DateField(_("日期"))
    # At least one: the validator says so on the field (form, service); the constraint guards the table.
    places = models.PositiveSmallIntegerField(_("需要人数"), validators=[MinValueValidator(1)])
    status = models.CharField(_("状态"), max_length=16, choices=OpenClosed.choices, default=OpenClosed.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("吹哨人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("吹哨时间"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    objects = CommunityRowQuerySet.as_manager()

    class Meta:
        verbose_name = _("吹哨")
        verbose_name_plural = _("吹哨")
        ordering = ["-happens_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(places__gte=1), name="volwhistle_places_positive")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("volunteers:whistle_detail", args=[self.pk])


class WhistleResponse(FastChoiceDisplay, models.Model):
    """A registered unit or member answering a whistle (报到); at most ``whistle.places``."""

    whistle = models.ForeignKey(Whistle, verbose_name=_("吹哨"), on_delete=models.CASCADE, related_name="responses")
    registration = models.ForeignKey(
        Registration, verbose_name=_("报到方"), on_delete=models.PROTECT, related_name="whistle_responses"
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("响应时间"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = _("吹哨响应")
        verbose_name_plural = _("吹哨响应")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["whistle", "registration"], name="volresponse_once_per_registration"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} → {self.whistle_id}"


class HourEntry(FastChoiceDisplay, models.Model):
    """Volunteer hours (志愿服务时长) a member records against one project, wish or whistle;
    they count only once the community secretary has verified them."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="volunteer_hours"
    )
    community = models.ForeignKey(
        COMMUNITY, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="volunteer_hours"
    )
    project = models.ForeignKey(
        Project, verbose_name=_("服务项目"), null=True, blank=True, on_delete=models.PROTECT, related_name="hours"
    )
    wish = models.ForeignKey(
        Wish, verbose_name=_("微心愿"), null=True, blank=True, on_delete=models.PROTECT, related_name="hours"
    )
    whistle = models.ForeignKey(
        Whistle, verbose_name=_("吹哨"), null=True, blank=True, on_delete=models.PROTECT, related_name="hours"
    )
    served_on = models.DateField(_("服务日期"))
    starts_at = models.TimeField(_("开始时间"))
    ends_at = models.TimeField(_("结束时间"))
    minutes = models.PositiveIntegerField(_("时长（分钟）"))
    description = models.CharField(_("服务内容"), max_length=300)
    status = models.CharField(_("状态"), max_length=16, choices=HourStatus.choices, default=HourStatus.PENDING)
    reject_reason = models.CharField(_("退回原因"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("填报时间"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    objects = HourEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿服务时长")
        verbose_name_plural = _("志愿服务时长")
        ordering = ["-served_on", "-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="volhours_end_after_start"),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="volhours_minutes_positive"),
            models.CheckConstraint(
                condition=Q(project__isnull=False, wish__isnull=True, whistle__isnull=True)
                | Q(project__isnull=True, wish__isnull=False, whistle__isnull=True)
                | Q(project__isnull=True, wish__isnull=True, whistle__isnull=False),
                name="volhours_one_target",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reason=""), name="volhours_rejected_has_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["member", "served_on"]),
            models.Index(fields=["community", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.served_on} {self.minutes}"

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    @property
    def target(self):
        return self.project or self.wish or self.whistle
