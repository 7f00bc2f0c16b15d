"""Issue 9: every follow-up reaches the right person, once — owners, per-client series, status and consent.

Time is frozen: today is Monday 2026-11-02 in Beijing.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from careloop.audit.models import AuditEvent
from careloop.clients.models import Client, ClientStatus, ConsentPurpose
from careloop.clients.services import client_change_status, client_set_tier, consent_record
from careloop.followups.models import OPEN_STATUSES, Encounter, FollowupTask, PlannedMessage, TaskStatus
from careloop.followups.owners import OwnerChain
from careloop.followups.services.planning import encounter_create
from careloop.followups.services.tasks import attempt_record, followup_task_create, followup_task_miss
from careloop.messaging.models import Message
from careloop.messaging.services import message_enqueue
from tests.factories import make_client

TODAY = dt.date(2026, 11, 2)
NOW = dt.datetime(2026, 11, 2, 1, tzinfo=dt.UTC)  # 09:00 in Beijing


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.CARELOOP_FU_HISTORY_GRACE_DAYS = 14
    with time_machine.travel(NOW, tick=False):
        yield


def open_tasks(client: Client) -> list[tuple[str, str, dt.date]]:
    return sorted(
        (t.rule.code if t.rule else "", t.status, t.due_date)
        for t in FollowupTask.objects.filter(client=client, status__in=OPEN_STATUSES).select_related("rule")
    )


def assert_no_orphan() -> None:
    assert not FollowupTask.objects.filter(status__in=OPEN_STATUSES, assignee__isnull=True, team__isnull=True).exists()


# --- the owner chain -------------------------------------------------------------------------------


def test_owner_is_the_health_manager_with_her_team(world) -> None:
    assert OwnerChain().pick(world.own, TODAY) == (world.nurse.pk, world.team_a.pk)


def set_capacities(world, nurse: int, lead: int, nurse_b: int) -> None:
    for person, capacity in ((world.nurse, nurse), (world.lead, lead), (world.nurse_b, nurse_b)):
        person.daily_capacity = capacity
        person.save(update_fields=["daily_capacity"])


def test_without_manager_the_branch_teams_within_capacity_then_their_unassigned_queues(world) -> None:
    set_capacities(world, 1, 1, 1)
    client = make_client(branch=world.bj_site, tier="B")
    owners = OwnerChain()
    # 北京分公司 has two follow-up teams, team_a (lead, nurse) and team_b (nurse_b): one each, then the queues,
    # the shorter first (team_a on a tie) — so the overflow is shared between the two leads' queues
    picks = [owners.pick(client, TODAY) for _ in range(6)]
    assert sorted(picks[:3]) == sorted([(world.nurse.pk, world.team_a.pk), (world.lead.pk, world.team_a.pk),
                                        (world.nurse_b.pk, world.team_b.pk)])
    assert picks[3:] == [(None, world.team_a.pk), (None, world.team_b.pk), (None, world.team_a.pk)]
    assert owners.pick(client, TODAY + dt.timedelta(days=1))[0] is not None  # a new day, room again


def test_the_overflow_goes_to_the_shorter_queue_already_in_the_database(world) -> None:
    set_capacities(world, 0, 0, 0)
    client = make_client(branch=world.bj_site, tier="B")
    followup_task_create(client=client, due_date=TODAY, reason="排队中", team_id=world.team_a.pk,
                         acting_user=world.admin)  # team_a's queue holds one already
    assert OwnerChain().pick(client, TODAY) == (None, world.team_b.pk)


def test_overdue_on_arrival_counts_against_todays_worklist(world) -> None:
    """A historical import's overdue tasks land on today's list: they share today's capacity, not their own day's."""
    set_capacities(world, 2, 1, 0)
    client = make_client(branch=world.bj_site, tier="B")
    followup_task_create(client=client, due_date=TODAY - dt.timedelta(days=9), reason="已在清单上",
                         assignee_id=world.nurse.pk, acting_user=world.admin)  # nurse: 1 of 2 on today's list
    owners = OwnerChain()
    picks = [owners.pick(client, TODAY - dt.timedelta(days=d)) for d in (5, 3, 0)]
    assert sorted(picks[:2]) == sorted([(world.nurse.pk, world.team_a.pk), (world.lead.pk, world.team_a.pk)])
    assert picks[2] == (None, world.team_a.pk)  # both full today: the team's unassigned queue
    assert owners.pick(client, TODAY + dt.timedelta(days=1)) == (world.nurse.pk, world.team_a.pk)  # tomorrow: room


def test_a_client_at_headquarters_reaches_a_lead_queue(world) -> None:
    """No follow-up team at or above 总公司: the queue of the first follow-up team that has a lead."""
    client = make_client(branch=world.hq, tier="C")
    assert OwnerChain().pick(client, TODAY) == (None, world.team_a.pk)


def test_task_constructor_gives_an_owner_and_writes_its_audit_row(world) -> None:
    client = make_client(branch=world.sh, tier="C")
    task = followup_task_create(client=client, due_date=TODAY, reason="电话确认报告领取", acting_user=world.admin,
                                origin="report_chase")
    assert (task.assignee_id, task.team_id) == (world.nurse2.pk, world.team_sh.pk)
    event = AuditEvent.objects.get(action="followup_task.create", object_id=str(task.pk))
    assert event.detail == {"origin": "report_chase", "due": "2026-11-02", "assignee": world.nurse2.pk,
                            "team": world.team_sh.pk}
    lead_task = followup_task_create(client=client, due_date=TODAY, reason="危急值", assignee_id=world.lead.pk,
                                     acting_user=world.admin)
    assert (lead_task.assignee_id, lead_task.team_id) == (world.lead.pk, world.team_a.pk)
    assert_no_orphan()


def test_planned_tasks_of_a_client_without_manager_have_owners(world) -> None:
    client = make_client(branch=world.bj, tier="C")
    encounter_create(client=client, kind="tcm_first_visit", date=TODAY, prescription_days=30, acting_user=world.clerk)
    assert FollowupTask.objects.filter(client=client).count() == 4  # FU-2-1m (3) + FU-6-C satisfaction
    assert_no_orphan()


# --- the doors check the acting user ----------------------------------------------------------------


def test_encounter_outside_the_branch_is_refused_and_nothing_is_written(world) -> None:
    before = (Encounter.objects.count(), FollowupTask.objects.count())
    for user in (world.nurse2, world.outsider, world.auditor):
        with pytest.raises(PermissionDenied):
            encounter_create(client=world.own, kind="outpatient", date=TODAY, acting_user=user)
    assert (Encounter.objects.count(), FollowupTask.objects.count()) == before


def test_miss_and_attempt_need_the_right_to_work_the_task(world) -> None:
    encounter_create(client=world.own, kind="outpatient", date=TODAY, acting_user=world.nurse)
    task = FollowupTask.objects.filter(client=world.own).order_by("due_date").first()
    for user in (world.nurse2, world.service, world.expert):
        with pytest.raises(PermissionDenied):
            followup_task_miss(task=task, reason="错号", acting_user=user)
        with pytest.raises(PermissionDenied):
            attempt_record(task=task, outcome="no_answer", acting_user=user)
    task.refresh_from_db()
    assert (task.status, task.attempt_count) == (TaskStatus.PENDING, 0)


# --- FU-7: outpatient and consultation -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["outpatient", "consultation"])
def test_outpatient_and_consultation_get_weeks_1_and_3(world, kind) -> None:
    world.own.tier = "A"
    world.own.save(update_fields=["tier"])
    encounter_create(client=world.own, kind=kind, date=TODAY, acting_user=world.nurse)
    assert [(c, d, t.window_end) for t in FollowupTask.objects.filter(client=world.own).select_related("rule")
            for c, d in [(t.rule.code, t.due_date)]] == [
        ("FU-7", dt.date(2026, 11, 3), dt.date(2026, 11, 9)),
        ("FU-7", dt.date(2026, 11, 17), dt.date(2026, 11, 23)),
    ]


# --- per-client series -----------------------------------------------------------------------------


def test_a_new_checkup_replaces_the_previous_cycle_with_the_reason(world) -> None:
    world.own.tier = "A"
    world.own.save(update_fields=["tier"])
    with time_machine.travel(dt.datetime(2026, 8, 3, 1, tzinfo=dt.UTC), tick=False):
        first = encounter_create(client=world.own, kind="checkup", date=dt.date(2026, 8, 3), health_status="complex",
                                 acting_user=world.nurse)
    second = encounter_create(client=world.own, kind="checkup", date=TODAY, health_status="abnormal_stable",
                              acting_user=world.nurse)
    old_pending = FollowupTask.objects.filter(encounter=first, status=TaskStatus.PENDING, due_date__gt=TODAY)
    assert not old_pending.exists()
    cancelled = FollowupTask.objects.filter(encounter=first, rule__client_series="vip_cycle", status=TaskStatus.CANCELLED)
    assert cancelled.exists()
    assert {t.close_reason for t in cancelled} == {"已由 2026-11-02 的体检随访系列取代"}
    series = {(t.rule.code, t.encounter_id) for t in FollowupTask.objects.filter(
        client=world.own, status__in=OPEN_STATUSES, rule__client_series__in=["vip_cycle", "upkeep"]).select_related("rule")}
    assert series == {("FU-1-stable", second.pk), ("FU-6-A", second.pk)}


def test_two_reports_on_one_day_give_one_health_advice_call(world) -> None:
    """FU-6 advice is per client: the later report's call replaces the earlier one still pending."""
    first = encounter_create(client=world.own, kind="checkup", date=TODAY, health_status="abnormal_stable",
                             acting_user=world.nurse)
    second = encounter_create(client=world.own, kind="checkup", date=TODAY, health_status="abnormal_stable",
                              acting_user=world.nurse)
    advice = FollowupTask.objects.filter(client=world.own, rule__code="FU-6-advice")
    assert sorted((t.encounter_id, t.status, t.due_date) for t in advice) == sorted([
        (first.pk, TaskStatus.CANCELLED, dt.date(2026, 11, 3)), (second.pk, TaskStatus.PENDING, dt.date(2026, 11, 3))])
    assert advice.get(encounter=first).close_reason == "已由 2026-11-02 的体检随访系列取代"
    assert_no_orphan()


def test_upkeep_exists_once_per_client_and_follows_the_tier(world) -> None:
    world.own.tier = "B"
    world.own.save(update_fields=["tier"])
    encounter_create(client=world.own, kind="checkup", date=TODAY, health_status="normal", acting_user=world.nurse)
    encounter_create(client=world.own, kind="purchase", date=TODAY, acting_user=world.nurse)
    upkeep = FollowupTask.objects.filter(client=world.own, status__in=OPEN_STATUSES, rule__client_series="upkeep")
    assert not upkeep.exists()  # tier B's upkeep is a monthly message (a message rule), not a call
    reminders = PlannedMessage.objects.filter(client=world.own, status="planned", rule__code="FU-6-B")
    assert reminders.count() == 12  # one a month, not two
    client_set_tier(acting_user=world.lead, client=world.own, tier="A", reason="升级为A类")
    codes = sorted(t.rule.code for t in upkeep.select_related("rule"))
    assert codes == ["FU-6-A"] * 4
    assert not reminders.exists()


# --- history grace period --------------------------------------------------------------------------


def test_an_old_checkup_creates_no_flood_of_overdue_calls(world) -> None:
    world.own.tier = "C"
    world.own.save(update_fields=["tier"])
    encounter = encounter_create(client=world.own, kind="checkup", date=dt.date(2026, 2, 2), health_status="complex",
                                 acting_user=world.nurse)
    dues = sorted(FollowupTask.objects.filter(encounter=encounter, rule__code="FU-1-complex").values_list(
        "due_date", flat=True))
    assert all(d >= TODAY - dt.timedelta(days=14 + 7) for d in dues)
    assert not [d for d in dues if d < TODAY - dt.timedelta(days=7)]
    event = AuditEvent.objects.get(action="encounter.create", object_id=str(encounter.pk))
    # 8 monthly calls (March–October) plus the tier-C satisfaction call and the advice SMS of February
    assert dues == [dt.date(2026, 11, 2), dt.date(2026, 12, 2), dt.date(2027, 1, 2), dt.date(2027, 2, 2)]
    assert event.detail["skipped"] == 10


# --- the client's status drives the work -----------------------------------------------------------


@pytest.mark.parametrize("status", [ClientStatus.DECEASED, ClientStatus.OPTED_OUT, ClientStatus.LOST])
def test_deceased_opted_out_lost_cancel_tasks_and_messages(world, status) -> None:
    encounter_create(client=world.own, kind="discharge", date=TODAY, acting_user=world.nurse)
    consent_record(acting_user=world.nurse, client=world.own, purpose=ConsentPurpose.REMINDERS, granted=True)
    message = message_enqueue(client=world.own, purpose="recheck_reminder", acting_user=world.nurse).message
    assert open_tasks(world.own)
    client_change_status(acting_user=world.lead, client=world.own, status=status, reason="家属告知")
    assert open_tasks(world.own) == []
    label = ClientStatus(status).label
    reasons = set(FollowupTask.objects.filter(client=world.own).values_list("close_reason", flat=True))
    assert len(reasons) == 1 and reasons.pop().endswith(": 家属告知")
    message.refresh_from_db()
    assert message.status == "cancelled"
    assert label  # the reason names the status in Chinese
    # and nothing new is planned for the client
    world.own.refresh_from_db()
    encounter_create(client=world.own, kind="outpatient", date=TODAY, acting_user=world.nurse)
    assert open_tasks(world.own) == []


def test_cured_ends_disease_follow_up_and_starts_fu4(world) -> None:
    world.own.tier = "C"
    world.own.save(update_fields=["tier"])
    encounter_create(client=world.own, kind="discharge", date=TODAY, acting_user=world.nurse)
    client_change_status(acting_user=world.lead, client=world.own, status=ClientStatus.CURED, reason="指标恢复正常")
    assert [(c, s) for c, s, _d in open_tasks(world.own)] == [("FU-4", "pending"), ("FU-4", "pending")]
    assert not FollowupTask.objects.filter(client=world.own, rule__code="FU-5", status__in=OPEN_STATUSES).exists()
    assert_no_orphan()


def test_reactivation_replans(world) -> None:
    encounter_create(client=world.own, kind="discharge", date=TODAY, acting_user=world.nurse)
    planned = open_tasks(world.own)
    client_change_status(acting_user=world.lead, client=world.own, status=ClientStatus.OPTED_OUT, reason="本人要求")
    assert open_tasks(world.own) == []
    client_change_status(acting_user=world.lead, client=world.own, status=ClientStatus.ACTIVE, reason="本人同意恢复")
    assert open_tasks(world.own) == planned


def test_lost_to_follow_up_goes_through_the_client_service(world, settings) -> None:
    settings.CARELOOP_FU_LOST_AFTER_FAILED_TASKS = 2
    encounter_create(client=world.own, kind="discharge", date=TODAY, acting_user=world.nurse)
    for task in FollowupTask.objects.filter(client=world.own).order_by("due_date")[:2]:
        followup_task_miss(task=task, reason="空号", acting_user=world.nurse)
    world.own.refresh_from_db()
    assert world.own.status == ClientStatus.LOST
    event = AuditEvent.objects.get(action="client.status")
    assert event.detail == {"from": "active", "to": "lost", "automatic": True}
    assert open_tasks(world.own) == []


def test_consent_withdrawal_suspends_and_consent_again_resumes(world) -> None:
    consent_record(acting_user=world.nurse, client=world.own, purpose=ConsentPurpose.HEALTH_DATA, granted=True)
    consent_record(acting_user=world.nurse, client=world.own, purpose=ConsentPurpose.REMINDERS, granted=True)
    encounter_create(client=world.own, kind="discharge", date=TODAY, acting_user=world.nurse)
    planned = open_tasks(world.own)
    recheck = message_enqueue(client=world.own, purpose="recheck_reminder", acting_user=world.nurse).message
    notice = message_enqueue(client=world.own, purpose="followup_notice", acting_user=world.nurse).message
    consent_record(acting_user=world.nurse, client=world.own, purpose=ConsentPurpose.HEALTH_DATA, granted=False)
    assert open_tasks(world.own) == []
    assert Message.objects.get(pk=recheck.pk).status == "cancelled"
    assert Message.objects.get(pk=notice.pk).status != "cancelled"  # not result-bearing
    encounter_create(client=world.own, kind="outpatient", date=TODAY, acting_user=world.nurse)
    assert open_tasks(world.own) == []  # suspended: nothing planned
    consent_record(acting_user=world.nurse, client=world.own, purpose=ConsentPurpose.HEALTH_DATA, granted=True)
    assert {c for c, _s, _d in open_tasks(world.own)} == {"FU-5", "FU-6-advice", "FU-7"}
    assert [t for t in open_tasks(world.own) if t[0] != "FU-7"] == planned
    assert_no_orphan()


def test_a_report_chase_for_a_client_without_manager_reaches_the_branch_team(world) -> None:
    from careloop.checkups.models import Checkup, ReportDelivery
    from careloop.checkups.services import report_deliveries_chase

    client = make_client(branch=world.sh, tier="C")
    checkup = Checkup.objects.create(client=client, exam_no="C-9", date=dt.date(2026, 10, 20))
    ReportDelivery.objects.create(checkup=checkup, due_date=dt.date(2026, 10, 27), method="post", status="pending")
    assert report_deliveries_chase(today=TODAY, acting_user=world.admin) == 1
    task = FollowupTask.objects.get(client=client)
    assert (task.assignee_id, task.team_id, task.due_date) == (world.nurse2.pk, world.team_sh.pk, TODAY)
    assert AuditEvent.objects.filter(action="followup_task.create", object_id=str(task.pk)).exists()
    assert_no_orphan()


def test_the_expiry_job_marks_a_client_lost_once_and_closes_the_rest(world, settings) -> None:
    from careloop.followups.services.tasks import followup_tasks_expire

    settings.CARELOOP_FU_LOST_AFTER_FAILED_TASKS = 2
    with time_machine.travel(dt.datetime(2026, 5, 4, 1, tzinfo=dt.UTC), tick=False):
        encounter_create(client=world.own, kind="discharge", date=dt.date(2026, 5, 4), acting_user=world.nurse)
    missed = followup_tasks_expire(today=TODAY, acting_user=None)
    world.own.refresh_from_db()
    assert world.own.status == ClientStatus.LOST
    assert missed == 2
    assert open_tasks(world.own) == []
    assert set(FollowupTask.objects.filter(client=world.own).values_list("status", flat=True)) == {"missed", "cancelled"}
