"""The tier decision made by the database (``_decision_sql``) and finished in Python (overrides, chronic
sources, reasons): the same tiers as the rule in Python, the summary from marker rows, streamed counts."""

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from careloop.clients.models import Client, ClientStatus
from careloop.crm import tiers
from careloop.crm.models import LedgerEntry, TierPolicy
from careloop.crm.services import tier_override_set, tiers_recompute
from tests.crm.test_tiers import TODAY, spend, visits
from tests.factories import make_client


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


@pytest.fixture
def crowd(world):
    """As in test_tiers: one big spender, one frequent visitor, one mid, the rest new (10 active in all)."""
    people = [make_client(branch=world.bj, name=f"客户{i}", health_manager=world.nurse) for i in range(7)]
    spend(people[0], "20000")
    visits(people[1], 7, every=10)
    spend(people[2], "1500")
    spend(people[3], "100")
    spend(people[5], "5000")
    return people


def reference(policy: TierPolicy) -> dict[int, str]:
    """The tier of every active client by the rule written out in Python from the ORM (ledger only)."""
    start, recent = tiers.windows(policy, TODAY)
    facts: dict[int, list] = {c: [Decimal(0), 0, 0] for c in Client.objects.filter(
        status=ClientStatus.ACTIVE).values_list("pk", flat=True)}
    for cid, date, kind, amount in LedgerEntry.objects.filter(date__gte=start, date__lte=TODAY).values_list(
            "client_id", "date", "kind", "amount"):
        if cid not in facts:
            continue
        facts[cid][0] += amount
        if kind in tiers.VISIT_KINDS:
            facts[cid][1] += 1
            facts[cid][2] += date >= recent
    k = tiers.top_count(policy, len(facts))
    values = sorted((f[0] for f in facts.values()), reverse=True)
    out = {}
    for cid, (value, n_visits, recent_visits) in facts.items():
        rank = 1 + sum(1 for v in values if v > value)  # ties share a rank
        top = value > 0 and rank <= k
        out[cid] = tiers.decide(policy, tiers.Facts(value, n_visits, recent_visits, False, top),
                                tiers.visits_needed_for_a(policy))
    return out


@pytest.mark.parametrize("data", [
    {},
    {"a_top_share": Decimal("0.35"), "b_min_value": Decimal("300")},
    {"a_top_share": Decimal("0"), "b_min_visits": 2, "a_visits_per_month": Decimal("1.5")},
    {"a_top_share": Decimal("0.05"), "value_window_days": 60, "a_visit_window_days": 30},
])
def test_database_decides_as_the_rule_in_python(world, data):
    rng = random.Random(11)
    people = [make_client(branch=world.bj, name=f"样本{i}") for i in range(30)]
    for person in people:
        for _ in range(rng.randrange(0, 6)):
            kind = rng.choice(["purchase", "visit", "checkup", "refund"])
            amount = -rng.choice([50, 200]) if kind == "refund" else rng.choice([0, 100, 500, 500, 2500])
            spend(person, str(amount), days_ago=rng.randrange(0, 400), kind=kind)
    Client.objects.filter(pk=people[0].pk).update(status="inactive")  # not counted, not moved
    policy = TierPolicy(**data)
    expected = reference(policy)
    preview = tiers.compute_moves(policy)
    current = dict(Client.objects.values_list("pk", "tier"))
    assert preview.active_clients == len(expected) == 32
    assert {m.client_id: m.new for m in preview.moves} == {c: t for c, t in expected.items() if t != current[c]}
    assert preview.threshold == tiers.value_threshold(policy, TODAY, preview.active_clients)
    counted = tiers.compute_moves(policy, keep_moves=False)
    assert (counted.moves, counted.moved, counted.by_pair) == ([], len(preview.moves), preview.by_pair)
    assert counted.threshold == preview.threshold


def test_threshold_with_a_tie_at_the_edge_and_with_fewer_payers_than_the_share(world, crowd):
    tie = make_client(branch=world.bj, name="并列")
    spend(tie, "5000")  # 11 active clients, top 2: 20000 and two at 5000 (rank 2 each)
    preview = tiers.compute_moves()
    assert preview.threshold == Decimal("5000.00")
    assert {m.client_id for m in preview.moves if m.new == "A"} >= {crowd[0].pk, crowd[5].pk, tie.pk}
    wide = tiers.compute_moves(TierPolicy(a_top_share=Decimal("0.80")))  # top 8 of 11, only 5 pay
    assert wide.threshold == Decimal("100.00")
    assert {m.client_id: m.new for m in wide.moves}[crowd[3].pk] == "A"


def test_override_moves_a_client_whose_computed_tier_is_his_tier(world, crowd):
    tier_override_set(client=crowd[4], tier="B", reason="家属", acting_user=world.lead)
    Client.objects.filter(pk=crowd[4].pk).update(tier="C")  # computed C = tier C: not returned by the database
    moves = [(m.client_id, m.old, m.new, m.overridden) for m in tiers.compute_moves().moves if m.client_id == crowd[4].pk]
    assert moves == [(crowd[4].pk, "C", "B", True)]


def test_chronic_sources_on_streamed_and_unstreamed_clients(world, crowd, monkeypatch):
    Client.objects.filter(pk=crowd[3].pk).update(tier="A")  # chronic, computed C: stays A
    monkeypatch.setattr(tiers, "CHRONIC_SOURCES", [lambda: [crowd[2].pk, crowd[3].pk, crowd[6].pk]])
    moved = {m.client_id: (m.old, m.new, m.reason) for m in tiers.compute_moves().moves}
    assert moved[crowd[2].pk][:2] == ("C", "A")  # computed B (¥1,500): chronic wins
    assert moved[crowd[6].pk] == ("C", "A", "自动计算:长期慢病管理")  # computed C = tier C: looked up after
    assert crowd[3].pk not in moved
    result = tiers_recompute(keep_moves=False)
    assert (result.moves, result.moved) == ([], len(moved))
    assert dict(Client.objects.filter(pk__in=[crowd[2].pk, crowd[6].pk]).values_list("pk", "tier")) == {
        crowd[2].pk: "A", crowd[6].pk: "A"}
    assert tiers_recompute().moves == []


def test_one_client_path_ranks_among_all(world, crowd):
    preview = tiers.compute_moves(client_ids=[crowd[5].pk, crowd[3].pk])
    assert [(m.client_id, m.new) for m in preview.moves] == [(crowd[5].pk, "A")]
    assert (preview.active_clients, preview.threshold) == (10, Decimal("5000.00"))
    assert tiers.compute_moves(client_ids=[]).moves == []


def test_window_edges(world):
    person = make_client(branch=world.bj, name="窗口")
    LedgerEntry.objects.create(client=person, date=TODAY - dt.timedelta(days=365), kind="purchase",
                               amount=Decimal("9000"))  # one day outside the 365-day window
    LedgerEntry.objects.create(client=person, date=TODAY - dt.timedelta(days=364), kind="purchase",
                               amount=Decimal("999.99"))
    policy = TierPolicy(a_top_share=Decimal("0"))
    assert {m.client_id: m.new for m in tiers.compute_moves(policy).moves}.get(person.pk) is None  # C stays C
    LedgerEntry.objects.create(client=person, date=TODAY, kind="purchase", amount=Decimal("0.01"))
    assert {m.client_id: m.new for m in tiers.compute_moves(policy).moves}[person.pk] == "B"  # exactly 1000.00
