"""Pages of careloop.checkups. Thin: parse input, call a service or selector, render."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.audit.services import audit_record
from careloop.checkups import selectors, services
from careloop.checkups.forms import DeliveryForm, InterpretationForm, SampleForm, UploadForm
from careloop.checkups.layout import ALL_FIELDS, FIELD_LABELS, REQUIRED_FIELDS, default_mapping
from careloop.checkups.models import ColumnMapping, ImportBatch
from careloop.checkups.permissions import batch_for, require
from careloop.checkups.progress import read_progress, upload_dir
from careloop.checkups.readers import ResultsFileError, TableReader
from careloop.clients.selectors import client_for
from careloop.org.models import User
from careloop.org.permissions import Cap

_TOKEN = re.compile(r"^[0-9a-f]{32}\.(csv|xlsx)$")


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _require(request: HttpRequest, cap: Cap) -> None:
    require(_user(request), cap)


def _store_sample(upload: Any, folder: Path) -> tuple[Path, str]:
    folder.mkdir(parents=True, exist_ok=True)
    token = f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"
    target = folder / token
    with open(target, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return target, token


@login_required
def imports_view(request: HttpRequest) -> HttpResponse:
    _require(request, Cap.IMPORT_RESULTS)
    form = UploadForm(request.POST or None, request.FILES or None, user=_user(request))
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.results_import_start(
                upload=form.cleaned_data["file"], branch=form.cleaned_data["branch"], acting_user=_user(request),
                mapping=form.cleaned_data["mapping"], strict=False if form.cleaned_data["lenient"] else None,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("checkups:import_detail", pk=batch.pk)
    batches = selectors.batches_visible_to(_user(request))[:20]
    return render(request, "checkups/imports.html", {"form": form, "batches": batches})


def _batch_context(batch: ImportBatch) -> dict[str, Any]:
    progress = read_progress(batch.pk)
    running = batch.status in {ImportBatch.Status.PENDING, ImportBatch.Status.RUNNING}
    lang = "en" if (get_language() or "").startswith("en") else "zh-hans"
    errors = [{**e, "text": e["reason"].get(lang, "")} for e in batch.errors]
    percent = 100 if not running else int(progress.get("fraction", 0) * 100)
    return {"batch": batch, "running": running, "percent": percent, "rows": progress.get("rows", 0), "errors": errors,
            "hidden_errors": max(0, batch.error_count - len(batch.errors))}


@login_required
def import_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Cap.IMPORT_RESULTS)
    batch = batch_for(_user(request), pk)
    template = "checkups/_batch_status.html" if getattr(request, "htmx", False) else "checkups/import_detail.html"
    return render(request, template, _batch_context(batch))


def _preview(path: Path, institution: str) -> dict[str, Any]:
    reader = TableReader(path, fmt="xlsx" if path.suffix == ".xlsx" else "csv")
    header, rows = reader.preview(5)
    saved = ColumnMapping.objects.filter(institution=institution).first()
    current = saved.mapping if saved else {k: v for k, v in default_mapping().items() if v in header}
    fields = [
        {"name": name, "label": FIELD_LABELS[name], "required": name in REQUIRED_FIELDS, "current": current.get(name, "")}
        for name in ALL_FIELDS
    ]
    return {"header": header, "rows": rows, "fields": fields, "strict": saved.strict if saved else True}


@login_required
def mapping_view(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a sample and see its first rows; step 2: say which column holds which field."""
    _require(request, Cap.IMPORT_RESULTS)
    samples = upload_dir() / "samples"
    context: dict[str, Any] = {"mappings": ColumnMapping.objects.all()}
    if request.method == "POST" and "token" in request.POST:
        token = request.POST["token"]
        institution = request.POST.get("institution", "")
        if not _TOKEN.match(token) or not (samples / token).is_file():
            raise PermissionDenied(_("The sample file is gone; upload it again."))
        chosen = {name: request.POST.get(f"map_{name}", "") for name in ALL_FIELDS}
        try:
            services.column_mapping_save(institution=institution, mapping=chosen, strict=not request.POST.get("lenient"),
                                         acting_user=_user(request))
        except ValidationError as exc:
            context.update(_preview(samples / token, institution), token=token, institution=institution,
                           errors=exc.message_dict)
            for field in context["fields"]:
                field["current"] = chosen.get(field["name"], "")
            return render(request, "checkups/mapping.html", context, status=400)
        (samples / token).unlink(missing_ok=True)
        messages.success(request, _("Column mapping for %(i)s saved.") % {"i": institution})
        return redirect("checkups:imports")
    form = SampleForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        stored, token = _store_sample(form.cleaned_data["file"], samples)
        try:
            context.update(_preview(stored, form.cleaned_data["institution"]))
        except ResultsFileError as exc:
            stored.unlink(missing_ok=True)
            form.add_error("file", "; ".join(str(e) for e in exc.errors))
        else:
            context.update(token=token, institution=form.cleaned_data["institution"])
            return render(request, "checkups/mapping.html", context)
    context["form"] = form
    return render(request, "checkups/mapping.html", context, status=400 if form.errors else 200)


@login_required
def client_checkups_view(request: HttpRequest, client_id: int) -> HttpResponse:
    client = client_for(_user(request), client_id, cap=Cap.VIEW_RESULTS)
    audit_record(actor=_user(request), action="checkup.view", obj=client, client=client)
    checkups = list(selectors.checkups_of(client)[:20])
    context = {
        "client": client,
        "checkups": checkups,
        "latest_abnormal": selectors.abnormal_items_of(checkups[0]) if checkups else [],
        "trends": selectors.trends_of(client),
        "alerts": selectors.alerts_of(client),
    }
    return render(request, "checkups/client.html", context)


@login_required
def worklist_view(request: HttpRequest) -> HttpResponse:
    _require(request, Cap.WORK_FOLLOWUPS)
    today = timezone.localdate()
    deliveries = list(selectors.pending_deliveries_for(_user(request))[:50])
    for delivery in deliveries:
        delivery.overdue = delivery.is_overdue(today)  # type: ignore[attr-defined]
    context = {
        "alerts": selectors.open_alerts_for(_user(request))[:50],
        "deliveries": deliveries,
        "interpretations": selectors.pending_interpretations_for(_user(request))[:50],
        "delivery_form": DeliveryForm(),
        "interpretation_form": InterpretationForm(),
        "now": timezone.now(),
    }
    return render(request, "checkups/worklist.html", context)


def _back(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    for field, reasons in exc.message_dict.items():
        for reason in reasons:
            messages.error(request, f"{field}: {reason}" if field != "__all__" else reason)
    return redirect("checkups:worklist")


@login_required
@require_POST
def alert_ack_view(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_object_or_404(selectors.open_alerts_for(_user(request)), pk=pk)
    try:
        services.critical_alert_acknowledge(alert=alert, acting_user=_user(request))
    except ValidationError as exc:
        return _back(request, exc)
    messages.success(request, _("Alert acknowledged."))
    return redirect("checkups:worklist")


@login_required
@require_POST
def delivery_record_view(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(selectors.pending_deliveries_for(_user(request)), pk=pk)
    form = DeliveryForm(request.POST)
    if not form.is_valid():
        return _back(request, ValidationError(form.errors))
    try:
        services.report_delivery_record(delivery=delivery, acting_user=_user(request), **form.cleaned_data)
    except ValidationError as exc:
        return _back(request, exc)
    messages.success(request, _("Delivery recorded."))
    return redirect("checkups:worklist")


@login_required
@require_POST
def interpretation_done_view(request: HttpRequest, pk: int) -> HttpResponse:
    interpretation = get_object_or_404(selectors.pending_interpretations_for(_user(request)), pk=pk)
    form = InterpretationForm(request.POST)
    if not form.is_valid():
        return _back(request, ValidationError(form.errors))
    try:
        services.interpretation_complete(interpretation=interpretation, acting_user=_user(request), **form.cleaned_data)
    except ValidationError as exc:
        return _back(request, exc)
    messages.success(request, _("Interpretation recorded."))
    return redirect("checkups:worklist")
