"""The programme's figures, each computed by grouped aggregate queries in the database.

Every function takes the branches of a region (already restricted) and a grouping
field (``"level"``, ``"county__name"``, ``"township__name"``, or ``None`` for the region
as a whole) and returns ``{group: figures}``: one query per figure however many
branches there are.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from pairing.choices import HELPER_KINDS, PARTNER_KINDS
from pairing.models import Branch, OptimisationCampaign, OptimisationRecord, Pairing

from .rates import truncated_rate

WHOLE = "__all__"


def _grouped(queryset: QuerySet, group: str | None, **aggregates) -> dict[str, dict]:
    if group is None:
        return {WHOLE: queryset.aggregate(**aggregates)}
    rows = queryset.order_by().values(group).annotate(**aggregates)
    return {(row.pop(group) or ""): row for row in rows}


def pairing_active_on(day: datetime.date, prefix: str = "") -> Q:
    """A pairing counts on a day if it had started and was not yet dissolved."""
    return Q(**{f"{prefix}started_on__lte": day}) & (
        Q(**{f"{prefix}dissolved_on__isnull": True}) | Q(**{f"{prefix}dissolved_on__gt": day})
    )


def optimisation(
    branches: QuerySet[Branch], *, campaign: OptimisationCampaign | None, as_of: datetime.date, group: str | None
) -> dict[str, dict]:
    """优化率: branches with an optimisation record in the campaign by ``as_of`` ÷ branches.

    Without a campaign nothing matches (``campaign_id IS NULL`` never holds), so the rate is 0.
    """
    records = OptimisationRecord.objects.filter(branch=OuterRef("pk"), campaign=campaign, done_on__lte=as_of)
    result = _grouped(branches, group, total=Count("pk"), optimised=Count("pk", filter=Q(Exists(records))))
    for row in result.values():
        row["rate"] = truncated_rate(row["optimised"], row["total"])
    return result


def coverage(branches: QuerySet[Branch], *, as_of: datetime.date, group: str | None) -> dict[str, dict]:
    """结对覆盖率: partner branches with an active pairing in the current campaign ÷ partner branches;
    and helpers engaged ÷ helper branches."""
    current = Pairing.objects.filter(pairing_active_on(as_of), campaign__is_current=True)
    partners = _grouped(
        branches.filter(kind__in=PARTNER_KINDS),
        group,
        total=Count("pk"),
        paired=Count("pk", filter=Q(Exists(current.filter(partner=OuterRef("pk"))))),
    )
    helpers = _grouped(
        branches.filter(kind__in=HELPER_KINDS),
        group,
        helpers=Count("pk"),
        helpers_engaged=Count("pk", filter=Q(Exists(current.filter(helper=OuterRef("pk"))))),
    )
    result = {}
    for key in partners.keys() | helpers.keys():
        row = {"paired": 0, "total": 0, "helpers_engaged": 0, "helpers": 0}
        row.update(partners.get(key, {}))
        row.update(helpers.get(key, {}))
        row["rate"] = truncated_rate(row["paired"], row["total"])
        row["helpers_rate"] = truncated_rate(row["helpers_engaged"], row["helpers"])
        result[key] = row
    return result
