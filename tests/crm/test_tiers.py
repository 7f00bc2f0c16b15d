import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from careloop.clients.models import StatusChange
from careloop.crm import tiers
from careloop.crm.models import LedgerEntry, TierOverride, TierPolicy
from careloop.crm.services import (
    tier_override_lift,
    tier_override_set,
    tier_policy_preview,
    tier_policy_save,
    tiers_recompute,
)
from careloop.followups.models import FollowupTask
from tests.factories import make_client

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def spend(client, amount, *, days_ago=10, kind="purchase"):
    return LedgerEntry.objects.create(client=client, date=TODAY - dt.timedelta(days=days_ago), kind=kind,
                                      amount=Decimal(amount))


def visits(client, n, *, every=7):
    for i in range(n):
        spend(client, "0", days_ago=1 + i * every, kind="visit")


@pytest.fixture
def crowd(world):
    """Ten clients of the Beijing branch: one big spender, one frequent visitor, one mid, the rest new."""
    people = [make_client(branch=world.bj, name=f"客户{i}", health_manager=world.nurse) for i in range(7)]
    spend(people[0], "20000")
    visits(people[1], 7, every=10)  # 7 visits in 70 days: >= 2 a month
    spend(people[2], "1500")
    spend(people[3], "100")
    spend(people[5], "5000")
    return people


def test_recompute_moves_by_value_frequency_and_mid_spending(world, crowd):
    result = tiers_recompute()
    assert result.active_clients == 10
    moved = {m.client_id: (m.old, m.new) for m in result.moves}
    assert moved == {crowd[0].pk: ("C", "A"), crowd[1].pk: ("C", "A"), crowd[2].pk: ("C", "B"),
                     crowd[5].pk: ("C", "A")}
    crowd[0].refresh_from_db()
    assert crowd[0].tier == "A"
    change = StatusChange.objects.get(client=crowd[0], kind="tier")
    assert (change.old, change.new, change.changed_by) == ("C", "A", None)
    assert "¥20,000.00" in change.reason
    # second run: nothing moves (idempotent)
    assert tiers_recompute().moves == []


def test_tier_a_without_manager_or_doctor_gets_a_lead_worklist_item(world, crowd):
    tiers_recompute()
    tasks = FollowupTask.objects.filter(client=crowd[0])
    assert tasks.count() == 1
    assert tasks.get().assignee == world.lead
    assert "家庭医生" in tasks.get().reason
    tier_override_set(client=crowd[0], tier="A", reason="确认核心客户", acting_user=world.lead)
    assert tasks.count() == 1  # never twice


def test_top_share_threshold_uses_all_active_clients(world, crowd):
    policy = tiers.active_policy()
    assert tiers.value_threshold(policy, TODAY, 10) == Decimal("5000.00")  # top 2 of 10: 20000, 5000
    assert tiers.value_threshold(policy, TODAY, 40) == Decimal("100.00")  # top 8 of 40: every paying client


def test_chronic_registry_makes_tier_a(world, crowd, monkeypatch):
    monkeypatch.setattr(tiers, "CHRONIC_SOURCES", [lambda: [crowd[6].pk]])
    moved = {m.client_id: m.new for m in tiers_recompute(dry_run=True).moves}
    assert moved[crowd[6].pk] == "A"
    crowd[6].refresh_from_db()
    assert crowd[6].tier == "C"  # a dry run writes nothing


def test_override_survives_recompute_until_lifted(world, crowd):
    tier_override_set(client=crowd[4], tier="A", reason="董事长家属", acting_user=world.lead)
    crowd[4].refresh_from_db()
    assert crowd[4].tier == "A"
    assert crowd[4].pk not in {m.client_id for m in tiers_recompute().moves}
    crowd[4].refresh_from_db()
    assert crowd[4].tier == "A"
    tier_override_lift(client=crowd[4], reason="已核实", acting_user=world.lead)
    crowd[4].refresh_from_db()
    assert crowd[4].tier == "C"
    assert list(StatusChange.objects.filter(client=crowd[4], kind="tier").values_list("old", "new")) == [
        ("A", "C"), ("C", "A")]


def test_override_expires(world, crowd):
    tier_override_set(client=crowd[4], tier="B", reason="试用", acting_user=world.lead, expires_on=TODAY + dt.timedelta(days=2))
    with time_machine.travel(dt.datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        moves = tiers_recompute().moves
    assert [(m.client_id, m.old, m.new) for m in moves if m.client_id == crowd[4].pk] == [(crowd[4].pk, "B", "C")]


def test_override_needs_reason_and_right(world, crowd):
    with pytest.raises(ValidationError) as err:
        tier_override_set(client=crowd[4], tier="A", reason=" ", acting_user=world.lead)
    assert list(err.value.message_dict) == ["reason"]
    with pytest.raises(PermissionDenied):
        tier_override_set(client=crowd[4], tier="A", reason="x", acting_user=world.nurse)
    assert not TierOverride.objects.exists()
    crowd[4].refresh_from_db()
    assert crowd[4].tier == "C"


def test_policy_preview_and_save(world, crowd):
    preview = tier_policy_preview(data={"b_min_value": "50"}, acting_user=world.admin)
    assert preview.by_pair[("C", "B")] == 2  # 1500 and 100 now both reach B
    with pytest.raises(ValidationError) as err:
        tier_policy_save(data={"a_top_share": "1.5"}, acting_user=world.admin)
    assert list(err.value.message_dict) == ["a_top_share"]
    with pytest.raises(PermissionDenied):
        tier_policy_save(data={"b_min_value": "50"}, acting_user=world.lead)
    saved = tier_policy_save(data={"b_min_value": "50"}, note="放宽", acting_user=world.admin)
    assert TierPolicy.objects.filter(active=True).get() == saved
    assert TierPolicy.objects.count() == 2
