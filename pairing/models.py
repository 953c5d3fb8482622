"""The registry: regions, units, branches, yearly grades, optimisation, and pairings."""

import re
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from twinning.models import FastChoiceDisplay

from .choices import (
    HELPER_KINDS,
    PARTNER_KINDS,
    BranchKind,
    DrawLevel,
    Grade,
    OptimisationAction,
    PairingMethod,
    PairingStatus,
    RegionLevel,
    RosterImportStatus,
    UnitLevel,
)
from .querysets import BranchQuerySet, DrawQuerySet, PairingQuerySet, RegionQuerySet, UnitQuerySet

PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


def phone_error(phone: str) -> str | None:
    """The one phone rule (the page, the API and the roster): an 11-digit mobile or a landline with its area code."""
    if phone and not PHONE_RE.match(phone):
        return _("请填写11位手机号或带区号的固定电话，例如 13812345678 或 0376-6221234。")
    return None


def branch_place_errors(*, level: str, county_id: int | None, township: "Region | None") -> dict[str, str]:
    """The rules of where a branch lies, whoever writes it (``Branch.clean``, and the roster row by row):
    a county-level branch has its county; a township needs a county and lies inside it."""
    errors = {}
    if level == UnitLevel.COUNTY and county_id is None:
        errors["county"] = _("层级为县区的支部必须选择县区。")
    if township is not None:
        if county_id is None:
            errors["township"] = _("填写乡镇街道时必须同时填写县区。")
        elif township.parent_id != county_id:
            errors["township"] = _("乡镇街道不属于所选县区。")
    return errors


class Region(FastChoiceDisplay, models.Model):
    """A node of the region tree 市 → 县/区 → 乡镇/街道 → 村/社区 → 网格.

    ``path`` is a materialised path of zero-padded ids ("000001/000007/") so that a
    subtree is one indexed prefix lookup.
    """

    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("路径"), max_length=255, editable=False, db_index=True, default="")
    is_central_city = models.BooleanField(
        _("中心城区"), default=False, help_text=_("中心城区的街道与社区参加市直单位联社区")
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="region_unique_name_under_parent"),
            models.UniqueConstraint(fields=["name"], condition=Q(parent__isnull=True), name="region_unique_root_name"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        path = (self.parent.path if self.parent_id else "") + f"{self.pk:06d}/"
        if path != self.path:
            self.path = path
            super().save(update_fields=["path"])

    @property
    def depth(self) -> int:
        return self.path.count("/")


class Unit(FastChoiceDisplay, models.Model):
    """A unit (单位): 市直 (city-level) or 县直 (county-level) organ, enterprise or institution."""

    name = models.CharField(_("单位名称"), max_length=120)
    level = models.CharField(_("层级"), max_length=16, choices=UnitLevel.choices)
    city = models.ForeignKey(Region, verbose_name=_("市"), on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(
        Region, verbose_name=_("县区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["city", "name"], name="unit_unique_name_in_city")]

    def __str__(self) -> str:
        return self.name


# What a person edits on a branch, on the page (BranchForm) and through the API (BranchSerializer).
BRANCH_EDITABLE_FIELDS = [
    "code",
    "name",
    "kind",
    "level",
    "county",
    "township",
    "unit",
    "secretary_name",
    "secretary_phone",
    "member_count",
]


class Branch(FastChoiceDisplay, models.Model):
    """A Party branch (党支部). ``county`` is empty for 市直 branches."""

    code = models.CharField(_("支部编码"), max_length=40, unique=True)
    name = models.CharField(_("支部名称"), max_length=150)
    kind = models.CharField(_("支部类型"), max_length=16, choices=BranchKind.choices)
    level = models.CharField(_("层级"), max_length=16, choices=UnitLevel.choices)
    city = models.ForeignKey(Region, verbose_name=_("市"), on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey(
        Region, verbose_name=_("县区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    township = models.ForeignKey(
        Region, verbose_name=_("乡镇街道"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("村/社区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="branches",
        help_text=_("农村、社区支部所在的村或社区"),
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("所属单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="branches"
    )
    secretary_name = models.CharField(_("书记"), max_length=50, blank=True)
    secretary_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    member_count = models.PositiveIntegerField(_("党员数"), default=0)
    # Whether the branch has a record in a current optimisation campaign (本批次已优化), kept by
    # ``refresh_optimised``: "未优化 in a county" is then a range of a small index, where testing
    # the records probed every branch of the county (16,000 probes, 45 ms at 200,000 branches).
    optimised = models.BooleanField(_("本批次已优化"), default=False, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at", "optimised"])

    objects = BranchQuerySet.as_manager()

    class Meta:
        verbose_name = _("党支部")
        verbose_name_plural = _("党支部")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level=UnitLevel.CITY) | Q(county__isnull=False), name="branch_county_level_has_county"
            ),
        ]
        indexes = [
            models.Index(fields=["county", "kind"]),
            models.Index(fields=["city", "level", "kind"]),
            models.Index(fields=["township"]),
            models.Index(fields=["name"]),
            # A county's branches in code order, one page at a time (activities.selectors.pairing_page).
            models.Index(fields=["county", "code"], name="pairing_branch_county_code"),
            # The branches not yet optimised, in code order, in a county or a city (the 未优化 filter).
            models.Index(fields=["county", "code"], condition=Q(optimised=False), name="branch_county_unoptimised"),
            models.Index(fields=["city", "code"], condition=Q(optimised=False), name="branch_city_unoptimised"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def get_absolute_url(self) -> str:
        return reverse("pairing:branch_detail", args=[self.pk])

    def clean(self) -> None:
        """The branch's own rules (place and phone); the form, the API and the registry services get here
        through ``full_clean``. Who may put a branch where is the service's (``registry.branch_placement_errors``)."""
        self.secretary_phone = "".join((self.secretary_phone or "").split())
        errors = branch_place_errors(level=self.level, county_id=self.county_id, township=self.township)
        if message := phone_error(self.secretary_phone):
            errors["secretary_phone"] = message
        if errors:
            raise ValidationError(errors)

    @classmethod
    def refresh_optimised(cls, *, ids: Iterable[int] | None = None, city_id: int | None = None) -> int:
        """Set ``optimised`` from the records, for the branches ``ids`` or of the city ``city_id``.

        The services that change records or campaigns call this (``pairing.services.registry``'s
        ``optimisation_*``, the roster import, the demo seed); a plain ``save()`` does not. Only
        branches whose flag changes are written, without history (the flag is derived).
        """
        branches = cls.objects.all()
        if ids is not None:
            branches = branches.filter(pk__in=list(ids))
        if city_id is not None:
            branches = branches.filter(city_id=city_id)
        current = models.Exists(
            OptimisationRecord.objects.filter(branch=models.OuterRef("pk"), campaign__is_current=True)
        )
        made = branches.filter(current, optimised=False).update(optimised=True)
        return made + branches.filter(~current, optimised=True).update(optimised=False)

    @property
    def is_helper_side(self) -> bool:
        return self.kind in HELPER_KINDS

    @property
    def is_partner_side(self) -> bool:
        return self.kind in PARTNER_KINDS


class BranchGrade(FastChoiceDisplay, models.Model):
    """A branch's grade 好/中/差 for one year; the rows together are its grading history."""

    branch = models.ForeignKey(Branch, verbose_name=_("党支部"), on_delete=models.CASCADE, related_name="grades")
    year = models.PositiveSmallIntegerField(_("年度"))
    grade = models.CharField(_("等次"), max_length=8, choices=Grade.choices)
    graded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评定人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    graded_at = models.DateTimeField(_("评定时间"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("等次评定")
        verbose_name_plural = _("等次评定")
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["branch", "year"], name="grade_unique_branch_year")]
        indexes = [models.Index(fields=["year", "grade"])]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.year} {self.get_grade_display()}"


class OptimisationCampaign(models.Model):
    """A round of branch optimisation (支部优化) in a city, e.g. "2022年支部优化提升"."""

    name = models.CharField(_("名称"), max_length=100)
    city = models.ForeignKey(Region, verbose_name=_("市"), on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    is_current = models.BooleanField(_("当前批次"), default=True)

    class Meta:
        verbose_name = _("优化批次")
        verbose_name_plural = _("优化批次")
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["city", "name"], name="optcampaign_unique_name"),
            models.UniqueConstraint(
                fields=["city"], condition=Q(is_current=True), name="optcampaign_one_current_per_city"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OptimisationRecord(FastChoiceDisplay, models.Model):
    """One optimisation step for a branch; a branch with any record in a campaign is optimised in it."""

    branch = models.ForeignKey(Branch, verbose_name=_("党支部"), on_delete=models.CASCADE, related_name="optimisations")
    campaign = models.ForeignKey(
        OptimisationCampaign, verbose_name=_("优化批次"), on_delete=models.PROTECT, related_name="records"
    )
    action = models.CharField(_("优化内容"), max_length=32, choices=OptimisationAction.choices)
    done_on = models.DateField(_("完成日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("优化记录")
        verbose_name_plural = _("优化记录")
        ordering = ["-done_on"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "campaign", "action"], name="optrecord_unique_action"),
        ]
        indexes = [models.Index(fields=["campaign", "branch"])]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.get_action_display()}"


class PairingCampaign(models.Model):
    """A twinning programme in a city, e.g. "2022 信阳市支部联支部"."""

    name = models.CharField(_("名称"), max_length=100)
    city = models.ForeignKey(Region, verbose_name=_("市"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    starts_on = models.DateField(_("开始日期"))
    is_current = models.BooleanField(_("当前活动"), default=True)

    class Meta:
        verbose_name = _("结对活动")
        verbose_name_plural = _("结对活动")
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["city", "name"], name="paircampaign_unique_name"),
            models.UniqueConstraint(
                fields=["city"], condition=Q(is_current=True), name="paircampaign_one_current_per_city"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Draw(FastChoiceDisplay, models.Model):
    """A confirmed strong-helps-weak draw (以强带弱、随机方式固定结对) for a county or the city level.

    ``inputs`` records the branches that took part with their grades and ``result`` the
    pairs, so that anyone in scope can re-run :func:`pairing.draw_algorithm.run_draw` from the
    inputs and seed and check that it gives the recorded result.
    """

    campaign = models.ForeignKey(
        PairingCampaign, verbose_name=_("结对活动"), on_delete=models.PROTECT, related_name="draws"
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("抽签范围"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("县区抽签为该县区；市级抽签为市"),
    )
    level = models.CharField(_("抽签类型"), max_length=16, choices=DrawLevel.choices)
    seed = models.BigIntegerField(_("随机种子"))
    grade_year = models.PositiveSmallIntegerField(_("等次年度"))
    inputs = models.JSONField(_("参加抽签的支部"), default=dict)
    result = models.JSONField(_("抽签结果"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("抽签时间"), auto_now_add=True)

    objects = DrawQuerySet.as_manager()

    class Meta:
        verbose_name = _("结对抽签")
        verbose_name_plural = _("结对抽签")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["campaign", "region"])]

    def __str__(self) -> str:
        return f"{self.region} {self.created_at:%Y-%m-%d} #{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("pairing:draw_detail", args=[self.pk])


class Pairing(FastChoiceDisplay, models.Model):
    """A fixed one-to-one pairing of a helper branch (机关/企业/事业) with a partner (农村/社区).

    The database settles races: in a campaign a partner has at most one active
    pairing, and a helper at most two, the second only in ``slot`` 2 ("一帮二").
    """

    campaign = models.ForeignKey(
        PairingCampaign, verbose_name=_("结对活动"), on_delete=models.PROTECT, related_name="pairings"
    )
    helper = models.ForeignKey(
        Branch, verbose_name=_("帮扶支部"), on_delete=models.PROTECT, related_name="helper_pairings"
    )
    partner = models.ForeignKey(
        Branch, verbose_name=_("结对支部"), on_delete=models.PROTECT, related_name="partner_pairings"
    )
    slot = models.PositiveSmallIntegerField(_("帮扶序号"), default=1, help_text=_("2 表示一帮二的第二个结对"))
    method = models.CharField(_("结对方式"), max_length=16, choices=PairingMethod.choices)
    status = models.CharField(_("状态"), max_length=16, choices=PairingStatus.choices, default=PairingStatus.ACTIVE)
    started_on = models.DateField(_("结对日期"))
    dissolved_on = models.DateField(_("解除日期"), null=True, blank=True)
    dissolve_reason = models.CharField(_("解除原因"), max_length=300, blank=True)
    agreement = models.FileField(_("联建协议"), upload_to="agreements/%Y/", blank=True)
    liaison_officers = models.CharField(_("联络员"), max_length=300, blank=True)
    part_time_secretary = models.CharField(_("兼职书记"), max_length=100, blank=True)
    invited_members = models.CharField(_("特邀委员"), max_length=300, blank=True)
    draw = models.ForeignKey(
        Draw, verbose_name=_("抽签"), null=True, blank=True, on_delete=models.PROTECT, related_name="pairings"
    )
    double_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("一帮二审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    double_approved_at = models.DateTimeField(_("一帮二审核时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["created_at"])

    objects = PairingQuerySet.as_manager()

    class Meta:
        verbose_name = _("结对")
        verbose_name_plural = _("结对")
        ordering = ["-started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "partner"],
                condition=Q(status="active"),
                name="pairing_one_active_per_partner",
            ),
            models.UniqueConstraint(
                fields=["campaign", "helper", "slot"],
                condition=Q(status="active"),
                name="pairing_helper_slot_unique",
            ),
            models.CheckConstraint(condition=Q(slot__in=[1, 2]), name="pairing_slot_one_or_two"),
            models.CheckConstraint(
                condition=Q(status="active") | Q(dissolved_on__isnull=False),
                name="pairing_dissolved_has_date",
            ),
            models.CheckConstraint(condition=~Q(helper=models.F("partner")), name="pairing_not_self"),
        ]
        indexes = [
            models.Index(fields=["helper", "status"]),
            models.Index(fields=["partner", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.helper.name} ↔ {self.partner.name}"

    def get_absolute_url(self) -> str:
        return reverse("pairing:pairing_detail", args=[self.pk])

    @property
    def is_double(self) -> bool:
        return self.slot == 2

    @property
    def is_active(self) -> bool:
        return self.status == PairingStatus.ACTIVE

    @property
    def awaits_double_review(self) -> bool:
        return self.is_double and self.is_active and self.double_approved_at is None


class RosterImport(FastChoiceDisplay, models.Model):
    """One confirmed roster upload (名册导入), imported by a Celery task while the uploader watches this row.

    The file waits under ``MEDIA_ROOT/roster_uploads/<upload>.xlsx`` (no URL serves it) and is
    deleted once the task has run, whatever the outcome; ``upload`` is then blank. ``region`` is
    the importer's city or county: staff of that region see the run too.
    """

    Status = RosterImportStatus

    region = models.ForeignKey(Region, verbose_name=_("区域"), on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    filename = models.CharField(_("文件"), max_length=255)
    upload = models.CharField(max_length=32, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveIntegerField(_("进度"), default=0)
    total = models.PositiveIntegerField(_("总步数"), default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error = models.TextField(_("错误"), blank=True)
    errors = models.JSONField(default=list, blank=True)  # [[row, column, message], ...], the first ERROR_LIMIT
    error_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("发起时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("名册导入")
        verbose_name_plural = _("名册导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} {self.status}"

    def get_absolute_url(self) -> str:
        return reverse("pairing:roster_import_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, int(self.progress * 100 / self.total)) if self.total else 0
