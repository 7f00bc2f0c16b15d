"""Demo data spanning chronic, assessments and plans, loaded after every app's extension (the partner hospitals
come from the plans demo, which runs after chronic's): ASM-1 answers that make a few clients screening candidates
for the chronic programme, and referrals of poorly controlled clients to partner-hospital departments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from careloop.assessments.services import questionnaire_response_record
from careloop.chronic.models import MonitoringPlan, Reading
from careloop.chronic.services import referral_create
from careloop.clients.models import Client
from careloop.core.demo import Output
from careloop.plans.selectors import partner_hospitals

# Answers of the ASM-1 questionnaire: the first five flag a condition (screening candidates), the rest do not.
ANSWERS: list[dict[str, Any]] = [
    {"on_bp_treatment": True, "diabetes": False, "family_history_diabetes": False, "smoking": "current"},
    {"on_bp_treatment": False, "diabetes": True, "family_history_diabetes": True, "smoking": "never"},
    {"on_bp_treatment": False, "diabetes": False, "family_history_diabetes": True, "smoking": "never"},
    {"on_bp_treatment": True, "diabetes": False, "family_history_diabetes": True, "smoking": "former"},
    {"on_bp_treatment": True, "diabetes": False, "family_history_diabetes": False, "smoking": "never"},
    {"on_bp_treatment": False, "diabetes": False, "family_history_diabetes": False, "smoking": "never"},
    {"on_bp_treatment": False, "diabetes": False, "family_history_diabetes": False, "smoking": "current"},
]


def load_chronic_extras(clients: list[Client], stdout: Output) -> None:
    answered = _screening_answers(clients)
    referred = _referrals(clients)
    stdout.write(f"chronic screening: {answered} questionnaires ({min(answered, 5)} flag a condition); "
                 f"{referred} referrals to partner hospitals\n")


def _screening_answers(clients: list[Client]) -> int:
    monitored = set(MonitoringPlan.objects.values_list("client_id", flat=True))
    pool = [c for c in clients if c.status == "active" and not c.is_vip and c.pk not in monitored]
    made = 0
    today = timezone.localdate()
    for client in pool:
        if made == len(ANSWERS):
            break
        manager = client.health_manager
        if manager is None:
            continue
        try:
            questionnaire_response_record(client=client, answers=ANSWERS[made], acting_user=manager,
                                          answered_on=today - dt.timedelta(days=7 + made * 5))
        except (PermissionDenied, ValidationError):  # no health-data consent, or not in the manager's scope
            continue
        made += 1
    return made


SPECIALTY = {"hypertension": "高血压", "diabetes": "糖尿病", "obesity": "肥胖"}


def _referrals(clients: list[Client]) -> int:
    """The first three clients with an alarming reading, each to a partner department for their condition."""
    ids = {c.pk for c in clients}
    poor = list(Reading.objects.filter(client_id__in=ids, flag__startswith="alarm").values_list(
        "client_id", flat=True).distinct().order_by("client_id")[:3])
    made = 0
    for client in Client.objects.filter(pk__in=poor).select_related("branch", "health_manager"):
        plan = MonitoringPlan.objects.filter(client=client, active=True).first()
        if plan is None or client.health_manager is None:
            continue
        hospitals = partner_hospitals(branch=client.branch, specialty=SPECIALTY.get(plan.condition, ""))
        if not hospitals:
            continue
        hospital = hospitals[made % len(hospitals)]
        department = hospital.departments[0]
        session = department.clinic_times[0] if department.clinic_times else None
        when = f"每周{'一二三四五六日'[session.weekday - 1]} {session.start:%H:%M}" if session else ""
        try:
            referral_create(client=client, hospital=hospital.id, department=department.id,
                            expert=session.doctor_name if session else "", clinic_time=when,
                            reason=f"近期{plan.get_condition_display()}监测读数超过预警阈值，请专科医生调整治疗方案",
                            acting_user=client.health_manager)
        except (PermissionDenied, ValidationError):
            continue
        made += 1
    return made
