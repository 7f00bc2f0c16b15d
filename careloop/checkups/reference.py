"""Writes of the checkup reference data edited in the admin: grading rules and column mappings."""

from __future__ import annotations

from collections.abc import Iterable

from careloop.audit.changes import reference_delete, reference_save
from careloop.checkups.models import ColumnMapping, GradingRule
from careloop.org.models import User
from careloop.org.permissions import Cap


def grading_rule_save(*, rule: GradingRule, fields: Iterable[str], acting_user: User) -> GradingRule:
    return reference_save(obj=rule, fields=fields, action="grading_rule.save", acting_user=acting_user)


def grading_rule_delete(*, rule: GradingRule, acting_user: User) -> None:
    reference_delete(obj=rule, action="grading_rule.delete", acting_user=acting_user)


def column_mapping_delete(*, mapping: ColumnMapping, acting_user: User) -> None:
    reference_delete(obj=mapping, action="column_mapping.delete", acting_user=acting_user, cap=Cap.IMPORT_RESULTS)
