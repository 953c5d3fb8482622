"""Fuzzing the JSON API (issue 8, point 6): schemathesis generates requests from the live schema at
/api/schema/ and sends them, with a staff token, to the WSGI application in this process (so it
sees the test database and its transaction). Every operation, reads and writes, gets a bounded
number of examples of valid requests and half as many of invalid ones; detail operations run once with
random ids and once with a real one in scope.

Checks: no 5xx (``not_a_server_error``); for valid requests also that bodies of documented
responses match the schema (``response_schema_conformance``) with the documented content type.

Bounds: ``FUZZ_EXAMPLES`` examples per run (default 20; .ci/run may raise it with
TWINNING_FUZZ_EXAMPLES). The figures are printed (``-s``) and recorded in docs/api.md.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

FUZZ_EXAMPLES = int(os.environ.get("TWINNING_FUZZ_EXAMPLES", "20"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def real_ids(world) -> dict[str, int]:
    """An in-scope id per collection, so that detail operations reach real rows too."""
    s = world.mine
    return {
        "branches": s.pairing.helper_id,
        "grades": s.pairing.helper.grades.get().pk,
        "pairings": s.pairing.pk,
        "theme-days": s.theme_day.pk,
        "n-lists": s.report.task.task_list_id,
        "n-task-reports": s.report.pk,
        "report-snapshots": s.snapshot.pk,
        "registrations": s.registration.pk,
        "projects": s.project.pk,
        "claims": s.claim.pk,
        "wishes": s.wish.pk,
        "hours": s.hours.pk,
    }


@pytest.fixture
def connections_kept_open():
    """The WSGI handler closes database connections at the start and end of each request; inside
    a test's transaction that would close it under the test (PostgreSQL). Django's test client
    disconnects the same handlers."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.schemathesis
def test_fuzz_api_finds_no_server_errors_or_schema_violations(world, connections_kept_open):
    token = Token.objects.create(user=world.mine.staff)
    headers = {"Authorization": f"Token {token.key}"}
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, headers=headers)
    ids = real_ids(world)

    operations = [result.ok() for result in schema.get_all_operations()]
    runs = []
    for operation in operations:
        runs.append((operation, None, GenerationMode.POSITIVE))
        runs.append((operation, None, GenerationMode.NEGATIVE))
        if "{id}" in operation.path:
            collection = operation.path.split("/")[3]
            runs.append((operation, {"id": ids[collection]}, GenerationMode.POSITIVE))
            runs.append((operation, {"id": ids[collection]}, GenerationMode.NEGATIVE))

    statuses: Counter = Counter()
    failures: list[str] = []
    examples = 0
    unsatisfiable = 0

    for operation, path_parameters, mode in runs:
        strategy = operation.as_strategy(mode, **({"path_parameters": path_parameters} if path_parameters else {}))
        # Invalid requests need only be refused politely (no 5xx); valid ones must match the schema.
        checks = CHECKS if mode == GenerationMode.POSITIVE else [not_a_server_error]

        @settings(
            max_examples=FUZZ_EXAMPLES if mode == GenerationMode.POSITIVE else max(5, FUZZ_EXAMPLES // 2),
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case):
            nonlocal examples
            examples += 1
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=checks, headers=headers)
            except Exception as exc:  # schemathesis raises a group of failed checks
                failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:500]}")

        try:
            run()
        except Unsatisfiable:
            if mode == GenerationMode.POSITIVE:
                raise
            unsatisfiable += 1  # nothing in this operation can be made invalid (no body, fixed id)

    print(
        f"\nschemathesis: {len(operations)} operations, {len(runs)} runs, {examples} examples, "
        f"statuses {dict(sorted(statuses.items()))}, failures {len(failures)}, "
        f"negative runs with nothing to make invalid {unsatisfiable}"
    )
    assert not failures, "\n".join(failures[:10])
    assert not any(code >= 500 for code in statuses)
    assert examples >= len(runs)
