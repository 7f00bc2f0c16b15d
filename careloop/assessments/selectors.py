"""Reads for assessments: a client's inputs with their provenance, lists, the group report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from careloop.checkups.selectors import latest_results_of
from careloop.clients.models import Client, Enterprise
from careloop.clients.selectors import clients_visible_to
from careloop.org.models import User

from .engine.checkup_items import results_to_inputs
from .engine.inputs import ALL_INPUTS
from .engine.report import questionnaire_answers_to_inputs
from .group import MemberRow, group_report, member_row
from .models import Assessment, InputEntry, PrescriptionRule, Questionnaire, QuestionnaireResponse

HEALTH_QUESTIONNAIRE = "health_standard"
TCM_QUESTIONNAIRE = "tcm_elderly_33"


@dataclass
class ClientInputs:
    inputs: dict[str, Any]
    provenance: dict[str, str]
    lifestyle: list[str] = field(default_factory=list)
    response: QuestionnaireResponse | None = None
    sources_absent: list[str] = field(default_factory=list)


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def active_questionnaire(code: str) -> Questionnaire:
    return Questionnaire.objects.filter(code=code, is_active=True).order_by("-created_at").first() or (
        Questionnaire.objects.filter(code=code).order_by("-created_at").get()
    )


def _user_label(user: User | None) -> str:
    return user.get_username() if user is not None else "?"


def checkup_inputs(client: Client) -> tuple[str, dict[str, Any]] | None:
    """Latest checkup results as assessment inputs, through the checkups app's published reader."""
    found = latest_results_of(client)
    if found is None:
        return None
    day, rows = found
    mapped = results_to_inputs(rows)
    if not mapped.inputs:
        return None
    return f"体检 {day:%Y-%m-%d}", {k: v for k, v in mapped.inputs.items() if k in ALL_INPUTS and v is not None}


def client_inputs(client: Client, *, today: dt.date | None = None) -> ClientInputs:
    """Inputs for the client's assessment and where each came from: client record, the latest
    questionnaire, entered values (latest wins), then the latest checkup results."""
    today = today or timezone.localdate()
    inputs: dict[str, Any] = {"sex": client.sex, "age": age_on(client.birth_date, today)}
    provenance = {"sex": "客户档案", "age": f"客户档案（出生日期 {client.birth_date:%Y-%m-%d}）"}
    bundle = ClientInputs(inputs=inputs, provenance=provenance)

    response = (
        QuestionnaireResponse.objects.filter(client=client, questionnaire__code=HEALTH_QUESTIONNAIRE)
        .select_related("questionnaire", "entered_by")
        .order_by("-answered_on", "-pk")
        .first()
    )
    if response is not None:
        values, lifestyle = questionnaire_answers_to_inputs(
            response.questionnaire.definition, response.answers
        )
        label = f"问卷 {response.answered_on:%Y-%m-%d}（{_user_label(response.entered_by)} 录入）"
        for key, value in values.items():
            if value is not None:
                inputs[key] = value
                provenance[key] = label
        bundle.lifestyle = lifestyle
        bundle.response = response
    else:
        bundle.sources_absent.append("questionnaire")

    entries = (
        InputEntry.objects.filter(client=client).select_related("entered_by").order_by("measured_on", "pk")
    )
    for entry in entries:
        label = f"录入 {entry.measured_on:%Y-%m-%d}（{_user_label(entry.entered_by)}）"
        for key, value in entry.values.items():
            if value is not None:
                inputs[key] = value
                provenance[key] = label

    checkup = checkup_inputs(client)
    if checkup is None:
        bundle.sources_absent.append("checkup")
    else:
        label, values = checkup
        for key, value in values.items():
            inputs[key] = value
            provenance[key] = label
    return bundle


@dataclass(frozen=True)
class HealthAnswers:
    """A client's latest answers to the ASM-1 health questionnaire (published for the chronic screening)."""

    client_id: int
    response_id: int
    answered_on: dt.date
    answers: dict[str, Any]


def latest_health_answers(clients: QuerySet[Client]) -> dict[int, HealthAnswers]:
    """Published read: each of ``clients``' latest ASM-1 questionnaire answers, by client id (one query).
    The caller scopes ``clients``; the answers are health data, so it audits what it shows."""
    latest: dict[int, HealthAnswers] = {}
    rows = (QuestionnaireResponse.objects.filter(client__in=clients, questionnaire__code=HEALTH_QUESTIONNAIRE)
            .order_by("client_id", "-answered_on", "-pk").values_list("client_id", "pk", "answered_on", "answers"))
    for client_id, pk, answered_on, answers in rows:
        if client_id not in latest:
            latest[client_id] = HealthAnswers(client_id, pk, answered_on, dict(answers or {}))
    return latest


def prescription_rules() -> list[dict[str, Any]]:
    return [r.as_rule() for r in PrescriptionRule.objects.filter(is_active=True)]


def assessments_visible_to(user: User) -> QuerySet[Assessment]:
    return Assessment.objects.filter(client__in=clients_visible_to(user)).select_related("client")


def client_assessments(client: Client) -> QuerySet[Assessment]:
    return Assessment.objects.filter(client=client).select_related("created_by", "issued_by")


def enterprise_group_report(enterprise: Enterprise, *, today: dt.date | None = None) -> dict[str, Any]:
    """ASM-5 over each member's latest assessment."""
    today = today or timezone.localdate()
    members = Client.objects.filter(enterprise_memberships__enterprise=enterprise).distinct()
    latest: dict[int, Assessment] = {}
    for assessment in (
        Assessment.objects.filter(client__in=members).select_related("client").order_by("created_at", "pk")
    ):
        latest[assessment.client_id] = assessment
    rows: list[MemberRow] = [
        member_row(
            sex=a.client.sex,
            age=age_on(a.client.birth_date, today),
            sections=a.sections,
            result=a.result,
        )
        for a in latest.values()
    ]
    return group_report(rows, enterprise_name=enterprise.name, as_of=f"{today:%Y-%m-%d}")
