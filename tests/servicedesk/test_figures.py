"""The published figures (NPS, complaint rate, urgent response, per-staff scores, themes)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from careloop.followups.models import Encounter
from careloop.servicedesk import selectors
from careloop.servicedesk.models import FeedbackTheme, StopWord, Survey, Ticket
from careloop.servicedesk.services import ticket_answer, ticket_create
from tests.servicedesk.conftest import NOW

D = NOW.date()
_seq = itertools.count(1)


def answer(world, recommend: int, satisfaction: int = 4, comment: str = "", *, client=None, staff=None,
           at: dt.datetime = NOW) -> Survey:
    client = client or world.own
    return Survey.objects.create(token_hash=f"{next(_seq):064d}", client=client, branch=client.branch, about="visit",
                                 object_id=next(_seq), staff=staff, created_at=at, expires_at=at + dt.timedelta(days=1),
                                 answered_at=at, recommend=recommend, satisfaction=satisfaction, comment=comment)


def test_nps_is_promoters_minus_detractors(world) -> None:
    for score in (10, 9, 9, 8, 7, 6, 0, 10):
        answer(world, score)
    answer(world, 0, at=NOW - dt.timedelta(days=40))  # outside the period
    result = selectors.nps(start=D - dt.timedelta(days=7), end=D)
    assert result == selectors.Nps(answers=8, promoters=4, passives=2, detractors=2, score=25.0)
    assert selectors.nps(start=D + dt.timedelta(days=1), end=D + dt.timedelta(days=2)).score is None


def test_nps_by_unit(world) -> None:
    answer(world, 10)
    answer(world, 0, client=world.other_branch)
    assert selectors.nps(start=D, end=D, units=[world.bj]).score == 100.0
    assert selectors.nps(start=D, end=D, units=[world.sh]).score == -100.0
    assert selectors.nps(start=D, end=D, units=[world.hq]).score == 0.0


def test_staff_scores(world, django_assert_num_queries) -> None:
    for rec, sat in ((10, 5), (9, 4), (3, 2)):
        answer(world, rec, sat, staff=world.nurse)
    answer(world, 10, 5, staff=world.nurse_b)
    with django_assert_num_queries(3):
        scores = selectors.staff_scores(start=D, end=D)
    assert [(s.staff_id, s.answers, s.satisfaction, s.nps) for s in scores] == [
        (world.nurse_b.pk, 1, 5.0, 100.0), (world.nurse.pk, 3, 3.67, 33.3)]


def test_complaint_rate_and_urgent_response(world, time_machine) -> None:
    for c in (world.own, world.other_team, world.other_branch):
        Encounter.objects.create(client=c, kind="checkup", date=D)
    t = ticket_create(kind="complaint", channel="phone", subject="急", body="急", urgent=True, client=world.own,
                      acting_user=world.service)
    ticket_create(kind="complaint", channel="phone", subject="又", body="又", client=world.own, acting_user=world.service)
    time_machine.shift(dt.timedelta(minutes=12))
    ticket_answer(ticket=t, answer="已处理", acting_user=world.service)
    rate = selectors.complaint_rate(start=D, end=D)
    assert (rate.count, rate.base, rate.value) == (1, 3, 33.33)
    assert selectors.urgent_response_minutes(start=D, end=D) == 12.0
    assert selectors.urgent_response_minutes(start=D - dt.timedelta(days=9), end=D - dt.timedelta(days=1)) is None


def test_themes_from_comments_with_jieba(world) -> None:
    assert FeedbackTheme.objects.filter(name="等候时间").exists()  # shipped defaults
    for comment in ("排队等候时间太长了", "护士态度很好，非常耐心", "等待太久", "前台态度冷淡", "停车位不够", ""):
        answer(world, 8, comment=comment)
    themes = {t.theme: t.count for t in selectors.feedback_themes(start=D, end=D)}
    assert themes["等候时间"] == 2
    assert themes["服务态度"] == 2
    assert themes["停车交通"] == 1


def test_theme_dictionary_is_data(world) -> None:
    FeedbackTheme.objects.create(name="饮食指导", keywords="营养师\n食谱")
    StopWord.objects.create(word="建议")
    answer(world, 9, comment="营养师给的食谱很实用")
    answer(world, 9, comment="建议食谱多一些")
    themes = selectors.feedback_themes(start=D, end=D)
    assert (themes[0].theme, themes[0].count, themes[0].words[0]) == ("饮食指导", 2, "食谱")


def test_commendations_count_only_when_approved(world) -> None:
    from careloop.servicedesk.services import ticket_approve_reward

    a = ticket_create(kind="commendation", channel="letter", subject="表扬", body="表扬", staff=world.nurse,
                      acting_user=world.service)
    ticket_create(kind="commendation", channel="letter", subject="锦旗", body="锦旗", staff=world.nurse,
                  acting_user=world.service)
    assert selectors.commendation_counts(start=D, end=D) == {}
    assert selectors.commendation_counts(start=D, end=D, approved_only=False) == {world.nurse.pk: 2}
    ticket_approve_reward(ticket=a, acting_user=world.manager)
    assert selectors.commendation_counts(start=D, end=D) == {world.nurse.pk: 1}
    assert Ticket.objects.filter(approved_at=timezone.now()).count() == 1
