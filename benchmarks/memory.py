"""The bench's memory runs: each operation once in a fresh process (see measure.peak_memory)."""

from __future__ import annotations

import importlib
import json
import resource
import sys


def child() -> None:
    """Entry point of the child: set Django up, run the function named on stdin, print max RSS."""
    import django

    django.setup()
    spec = json.load(sys.stdin)
    module, name = spec["fn"].rsplit(".", 1)
    getattr(importlib.import_module(module), name)(**spec["kwargs"])
    print(json.dumps({"maxrss_kib": _vm_hwm_kib()}))


def _vm_hwm_kib() -> int:
    """This process's peak RSS. Not getrusage's ru_maxrss: Linux carries that over fork and exec,
    so a child started by a big parent would report the parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def idle() -> None:
    """The baseline: Django set up and the project's models and services imported."""
    import pairing.services.roster  # noqa: F401
    import reports.services.assessment_exports  # noqa: F401


def assessment_write(*, region_id: int, path: str) -> None:
    from django.utils import timezone

    from pairing.models import Region
    from reports.selectors.assessment import weights_for
    from reports.workbook import workbook_write
    from volunteers.selectors import Quarter

    region = Region.objects.get(pk=region_id)
    workbook_write(region=region, quarter=Quarter.of(timezone.localdate()), weights=weights_for(region), out=path)


def xlsx_write_floor(*, source: str, path: str) -> None:
    """The floor writes the rows of ``source`` as they are read (its peak includes the reader's)."""
    from .floors import workbook_rows
    from .floors import xlsx_write_floor as write

    write(workbook_rows(source), path)


def roster_preview(*, path: str, user_id: int) -> None:
    from django.contrib.auth import get_user_model

    from pairing.services.roster import roster_import

    with open(path, "rb") as fileobj:
        roster_import(fileobj=fileobj, acting_user=get_user_model().objects.get(pk=user_id), commit=False)


def xlsx_read_floor(*, path: str) -> None:
    from .floors import xlsx_read_floor as read

    read(path)
