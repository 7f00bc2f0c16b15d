"""Enterprise enrolment (ARC-3) and two concurrent uses of the last unit (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from careloop.clients.models import Enterprise, EnterpriseMember
from careloop.crm.models import LedgerEntry
from careloop.plans import services
from careloop.plans.models import Enrolment, EntitlementUse, GroupEnrolment
from tests.plans.builders import enrol

NOW = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)


@pytest.fixture
def enterprise(world):
    company = Enterprise.objects.create(name="华泰科技", branch=world.bj)
    for c in (world.own, world.other_team):
        EnterpriseMember.objects.create(enterprise=company, client=c, joined_on=dt.date(2025, 1, 1))
    return company


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_enterprise_buys_the_group_plan_for_its_members(world, api, enterprise):
    response = api(world.service).post("/api/v1/enterprise-plans/", {
        "enterprise": enterprise.pk, "plan": "maintenance_group", "start_date": "2026-06-01",
        "members": [world.own.pk, world.other_team.pk], "lectures_per_year": 3, "newsletter_copies": 20},
        format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    # 2 members × 680 + 20 printed copies × 4 issues × 5 yuan
    assert (body["members"], body["amount"], body["lectures_per_year"]) == (2, "1760.00", 3)
    assert Enrolment.objects.filter(group_id=body["id"]).count() == 2
    assert sorted(LedgerEntry.objects.values_list("amount", flat=True)) == [Decimal("680.00")] * 2
    group = GroupEnrolment.objects.get(pk=body["id"])
    url = f"/api/v1/enterprise-plans/{group.pk}/uses/"
    for _ in range(3):
        assert api(world.service).post(url, {"service": "lecture"}, format="json").status_code == 201
    fourth = api(world.service).post(url, {"service": "lecture"}, format="json")
    assert fourth.status_code == 409 and "3" in fourth.json()["service"][0]
    issue = api(world.service).post(url, {"service": "newsletter", "copies": 20}, format="json")
    assert issue.status_code == 201
    assert api(world.service).post(url, {"service": "newsletter", "copies": 21}, format="json").status_code == 400
    assert services.printed_copies(group) == 20
    # members use their own checkup; the lecture is the enterprise's, not the member's
    rows = {r["service"] for r in api(world.nurse).get(f"/api/v1/clients/{world.own.pk}/entitlements/").json()}
    assert rows == {"archive", "checkup", "assessment"}


@pytest.mark.django_db
@time_machine.travel(NOW, tick=False)
def test_group_enrolment_names_bad_fields(world, api, enterprise):
    outsider = world.other_branch
    response = api(world.service).post("/api/v1/enterprise-plans/", {
        "enterprise": enterprise.pk, "plan": "maintenance", "start_date": "2026-06-01", "members": [world.own.pk]},
        format="json")
    assert response.status_code == 400 and "plan" in response.json()
    response = api(world.service).post("/api/v1/enterprise-plans/", {
        "enterprise": enterprise.pk, "plan": "maintenance_group", "start_date": "2026-06-01",
        "members": [outsider.pk]}, format="json")
    assert response.status_code == 400 and "members" in response.json()
    assert not GroupEnrolment.objects.exists() and not LedgerEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency: PostgreSQL only")
def test_two_concurrent_uses_of_the_last_unit_one_wins(world):
    enrol(world, world.own, start=dt.date(2026, 1, 1))
    day = dt.date(2026, 5, 1)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def use() -> None:
        try:
            barrier.wait()
            services.entitlement_use(client=world.own, service="checkup", date=day, acting_user=world.nurse)
            outcomes.append("ok")
        except services.EntitlementRefused as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=use) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["exhausted", "ok"]
    assert EntitlementUse.objects.filter(service__code="checkup").count() == 1
