"""FHIR R4 resources of a client's record, registered into the ``careloop.clients.fhir`` registry.

Each provider yields plain dicts (FHIR JSON). Health data (results, records, assessments, tasks) is
exported only to callers with ``view_results``; the Patient resource follows ``careloop.clients.fhir``
(identifiers masked unless... never in full: the export carries no reveal reason).

Business apps built later (e.g. ``chronic``: monitoring plan and health plan as CarePlan) register
their own providers with ``careloop.clients.fhir.register("chronic.careplan", provider)`` in their
``AppConfig.ready()``; :func:`careplan` below is the shape to follow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import prefetch_related_objects

from careloop.clients import fhir as registry
from careloop.clients.models import Client
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can

SYSTEM = registry.SYSTEM
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
VITAL_ITEMS = {"SBP", "DBP", "BMI", "WAIST"}


def _dt(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _patient_ref(client: Client) -> dict[str, str]:
    return {"reference": f"Patient/{client.pk}"}


def _may_see_health(user: User) -> bool:
    return user_can(user, Cap.VIEW_RESULTS)


def loinc_table() -> dict[str, Any]:
    from careloop.fhir.models import LoincMapping

    return {m.item_code: m for m in LoincMapping.objects.all()}


def _by(rows: Iterable[Any], *fields: str) -> list[Any]:
    """Rows of a related manager (prefetched for a bulk batch, else read now) in a stable order."""
    return sorted(rows, key=lambda row: tuple(getattr(row, f) for f in fields))


def _prefetch_checkups(clients: list[Client], user: User) -> None:
    from django.db.models import Prefetch

    from careloop.checkups.models import Checkup

    if not _may_see_health(user):
        return
    table = loinc_table()
    prefetch_related_objects(clients, Prefetch("checkups", queryset=Checkup.objects.prefetch_related("items")))
    for client in clients:
        client._fhir_loinc = table  # type: ignore[attr-defined]


def _prefetch_tasks(clients: list[Client], user: User) -> None:
    from careloop.audit.models import AuditEvent

    if not _may_see_health(user):
        return
    prefetch_related_objects(clients, "followup_tasks__attempts")
    history: dict[int, dict[str, list[Any]]] = {client.pk: {} for client in clients}
    for event in _task_events(AuditEvent.objects.filter(client_id__in=list(history))):
        history[event.client_id].setdefault(event.object_id, []).append(event)
    for client in clients:
        client._fhir_task_history = history[client.pk]  # type: ignore[attr-defined]


def _task_events(events: Any) -> Any:
    return (events.filter(object_type="followups.followuptask", action__startswith="task.")
            .order_by("append_id").only("at", "action", "object_id", "actor_name", "client_id"))


# --- checkups: DiagnosticReport + Observation ----------------------------------------------------

def observation(item: Any, checkup: Any, client: Client, loinc: dict[str, Any]) -> dict[str, Any]:
    coding = [{"system": f"{SYSTEM}/checkup-item", "code": item.code, "display": item.name}]
    mapped = loinc.get(item.code)
    if mapped is not None:
        coding.insert(0, {"system": LOINC, "code": mapped.loinc, "display": mapped.display})
    category = "vital-signs" if item.code in VITAL_ITEMS else "laboratory"
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"result-{item.pk}",
        "identifier": [{"system": f"{SYSTEM}/sid/checkup-result", "value": f"{checkup.exam_no}/{item.code}"}],
        "status": "final",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": category}]}],
        "code": {"coding": coding, "text": item.name},
        "subject": _patient_ref(client),
        "effectiveDateTime": checkup.date.isoformat(),
    }
    if item.value_num is not None:
        quantity: dict[str, Any] = {"value": item.value_num}
        if item.unit:
            quantity["unit"] = item.unit
        if mapped is not None and mapped.ucum:
            quantity.update(system=UCUM, code=mapped.ucum)
        resource["valueQuantity"] = quantity
    else:
        resource["valueString"] = item.value_text
    if item.flag:
        resource["interpretation"] = [{"coding": [{"system": INTERPRETATION, "code": item.flag}]}]
    if item.ref_low is not None or item.ref_high is not None or item.reference_range:
        ref: dict[str, Any] = {}
        if item.ref_low is not None:
            ref["low"] = {"value": item.ref_low, **({"unit": item.unit} if item.unit else {})}
        if item.ref_high is not None:
            ref["high"] = {"value": item.ref_high, **({"unit": item.unit} if item.unit else {})}
        if item.reference_range:
            ref["text"] = item.reference_range
        resource["referenceRange"] = [ref]
    if item.finding:
        resource["note"] = [{"text": item.finding}]
    return resource


def _checkups(client: Client, user: User) -> Iterator[dict[str, Any]]:
    if not _may_see_health(user):
        return
    loinc = getattr(client, "_fhir_loinc", None) or loinc_table()
    for checkup in _by(client.checkups.all(), "date", "pk"):  # type: ignore[attr-defined]
        observations = [observation(item, checkup, client, loinc) for item in checkup.items.all()]
        report: dict[str, Any] = {
            "resourceType": "DiagnosticReport",
            "id": f"checkup-{checkup.pk}",
            "identifier": [{"system": f"{SYSTEM}/sid/checkup", "value": checkup.exam_no}],
            "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "LAB"}]}],
            "code": {"coding": [{"system": f"{SYSTEM}/report-kind", "code": "health-checkup"}], "text": "健康体检报告"},
            "subject": _patient_ref(client),
            "effectiveDateTime": checkup.date.isoformat(),
            "result": [{"reference": f"Observation/{o['id']}"} for o in observations],
        }
        if checkup.encounter_id:
            report["encounter"] = {"reference": f"Encounter/encounter-{checkup.encounter_id}"}
        if checkup.results_at:
            report["issued"] = checkup.results_at.isoformat()
        if checkup.institution:
            report["performer"] = [{"display": checkup.institution}]
        if checkup.conclusions:
            report["conclusion"] = checkup.conclusions
        yield report
        yield from observations


# --- follow-ups: Encounter, Task, Questionnaire(Response) ---------------------------------------

def _encounters(client: Client, user: User) -> Iterator[dict[str, Any]]:
    for enc in _by(client.encounters.all(), "date", "pk"):  # type: ignore[attr-defined]
        yield {
            "resourceType": "Encounter",
            "id": f"encounter-{enc.pk}",
            "identifier": [{"system": f"{SYSTEM}/sid/encounter", "value": str(enc.pk)}],
            "status": "cancelled" if enc.status == "cancelled" else "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB",
                      "display": "ambulatory"},
            "type": [{"coding": [{"system": f"{SYSTEM}/encounter-kind", "code": enc.kind}],
                      "text": str(enc.get_kind_display())}],
            "subject": _patient_ref(client),
            "period": {"start": enc.date.isoformat()},
        }


TASK_STATUS = {"pending": "requested", "in_progress": "in-progress", "done": "completed",
               "missed": "failed", "cancelled": "cancelled"}


def _tasks(client: Client, user: User) -> Iterator[dict[str, Any]]:
    if not _may_see_health(user):
        return
    from careloop.audit.models import AuditEvent

    tasks = _by(client.followup_tasks.all(), "due_date", "pk")  # type: ignore[attr-defined]
    history: dict[str, list[Any]] | None = getattr(client, "_fhir_task_history", None)
    if history is None:
        history = {}
        for event in _task_events(AuditEvent.objects.filter(client_id=client.pk)):
            history.setdefault(event.object_id, []).append(event)
    for task in tasks:
        resource: dict[str, Any] = {
            "resourceType": "Task",
            "id": f"task-{task.pk}",
            "identifier": [{"system": f"{SYSTEM}/sid/followup-task", "value": str(task.pk)}],
            "status": TASK_STATUS.get(task.status, "requested"),
            "businessStatus": {"coding": [{"system": f"{SYSTEM}/task-status", "code": task.status}],
                               "text": str(task.get_status_display())},
            "intent": "plan",
            "code": {"coding": [{"system": f"{SYSTEM}/task-kind", "code": "followup"}], "text": "随访"},
            "description": task.reason or task.labels or "随访",
            "for": _patient_ref(client),
            "authoredOn": task.created_at.isoformat(),
            "lastModified": task.updated_at.isoformat(),
            "restriction": {"period": {"start": task.due_date.isoformat(),
                                       **({"end": task.window_end.isoformat()} if task.window_end else {})}},
        }
        if task.encounter_id:
            resource["encounter"] = {"reference": f"Encounter/encounter-{task.encounter_id}"}
        if task.closed_at:
            resource["executionPeriod"] = {"end": task.closed_at.isoformat()}
        # Status history: every audited change of the task, then every call attempt, as dated notes.
        notes = [{"time": e.at.isoformat(), "authorString": e.actor_name or "system", "text": e.action}
                 for e in history.get(str(task.pk), [])]
        notes += [{"time": a.at.isoformat(), "text": f"attempt: {a.outcome}" + (f" — {a.note}" if a.note else "")}
                  for a in task.attempts.all()]
        if notes:
            resource["note"] = notes
        yield resource


FOLLOWUP_ITEM_TYPE = {"text": "text", "string": "string", "bool": "boolean", "boolean": "boolean",
                      "choice": "choice", "int": "integer", "integer": "integer", "number": "decimal",
                      "decimal": "decimal", "date": "date"}


def questionnaire_url(kind: str, code: str) -> str:
    return f"{SYSTEM}/Questionnaire/{kind}-{code}"


def _answer(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueDecimal": value}
    return {"valueString": value if isinstance(value, str) else str(value)}


def _response_items(answers: Any) -> list[dict[str, Any]]:
    items = []
    if isinstance(answers, dict):
        for key, value in answers.items():
            values = value if isinstance(value, list) else [value]
            answer = [_answer(v) for v in values if v not in (None, "")]
            items.append({"linkId": str(key), **({"answer": answer} if answer else {})})
    return items


def _records(client: Client, user: User) -> Iterator[dict[str, Any]]:
    if not _may_see_health(user):
        return
    seen: set[int] = set()
    for record in _by(client.followup_records.all(), "performed_at", "pk"):  # type: ignore[attr-defined]
        q = record.questionnaire
        if q is not None and q.pk not in seen:
            seen.add(q.pk)
            yield {
                "resourceType": "Questionnaire",
                "id": f"followup-questionnaire-{q.pk}",
                "url": questionnaire_url("followup", q.code),
                "name": q.code.replace("-", "_"),
                "title": q.name,
                "status": "active",
                "item": [{"linkId": str(item.get("key")), "text": str(item.get("text") or item.get("key")),
                          "type": FOLLOWUP_ITEM_TYPE.get(str(item.get("type")), "string"),
                          "required": bool(item.get("required"))}
                         for item in (q.questions or []) if isinstance(item, dict) and item.get("key")],
            }
        resource: dict[str, Any] = {
            "resourceType": "QuestionnaireResponse",
            "id": f"followup-record-{record.pk}",
            "identifier": {"system": f"{SYSTEM}/sid/followup-record", "value": str(record.pk)},
            "status": "completed" if record.signed_at else "in-progress",
            "subject": _patient_ref(client),
            "authored": record.performed_at.isoformat(),
            "author": {"display": record.performed_by.get_full_name() or record.performed_by.get_username()},
            "item": _response_items(record.answers),
        }
        if q is not None:
            resource["questionnaire"] = questionnaire_url("followup", q.code)
        extra = [(k, v) for k, v in (("client_words", record.client_words), ("guidance", record.guidance),
                                     ("next_step", record.next_step)) if v]
        resource["item"] += [{"linkId": k, "answer": [{"valueString": v}]} for k, v in extra]
        if not resource["item"]:
            del resource["item"]
        yield resource


def _assessments(client: Client, user: User) -> Iterator[dict[str, Any]]:
    if not _may_see_health(user):
        return
    seen: set[int] = set()
    for response in _by(client.questionnaire_responses.all(), "answered_on", "pk"):  # type: ignore[attr-defined]
        q = response.questionnaire
        url = questionnaire_url("assessment", f"{q.code}-{q.version}")
        if q.pk not in seen:
            seen.add(q.pk)
            yield {
                "resourceType": "Questionnaire",
                "id": f"assessment-questionnaire-{q.pk}",
                "url": url,
                "version": q.version,
                "title": q.name,
                "status": "active" if q.is_active else "retired",
            }
        resource: dict[str, Any] = {
            "resourceType": "QuestionnaireResponse",
            "id": f"assessment-response-{response.pk}",
            "questionnaire": url,
            "status": "completed",
            "subject": _patient_ref(client),
            "authored": response.answered_on.isoformat(),
        }
        items = _response_items(response.answers)
        if items:
            resource["item"] = items
        yield resource


# --- messaging: Communication ----------------------------------------------------------------------

COMM_STATUS = {"queued": "preparation", "sending": "in-progress", "sent": "completed", "delivered": "completed",
               "failed": "in-progress", "unknown": "unknown", "dead": "not-done", "cancelled": "stopped"}


def _communications(client: Client, user: User) -> Iterator[dict[str, Any]]:
    for msg in _by(client.messages.all(), "created_at", "pk"):  # type: ignore[attr-defined]
        resource: dict[str, Any] = {
            "resourceType": "Communication",
            "id": f"message-{msg.pk}",
            "identifier": [{"system": f"{SYSTEM}/sid/message", "value": str(msg.pk)}],
            "status": COMM_STATUS.get(msg.status, "unknown"),
            "category": [{"coding": [{"system": f"{SYSTEM}/message-purpose", "code": msg.purpose}]}],
            "medium": [{"coding": [{"system": f"{SYSTEM}/message-channel", "code": msg.channel}]}],
            "subject": _patient_ref(client),
            "recipient": [_patient_ref(client)],
        }
        if msg.sent_at:
            resource["sent"] = msg.sent_at.isoformat()
        if msg.delivered_at:
            resource["received"] = msg.delivered_at.isoformat()
        if _may_see_health(user):
            resource["payload"] = [{"contentString": msg.body}]
        yield resource


# --- plans: CarePlan ---------------------------------------------------------------------------------

CAREPLAN_STATUS = {"active": "active", "ended": "completed", "expired": "completed", "cancelled": "revoked"}


def careplan(client: Client, user: User) -> Iterator[dict[str, Any]]:
    for enrolment in _by(client.plan_enrolments.all(), "start_date", "pk"):  # type: ignore[attr-defined]
        plan = enrolment.version.plan
        yield {
            "resourceType": "CarePlan",
            "id": f"plan-enrolment-{enrolment.pk}",
            "identifier": [{"system": f"{SYSTEM}/sid/plan-enrolment", "value": str(enrolment.pk)}],
            "instantiatesUri": [f"{SYSTEM}/plan/{plan.code}/v{enrolment.version.number}"],
            "status": CAREPLAN_STATUS.get(enrolment.status, "unknown"),
            "intent": "plan",
            "category": [{"coding": [{"system": f"{SYSTEM}/careplan-kind", "code": "health-service-plan"}]}],
            "title": plan.name,
            "subject": _patient_ref(client),
            "period": {"start": enrolment.start_date.isoformat(), "end": enrolment.end_date.isoformat()},
            "created": enrolment.created_at.isoformat(),
        }


# --- crm: Appointment ------------------------------------------------------------------------------

APPOINTMENT_STATUS = {"booked": "booked", "checked_in": "checked-in", "no_show": "noshow", "cancelled": "cancelled"}


def _appointments(client: Client, user: User) -> Iterator[dict[str, Any]]:
    appointments = sorted(client.appointments.all(), key=lambda a: (a.slot.start, a.pk))  # type: ignore[attr-defined]
    for appt in appointments:
        resource: dict[str, Any] = {
            "resourceType": "Appointment",
            "id": f"appointment-{appt.pk}",
            "identifier": [{"system": f"{SYSTEM}/sid/appointment", "value": str(appt.pk)}],
            "status": APPOINTMENT_STATUS.get(appt.status, "booked"),
            "serviceType": [{"coding": [{"system": f"{SYSTEM}/appointment-service", "code": appt.slot.service.code}],
                             "text": appt.slot.service.name}],
            "start": appt.slot.start.isoformat(),
            "created": appt.booked_at.isoformat(),
            "participant": [{"actor": _patient_ref(client), "status": "accepted"}],
        }
        if appt.status == "cancelled" and appt.status_reason:
            resource["cancelationReason"] = {"text": appt.status_reason}
        if appt.notes:
            resource["comment"] = appt.notes
        yield resource


PROVIDERS: dict[str, registry.ResourceProvider] = {
    "followups.encounter": _encounters,
    "checkups.report": _checkups,
    "plans.careplan": careplan,
    "followups.task": _tasks,
    "followups.record": _records,
    "assessments.response": _assessments,
    "messaging.communication": _communications,
    "crm.appointment": _appointments,
}


def _prefetches() -> dict[str, Any]:
    """What each provider reads per client, read once per batch by the bulk export."""
    from django.db.models import Prefetch

    from careloop.assessments.models import QuestionnaireResponse
    from careloop.crm.models import Appointment
    from careloop.followups.models import FollowupRecord
    from careloop.plans.models import Enrolment

    return {
        "followups.encounter": ["encounters"],
        "checkups.report": _prefetch_checkups,
        "plans.careplan": [Prefetch("plan_enrolments", queryset=Enrolment.objects.select_related("version__plan"))],
        "followups.task": _prefetch_tasks,
        "followups.record": [Prefetch("followup_records", queryset=FollowupRecord.objects.select_related(
            "questionnaire", "performed_by"))],
        "assessments.response": [Prefetch("questionnaire_responses",
                                          queryset=QuestionnaireResponse.objects.select_related("questionnaire"))],
        "messaging.communication": ["messages"],
        "crm.appointment": [Prefetch("appointments", queryset=Appointment.objects.select_related("slot__service"))],
    }


def register_all() -> None:
    prefetches = _prefetches()
    for name, provider in PROVIDERS.items():
        registry.register(name, provider, prefetch=prefetches[name])


def resources_for(client: Client, user: User) -> Iterable[dict[str, Any]]:
    return [entry["resource"] for entry in registry.bundle_for(client, user)["entry"]]
