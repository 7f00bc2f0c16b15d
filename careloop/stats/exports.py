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
from careloop.lib.identity import mask_id_number, mask_mobile
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
    """Plain rows (no model instances: tuples straight from the cursor, contact fields decrypted and masked)."""
    contact = user_can(user, Cap.VIEW_CONTACT)
    sexes = {k: str(v) for k, v in Client._meta.get_field("sex").choices or []}
    statuses = {k: str(v) for k, v in Client._meta.get_field("status").choices or []}
    fields = ["pk", "name", "sex", "birth_date", "branch__name", "tier", "status"]
    if contact:
        fields += ["phone", "id_number"]
    for row in clients.order_by("pk").values_list(*fields).iterator(chunk_size=5000):
        out: list[Any] = [row[0], row[1], sexes.get(row[2], row[2]), row[3]]
        if contact:
            out += [mask_mobile(row[7]), mask_id_number(row[8])]
        out += [row[4], row[5], statuses.get(row[6], row[6])]
        yield out


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
    for row in rows:  # plain values: openpyxl gives dates a date format itself
        ws.append([escape_cell(v) for v in row])
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    wb.save(handle)
    handle.seek(0)
    return handle
