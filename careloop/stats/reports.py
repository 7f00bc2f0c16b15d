"""Daily, monthly and yearly reports (SPEC STA-3): the figures as one JSON-able dict, its charts, and its
renderings to XLSX (openpyxl; one sheet per section, real numbers and formats) and PDF (fpdf2, the shipped
CJK font, the same charts as the pages)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.stats import charts
from careloop.stats.kpis import kpi_values
from careloop.stats.models import ReportPeriod
from careloop.stats.permissions import StatsScope
from careloop.stats.selectors import (
    client_figures,
    followup_table,
    followup_totals,
    followup_trend,
    health_figures,
    service_figures,
)


def period_bounds(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    if period == ReportPeriod.DAILY:
        return day, day
    if period == ReportPeriod.MONTHLY:
        start = day.replace(day=1)
        return start, (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return day.replace(month=1, day=1), day.replace(month=12, day=31)


def followup_columns() -> list[tuple[str, str, str]]:
    """(field, heading, kind) of a follow-up table; kind: text | int | pct | dec."""
    return [
        ("key", _("Group"), "text"), ("planned", _("Planned"), "int"), ("done", _("Done"), "int"),
        ("on_time", _("On time"), "int"), ("overdue", _("Overdue"), "int"), ("missed", _("Missed"), "int"),
        ("lost", _("Lost to follow-up"), "int"), ("attempted", _("Attempted"), "int"),
        ("reached", _("Reached"), "int"), ("contact_rate", _("Contact success rate (%)"), "pct"),
        ("attempts_per_task", _("Attempts per task"), "dec"), ("done_rate", _("Completion rate (%)"), "pct"),
    ]


def _iso(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()}


def report_build(scope: StatsScope, period: str, day: dt.date, *, scope_name: str) -> dict[str, Any]:
    """Every figure of the report (JSON-able; what is kept in ``StatsReport.data``)."""
    date_from, date_to = period_bounds(period, day)
    if period == ReportPeriod.YEARLY:
        trend = followup_trend(scope, date_from, date_to, grain="month")
    elif period == ReportPeriod.MONTHLY:
        trend = followup_trend(scope, date_from, date_to)
    else:  # a day's report shows the fortnight that ends with it
        trend = followup_trend(scope, date_to - dt.timedelta(days=13), date_to)
    kpis = kpi_values(scope, date_from.replace(month=1, day=1) if period != ReportPeriod.YEARLY else date_from,
                      date_to)
    return {
        "period": period, "from": date_from.isoformat(), "to": date_to.isoformat(), "scope": scope_name,
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "totals": followup_totals(scope, date_from, date_to),
        "kpis": [{k: v for k, v in row.items() if k != "trend"} for row in kpis],
        "by_branch": followup_table(scope, date_from, date_to, "branch"),
        "by_team": followup_table(scope, date_from, date_to, "team"),
        "by_staff": followup_table(scope, date_from, date_to, "staff"),
        "by_rule": followup_table(scope, date_from, date_to, "rule"),
        "trend": [_iso(r) for r in trend],
        "clients": client_figures(scope, date_from, date_to),
        "health": health_figures(scope, date_from, date_to),
        "service": service_figures(scope, date_from, date_to),
        "not_built": [],
    }


def _bucket_label(value: str, grain_month: bool) -> str:
    d = dt.date.fromisoformat(value)
    return f"{d.month}月" if grain_month else f"{d.month}/{d.day}"


def report_charts(data: dict[str, Any]) -> list[charts.Chart]:
    """Trend lines, stacked bars by status, and the funnel of the loop — the same on screen and in the PDF."""
    month = data["period"] == ReportPeriod.YEARLY
    trend = data["trend"]
    labels = [_bucket_label(r["bucket"], month) for r in trend]
    t = data["totals"]
    return [
        charts.Chart("line", _("Follow-ups: planned and done"), labels, [
            charts.Series(_("Planned"), [r["planned"] for r in trend]),
            charts.Series(_("Done"), [r["done"] for r in trend]),
            charts.Series(_("Overdue"), [r["overdue"] for r in trend]),
        ]),
        charts.Chart("stacked", _("Tasks by status"), labels, [
            charts.Series(_("On time"), [r["on_time"] for r in trend]),
            charts.Series(_("Done late"), [r["done"] - r["on_time"] for r in trend]),
            charts.Series(_("Overdue"), [r["overdue"] for r in trend]),
            charts.Series(_("Missed"), [r["missed"] for r in trend]),
        ]),
        charts.Chart("funnel", _("The loop: planned → attempted → reached → done"),
                     [_("Planned"), _("Attempted"), _("Reached"), _("Done")],
                     [charts.Series(_("Tasks"), [t["planned"], t["attempted"], t["reached"], t["done"]])]),
    ]


def _period_title(data: dict[str, Any]) -> str:
    names = {"daily": _("Daily report"), "monthly": _("Monthly report"), "yearly": _("Yearly report")}
    span = data["from"] if data["from"] == data["to"] else f"{data['from']} – {data['to']}"
    return f"{data['scope']} {names[data['period']]} {span}"


def sections(data: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]], list[list[Any]]]]:
    """(title, [(heading, kind)], rows) per section; the XLSX has one sheet each, the PDF one table each."""
    fu_cols = followup_columns()
    fu_heads = [(h, k) for _f, h, k in fu_cols]

    def fu_rows(rows: list[dict[str, Any]]) -> list[list[Any]]:
        return [[r.get(f) for f, _h, _k in fu_cols] for r in rows]

    kpi_rows = [[k["name"], k["value"] if k["available"] else _("not built yet: %(source)s") % {"source": k["source_missing_label"]},
                 ("≥ " if k["comparison"] == "gte" else "≤ ") + f"{k['target']:g}{k['unit']}",
                 "—" if k["met"] is None else (_("met") if k["met"] else _("not met")), k["definition"]]
                for k in data["kpis"]]
    totals = dict(data["totals"], key=_("All tasks"))
    trend_cols = [(_("Date"), "date"), *fu_heads[1:10]]
    trend_rows = [[dt.date.fromisoformat(r["bucket"])] + [r.get(f) for f, _h, _k in fu_cols[1:10]] for r in data["trend"]]
    c = data["clients"]
    client_rows: list[list[Any]] = [
        [_("New clients"), c["new"]], [_("Active clients"), c["active"]],
        [_("Served in the previous year"), c["retention_base"]], [_("Served again (retained)"), c["retained"]],
        [_("Retention rate (%)"), c["retention_rate"]], [_("Tier upgrades"), c["upgrades"]],
        [_("Tier downgrades"), c["downgrades"]], [_("Churn (opted out, lost, deceased)"), c["churn_total"]],
    ] + [[_("Tier %(tier)s clients") % {"tier": tier}, n] for tier, n in sorted(c["by_tier"].items())]
    h = data["health"]
    sv = data.get("service") or {}
    service_rows: list[list[Any]] = [
        [_("Tickets recorded"), sv.get("tickets")], [_("Complaints"), sv.get("complaints")],
        [_("Complaint rate (%)"), sv.get("complaint_rate")], [_("NPS"), sv.get("nps")],
        [_("Survey answers"), sv.get("nps_answers")], [_("Satisfaction with answers (1–5)"), sv.get("satisfaction")],
        [_("Mean response time (minutes)"), sv.get("response_minutes")],
        [_("Urgent response time (minutes)"), sv.get("urgent_response_minutes")],
        [_("Mean resolution time (hours)"), sv.get("resolution_hours")],
    ] if sv else []
    return [
        (_("Summary"), [(_("Indicator"), "text"), (_("Value"), "text"), (_("Target"), "text"), (_("Result"), "text"),
                        (_("Definition"), "text")], kpi_rows),
        (_("Follow-up totals"), fu_heads, fu_rows([totals])),
        (_("Follow-up trend"), trend_cols, trend_rows),
        (_("By branch"), fu_heads, fu_rows(data["by_branch"])),
        (_("By team"), fu_heads, fu_rows(data["by_team"])),
        (_("By staff member"), fu_heads, fu_rows(data["by_staff"])),
        (_("By rule"), fu_heads, fu_rows(data["by_rule"])),
        (_("Clients"), [(_("Indicator"), "text"), (_("Value"), "dec")], client_rows),
        (_("Service"), [(_("Indicator"), "text"), (_("Value"), "dec")], service_rows),
        (_("Abnormal findings"), [(_("Item code"), "text"), (_("Item"), "text"), (_("Abnormal results"), "int")],
         [[r["code"], r["name"], r["n"]] for r in h["abnormal_by_item"]]),
        (_("Abnormal by sex and age"), [(_("Age band"), "text"), (_("Male"), "int"), (_("Female"), "int")],
         [[r["band"], r["male"], r["female"]] for r in h["abnormal_by_band"]]),
        (_("Risk distribution"), [(_("Model"), "text"), (_("Low"), "int"), (_("Medium"), "int"), (_("High"), "int")],
         [[r["name"], r["low"], r["medium"], r["high"]] for r in h["risk"]]),
        # STA-2: blood pressure and glucose control (reports kept before this section have no "control").
        (_("Control in chronic plans"),
         [(_("Indicator"), "text"), (_("Readings in target (%)"), "pct"), (_("Readings within target"), "int"),
          (_("Readings judged"), "int"), (_("Controlled clients"), "int"), (_("Clients with readings"), "int")],
         [[r["name"], r["rate"], r["in_target"], r["readings"], r["controlled_clients"], r["clients"]]
          for r in h.get("control", [])]),
    ]


def _sheet_title(title: str, used: set[str]) -> str:
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet"
    name, n = clean, 2
    while name in used:
        name = f"{clean[:28]}{n}"
        n += 1
    used.add(name)
    return name


def report_xlsx(data: dict[str, Any]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, LineChart, Reference
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    used: set[str] = set()
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E6EEF5")
    formats = {"int": "#,##0", "pct": "0.0", "dec": "0.00", "date": "yyyy-mm-dd"}
    for title, heads, rows in sections(data):
        ws = wb.create_sheet(_sheet_title(title, used))
        ws.append([_period_title(data)])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append([h for h, _k in heads])
        for cell in ws[2]:
            cell.font, cell.fill = bold, fill
        for row in rows:
            ws.append([escape_cell(v) for v in row])
            for cell, (_h, kind) in zip(ws[ws.max_row], heads, strict=False):
                if kind in formats and isinstance(cell.value, (int, float, dt.date)):
                    cell.number_format = formats[kind]
        for i, (h, _k) in enumerate(heads):
            ws.column_dimensions[chr(65 + i) if i < 26 else "A"].width = max(10, min(40, len(h) * 2 + 2))
        if title == _("Follow-up trend") and rows:
            line = LineChart()
            line.title = _("Follow-ups: planned and done")
            line.add_data(Reference(ws, min_col=2, max_col=3, min_row=2, max_row=ws.max_row), titles_from_data=True)
            line.set_categories(Reference(ws, min_col=1, min_row=3, max_row=ws.max_row))
            line.width, line.height = 24, 8
            ws.add_chart(line, f"A{ws.max_row + 3}")
            bars = BarChart()
            bars.type, bars.grouping, bars.overlap = "col", "stacked", 100
            bars.title = _("Tasks by status")
            bars.add_data(Reference(ws, min_col=4, max_col=6, min_row=2, max_row=ws.max_row), titles_from_data=True)
            bars.set_categories(Reference(ws, min_col=1, min_row=3, max_row=ws.max_row))
            bars.width, bars.height = 24, 8
            ws.add_chart(bars, f"A{ws.max_row + 21}")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell_text(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.date):
        return value.isoformat()
    if kind == "int" and isinstance(value, (int, float)):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def report_pdf(data: dict[str, Any]) -> bytes:
    from careloop.lib.pdf import FONT, ReportPDF

    pdf = ReportPDF(_period_title(data), footer_text="careloop")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.title_block(_period_title(data), _("Generated %(at)s") % {"at": data["generated_at"][:16].replace("T", " ")})
    for chart in report_charts(data):
        if pdf.get_y() > pdf.h - 90:
            pdf.add_page()
        y = pdf.get_y()
        charts.draw_pdf(pdf, chart, pdf.l_margin, y, pdf.epw, pdf.epw * 240 / 640, FONT)
        pdf.set_y(y + pdf.epw * 240 / 640 + 4)
    for note in data.get("not_built", []):
        pdf.paragraph(note, size=9)
    for title, heads, rows in sections(data):
        pdf.heading(title)
        if not rows:
            pdf.paragraph(_("No data in this period."), size=9)
            continue
        n = len(heads)
        first = 40 if n > 4 else 60
        rest = max(10, int((pdf.epw - first) / max(n - 1, 1)))
        widths = (first,) + (rest,) * (n - 1)
        pdf.grid([h for h, _k in heads], [[_cell_text(v, k) for v, (_h, k) in zip(row, heads, strict=False)]
                                          for row in rows], widths, size=7 if n > 6 else 9)
    return bytes(pdf.output())


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
