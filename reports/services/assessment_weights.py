"""Saving a city's assessment weights (each export records the weights it was scored with)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from pairing import scope
from pairing.models import Region
from twinning.audit import save_audited

from ..models import AssessmentWeights


@transaction.atomic
def weights_save(*, city: Region, data: dict, acting_user) -> AssessmentWeights:
    if not scope.can_manage(acting_user):
        raise PermissionDenied
    weights = AssessmentWeights.objects.select_for_update().filter(city=city).first() or AssessmentWeights(city=city)
    for name in AssessmentWeights.COMPONENTS:
        setattr(weights, name, data[name])
    weights.updated_by = acting_user
    save_audited(weights, acting_user=acting_user)
    return weights
