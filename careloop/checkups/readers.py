"""Streaming readers for checkup results files: CSV, XLSX and FHIR R4 bundles.

Each reader yields :class:`SourceRow` objects keyed by the canonical field names of
:mod:`careloop.checkups.layout`, one per result item, numbered as the spreadsheet numbers them
(header = row 1). CSV and XLSX are read row by row, never loaded whole, so memory stays flat in
the size of the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from careloop.checkups.layout import ALL_FIELDS, REQUIRED_FIELDS, default_mapping

SNIFF_BYTES = 64 * 1024


class Reason:
    """A translatable reason, rendered in the language active when it is turned into text."""

    __slots__ = ("_render",)

    def __init__(self, render: Callable[[], object]) -> None:
        self._render = render

    def __str__(self) -> str:
        return str(self._render())

    def __repr__(self) -> str:
        return f"Reason({self!s})"


def reason(message: Any, **params: object) -> Reason:
    """``message`` (lazy) with ``%(name)s`` placeholders, interpolated late."""
    return Reason(lambda: str(message) % params if params else message)


LANGS = ("zh-hans", "en")


@dataclass(frozen=True)
class RowError:
    """One problem in a results file: where it is and why (``reason`` is translatable)."""

    file: str
    row: int | None
    column: str
    reason: Any

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "row": self.row, "column": self.column, "reason": str(self.reason)}

    def as_stored(self) -> dict[str, Any]:
        """Kept on the import batch: the reason in every UI language."""
        texts = {}
        for lang in LANGS:
            with translation.override(lang):
                texts[lang] = str(self.reason)
        return {"file": self.file, "row": self.row, "column": self.column, "reason": texts}

    def __str__(self) -> str:
        if self.row is None:
            return str(_("%(file)s: %(reason)s")) % {"file": self.file, "reason": self.reason}
        return str(_("%(file)s, row %(row)s, column %(column)s: %(reason)s")) % {
            "file": self.file,
            "row": self.row,
            "column": self.column or "-",
            "reason": self.reason,
        }


class ResultsFileError(Exception):
    """The file as a whole cannot be read (wrong format, missing columns, broken encoding)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class SourceRow:
    number: int
    fields: dict[str, str]
    columns: dict[str, str] = field(repr=False)


def file_fingerprint(path: str | os.PathLike[str]) -> str:
    """SHA-256 of the file's bytes: the same file imported twice is recognised."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _norm_header(value: object) -> str:
    return str(value or "").replace("\ufeff", "").replace("\u3000", " ").strip()


def cell_text(value: object) -> str:
    """A spreadsheet cell as text: dates as ISO, integral floats without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0, 0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value).strip()


def detect_format(path: str | os.PathLike[str]) -> str:
    """``csv``, ``xlsx`` or ``fhir`` from the content (and the name when the content is ambiguous)."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return "fhir"
    return "csv"


def detect_csv_encoding(path: str | os.PathLike[str]) -> str:
    """UTF-8 (with or without BOM) when the first 64 KiB decode as UTF-8, else GB18030."""
    with open(path, "rb") as fh:
        sample = fh.read(SNIFF_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sample's end is not evidence against UTF-8.
        if exc.start < len(sample) - 3 or len(sample) < SNIFF_BYTES:
            return "gb18030"
    return "utf-8"


class TableReader:
    """Rows of a CSV or XLSX results file, mapped to canonical fields.

    ``mapping`` is canonical field → header in the file; ``None`` means CONTRACT's default layout.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        fmt: str,
        mapping: dict[str, str] | None = None,
        file_name: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.fmt = fmt
        self.file_name = file_name or self.path.name
        self.mapping = {k: v for k, v in (mapping or default_mapping()).items() if k in ALL_FIELDS and v}
        self.size = self.path.stat().st_size
        self._position = 0
        self.total_rows: int | None = None
        self.header: list[str] = []
        self.columns: dict[str, str] = {}
        self._indexes: dict[str, int] = {}

    # -- raw cells ---------------------------------------------------------------------------
    def _raw_rows(self) -> Generator[list[str], None, None]:
        if self.fmt == "xlsx":
            yield from self._xlsx_rows()
        else:
            yield from self._csv_rows()

    def _csv_rows(self) -> Iterator[list[str]]:
        encoding = detect_csv_encoding(self.path)
        with open(self.path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding=encoding, newline="")
            reader = csv.reader(text)
            number = 0
            try:
                for number, cells in enumerate(reader, start=1):
                    if number % 512 == 0:
                        self._position = raw.tell()
                    yield cells
            except UnicodeDecodeError:
                raise ResultsFileError(
                    [RowError(self.file_name, number + 1, "", _("the file is neither UTF-8 nor GB18030 text"))]
                ) from None
            except csv.Error as exc:
                raise ResultsFileError(
                    [RowError(self.file_name, number + 1, "", reason(_("not a valid CSV row (%(e)s)"), e=exc))]
                ) from None
        self._position = self.size

    def _xlsx_rows(self) -> Iterator[list[str]]:
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError):
            raise ResultsFileError(
                [RowError(self.file_name, None, "", _("not a readable XLSX workbook"))]
            ) from None
        try:
            sheet = workbook.worksheets[0]
            self.total_rows = sheet.max_row
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                if number % 512 == 0 and self.total_rows:
                    self._position = int(self.size * min(1.0, number / self.total_rows))
                yield [cell_text(v) for v in values]
        finally:
            workbook.close()
        self._position = self.size

    # -- mapped rows -------------------------------------------------------------------------
    def _bind_header(self, header: list[str]) -> None:
        self.header = [_norm_header(h) for h in header]
        positions = {}
        for i, name in enumerate(self.header):
            if name and name not in positions:
                positions[name] = i
        errors = []
        for canonical, wanted in self.mapping.items():
            index = positions.get(_norm_header(wanted))
            if index is None:
                if canonical in REQUIRED_FIELDS:
                    errors.append(
                        RowError(self.file_name, 1, wanted, reason(_("required column %(c)s is missing"), c=wanted))
                    )
                continue
            self._indexes[canonical] = index
            self.columns[canonical] = self.header[index]
        missing_required = [f for f in REQUIRED_FIELDS if f not in self.mapping]
        for canonical in missing_required:
            errors.append(
                RowError(self.file_name, 1, canonical, reason(_("the column mapping does not say where %(f)s is"), f=canonical))
            )
        if errors:
            raise ResultsFileError(errors)

    def rows(self) -> Iterator[SourceRow]:
        raw = self._raw_rows()
        header = next(raw, None)
        if header is None:
            raise ResultsFileError([RowError(self.file_name, None, "", _("the file is empty"))])
        self._bind_header(header)
        indexes = list(self._indexes.items())
        columns = self.columns
        for number, cells in enumerate(raw, start=2):
            width = len(cells)
            values = {name: (cells[i].strip() if i < width and cells[i] else "") for name, i in indexes}
            if not any(values.values()):
                continue  # a blank line is not a row
            yield SourceRow(number, values, columns)

    def preview(self, limit: int = 5) -> tuple[list[str], list[list[str]]]:
        """The header and the first ``limit`` data rows as they are in the file."""
        raw = self._raw_rows()
        header = [_norm_header(h) for h in next(raw, [])]
        sample: list[list[str]] = []
        for cells in raw:
            if len(sample) >= limit:
                break
            if any(cells):
                sample.append(list(cells))
        raw.close()
        return header, sample

    def progress(self) -> float:
        return 0.0 if not self.size else min(1.0, self._position / self.size)


# --- FHIR R4 ------------------------------------------------------------------------------------
# Resident ID identifiers: the national OID for 居民身份证, or an identifier typed NNCHN/NI.
ID_NUMBER_SYSTEMS = frozenset({"urn:oid:2.16.156.10011.1.3", "http://www.nhc.gov.cn/resident-id"})
FHIR_INTERPRETATION = {"H": "H", "L": "L", "HH": "HH", "LL": "LL", "A": "A", "AA": "AA", "N": "", "HU": "HH", "LU": "LL"}
FHIR_GENDER = {"male": "male", "female": "female"}


def _coding_code(concept: dict[str, Any] | None) -> tuple[str, str]:
    if not concept:
        return "", ""
    for coding in concept.get("coding") or []:
        if coding.get("code"):
            return str(coding["code"]), str(coding.get("display") or concept.get("text") or "")
    return "", str(concept.get("text") or "")


def _quantity_text(q: dict[str, Any] | None) -> str:
    if not q or q.get("value") is None:
        return ""
    return cell_text(q["value"])


class FhirBundleReader:
    """Rows from a FHIR R4 Bundle of Patient, DiagnosticReport and Observation resources.

    Row numbers are entry numbers (1-based) of the Observation in the bundle; columns are FHIR
    element paths. A bundle is JSON, so it is parsed whole (unlike CSV/XLSX).
    """

    fmt = "fhir"

    def __init__(self, path: str | os.PathLike[str], *, file_name: str | None = None, **_ignored: object) -> None:
        self.path = Path(path)
        self.file_name = file_name or self.path.name
        self.total_rows: int | None = None
        self._done = 0

    def _fail(self, entry: int | None, column: str, reason: Any) -> ResultsFileError:
        return ResultsFileError([RowError(self.file_name, entry, column, reason)])

    def _load(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as fh:
                bundle = json.load(fh)
        except (ValueError, UnicodeDecodeError):
            raise self._fail(None, "", _("not valid JSON")) from None
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise self._fail(None, "resourceType", _("a FHIR Bundle is required"))
        entries = bundle.get("entry") or []
        if not isinstance(entries, list):
            raise self._fail(None, "entry", _("must be a list"))
        return entries

    def rows(self) -> Iterator[SourceRow]:
        entries = self._load()
        by_ref: dict[str, tuple[int, dict[str, Any]]] = {}
        for number, entry in enumerate(entries, start=1):
            resource = (entry or {}).get("resource") or {}
            kind, rid = resource.get("resourceType"), resource.get("id")
            for ref in filter(None, [entry.get("fullUrl"), f"{kind}/{rid}" if rid else None]):
                by_ref[ref] = (number, resource)
        self.total_rows = sum(1 for e in entries if ((e or {}).get("resource") or {}).get("resourceType") == "Observation")
        for number, entry in enumerate(entries, start=1):
            report = (entry or {}).get("resource") or {}
            if report.get("resourceType") != "DiagnosticReport":
                continue
            yield from self._report_rows(number, report, by_ref)

    def _patient_fields(self, number: int, report: dict[str, Any], by_ref: dict) -> dict[str, str]:
        ref = ((report.get("subject") or {}).get("reference")) or ""
        if ref not in by_ref:
            raise self._fail(number, "DiagnosticReport.subject", reason(_("the patient %(r)s is not in the bundle"), r=ref or "-"))
        patient = by_ref[ref][1]
        id_number = ""
        for ident in patient.get("identifier") or []:
            type_code, _unused = _coding_code(ident.get("type"))
            if ident.get("system") in ID_NUMBER_SYSTEMS or type_code in {"NNCHN", "NI"}:
                id_number = str(ident.get("value") or "")
                break
        names = patient.get("name") or [{}]
        name = names[0].get("text") or "".join(names[0].get("family", "") + "".join(names[0].get("given") or []))
        return {
            "id_number": id_number,
            "name": str(name or ""),
            "sex": FHIR_GENDER.get(str(patient.get("gender") or ""), str(patient.get("gender") or "")),
        }

    def _report_rows(self, number: int, report: dict[str, Any], by_ref: dict) -> Iterator[SourceRow]:
        person = self._patient_fields(number, report, by_ref)
        identifiers = report.get("identifier") or []
        exam_no = str((identifiers[0] if identifiers else {}).get("value") or report.get("id") or "")
        effective = str(report.get("effectiveDateTime") or (report.get("effectivePeriod") or {}).get("start") or "")
        conclusion = str(report.get("conclusion") or "")
        performer = (report.get("performer") or [{}])[0].get("display") or ""
        for result in report.get("result") or []:
            ref = (result or {}).get("reference") or ""
            if ref not in by_ref:
                raise self._fail(number, "DiagnosticReport.result", reason(_("the observation %(r)s is not in the bundle"), r=ref or "-"))
            obs_number, obs = by_ref[ref]
            code, display = _coding_code(obs.get("code"))
            quantity = obs.get("valueQuantity")
            if quantity is not None:
                value, unit = _quantity_text(quantity), str(quantity.get("unit") or quantity.get("code") or "")
                value_column = "Observation.valueQuantity.value"
            else:
                value = str(obs.get("valueString") or _coding_code(obs.get("valueCodeableConcept"))[1] or "")
                unit, value_column = "", "Observation.valueString"
            ranges = obs.get("referenceRange") or []
            reference = ""
            if ranges:
                low, high = _quantity_text(ranges[0].get("low")), _quantity_text(ranges[0].get("high"))
                reference = ranges[0].get("text") or (f"{low}-{high}" if low and high else (f"<{high}" if high else (f">{low}" if low else "")))
            flag_code, _display = _coding_code((obs.get("interpretation") or [None])[0])
            further = any(
                _coding_code(n)[0] == "further-exam" for n in (obs.get("extension") or []) if isinstance(n, dict)
            )
            fields = {
                "exam_no": exam_no,
                **person,
                "exam_date": (str(obs.get("effectiveDateTime") or "") or effective)[:10],
                "item_code": code,
                "item_name": display,
                "value": value,
                "unit": unit,
                "reference_range": str(reference),
                "flag": FHIR_INTERPRETATION.get(flag_code, flag_code),
                "institution": str(performer),
                "conclusion": conclusion,
                "further_exam": "1" if further else "",
            }
            columns = {
                "exam_no": "DiagnosticReport.identifier",
                "id_number": "Patient.identifier",
                "name": "Patient.name",
                "sex": "Patient.gender",
                "exam_date": "DiagnosticReport.effectiveDateTime",
                "item_code": "Observation.code",
                "item_name": "Observation.code.display",
                "value": value_column,
                "unit": "Observation.valueQuantity.unit",
                "reference_range": "Observation.referenceRange",
                "flag": "Observation.interpretation",
            }
            self._done += 1
            yield SourceRow(obs_number, fields, columns)

    def progress(self) -> float:
        return 0.0 if not self.total_rows else min(1.0, self._done / self.total_rows)


def open_results(
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    mapping: dict[str, str] | None = None,
    file_name: str | None = None,
) -> TableReader | FhirBundleReader:
    fmt = fmt or detect_format(path)
    if fmt == "fhir":
        return FhirBundleReader(path, file_name=file_name)
    return TableReader(path, fmt=fmt, mapping=mapping, file_name=file_name)
