"""Spreadsheet exports (SPEC INT-3): the client list with its filters, and statistics tables — streamed.

CSV is written row by row into the response (flat memory); XLSX is written by openpyxl's write-only mode
into a temporary file that is then streamed (openpyxl cannot write into a stream). Every text cell that a
spreadsheet would run as a formula is escaped (``escape_cell``).
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from careloop.clients.models import Client
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.stats.reports import escape_cell


class _Echo:
    def write(self, value: str) -> str:
        return value


def client_columns(user: User) -> list[tuple[str, str]]:
    cols = [("id", _("ID")), ("name", _("Name")), ("sex", _("Sex")), ("birth_date", _("Birth date"))]
    if user_can(user, Cap.VIEW_CONTACT):  # masked, as on the list page
        cols += [("phone", _("Mobile phone")), ("id_number", _("Resident ID number"))]
    return [*cols, ("branch", _("Branch")), ("tier", _("Tier")), ("status", _("Status"))]


def client_rows(user: User, clients: QuerySet[Client]) -> Iterator[list[Any]]:
    contact = user_can(user, Cap.VIEW_CONTACT)
    sexes = dict(Client._meta.get_field("sex").choices or [])
    statuses = dict(Client._meta.get_field("status").choices or [])
    fields = ["pk", "name", "sex", "birth_date", "branch__name", "tier", "status"]
    if contact:
        fields += ["phone", "id_number"]
    for c in clients.select_related("branch").only(*[f for f in fields if f != "branch__name"], "branch__name") \
            .order_by("pk").iterator(chunk_size=2000):
        row: list[Any] = [c.pk, c.name, str(sexes.get(c.sex, c.sex)), c.birth_date]
        if contact:
            row += [c.phone_masked, c.id_number_masked]
        row += [c.branch.name, c.tier, str(statuses.get(c.status, c.status))]
        yield row


def csv_stream(headings: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """CSV lines (UTF-8 with a BOM so that Excel reads Chinese), escaped against formula injection."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(headings)
    for row in rows:
        yield writer.writerow([escape_cell(v.isoformat() if isinstance(v, dt.date) else v) for v in row])


def xlsx_file(sheet: str, headings: list[str], rows: Iterable[list[Any]]) -> Any:
    """A temporary file holding the XLSX (write-only workbook: memory stays flat whatever the row count)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    bold = Font(bold=True)
    head = []
    for h in headings:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    for row in rows:
        out = []
        for v in row:
            cell = WriteOnlyCell(ws, value=escape_cell(v))
            if isinstance(v, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(v, float):
                cell.number_format = "0.0#"
            out.append(cell)
        ws.append(out)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    wb.save(handle)
    handle.seek(0)
    return handle
