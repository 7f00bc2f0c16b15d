"""Personas: the permission model as people (STYLE.md §4)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from careloop.org.models import Role, UnitKind
from tests.factories import PASSWORD, make_client, make_team, make_unit, make_user


@pytest.fixture(autouse=True)
def long_history_grace(settings):
    """Most tests plan encounters on fixed dates in late 2026 whatever today is (and CI runs the suite a year
    ahead too): no occurrence is skipped as historical for them. Tests of the grace period (FU history,
    tests/followups/test_owners_and_lifecycle.py) set their own value and freeze time."""
    settings.CARELOOP_FU_HISTORY_GRACE_DAYS = 3650


# The data migrations that ship defaults (rules, templates, plans, questionnaires, …), in migration order.
SHIPPED_DEFAULTS = [
    ("careloop.assessments.migrations.0002_default_data", "forwards"),
    ("careloop.checkups.migrations.0002_default_data", "load"),
    ("careloop.followups.migrations.0002_default_rules", "load_defaults"),
    ("careloop.messaging.migrations.0002_default_templates", "load"),
    ("careloop.messaging.migrations.0007_health_reminder", "load"),
    ("careloop.followups.migrations.0006_reminder_rule_message", "forwards"),
    ("careloop.followups.migrations.0008_health_advice_series", "forwards"),
    ("careloop.messaging.migrations.0004_plan_change_notice_templates", "load"),
    ("careloop.plans.migrations.0002_default_catalogue", "load"),
    ("careloop.crm.migrations.0003_defaults", "forwards"),
    ("careloop.crm.migrations.0005_offer_defaults", "forwards"),
    ("careloop.messaging.migrations.0009_event_invitation", "load"),
    ("careloop.chronic.migrations.0002_guideline_defaults", "load"),
    ("careloop.chronic.migrations.0006_diet_templates", "load"),
    ("careloop.fhir.migrations.0002_loinc_defaults", "load"),
    ("careloop.quality.migrations.0002_defaults", "load"),
    ("careloop.quality.migrations.0004_training_defaults", "load"),
    ("careloop.quality.migrations.0006_agreement_default", "load"),
    ("careloop.servicedesk.migrations.0002_move_tickets", "load_defaults"),
    ("careloop.stats.migrations.0002_default_kpi_targets", "forwards"),
]


@pytest.fixture(autouse=True)
def shipped_defaults_after_flush(request):
    """A transactional test ends by flushing every table, shipped defaults included, and the next
    transactional test would start without them (and pass or fail by test order). Load them again,
    as the migrations do, when a flush has removed them."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return
    request.getfixturevalue("transactional_db")
    import importlib

    from django.apps import apps

    from careloop.followups.models import FollowupRule

    if FollowupRule.objects.exists():
        return
    for module, function in SHIPPED_DEFAULTS:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture
def world(db):
    """HQ → 北京分公司 (with a site) and 上海分公司; one person per role; clients in three positions."""
    hq = make_unit("总公司", UnitKind.HQ, code="hq")
    bj = make_unit("北京分公司", UnitKind.BRANCH, parent=hq, code="bj")
    bj_site = make_unit("北京朝阳体检中心", UnitKind.SITE, parent=bj, code="bj-cy")
    sh = make_unit("上海分公司", UnitKind.BRANCH, parent=hq, code="sh")
    w = SimpleNamespace(hq=hq, bj=bj, bj_site=bj_site, sh=sh)
    w.admin = make_user("admin", roles=[Role.ADMIN], unit=hq)
    w.nurse = make_user("nurse", roles=[Role.FOLLOWUP], unit=bj)
    w.lead = make_user("lead", roles=[Role.LEAD], unit=bj)
    w.nurse_b = make_user("nurse_b", roles=[Role.FOLLOWUP], unit=bj)
    w.expert = make_user("expert", roles=[Role.EXPERT], unit=bj)
    w.service = make_user("service", roles=[Role.SERVICE], unit=bj)
    w.clerk = make_user("clerk", roles=[Role.CLERK], unit=bj)
    w.doctor = make_user("doctor", roles=[Role.DOCTOR], unit=bj)
    w.nutritionist = make_user("nutritionist", roles=[Role.NUTRITIONIST], unit=bj)
    w.inspector = make_user("inspector", roles=[Role.INSPECTOR], unit=bj)
    w.auditor = make_user("auditor", roles=[Role.AUDITOR], unit=hq)
    w.manager = make_user("manager", roles=[Role.MANAGER], unit=hq)
    w.nurse2 = make_user("nurse2", roles=[Role.FOLLOWUP], unit=sh)
    w.outsider = make_user("outsider", roles=[], unit=bj)
    w.team_a = make_team("北京随访一组", bj, lead=w.lead, members=[w.nurse])
    w.team_b = make_team("北京随访二组", bj, members=[w.nurse_b])
    w.team_sh = make_team("上海随访组", sh, members=[w.nurse2])
    w.own = make_client(branch=bj_site, name="王芳", health_manager=w.nurse, family_doctor=w.doctor, phone="13812341234")
    w.other_team = make_client(branch=bj, name="李强", sex="male", health_manager=w.nurse_b)
    w.other_branch = make_client(branch=sh, name="张伟", sex="male", health_manager=w.nurse2)
    return w


@pytest.fixture
def api():
    def _client(user=None, lang: str = "zh-hans") -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE=lang)
        if user is not None:
            client.force_authenticate(user)
        return client

    return _client


@pytest.fixture
def password() -> str:
    return PASSWORD
