"""Satisfaction surveys (SVC-4): sent through the outbox with consent, a public page without login."""

from __future__ import annotations

import datetime as dt

import pytest

from careloop.clients.services import consent_record
from careloop.messaging.models import Message
from careloop.servicedesk.models import Survey
from careloop.servicedesk.services import survey_send, ticket_answer, token_hash


@pytest.fixture
def sent(world, complaint):
    consent_record(acting_user=world.service, client=world.own, purpose="reminders", granted=True)
    ticket_answer(ticket=complaint, answer="已致歉", acting_user=world.service, send_survey=False)
    return survey_send(client=world.own, about="ticket", object_id=complaint.pk, acting_user=world.service)


def _path(sent) -> str:
    return sent.link.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def test_sent_through_the_outbox_with_the_link(world, sent) -> None:
    msg = Message.objects.get(purpose="satisfaction_survey")
    assert (msg.client_id, sent.link in msg.body) == (world.own.pk, True)
    assert sent.survey.staff_id == world.service.pk
    assert sent.survey.expires_at == sent.survey.created_at + dt.timedelta(days=14)
    assert sent.survey.token_hash == token_hash(sent.token) and sent.token not in sent.link.replace(sent.token, "")


def test_without_consent_the_survey_exists_but_no_message(world, complaint) -> None:
    ticket_answer(ticket=complaint, answer="已致歉", acting_user=world.service)
    s = Survey.objects.get()
    assert (s.about, s.object_id, s.message_refused) == ("ticket", complaint.pk, "no_consent")
    assert not Message.objects.filter(purpose="satisfaction_survey").exists()


def test_api_sends_and_lists_answers(world, complaint, api, client) -> None:
    ticket_answer(ticket=complaint, answer="已致歉", acting_user=world.service, send_survey=False)
    r = api(world.service).post("/api/v1/surveys/", {"client": world.own.pk, "about": "ticket",
                                                      "object": complaint.pk}, format="json")
    assert r.status_code == 201
    link = r.json()["link"]
    assert r.json()["qr"] == link + "qr.svg"
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    assert client.post(path, {"recommend": "9", "satisfaction": "5", "comment": "很好"}).status_code == 200
    rows = api(world.service).get("/api/v1/surveys/?about=ticket").json()["results"]
    assert [(x["recommend"], x["satisfaction"], x["comment"]) for x in rows] == [(9, 5, "很好")]
    again = api(world.service).post("/api/v1/surveys/", {"client": world.own.pk, "about": "ticket",
                                                          "object": complaint.pk}, format="json")
    assert (again.status_code, list(again.json())) == (400, ["object"])


def test_survey_about_another_clients_object_is_refused(world, complaint, api) -> None:
    r = api(world.service).post("/api/v1/surveys/", {"client": world.other_team.pk, "about": "ticket",
                                                      "object": complaint.pk}, format="json")
    assert (r.status_code, list(r.json())) == (400, ["object"])
    assert not Survey.objects.exists()


def test_public_page_shows_no_client_data(world, sent, client) -> None:
    r = client.get(_path(sent), HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = r.content.decode()
    assert r.status_code == 200
    assert "王芳" not in body and "1381234" not in body and "态度冷淡" not in body
    assert 'name="recommend" value="10"' in body and 'name="satisfaction" value="5"' in body


def test_one_answer_is_stored_then_refused(world, sent, client) -> None:
    r = client.post(_path(sent), {"recommend": "10", "satisfaction": "5", "comment": "护士很耐心"})
    assert r.status_code == 200
    s = Survey.objects.get()
    assert (s.recommend, s.satisfaction, s.comment) == (10, 5, "护士很耐心")
    r = client.post(_path(sent), {"recommend": "0", "satisfaction": "1", "comment": "改"})
    assert r.status_code == 410
    assert "已经" in r.content.decode()
    s.refresh_from_db()
    assert (s.recommend, s.satisfaction, s.comment) == (10, 5, "护士很耐心")


@pytest.mark.parametrize("form", [{"recommend": "11", "satisfaction": "5"}, {"recommend": "-1", "satisfaction": "3"},
                                  {"recommend": "5", "satisfaction": "0"}, {"recommend": "ten", "satisfaction": "5"},
                                  {"satisfaction": "5"}])
def test_bad_scores_show_the_page_again_and_store_nothing(world, sent, client, form) -> None:
    r = client.post(_path(sent), form, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 400
    assert "请选择" in r.content.decode()
    s = Survey.objects.get()
    assert (s.answered_at, s.recommend, s.satisfaction) == (None, None, None)


def test_expired_link(world, sent, client, time_machine) -> None:
    time_machine.shift(dt.timedelta(days=14, seconds=1))
    r = client.post(_path(sent), {"recommend": "9", "satisfaction": "5"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 410
    assert "过期" in r.content.decode()
    assert Survey.objects.get().answered_at is None


def test_forged_token(world, sent, client) -> None:
    forged = _path(sent).replace(sent.token, sent.token[:-2] + ("AA" if not sent.token.endswith("AA") else "BB"))
    r = client.post(forged, {"recommend": "9", "satisfaction": "5"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 404
    assert "无效" in r.content.decode()
    assert client.get("/desk/s/short/").status_code == 404
    assert Survey.objects.get().answered_at is None


def test_rate_limited(world, sent, client, settings) -> None:
    settings.SURVEY_RATE_PER_MINUTE = 3
    codes = [client.get(_path(sent)).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]


def test_qr_code(world, sent, client) -> None:
    r = client.get(_path(sent) + "qr.svg")
    assert (r.status_code, r["Content-Type"]) == (200, "image/svg+xml")
    assert r.content.startswith(b"<?xml") and b"<svg" in r.content


def test_tokens_are_long_and_random(world, sent) -> None:
    assert len(sent.token) >= 32
    assert sent.token not in Survey.objects.values_list("token_hash", flat=True)
