"""Writes for assessments. Each service is atomic and writes its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.clients.models import Client, ConsentPurpose
from careloop.clients.selectors import clients_visible_to
from careloop.clients.services import consent_current
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can

from .documents import assessment_document
from .engine import InputError, normalize_inputs, tcm
from .engine.common import load_data
from .engine.report import validate_questionnaire_answers
from .models import (
    Assessment,
    AssessmentBatch,
    AssessmentStatus,
    ChildTcmGuidance,
    ConstitutionRecord,
    InputEntry,
    QuestionnaireResponse,
)
from .selectors import (
    HEALTH_QUESTIONNAIRE,
    TCM_QUESTIONNAIRE,
    active_questionnaire,
    age_on,
    client_inputs,
    prescription_rules,
)

TCM_AGE_FROM = 65
TCM_RECORD_VALID_DAYS = 365


def _require(user: User | None, client: Client, cap: Cap) -> None:
    """Staff must hold ``cap`` and have the client in scope; None is a system job (no user)."""
    if user is None:
        return
    if not user_can(user, cap):
        raise PermissionDenied(_("Your role does not allow this."))
    if not clients_visible_to(user).filter(pk=client.pk).exists():
        raise PermissionDenied(_("This client is outside your scope."))


def _require_consent(client: Client) -> None:
    """SEC-4: health data is processed only with the client's current health_data consent
    (setting CARELOOP_ASSESSMENT_REQUIRES_CONSENT, default True)."""
    if not settings.CARELOOP_ASSESSMENT_REQUIRES_CONSENT:
        return
    if not consent_current(client, ConsentPurpose.HEALTH_DATA):
        raise ValidationError({"client": _("The client has not consented to the processing of health data.")})


def _input_errors(exc: InputError) -> ValidationError:
    return ValidationError({k: [v] for k, v in exc.errors.items()})


# ---- inputs ----------------------------------------------------------------------------------


@transaction.atomic
def questionnaire_response_record(
    *, client: Client, answers: dict[str, Any], acting_user: User, answered_on: dt.date | None = None
) -> QuestionnaireResponse:
    _require(acting_user, client, Cap.VIEW_RESULTS)
    _require_consent(client)
    questionnaire = active_questionnaire(HEALTH_QUESTIONNAIRE)
    errors = validate_questionnaire_answers(questionnaire.definition, answers)
    if errors:
        raise ValidationError({f"answers.{k}": [v] for k, v in errors.items()})
    response = QuestionnaireResponse.objects.create(
        client=client,
        questionnaire=questionnaire,
        answers=answers,
        answered_on=answered_on or timezone.localdate(),
        entered_by=acting_user,
    )
    audit_record(
        actor=acting_user,
        action="assessment.questionnaire",
        obj=response,
        client=client,
        detail={
            "questionnaire": questionnaire.code,
            "version": questionnaire.version,
            "answered": len(answers),
        },
    )
    return response


@transaction.atomic
def input_entry_record(
    *, client: Client, values: dict[str, Any], acting_user: User, measured_on: dt.date | None = None
) -> InputEntry:
    """Assessment inputs entered by hand (e.g. measured at the desk); validated like the API's inputs."""
    _require(acting_user, client, Cap.VIEW_RESULTS)
    _require_consent(client)
    try:
        clean = normalize_inputs(values)
    except InputError as exc:
        raise _input_errors(exc) from None
    given = {k: clean[k] for k in values if clean.get(k) is not None}
    if not given:
        raise ValidationError({"values": [_("Enter at least one value.")]})
    entry = InputEntry.objects.create(
        client=client, values=given, measured_on=measured_on or timezone.localdate(), entered_by=acting_user
    )
    audit_record(
        actor=acting_user,
        action="assessment.inputs",
        obj=entry,
        client=client,
        detail={"fields": sorted(given)},
    )
    return entry


# ---- the assessment --------------------------------------------------------------------------


def _latest_constitution(client: Client, today: dt.date) -> ConstitutionRecord | None:
    since = today - dt.timedelta(days=TCM_RECORD_VALID_DAYS)
    return (
        ConstitutionRecord.objects.filter(client=client, recorded_on__gte=since)
        .order_by("-recorded_on", "-pk")
        .first()
    )


@transaction.atomic
def assessment_run_for_client(
    *, client: Client, acting_user: User | None, today: dt.date | None = None
) -> Assessment:
    """Assess a client from the latest questionnaire, entered values and checkup results.

    Used by the API, the pages, the batch job and the yearly follow-up rule. ``acting_user`` None
    means a system job. Raises ValidationError when the client has not consented to health data.
    """
    _require(acting_user, client, Cap.VIEW_RESULTS)
    _require_consent(client)
    today = today or timezone.localdate()
    bundle = client_inputs(client, today=today)
    try:
        inputs = normalize_inputs(bundle.inputs)
    except InputError as exc:
        raise _input_errors(exc) from None
    constitution = (
        _latest_constitution(client, today) if inputs["age"] and inputs["age"] >= TCM_AGE_FROM else None
    )
    doc = assessment_document(
        inputs=inputs,
        provenance=bundle.provenance,
        lifestyle=bundle.lifestyle,
        rules=prescription_rules(),
        tcm_answers=constitution.answers if constitution else None,
    )
    result = dict(doc["result"], sources_absent=bundle.sources_absent)
    assessment = Assessment.objects.create(
        client=client,
        inputs={k: v for k, v in inputs.items() if v is not None},
        provenance=bundle.provenance,
        lifestyle=bundle.lifestyle,
        result=result,
        sections=doc["sections"],
        prescription=doc["prescription"],
        tcm=doc.get("tcm"),
        questionnaire_response=bundle.response,
        created_by=acting_user,
    )
    audit_record(
        actor=acting_user,
        action="assessment.run",
        obj=assessment,
        client=client,
        detail={
            "models": {m["code"]: m["category"] for m in result["models"]},
            "sources_absent": bundle.sources_absent,
        },
    )
    return assessment


def _editable(assessment: Assessment, acting_user: User) -> None:
    _require(acting_user, assessment.client, Cap.CONSULT)
    if assessment.status != AssessmentStatus.DRAFT:
        raise ValidationError({"status": [_("An issued report can no longer be changed.")]})


@transaction.atomic
def assessment_update_prescription(
    *, assessment: Assessment, items: list[dict[str, Any]], acting_user: User
) -> Assessment:
    """The expert edits the prescription before the report is issued."""
    assessment = Assessment.objects.select_for_update().select_related("client").get(pk=assessment.pk)
    _editable(assessment, acting_user)
    clean = []
    for index, item in enumerate(items):
        text = str(item.get("text", "")).strip() if isinstance(item, dict) else ""
        if not text:
            raise ValidationError({f"items.{index}.text": [_("Advice text is required.")]})
        if len(text) > 1000:
            raise ValidationError({f"items.{index}.text": [_("At most 1000 characters.")]})
        clean.append(
            {
                "code": str(item.get("code") or "expert"),
                "category": str(item.get("category") or "other"),
                "text": text,
                "because": list(item.get("because") or []),
            }
        )
    before = assessment.prescription
    assessment.prescription = clean
    assessment.save(update_fields=["prescription"])
    audit_record(
        actor=acting_user,
        action="assessment.prescription",
        obj=assessment,
        client=assessment.client,
        detail={"before": [i["code"] for i in before], "after": [i["code"] for i in clean]},
    )
    return assessment


def _signed_payload(assessment: Assessment) -> bytes:
    body = {
        "id": assessment.pk,
        "client": assessment.client_id,
        "inputs": assessment.inputs,
        "provenance": assessment.provenance,
        "result": assessment.result,
        "prescription": assessment.prescription,
        "tcm": assessment.tcm,
        "issued_by": assessment.issued_by_id,
        "issued_at": assessment.issued_at.isoformat() if assessment.issued_at else None,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, default=str).encode()


def assessment_signature(assessment: Assessment) -> str:
    key = settings.CARELOOP_REPORT_SIGNING_KEY
    return hmac.new(str(key).encode(), _signed_payload(assessment), hashlib.sha256).hexdigest()


def assessment_signature_valid(assessment: Assessment) -> bool:
    return bool(assessment.signature) and hmac.compare_digest(
        assessment.signature, assessment_signature(assessment)
    )


@transaction.atomic
def assessment_issue(*, assessment: Assessment, acting_user: User) -> Assessment:
    """Issue the report: signed by the expert (HMAC over its content) and audited; then frozen."""
    assessment = Assessment.objects.select_for_update().select_related("client").get(pk=assessment.pk)
    _editable(assessment, acting_user)
    assessment.status = AssessmentStatus.ISSUED
    assessment.issued_by = acting_user
    assessment.issued_at = timezone.now()
    assessment.signature = assessment_signature(assessment)
    assessment.save(update_fields=["status", "issued_by", "issued_at", "signature"])
    audit_record(
        actor=acting_user,
        action="assessment.issue",
        obj=assessment,
        client=assessment.client,
        detail={"signature": assessment.signature},
    )
    for hook in ISSUED_HOOKS:
        hook(assessment, acting_user)
    return assessment


# Called inside assessment_issue's transaction with (assessment, acting_user); plans registers one that
# draws the assessment on the client's plan entitlement.
ISSUED_HOOKS: list[Any] = []


# ---- TCM -------------------------------------------------------------------------------------


@transaction.atomic
def constitution_record_create(
    *,
    client: Client,
    answers: Any,
    acting_user: User,
    recorded_on: dt.date | None = None,
    guidance_given: list[str] | None = None,
) -> ConstitutionRecord:
    """Record an elderly TCM constitution identification (ASM-4; clients aged 65 and over).
    ``answers`` is validated here (33 whole numbers 1-5)."""
    _require(acting_user, client, Cap.VIEW_RESULTS)
    _require_consent(client)
    recorded_on = recorded_on or timezone.localdate()
    if age_on(client.birth_date, recorded_on) < TCM_AGE_FROM:
        raise ValidationError(
            {"client": [_("The elderly constitution form is for clients aged 65 and over.")]}
        )
    try:
        result = tcm.identify(answers)
    except tcm.AnswersError as exc:
        raise ValidationError({"answers": [str(exc)]}) from None
    sections = [s["code"] for s in load_data("tcm_guidance")["types"]["pinghe"]["sections"]]
    given = guidance_given if guidance_given is not None else sections
    unknown = [g for g in given if g not in sections]
    if unknown:
        raise ValidationError(
            {"guidance_given": [_("Unknown guidance section: %(s)s") % {"s": ", ".join(unknown)}]}
        )
    record = ConstitutionRecord.objects.create(
        client=client,
        questionnaire=active_questionnaire(TCM_QUESTIONNAIRE),
        answers=answers,
        result=result.as_dict(),
        primary=result.primary or "",
        needs_recheck=result.needs_recheck,
        guidance_given=given,
        recorded_by=acting_user,
        recorded_on=recorded_on,
    )
    audit_record(
        actor=acting_user,
        action="assessment.tcm",
        obj=record,
        client=client,
        detail={"primary": result.primary, "needs_recheck": result.needs_recheck},
    )
    return record


@transaction.atomic
def child_tcm_guidance_record(
    *,
    client: Client,
    age_months: int,
    acting_user: User,
    massage: list[str] | None = None,
    diet: bool = True,
    routine: bool = True,
    notes: str = "",
    given_on: dt.date | None = None,
) -> ChildTcmGuidance:
    """Record the children's TCM guidance given at a 6-36-month visit."""
    _require(acting_user, client, Cap.VIEW_RESULTS)
    data = load_data("tcm_children")
    if age_months not in data["visits_months"]:
        raise ValidationError({"age_months": [_("Must be one of 6, 12, 18, 24, 30, 36.")]})
    stage = next(s for s in data["by_age"] if age_months in s["months"])
    allowed = [m["code"] for m in stage["massage"]]
    massage = allowed if massage is None else massage
    wrong = [m for m in massage if m not in allowed]
    if wrong:
        raise ValidationError(
            {
                "massage": [
                    _("Not taught at this age: %(m)s (allowed: %(a)s)")
                    % {"m": ", ".join(wrong), "a": ", ".join(allowed)}
                ]
            }
        )
    if ChildTcmGuidance.objects.filter(client=client, age_months=age_months).exists():
        raise ValidationError({"age_months": [_("Guidance for this age has already been recorded.")]})
    record = ChildTcmGuidance.objects.create(
        client=client,
        age_months=age_months,
        diet=diet,
        routine=routine,
        massage=massage,
        notes=notes,
        given_by=acting_user,
        given_on=given_on or timezone.localdate(),
    )
    audit_record(
        actor=acting_user,
        action="assessment.child_tcm",
        obj=record,
        client=client,
        detail={"age_months": age_months, "massage": massage},
    )
    return record


# ---- batches ---------------------------------------------------------------------------------


@transaction.atomic
def assessment_batch_start(*, client_ids: list[int], acting_user: User) -> AssessmentBatch:
    """Run assessments for a list of clients in the background; progress on the batch row."""
    if not user_can(acting_user, Cap.VIEW_RESULTS):
        raise PermissionDenied(_("Your role does not allow this."))
    ids = list(dict.fromkeys(int(i) for i in client_ids))
    if not ids:
        raise ValidationError({"clients": [_("Choose at least one client.")]})
    visible = set(clients_visible_to(acting_user).filter(pk__in=ids).values_list("pk", flat=True))
    outside = [i for i in ids if i not in visible]
    if outside:
        raise ValidationError(
            {"clients": [_("Not in your scope: %(ids)s") % {"ids": ", ".join(map(str, outside))}]}
        )
    batch = AssessmentBatch.objects.create(client_ids=ids, total=len(ids), created_by=acting_user)
    audit_record(actor=acting_user, action="assessment.batch", obj=batch, detail={"clients": len(ids)})

    from .tasks import run_assessment_batch

    transaction.on_commit(lambda: run_assessment_batch(batch.pk))
    return batch
