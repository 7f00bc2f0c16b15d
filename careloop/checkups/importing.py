"""The import engine behind ``results_import``: stream, validate, grade and write in chunks.

All or nothing per file: everything is written inside one transaction, and the first bad row
stops writing (the rest of the file is still checked so that every error is reported), then
the transaction is rolled back. Memory stays flat: rows are written in chunks of
``CHUNK_REPORTS`` reports; only a small per-report summary lives for the whole file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.checkups.grading import Grade, RuleBook, derive_health_status, worst
from careloop.checkups.models import (
    Checkup,
    CheckupItem,
    CheckupPackage,
    GradingRule,
    ImportBatch,
    ResultItem,
)
from careloop.checkups.readers import ResultsFileError, RowError, open_results, reason
from careloop.checkups.validation import ParsedItem, RowValidator
from careloop.clients.models import Client, Consent, ConsentPurpose
from careloop.clients.services import id_number_index
from careloop.org.models import OrgUnit

CHUNK_REPORTS = 200
MAX_STORED_ERRORS = 500
Progress = Callable[[int, float], None]
# Share of the progress bar for reading and writing rows; the rest is the per-report work after it.
STREAM_SHARE = 0.6


class ImportRejected(Exception):
    """The file had errors; nothing was written."""

    def __init__(self, errors: list[RowError], count: int) -> None:
        super().__init__(f"{count} errors")
        self.errors = errors
        self.count = count


@dataclass
class ReportState:
    """What the engine remembers about one report for the whole file (kept small)."""

    checkup_id: int | None
    client_id: int | None
    sex: str
    age: int
    findings: list[tuple[str, str]] = field(default_factory=list)
    critical_item_rows: list[int] = field(default_factory=list)
    further_exam: bool = False
    abnormal: int = 0
    conclusion: str = ""
    recommendation: str = ""
    new_client: bool = False


ITEM_COLUMNS = (
    "checkup_id", "code", "name", "value_text", "value_num", "unit", "reference_range", "ref_low", "ref_high", "flag",
    "severity", "finding", "category", "further_exam", "row",
)


def insert_items(rows: list[tuple]) -> None:
    """Write result items the fast way: COPY on PostgreSQL, executemany elsewhere.

    ``bulk_create`` spends most of its time preparing 15 values per object in Python; these rows are
    already validated and typed, so they go to the database as they are.
    """
    table = ResultItem._meta.db_table
    columns = ", ".join(connection.ops.quote_name(c) for c in ITEM_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(ITEM_COLUMNS))
            # Table and column names are constants of this module, quoted; values are parameters.
            sql = f"INSERT INTO {connection.ops.quote_name(table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
            cursor.executemany(sql, rows)


def health_consent_withdrawn(client_ids: list[int]) -> set[int]:
    """The clients among ``client_ids`` whose latest health-data consent decision is a withdrawal (one query)."""
    latest: dict[int, bool] = {}
    decisions = (
        Consent.objects.filter(client_id__in=client_ids, purpose=ConsentPurpose.HEALTH_DATA)
        .order_by("client_id", "-given_at", "-id")
        .values_list("client_id", "granted")
    )
    for client_id, granted in decisions:
        latest.setdefault(client_id, granted)
    return {client_id for client_id, granted in latest.items() if not granted}


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def item_catalogue() -> dict[str, dict[str, Any]]:
    return {i.code.upper(): i.as_spec() for i in CheckupItem.objects.filter(active=True)}


def current_rulebook() -> RuleBook:
    return RuleBook(r.as_rule() for r in GradingRule.objects.filter(active=True))


class ImportRun:
    def __init__(
        self,
        *,
        batch: ImportBatch,
        path: str,
        mapping: dict[str, str] | None,
        branch: OrgUnit,
        today: dt.date,
        progress: Progress | None = None,
        scope_unit_ids: Collection[int] | None = None,
    ) -> None:
        self.batch = batch
        self.path = path
        self.mapping = mapping
        self.branch = branch
        self.today = today
        self.progress = progress
        # The units whose clients this import may attach results to (None: no limit, the engine alone).
        self.scope_unit_ids = set(scope_unit_ids) if scope_unit_ids is not None else None
        self.columns: dict[str, str] = {}
        self.items = item_catalogue()
        self.rules = current_rulebook()
        self.packages = {p.code: p.pk for p in CheckupPackage.objects.all()} | {
            p.name: p.pk for p in CheckupPackage.objects.all()
        }
        self.validator = RowValidator(file_name=batch.file_name, items=self.items, strict=batch.strict, today=today)
        self.reports: dict[tuple[str, str], ReportState] = {}
        self.pending: list[tuple[ParsedItem, Grade]] = []
        self.pending_reports: set[tuple[str, str]] = set()
        self.errors: list[RowError] = []
        self.error_count = 0
        self.rows = 0
        self.results_at = timezone.now()
        self.critical_items: list[int] = []
        self.new_client_ids: set[int] = set()
        self.exam_column = "exam_no"

    # -- errors ------------------------------------------------------------------------------
    def _add_errors(self, errors: list[RowError]) -> None:
        self.error_count += len(errors)
        room = MAX_STORED_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])

    # -- main loop ---------------------------------------------------------------------------
    def run(self) -> None:
        reader = open_results(self.path, fmt=self.batch.fmt or None, mapping=self.mapping, file_name=self.batch.file_name)
        try:
            with transaction.atomic():
                for source in reader.rows():
                    self.rows += 1
                    if self.rows == 1:
                        self.columns = dict(source.columns)
                        self.exam_column = self._column("exam_no")
                    parsed = self.validator.validate(source)
                    if isinstance(parsed, list):
                        self._add_errors(parsed)
                    elif not self.error_count:
                        self._take(parsed)
                    if self.progress and self.rows % 1000 == 0:
                        self.progress(self.rows, reader.progress() * STREAM_SHARE)
                if not self.error_count:
                    self._flush()
                if not self.error_count and not self.reports:
                    self._add_errors([RowError(self.batch.file_name, None, "", _("the file has no result rows"))])
                if self.error_count:
                    raise ImportRejected(self.errors, self.error_count)
                self._finish_reports()
        except ResultsFileError as exc:
            raise ImportRejected(exc.errors, len(exc.errors)) from None
        if self.progress:
            self.progress(self.rows, STREAM_SHARE)

    def _take(self, item: ParsedItem) -> None:
        key = (item.institution, item.exam_no)
        state = self.reports.get(key)
        if state is None:
            state = ReportState(None, None, item.sex, age_on(item.birth_date, item.exam_date))
            self.reports[key] = state
            self.pending_reports.add(key)
        grade = self.rules.grade(
            item.code, item.value_num, sex=state.sex, age=state.age, flag=item.flag, ref_low=item.ref_low, ref_high=item.ref_high
        )
        item_severity = grade.severity
        if item_severity:
            state.abnormal += 1
            state.findings.append((item_severity, self.items.get(item.code, {}).get("category") or f"item:{item.code}"))
        if item.further_exam:
            state.further_exam = True
        if item.conclusion and item.conclusion not in state.conclusion:
            state.conclusion = f"{state.conclusion}\n{item.conclusion}".strip()
        if item.recommendation and item.recommendation not in state.recommendation:
            state.recommendation = f"{state.recommendation}\n{item.recommendation}".strip()
        self.pending.append((item, grade))
        if len(self.pending_reports) >= CHUNK_REPORTS:
            self._flush()

    # -- writing -----------------------------------------------------------------------------
    def _flush(self) -> None:
        if not self.pending:
            return
        first_rows: dict[tuple[str, str], ParsedItem] = {}
        for item, _grade in self.pending:
            first_rows.setdefault((item.institution, item.exam_no), item)
        new_keys = [k for k in first_rows if self.reports[k].checkup_id is None]
        if new_keys:
            self._create_checkups(new_keys, first_rows)
            if self.error_count:
                return
        category = {code: spec.get("category", "") for code, spec in self.items.items()}
        rows = []
        checkup_ids: set[int] = set()
        for item, grade in self.pending:
            checkup_id = self.reports[(item.institution, item.exam_no)].checkup_id
            assert checkup_id is not None  # created by _create_checkups above
            checkup_ids.add(checkup_id)
            rows.append((
                checkup_id, item.code, item.item_name[:100], item.value_text, item.value_num, item.unit[:32],
                item.reference_range, item.ref_low, item.ref_high, item.flag, grade.severity, grade.finding[:100],
                category.get(item.code, ""), item.further_exam, item.row,
            ))
        insert_items(rows)
        self.batch.items_created += len(rows)
        if any(row[10] == "critical" for row in rows):
            self.critical_items.extend(
                ResultItem.objects.filter(checkup_id__in=checkup_ids, severity="critical").order_by("pk").values_list("pk", flat=True)
            )
        self.pending = []
        self.pending_reports = set()

    def _create_checkups(self, keys: list[tuple[str, str]], first_rows: dict[tuple[str, str], ParsedItem]) -> None:
        by_exam: dict[str, list[str]] = {}
        for institution, exam_no in keys:
            by_exam.setdefault(institution, []).append(exam_no)
        for institution, numbers in by_exam.items():
            taken = Checkup.objects.filter(institution=institution, exam_no__in=numbers).values_list("exam_no", "batch_id")
            for exam_no, batch_id in taken:
                row = first_rows[(institution, exam_no)]
                self._add_errors([
                    RowError(
                        self.batch.file_name, row.row, self.exam_column,
                        reason(_("checkup %(n)s was already imported (batch %(b)s)"), n=exam_no, b=batch_id or "-"),
                    )
                ])
        if self.error_count:
            return
        clients = self._clients_for([first_rows[k] for k in keys])
        if self.error_count:
            return
        checkups = []
        for key in keys:
            row = first_rows[key]
            checkups.append(
                Checkup(
                    client_id=clients[row.id_number],
                    exam_no=row.exam_no,
                    institution=row.institution,
                    date=row.exam_date,
                    package_id=self.packages.get(row.package),
                    batch=self.batch,
                    results_at=self.results_at,
                )
            )
        Checkup.objects.bulk_create(checkups, batch_size=1000)
        for key, checkup in zip(keys, checkups, strict=True):
            state = self.reports[key]
            state.checkup_id = checkup.pk
            state.client_id = checkup.client_id
        self.batch.reports_created += len(checkups)

    def _column(self, name: str) -> str:
        return self.columns.get(name, name)

    def _clients_for(self, rows: list[ParsedItem]) -> dict[str, int]:
        """Client id per ID number: existing ones matched by the keyed hash, new ones created in the batch's branch.

        An ID number that belongs to a client outside the importer's part of the organisation, or to a
        client whose name differs from the row's, is an error, never a silent merge; so is a client
        who withdrew consent to the processing of health data (SEC-4).
        """
        wanted = {row.id_number: row for row in rows}
        hashes = {id_number_index(number): number for number in wanted}
        found: dict[str, int] = {}
        errors: list[RowError] = []
        matched = Client.objects.filter(id_number_hash__in=list(hashes)).values_list("id_number_hash", "pk", "branch_id", "name")
        for digest, pk, branch_id, name in matched:
            number = hashes[digest]
            row = wanted[number]
            if self.scope_unit_ids is not None and branch_id not in self.scope_unit_ids:
                errors.append(RowError(self.batch.file_name, row.row, self._column("id_number"), _(
                    "this ID number belongs to a client of another branch; the results cannot be attached here")))
            elif name.strip() != row.name.strip():
                errors.append(RowError(self.batch.file_name, row.row, self._column("name"), reason(
                    _("the name %(file)s differs from the name on record for this ID number; check the row"),
                    file=row.name)))
            found[number] = pk
        if found:
            withdrawn = health_consent_withdrawn(list(found.values()))
            for number, pk in found.items():
                if pk in withdrawn:
                    errors.append(RowError(self.batch.file_name, wanted[number].row, self._column("id_number"), _(
                        "this client withdrew consent to the processing of health data; the import is refused")))
        if errors:
            errors.sort(key=lambda e: e.row or 0)
            self._add_errors(errors)
            return found
        fresh = [
            Client(
                name=row.name,
                sex=row.sex,
                birth_date=row.birth_date,
                id_number=number,
                id_number_hash=id_number_index(number),
                branch=self.branch,
            )
            for number, row in wanted.items()
            if number not in found
        ]
        if fresh:
            Client.objects.bulk_create(fresh, batch_size=500)
            self.batch.clients_created += len(fresh)
            for client in fresh:
                found[client.id_number] = client.pk
                self.new_client_ids.add(client.pk)
        return found

    def _finish_reports(self) -> None:
        """Health status, worst severity and texts of every report of the file."""
        rows = [
            (
                derive_health_status(state.findings), worst(s for s, _c in state.findings), state.abnormal,
                state.further_exam, state.conclusion, state.recommendation, state.checkup_id,
            )
            for state in self.reports.values()
        ]
        table = connection.ops.quote_name(Checkup._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET health_status = %s, worst_severity = %s, abnormal_count = %s, "  # noqa: S608
                "needs_further_exam = %s, conclusions = %s, recommendations = %s WHERE id = %s",
                rows,
            )

    def checkup_ids(self) -> list[int]:
        return [s.checkup_id for s in self.reports.values() if s.checkup_id is not None]
