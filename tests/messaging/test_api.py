from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from careloop.messaging.models import DeliveryReceipt, Message, Status
from careloop.messaging.services import message_enqueue
from careloop.messaging.signing import sign_params
from tests.messaging.helpers import consent

# one audit row: one INSERT (no lock, no read: the sealer chains it after commit)
AUDIT_ROW_QUERIES = 1

SH = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=SH)
pytestmark = pytest.mark.django_db


def queued(client, purpose="report_ready"):
    consent(client)
    return message_enqueue(client=client, purpose=purpose, acting_user=None).message


@time_machine.travel(NOON, tick=False)
def test_list_has_contract_fields_and_is_scoped(world, api, django_assert_num_queries):
    mine = queued(world.own)
    queued(world.other_branch)
    with django_assert_num_queries(7 + AUDIT_ROW_QUERIES):  # session-less auth: roles, subtree unit ids, team, count, page (+ savepoints)
        response = api(world.nurse).get("/api/v1/messages/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert {k: row[k] for k in ("id", "client", "channel", "purpose", "status", "scheduled_at", "sent_at")} == {
        "id": mine.pk, "client": world.own.pk, "channel": "sms", "purpose": "report_ready", "status": "queued",
        "scheduled_at": "2026-11-23T12:00:00+08:00", "sent_at": None}
    assert row["body"].startswith("【健康管理中心】王芳女士您好")


def test_filter_by_client_and_bad_client_value(world, api):
    queued(world.own)
    queued(world.other_team)
    lead = api(world.lead)
    assert lead.get(f"/api/v1/messages/?client={world.own.pk}").json()["count"] == 1
    bad = lead.get("/api/v1/messages/?client=abc", HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400
    assert "client" in bad.json()


def test_outsider_and_auditor_see_nothing(world, api):
    queued(world.own)
    assert api(world.outsider).get("/api/v1/messages/").json()["count"] == 0
    assert api(world.auditor).get("/api/v1/messages/").json()["count"] == 0
    assert api().get("/api/v1/messages/").status_code in (401, 403)


@time_machine.travel(NOON, tick=False)
def test_post_enqueues_or_explains_refusal(world, api):
    nurse = api(world.nurse)
    refused = nurse.post("/api/v1/messages/", {"client": world.own.pk, "purpose": "recheck_reminder"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["refused"] == "no_consent"
    assert Message.objects.count() == 0
    consent(world.own)
    created = nurse.post("/api/v1/messages/", {"client": world.own.pk, "purpose": "recheck_reminder",
                                               "context": {"item": "血脂"}}, format="json")
    assert created.status_code == 201
    assert "复查血脂" in created.json()["body"]
    bad = nurse.post("/api/v1/messages/", {"client": world.own.pk, "purpose": "spam"}, format="json",
                     HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400
    assert "purpose" in bad.json()
    assert Message.objects.count() == 1


def test_post_for_a_client_out_of_scope_is_refused(world, api):
    consent(world.other_branch)
    response = api(world.nurse).post("/api/v1/messages/", {"client": world.other_branch.pk,
                                                           "purpose": "report_ready"}, format="json")
    assert response.status_code in (403, 404)
    assert Message.objects.count() == 0


def test_resend_and_cancel_need_manage_messages_and_a_reason(world, api):
    message = queued(world.own)
    Message.objects.filter(pk=message.pk).update(status=Status.DEAD, last_error="INVALID_MOBILE")
    denied = api(world.nurse).post(f"/api/v1/messages/{message.pk}/resend/", {"reason": "号码已更正"}, format="json")
    assert denied.status_code == 403
    message.refresh_from_db()
    assert message.status == Status.DEAD
    admin = api(world.admin)
    assert admin.post(f"/api/v1/messages/{message.pk}/resend/", {}, format="json").status_code == 400
    resent = admin.post(f"/api/v1/messages/{message.pk}/resend/", {"reason": "号码已更正"}, format="json")
    assert (resent.status_code, resent.json()["status"]) == (200, "queued")
    cancelled = admin.post(f"/api/v1/messages/{message.pk}/cancel/", {"reason": "客户来电不需要"}, format="json")
    assert (cancelled.status_code, cancelled.json()["status"], cancelled.json()["cancel_reason"]) == (
        200, "cancelled", "客户来电不需要")


def test_health_figures(world, api):
    message = queued(world.own)
    Message.objects.filter(pk=message.pk).update(status=Status.DEAD)
    queued(world.own)
    assert api(world.nurse).get("/api/v1/messages/health/").status_code == 403
    body = api(world.admin).get("/api/v1/messages/health/").json()
    assert (body["depth"], body["dead"], body["unknown"]) == (1, 1, 0)


def test_receipt_callback_is_authenticated_by_signature(world, api, settings):
    settings.MESSAGING_RECEIPT_SECRET = "gw-secret"
    message = queued(world.own)
    Message.objects.filter(pk=message.pk).update(status=Status.SENT)
    forged = sign_params({"outId": str(message.pk), "bizId": "b", "status": "DELIVRD"}, app_key="gw",
                         secret="guess")
    assert api().post("/api/v1/messages/receipts/", forged).status_code == 401
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert DeliveryReceipt.objects.count() == 0
    genuine = sign_params({"outId": str(message.pk), "bizId": "b", "status": "DELIVRD"}, app_key="gw",
                          secret="gw-secret")
    response = api().post("/api/v1/messages/receipts/", genuine)
    assert (response.status_code, response.json()) == (200, {"code": "OK", "count": 1})
    message.refresh_from_db()
    assert message.status == Status.DELIVERED


def test_subscriptions_api(world, api):
    nurse = api(world.nurse)
    listing = nurse.get(f"/api/v1/messages/subscriptions/?client={world.own.pk}").json()
    assert listing["changes_used"] == 0
    assert {r["purpose"]: r["active"] for r in listing["results"]}["medication_reminder"] is True
    changed = nurse.post("/api/v1/messages/subscriptions/", {"client": world.own.pk,
                                                             "purpose": "medication_reminder", "active": False},
                         format="json")
    assert changed.json() == {"client": world.own.pk, "purpose": "medication_reminder", "active": False}
    assert nurse.get(f"/api/v1/messages/subscriptions/?client={world.own.pk}").json()["changes_used"] == 1


def test_batched_receipts_are_recorded_in_one_call(world, api, settings):
    import json

    settings.MESSAGING_RECEIPT_SECRET = "gw-secret"
    first, second = queued(world.own), queued(world.own)
    Message.objects.update(status=Status.SENT)
    reports = [{"outId": str(first.pk), "bizId": "b1", "status": "DELIVRD"},
               {"outId": str(second.pk), "bizId": "b2", "status": "UNDELIV"}]
    params = sign_params({"reports": json.dumps(reports)}, app_key="gw", secret="gw-secret")
    response = api().post("/api/v1/messages/receipts/", params)
    assert response.json() == {"code": "OK", "count": 2}
    assert dict(Message.objects.values_list("id", "status")) == {first.pk: Status.DELIVERED, second.pk: Status.DEAD}
    garbled = sign_params({"reports": "[{]"}, app_key="gw", secret="gw-secret")
    assert api().post("/api/v1/messages/receipts/", garbled).status_code == 400


def test_odd_input_is_a_4xx_never_a_500(world, api, settings):
    settings.MESSAGING_RECEIPT_SECRET = "gw-secret"
    admin = api(world.admin)
    huge = "9" * 30
    assert admin.get(f"/api/v1/messages/?client={huge}").status_code == 400
    assert admin.get(f"/api/v1/messages/{huge}/").status_code == 404
    assert admin.post(f"/api/v1/messages/{huge}/cancel/", {"reason": "x"}, format="json").status_code == 404
    assert admin.post("/api/v1/messages/", {"client": int(huge), "purpose": "report_ready"},
                      format="json").status_code == 400
    assert admin.get(f"/api/v1/messages/subscriptions/?client={huge}").status_code == 400
    assert api().post("/api/v1/messages/receipts/", [1, 2], format="json").status_code == 401
    assert Message.objects.count() == 0
