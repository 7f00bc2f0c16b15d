"""The dispatcher: claims due outbox rows, sends them through the channel's provider, records the outcome.

Claiming: due rows (queued or failed, ``next_attempt_at`` passed, no live lease) are leased to this
worker in one short transaction — ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
workers never lease the same row; on SQLite the write transaction (BEGIN IMMEDIATE) serialises claims.
Each row is then marked ``sending`` in its own commit just before the provider call, and finished with
a conditional update that only matches while this worker still holds it. A worker killed mid-send
leaves the row ``sending``; ``sweep`` turns an expired lease into ``unknown`` and reconciles it from
delivery receipts before it may go out again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import close_old_connections, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from careloop.messaging import policy
from careloop.messaging.backoff import retry_delay
from careloop.messaging.models import DUE_STATUSES, PENDING_STATUSES, DeliveryReceipt, Message, Status
from careloop.messaging.providers import (
    DeliveryError,
    Outgoing,
    UnknownOutcome,
    provider_config,
    provider_for,
)

logger = logging.getLogger(__name__)


def default_worker_id() -> str:
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def receipts_expected(channel: str) -> bool:
    """Whether this channel's provider reports deliveries back (then ``unknown`` can be settled)."""
    config = provider_config(channel)
    return bool(config.get("receipt_url")) or bool(config.get("receipts"))


@dataclass
class SweepReport:
    expired: int = 0
    reconciled: int = 0
    requeued: int = 0
    cancelled: int = 0


def _receipt_outcome(message_ids: list[int]) -> dict[int, bool]:
    """message id → delivered? from the newest receipt of each."""
    outcome: dict[int, bool] = {}
    for message_id, delivered in (DeliveryReceipt.objects.filter(message_id__in=message_ids)
                                  .order_by("received_at", "id").values_list("message_id", "delivered")):
        outcome[message_id] = delivered
    return outcome


def sweep(*, now: datetime | None = None) -> SweepReport:
    """Recover what crashes left behind and honour consent withdrawals. Safe to run anywhere, any time."""
    now = now or timezone.now()
    report = SweepReport()
    report.expired = Message.objects.filter(status=Status.SENDING, lease_expires_at__lt=now).update(
        status=Status.UNKNOWN, unknown_since=now, lease_owner="", lease_expires_at=None)

    unknown = list(Message.objects.filter(status=Status.UNKNOWN).values_list("id", "channel", "unknown_since"))
    outcomes = _receipt_outcome([row[0] for row in unknown])
    grace = timedelta(seconds=policy.unknown_grace_seconds())
    for message_id, channel, since in unknown:
        if message_id in outcomes:
            delivered = outcomes[message_id]
            report.reconciled += Message.objects.filter(pk=message_id, status=Status.UNKNOWN).update(
                status=Status.DELIVERED if delivered else Status.DEAD,
                delivered_at=now if delivered else None,
                last_error="" if delivered else "receipt: undelivered",
                unknown_since=None)
        elif since is None or since + grace <= now:
            # No receipt within the grace period: with receipts on, the provider never took it.
            report.requeued += Message.objects.filter(pk=message_id, status=Status.UNKNOWN).update(
                status=Status.QUEUED, next_attempt_at=now, unknown_since=None,
                possible_duplicate=not receipts_expected(channel))
    report.cancelled = cancel_withdrawn(now=now)
    return report


def cancel_withdrawn(*, now: datetime | None = None) -> int:
    """Cancel pending messages whose client no longer consents (or no longer subscribes)."""
    from careloop.messaging.services import refusal_for

    now = now or timezone.now()
    cancelled = 0
    pending = (Message.objects.filter(status__in=PENDING_STATUSES).select_related("client")
               .order_by("client_id", "purpose", "channel"))
    seen: dict[tuple[int, str, str], tuple[str, str] | None] = {}
    for message in pending.iterator(chunk_size=500):
        key = (message.client_id, message.purpose, message.channel)
        if key not in seen:
            seen[key] = refusal_for(message.client, message.purpose, message.channel)
        refusal = seen[key]
        if refusal is not None and refusal[0] != "no_contact":
            cancelled += Message.objects.filter(pk=message.pk, status__in=PENDING_STATUSES).update(
                status=Status.CANCELLED, cancelled_at=now, cancel_reason=refusal[0],
                lease_owner="", lease_expires_at=None)
    return cancelled


class Dispatcher:
    def __init__(
        self,
        *,
        worker_id: str | None = None,
        batch_size: int = 50,
        threads: int = 1,
        poll_seconds: float = 1.0,
        sweep_seconds: float = 30.0,
        provider_lookup: Callable[[str], object] = provider_for,
    ) -> None:
        self.worker_id = worker_id or default_worker_id()
        self.batch_size = batch_size
        self.threads = threads
        self.poll_seconds = poll_seconds
        self.sweep_seconds = sweep_seconds
        self.provider_lookup = provider_lookup
        self.stop_event = threading.Event()
        self.wake_event = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="send") if threads > 1 else None

    # --- claiming ----------------------------------------------------------------------------------
    def claim(self, *, now: datetime | None = None) -> list[int]:
        now = now or timezone.now()
        lease_until = now + timedelta(seconds=policy.lease_seconds())
        with transaction.atomic():
            due = (Message.objects.filter(status__in=DUE_STATUSES, next_attempt_at__lte=now)
                   .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
                   .order_by("next_attempt_at", "id"))
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True)
            ids = list(due.values_list("id", flat=True)[: self.batch_size])
            if ids:
                Message.objects.filter(id__in=ids).update(lease_owner=self.worker_id, lease_expires_at=lease_until)
        return ids

    # --- sending one ---------------------------------------------------------------------------------
    def deliver(self, message_id: int) -> str:
        """Send one leased message; returns its new status (or "" when it was no longer ours)."""
        from careloop.messaging.services import recipient_address, refusal_for

        mine = Message.objects.filter(pk=message_id, lease_owner=self.worker_id)
        message = mine.filter(status__in=DUE_STATUSES).select_related("client").first()
        if message is None:
            return ""
        now = timezone.now()
        refusal = refusal_for(message.client, message.purpose, message.channel)
        if refusal is not None:
            code, _reason = refusal
            if code == "no_contact":
                mine.filter(status__in=DUE_STATUSES).update(
                    status=Status.DEAD, last_error="no contact address", lease_owner="", lease_expires_at=None)
                return Status.DEAD
            mine.filter(status__in=DUE_STATUSES).update(
                status=Status.CANCELLED, cancelled_at=now, cancel_reason=code, lease_owner="",
                lease_expires_at=None)
            return Status.CANCELLED
        lease_until = now + timedelta(seconds=policy.lease_seconds())
        if not mine.filter(status__in=DUE_STATUSES).update(
            status=Status.SENDING, attempts=F("attempts") + 1, lease_expires_at=lease_until
        ):
            return ""
        attempts = message.attempts + 1
        provider = self.provider_lookup(message.channel)
        outgoing = Outgoing(
            out_id=str(message.pk), channel=message.channel, to=recipient_address(message.client, message.channel),
            body=message.body, subject=message.subject, purpose=message.purpose,
            extra={"name": message.client.name},
        )
        sending = Message.objects.filter(pk=message_id, status=Status.SENDING, lease_owner=self.worker_id)
        try:
            result = provider.send(outgoing)  # type: ignore[attr-defined]
        except UnknownOutcome as exc:
            sending.update(status=Status.UNKNOWN, unknown_since=timezone.now(), last_error=str(exc)[:500],
                           lease_owner="", lease_expires_at=None)
            return Status.UNKNOWN
        except DeliveryError as exc:
            return self._failed(sending, attempts, str(exc), permanent=exc.permanent)
        except Exception as exc:  # a provider bug must not kill the worker; retry like a temporary failure
            logger.exception("provider %s crashed on message %s", message.channel, message_id)
            return self._failed(sending, attempts, f"{type(exc).__name__}: {exc}", permanent=False)
        sending.update(status=Status.SENT, sent_at=timezone.now(), provider=getattr(provider, "name", ""),
                       provider_id=result.provider_id[:128], last_error="", lease_owner="", lease_expires_at=None)
        return Status.SENT

    def _failed(self, sending: object, attempts: int, error: str, *, permanent: bool) -> str:
        if permanent or attempts >= policy.max_attempts():
            sending.update(status=Status.DEAD, last_error=error[:500], lease_owner="",  # type: ignore[attr-defined]
                           lease_expires_at=None)
            return Status.DEAD
        delay = retry_delay(attempts, base_seconds=policy.retry_base_seconds(), cap_seconds=policy.retry_cap_seconds())
        sending.update(status=Status.FAILED, last_error=error[:500],  # type: ignore[attr-defined]
                       next_attempt_at=timezone.now() + delay, lease_owner="", lease_expires_at=None)
        return Status.FAILED

    def _deliver_in_thread(self, message_id: int) -> str:
        try:
            return self.deliver(message_id)
        finally:
            close_old_connections()

    # --- loops ------------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Claim one batch and send it; returns how many rows were claimed."""
        ids = self.claim()
        if not ids:
            return 0
        if self._pool is None:
            for message_id in ids:
                if self.stop_event.is_set():
                    break
                self.deliver(message_id)
        else:
            list(self._pool.map(self._deliver_in_thread, ids))
        return len(ids)

    def run_until_idle(self, *, max_batches: int = 1000) -> int:
        total = 0
        for _ in range(max_batches):
            claimed = self.run_once()
            total += claimed
            if not claimed or self.stop_event.is_set():
                break
        return total

    def run_forever(self) -> None:
        from careloop.messaging import wakeup

        wakeup.register(self.wake_event)
        last_sweep = 0.0
        try:
            while not self.stop_event.is_set():
                if time.monotonic() - last_sweep >= self.sweep_seconds:
                    self._safe(sweep)
                    last_sweep = time.monotonic()
                claimed = self._safe(self.run_once) or 0
                if not claimed:
                    self.wake_event.wait(self.poll_seconds)
                    self.wake_event.clear()
        finally:
            wakeup.register(None)
            if self._pool is not None:
                self._pool.shutdown(wait=True)

    def _safe(self, func: Callable[[], object]) -> object:
        try:
            return func()
        except Exception:
            logger.exception("dispatcher step failed; retrying after a pause")
            close_old_connections()
            self.stop_event.wait(self.poll_seconds)
            return None

    def stop(self) -> None:
        self.stop_event.set()
        self.wake_event.set()


__all__ = ["Dispatcher", "SweepReport", "cancel_withdrawn", "receipts_expected", "sweep"]
