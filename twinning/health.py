"""/healthz: database, cache/broker and worker status for monitoring.

Answers 200 when the database works (the pages can serve), 503 when it does not; the
queue and the workers are reported but only degrade the status, since pages keep working
without them. Anyone gets the status (ok, degraded, down); the checks behind it (database
vendor, broker mode, worker count, errors) only staff and callers presenting HEALTHZ_TOKEN
as ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from pairing.scope import can_manage


def _check(fn) -> dict:
    started = time.monotonic()
    try:
        detail = fn()
    except Exception as exc:  # a health check reports every failure instead of raising
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1), **(detail or {})}


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _cache() -> dict:
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return the value written")
    return {"backend": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]}


def _broker() -> dict:
    from twinning.celery import app

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"mode": "eager"}
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=0, timeout=2)
    return {"mode": "redis"}


def _workers() -> dict:
    from twinning.celery import app

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"mode": "eager", "count": 0}
    replies = app.control.ping(timeout=1.0) or []
    if not replies:
        raise RuntimeError("no worker answered")
    return {"count": len(replies)}


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _check(_database), "cache": _check(_cache), "broker": _check(_broker)}
    # Asking workers through an unreachable broker would only wait for its retries.
    checks["workers"] = _check(_workers) if checks["broker"]["ok"] else {"ok": False, "error": "broker unreachable"}
    if not checks["database"]["ok"]:
        status = "down"
    elif all(c["ok"] for c in checks.values()):
        status = "ok"
    else:
        status = "degraded"
    payload = {"status": status}
    if _may_see_details(request, database_ok=checks["database"]["ok"]):
        payload["checks"] = checks
    return JsonResponse(payload, status=503 if status == "down" else 200)


def _may_see_details(request, *, database_ok: bool) -> bool:
    token = settings.HEALTHZ_TOKEN
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode()):
        return True
    # The user comes from the session in the database: without the database, only the token counts.
    return database_ok and (request.user.is_staff or can_manage(request.user))
