"""seed_demo: demo data for every app, idempotent for a given seed.

Each installed project app may provide ``<app>/demo.py`` with
``seed(*, seed: int, branches: int, stdout)``; they run in INSTALLED_APPS order
(pairing, accounts, activities, volunteers, reports), so later apps build on earlier ones.
The command lives in ``reports`` because that app alone may depend on all the others.
"""

import importlib
import importlib.util

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import print_logins

PROJECT_APPS = ("pairing", "accounts", "activities", "volunteers", "reports")


class Command(BaseCommand):
    help = "Load demo data: the Xinyang region tree, branches, and one demo account per role."

    def add_arguments(self, parser):
        parser.add_argument("--branches", type=int, default=3000, help="number of branches (0: regions and staff only)")
        parser.add_argument("--seed", type=int, default=2022, help="random seed; the same seed gives the same data")

    def handle(self, *args, branches: int, seed: int, **options):
        if branches < 0:
            raise CommandError("--branches must be 0 or more")
        for app_config in apps.get_app_configs():
            if app_config.name not in PROJECT_APPS:
                continue
            module_name = f"{app_config.name}.demo"
            if importlib.util.find_spec(module_name) is None:
                continue
            self.stdout.write(f"{app_config.verbose_name} ({app_config.name})")
            importlib.import_module(module_name).seed(seed=seed, branches=branches, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        print_logins(self.stdout)
