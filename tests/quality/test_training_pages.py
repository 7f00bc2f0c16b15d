"""Training pages: calendar, exam (take + auto-score), score sheet; the lead sees the retraining."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from careloop.org.models import Role
from careloop.quality import training
from careloop.quality.models import ExamAttempt, QuestionBank, TrainingPlan, TrainingSession, TrainingTask

pytestmark = pytest.mark.django_db
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def plan(world):
    plan = TrainingPlan.objects.create(title="四季度随访人员培训", role=Role.FOLLOWUP, branch=world.bj,
                                       start=dt.date(2026, 10, 1), end=dt.date(2026, 12, 31),
                                       bank=QuestionBank.objects.get(code="followup-basics"))
    TrainingSession.objects.create(plan=plan, title="沟通技巧", starts_at=dt.datetime(2026, 11, 25, 2, tzinfo=dt.UTC),
                                   place="三楼会议室", trainer="张老师")
    return plan


def test_nurse_takes_the_exam_and_sees_the_score(world, client, plan):
    client.force_login(world.nurse)
    page = client.get(reverse("quality:training"), **ZH).content.decode()
    assert "培训日历" in page and "沟通技巧" in page and "理论考试" in page
    answers = {"q1": "1", "q2": "1", "q3": "2", "q4": "1", "q5": "0"}
    page = client.post(reverse("quality:exam", args=[plan.pk]), answers, **ZH).content.decode()
    assert ExamAttempt.objects.get(staff=world.nurse).score == 80
    assert "80.0" in page
    client.force_login(world.service)
    assert client.get(reverse("quality:exam", args=[plan.pk])).status_code == 404


def test_lead_sees_the_team_members_retraining_and_scores_on_the_sheet(world, client, plan, monkeypatch):
    from careloop.quality import satisfaction

    monkeypatch.setattr(satisfaction, "_providers", [])  # the sheet's "暂无" is the satisfaction component
    training.period_score_compute(plan=plan, staff=world.nurse, acting_user=world.lead)
    assert TrainingTask.objects.filter(staff=world.nurse, status="open").exists()
    client.force_login(world.lead)
    page = client.get(reverse("quality:training"), **ZH).content.decode()
    assert "待完成的培训任务" in page and "nurse" in page
    sheet = client.get(reverse("quality:score_sheet", args=[plan.pk, world.nurse.pk]), **ZH).content.decode()
    assert "未达合格线：需再培训" in sheet and "暂无" in sheet
    client.force_login(world.nurse_b)
    assert client.get(reverse("quality:score_sheet", args=[plan.pk, world.nurse.pk])).status_code == 404
    assert "待完成的培训任务" in client.get(reverse("quality:training"), **ZH).content.decode()
    assert "四季度随访人员培训</a>" not in client.get(reverse("quality:training"), **ZH).content.decode()


def test_training_api_plans_exam_and_scores(world, api, plan):
    nurse = api(world.nurse)
    listed = nurse.get("/api/v1/training/plans/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [p["id"] for p in rows] == [plan.pk] and rows[0]["sessions"][0]["title"] == "沟通技巧"
    bad = nurse.post(f"/api/v1/training/plans/{plan.pk}/exam/", {"answers": {"q1": 1}}, format="json")
    assert bad.status_code == 400 and "q2" in bad.json()
    made = nurse.post(f"/api/v1/training/plans/{plan.pk}/exam/", {"answers": {"q1": 1, "q2": 1, "q3": 2, "q4": 1,
                                                                              "q5": 1}}, format="json")
    assert made.status_code == 201 and made.json()["score"] == "100.0"
    assert api(world.nurse2).post(f"/api/v1/training/plans/{plan.pk}/exam/", {"answers": {}},
                                  format="json").status_code == 404
    training.period_score_compute(plan=plan, staff=world.nurse, acting_user=world.lead)
    for user, expected in ((world.nurse, 1), (world.lead, 1), (world.nurse_b, 0), (world.nurse2, 0)):
        body = api(user).get("/api/v1/training/scores/").json()
        assert len(body["results"] if isinstance(body, dict) else body) == expected


def test_the_lead_marks_retraining_done_and_the_admin_screens_open(world, client, plan):
    training.period_score_compute(plan=plan, staff=world.nurse, acting_user=world.lead)
    task = TrainingTask.objects.get(staff=world.nurse)
    client.force_login(world.nurse)
    client.post(reverse("quality:score_sheet_post", args=[plan.pk, world.nurse.pk]),
                {"what": "task_done", "task": task.pk})
    task.refresh_from_db()
    assert task.status == "open"  # the person cannot close their own retraining
    client.force_login(world.lead)
    client.post(reverse("quality:score_sheet_post", args=[plan.pk, world.nurse.pk]),
                {"what": "task_done", "task": task.pk})
    task.refresh_from_db()
    assert task.status == "done"
    world.admin.is_staff = True
    world.admin.save(update_fields=["is_staff"])
    client.force_login(world.admin)
    for name in ("samplingplan", "checklistitem", "questionbank", "practicalitem", "trainingplan",
                 "agreementversion"):
        assert client.get(reverse(f"admin:quality_{name}_changelist")).status_code == 200, name


def test_score_sheet_list_pairs_people_with_their_own_branchs_plan(world, client, plan, django_assert_num_queries):
    other = TrainingPlan.objects.create(title="上海培训", role=Role.FOLLOWUP, branch=world.sh, start=plan.start,
                                        end=plan.end, bank=plan.bank)
    world.admin.refresh_from_db()
    client.force_login(world.admin)
    client.get(reverse("quality:training"))
    with django_assert_num_queries(15):  # constant: plans, sessions, tasks, flags, people, roles, scores
        html = client.get(reverse("quality:training"), **ZH).content.decode()
    assert reverse("quality:score_sheet", args=[plan.pk, world.nurse.pk]) in html
    assert reverse("quality:score_sheet", args=[other.pk, world.nurse2.pk]) in html
    assert reverse("quality:score_sheet", args=[other.pk, world.nurse.pk]) not in html
    assert reverse("quality:score_sheet", args=[plan.pk, world.nurse2.pk]) not in html
    from tests.factories import make_user

    for i in range(3):
        make_user(f"nurse_extra{i}", roles=[Role.FOLLOWUP], unit=world.bj)
    training.period_score_compute(plan=plan, staff=world.nurse, acting_user=world.admin)
    with django_assert_num_queries(15):  # more people and a score: still no query per row
        html = client.get(reverse("quality:training"), **ZH).content.decode()
    assert html.count("nurse_extra") == 3
