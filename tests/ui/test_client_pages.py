"""The client list and the client page for each persona: scope, masking, audit of every read."""

from __future__ import annotations

import pytest
from django.db.models import Max
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.clients import timeline
from careloop.clients.timeline import TimelineEntry

pytestmark = pytest.mark.django_db


def detail(client) -> str:
    return reverse("clients:detail", args=[client.pk])


# role → (own, other team, other branch) expected status on the client page
DETAIL_MATRIX = {
    "nurse": (200, 404, 404),
    "lead": (200, 404, 404),
    "nurse_b": (404, 200, 404),
    "doctor": (200, 404, 404),
    "expert": (200, 200, 404),
    "service": (200, 200, 404),
    "clerk": (200, 200, 404),
    "inspector": (200, 200, 404),
    "nutritionist": (200, 200, 404),
    "admin": (200, 200, 200),
    "nurse2": (404, 404, 200),
    "auditor": (403, 403, 403),
    "manager": (403, 403, 403),
    "outsider": (403, 403, 403),
}


@pytest.mark.parametrize("persona", sorted(DETAIL_MATRIX))
def test_client_page_scope_for_each_persona(world, web, persona):
    browser = web(getattr(world, persona))
    got = tuple(browser.get(detail(c)).status_code for c in (world.own, world.other_team, world.other_branch))
    assert got == DETAIL_MATRIX[persona]


@pytest.mark.parametrize("persona", sorted(DETAIL_MATRIX))
def test_client_list_shows_only_clients_in_scope(world, web, persona):
    response = web(getattr(world, persona)).get(reverse("clients:list"))
    expected = DETAIL_MATRIX[persona]
    if expected == (403, 403, 403):
        assert response.status_code == 403
        return
    assert response.status_code == 200
    html = response.content.decode()
    for client, status in zip((world.own, world.other_team, world.other_branch), expected, strict=True):
        assert (f'href="{detail(client)}"' in html) is (status == 200), client.name


def test_page_view_writes_exactly_one_audit_row(world, web):
    before = AuditEvent.objects.aggregate(last=Max("append_id"))["last"] or 0
    response = web(world.nurse).get(detail(world.own))
    assert response.status_code == 200
    rows = list(AuditEvent.objects.filter(append_id__gt=before))
    assert len(rows) == 1
    row = rows[0]
    assert (row.action, row.actor_name, row.roles, row.client_id, row.channel, row.result) == (
        "client.view", "nurse", "followup", world.own.pk, "web", "ok")
    assert row.ip == "127.0.0.1"


def test_refused_page_view_writes_no_view_row(world, web):
    before = AuditEvent.objects.count()
    assert web(world.nurse).get(detail(world.other_branch)).status_code == 404
    assert AuditEvent.objects.count() == before


def test_page_is_chinese_and_masks_contact_details(world, web):
    html = web(world.nurse).get(detail(world.own)).content.decode()
    assert "<html lang=\"zh-hans\">" in html
    assert "联系方式" in html
    assert "138****1234" in html
    assert "13812341234" not in html
    assert world.own.id_number not in html
    assert world.own.id_number_masked in html


def test_page_switches_to_english(world, web):
    html = web(world.nurse, lang="en").get(detail(world.own)).content.decode()
    assert "Contact details" in html
    assert "联系方式" not in html


def test_customer_service_sees_contact_but_no_health_section(world, web):
    def checkup_provider(client, user):
        yield TimelineEntry(world.own.created_at, "checkup", "血压 150/95 mmHg")

    timeline.register("tests.checkup", checkup_provider)
    try:
        service_html = web(world.service).get(detail(world.own)).content.decode()
        nurse_html = web(world.nurse).get(detail(world.own)).content.decode()
    finally:
        timeline._providers.pop("tests.checkup")
    assert 'id="contact"' in service_html and "138****1234" in service_html
    assert 'id="health-timeline"' not in service_html
    assert "血压 150/95 mmHg" not in service_html
    assert 'value="checkup"' not in service_html
    assert 'id="health-timeline"' in nurse_html
    assert "血压 150/95 mmHg" in nurse_html


def test_reveal_button_only_for_roles_with_the_right(world, web):
    nurse_html = web(world.nurse).get(detail(world.own)).content.decode()
    expert_html = web(world.expert).get(detail(world.own)).content.decode()
    assert 'data-reveal="phone"' in nurse_html
    assert 'data-reveal="phone"' not in expert_html
    assert "138****1234" in expert_html


def test_timeline_filter_is_an_htmx_fragment(world, web):
    response = web(world.nurse).get(detail(world.own), {"part": "timeline", "kind": "archive"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="timeline">')
    assert "<html" not in html
    assert "建档" in html or "Archive opened" in html
    row = AuditEvent.objects.order_by("-append_id").first()
    assert (row.action, row.client_id, row.detail) == ("client.view", world.own.pk, {"part": "timeline"})


def test_timeline_fragment_refused_out_of_scope(world, web):
    response = web(world.nurse).get(detail(world.other_branch), {"part": "timeline"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 404
