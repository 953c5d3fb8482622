"""Export the branches of a city to a roster (.xlsx) that ``import_branches`` reads back unchanged."""

from django.core.management.base import BaseCommand

from pairing.roster.exports import city_branches, roster_export

from .import_branches import resolve_city


class Command(BaseCommand):
    help = "Export a city's branches to a roster .xlsx in the import format."

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, help="the .xlsx file to write")
        parser.add_argument("--city", help="the city (default: the only city)")

    def handle(self, *args, output: str, city: str | None, **options):
        region = resolve_city(city)
        count = roster_export(city_branches(city=region).iterator(chunk_size=2000), user=None, target=output)
        self.stdout.write(f"exported {count} branches to {output}")
