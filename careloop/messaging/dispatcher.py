"""The dispatcher: claims due outbox rows, sends them through the channel's provider, records the outcome.

Claiming: a chunk of due rows (queued or failed, ``next_attempt_at`` passed, no live lease) is selected
with its consent and subscription — ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several
workers never take the same row; on SQLite the write transaction (BEGIN IMMEDIATE) serialises them —
and, in the same short transaction, the refused rows are settled and the others marked ``sending``
under this worker's lease (one statement per outcome). After the provider calls, the chunk's outcomes
are recorded in one transaction with conditional updates that only match while this worker still holds
the rows. A worker killed mid-send
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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import OperationalError, close_old_connections, connection, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import timezone

from careloop.clients.models import Consent
from careloop.messaging import policy, wakeup
from careloop.messaging.backoff import retry_delay
from careloop.messaging.models import (
    DUE_STATUSES,
    PENDING_STATUSES,
    WEBHOOK_TEST_EVENT,
    Channel,
    DeliveryReceipt,
    Message,
    Status,
    Subscription,
    WebhookAttempt,
)
from careloop.messaging.providers import (
    DeliveryError,
    Outgoing,
    UnknownOutcome,
    provider_config,
    provider_for,
)
from careloop.messaging.services import (
    INACTIVE_CLIENT_STATUSES,
    OPTED_OUT_CLIENT_STATUSES,
    recipient_address,
    refusal_for,
)

logger = logging.getLogger(__name__)


def default_worker_id() -> str:
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def receipts_expected(channel: str) -> bool:
    """Whether this channel's provider reports deliveries back (then ``unknown`` can be settled)."""
    config = provider_config(channel)
    return bool(config.get("receipt_url") or config.get("query_url") or config.get("receipts"))


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


def _lookup(channel: str, message_id: int) -> tuple[str, str] | None:
    """Ask the channel's provider about a message, when it can tell (see HttpSmsGateway.lookup)."""
    lookup = getattr(provider_for(channel), "lookup", None)
    if lookup is None:
        return None
    try:
        return lookup(str(message_id))
    except Exception:
        logger.warning("status lookup failed for message %s", message_id, exc_info=True)
        return None


def sweep(*, now: datetime | None = None) -> SweepReport:
    """Recover what crashes left behind and honour consent withdrawals. Safe to run anywhere, any time."""
    now = now or timezone.now()
    report = SweepReport()
    report.expired = Message.objects.filter(status=Status.SENDING, lease_expires_at__lt=now).update(
        status=Status.UNKNOWN, unknown_since=now, lease_owner="", lease_expires_at=None)

    unknown = list(Message.objects.filter(status=Status.UNKNOWN).values_list("id", "channel", "unknown_since"))
    outcomes = _receipt_outcome([row[0] for row in unknown])
    grace = timedelta(seconds=policy.unknown_grace_seconds())
    settle = timedelta(seconds=min(policy.unknown_grace_seconds(), policy.lease_seconds()))
    for message_id, channel, since in unknown:
        row = Message.objects.filter(pk=message_id, status=Status.UNKNOWN)
        if message_id in outcomes:
            delivered = outcomes[message_id]
            report.reconciled += row.update(
                status=Status.DELIVERED if delivered else Status.DEAD,
                delivered_at=now if delivered else None,
                last_error="" if delivered else "receipt: undelivered",
                unknown_since=None)
            continue
        answer = _lookup(channel, message_id) if since is None or since + settle <= now else None
        if answer is not None and answer[0] == "accepted":
            report.reconciled += row.update(status=Status.SENT, sent_at=now, provider_id=answer[1][:128],
                                            unknown_since=None)
        elif answer is not None:
            # The provider says it never took the message: sending it is no duplicate.
            report.requeued += row.update(status=Status.QUEUED, next_attempt_at=now, unknown_since=None)
        elif since is None or since + grace <= now:
            # No receipt within the grace period: with receipts on, the provider never took it.
            report.requeued += row.update(status=Status.QUEUED, next_attempt_at=now, unknown_since=None,
                                          possible_duplicate=not receipts_expected(channel))
    report.cancelled = cancel_withdrawn(now=now)
    return report


def cancel_withdrawn(*, now: datetime | None = None) -> int:
    """Cancel pending messages whose client withdrew consent, cancelled the type, opted out or died.

    Three set-based updates, so the sweep stays cheap however long the queue is. Webhook deliveries have
    no client and are left alone (deactivating the webhook cancels them).
    """
    now = now or timezone.now()
    pending = Message.objects.filter(status__in=PENDING_STATUSES, client__isnull=False)
    latest_consent = (Consent.objects.filter(client=OuterRef("client"), purpose=OuterRef("consent_purpose"))
                      .order_by("-given_at", "-id").values("granted")[:1])
    subscribed = (Subscription.objects.filter(client=OuterRef("client"), purpose=OuterRef("purpose"))
                  .values("active")[:1])
    causes = {
        "client_inactive": pending.filter(client__status__in=INACTIVE_CLIENT_STATUSES),
        "opted_out": pending.filter(client__status__in=OPTED_OUT_CLIENT_STATUSES),
        "no_consent": pending.annotate(consented=Subquery(latest_consent)).filter(
            Q(consented=False) | Q(consented__isnull=True)),
        "unsubscribed": pending.annotate(subscribed=Subquery(subscribed)).filter(subscribed=False),
    }
    cancelled = 0
    for reason, rows in causes.items():
        ids = list(rows.values_list("id", flat=True)[:10000])
        if ids:
            cancelled += Message.objects.filter(id__in=ids, status__in=PENDING_STATUSES).update(
                status=Status.CANCELLED, cancelled_at=now, cancel_reason=reason, lease_owner="",
                lease_expires_at=None)
    return cancelled


@dataclass
class _Outcome:
    status: str
    provider_id: str = ""
    error: str = ""
    permanent: bool = False
    provider: str = ""
    response_code: int | None = None
    started_at: datetime | None = None
    duration_ms: int = 0


@dataclass
class _Prepared:
    """A chunk marked ``sending``: what goes out, the attempt numbers, what was settled without sending."""
    claimed: int = 0
    outgoing: dict[int, Outgoing] = field(default_factory=dict)
    attempts: dict[int, int] = field(default_factory=dict)
    results: dict[int, str] = field(default_factory=dict)


class Dispatcher:
    """Claims due rows and sends them, ``chunk`` at a time, ``threads`` provider calls in parallel.

    Per chunk there are two commits whatever its size: one marks the rows ``sending`` (after the consent
    check), one records every outcome. A worker killed in between leaves at most one chunk ``sending``.
    Provider calls run in threads that never touch the database.
    """

    def __init__(
        self,
        *,
        worker_id: str | None = None,
        batch_size: int = 50,
        threads: int = 1,
        chunk: int | None = None,
        poll_seconds: float = 1.0,
        sweep_seconds: float = 30.0,
        provider_lookup: Callable[[str], object] = provider_for,
    ) -> None:
        self.worker_id = worker_id or default_worker_id()
        self.batch_size = batch_size
        self.threads = max(1, threads)
        self.chunk = max(1, chunk or self.threads)
        self.poll_seconds = poll_seconds
        self.sweep_seconds = sweep_seconds
        self.provider_lookup = provider_lookup
        self.stop_event = threading.Event()
        self.wake_event = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="send") if self.threads > 1 else None

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

    # --- sending ---------------------------------------------------------------------------------------
    def _due_rows(self, *, ids: list[int] | None = None, limit: int = 0, now: datetime | None = None) -> list[Message]:
        """Rows to send with their consent and subscription, locked until they are marked ``sending``.

        ``ids``: rows this worker leased with ``claim``. Otherwise up to ``limit`` due rows with no live lease
        are claimed here directly (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the writer lock on SQLite), so the
        claim, the consent check and the mark ``sending`` are one transaction.
        """
        latest_consent = (Consent.objects.filter(client=OuterRef("client"), purpose=OuterRef("consent_purpose"))
                          .order_by("-given_at", "-id").values("granted")[:1])
        subscribed = (Subscription.objects.filter(client=OuterRef("client"), purpose=OuterRef("purpose"))
                      .values("active")[:1])
        rows = Message.objects.filter(status__in=DUE_STATUSES)
        if ids is not None:
            rows = rows.filter(pk__in=ids, lease_owner=self.worker_id).order_by("id")
        else:
            rows = (rows.filter(next_attempt_at__lte=now)
                    .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
                    .order_by("next_attempt_at", "id"))
        rows = (rows.select_related("client", "webhook")
                .annotate(consented=Subquery(latest_consent), subscribed=Subquery(subscribed)))
        if connection.features.has_select_for_update_of:
            # Locked until the rows are marked sending: a worker whose lease lapsed meanwhile cannot send them.
            rows = rows.select_for_update(of=("self",), skip_locked=ids is None)
        if ids is None:
            rows = rows[:limit]
        return list(rows)

    def _load(self, ids: list[int]) -> list[Message]:
        return self._due_rows(ids=ids)

    def _prepare(self, *, ids: list[int] | None = None, limit: int = 0) -> _Prepared:
        """One transaction: load (or claim) the rows, settle the refused ones, mark the others ``sending``."""
        now = timezone.now()
        prepared = _Prepared()
        refused: dict[tuple[str, str], list[int]] = {}
        with transaction.atomic():
            messages = self._due_rows(ids=ids, limit=limit, now=now)
            prepared.claimed = len(messages)
            for message in messages:
                if message.channel == Channel.WEBHOOK:
                    # An integrator, not a person: no consent, quiet hours or caps; only the subscription.
                    hook = message.webhook
                    if hook is None or not (hook.active or message.subject == WEBHOOK_TEST_EVENT):
                        refused.setdefault((Status.CANCELLED, "webhook_inactive"), []).append(message.pk)
                        continue
                    prepared.attempts[message.pk] = message.attempts + 1
                    prepared.outgoing[message.pk] = Outgoing(
                        out_id=str(message.pk), channel=message.channel, to=hook.url, body=message.body,
                        subject=message.subject, purpose=message.purpose,
                        extra={"secret": hook.secret, "delivery_id": str(message.delivery_id)})
                    continue
                address = recipient_address(message.client, message.channel)
                refusal = refusal_for(message.client, message.purpose, message.channel,
                                      consented=bool(message.consented),  # type: ignore[attr-defined]
                                      subscribed=message.subscribed is not False,  # type: ignore[attr-defined]
                                      address=address)
                if refusal is not None and refusal[0] == "no_contact":
                    refused.setdefault((Status.DEAD, ""), []).append(message.pk)
                elif refusal is not None:
                    refused.setdefault((Status.CANCELLED, refusal[0]), []).append(message.pk)
                else:
                    prepared.attempts[message.pk] = message.attempts + 1
                    prepared.outgoing[message.pk] = Outgoing(
                        out_id=str(message.pk), channel=message.channel, to=address, body=message.body,
                        subject=message.subject, purpose=message.purpose, extra={"name": getattr(message.client, "name", "")})
            # The rows are locked by this transaction: one statement per outcome, not one per row.
            mine = {"lease_owner": self.worker_id} if ids is not None else {}
            done = {"lease_owner": "", "lease_expires_at": None}
            for (status, reason), pks in sorted(refused.items()):
                rows = Message.objects.filter(pk__in=pks, status__in=DUE_STATUSES, **mine)
                if status == Status.DEAD:
                    rows.update(status=Status.DEAD, last_error="no contact address", **done)
                else:
                    rows.update(status=Status.CANCELLED, cancelled_at=now, cancel_reason=reason, **done)
                prepared.results.update(dict.fromkeys(pks, status))
            if prepared.outgoing:
                Message.objects.filter(pk__in=list(prepared.outgoing), status__in=DUE_STATUSES, **mine).update(
                    status=Status.SENDING, attempts=F("attempts") + 1, lease_owner=self.worker_id,
                    lease_expires_at=now + timedelta(seconds=policy.lease_seconds()))
        return prepared

    def deliver_chunk(self, ids: list[int]) -> dict[int, str]:
        """Send the leased rows ``ids``; returns id → new status (rows no longer ours are left out)."""
        prepared = self._prepare(ids=ids)
        if prepared.outgoing:
            self._finish(prepared, self._start_sends(prepared))
        return prepared.results

    def _start_sends(self, prepared: _Prepared) -> list[Any]:
        """The chunk's provider calls: futures in the send pool, or the outcomes themselves without one."""
        items = list(prepared.outgoing.values())
        providers = {channel: self.provider_lookup(channel) for channel in {item.channel for item in items}}
        if self._pool is None:
            return [self._send(item, providers[item.channel]) for item in items]
        return [self._pool.submit(self._send, item, providers[item.channel]) for item in items]

    def _finish(self, prepared: _Prepared, pending: list[Any]) -> None:
        """Wait for the chunk's sends and record every outcome in one transaction."""
        items = list(prepared.outgoing.values())
        outcomes = [p.result() if hasattr(p, "result") else p for p in pending]
        # Rows are updated in id order everywhere (here, receipts), so concurrent writers cannot deadlock.
        ordered = sorted(zip(items, outcomes, strict=True), key=lambda pair: int(pair[0].out_id))
        for attempt in range(1, 6):
            try:
                with transaction.atomic():
                    recorded = self._record_all(ordered, prepared.attempts)
                break
            except OperationalError:
                # Lock timeout or deadlock victim: the outcomes are still in hand, so write them again.
                logger.warning("recording outcomes failed (try %s); retrying", attempt, exc_info=True)
                close_old_connections()
                time.sleep(0.05 * attempt)
        else:
            return  # rows stay "sending"; the sweep reconciles them from receipts
        prepared.results.update(recorded)

    def _send(self, message: Outgoing, provider: object = None) -> _Outcome:
        started_at, clock = timezone.now(), time.monotonic()
        outcome = self._call(message, provider)
        outcome.started_at = started_at
        outcome.duration_ms = int((time.monotonic() - clock) * 1000)
        return outcome

    def _call(self, message: Outgoing, provider: object = None) -> _Outcome:
        if provider is None:
            provider = self.provider_lookup(message.channel)
        try:
            result = provider.send(message)  # type: ignore[attr-defined]
        except UnknownOutcome as exc:
            return _Outcome(Status.UNKNOWN, error=str(exc), response_code=exc.response_code)
        except DeliveryError as exc:
            return _Outcome(Status.FAILED, error=str(exc), permanent=exc.permanent, response_code=exc.response_code)
        except Exception as exc:  # a provider bug must not kill the worker; retry like a temporary failure
            logger.exception("provider for %s crashed on message %s", message.channel, message.out_id)
            return _Outcome(Status.FAILED, error=f"{type(exc).__name__}: {exc}")
        return _Outcome(Status.SENT, provider_id=result.provider_id or "", provider=getattr(provider, "name", ""),
                        response_code=getattr(result, "response_code", None))

    def _record_all(self, ordered: list[tuple[Outgoing, _Outcome]], attempts: dict[int, int]) -> dict[int, str]:
        """Write every outcome of a chunk; the successful ones in a single statement."""
        sent = {int(item.out_id): outcome for item, outcome in ordered if outcome.status == Status.SENT}
        recorded: dict[int, str] = {}
        if sent:
            self._mark_sent(sent)
            recorded.update(dict.fromkeys(sent, Status.SENT))
        for item, outcome in ordered:
            pk = int(item.out_id)
            if pk not in sent:
                recorded[pk] = self._record(pk, attempts[pk], outcome)
        hooks_ok = [int(item.out_id) for item, _o in ordered
                    if item.channel == Channel.WEBHOOK and recorded.get(int(item.out_id)) == Status.SENT]
        if hooks_ok:
            # A 2xx answer is the receiver's own acknowledgement: delivered, no receipt to wait for.
            Message.objects.filter(pk__in=hooks_ok, status=Status.SENT).update(
                status=Status.DELIVERED, delivered_at=timezone.now())
            recorded.update(dict.fromkeys(hooks_ok, Status.DELIVERED))
        self._log_webhook_attempts(ordered, attempts, recorded)
        return recorded

    @staticmethod
    def _log_webhook_attempts(ordered: list[tuple[Outgoing, _Outcome]], attempts: dict[int, int],
                              recorded: dict[int, str]) -> None:
        """Each webhook try is kept (the delivery log), in the commit that records its outcome."""
        rows = [
            WebhookAttempt(message_id=int(item.out_id), number=attempts[int(item.out_id)],
                           at=outcome.started_at or timezone.now(), outcome=recorded[int(item.out_id)],
                           response_code=outcome.response_code, error=outcome.error[:500],
                           duration_ms=outcome.duration_ms)
            for item, outcome in ordered if item.channel == Channel.WEBHOOK and int(item.out_id) in recorded
        ]
        if rows:
            WebhookAttempt.objects.bulk_create(rows)

    def _mark_sent(self, sent: dict[int, _Outcome]) -> None:
        """One ``UPDATE … FROM (VALUES …)`` for the chunk's successes (PostgreSQL, SQLite ≥ 3.33).

        Each row gets its own provider id; the statement still only matches rows this worker holds.
        """
        table = connection.ops.quote_name(Message._meta.db_table)
        rows = sorted(sent.items())
        values = ", ".join(["(%s, %s, %s)"] * len(rows))
        params: list[Any] = []
        for pk, outcome in rows:
            params += [pk, outcome.provider[:32], outcome.provider_id[:128]]
        sql = (
            f"UPDATE {table} SET status = %s, sent_at = %s, last_error = '', lease_owner = '', "  # noqa: S608
            f"lease_expires_at = NULL, provider = v.column2, provider_id = v.column3 "
            f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1 AND {table}.status = %s "
            f"AND {table}.lease_owner = %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [Status.SENT, timezone.now(), *params, Status.SENDING, self.worker_id])

    def _record(self, pk: int, attempts: int, outcome: _Outcome) -> str:
        now = timezone.now()
        sending = Message.objects.filter(pk=pk, status=Status.SENDING, lease_owner=self.worker_id)
        done = {"lease_owner": "", "lease_expires_at": None}
        if outcome.status == Status.SENT:
            sending.update(status=Status.SENT, sent_at=now, provider=outcome.provider[:32],
                           provider_id=outcome.provider_id[:128], last_error="", **done)
            return Status.SENT
        if outcome.status == Status.UNKNOWN:
            sending.update(status=Status.UNKNOWN, unknown_since=now, last_error=outcome.error[:500], **done)
            return Status.UNKNOWN
        if outcome.permanent or attempts >= policy.max_attempts():
            sending.update(status=Status.DEAD, last_error=outcome.error[:500], **done)
            return Status.DEAD
        delay = retry_delay(attempts, base_seconds=policy.retry_base_seconds(),
                            cap_seconds=policy.retry_cap_seconds())
        sending.update(status=Status.FAILED, last_error=outcome.error[:500], next_attempt_at=now + delay, **done)
        return Status.FAILED

    def deliver(self, message_id: int) -> str:
        """Send one leased message; returns its new status (or "" when it was no longer ours)."""
        return self.deliver_chunk([message_id]).get(message_id, "")

    # --- loops ------------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Claim and send up to ``batch_size`` rows, ``chunk`` at a time; returns how many rows were claimed.

        With a send pool the chunks overlap: the next chunk is claimed and marked ``sending`` while the
        previous one is on the wire, and a chunk's outcomes are recorded while the next one sends — so at
        most two chunks per worker are ``sending`` at once (a kill interrupts at most those; with receipts
        they are settled from what the gateway accepted). Without a pool (``threads`` 1) one chunk at a time.
        """
        claimed = 0
        inflight: tuple[_Prepared, list[Any]] | None = None
        try:
            while claimed < self.batch_size and not self.stop_event.is_set():
                want = min(self.chunk, self.batch_size - claimed)
                prepared = self._prepare(limit=want)
                claimed += prepared.claimed
                pending = self._start_sends(prepared) if prepared.outgoing else None
                if inflight is not None:
                    self._finish(*inflight)
                    inflight = None
                if pending is not None:
                    inflight = (prepared, pending)
                    if self._pool is None:
                        self._finish(*inflight)
                        inflight = None
                if prepared.claimed < want:
                    break  # nothing more due now
        finally:
            if inflight is not None:
                self._finish(*inflight)
        return claimed

    def run_until_idle(self, *, max_batches: int = 1000) -> int:
        total = 0
        for _ in range(max_batches):
            claimed = self.run_once()
            total += claimed
            if not claimed or self.stop_event.is_set():
                break
        return total

    def run_forever(self) -> None:
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
