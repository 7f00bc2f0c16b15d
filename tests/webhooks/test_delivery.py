"""Delivery through the outbox: signed POSTs, retries with the outbox's backoff, permanent 4xx, the log."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import pytest
import time_machine

from careloop.messaging.dispatcher import Dispatcher, cancel_withdrawn
from careloop.messaging.models import Message, Status, WebhookAttempt
from careloop.messaging.providers import provider_for
from careloop.messaging.webhooks import webhook_deactivate, webhook_send_test

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a receiver does (docs/integration.md)."""
    expected = hmac.new(secret.encode(), headers["X-Careloop-Timestamp"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"sha256={expected}", headers["X-Careloop-Signature"])


def test_a_receiver_verifies_the_signature_with_the_secret(world, receiver, hook_factory) -> None:
    hook, secret = hook_factory(url=receiver.url)
    message = webhook_send_test(webhook=hook, acting_user=world.admin)
    assert Dispatcher(worker_id="w1").run_until_idle() == 1
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/hooks/careloop"
    assert verify(secret, headers, body)
    assert not verify(secret + "x", headers, body)
    assert not verify(secret, headers, body + b" ")
    assert headers["X-Careloop-Event"] == "webhook.test"
    assert headers["X-Careloop-Delivery"] == str(message.delivery_id)
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(body)
    assert (data["type"], data["branch"], data["data"]) == ("webhook.test", world.hq.pk, {"webhook": hook.pk})
    assert data["occurred_at"].endswith("+08:00")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.client_id) == (Status.DELIVERED, 1, None)
    [attempt] = WebhookAttempt.objects.filter(message=message)
    assert (attempt.number, attempt.outcome, attempt.response_code, attempt.error) == (1, Status.DELIVERED, 200, "")


def test_5xx_is_retried_with_backoff_then_delivered_with_the_same_delivery_id(world, receiver, hook_factory,
                                                                             settings) -> None:
    settings.MESSAGING_RETRY_BASE_SECONDS = 30
    receiver.statuses = [503, 429, 204]
    hook, secret = hook_factory(url=receiver.url)
    with time_machine.travel(NOW, tick=False) as clock:
        message = webhook_send_test(webhook=hook, acting_user=world.admin)
        dispatcher = Dispatcher(worker_id="w1")
        assert dispatcher.run_until_idle() == 1
        message.refresh_from_db()
        assert (message.status, message.attempts, message.last_error) == (Status.FAILED, 1, "HTTP 503")
        # equal-jitter backoff: the first retry waits between 15 and 30 seconds
        assert NOW + dt.timedelta(seconds=15) <= message.next_attempt_at <= NOW + dt.timedelta(seconds=30)
        assert dispatcher.run_until_idle() == 0  # not due yet
        clock.move_to(NOW + dt.timedelta(seconds=31))
        assert dispatcher.run_until_idle() == 1
        message.refresh_from_db()
        assert (message.status, message.attempts, message.last_error) == (Status.FAILED, 2, "HTTP 429")
        clock.move_to(NOW + dt.timedelta(minutes=5))
        assert dispatcher.run_until_idle() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Status.DELIVERED, 3, "")
    log = list(WebhookAttempt.objects.filter(message=message).values_list("number", "outcome", "response_code"))
    assert log == [(1, "failed", 503), (2, "failed", 429), (3, "delivered", 204)]
    assert {r["headers"]["X-Careloop-Delivery"] for r in receiver.requests} == {str(message.delivery_id)}
    assert all(verify(secret, r["headers"], r["body"]) for r in receiver.requests)


def test_4xx_fails_permanently_after_one_attempt(world, receiver, hook_factory) -> None:
    receiver.statuses = [410]
    hook, _secret = hook_factory(url=receiver.url)
    message = webhook_send_test(webhook=hook, acting_user=world.admin)
    Dispatcher(worker_id="w1").run_until_idle()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Status.DEAD, 1, "HTTP 410")
    assert list(WebhookAttempt.objects.values_list("outcome", "response_code")) == [("dead", 410)]
    assert len(receiver.requests) == 1


def test_408_and_an_unreachable_host_are_retried(world, receiver, hook_factory) -> None:
    receiver.statuses = [408]
    hook, _secret = hook_factory(url=receiver.url)
    message = webhook_send_test(webhook=hook, acting_user=world.admin)
    Dispatcher(worker_id="w1").run_until_idle()
    message.refresh_from_db()
    assert (message.status, message.last_error) == (Status.FAILED, "HTTP 408")
    closed, _ = hook_factory(url="http://127.0.0.1:9/")  # the discard port: nothing listens
    refused = webhook_send_test(webhook=closed, acting_user=world.admin)
    Dispatcher(worker_id="w2").deliver_chunk(Dispatcher(worker_id="w2").claim())
    refused.refresh_from_db()
    assert refused.status == Status.FAILED and refused.last_error.startswith("unreachable:")
    attempt = WebhookAttempt.objects.get(message=refused)
    assert (attempt.outcome, attempt.response_code) == ("failed", None)


def test_a_public_name_resolving_to_a_private_address_is_refused_when_sending(world, settings) -> None:
    from careloop.messaging.providers.base import Outgoing, PermanentFailure

    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(PermanentFailure) as err:
        provider_for("webhook").send(Outgoing(out_id="1", channel="webhook", to="https://localhost:9/x", body="{}",
                                              subject="webhook.test", extra={"secret": "s", "delivery_id": "d"}))
    assert err.value.code == "private_address"


def test_webhooks_skip_consent_and_quiet_hours_and_the_withdrawal_sweep(world, receiver, hook_factory, settings) -> None:
    settings.MESSAGING_QUIET_HOURS = "00:00-23:59"
    settings.MESSAGING_QUIET_CHANNELS = ["sms", "wechat", "webhook"]
    hook, _secret = hook_factory(url=receiver.url)
    message = webhook_send_test(webhook=hook, acting_user=world.admin)
    assert message.scheduled_at == message.requested_at
    assert cancel_withdrawn() == 0  # no client, no consent: never cancelled as "no_consent"
    Dispatcher(worker_id="w1").run_until_idle()
    message.refresh_from_db()
    assert message.status == Status.DELIVERED


def test_deactivating_cancels_waiting_deliveries(world, receiver, hook_factory) -> None:
    hook, _secret = hook_factory(url=receiver.url)
    message = webhook_send_test(webhook=hook, acting_user=world.admin)
    webhook_deactivate(webhook=hook, acting_user=world.admin)
    message.refresh_from_db()
    assert (message.status, message.cancel_reason) == (Status.CANCELLED, "webhook_inactive")
    assert Dispatcher(worker_id="w1").run_until_idle() == 0
    assert receiver.requests == []
    assert Message.objects.filter(status=Status.QUEUED).count() == 0


def test_the_fake_transport_sees_the_same_headers(world, hook_factory) -> None:
    from careloop.messaging.providers.base import Outgoing
    from careloop.messaging.providers.webhook import WebhookProvider, signature

    seen: list = []

    def transport(url, body, headers, timeout):
        seen.append((url, body, headers, timeout))
        return 202

    with time_machine.travel(NOW, tick=False):
        result = WebhookProvider(timeout=3, transport=transport).send(Outgoing(
            out_id="7", channel="webhook", to="https://example.com/h", body='{"a":1}', subject="crm.appointment_booked",
            extra={"secret": "whsec_k", "delivery_id": "d-1"}))
    [(url, body, headers, timeout)] = seen
    ts = str(int(NOW.timestamp()))
    assert (url, body, timeout, result.response_code) == ("https://example.com/h", b'{"a":1}', 3, 202)
    assert headers["X-Careloop-Timestamp"] == ts
    assert headers["X-Careloop-Signature"] == signature("whsec_k", ts, b'{"a":1}')
    assert headers["X-Careloop-Signature"] == "sha256=" + hmac.new(
        b"whsec_k", f"{ts}.".encode() + b'{"a":1}', hashlib.sha256).hexdigest()


def test_a_test_event_reaches_an_inactive_webhook_but_events_do_not(world, receiver, hook_factory) -> None:
    from careloop.core import events
    from careloop.messaging.models import Webhook

    hook, _secret = hook_factory(url=receiver.url, active=False, branch=world.bj,
                                 events=["servicedesk.ticket_opened"])
    test = webhook_send_test(webhook=hook, acting_user=world.admin)
    events.emit("servicedesk.ticket_opened", lambda: {"ticket": 1}, branch_id=world.bj.pk)
    assert list(Message.objects.filter(webhook=hook)) == [test]
    # an event queued while active, then the subscription switched off behind the services' back
    Webhook.objects.filter(pk=hook.pk).update(active=True)
    events.emit("servicedesk.ticket_opened", lambda: {"ticket": 2}, branch_id=world.bj.pk)
    Webhook.objects.filter(pk=hook.pk).update(active=False)
    Dispatcher(worker_id="w1").run_until_idle()
    rows = list(Message.objects.filter(webhook=hook).order_by("id").values_list("subject", "status", "cancel_reason"))
    assert rows == [("webhook.test", "delivered", ""), ("servicedesk.ticket_opened", "cancelled", "webhook_inactive")]
    assert [r["headers"]["X-Careloop-Event"] for r in receiver.requests] == ["webhook.test"]
