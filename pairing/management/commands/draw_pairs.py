"""draw_pairs: run (or preview) the strong-helps-weak draw for a county or the city level."""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pairing.choices import GRADE_NAMES, RegionLevel
from pairing.models import Region
from pairing.services import draw as draw_services


class Command(BaseCommand):
    help = "Draw pairs for a county (--county 商城县) or the city level (--county 信阳市)."

    def add_arguments(self, parser):
        parser.add_argument("--county", required=True, help="county name, or the city's name for the city level")
        parser.add_argument("--seed", type=int, required=True, help="random seed (recorded with the draw)")
        parser.add_argument("--dry-run", action="store_true", help="preview only: write nothing")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, county: str, seed: int, dry_run: bool, json: bool, **options):
        regions = list(Region.objects.filter(name=county, level__in=[RegionLevel.CITY, RegionLevel.COUNTY]))
        if len(regions) != 1:
            raise CommandError(f"no single county or city named {county!r} ({len(regions)} found)")
        region = regions[0]
        try:
            if dry_run:
                preview = draw_services.draw_preview(region=region, seed=seed, acting_user=None)
                draw_id, result = None, preview.result.as_dict()
            else:
                draw = draw_services.draw_confirm(region=region, seed=seed, fingerprint=None, acting_user=None)
                draw_id, result = draw.pk, draw.result
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages))
        if json:
            self.stdout.write(_as_json(draw_id, result))
            return
        pairs = result["pairs"]
        doubles = sum(1 for p in pairs if p["double"])
        verb = "would pair" if dry_run else f"draw {draw_id} paired"
        self.stdout.write(
            f"{region.name}: {verb} {len(pairs)} ({doubles} 一帮二); unpaired helpers "
            f"{len(result['unpaired_helpers'])}, unpaired partners {len(result['unpaired_partners'])}"
        )


def _as_json(draw_id: int | None, result: dict) -> str:
    label = GRADE_NAMES  # the JSON is fixed whatever the active language
    data = {
        "draw": draw_id,
        "pairs": [
            {
                "helper": p["helper"],
                "helper_grade": label[p["helper_grade"]],
                "partner": p["partner"],
                "partner_grade": label[p["partner_grade"]],
                "double": p["double"],
            }
            for p in result["pairs"]
        ],
        "unpaired_helpers": result["unpaired_helpers"],
        "unpaired_partners": result["unpaired_partners"],
    }
    return json.dumps(data, ensure_ascii=False)
