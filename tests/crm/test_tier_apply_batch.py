"""Applying tier moves in batches (issue 14): the same rows per client as one move at a time, fewer round trips."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careloop.audit.models import AuditEvent
from careloop.audit.verify import verify_chain
from careloop.clients.models import Client, StatusChange
from careloop.clients.services import clients_set_tier_many
from careloop.crm import services
from careloop.crm.models import LedgerEntry, TierPolicy
from careloop.crm.services import tier_moves_apply, tiers_recompute
from careloop.crm.tiers import compute_moves
from careloop.followups.models import OPEN_STATUSES, FollowupTask, PlannedMessage
from careloop.followups.services.planning import encounter_create
from tests.factories import make_client

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def spend(client, amount):
    LedgerEntry.objects.create(client=client, date=TODAY - dt.timedelta(days=10), kind="purchase",
                               amount=Decimal(amount))


@pytest.fixture
def no_top_share(db):
    """Criteria without the top-share rule, so that mid spenders are B whoever else spends."""
    TierPolicy.objects.update(active=False)
    TierPolicy.objects.create(a_top_share=Decimal("0"))


def mid_spenders(world, n, *, start=0):
    """Clients that tier computation moves from C to B (1,500 yuan: mid value, not the top share)."""
    people = [make_client(branch=world.bj, name=f"客户{start + i}", health_manager=world.nurse,
                          family_doctor=world.doctor) for i in range(n)]
    for person in people:
        spend(person, "1500")
    return people


def test_each_moved_client_gets_one_history_row_and_one_audit_row_and_the_chain_holds(world, monkeypatch):
    monkeypatch.setattr(services, "APPLY_BATCH", 2)  # five moves: three transactions
    big = make_client(branch=world.bj, name="大客户", health_manager=world.nurse)
    spend(big, "90000")
    people = mid_spenders(world, 4)
    result = tiers_recompute()
    assert sorted((m.client_id, m.old, m.new) for m in result.moves) == sorted(
        [(big.pk, "C", "A")] + [(p.pk, "C", "B") for p in people])
    assert dict(Client.objects.filter(pk__in=[big.pk, *[p.pk for p in people]]).values_list("pk", "tier")) == {
        big.pk: "A", **{p.pk: "B" for p in people}}
    rows = StatusChange.objects.filter(kind="tier").order_by("client_id")
    assert [(r.client_id, r.old, r.new, r.changed_by) for r in rows] == sorted(
        [(big.pk, "C", "A", None)] + [(p.pk, "C", "B", None) for p in people])
    assert all(r.reason.startswith("自动计算") for r in rows)
    tier_rows = AuditEvent.objects.filter(action="client.tier").order_by("object_id")
    assert sorted((int(e.object_id), e.detail["to"], e.detail["automatic"]) for e in tier_rows) == sorted(
        [(big.pk, "A", True)] + [(p.pk, "B", True) for p in people])
    assert AuditEvent.objects.filter(action="followups.client_changed").count() == 5
    assert AuditEvent.objects.get(action="tiers.recompute").detail["moves"] == 5
    # the big spender lacks a family doctor: one worklist item for the lead, as before
    assert list(FollowupTask.objects.filter(client=big).values_list("assignee_id", flat=True)) == [world.lead.pk]
    check = verify_chain(update_checkpoint=False, use_checkpoint=False)
    assert check.ok, check.message
    assert tiers_recompute().moves == []  # never twice


def test_upkeep_series_follows_the_new_tier_per_client(world):
    """FU-6: a tier-B client's monthly upkeep becomes tier A's quarterly salon when recomputation moves him."""
    Client.objects.filter(pk=world.own.pk).update(tier="B")
    world.own.refresh_from_db()
    encounter_create(client=world.own, kind="checkup", date=TODAY, health_status="normal", acting_user=world.nurse)
    encounter_create(client=world.other_team, kind="checkup", date=TODAY, health_status="normal",
                     acting_user=world.nurse)
    upkeep = FollowupTask.objects.filter(client=world.own, status__in=OPEN_STATUSES, rule__client_series="upkeep")
    reminders = PlannedMessage.objects.filter(client=world.own, rule__code="FU-6-B")
    # tier B's upkeep is a monthly reminder message (a message rule), tier A's the quarterly salon call
    assert not upkeep.exists() and reminders.filter(status="planned").count() == 12
    others_before = sorted(FollowupTask.objects.filter(client=world.other_team).values_list("pk", "status"))
    spend(world.own, "50000")
    moves = tiers_recompute().moves
    assert [(m.client_id, m.old, m.new) for m in moves] == [(world.own.pk, "B", "A")]
    assert sorted(t.rule.code for t in upkeep.select_related("rule")) == ["FU-6-A"] * 4
    assert reminders.filter(status="planned").count() == 0
    assert reminders.count() == 12 and set(reminders.values_list("note", flat=True)) == {"已重新安排"}
    # the client who did not move keeps his tasks untouched
    assert sorted(FollowupTask.objects.filter(client=world.other_team).values_list("pk", "status")) == others_before
    replanned = AuditEvent.objects.get(action="followups.client_changed")
    # updated: the checkup's other pending follow-ups take tier A's priority
    assert replanned.detail == {"kind": "tier", "from": "B", "to": "A", "created": 4, "updated": 2, "cancelled": 0,
                                "replaced": 0, "skipped": 0, "messages_planned": 0, "messages_cancelled": 12}


def test_a_client_moved_since_the_computation_is_left_alone(world, no_top_share):
    people = mid_spenders(world, 2)
    preview = compute_moves()
    Client.objects.filter(pk=people[0].pk).update(tier="A")  # e.g. an override set meanwhile
    assert tier_moves_apply(moves=preview.moves, acting_user=None) == 1
    assert dict(Client.objects.filter(pk__in=[p.pk for p in people]).values_list("pk", "tier")) == {
        people[0].pk: "A", people[1].pk: "B"}
    assert list(StatusChange.objects.values_list("client_id", flat=True)) == [people[1].pk]
    assert AuditEvent.objects.filter(action="client.tier").count() == 1


def test_bad_moves_are_refused_whole(world):
    with pytest.raises(Exception) as err:
        clients_set_tier_many(moves=[(world.own.pk, "C", "B", "x"), (world.other_team.pk, "C", "Z", "")],
                              acting_user=None)
    assert set(err.value.message_dict) == {"tier", "reason"}
    assert not StatusChange.objects.exists() and Client.objects.get(pk=world.own.pk).tier == "C"


def test_query_count_of_a_batch_does_not_grow_with_clients(world, no_top_share):
    few = mid_spenders(world, 3)
    preview = compute_moves()
    with CaptureQueriesContext(connection) as small:
        assert tier_moves_apply(moves=preview.moves, acting_user=None) == 3
    many = mid_spenders(world, 9, start=10)
    preview = compute_moves(client_ids=[p.pk for p in many])
    assert len(preview.moves) == 9
    with CaptureQueriesContext(connection) as large:
        assert tier_moves_apply(moves=preview.moves, acting_user=None) == 9
    assert len(large) == len(small)
    assert Client.objects.filter(pk__in=[p.pk for p in few + many], tier="B").count() == 12


def test_clients_moved_to_a_without_a_doctor_each_get_one_lead_item_like_a_single_move(world):
    TierPolicy.objects.update(active=False)
    TierPolicy.objects.create(a_top_share=Decimal("0.5"))  # 5 active clients: the top 2 are A
    bigs = [make_client(branch=world.bj, name=f"大客户{i}", health_manager=world.nurse) for i in range(2)]
    for big in bigs:
        spend(big, "90000")
    assert tiers_recompute().by_pair == {("C", "A"): 2}
    tasks = FollowupTask.objects.filter(client__in=bigs).order_by("client_id")
    assert [(t.client_id, t.assignee_id, t.due_date, t.window_end, t.priority, t.reason) for t in tasks] == [
        (b.pk, world.lead.pk, TODAY, TODAY + dt.timedelta(days=7), 60, "A类客户:请指定专属家庭医生") for b in bigs]
    audits = AuditEvent.objects.filter(action="followup_task.create").order_by("append_id")
    assert [(int(a.object_id), a.detail["origin"], a.detail["assignee"]) for a in audits] == [
        (t.pk, "tier_a_upkeep", world.lead.pk) for t in tasks]
    tiers_recompute()
    assert tasks.count() == 2  # never twice
