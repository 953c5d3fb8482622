"""The draw as a service: gather the inputs from the registry, preview, confirm, verify.

A preview writes nothing. Confirming recomputes the inputs inside one transaction and
refuses when they differ from the preview's (someone paired or graded a branch in the
meantime); then it records the ``Draw`` (seed, inputs with grades, result) and creates
its pairings, all or nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from twinning.audit import insert_with_history

from .. import draw_algorithm as algorithm
from .. import scope
from ..choices import HELPER_KINDS, BranchKind, DrawLevel, PairingMethod, PairingStatus, RegionLevel, UnitLevel
from ..models import (
    Branch,
    BranchGrade,
    Draw,
    Pairing,
    PairingCampaign,
    Region,
)
from .pairings import RACE_MESSAGE, campaign_current, require_manager

PARTNER_KINDS_COUNTY = (BranchKind.VILLAGE, BranchKind.COMMUNITY)


@dataclass(frozen=True)
class DrawPreview:
    region: Region
    level: str
    seed: int
    grade_year: int
    inputs: dict
    result: algorithm.DrawResult
    names: dict[str, str]

    @property
    def fingerprint(self) -> str:
        return inputs_fingerprint(self.inputs)


def inputs_fingerprint(inputs: dict) -> str:
    """A short digest of the inputs, carried from the preview page to the confirmation."""
    text = json.dumps(inputs, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def draw_level(region: Region) -> str:
    if region.level == RegionLevel.CITY:
        return DrawLevel.CITY
    if region.level == RegionLevel.COUNTY:
        return DrawLevel.COUNTY
    raise ValidationError({"region": _("只能在县区或市一级抽签。")})


def require_draw_region(user, region: Region) -> None:
    """Staff draw for their own county, or (city staff) for any county of their city and the city level."""
    if user is None or user.is_superuser:
        return
    if not scope.can_manage(user):
        raise PermissionDenied(_("只有组织部工作人员可以抽签。"))
    if not scope.manages_region(user, region):
        raise ValidationError({"region": _("该区域不在您的管辖范围内。")})


def _candidates(*, region: Region, level: str, campaign: PairingCampaign | None):
    """Helpers and partners of a draw, unpaired in the campaign, in code order."""
    if level == DrawLevel.CITY:
        helpers = Branch.objects.filter(city=region, level=UnitLevel.CITY, kind__in=HELPER_KINDS)
        partners = Branch.objects.filter(city=region, kind=BranchKind.COMMUNITY, region__is_central_city=True)
    else:
        helpers = Branch.objects.filter(county=region, level=UnitLevel.COUNTY, kind__in=HELPER_KINDS)
        # Central-city communities take part in the city-level draw, not in their district's.
        partners = Branch.objects.filter(county=region, kind__in=PARTNER_KINDS_COUNTY).exclude(
            region__is_central_city=True
        )
    if campaign is not None:
        active = Pairing.objects.filter(campaign=campaign, status=PairingStatus.ACTIVE)
        helpers = helpers.exclude(Exists(active.filter(helper=OuterRef("pk"))))
        partners = partners.exclude(Exists(active.filter(partner=OuterRef("pk"))))
    return helpers, partners


def _with_grades(queryset, year: int) -> list[tuple[str, str, str | None]]:
    grade = BranchGrade.objects.filter(branch=OuterRef("pk"), year=year).values("grade")[:1]
    return list(queryset.annotate(g=Subquery(grade)).order_by("code").values_list("code", "name", "g"))


def draw_preview(*, region: Region, seed: int, acting_user, exclude_codes: frozenset[str] = frozenset()) -> DrawPreview:
    """Run the draw for a county or the city level without writing anything.

    ``exclude_codes`` leaves branches out (seed_demo uses it to leave some partners uncovered).
    Raises ValidationError naming the ungraded branches.
    """
    require_manager(acting_user)
    require_draw_region(acting_user, region)
    level = draw_level(region)
    city = region if level == DrawLevel.CITY else region.parent
    campaign = campaign_current(city=city, create=False)
    year = timezone.localdate().year
    helpers_qs, partners_qs = _candidates(region=region, level=level, campaign=campaign)
    helpers = [row for row in _with_grades(helpers_qs, year) if row[0] not in exclude_codes]
    partners = [row for row in _with_grades(partners_qs, year) if row[0] not in exclude_codes]
    names = {code: name for code, name, _g in helpers + partners}
    inputs = {"helpers": {c: g for c, _n, g in helpers}, "partners": {c: g for c, _n, g in partners}}
    try:
        result = algorithm.run_draw(helpers=inputs["helpers"], partners=inputs["partners"], seed=seed)
    except algorithm.UngradedError as exc:
        shown = "、".join(f"{names[c]}（{c}）" for c in exc.codes[:20])
        more = _("等 %(count)d 个支部") % {"count": len(exc.codes)} if len(exc.codes) > 20 else ""
        raise ValidationError(
            _("以下支部尚未评定 %(year)d 年度等次，请先评定后再抽签：%(names)s%(more)s")
            % {"year": year, "names": shown, "more": more}
        )
    return DrawPreview(
        region=region, level=level, seed=seed, grade_year=year, inputs=inputs, result=result, names=names
    )


@transaction.atomic
def draw_confirm(
    *,
    region: Region,
    seed: int,
    fingerprint: str | None,
    acting_user,
    exclude_codes: frozenset[str] = frozenset(),
    started_on: datetime.date | None = None,
) -> Draw:
    """Record the draw and create its pairings in one transaction.

    ``fingerprint`` is the preview's; when the inputs changed since then the draw is refused.
    ``None`` skips the comparison (the command line confirms what it computes). The pairings
    start today unless ``started_on`` says otherwise (the demo starts them with the campaign).
    """
    preview = draw_preview(region=region, seed=seed, acting_user=acting_user, exclude_codes=exclude_codes)
    if fingerprint is not None and preview.fingerprint != fingerprint:
        raise ValidationError(
            _("自预览以来，参加抽签的支部或其等次发生了变化（例如有支部刚被结对），请重新预览后再确认。")
        )
    if not preview.result.pairs:
        raise ValidationError(_("没有可以结对的支部。"))
    city = region if preview.level == DrawLevel.CITY else region.parent
    campaign = campaign_current(city=city)
    draw = Draw.objects.create(
        campaign=campaign,
        region=region,
        level=preview.level,
        seed=seed,
        grade_year=preview.grade_year,
        inputs=preview.inputs,
        result=preview.result.as_dict(),
        created_by=acting_user,
    )
    codes = [p.helper for p in preview.result.pairs] + [p.partner for p in preview.result.pairs]
    ids = dict(Branch.objects.filter(code__in=codes).values_list("code", "pk"))
    started_on = started_on or timezone.localdate()
    pairings = [
        Pairing(
            campaign=campaign,
            helper_id=ids[p.helper],
            partner_id=ids[p.partner],
            slot=2 if p.double else 1,
            method=PairingMethod.DRAW if preview.level == DrawLevel.COUNTY else PairingMethod.UNIT_COMMUNITY,
            started_on=started_on,
            draw=draw,
            created_by=acting_user,
        )
        for p in preview.result.pairs
    ]
    try:
        with transaction.atomic():
            insert_with_history(Pairing, pairings, user=acting_user)
    except IntegrityError:
        raise ValidationError(RACE_MESSAGE)
    return draw


def draw_verify(*, draw: Draw) -> bool:
    """Re-run the algorithm from the recorded inputs and seed; True when it gives the recorded result.

    The comparison is field by field on the frozen dataclasses (``Pair`` equality), not through
    ``as_dict()``: ``dataclasses.asdict`` deep-copies every pair and took ~90% of a county draw's
    verification (固始县, 8,103 pairs: ~0.3 s of the detail page), the re-run itself only a few ms.
    """
    try:
        again = algorithm.run_draw(
            helpers=draw.inputs.get("helpers", {}), partners=draw.inputs.get("partners", {}), seed=draw.seed
        )
        recorded = algorithm.DrawResult.from_dict(draw.result)
    except (algorithm.UngradedError, TypeError):
        return False
    return again == recorded
