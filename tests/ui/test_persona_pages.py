"""Every role × {own, other team, other branch} on the edit page, and every role on the create page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careloop.clients.models import Client
from careloop.clients.services import client_assign, client_change_status, consent_record

pytestmark = pytest.mark.django_db

EDIT_MATRIX = {
    "nurse": (200, 404, 404),  # contact details only
    "lead": (200, 404, 404),
    "nurse_b": (404, 200, 404),
    "doctor": (403, 404, 404),  # in scope through the family-doctor link, but may not edit
    "expert": (403, 403, 404),
    "service": (200, 200, 404),
    "clerk": (200, 200, 404),
    "inspector": (403, 403, 404),
    "nutritionist": (403, 403, 404),
    "admin": (200, 200, 200),
    "nurse2": (404, 404, 200),
    "auditor": (403, 403, 403),
    "manager": (403, 403, 403),
    "outsider": (403, 403, 403),
}
CREATORS = {"lead", "service", "clerk", "admin"}


@pytest.mark.parametrize("persona", sorted(EDIT_MATRIX))
def test_edit_page_for_each_persona(world, web, persona):
    browser = web(getattr(world, persona))
    got = tuple(browser.get(reverse("clients:edit", args=[c.pk])).status_code
                for c in (world.own, world.other_team, world.other_branch))
    assert got == EDIT_MATRIX[persona]


@pytest.mark.parametrize("persona", sorted(EDIT_MATRIX))
def test_create_page_for_each_persona(world, web, persona):
    response = web(getattr(world, persona)).get(reverse("clients:create"))
    assert response.status_code == (200 if persona in CREATORS else 403)


@pytest.mark.parametrize("persona", ["lead", "service"])
def test_create_in_another_branch_is_refused(world, web, persona):
    data = {"name": "钱七", "sex": "male", "birth_date": "1980-01-01", "tier": "C", "branch": str(world.sh.pk)}
    response = web(getattr(world, persona)).post(reverse("clients:create"), data)
    assert response.status_code == 400
    assert not Client.objects.filter(name="钱七").exists()


def test_client_page_query_count_does_not_grow_with_history(world, web):
    browser = web(world.lead)
    url = reverse("clients:detail", args=[world.own.pk])

    def count() -> int:
        browser.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert browser.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(4):
        client_assign(acting_user=world.lead, client=world.own, kind="family_doctor",
                      staff=world.doctor if n % 2 else None, reason=f"第{n}次")
        client_change_status(acting_user=world.admin, client=world.own, status="lost" if n % 2 else "active",
                             reason=f"原因{n}")
        consent_record(acting_user=world.lead, client=world.own, purpose="reminders", granted=bool(n % 2))
    assert count() == few
