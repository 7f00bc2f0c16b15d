"""Message rules (issue 9 item 2): a rule whose occurrences send a message to the client instead of making a task.

Planning writes a ``PlannedMessage`` per occurrence (planning.py, in the encounter's transaction) so that the
series semantics of tasks hold for messages too: one series per encounter or per client, replaced by a newer
encounter's, cancelled with the reason when the client's status or consent changes. When an occurrence comes
due, ``planned_messages_send_due`` (an hourly job) hands it to the outbox through ``message_enqueue``, which
applies consent per purpose, subscriptions and opt-outs, and moves the time out of quiet hours.
"""

from __future__ import annotations

import datetime as _dt
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from careloop.audit.services import audit_record
from careloop.followups import policy
from careloop.followups.models import PlannedMessage
from careloop.followups.schedule import PlannedFollowup

if TYPE_CHECKING:
    from careloop.org.models import User

PLANNED = PlannedMessage.Status.PLANNED


def window_passed(item: PlannedFollowup, today: date) -> bool:
    """A reminder whose window has closed is not sent late: it is recorded as skipped."""
    return (item.window_end or item.due_date) < today


def planned_messages_cancel(rows: list[PlannedMessage], *, reason: str) -> int:
    """Cancel planned (not yet handed over) occurrences with the reason, inside the caller's transaction."""
    now = timezone.now()
    for row in rows:
        row.status, row.note, row.closed_at, row.updated_at = PlannedMessage.Status.CANCELLED, reason[:200], now, now
    if rows:
        PlannedMessage.objects.bulk_update(rows, ["status", "note", "closed_at", "updated_at"])
    return len(rows)


def planned_messages_cancel_for_client(client: Any, *, reason: str, keep_series: str = "") -> int:
    """Every planned occurrence of the client (but those of ``keep_series``) cancelled with the reason."""
    qs = PlannedMessage.objects.filter(client_id=client.pk, status=PLANNED)
    if keep_series:
        qs = qs.exclude(rule__client_series=keep_series)
    return planned_messages_cancel(list(qs), reason=reason)


def send_time(due: date) -> _dt.datetime:
    """The moment asked of the outbox for an occurrence due on ``due`` (quiet hours may move it later)."""
    return timezone.make_aware(_dt.datetime.combine(due, _dt.time(policy.message_hour())))


@transaction.atomic
def planned_messages_send_due(*, today: date | None = None, acting_user: User | None = None) -> dict[str, int]:
    """Hand every planned occurrence due by today to the outbox; a closed window is skipped, a refusal kept.

    Idempotent: a row leaves ``planned`` in the transaction that writes its outbox row (or its refusal).
    """
    today = today or timezone.localdate()
    counts = {"queued": 0, "refused": 0, "skipped": 0}
    now = timezone.now()
    rows = list(PlannedMessage.objects.select_for_update().filter(status=PLANNED, due_date__lte=today)
                .select_related("client", "client__branch", "rule").order_by("due_date", "id"))
    with translation.override(settings.LANGUAGE_CODE):  # a refusal's reason is stored text: the system language
        for row in rows:
            _hand_over(row, counts, now=now, today=today, acting_user=acting_user)
    if rows:
        PlannedMessage.objects.bulk_update(rows, ["status", "message", "note", "closed_at", "updated_at"])
        audit_record(actor=acting_user, action="followups.messages_due", detail={"today": today.isoformat(), **counts})
    return counts


def _hand_over(row: PlannedMessage, counts: dict[str, int], *, now: _dt.datetime, today: date, acting_user: User | None) -> None:
    from careloop.messaging.services import message_enqueue

    row.closed_at = row.updated_at = now
    if (row.window_end or row.due_date) < today:
        row.status = PlannedMessage.Status.SKIPPED
        counts["skipped"] += 1
        return
    result = message_enqueue(client=row.client, purpose=row.purpose, channel=row.channel,
                             scheduled_at=send_time(row.due_date), cause=f"followup_rule:{row.rule.code}",
                             acting_user=acting_user)
    if result.message is not None:
        row.status, row.message = PlannedMessage.Status.QUEUED, result.message
        counts["queued"] += 1
    else:
        row.status, row.note = PlannedMessage.Status.REFUSED, result.reason[:200]
        counts["refused"] += 1
