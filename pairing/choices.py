"""Enumerations of the twinning domain (the words come from the seed articles)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    CITY = "city", _("市")
    COUNTY = "county", _("县/区")
    TOWNSHIP = "township", _("乡镇/街道")
    VILLAGE = "village", _("村")
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")


class UnitLevel(models.TextChoices):
    CITY = "city", _("市直")
    COUNTY = "county", _("县区")


class BranchKind(models.TextChoices):
    ORGAN = "organ", _("机关")
    ENTERPRISE = "enterprise", _("企业")
    INSTITUTION = "institution", _("事业")
    VILLAGE = "village", _("农村")
    COMMUNITY = "community", _("社区")
    OTHER = "other", _("其他")


# The helping side ("顶针", thimble) and the helped side ("针", needle) of a pairing.
HELPER_KINDS = (BranchKind.ORGAN, BranchKind.ENTERPRISE, BranchKind.INSTITUTION)
PARTNER_KINDS = (BranchKind.VILLAGE, BranchKind.COMMUNITY)


class Grade(models.TextChoices):
    """好/中/差 = strong/medium/weak. Stored as a rank so that sorting is strength order."""

    GOOD = "good", _("好")
    MEDIUM = "medium", _("中")
    WEAK = "weak", _("差")


GRADE_STRENGTH = {Grade.GOOD: 3, Grade.MEDIUM: 2, Grade.WEAK: 1}

# The Chinese names of these choices, fixed whatever the UI language: the roster file format, the
# draw command's JSON and the keys of stored snapshot figures spell them out, so they are written
# here rather than taken from the (translatable) labels.
BRANCH_KIND_NAMES = {
    BranchKind.ORGAN: "机关",
    BranchKind.ENTERPRISE: "企业",
    BranchKind.INSTITUTION: "事业",
    BranchKind.VILLAGE: "农村",
    BranchKind.COMMUNITY: "社区",
    BranchKind.OTHER: "其他",
}
UNIT_LEVEL_NAMES = {UnitLevel.CITY: "市直", UnitLevel.COUNTY: "县区"}
GRADE_NAMES = {Grade.GOOD: "好", Grade.MEDIUM: "中", Grade.WEAK: "差"}


class OptimisationAction(models.TextChoices):
    REELECTION = "reelection", _("换届选举")
    SECRETARY_REPLACED = "secretary_replaced", _("调整书记")
    SECRETARY_STRENGTHENED = "secretary_strengthened", _("选优配强书记")
    COMMITTEE_STRENGTHENED = "committee_strengthened", _("充实支委班子")
    OTHER = "other", _("其他")


class Role(models.TextChoices):
    STAFF = "staff", _("组织部工作人员")
    SECRETARY = "secretary", _("支部书记")
    COMMUNITY_SECRETARY = "community_secretary", _("社区党组织书记")
    MEMBER = "member", _("在职党员")
    LEADER = "leader", _("领导")


REGION_SCOPED_ROLES = (Role.STAFF, Role.LEADER)
BRANCH_SCOPED_ROLES = (Role.SECRETARY, Role.COMMUNITY_SECRETARY)


class PairingStatus(models.TextChoices):
    ACTIVE = "active", _("结对中")
    DISSOLVED = "dissolved", _("已解除")


class PairingMethod(models.TextChoices):
    DRAW = "draw", _("随机抽签")
    MANUAL = "manual", _("人工结对")
    UNIT_COMMUNITY = "unit_community", _("单位联社区")


class DrawLevel(models.TextChoices):
    COUNTY = "county", _("县区抽签")
    CITY = "city", _("市直单位联中心城区社区")


class RosterImportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
