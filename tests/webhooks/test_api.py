"""/api/v1/webhooks/: administrators only; bad input is a 400 naming the field; the secret is shown once."""

from __future__ import annotations

import pytest

from careloop.audit.models import AuditEvent
from careloop.messaging.models import Message, Webhook
from careloop.messaging.webhooks import webhook_send_test

pytestmark = pytest.mark.django_db

GOOD = {"name": "区域平台", "url": "https://integrator.example.com/careloop", "events": ["followup.task_done"]}


def state():
    return (list(Webhook.objects.values_list("id", "name", "url", "events", "active", "secret")),
            Message.objects.count(), AuditEvent.objects.filter(action__startswith="webhook.").count())


def test_admin_creates_and_sees_the_secret_once(world, api) -> None:
    c = api(world.admin)
    r = c.post("/api/v1/webhooks/", {**GOOD, "branch": world.bj.pk}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    hook = Webhook.objects.get()
    assert body["secret"] == hook.secret and body["secret"].startswith("whsec_")
    assert (body["url"], body["events"], body["branch"], body["active"]) == (GOOD["url"], GOOD["events"], world.bj.pk,
                                                                             True)
    assert "secret" not in c.get(f"/api/v1/webhooks/{hook.pk}/").json()
    assert "secret" not in c.get("/api/v1/webhooks/").json()["results"][0]
    # stored encrypted
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM messaging_webhook WHERE id = %s", [hook.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("c1:") and body["secret"] not in stored
    rotated = c.post(f"/api/v1/webhooks/{hook.pk}/rotate-secret/").json()["secret"]
    hook.refresh_from_db()
    assert rotated == hook.secret != body["secret"]
    actions = list(AuditEvent.objects.filter(action__startswith="webhook.").order_by("append_id").values_list("action", "actor_id"))
    assert actions == [("webhook.create", world.admin.pk), ("webhook.rotate_secret", world.admin.pk)]
    assert all(body["secret"] not in str(e.detail) for e in AuditEvent.objects.all())


@pytest.mark.parametrize(("change", "field"), [
    ({"url": "http://integrator.example.com/x"}, "url"),
    ({"url": "https://127.0.0.1/x"}, "url"),
    ({"url": "https://10.1.2.3/x"}, "url"),
    ({"url": "ftp://example.com/x"}, "url"),
    ({"url": "https://user:pw@example.com/x"}, "url"),
    ({"url": "https://example.com:99999/x"}, "url"),
    ({"url": "https://[::1/x"}, "url"),
    ({"url": "https://[::1]/x"}, "url"),
    ({"events": ["followup.task_done", "nope.never"]}, "events"),
    ({"events": []}, "events"),
    ({"events": "followup.task_done"}, "events"),
    ({"branch": 999999}, "branch"),
    ({"name": ""}, "name"),
])
def test_bad_input_is_a_400_naming_the_field(world, api, change, field) -> None:
    before = state()
    r = api(world.admin).post("/api/v1/webhooks/", {**GOOD, "branch": world.bj.pk, **change}, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()
    assert state() == before


def test_http_to_a_private_host_only_when_the_deployment_allows(world, api, settings) -> None:
    payload = {**GOOD, "url": "http://127.0.0.1:8080/hook", "branch": world.hq.pk}
    assert api(world.admin).post("/api/v1/webhooks/", payload, format="json").status_code == 400
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    assert api(world.admin).post("/api/v1/webhooks/", payload, format="json").status_code == 201
    # still no plain http to a public host
    r = api(world.admin).post("/api/v1/webhooks/", {**payload, "url": "http://example.com/h"}, format="json")
    assert (r.status_code, list(r.json())) == (400, ["url"])


@pytest.mark.parametrize("who", ["nurse", "lead", "service", "clerk", "auditor", "manager", "outsider"])
def test_non_admins_are_denied_and_nothing_changes(world, api, hook_factory, who) -> None:
    hook, _ = hook_factory()
    before = state()
    c = api(getattr(world, who))
    calls = [
        c.get("/api/v1/webhooks/"),
        c.post("/api/v1/webhooks/", {**GOOD, "branch": world.bj.pk}, format="json"),
        c.get(f"/api/v1/webhooks/{hook.pk}/"),
        c.patch(f"/api/v1/webhooks/{hook.pk}/", {"url": "https://evil.example.com/"}, format="json"),
        c.delete(f"/api/v1/webhooks/{hook.pk}/"),
        c.post(f"/api/v1/webhooks/{hook.pk}/test/"),
        c.post(f"/api/v1/webhooks/{hook.pk}/rotate-secret/"),
        c.get(f"/api/v1/webhooks/{hook.pk}/deliveries/"),
        c.get("/api/v1/webhooks/events/"),
    ]
    assert [r.status_code for r in calls] == [403] * len(calls)
    assert state() == before


def test_an_admin_of_a_branch_manages_only_its_subtree(world, api, hook_factory) -> None:
    from careloop.org.models import Role
    from tests.factories import make_user

    bj_admin = make_user("bj_admin", roles=[Role.ADMIN], unit=world.bj)
    hq_hook, _ = hook_factory(branch=world.hq)
    c = api(bj_admin)
    assert c.get("/api/v1/webhooks/").json()["count"] == 0
    assert c.get(f"/api/v1/webhooks/{hq_hook.pk}/").status_code == 404
    r = c.post("/api/v1/webhooks/", {**GOOD, "branch": world.sh.pk}, format="json")
    assert (r.status_code, list(r.json())) == (400, ["branch"])
    assert c.post("/api/v1/webhooks/", {**GOOD, "branch": world.bj_site.pk}, format="json").status_code == 201


def test_update_deactivate_test_and_the_delivery_log(world, api, hook_factory) -> None:
    hook, _ = hook_factory()
    c = api(world.admin)
    r = c.patch(f"/api/v1/webhooks/{hook.pk}/", {"events": ["crm.appointment_booked", "followup.task_done"]},
                format="json")
    assert (r.status_code, r.json()["events"]) == (200, ["crm.appointment_booked", "followup.task_done"])
    r = c.patch(f"/api/v1/webhooks/{hook.pk}/", {"events": ["bogus"]}, format="json")
    assert (r.status_code, list(r.json())) == (400, ["events"])
    r = c.post(f"/api/v1/webhooks/{hook.pk}/test/")
    assert (r.status_code, r.json()["event"], r.json()["status"]) == (202, "webhook.test", "queued")
    log = c.get(f"/api/v1/webhooks/{hook.pk}/deliveries/").json()
    assert (log["count"], log["results"][0]["attempts"], log["results"][0]["response_code"]) == (1, 0, None)
    assert c.delete(f"/api/v1/webhooks/{hook.pk}/").status_code == 204
    hook.refresh_from_db()
    assert hook.active is False
    log = c.get(f"/api/v1/webhooks/{hook.pk}/deliveries/").json()
    assert (log["results"][0]["status"], log["results"][0]["cancel_reason"]) == ("cancelled", "webhook_inactive")
    assert list(AuditEvent.objects.filter(action__startswith="webhook.").order_by("append_id").values_list("action", flat=True)) == [
        "webhook.create", "webhook.update", "webhook.test", "webhook.deactivate"]
    names = [t["name"] for t in c.get("/api/v1/webhooks/events/").json()]
    assert "crm.appointment_booked" in names and len(names) == 5


def test_people_cannot_queue_a_webhook_message(world, api) -> None:
    r = api(world.nurse).post("/api/v1/messages/", {"client": world.own.pk, "purpose": "webhook_event",
                                                    "channel": "webhook"}, format="json")
    assert r.status_code == 400 and set(r.json()) == {"purpose", "channel"}


def test_admin_pages(world, client, hook_factory, settings) -> None:
    hook, secret = hook_factory()
    webhook_send_test(webhook=hook, acting_user=world.admin)
    client.force_login(world.admin)
    listing = client.get("/messages/webhooks/")
    assert listing.status_code == 200 and "区域平台" in listing.content.decode()
    page = client.get(f"/messages/webhooks/{hook.pk}/").content.decode()
    assert "webhook.test" in page and secret not in page
    r = client.post("/messages/webhooks/new/", {"name": "第二个", "url": "http://example.com/", "events": [
        "followup.task_done"], "branch": str(world.hq.pk), "active": "on"})
    assert r.status_code == 400 and Webhook.objects.count() == 1
    r = client.post("/messages/webhooks/new/", {"name": "第二个", "url": "https://example.com/h", "events": [
        "followup.task_done"], "branch": str(world.hq.pk), "active": "on"})
    created = Webhook.objects.get(name="第二个")
    assert r.status_code == 200 and created.secret in r.content.decode()
    assert created.secret not in client.get(f"/messages/webhooks/{created.pk}/").content.decode()
    r = client.post(f"/messages/webhooks/{created.pk}/test/")
    assert r.status_code == 302 and created.deliveries.count() == 1
    client.force_login(world.nurse)
    before = state()
    assert client.get("/messages/webhooks/").status_code == 403
    assert client.post(f"/messages/webhooks/{created.pk}/deactivate/").status_code == 403
    assert client.post(f"/messages/webhooks/{created.pk}/", {"name": "x", "url": "https://e.example.com/",
                                                             "events": ["followup.task_done"],
                                                             "branch": str(world.hq.pk)}).status_code == 403
    assert state() == before
