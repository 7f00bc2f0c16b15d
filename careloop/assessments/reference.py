"""Writes of the assessment reference data edited in the admin: questionnaires and prescription rules."""

from __future__ import annotations

from collections.abc import Iterable

from careloop.assessments.models import PrescriptionRule, Questionnaire
from careloop.audit.changes import reference_delete, reference_save
from careloop.org.models import User


def questionnaire_save(*, questionnaire: Questionnaire, fields: Iterable[str], acting_user: User) -> Questionnaire:
    return reference_save(obj=questionnaire, fields=fields, action="questionnaire.save", acting_user=acting_user)


def questionnaire_delete(*, questionnaire: Questionnaire, acting_user: User) -> None:
    reference_delete(obj=questionnaire, action="questionnaire.delete", acting_user=acting_user)


def prescription_rule_save(*, rule: PrescriptionRule, fields: Iterable[str], acting_user: User) -> PrescriptionRule:
    return reference_save(obj=rule, fields=fields, action="prescription_rule.save", acting_user=acting_user)


def prescription_rule_delete(*, rule: PrescriptionRule, acting_user: User) -> None:
    reference_delete(obj=rule, action="prescription_rule.delete", acting_user=acting_user)
