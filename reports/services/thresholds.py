"""Saving the dashboard's red/amber/green bands."""

from __future__ import annotations

from django.db import transaction

from pairing.models import Region

from ..models import Threshold


@transaction.atomic
def thresholds_save(*, city: Region, rows: list[dict], acting_user) -> None:
    for row in rows:
        Threshold.objects.update_or_create(
            city=city,
            metric=row["metric"],
            defaults={"green_from": row["green_from"], "amber_from": row["amber_from"], "updated_by": acting_user},
        )
