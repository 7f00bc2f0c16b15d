"""Writing the audit trail. Every read of a client's record and every write calls audit_record."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from careloop.audit.chain import GENESIS, row_hash
from careloop.audit.models import AuditEvent
from careloop.core.context import current_origin

_PG_LOCK_KEY = 0x6361_7265  # "care": serialises chain appends across connections on PostgreSQL


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    # SQLite: transactions are IMMEDIATE, so the writer lock is already held.


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    client: Any = None,
    result: str = "ok",
    detail: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEvent:
    """Append one audit row, chained to the previous one, inside the caller's transaction."""
    origin = current_origin()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    client_id = getattr(client, "pk", client)
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
        seq = (last["seq"] + 1) if last else 1
        prev = last["hash"] if last else GENESIS
        at = timezone.now().astimezone(dt.UTC)
        row = {
            "seq": seq,
            "at": at,
            "actor_id": actor.pk if authenticated else None,
            "actor_name": actor.get_username() if authenticated else "",
            "roles": ",".join(sorted(actor.roles)) if authenticated and hasattr(actor, "roles") else "",
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "client_id": client_id,
            "ip": origin.ip,
            "channel": origin.channel,
            "result": result,
            "detail": json.loads(json.dumps(detail or {}, default=str)),
        }
        return AuditEvent.objects.create(prev_hash=prev, hash=row_hash(prev, row), **row)


def audit_read(*, actor: Any, action: str, obj: models.Model | None = None, client: Any = None,
               detail: dict[str, Any] | None = None, object_id: str = "") -> AuditEvent:
    """The one door for reads of a client's data (SEC-2): every page, API operation and export that shows a
    client's record or health data calls this once per request. ``client`` defaults to ``obj.client`` (or
    ``obj`` itself when it is a client); a list passes no client and says what it showed in ``detail``.
    tests/audit/test_reads_are_audited.py walks every URL and API operation and fails on a read without a row."""
    if client is None and obj is not None:
        client = getattr(obj, "client_id", None)
        if client is None and obj._meta.label_lower == "clients.client":
            client = obj.pk
    return audit_record(actor=actor, action=action, obj=obj, client=client, detail=detail, object_id=object_id)
