"""Supervision (QA-2): reproducible samples, scoring, findings to closure, scope and audited reads."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from careloop.audit.models import AuditEvent
from careloop.quality import sampling, services
from careloop.quality.models import ChecklistItem, Finding, SampledRecord, SamplingPlan, SupervisionPeriod
from careloop.quality.selectors import sampled_record_read, staff_scores
from tests.quality.builders import records_for, signed_record

Q_START, Q_END = dt.date(2026, 7, 1), dt.date(2026, 9, 30)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 10, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


def _draw(world, **kw):
    return services.supervision_period_draw(branch=world.bj, start=Q_START, end=Q_END, acting_user=world.inspector,
                                            **kw)


def all_met(value=True):
    return {code: value for code in ChecklistItem.objects.filter(active=True).values_list("code", flat=True)}


def test_defaults_are_shipped():
    plan = SamplingPlan.objects.get(code="quarterly")
    assert (plan.percent, plan.minimum, plan.maximum, plan.stratum) == (5, 2, 10, "channel")
    assert set(ChecklistItem.objects.values_list("dimension", flat=True)) == {"completeness", "timeliness", "manner"}


def test_sample_size_follows_the_plan():
    plan = SamplingPlan(percent=5, minimum=2, maximum=10)
    assert [sampling.sample_size(n, plan) for n in (0, 1, 2, 40, 41, 100, 1000)] == [0, 1, 2, 2, 3, 5, 10]


def test_draw_takes_a_share_per_staff_member_of_signed_records_in_the_period_only(world):
    mine = records_for(world.own, world.nurse, 60, start=Q_START)
    theirs = records_for(world.other_team, world.nurse_b, 3, start=Q_START)
    signed_record(world.own, world.nurse, on=dt.date(2026, 6, 30))  # before the period
    unsigned = signed_record(world.own, world.nurse_b, on=Q_START, signed=False)
    records_for(world.other_branch, world.nurse2, 5, start=Q_START)  # another branch
    period = _draw(world)
    samples = list(period.samples.order_by("staff_id", "rank"))
    by_staff = {}
    for s in samples:
        by_staff.setdefault(s.staff_id, []).append(s.record_id)
    assert {k: len(v) for k, v in by_staff.items()} == {world.nurse.pk: 3, world.nurse_b.pk: 2}
    assert set(by_staff[world.nurse.pk]) <= {r.pk for r in mine}
    assert set(by_staff[world.nurse_b.pk]) <= {r.pk for r in theirs}
    assert unsigned.pk not in by_staff[world.nurse_b.pk]
    assert [s.rank for s in samples if s.staff_id == world.nurse.pk] == [1, 2, 3]
    event = AuditEvent.objects.get(action="quality.period.draw")
    assert event.actor_id == world.inspector.pk and event.detail["samples"] == 5


def test_the_sample_is_reproducible_and_not_just_the_first_records(world):
    records_for(world.own, world.nurse, 200, start=Q_START)
    first = [s.record_id for s in _draw(world).samples.order_by("rank")]
    assert len(first) == 10
    plan = SamplingPlan.objects.get(code="quarterly")
    seed = SupervisionPeriod.objects.get().seed
    again = sampling.draw(unit_ids=[world.bj.pk, world.bj_site.pk], start=Q_START, end=Q_END, plan=plan, seed=seed)
    assert [d.record_id for d in again] == first
    assert _draw(world).pk == SupervisionPeriod.objects.get().pk  # drawing again returns the same period
    assert SampledRecord.objects.count() == 10
    lowest = sorted(first)
    assert first != lowest[:10] or lowest != sorted(lowest)  # hashed order, not insertion order
    other = sampling.draw(unit_ids=[world.bj.pk, world.bj_site.pk], start=Q_START, end=Q_END, plan=plan,
                          seed=seed + "x")
    assert [d.record_id for d in other] != first


def test_strata_are_taken_in_turn(world):
    records_for(world.own, world.nurse, 30, start=Q_START, channel="phone")
    records_for(world.own, world.nurse, 30, start=Q_START, channel="sms")
    samples = list(_draw(world).samples.order_by("rank"))
    assert len(samples) == 3
    assert sorted(s.stratum for s in samples[:2]) == ["phone", "sms"]


def test_only_an_inspector_of_the_branch_draws(world):
    with pytest.raises(PermissionDenied):
        services.supervision_period_draw(branch=world.bj, start=Q_START, end=Q_END, acting_user=world.lead)
    with pytest.raises(Http404):
        services.supervision_period_draw(branch=world.sh, start=Q_START, end=Q_END, acting_user=world.inspector)
    with pytest.raises(ValidationError) as exc:
        services.supervision_period_draw(branch=world.bj, start=Q_END, end=Q_START, acting_user=world.inspector)
    assert "end" in exc.value.message_dict
    assert not SupervisionPeriod.objects.exists()
    assert not AuditEvent.objects.filter(action="quality.period.draw").exists()


def test_scoring_per_dimension_and_missing_marks_are_refused(world):
    records_for(world.own, world.nurse, 2, start=Q_START)
    sample = _draw(world).samples.first()
    marks = all_met()
    marks["t_due"] = False  # 2 of the 5 timeliness points
    del marks["m_privacy"]
    with pytest.raises(ValidationError) as exc:
        services.sample_score(sample=sample, marks=marks, acting_user=world.inspector)
    assert list(exc.value.message_dict) == ["m_privacy"]
    sample.refresh_from_db()
    assert sample.status == "pending" and sample.total is None
    marks["m_privacy"] = True
    services.sample_score(sample=sample, marks=marks, comment="好", acting_user=world.inspector)
    sample.refresh_from_db()
    assert (sample.status, sample.completeness, sample.timeliness, sample.manner) == ("scored", 100, 60, 100)
    assert sample.total == pytest.approx(90.0)  # 18 of 20 points
    assert AuditEvent.objects.filter(action="quality.sample.score", client_id=world.own.pk).count() == 1


def test_findings_are_tracked_to_closure_and_seen_by_the_staff_member(world):
    records_for(world.own, world.nurse, 2, start=Q_START)
    sample = _draw(world).samples.first()
    with pytest.raises(ValidationError) as exc:
        services.finding_record(sample=sample, description="", action="", owner=None, due_date=None,
                                acting_user=world.inspector)
    assert set(exc.value.message_dict) == {"description", "action", "owner", "due_date"}
    with pytest.raises(ValidationError) as exc:
        services.finding_record(sample=sample, description="x", action="y", owner=world.nurse2,
                                due_date=dt.date(2026, 10, 9), acting_user=world.inspector)
    assert list(exc.value.message_dict) == ["owner"]
    finding = services.finding_record(sample=sample, description="未询问生活方式", action="补问并补记",
                                      owner=world.nurse, due_date=dt.date(2026, 10, 9), acting_user=world.inspector)
    assert finding.staff_id == world.nurse.pk
    with pytest.raises(PermissionDenied):
        services.finding_close(finding=finding, closure_note="done", acting_user=world.nurse_b)
    services.finding_close(finding=finding, closure_note="已补记", acting_user=world.nurse)
    finding.refresh_from_db()
    assert (finding.status, finding.closed_by_id) == ("closed", world.nurse.pk)
    with pytest.raises(ValidationError):
        services.finding_close(finding=finding, closure_note="again", acting_user=world.inspector)
    assert list(AuditEvent.objects.filter(action__startswith="quality.finding").order_by("append_id").values_list("action", flat=True)
                ) == ["quality.finding.record", "quality.finding.close"]


def test_inspector_reads_sampled_records_only_audited(world):
    records_for(world.own, world.nurse, 2, start=Q_START)
    unsampled = signed_record(world.own, world.nurse, on=dt.date(2026, 5, 1))
    sample = _draw(world).samples.first()
    before = AuditEvent.objects.count()
    context = sampled_record_read(world.inspector, sample.record_id)
    assert context["record"].pk == sample.record_id
    event = AuditEvent.objects.latest("append_id")
    assert (event.action, event.client_id, event.actor_id) == ("quality.sample.read", world.own.pk, world.inspector.pk)
    assert AuditEvent.objects.count() == before + 1
    with pytest.raises(Http404):
        sampled_record_read(world.inspector, unsampled.pk)
    with pytest.raises(PermissionDenied):
        sampled_record_read(world.nurse, sample.record_id)
    assert AuditEvent.objects.count() == before + 1


def test_another_branchs_inspector_sees_nothing(world):
    from careloop.org.models import Role
    from tests.factories import make_user

    records_for(world.own, world.nurse, 2, start=Q_START)
    period = _draw(world)
    sample = period.samples.first()
    services.finding_record(sample=sample, description="a", action="b", owner=world.nurse,
                            due_date=dt.date(2026, 10, 9), acting_user=world.inspector)
    inspector_sh = make_user("inspector_sh", roles=[Role.INSPECTOR], unit=world.sh)
    from careloop.quality.permissions import findings_visible_to, periods_visible_to, samples_visible_to

    assert not periods_visible_to(inspector_sh).exists()
    assert not samples_visible_to(inspector_sh).exists()
    assert not findings_visible_to(inspector_sh).exists()
    with pytest.raises(Http404):
        sampled_record_read(inspector_sh, sample.record_id)
    with pytest.raises(Http404):
        services.sample_score(sample=sample, marks=all_met(), acting_user=inspector_sh)
    # the nurse and her lead see the finding; a nurse of another team does not
    assert findings_visible_to(world.nurse).count() == 1
    assert findings_visible_to(world.lead).count() == 1
    assert findings_visible_to(world.nurse_b).count() == 0


def test_staff_scores_for_statistics(world):
    records_for(world.own, world.nurse, 2, start=Q_START)
    period = _draw(world)
    first, second = period.samples.order_by("rank")
    services.sample_score(sample=first, marks=all_met(), acting_user=world.inspector)
    services.sample_score(sample=second, marks=all_met(False), acting_user=world.inspector)
    services.finding_record(sample=second, description="a", action="b", owner=world.nurse,
                            due_date=dt.date(2026, 10, 9), acting_user=world.inspector)
    scores = staff_scores(units=[world.bj.pk], start=Q_START, end=Q_END)
    assert scores == {world.nurse.pk: {"sampled": 2, "scored": 2, "completeness": 50, "timeliness": 50,
                                       "manner": 50, "total": 50, "open_findings": 1}}
    assert staff_scores(units=[world.sh.pk], start=Q_START, end=Q_END) == {}
    assert not Finding.objects.filter(status="closed").exists()
