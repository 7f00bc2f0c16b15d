"""Showing a contact field in full: the right, a reason, an audit row; refusal changes nothing else."""

from __future__ import annotations

import pytest
from django.db.models import Max
from django.urls import reverse

from careloop.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def reveal(browser, client, field="phone", reason="call", **extra):
    return browser.post(reverse("clients:reveal", args=[client.pk]), {"field": field, "reason": reason}, **extra)


def test_nurse_reveals_phone_with_a_reason_and_it_is_audited(world, web):
    before = AuditEvent.objects.aggregate(last=Max("append_id"))["last"] or 0
    response = reveal(web(world.nurse), world.own, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<span class="revealed" data-field="phone">13812341234</span>')
    assert "<html" not in html
    rows = list(AuditEvent.objects.filter(append_id__gt=before))
    assert [(r.action, r.result, r.client_id, r.detail, r.actor_name) for r in rows] == [
        ("client.reveal", "ok", world.own.pk, {"field": "phone", "reason": "call"}, "nurse")]


def test_reveal_without_htmx_renders_a_page(world, web):
    response = reveal(web(world.nurse), world.own, field="id_number", reason="verify")
    assert response.status_code == 200
    assert world.own.id_number in response.content.decode()
    assert "<html" in response.content.decode()


def test_expert_is_refused_and_only_a_denied_row_is_written(world, web):
    before = AuditEvent.objects.aggregate(last=Max("append_id"))["last"] or 0
    response = reveal(web(world.expert), world.own, HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert "13812341234" not in response.content.decode()
    rows = list(AuditEvent.objects.filter(append_id__gt=before))
    assert [(r.action, r.result, r.actor_name, r.detail) for r in rows] == [
        ("client.reveal", "denied", "expert", {"field": "phone", "reason": "call"})]
    world.own.refresh_from_db()
    assert world.own.phone == "13812341234"


def test_reveal_needs_a_known_reason(world, web):
    before = AuditEvent.objects.count()
    response = reveal(web(world.nurse), world.own, reason="curious", HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "13812341234" not in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_reveal_out_of_scope_is_404_without_audit(world, web):
    before = AuditEvent.objects.count()
    assert reveal(web(world.nurse), world.other_branch).status_code == 404
    assert AuditEvent.objects.count() == before


def test_reveal_is_post_only(world, web):
    assert web(world.nurse).get(reverse("clients:reveal", args=[world.own.pk])).status_code == 405


def test_auditor_cannot_reveal(world, web):
    assert reveal(web(world.auditor), world.own).status_code == 403
