"""Timing helpers: median wall time of R runs, the queries of one run, peak memory in a child."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext


@dataclass
class Measure:
    seconds: float
    queries: int | None = None
    peak_mib: float | None = None  # peak RSS of a fresh process running the operation once
    grow_mib: float | None = None  # that peak minus an idle Django process's peak RSS
    note: str = ""


def timed(fn: Callable[[], object], *, runs: int, count_queries: bool = True, warmup: bool = False) -> Measure:
    """Median wall time over ``runs`` calls; the queries of the first call are counted.

    ``warmup`` adds one uncounted call first (pages: template and URL caches, connection).
    """
    if warmup:
        fn()
    times, queries = [], None
    for i in range(runs):
        start = time.perf_counter()
        if count_queries and i == 0:
            with CaptureQueriesContext(connection) as capture:
                fn()
            queries = len(capture.captured_queries)
        else:
            fn()
        times.append(time.perf_counter() - start)
    return Measure(seconds=statistics.median(times), queries=queries)


def peak_memory(fn_path: str, **kwargs) -> tuple[float, float]:
    """Run ``fn_path(**kwargs)`` (a module-level function, JSON arguments) once in a fresh Python
    process with Django set up; return (peak RSS MiB, peak minus an idle Django process's MiB).

    A fresh process, not a fork: a forked child reuses the parent's freed heap and would
    under-report. The child uses the same settings and database as this process.
    """
    peak = _child_maxrss(fn_path, kwargs)
    return peak, peak - _child_maxrss("benchmarks.memory.idle", {})


def _child_maxrss(fn_path: str, kwargs: dict) -> float:
    result = subprocess.run(
        [sys.executable, "-c", "from benchmarks.memory import child; child()"],
        input=json.dumps({"fn": fn_path, "kwargs": kwargs}, default=str),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(settings.BASE_DIR)},
        cwd=settings.BASE_DIR,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"memory run of {fn_path} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])["maxrss_kib"] / 1024
