import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.audit.models import AuditEvent
from careloop.clients.models import Client, Consent, StatusChange
from careloop.lib.identity import make_id_number
from tests.factories import make_client

BIRTH = dt.date(1985, 3, 9)


def body(world, **extra):
    data = {"name": "陈静", "sex": "female", "birth_date": "1985-03-09",
            "id_number": make_id_number("110105", BIRTH, 77, "female"), "phone": "13612345678", "branch": world.bj.pk}
    data.update(extra)
    return data


def test_list_masks_phone_and_id(world, api):
    response = api(world.service).get("/api/v1/clients/", {"q": "王"})
    row = response.json()["results"][0]
    assert row["name"] == "王芳" and row["phone"] == "138****1234"
    assert row["id_number"] == world.own.id_number[:3] + "*" * 11 + world.own.id_number[-4:]
    assert set(row) >= {"id", "name", "sex", "birth_date", "phone", "id_number", "branch", "tier", "status"}


def test_exact_search_by_phone_and_id_number(world, api):
    user = api(world.admin)
    assert [r["id"] for r in user.get("/api/v1/clients/", {"phone": "+86 138 1234 1234"}).json()["results"]] == [world.own.pk]
    assert [r["id"] for r in user.get("/api/v1/clients/", {"id_number": world.other_branch.id_number.lower()}).json()["results"]] == [world.other_branch.pk]
    assert user.get("/api/v1/clients/", {"phone": "13812341235"}).json()["count"] == 0


def test_name_prefix_search(world, api):
    make_client(branch=world.bj, name="王芳芳")
    make_client(branch=world.bj, name="汪芳")
    names = [r["name"] for r in api(world.admin).get("/api/v1/clients/", {"q": "王芳"}).json()["results"]]
    assert names == ["王芳", "王芳芳"]


def test_list_query_count_does_not_grow_with_rows(world, api):
    for i in range(30):
        make_client(branch=world.bj, name=f"赵{i:02d}")
    client = api(world.service)
    client.get("/api/v1/clients/")  # the first request loads the user's roles and unit
    with CaptureQueriesContext(connection) as small:
        client.get("/api/v1/clients/", {"page_size": 5})
    with CaptureQueriesContext(connection) as large:
        client.get("/api/v1/clients/", {"page_size": 30})
    # count, page, and the audit row: one INSERT (no lock, no read of the chain's last row).
    assert len(small) == len(large)
    assert [q["sql"].split()[0] for q in large.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))] == [
        "SELECT", "SELECT", "INSERT"]


def test_list_writes_one_audit_row_without_search_values(world, api):
    api(world.service).get("/api/v1/clients/", {"phone": "13812341234"})
    event = AuditEvent.objects.get(action="client.list")
    assert event.detail == {"filters": {"phone": "***"}, "count": 1}


def test_create_returns_masked_client_and_audits(world, api):
    response = api(world.clerk).post("/api/v1/clients/", body(world), format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["phone"] == "136****5678" and data["sex"] == "female" and data["tier"] == "C" and data["status"] == "active"
    client = Client.objects.get(pk=data["id"])
    assert client.phone == "13612345678"
    assert AuditEvent.objects.filter(action="client.create", client_id=client.pk, actor_name="clerk").count() == 1


@pytest.mark.parametrize(
    ("lang", "override", "field", "message"),
    [
        ("zh-hans", {"id_number": "110105198503090771"}, "id_number", "身份证号："),
        ("en", {"id_number": "110105198503090771"}, "id_number", "Resident ID number: check character is wrong"),
        ("zh-hans", {"phone": "12345"}, "phone", "手机号：应为 11 位数字（当前 5 位）"),
        ("en", {"phone": "12345"}, "phone", "Mobile phone: must have 11 digits (it has 5)"),
        ("zh-hans", {"birth_date": "1985-03-10"}, "id_number", "身份证号：中的出生日期为 1985-03-09，与填写的出生日期不一致"),
        ("zh-hans", {"sex": "male"}, "id_number", "身份证号：中的性别为女，与填写的性别不一致"),
        ("en", {"birth_date": "1985-02-30"}, "birth_date", "Date has wrong format"),
        ("en", {"branch": 999999}, "branch", "Branch: no organisation unit with id 999999"),
    ],
)
def test_bad_input_names_the_field_in_the_request_language(world, api, lang, override, field, message):
    count = Client.objects.count()
    response = api(world.clerk, lang=lang).post("/api/v1/clients/", body(world, **override), format="json")
    assert response.status_code == 400
    errors = response.json()
    assert field in errors and any(m.startswith(message) for m in errors[field]), errors
    assert Client.objects.count() == count


def test_duplicate_id_number_is_a_conflict_naming_the_existing_client(world, api):
    data = body(world, id_number=world.own.id_number, birth_date=world.own.birth_date.isoformat(), sex=world.own.sex)
    response = api(world.clerk).post("/api/v1/clients/", data, format="json")
    assert response.status_code == 409
    assert response.json()["duplicates"] == [{"id": world.own.pk, "name": "王芳", "birth_date": "1970-05-17"}]


def test_same_name_birth_and_phone_needs_confirmation(world, api):
    data = body(world, name="王芳", birth_date="1970-05-17", phone="13812341234", id_number="")
    first = api(world.clerk).post("/api/v1/clients/", data, format="json")
    assert first.status_code == 409 and first.json()["duplicates"][0]["id"] == world.own.pk
    second = api(world.clerk).post("/api/v1/clients/", {**data, "confirm_not_duplicate": True}, format="json")
    assert second.status_code == 201


def test_status_change_needs_reason_and_keeps_history(world, api):
    client = api(world.lead)
    missing = client.post(f"/api/v1/clients/{world.own.pk}/status/", {"status": "deceased", "reason": ""}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()
    ok = client.post(f"/api/v1/clients/{world.own.pk}/status/", {"status": "deceased", "reason": "家属来电告知"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "deceased"
    change = StatusChange.objects.get(client=world.own)
    assert (change.old, change.new, change.reason, change.changed_by) == ("active", "deceased", "家属来电告知", world.lead)


def test_assignment_history(world, api):
    client = api(world.lead)
    response = client.post(f"/api/v1/clients/{world.own.pk}/assignments/",
                           {"kind": "health_manager", "staff": world.lead.pk, "reason": "换组"}, format="json")
    assert response.status_code == 200 and response.json()["health_manager"] == world.lead.pk
    client.post(f"/api/v1/clients/{world.own.pk}/assignments/", {"kind": "health_manager", "staff": world.nurse.pk}, format="json")
    rows = list(world.own.assignments.order_by("id").values_list("staff__username", "ended_at"))
    assert [r[0] for r in rows] == ["lead", "nurse"]
    assert rows[0][1] is not None and rows[1][1] is None
    wrong = client.post(f"/api/v1/clients/{world.own.pk}/assignments/", {"kind": "family_doctor", "staff": world.nurse.pk}, format="json")
    assert wrong.status_code == 400 and "staff" in wrong.json()


def test_reveal_needs_right_and_reason_and_is_audited(world, api):
    ok = api(world.nurse).post(f"/api/v1/clients/{world.own.pk}/reveal/", {"field": "phone", "reason": "call"}, format="json")
    assert ok.json() == {"field": "phone", "value": "13812341234"}
    event = AuditEvent.objects.get(action="client.reveal", result="ok")
    assert (event.actor_name, event.client_id, event.detail) == ("nurse", world.own.pk, {"field": "phone", "reason": "call"})
    no_reason = api(world.nurse).post(f"/api/v1/clients/{world.own.pk}/reveal/", {"field": "phone"}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    denied = api(world.expert).post(f"/api/v1/clients/{world.own.pk}/reveal/", {"field": "phone", "reason": "call"}, format="json")
    assert denied.status_code == 403 and "138" not in denied.content.decode()
    assert AuditEvent.objects.filter(action="client.reveal", result="denied", actor_name="expert").count() == 1


def test_consents_post_and_list(world, api):
    client = api(world.nurse)
    url = f"/api/v1/clients/{world.own.pk}/consents/"
    assert client.post(url, {"purpose": "reminders", "granted": True}, format="json").status_code == 201
    assert client.post(url, {"purpose": "reminders", "granted": False}, format="json").status_code == 201
    bad = client.post(url, {"purpose": "spam", "granted": True}, format="json")
    assert bad.status_code == 400 and "purpose" in bad.json()
    rows = client.get(url).json()
    assert [(r["purpose"], r["granted"]) for r in rows] == [("reminders", False), ("reminders", True)]
    from careloop.clients.services import consent_current

    assert consent_current(world.own, "reminders") is False
    assert Consent.objects.filter(client=world.own).count() == 2
    assert AuditEvent.objects.filter(action="consent.withdraw").count() == 1


def test_timeline_lists_archive_events_newest_first(world, api):
    client = api(world.lead)
    client.post(f"/api/v1/clients/{world.own.pk}/status/", {"status": "cured", "reason": "复查正常"}, format="json")
    entries = client.get(f"/api/v1/clients/{world.own.pk}/timeline/", {"kind": "archive"}).json()
    assert entries[0]["title"].startswith("状态") and entries[-1]["title"] == "建档"
    assert client.get(f"/api/v1/clients/{world.own.pk}/timeline/", {"kind": "nonsense"}).status_code == 400


def test_fhir_bundle(world, api):
    api(world.nurse).post(f"/api/v1/clients/{world.own.pk}/consents/", {"purpose": "health_data", "granted": True}, format="json")
    bundle = api(world.nurse).get(f"/api/v1/clients/{world.own.pk}/fhir/").json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    patient = bundle["entry"][0]["resource"]
    assert (patient["resourceType"], patient["gender"], patient["birthDate"]) == ("Patient", "female", "1970-05-17")
    assert patient["telecom"][0]["value"] == "138****1234"
    consent = bundle["entry"][1]["resource"]
    assert (consent["resourceType"], consent["status"], consent["provision"]["type"]) == ("Consent", "active", "permit")


def test_enterprises_scoped_and_members(world, api):
    created = api(world.service).post("/api/v1/enterprises/", {"name": "北京某科技公司", "branch": world.bj.pk,
                                                                "contact_phone": "13611112222"}, format="json")
    assert created.status_code == 201 and created.json()["contact_phone"] == "136****2222"
    eid = created.json()["id"]
    added = api(world.service).post(f"/api/v1/enterprises/{eid}/members/", {"client": world.own.pk, "employee_no": "E01"}, format="json")
    assert added.status_code == 201
    assert api(world.service).get(f"/api/v1/enterprises/{eid}/").json()["member_count"] == 1
    assert api(world.nurse2).get(f"/api/v1/enterprises/{eid}/").status_code == 404
    out_of_scope = api(world.service).post(f"/api/v1/enterprises/{eid}/members/", {"client": world.other_branch.pk}, format="json")
    assert out_of_scope.status_code == 400 and "client" in out_of_scope.json()


def test_audit_events_for_auditor_only(world, api):
    api(world.nurse).get(f"/api/v1/clients/{world.own.pk}/")
    rows = api(world.auditor).get("/api/v1/audit-events/", {"client": world.own.pk, "actor": "nurse"}).json()["results"]
    assert [(r["action"], r["actor"], r["client"], r["result"]) for r in rows] == [("client.view", "nurse", world.own.pk, "ok")]
    for role in ("nurse", "admin", "manager"):
        assert api(getattr(world, role)).get("/api/v1/audit-events/").status_code == 403
    assert api(world.auditor).get("/api/v1/audit-events/", {"client": "x"}).status_code == 400
    assert api(world.auditor).get("/api/v1/clients/").status_code == 403


def test_nul_characters_in_a_query_are_refused_by_name(world, api):
    response = api(world.service, lang="en").get("/api/v1/clients/", {"q": "王\x00"})
    assert response.status_code == 400 and response.json() == {"q": ["must not contain NUL characters"]}
