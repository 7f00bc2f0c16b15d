"""Diet plans by a nutritionist (SPEC PLN-5)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from careloop.chronic.diet import clients_waiting_for_diet_plan, diet_plan_create, menu_days
from careloop.chronic.models import DietPlan, DietTemplate
from careloop.chronic.services import monitoring_plan_create

pytestmark = [pytest.mark.django_db]


def test_templates_shipped_with_a_week_of_menus():
    for t in DietTemplate.objects.all():
        assert len(menu_days(t)) == 7 and t.foods and t.source
    assert DietTemplate.objects.count() == 3


def test_nutritionist_drafts_and_waiting_list(world, client):
    monitoring_plan_create(client=world.own, condition="diabetes", acting_user=world.nurse)
    assert list(clients_waiting_for_diet_plan(world.nutritionist)) == [world.own]
    client.force_login(world.nutritionist)
    r = client.get("/chronic/diet/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200 and "王芳" in r.content.decode()
    r = client.post(f"/chronic/diet/clients/{world.own.pk}/", {"condition": "diabetes"})
    plan = DietPlan.objects.get()
    assert r.status_code == 302 and plan.nutritionist_id == world.nutritionist.pk
    assert list(clients_waiting_for_diet_plan(world.nutritionist)) == []
    r = client.get(f"/chronic/diet/{plan.pk}/?format=pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert client.get(f"/chronic/diet/{plan.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 200


def test_only_nutritionists_write_diet_plans(world, client):
    with pytest.raises(PermissionDenied):
        diet_plan_create(client=world.own, condition="diabetes", acting_user=world.nurse)
    client.force_login(world.nurse)
    assert client.get("/chronic/diet/").status_code == 403
    assert DietPlan.objects.count() == 0
