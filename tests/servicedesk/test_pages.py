"""The desk's screens in Chinese: worklist order and query count, ticket page actions, forms, NPS page."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from careloop.servicedesk.models import Ticket
from careloop.servicedesk.services import ticket_create


def _login(client, user) -> None:
    client.force_login(user)


def _get(client, url):
    return client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_service_lands_on_the_desk(world, client) -> None:
    _login(client, world.service)
    r = client.get("/")
    assert (r.status_code, r["Location"]) == (302, "/desk/")


def test_worklist_urgent_first_then_due_overdue_marked(world, client, time_machine, django_assert_num_queries) -> None:
    plain = ticket_create(kind="consultation", channel="phone", subject="普通咨询", body="b", acting_user=world.service)
    late = ticket_create(kind="complaint", channel="phone", subject="超时投诉", body="b", urgent=True,
                         acting_user=world.service)
    time_machine.shift(dt.timedelta(minutes=40))
    fresh = ticket_create(kind="complaint", channel="phone", subject="新紧急", body="b", urgent=True,
                          client=world.own, acting_user=world.service)
    _login(client, world.service)
    _get(client, "/desk/")
    with django_assert_num_queries(11):
        r = _get(client, "/desk/")
    body = r.content.decode()
    order = [int(n) for n in re.findall(r'href="/desk/tickets/(\d+)/">#', body)]
    assert order == [late.pk, fresh.pk, plain.pk]
    assert body.count('class="overdue"') == 1
    assert "已超时" in body and "客服中心" in body


def test_worklist_query_count_does_not_grow(world, client, django_assert_num_queries) -> None:
    for i in range(12):
        ticket_create(kind="complaint", channel="phone", subject=f"投诉{i}", body="b", client=world.own,
                      staff=world.nurse, acting_user=world.service)
    _login(client, world.service)
    _get(client, "/desk/")
    with django_assert_num_queries(11):
        _get(client, "/desk/")


@pytest.mark.parametrize(("persona", "status"), [("service", 200), ("manager", 403), ("nurse", 403), ("lead", 403)])
def test_who_opens_the_desk(world, client, persona, status) -> None:
    _login(client, getattr(world, persona))
    assert _get(client, "/desk/").status_code == status


def test_lead_sees_complaints_about_the_team(world, client, complaint) -> None:
    _login(client, world.lead)
    r = _get(client, "/desk/team/")
    assert r.status_code == 200 and "态度冷淡" in r.content.decode()
    _login(client, world.nurse)
    assert _get(client, "/desk/team/").status_code == 403
    assert _get(client, f"/desk/tickets/{complaint.pk}/").status_code == 404


def test_new_ticket_form(world, client) -> None:
    _login(client, world.service)
    assert "新建工单" in _get(client, "/desk/tickets/new/").content.decode()
    r = client.post("/desk/tickets/new/", {"kind": "complaint", "channel": "walk_in", "subject": "候诊拥挤",
                                           "body": "候诊区太拥挤", "client": str(world.own.pk),
                                           "staff": str(world.nurse.pk), "urgent": "on"})
    t = Ticket.objects.get()
    assert r["Location"] == f"/desk/tickets/{t.pk}/"
    assert (t.kind, t.channel, t.client_id, t.staff_id, t.urgent) == ("complaint", "walk_in", world.own.pk,
                                                                       world.nurse.pk, True)
    r = client.post("/desk/tickets/new/", {"kind": "complaint", "channel": "walk_in", "subject": "",
                                           "body": "", "client": str(world.other_branch.pk)},
                    HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 400 and "客户" in r.content.decode()
    assert Ticket.objects.count() == 1


def test_ticket_page_actions_and_history(world, client, complaint) -> None:
    _login(client, world.service)
    body = _get(client, f"/desk/tickets/{complaint.pk}/").content.decode()
    assert "答复客户" in body and "历史" in body and "医疗纠纷" in body
    client.post(f"/desk/tickets/{complaint.pk}/answer/", {"answer": "已致歉"})
    client.post(f"/desk/tickets/{complaint.pk}/satisfaction/", {"score": "5", "comment": "满意"})
    client.post(f"/desk/tickets/{complaint.pk}/close/")
    complaint.refresh_from_db()
    assert (complaint.status, complaint.satisfaction) == ("closed", 5)
    body = _get(client, f"/desk/tickets/{complaint.pk}/").content.decode()
    for word in ("登记", "已答复", "记录满意度", "已关闭"):
        assert word in body


def test_ticket_page_refuses_bad_action_without_change(world, client, complaint) -> None:
    _login(client, world.service)
    r = client.post(f"/desk/tickets/{complaint.pk}/close/", HTTP_ACCEPT_LANGUAGE="zh-hans", follow=True)
    assert "工单答复后才能关闭" in r.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == "open"
    assert client.post(f"/desk/tickets/{complaint.pk}/explode/").status_code == 404


def test_nps_page(world, client) -> None:
    _login(client, world.manager)
    body = _get(client, "/desk/satisfaction/").content.decode()
    assert "净推荐值" in body and "最常见的反馈主题" in body
    assert _get(client, "/desk/satisfaction/?from=2026-13-01").status_code == 200


def test_survey_form_shows_link_and_qr(world, client, complaint) -> None:
    from careloop.servicedesk.services import ticket_answer

    ticket_answer(ticket=complaint, answer="已致歉", acting_user=world.service, send_survey=False)
    _login(client, world.service)
    r = client.post("/desk/surveys/new/", {"client": str(world.own.pk), "about": "ticket", "object": str(complaint.pk)},
                    HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = r.content.decode()
    assert r.status_code == 200 and "qr.svg" in body and "/desk/s/" in body


def test_manager_approves_commendations_from_the_list(world, client) -> None:
    from careloop.servicedesk.services import ticket_answer

    t = ticket_create(kind="commendation", channel="letter", subject="表扬信", body="感谢", staff=world.nurse,
                      acting_user=world.service)
    ticket_answer(ticket=t, answer="已致谢", acting_user=world.service)
    _login(client, world.manager)
    body = _get(client, "/desk/approvals/").content.decode()
    assert "待批准的表扬" in body and f"/desk/tickets/{t.pk}/" in body
    assert "批准奖励" in _get(client, f"/desk/tickets/{t.pk}/").content.decode()
    client.post(f"/desk/tickets/{t.pk}/approve/")
    t.refresh_from_db()
    assert t.approved_by_id == world.manager.pk
    assert f"/desk/tickets/{t.pk}/" not in _get(client, "/desk/approvals/").content.decode()
    _login(client, world.service)
    assert _get(client, "/desk/approvals/").status_code == 403
