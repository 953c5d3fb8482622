"""Timing helpers: median wall time of R runs, the queries of one run, peak memory in a child."""

from __future__ import annotations

import os
import pickle
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, connections
from django.test.utils import CaptureQueriesContext


@dataclass
class Measure:
    seconds: float
    queries: int | None = None
    peak_mib: float | None = None  # peak RSS of a forked child running the operation once
    grow_mib: float | None = None  # that peak minus the child's RSS when it started
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


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def peak_memory(fn: Callable[[], object]) -> tuple[float | None, float | None]:
    """Run ``fn`` once in a forked child; return (peak RSS MiB, growth MiB) of that child.

    The database connections are closed first so that parent and child each open their own
    (a connection shared across fork would be corrupted). None, None where fork is unavailable.
    """
    if not hasattr(os, "fork") or not os.path.exists("/proc/self/status"):
        return None, None
    connections.close_all()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(read_end)
            start = _status_kib("VmRSS")
            fn()
            connections.close_all()
            payload = (_status_kib("VmHWM") / 1024, (_status_kib("VmHWM") - start) / 1024)
        except BaseException as exc:  # report, never fall back into the parent's code
            payload = ("error", repr(exc))
            code = 1
        with os.fdopen(write_end, "wb") as out:
            pickle.dump(payload, out)
        os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as source:
        data = source.read()
    os.waitpid(pid, 0)
    result = pickle.loads(data) if data else ("error", "no result")
    if result[0] == "error":
        raise RuntimeError(f"memory run failed: {result[1]}")
    return result
