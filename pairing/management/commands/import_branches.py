"""Import a branch roster (.xlsx) as the system: all rows or none.

Prints ``created X, updated Y, unchanged Z`` and exits 0, or prints every error as
``row R, column C: message`` on stderr and exits 1 having written nothing.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pairing.choices import RegionLevel
from pairing.models import Region
from pairing.services.roster import roster_import


def resolve_city(name: str | None) -> Region:
    """The city named, or the only city in the database."""
    cities = Region.objects.filter(level=RegionLevel.CITY)
    if name:
        city = cities.filter(name=name).first()
        if city is None:
            raise CommandError(f"no city named {name!r}")
        return city
    found = list(cities[:2])
    if len(found) != 1:
        raise CommandError("the database holds %s cities: name one with --city" % ("no" if not found else "several"))
    return found[0]


class Command(BaseCommand):
    help = "Import a branch roster (.xlsx): created/updated/unchanged, or every error and nothing written."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="validate and count, write nothing")
        parser.add_argument("--city", help="the city the roster belongs to (default: the only city)")

    def handle(self, *args, file: Path, dry_run: bool, city: str | None, **options):
        region = resolve_city(city)
        try:
            fileobj = file.open("rb")
        except OSError as exc:
            raise CommandError(f"cannot open {file}: {exc.strerror}")
        with fileobj:
            result = roster_import(fileobj=fileobj, acting_user=None, city=region, commit=not dry_run)
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(result.errors)} error(s); nothing imported", returncode=1)
        self.stdout.write(result.summary())
