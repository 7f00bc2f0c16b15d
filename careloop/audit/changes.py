"""Audited writes of reference data (rules, questionnaires, mappings) edited on the admin screens.

An app's admin class derives from ``AuditedReferenceAdmin`` and names its audit action
(``audit_name = "grading_rule"``): every save and delete is then one transaction, the permission checked
here, the model validated, and an audit row with the fields before and after.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can

M = TypeVar("M", bound=models.Model)


def _require(user: User, cap: Cap) -> None:
    if not user_can(user, cap):
        raise PermissionDenied(_("Your role does not allow this."))


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if isinstance(v, str | int | float | bool | type(None) | list | dict) else str(v))
            for k, v in values.items()}


@transaction.atomic
def reference_save(*, obj: M, fields: Iterable[str], action: str, acting_user: User,
                   cap: Cap = Cap.MANAGE_RULES) -> M:
    """Validate and save ``obj``; the audit row names the changed ``fields`` with their old and new values."""
    _require(acting_user, cap)
    changed = sorted(fields)
    before: dict[str, Any] = {}
    if obj.pk is not None:
        old = type(obj)._default_manager.filter(pk=obj.pk).first()
        if old is not None:
            before = _plain(model_to_dict(old, fields=changed))
    obj.full_clean()
    obj.save()
    after = _plain(model_to_dict(obj, fields=changed))
    audit_record(actor=acting_user, action=action, obj=obj, detail={"fields": changed, "before": before, "after": after})
    return obj


@transaction.atomic
def reference_delete(*, obj: models.Model, action: str, acting_user: User, cap: Cap = Cap.MANAGE_RULES) -> None:
    _require(acting_user, cap)
    label, pk, text = obj._meta.label_lower, str(obj.pk), str(obj)
    obj.delete()
    audit_record(actor=acting_user, action=action, object_type=label, object_id=pk, detail={"was": text})


class AuditedReferenceAdmin(admin.ModelAdmin):
    """A model admin whose saves and deletes go through ``reference_save`` / ``reference_delete``:
    permission checked, validated, audited as ``<audit_name>.save`` / ``<audit_name>.delete``."""

    audit_name = ""
    audit_cap: Cap = Cap.MANAGE_RULES

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        reference_save(obj=obj, fields=form.changed_data, action=f"{self.audit_name}.save",
                       acting_user=request.user, cap=self.audit_cap)

    def delete_model(self, request: Any, obj: Any) -> None:
        reference_delete(obj=obj, action=f"{self.audit_name}.delete", acting_user=request.user, cap=self.audit_cap)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)
