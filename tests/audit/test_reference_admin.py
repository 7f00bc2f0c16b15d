"""The admin screens of rules, questionnaires and mappings write through services and leave an audit row."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from careloop.assessments.models import PrescriptionRule
from careloop.audit.changes import reference_delete, reference_save
from careloop.audit.models import AuditEvent
from careloop.checkups.models import ColumnMapping, GradingRule

pytestmark = pytest.mark.django_db


def test_grading_rule_saved_in_the_admin_is_audited(client, world):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(world.admin)
    response = client.post(reverse("admin:checkups_gradingrule_add"), {
        "item_code": "GLU", "severity": "minor", "low": "7.0", "low_inclusive": "on", "high": "",
        "sex": "", "age_min": "", "age_max": "", "finding": "血糖偏高", "source": "", "active": "on"})
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = GradingRule.objects.get(item_code="GLU", finding="血糖偏高")
    event = AuditEvent.objects.get(action="grading_rule.save", object_id=str(rule.pk))
    assert event.actor_id == world.admin.pk
    assert event.detail["after"]["low"] == 7.0
    assert "item_code" in event.detail["fields"]


def test_a_role_without_the_rule_right_changes_nothing(world):
    rule = GradingRule.objects.create(item_code="TC", severity="minor", low=5.2)
    rule.low = 1.0
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        reference_save(obj=rule, fields=["low"], action="grading_rule.save", acting_user=world.nurse)
    with pytest.raises(PermissionDenied):
        reference_delete(obj=rule, action="grading_rule.delete", acting_user=world.nurse)
    rule.refresh_from_db()
    assert rule.low == 5.2
    assert AuditEvent.objects.count() == before


def test_prescription_rule_change_records_before_and_after(world):
    rule = PrescriptionRule.objects.order_by("pk").first() or pytest.skip("no shipped prescription rules")
    old = rule.order
    rule.order = old + 1
    reference_save(obj=rule, fields=["order"], action="prescription_rule.save", acting_user=world.admin)
    event = AuditEvent.objects.get(action="prescription_rule.save", object_id=str(rule.pk))
    assert event.detail == {"fields": ["order"], "before": {"order": old}, "after": {"order": old + 1}}


def test_column_mapping_admin_uses_the_mapping_service(client, world):
    world.admin.is_staff = world.admin.is_superuser = True
    world.admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(world.admin)
    response = client.post(reverse("admin:checkups_columnmapping_add"), {
        "institution": "某医院", "mapping": '{"id_number": "身份证号", "name": "姓名"}', "strict": "on"})
    assert response.status_code in (200, 302)
    if response.status_code == 200:  # the service refused an incomplete mapping: nothing written
        assert not ColumnMapping.objects.filter(institution="某医院").exists()
