from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from careloop.clients.services import consent_record
from careloop.messaging.dispatcher import Dispatcher, sweep
from careloop.messaging.models import DeliveryReceipt, Message, Status
from careloop.messaging.providers import PermanentFailure, SendResult, TemporaryFailure, UnknownOutcome
from careloop.messaging.services import message_enqueue, receipt_record
from tests.messaging.helpers import consent

SH = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=SH)
pytestmark = pytest.mark.django_db


class Recorder:
    """A provider that records sends and raises what it is told to, in order."""

    name = "recorder"

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.sent = []

    def send(self, message):
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if isinstance(outcome, Exception):
            raise outcome
        self.sent.append(message)
        return SendResult(provider_id=f"p-{message.out_id}")


def queue(world, n=1, purpose="report_ready"):
    consent(world.own)
    return [message_enqueue(client=world.own, purpose=purpose, acting_user=None).message for _ in range(n)]


def dispatcher(provider, **kw):
    return Dispatcher(worker_id="w1", provider_lookup=lambda channel: provider, **kw)


@time_machine.travel(NOON, tick=False)
def test_due_message_is_sent_once_with_provider_id(world):
    [message] = queue(world)
    provider = Recorder()
    assert dispatcher(provider).run_until_idle() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id, message.sent_at) == (Status.SENT, 1, f"p-{message.pk}", NOON)
    assert (message.lease_owner, message.lease_expires_at) == ("", None)
    assert [(m.out_id, m.to, m.body) for m in provider.sent] == [(str(message.pk), "13812341234", message.body)]
    assert dispatcher(provider).run_until_idle() == 0
    assert len(provider.sent) == 1


@time_machine.travel(NOON, tick=False)
def test_message_scheduled_later_waits(world):
    consent(world.own)
    message_enqueue(client=world.own, purpose="report_ready", scheduled_at=NOON + timedelta(hours=1), acting_user=None)
    assert dispatcher(Recorder()).run_until_idle() == 0


def test_temporary_failure_retries_with_growing_backoff_then_dies(world, settings):
    settings.MESSAGING_MAX_ATTEMPTS = 3
    settings.MESSAGING_RETRY_BASE_SECONDS = 60
    with time_machine.travel(NOON, tick=False) as clock:
        [message] = queue(world)
        provider = Recorder(*(TemporaryFailure("busy") for _ in range(3)))
        dispatcher(provider).run_until_idle()
        message.refresh_from_db()
        assert (message.status, message.attempts, message.last_error) == (Status.FAILED, 1, "busy")
        first_wait = message.next_attempt_at - NOON
        assert timedelta(seconds=30) <= first_wait <= timedelta(seconds=60)
        assert dispatcher(provider).run_until_idle() == 0  # not due yet
        clock.move_to(message.next_attempt_at)
        dispatcher(provider).run_until_idle()
        message.refresh_from_db()
        assert (message.status, message.attempts) == (Status.FAILED, 2)
        second_wait = message.next_attempt_at - timezone.now()
        assert timedelta(seconds=60) <= second_wait <= timedelta(seconds=120)
        clock.move_to(message.next_attempt_at)
        dispatcher(provider).run_until_idle()
        message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.DEAD, 3)
    assert provider.sent == []


@time_machine.travel(NOON, tick=False)
def test_permanent_failure_is_dead_at_once(world):
    [message] = queue(world)
    dispatcher(Recorder(PermanentFailure("number not in service", code="INVALID_MOBILE"))).run_until_idle()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Status.DEAD, 1, "number not in service")


@time_machine.travel(NOON, tick=False)
def test_provider_crash_is_retried_not_fatal(world):
    [message] = queue(world)
    dispatcher(Recorder(ZeroDivisionError("bug"))).run_until_idle()
    message.refresh_from_db()
    assert (message.status, message.last_error) == (Status.FAILED, "ZeroDivisionError: bug")


def test_lost_answer_is_unknown_and_reconciled_from_a_receipt_not_resent(world, settings):
    settings.MESSAGING_UNKNOWN_GRACE_SECONDS = 300
    with time_machine.travel(NOON, tick=False) as clock:
        [message] = queue(world)
        provider = Recorder(UnknownOutcome("no answer"))
        dispatcher(provider).run_until_idle()
        message.refresh_from_db()
        assert message.status == Status.UNKNOWN
        assert dispatcher(provider).run_until_idle() == 0  # unknown is never claimed
        receipt_record(out_id=str(message.pk), provider_id="biz-1", status="DELIVRD")
        clock.shift(timedelta(minutes=10))
        sweep()
        message.refresh_from_db()
    assert (message.status, message.provider_id) == (Status.DELIVERED, "biz-1")
    assert provider.sent == []


def test_unknown_without_receipt_is_requeued_after_grace_and_flagged_when_receipts_are_off(world, settings):
    settings.MESSAGING_UNKNOWN_GRACE_SECONDS = 300
    with time_machine.travel(NOON, tick=False) as clock:
        [message] = queue(world)
        provider = Recorder(UnknownOutcome("no answer"))
        dispatcher(provider).run_until_idle()
        clock.shift(timedelta(seconds=299))
        assert sweep().requeued == 0
        clock.shift(timedelta(seconds=1))
        assert sweep().requeued == 1
        message.refresh_from_db()
        assert (message.status, message.possible_duplicate) == (Status.QUEUED, True)
        dispatcher(provider).run_until_idle()
        message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)


def test_crashed_worker_lease_expires_into_unknown(world, settings):
    settings.MESSAGING_LEASE_SECONDS = 60
    with time_machine.travel(NOON, tick=False) as clock:
        [message] = queue(world)
        Message.objects.filter(pk=message.pk).update(status=Status.SENDING, lease_owner="dead-worker",
                                                     lease_expires_at=NOON + timedelta(seconds=60), attempts=1)
        assert sweep().expired == 0
        clock.shift(timedelta(seconds=61))
        assert sweep().expired == 1
        message.refresh_from_db()
    assert (message.status, message.lease_owner, message.unknown_since) == (
        Status.UNKNOWN, "", NOON + timedelta(seconds=61))


@time_machine.travel(NOON, tick=False)
def test_live_lease_of_another_worker_is_respected(world, settings):
    [message] = queue(world)
    first = dispatcher(Recorder())
    assert first.claim() == [message.pk]
    second = Dispatcher(worker_id="w2", provider_lookup=lambda c: Recorder())
    assert second.claim() == []
    assert second.deliver(message.pk) == ""
    assert first.deliver(message.pk) == Status.SENT


@time_machine.travel(NOON, tick=False)
def test_withdrawn_consent_cancels_pending_at_once_and_the_dispatcher_never_sends(world):
    queue(world, 2)
    consent_record(acting_user=world.nurse, client=world.own, purpose="reminders", granted=False)
    assert list(Message.objects.values_list("status", "cancel_reason")) == [
        (Status.CANCELLED, "consent withdrawn")] * 2
    provider = Recorder()
    assert dispatcher(provider).run_until_idle() == 0
    assert provider.sent == []


@time_machine.travel(NOON, tick=False)
def test_consent_withdrawn_behind_our_back_is_caught_by_the_dispatcher_and_the_sweep(world):
    [first, second] = queue(world, 2)
    consent(world.own, granted=False)  # written directly: no hook ran
    provider = Recorder()
    d = dispatcher(provider, batch_size=1)
    d.run_once()
    first.refresh_from_db()
    assert (first.status, first.cancel_reason) == (Status.CANCELLED, "no_consent")
    assert sweep().cancelled == 1
    second.refresh_from_db()
    assert second.status == Status.CANCELLED
    assert provider.sent == []


@time_machine.travel(NOON, tick=False)
def test_receipt_marks_sent_message_delivered_and_undelivered_dead(world):
    [ok, bad] = queue(world, 2)
    dispatcher(Recorder()).run_until_idle()
    receipt_record(out_id=str(ok.pk), provider_id="b1", status="DELIVRD")
    receipt_record(out_id=str(bad.pk), provider_id="b2", status="UNDELIV")
    receipt_record(out_id="999999", provider_id="b3", status="DELIVRD")  # not ours: kept, harmless
    ok.refresh_from_db()
    bad.refresh_from_db()
    assert (ok.status, ok.delivered_at) == (Status.DELIVERED, NOON)
    assert (bad.status, bad.last_error) == (Status.DEAD, "receipt: undelivered")
    assert DeliveryReceipt.objects.count() == 3


class LookupRecorder(Recorder):
    def __init__(self, *outcomes, known=()):
        super().__init__(*outcomes)
        self.known = set(known)

    def lookup(self, out_id):
        return ("accepted", f"q-{out_id}") if out_id in self.known else ("not_found", "")


def test_unknown_is_settled_by_a_status_lookup_when_the_provider_has_one(world, settings, monkeypatch):
    settings.MESSAGING_LEASE_SECONDS = 30
    settings.MESSAGING_UNKNOWN_GRACE_SECONDS = 600
    with time_machine.travel(NOON, tick=False) as clock:
        [taken, lost] = queue(world, 2)
        provider = LookupRecorder(UnknownOutcome("reset"), UnknownOutcome("reset"), known={str(taken.pk)})
        monkeypatch.setattr("careloop.messaging.dispatcher.provider_for", lambda channel: provider)
        dispatcher(provider).run_until_idle()
        assert sweep().reconciled == 0  # too early: the gateway may still be working on it
        clock.shift(timedelta(seconds=30))
        report = sweep()
        taken.refresh_from_db()
        lost.refresh_from_db()
    assert (report.reconciled, report.requeued) == (1, 1)
    assert (taken.status, taken.provider_id) == (Status.SENT, f"q-{taken.pk}")
    assert (lost.status, lost.possible_duplicate) == (Status.QUEUED, False)
