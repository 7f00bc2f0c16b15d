"""Features that are the service draw on the plan: an assessment issued, a checkup booked, subscription changes
counted per plan year (MSG-3); the archive sections on the client page (ARC-5)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from careloop.assessments import services as assessments
from careloop.checkups.models import CheckupPackage
from careloop.checkups.services import group_booking_cancel, group_booking_create
from careloop.clients.models import Enterprise
from careloop.messaging.services import subscription_set
from careloop.plans.models import EntitlementUse
from tests.assessments.helpers import CHECKUP_VALUES, DAY, FULL_ANSWERS, consent
from tests.plans.builders import enrol

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


@time_machine.travel(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC))
def test_issuing_an_assessment_uses_the_plan_and_a_second_goes_outside_it(world, api):
    enrol(world, world.own, start=dt.date(2026, 3, 1))
    consent(world.own)
    assessments.questionnaire_response_record(client=world.own, answers=FULL_ANSWERS, acting_user=world.nurse,
                                              answered_on=DAY)
    assessments.input_entry_record(client=world.own, values=CHECKUP_VALUES, acting_user=world.nurse, measured_on=DAY)
    for _ in range(2):
        pk = api(world.nurse).post("/api/v1/assessments/", {"client": world.own.pk}, format="json").json()["assessment"]
        assert api(world.expert).post(f"/api/v1/assessments/{pk}/issue/", format="json").status_code == 200
    uses = list(EntitlementUse.objects.filter(service__code="assessment"))
    assert len(uses) == 1 and uses[0].source.startswith("assessments:")
    rows = {r["service"]: r for r in api(world.nurse).get(f"/api/v1/clients/{world.own.pk}/entitlements/").json()}
    assert (rows["assessment"]["used"], rows["assessment"]["remaining"]) == (1, 0)


@time_machine.travel(dt.datetime(2026, 11, 23, 9, tzinfo=SH), tick=False)
def test_a_group_checkup_booked_uses_each_members_checkup_and_cancelling_gives_it_back(world):
    enterprise = Enterprise.objects.create(name="华泰科技", branch=world.bj)
    enrol(world, world.own, start=dt.date(2026, 1, 1))
    booking = group_booking_create(enterprise=enterprise, branch=world.bj, package=CheckupPackage.objects.get(
        code="standard"), date=dt.date(2026, 12, 10), clients=[world.own, world.other_team], acting_user=world.clerk)
    live = EntitlementUse.objects.filter(service__code="checkup", released_at__isnull=True)
    assert [u.enrolment.client_id for u in live] == [world.own.pk]  # other_team holds no plan: outside the plan
    group_booking_cancel(booking=booking, acting_user=world.clerk)
    assert not live.all().exists()


@time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=SH), tick=False)
def test_subscription_changes_count_per_plan_year_with_the_plans_quota(world, api):
    enrol(world, world.own, "chronic", start=dt.date(2026, 3, 1))  # 4 changes per plan year
    # A change made before the plan year began (February, same calendar year) does not count.
    with time_machine.travel(dt.datetime(2026, 2, 10, 9, tzinfo=SH), tick=False):
        subscription_set(client=world.own, purpose="medication_reminder", active=False, acting_user=world.nurse)
    for active in (True, False, True, False):
        subscription_set(client=world.own, purpose="medication_reminder", active=active, acting_user=world.nurse)
    with pytest.raises(ValidationError) as refused:
        subscription_set(client=world.own, purpose="medication_reminder", active=True, acting_user=world.nurse)
    assert "4" in refused.value.message_dict["purpose"][0]
    rows = {r["service"]: r for r in api(world.nurse).get(f"/api/v1/clients/{world.own.pk}/entitlements/").json()}
    assert (rows["subscription_change"]["quota"], rows["subscription_change"]["used"],
            rows["subscription_change"]["remaining"]) == (4, 4, 0)
    # The next plan year starts afresh on its anniversary, not on 1 January.
    with time_machine.travel(dt.datetime(2027, 3, 2, 9, tzinfo=SH), tick=False):
        enrol(world, world.own, "chronic", start=dt.date(2027, 3, 1))
        subscription_set(client=world.own, purpose="medication_reminder", active=True, acting_user=world.nurse)


@time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=SH), tick=False)
def test_archive_depth_on_the_client_page_and_the_api(world, client, api):
    enrol(world, world.own, "chronic")
    depth = api(world.nurse).get(f"/api/v1/clients/{world.own.pk}/archive-depth/").json()
    assert depth["level"] == 2 and depth["not_included"] == ["consultations"]
    assert [s["included"] for s in depth["sections"]] == [True] * 7 + [False]
    client.force_login(world.nurse)
    page = client.get(f"/clients/{world.own.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "慢性病诊疗监控和改善计划" in page and "健康/诊疗咨询记录" in page
    bare = api(world.service).get(f"/api/v1/clients/{world.other_team.pk}/archive-depth/").json()
    assert bare["level"] is None and len(bare["not_included"]) == 8
