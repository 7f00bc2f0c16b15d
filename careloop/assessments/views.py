"""Pages: assessments on screen, the TCM form, the group report, batch progress. Thin views."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.audit.services import audit_read, audit_record
from careloop.clients.models import Enterprise
from careloop.clients.selectors import client_for
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import subtree_q

from . import pdf, services
from .api import report_document_for
from .engine import tcm
from .engine.common import load_data
from .models import Assessment, AssessmentBatch
from .selectors import (
    HEALTH_QUESTIONNAIRE,
    active_questionnaire,
    assessments_visible_to,
    enterprise_group_report,
)

RESULT_LABELS = {"yes": "是", "basically": "基本是", "tendency": "倾向是", "no": "否"}


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _assessment(request: HttpRequest, pk: int) -> Assessment:
    assessment = get_object_or_404(
        Assessment.objects.select_related("client", "issued_by", "created_by"), pk=pk
    )
    client_for(_user(request), assessment.client_id, cap=Cap.VIEW_RESULTS)
    return assessment


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{k}: {m}" for k, errs in exc.message_dict.items() for m in errs]
    return list(exc.messages)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if not user_can(_user(request), Cap.VIEW_RESULTS):
        raise PermissionDenied
    recent = assessments_visible_to(_user(request)).order_by("-created_at", "-pk")[:50]
    batches = AssessmentBatch.objects.filter(created_by=_user(request))[:10]
    enterprises = Enterprise.objects.filter(subtree_q(_user(request), field="branch")).order_by("name")[:100]
    return render(
        request,
        "assessments/index.html",
        {"recent": recent, "batches": batches, "enterprises": enterprises},
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    audit_record(actor=_user(request), action="assessment.view", obj=assessment, client=assessment.client)
    labels = load_data("input_labels")
    info = [
        {
            "label": labels.get(i["input"], {}).get("zh", i["input"]),
            "value": labels["_values"].get(
                str(i["value"]).lower() if isinstance(i["value"], bool) else str(i["value"]), i["value"]
            ),
            "unit": labels.get(i["input"], {}).get("unit", ""),
            "source": i["source"],
        }
        for i in assessment.sections["personal_information"]
    ]
    tcm_types = [dict(t, label=RESULT_LABELS[t["result"]]) for t in (assessment.tcm or {}).get("types", [])]
    return render(
        request,
        "assessments/detail.html",
        {
            "a": assessment,
            "info": info,
            "sections": assessment.sections,
            "models": assessment.result["models"],
            "tcm_types": tcm_types,
            "can_edit": user_can(_user(request), Cap.CONSULT) and assessment.status == "draft",
            "signature_valid": services.assessment_signature_valid(assessment)
            if assessment.signature
            else None,
        },
    )


@login_required
def detail_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    audit_record(actor=_user(request), action="assessment.pdf", obj=assessment, client=assessment.client)
    response = HttpResponse(
        pdf.render_assessment_pdf(report_document_for(assessment)), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="assessment-{assessment.pk}.pdf"'
    return response


@login_required
@require_POST
def edit_prescription(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    texts = [t.strip() for t in request.POST.get("prescription", "").splitlines() if t.strip()]
    old = {item["text"]: item for item in assessment.prescription}
    items = [old.get(t, {"code": "expert", "category": "other", "text": t}) for t in texts]
    try:
        services.assessment_update_prescription(
            assessment=assessment, items=items, acting_user=_user(request)
        )
    except ValidationError as exc:
        for m in _errors(exc):
            messages.error(request, m)
    else:
        messages.success(request, _("Prescription saved."))
    return redirect("assessments:detail", pk=pk)


@login_required
@require_POST
def issue(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment(request, pk)
    try:
        services.assessment_issue(assessment=assessment, acting_user=_user(request))
    except ValidationError as exc:
        for m in _errors(exc):
            messages.error(request, m)
    else:
        messages.success(request, _("Report issued and signed."))
    return redirect("assessments:detail", pk=pk)


@login_required
@require_POST
def run_for_client(request: HttpRequest, client_id: int) -> HttpResponse:
    client = client_for(_user(request), client_id, cap=Cap.VIEW_RESULTS)
    try:
        assessment = services.assessment_run_for_client(client=client, acting_user=_user(request))
    except ValidationError as exc:
        for m in _errors(exc):
            messages.error(request, m)
        return redirect("assessments:index")
    return redirect("assessments:detail", pk=assessment.pk)


@login_required
@require_POST
def run_form(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("client", "").strip()
    if not raw.isdigit():
        messages.error(request, _("Enter a client number."))
        return redirect("assessments:index")
    return run_for_client(request, int(raw))


@login_required
@require_POST
def batch_start(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("clients", "").replace(",", " ").split()
    if not raw or not all(r.isdigit() for r in raw):
        messages.error(request, _("Enter client numbers separated by spaces or commas."))
        return redirect("assessments:index")
    try:
        batch = services.assessment_batch_start(client_ids=[int(r) for r in raw], acting_user=_user(request))
    except ValidationError as exc:
        for m in _errors(exc):
            messages.error(request, m)
        return redirect("assessments:index")
    return redirect("assessments:batch", pk=batch.pk)


@login_required
def tcm_form(request: HttpRequest, client_id: int) -> HttpResponse:
    client = client_for(_user(request), client_id, cap=Cap.VIEW_RESULTS)
    if request.method == "GET":
        audit_read(actor=_user(request), action="client.view", obj=client, detail={"page": "tcm"})
    form = load_data("tcm_elderly_33")
    answers: list[int | None] = [None] * tcm.ITEM_COUNT
    result = None
    errors: list[str] = []
    if request.method == "POST":
        raw = [request.POST.get(f"q{n}", "") for n in range(1, tcm.ITEM_COUNT + 1)]
        answers = [int(v) if v.isdigit() else None for v in raw]
        missing = [str(n) for n, v in enumerate(answers, start=1) if v is None]
        if missing:
            errors.append(_("Answer every question (missing: %(items)s).") % {"items": ", ".join(missing)})
        else:
            try:
                record = services.constitution_record_create(
                    client=client,
                    answers=answers,
                    acting_user=_user(request),
                )
            except ValidationError as exc:
                errors.extend(_errors(exc))
            else:
                result = record.result
    items = [dict(item, answer=answers[item["number"] - 1]) for item in form["items"]]
    guidance = []
    if result:
        codes = ([result["primary"]] if result["primary"] else []) + [
            c for c in result["mixed"] if c != result["primary"]
        ]
        guidance = [tcm.guidance(c) for c in codes]
        result = dict(result, types=[dict(t, label=RESULT_LABELS[t["result"]]) for t in result["types"]])
    return render(
        request,
        "assessments/tcm_form.html",
        {
            "client": client,
            "form": form,
            "items": items,
            "result": result,
            "errors": errors,
            "guidance": guidance,
        },
    )


def _parse_answer(question: dict, raw: str) -> object:
    """Form text → the answer's JSON type; invalid text is passed on for the service to name."""
    raw = raw.strip()
    if raw == "":
        return None
    if question["type"] == "bool":
        return {"true": True, "false": False}.get(raw, raw)
    if question["type"] == "number":
        try:
            return float(raw) if "." in raw else int(raw)
        except ValueError:
            return raw
    options = {str(o["value"]): o["value"] for o in question["options"]}
    return options.get(raw, raw)


@login_required
def questionnaire_form(request: HttpRequest, client_id: int) -> HttpResponse:
    """The standard health questionnaire (ASM-1), drawn from the active versioned definition."""
    client = client_for(_user(request), client_id, cap=Cap.VIEW_RESULTS)
    if request.method == "GET":
        audit_read(actor=_user(request), action="client.view", obj=client, detail={"page": "questionnaire"})
    questionnaire = active_questionnaire(HEALTH_QUESTIONNAIRE)
    definition = questionnaire.definition
    questions = {q["code"]: q for section in definition["sections"] for q in section["questions"]}
    errors: list[str] = []
    posted: dict[str, str] = {}
    if request.method == "POST":
        posted = {code: request.POST.get(code, "") for code in questions}
        answers = {code: _parse_answer(questions[code], raw) for code, raw in posted.items()}
        answers = {code: value for code, value in answers.items() if value is not None}
        try:
            services.questionnaire_response_record(client=client, answers=answers, acting_user=_user(request))
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Questionnaire saved."))
            return redirect("assessments:index")
    sections = [
        {
            "title": section["title_zh"],
            "questions": [dict(q, posted=posted.get(q["code"], "")) for q in section["questions"]],
        }
        for section in definition["sections"]
    ]
    return render(
        request,
        "assessments/questionnaire_form.html",
        {"client": client, "questionnaire": questionnaire, "sections": sections, "errors": errors},
    )


@login_required
def group(request: HttpRequest, pk: int) -> HttpResponse:
    if not (user_can(_user(request), Cap.VIEW_STATS) or user_can(_user(request), Cap.VIEW_RESULTS)):
        raise PermissionDenied
    enterprise = Enterprise.objects.filter(subtree_q(_user(request), field="branch"), pk=pk).first()
    if enterprise is None:
        raise Http404
    doc = enterprise_group_report(enterprise)
    audit_record(
        actor=_user(request),
        action="assessment.group_report",
        obj=enterprise,
        detail={"members": doc["members"]},
    )
    if request.GET.get("format") == "pdf":
        return HttpResponse(pdf.render_group_pdf(doc), content_type="application/pdf")
    return render(request, "assessments/group.html", {"enterprise": enterprise, "doc": doc})


@login_required
def batch(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(AssessmentBatch, pk=pk, created_by=_user(request))
    template = "assessments/_batch.html" if request.htmx else "assessments/batch.html"  # type: ignore[attr-defined]
    return render(request, template, {"batch": batch})
