"""Enrolment: one service year, the version it bought, renewal, cancellation, the ledger (PLN-1, ARC-3)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from careloop.crm.models import LedgerEntry
from careloop.plans import services
from careloop.plans.models import Enrolment, EnrolmentStatus, Plan
from tests.plans.builders import enrol

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)


@time_machine.travel(NOW, tick=False)
def test_post_enrols_for_one_service_year_and_records_the_purchase(world, api):
    response = api(world.service).post(f"/api/v1/clients/{world.own.pk}/plans/",
                                       {"plan": "chronic", "start_date": "2026-06-01"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["plan"], body["start_date"], body["end_date"], body["status"], body["version"]) == (
        "chronic", "2026-06-01", "2027-05-31", "active", 1)
    entry = LedgerEntry.objects.get(client=world.own)
    assert (entry.kind, entry.amount, entry.date) == ("purchase", Decimal("2680.00"), dt.date(2026, 6, 1))
    listed = api(world.nurse).get(f"/api/v1/clients/{world.own.pk}/plans/").json()
    assert [e["id"] for e in listed] == [body["id"]]


@time_machine.travel(NOW, tick=False)
def test_a_future_start_is_booked_in_the_ledger_today(world):
    enrol(world, world.own, start=dt.date(2026, 7, 1))
    assert LedgerEntry.objects.get(client=world.own).date == dt.date(2026, 6, 1)


@time_machine.travel(NOW, tick=False)
def test_overlapping_enrolment_in_the_same_plan_is_refused(world, api):
    enrol(world, world.own, start=dt.date(2026, 3, 1))
    response = api(world.service).post(f"/api/v1/clients/{world.own.pk}/plans/",
                                       {"plan": "maintenance", "start_date": "2026-05-01"}, format="json")
    assert response.status_code == 400
    assert "start_date" in response.json()
    assert Enrolment.objects.count() == 1 and LedgerEntry.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_group_plan_cannot_be_sold_to_an_individual(world, api):
    response = api(world.service).post(f"/api/v1/clients/{world.own.pk}/plans/",
                                       {"plan": "maintenance_group", "start_date": "2026-05-01"}, format="json")
    assert response.status_code == 400 and "plan" in response.json()


@time_machine.travel(NOW, tick=False)
def test_a_new_version_applies_to_new_enrolments_only(world, api):
    old = enrol(world, world.own)
    plan = Plan.objects.get(code="maintenance")
    response = api(world.admin).put("/api/v1/plans/maintenance/", {
        "name": plan.name, "price": "1280.00", "archive_level": 1, "note": "体检改为每年2次",
        "services": [{"service": "archive", "period": "unlimited"}, {"service": "checkup", "quota": 2, "period": "year"},
                     {"service": "assessment", "quota": 1, "period": "year"},
                     {"service": "newsletter", "quota": 4, "period": "year"}]}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    new = enrol(world, world.other_team)
    assert (old.version.number, new.version.number, new.amount) == (1, 2, Decimal("1280.00"))
    services.entitlement_use(client=world.other_team, service="checkup", date=dt.date(2026, 4, 1),
                             acting_user=world.nurse_b)
    services.entitlement_use(client=world.other_team, service="checkup", date=dt.date(2026, 4, 2),
                             acting_user=world.nurse_b)
    services.entitlement_use(client=world.own, service="checkup", date=dt.date(2026, 4, 1), acting_user=world.nurse)
    with pytest.raises(services.EntitlementRefused):
        services.entitlement_use(client=world.own, service="checkup", date=dt.date(2026, 4, 2),
                                 acting_user=world.nurse)


def test_only_administrators_change_plans(world, api):
    body = {"name": "x", "price": "1", "archive_level": 1, "services": [{"service": "checkup", "quota": 1,
                                                                         "period": "year"}]}
    assert api(world.service).put("/api/v1/plans/maintenance/", body, format="json").status_code == 403
    assert Plan.objects.get(code="maintenance").versions.count() == 1


def test_plan_validation_names_each_problem(world, api):
    response = api(world.admin).post("/api/v1/plans/", {
        "code": "vip", "name": "VIP", "price": "100", "archive_level": 3,
        "services": [{"service": "checkup", "period": "year"}, {"service": "spa", "quota": 1, "period": "year"}]},
        format="json")
    assert response.status_code == 400
    errors = response.json()["services"]
    assert any("spa" in e for e in errors) and any("健康体检管理" in e for e in errors)
    assert not Plan.objects.filter(code="vip").exists()


@time_machine.travel(NOW, tick=False)
def test_renewal_starts_the_day_after_and_cancellation_refunds(world, api):
    e = enrol(world, world.own, start=dt.date(2025, 6, 10))
    renewed = api(world.service).post(f"/api/v1/clients/{world.own.pk}/plans/{e.pk}/renew/")
    assert renewed.status_code == 201
    assert (renewed.json()["start_date"], renewed.json()["end_date"]) == ("2026-06-10", "2027-06-09")
    cancelled = api(world.service).post(f"/api/v1/clients/{world.own.pk}/plans/{renewed.json()['id']}/cancel/",
                                        {"reason": "客户出国", "refund": "500"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == EnrolmentStatus.CANCELLED
    kinds = sorted((x.kind, x.amount) for x in LedgerEntry.objects.filter(client=world.own))
    assert kinds == [("purchase", Decimal("980.00")), ("purchase", Decimal("980.00")), ("refund", Decimal("-500.00"))]
    assert api(world.service).post(f"/api/v1/clients/{world.own.pk}/plans/{renewed.json()['id']}/cancel/",
                                   {"reason": "again"}, format="json").status_code == 400


@time_machine.travel(NOW, tick=False)
def test_cancel_needs_a_reason(world, api):
    e = enrol(world, world.own)
    response = api(world.service).post(f"/api/v1/clients/{world.own.pk}/plans/{e.pk}/cancel/", {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    assert Enrolment.objects.get(pk=e.pk).status == EnrolmentStatus.ACTIVE


@time_machine.travel(NOW, tick=False)
def test_nurse_cannot_sell(world, api):
    response = api(world.nurse).post(f"/api/v1/clients/{world.own.pk}/plans/",
                                     {"plan": "chronic", "start_date": "2026-06-01"}, format="json")
    assert response.status_code == 403
    assert not Enrolment.objects.exists() and not LedgerEntry.objects.exists()
