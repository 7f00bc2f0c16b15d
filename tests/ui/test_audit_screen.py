"""The auditor's screen: auditor only, filters, pagination, chain verification."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.audit.services import audit_record, audit_seal

pytestmark = pytest.mark.django_db
LIST = "/audit/"


def seqs(response) -> list[int]:
    return [e.append_id for e in response.context["page"].object_list]


def test_url_names():
    assert reverse("audit:list") == LIST
    assert reverse("audit:verify") == "/audit/verify/"


@pytest.mark.parametrize("persona", ["nurse", "lead", "expert", "service", "clerk", "admin", "manager", "outsider"])
def test_everyone_but_the_auditor_is_refused(world, web, persona):
    browser = web(getattr(world, persona))
    assert browser.get(LIST).status_code == 403
    assert browser.post(reverse("audit:verify")).status_code == 403


def test_anonymous_is_sent_to_login(web):
    response = web().get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_auditor_sees_the_trail_in_chinese_with_every_column(world, web):
    web(world.nurse).get(reverse("clients:detail", args=[world.own.pk]))
    audit_seal()
    audit_record(actor=world.nurse, action="client.update", client=world.own)  # not sealed yet
    response = web(world.auditor).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    for header in ("序号", "时间", "操作人", "角色", "操作", "对象", "客户", "来源", "渠道", "结果", "详情"):
        assert f"<th>{header}</th>" in html, header
    row = AuditEvent.objects.get(action="client.view")
    assert f"<td>{row.seq}</td>" in html
    # the row waiting for the sealer has no place in the chain yet
    assert '<span class="muted" title="尚未封入链中">—</span>' in html
    assert "随访人员" in html  # the nurse's role, translated
    # the action by its label from the registry (audit/actions.py); the raw name stays in the title
    assert '<td title="client.view">查看客户档案</td>' in html and "127.0.0.1" in html
    assert ">client.view<" not in html


def test_auditor_has_only_the_audit_entry_in_the_navigation(world, web):
    html = web(world.auditor).get(LIST).content.decode()
    assert 'href="/audit/"' in html and 'href="/clients/"' not in html
    assert web(world.auditor).get("/").headers["Location"] == LIST


def test_filters(world, web):
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC), tick=False):
        old = audit_record(actor=world.nurse, action="client.view", client=world.own, obj=world.own)
    with time_machine.travel(dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC), tick=False):
        view = audit_record(actor=world.lead, action="client.view", client=world.other_team, obj=world.other_team)
        update = audit_record(actor=world.lead, action="client.update", client=world.own, obj=world.own)
        denied = audit_record(actor=world.expert, action="client.reveal", client=world.own, obj=world.own,
                              result="denied")
    browser = web(world.auditor)
    assert seqs(browser.get(LIST, {"client": world.own.pk})) == [denied.append_id, update.append_id, old.append_id]
    assert seqs(browser.get(LIST, {"actor": "lead"})) == [update.append_id, view.append_id]
    assert seqs(browser.get(LIST, {"action": "client.view"})) == [view.append_id, old.append_id]
    assert seqs(browser.get(LIST, {"action": "client."})) == [denied.append_id, update.append_id, view.append_id, old.append_id]
    assert seqs(browser.get(LIST, {"date_from": "2026-11-21", "date_to": "2026-11-22"})) == [
        denied.append_id, update.append_id, view.append_id]
    assert seqs(browser.get(LIST, {"date_to": "2026-11-20"})) == [old.append_id]
    assert seqs(browser.get(LIST, {"result": "denied"})) == [denied.append_id]


def test_htmx_gets_the_fragment(world, web):
    audit_record(actor=world.nurse, action="client.view", client=world.own)
    response = web(world.auditor).get(LIST, {"actor": "nurse"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.startswith('<section id="results"') and "<html" not in html


def test_paginated_with_fixed_query_count(world, web, django_assert_num_queries):
    for _n in range(120):
        audit_record(actor=world.nurse, action="client.view", client=world.own)
    browser = web(world.auditor)
    first = browser.get(LIST)
    assert len(seqs(first)) == 50
    assert first.context["page"].paginator.num_pages == 3
    # session, user, roles, count, page rows, session save (savepoint, update, release)
    with django_assert_num_queries(8):
        browser.get(LIST, {"page": 3})
    for _n in range(100):
        audit_record(actor=world.nurse, action="client.view", client=world.own)
    with django_assert_num_queries(8):
        browser.get(LIST, {"page": 3})


def test_verify_reports_an_intact_chain(world, web):
    for _n in range(3):
        audit_record(actor=world.nurse, action="client.view", client=world.own)
    response = web(world.auditor).post(reverse("audit:verify"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "审计日志完整：已校验 3 条。" in html and "<html" not in html


def test_verify_names_an_altered_unsealed_row(world, web):
    from careloop.audit import triggers

    rows = [audit_record(actor=world.nurse, action="client.view", client=world.own) for _n in range(3)]
    triggers.remove(connection)
    try:
        AuditEvent.objects.filter(pk=rows[2].pk).update(action="client.tampered")
    finally:
        triggers.install(connection)
    response = web(world.auditor).post(reverse("audit:verify"))
    assert response.status_code == 409
    html = response.content.decode()
    assert "审计日志异常：已封存的 2 条完整" in html
    assert f"unsealed row append_id {rows[2].append_id}" in html
    assert list(AuditEvent.objects.filter(seq__isnull=True).values_list("pk", flat=True)) == [rows[2].pk]


def test_verify_names_the_broken_row(world, web):
    from careloop.audit import triggers

    rows = [audit_record(actor=world.nurse, action="client.view", client=world.own) for _n in range(3)]
    audit_seal()
    rows = [AuditEvent.objects.get(pk=row.pk) for row in rows]
    triggers.remove(connection)
    try:
        AuditEvent.objects.filter(pk=rows[1].pk).update(action="client.tampered")
    finally:
        triggers.install(connection)
    response = web(world.auditor).post(reverse("audit:verify"))
    assert response.status_code == 409
    html = response.content.decode()
    assert f"审计日志在第 {rows[1].seq} 条处被破坏" in html
    assert "content was altered" in html
