"""build_reports: compute the report snapshots in-process, optionally printing the headline figures."""

import datetime
import json as jsonlib
import logging

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pairing.choices import RegionLevel
from pairing.models import Region
from reports.services.snapshots import headline_json
from reports.tasks import refresh_snapshots


class Command(BaseCommand):
    help = "Compute the report snapshots for every city as of a date (default today) and print the figures."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default: today in Asia/Shanghai)")
        parser.add_argument("--json", action="store_true", help="print the headline figures as JSON")

    def handle(self, *args, as_of=None, json: bool = False, **options):
        try:
            day = datetime.date.fromisoformat(as_of) if as_of else timezone.localdate()
        except ValueError as exc:
            raise CommandError(f"--as-of must be YYYY-MM-DD, not {as_of!r}") from exc
        cities = list(Region.objects.filter(level=RegionLevel.CITY, parent=None).order_by("path"))
        if not cities:
            raise CommandError("No city in the database: run seed_demo or import a roster first.")
        # The same task the scheduler runs, executed here in-process, without Celery's "Task ...
        # succeeded" log line (the command says so itself below).
        trace_logger = logging.getLogger("celery.app.trace")
        level = trace_logger.level
        trace_logger.setLevel(logging.WARNING)
        try:
            refresh_snapshots.apply(kwargs={"as_of": day.isoformat()}, throw=True)
        finally:
            trace_logger.setLevel(level)
        if json:
            payload = headline_json(city=cities[0], as_of=day)
            self.stdout.write(_dumps(payload))
        else:
            self.stdout.write(self.style.SUCCESS(f"Snapshots built for {len(cities)} city(ies) as of {day}."))


def _dumps(payload) -> str:
    return jsonlib.dumps(payload, ensure_ascii=False, indent=2)
