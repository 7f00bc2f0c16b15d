"""File responses shared by the pages and the API: exports of clients and tables, reports as XLSX/PDF."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.clients.filters import client_list_filters
from careloop.clients.selectors import client_search
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.stats.exports import client_columns, client_rows, csv_stream, xlsx_file
from careloop.stats.reports import followup_columns, report_pdf, report_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def client_export_response(user: User, params: Mapping[str, Any], fmt: str) -> HttpResponse | StreamingHttpResponse:
    """The caller's visible clients with the list's filters, masked as on screen, audited before any row leaves."""
    if not user_can(user, Cap.VIEW_CLIENTS):
        raise PermissionDenied(_("Your role does not allow opening client records."))
    filters = client_list_filters(params)
    clients = client_search(user, **filters)
    with transaction.atomic():
        audit_record(actor=user, action="client.export", detail={
            "format": fmt, "filters": {k: ("***" if k in ("phone", "id_number") and v else v)
                                       for k, v in filters.items() if v}})
    cols = client_columns(user)
    heads = [h for _k, h in cols]
    name = f"clients-{timezone.localdate().isoformat()}"
    if fmt == "xlsx":
        return FileResponse(xlsx_file(str(_("Clients")), heads, client_rows(user, clients)), as_attachment=True,
                            filename=f"{name}.xlsx", content_type=XLSX)
    response = StreamingHttpResponse(csv_stream(heads, client_rows(user, clients)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def table_response(rows: list[dict[str, Any]], fmt: str, name: str) -> HttpResponse | StreamingHttpResponse:
    """A statistics table (follow-up rows) as CSV or XLSX."""
    cols = followup_columns()
    heads = [h for _f, h, _k in cols]
    values = ([r.get(f) for f, _h, _k in cols] for r in rows)
    if fmt == "xlsx":
        return FileResponse(xlsx_file(str(_("Statistics")), heads, values), as_attachment=True,
                            filename=f"{name}.xlsx", content_type=XLSX)
    response = StreamingHttpResponse(csv_stream(heads, values), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def report_file_response(data: dict[str, Any], fmt: str) -> HttpResponse:
    name = f"careloop-{data['period']}-{data['from']}"
    if fmt == "pdf":
        response = HttpResponse(report_pdf(data), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    response = HttpResponse(report_xlsx(data), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
