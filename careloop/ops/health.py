"""Liveness and readiness for load balancers and orchestrators (issue 18)."""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone


def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the queue answer (``degraded`` when the outbox lags); 503 otherwise."""
    checks: dict[str, dict] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True}
    except DatabaseError as exc:
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    try:
        from careloop.ops.metrics import queue_depth

        checks["queue"] = {"ok": True, "depth": queue_depth()}
    except Exception as exc:
        checks["queue"] = {"ok": False, "error": type(exc).__name__}
    lag = 0.0
    if checks["database"]["ok"]:
        from careloop.messaging.models import Message

        oldest = Message.objects.filter(status="queued", next_attempt_at__lte=timezone.now()).aggregate(
            oldest=Min("next_attempt_at"))["oldest"]
        lag = (timezone.now() - oldest).total_seconds() if oldest else 0.0
        checks["outbox"] = {"ok": lag <= settings.READY_OUTBOX_LAG_SECONDS, "lag_seconds": round(lag, 1),
                            "limit_seconds": settings.READY_OUTBOX_LAG_SECONDS}
    ready = checks["database"]["ok"] and checks["queue"]["ok"]
    status = "ok" if ready and checks.get("outbox", {}).get("ok", False) else ("degraded" if ready else "unavailable")
    return JsonResponse({"status": status, "checks": checks}, status=200 if ready else 503)
