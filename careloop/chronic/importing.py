"""Spreadsheet import of monitoring readings (the seed's Excel logs): XLSX or CSV, one row per reading.

Columns (English or Chinese headers): ``client`` (客户编号), ``at`` (测量时间), ``indicator`` (指标),
``value`` (数值), optional ``diet`` (饮食), ``exercise`` (运动), ``medication`` (用药). Rows of one client at
one time make one log. All or nothing: every row is checked first, errors name the row and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.chronic.models import LogSource
from careloop.chronic.permissions import can_write
from careloop.chronic.services import LogInput, LogResult, monitoring_logs_ingest
from careloop.clients.selectors import clients_visible_to
from careloop.org.models import User

HEADERS = {
    "client": "client", "客户编号": "client", "客户id": "client", "客户": "client",
    "at": "at", "测量时间": "at", "时间": "at",
    "indicator": "indicator", "指标": "indicator", "指标代码": "indicator",
    "value": "value", "数值": "value", "结果": "value",
    "diet": "diet", "饮食": "diet", "exercise": "exercise", "运动": "exercise",
    "medication": "medication", "用药": "medication",
}
REQUIRED = ("client", "at", "indicator", "value")
MAX_ROWS = 200_000
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class ImportError_:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _("row %(row)d, column %(column)s: %(message)s") % {
            "row": self.row, "column": self.column, "message": self.message}


class ImportRejected(Exception):
    def __init__(self, errors: list[ImportError_]) -> None:
        super().__init__("; ".join(str(e) for e in errors[:20]))
        self.errors = errors


def read_rows(name: str, content: bytes) -> list[list[Any]]:
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        return [list(r) for r in wb.active.iter_rows(values_only=True)]  # type: ignore[union-attr]
    if name.lower().endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ImportRejected([ImportError_(1, "-", _("The file is neither UTF-8 nor GB18030 text."))])
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]
    raise ImportRejected([ImportError_(0, "-", _("Upload an .xlsx or .csv file."))])


def _time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    text = str(value or "").strip()
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        parsed = None
        for fmt in TIME_FORMATS:
            try:
                parsed = dt.datetime.strptime(text, fmt).replace(tzinfo=timezone.get_current_timezone())
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def parse(rows: list[list[Any]], *, user: Any) -> dict[tuple[int, dt.datetime], dict[str, Any]]:  # noqa: C901 (a check per column)
    """Check every row; the logs to write keyed by (client, time), or ImportRejected with every error."""
    if not rows:
        raise ImportRejected([ImportError_(1, "-", _("The file is empty."))])
    header = [HEADERS.get(str(h or "").strip().lower(), "") for h in rows[0]]
    errors = [ImportError_(1, col, _("This column is missing.")) for col in REQUIRED if col not in header]
    if errors:
        raise ImportRejected(errors)
    if len(rows) - 1 > MAX_ROWS:
        raise ImportRejected([ImportError_(MAX_ROWS + 2, "-", _("At most %(n)d rows per file.") % {"n": MAX_ROWS})])
    idx = {name: header.index(name) for name in set(header) if name}
    client_ids = set()
    for cells in rows[1:]:
        raw = str(cells[idx["client"]] if idx["client"] < len(cells) else "").strip()
        if raw.isdigit():
            client_ids.add(int(raw))
    visible = set(clients_visible_to(user).filter(pk__in=client_ids).values_list("pk", flat=True))
    now = timezone.now() + dt.timedelta(minutes=10)
    logs: dict[tuple[int, dt.datetime], dict[str, Any]] = {}
    for number, cells in enumerate(rows[1:], start=2):
        def cell(name: str, cells: list[Any] = cells) -> Any:
            i = idx.get(name)
            return cells[i] if i is not None and i < len(cells) else None

        if all(c in (None, "") for c in cells):
            continue
        raw_client = str(cell("client") or "").strip()
        if not raw_client.isdigit() or int(raw_client) not in visible:
            errors.append(ImportError_(number, "client", _("No such client in your scope.")))
        at = _time(cell("at"))
        if at is None:
            errors.append(ImportError_(number, "at", _("Give a time as YYYY-MM-DD HH:MM.")))
        elif at > now:
            errors.append(ImportError_(number, "at", _("The measurement time is in the future.")))
        code = str(cell("indicator") or "").strip()
        if not code or len(code) > 40:
            errors.append(ImportError_(number, "indicator", _("Name the indicator.")))
        try:
            value = float(cell("value"))
        except (TypeError, ValueError):
            value = None
            errors.append(ImportError_(number, "value", _("Give a number.")))
        if errors and len(errors) >= 200:
            break
        if errors or at is None or value is None:
            continue
        log = logs.setdefault((int(raw_client), at), {"readings": {}, "diet": "", "exercise": "", "medication": ""})
        if code in log["readings"]:
            errors.append(ImportError_(number, "indicator", _("%(code)s appears twice for this client and time.") % {
                "code": code}))
        log["readings"][code] = value
        for extra in ("diet", "exercise", "medication"):
            text = str(cell(extra) or "").strip()
            if text:
                log[extra] = text[:2000]
    if errors:
        raise ImportRejected(errors)
    return logs


@transaction.atomic
def monitoring_logs_import(*, name: str, content: bytes, acting_user: User) -> list[LogResult]:
    """Import a spreadsheet of readings: all rows or none."""
    if not can_write(acting_user):
        raise PermissionDenied(_("Your role does not allow recording monitoring."))
    logs = parse(read_rows(name, content), user=acting_user)
    clients = {c.pk: c for c in clients_visible_to(acting_user).filter(pk__in={k[0] for k in logs}).select_related(
        "branch")}
    inputs = [LogInput(client=clients[client_id], at=at, **spec) for (client_id, at), spec in logs.items()]
    try:
        results = monitoring_logs_ingest(items=inputs, acting_user=acting_user, source=LogSource.IMPORT)
    except ValidationError as exc:
        raise ImportRejected([ImportError_(0, "-", "; ".join(exc.messages))]) from exc
    audit_record(actor=acting_user, action="chronic.import", detail={
        "file": name[:100], "logs": len(results), "readings": sum(len(r.readings) for r in results),
        "tasks": sum(len(r.tasks) for r in results)})
    return results


def error_lines(errors: Iterable[ImportError_]) -> list[str]:
    return [str(e) for e in errors]
