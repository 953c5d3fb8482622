"""export_assessment: write the quarterly assessment workbook (双考核表) of a city or county."""

from django.core.management.base import BaseCommand, CommandError

from pairing.choices import RegionLevel
from pairing.models import Region
from reports.periods import parse_quarter
from reports.selectors.assessment import weights_for
from reports.selectors.dashboard import city_of
from reports.workbook import workbook_write


class Command(BaseCommand):
    help = "Write the quarterly assessment workbook, e.g. --quarter 2024Q3 -o assessment.xlsx"

    def add_arguments(self, parser):
        parser.add_argument("--quarter", required=True, help="YYYYQn, e.g. 2024Q3")
        parser.add_argument("-o", "--output", required=True, help="the .xlsx file to write")
        parser.add_argument("--region", help="a city or county name (default: the first city)")

    def handle(self, *args, quarter: str, output: str, region: str | None = None, **options):
        try:
            period = parse_quarter(quarter)
        except ValueError as exc:
            raise CommandError(f"--quarter must look like 2024Q3, not {quarter!r}") from exc
        regions = Region.objects.filter(level__in=[RegionLevel.CITY, RegionLevel.COUNTY]).order_by("path")
        place = regions.filter(name=region).first() if region else regions.filter(level=RegionLevel.CITY).first()
        if place is None:
            raise CommandError(f"No such city or county: {region!r}" if region else "No city in the database.")
        weights = weights_for(city_of(place))
        summary = workbook_write(region=place, quarter=period, weights=weights, out=output)
        cover = (summary.get("coverage") or {}).get("rate")
        self.stdout.write(self.style.SUCCESS(f"Wrote {output}: {place.name} {quarter}, coverage {cover}."))
