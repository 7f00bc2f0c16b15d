"""Training (QA-1): exam scored automatically, practical checklist, weighted period score, retraining."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from careloop.audit.models import AuditEvent
from careloop.org.models import Role
from careloop.quality import satisfaction, training
from careloop.quality.models import PracticalItem, QuestionBank, TrainingPlan, TrainingTask
from careloop.quality.permissions import plans_visible_to

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


def make_plan(world, start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31)):
    return TrainingPlan.objects.create(title="四季度随访人员培训", role=Role.FOLLOWUP, branch=world.bj, start=start,
                                       end=end, bank=QuestionBank.objects.get(code="followup-basics"))


RIGHT = {"q1": 1, "q2": 1, "q3": 2, "q4": 1, "q5": 1}


def practical(value):
    return {c: value for c in PracticalItem.objects.values_list("code", flat=True)}


def test_exam_is_scored_automatically_and_incomplete_answers_refused(world):
    plan = make_plan(world)
    with pytest.raises(ValidationError) as exc:
        training.exam_submit(plan=plan, answers={"q1": 1, "q2": 9}, acting_user=world.nurse)
    assert set(exc.value.message_dict) == {"q2", "q3", "q4", "q5"}
    attempt = training.exam_submit(plan=plan, answers={**RIGHT, "q5": 0}, acting_user=world.nurse)
    assert attempt.score == Decimal("80.0")
    with pytest.raises(Http404):  # a plan for another role
        training.exam_submit(plan=plan, answers=RIGHT, acting_user=world.service)


def test_passing_score_combines_weights_without_satisfaction_when_not_available(world, monkeypatch):
    monkeypatch.setattr(satisfaction, "_providers", [])  # as without the service desk
    assert not satisfaction.available()
    plan = make_plan(world)
    training.exam_submit(plan=plan, answers=RIGHT, acting_user=world.nurse)
    training.practical_assess(plan=plan, staff=world.nurse, marks=practical(True), acting_user=world.lead)
    score = training.period_score_compute(plan=plan, staff=world.nurse, acting_user=world.lead)
    assert (score.theory, score.practical, score.satisfaction, score.total, score.passed) == (100, 100, None, 100,
                                                                                             True)
    assert not TrainingTask.objects.exists()


def test_below_pass_mark_opens_retraining_and_a_second_failure_flags_the_manager(world, monkeypatch):
    monkeypatch.setattr(satisfaction, "_providers", [lambda staff_id, start, end: 2.0])
    earlier = make_plan(world, dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    first = training.period_score_compute(plan=earlier, staff=world.nurse, acting_user=world.inspector)
    assert (first.total, first.passed, first.repeated_failure) == (Decimal("5.0"), False, False)  # satisfaction 2 of 5 → 25, × 0.2
    plan = make_plan(world)
    training.exam_submit(plan=plan, answers={**RIGHT, "q1": 0, "q2": 0}, acting_user=world.nurse)  # 60
    training.practical_assess(plan=plan, staff=world.nurse, marks=practical(False), acting_user=world.lead)
    score = training.period_score_compute(plan=plan, staff=world.nurse, acting_user=world.lead)
    assert (score.total, score.passed, score.repeated_failure) == (Decimal("29.0"), False, True)
    tasks = TrainingTask.objects.filter(staff=world.nurse, status="open")
    assert tasks.count() == 2 and tasks.get(plan=plan).due_date == dt.date(2026, 12, 20)
    training.period_score_compute(plan=plan, staff=world.nurse, acting_user=world.lead)  # recomputed: no 2nd task
    assert TrainingTask.objects.filter(plan=plan).count() == 1


def test_only_assessors_of_the_person_record_training(world):
    plan = make_plan(world)
    for user in (world.nurse_b, world.nurse, world.manager):
        with pytest.raises(PermissionDenied):
            training.practical_assess(plan=plan, staff=world.nurse, marks=practical(True), acting_user=user)
    with pytest.raises(PermissionDenied):  # a lead of another team
        training.period_score_compute(plan=plan, staff=world.nurse_b, acting_user=world.lead)
    assert not AuditEvent.objects.filter(action__startswith="quality.training").exists()


def test_plans_are_seen_by_their_role_and_assessors(world):
    plan = make_plan(world)
    assert list(plans_visible_to(world.nurse)) == [plan]
    assert list(plans_visible_to(world.inspector)) == [plan]
    assert not plans_visible_to(world.nurse2).exists()
    assert not plans_visible_to(world.service).exists()
