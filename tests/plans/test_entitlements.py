"""PLN-2: using a service checks and records it in one transaction; past the quota → refused (409)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from careloop.plans import services
from careloop.plans.models import EntitlementUse
from tests.plans.builders import enrol

pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC), tick=False)
def test_checkup_once_per_service_year_then_409_naming_service_quota_period(world, api):
    enrol(world, world.own)
    url = f"/api/v1/clients/{world.own.pk}/entitlements/"
    first = api(world.nurse).post(url, {"service": "checkup", "date": "2026-05-20"}, format="json")
    assert first.status_code == 201, first.json()
    second = api(world.nurse).post(url, {"service": "checkup", "date": "2026-05-21"}, format="json")
    assert second.status_code == 409
    message = second.json()["service"][0]
    assert "健康体检管理" in message and "1" in message and "2026-03-01" in message and "2027-02-28" in message
    assert second.json()["code"] == "exhausted"
    assert EntitlementUse.objects.filter(enrolment__client=world.own).count() == 1


@time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC), tick=False)
def test_service_not_in_the_plan_is_409(world, api):
    enrol(world, world.own)
    response = api(world.nurse).post(f"/api/v1/clients/{world.own.pk}/entitlements/",
                                     {"service": "green_channel"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_included"
    assert "绿色通道" in response.json()["service"][0]


@time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC), tick=False)
def test_get_lists_quota_used_remaining_and_period_end(world, api):
    enrol(world, world.own)
    services.entitlement_use(client=world.own, service="newsletter", date=dt.date(2026, 4, 1),
                             acting_user=world.nurse)
    rows = {r["service"]: r for r in api(world.nurse).get(f"/api/v1/clients/{world.own.pk}/entitlements/").json()}
    assert rows["newsletter"] == {"service": "newsletter", "name": "健康通讯资料", "quota": 4, "used": 1,
                                  "remaining": 3, "period": "year", "period_start": "2026-03-01",
                                  "period_end": "2027-02-28", "plan": "maintenance",
                                  "enrolment": rows["newsletter"]["enrolment"]}
    assert rows["archive"]["quota"] is None and rows["archive"]["remaining"] is None
    assert set(rows) == {"archive", "checkup", "assessment", "newsletter"}


@time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC), tick=False)
def test_monthly_quota_restarts_each_service_month(world):
    enrol(world, world.own, "comprehensive", start=dt.date(2026, 1, 15))
    for day in (1, 2, 3, 4):
        services.entitlement_use(client=world.own, service="family_doctor_parttime",
                                 date=dt.date(2026, 5, 14 + day), acting_user=world.nurse)
    with pytest.raises(services.EntitlementRefused) as refused:
        services.entitlement_use(client=world.own, service="family_doctor_parttime", date=dt.date(2026, 6, 14),
                                 acting_user=world.nurse)
    assert "2026-05-15" in refused.value.message and "2026-06-14" in refused.value.message
    use = services.entitlement_use(client=world.own, service="family_doctor_parttime", date=dt.date(2026, 6, 15),
                                   acting_user=world.nurse)
    assert (use.period_start, use.period_end) == (dt.date(2026, 6, 15), dt.date(2026, 7, 14))


@time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC), tick=False)
def test_denied_roles_change_nothing(world, api):
    enrol(world, world.own)
    url = f"/api/v1/clients/{world.own.pk}/entitlements/"
    assert api(world.auditor).post(url, {"service": "checkup"}, format="json").status_code == 403
    assert api(world.nurse2).post(url, {"service": "checkup"}, format="json").status_code == 404
    assert api(world.expert).post(url, {"service": "checkup"}, format="json").status_code == 403
    assert EntitlementUse.objects.count() == 0


def test_no_plan_means_not_included(world, api):
    response = api(world.nurse).post(f"/api/v1/clients/{world.own.pk}/entitlements/", {"service": "checkup",
                                     "date": "2026-05-01"}, format="json")
    assert response.status_code == 409


def test_unknown_service_is_400_naming_the_field(world, api):
    response = api(world.nurse).post(f"/api/v1/clients/{world.own.pk}/entitlements/", {"service": "massage"},
                                     format="json")
    assert response.status_code == 400
    assert "massage" in response.json()["service"][0]
