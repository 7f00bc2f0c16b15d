"""Validation of results rows: one :class:`SourceRow` in, a :class:`ParsedItem` or its errors out.

Pure (no database): the caller passes the item catalogue and whether unknown codes are errors.
Values repeated on every row of a report (ID number, date) are parsed once and cached.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from careloop.checkups.readers import Reason, RowError, SourceRow, reason
from careloop.lib.identity import IdentityError, parse_id_number

SEX_WORDS = {
    "男": "male", "male": "male", "m": "male", "1": "male", "男性": "male",
    "女": "female", "female": "female", "f": "female", "2": "female", "女性": "female",
}
FLAG_WORDS = {
    "": "", "n": "", "正常": "", "-": "", "normal": "",
    "h": "H", "↑": "H", "高": "H", "偏高": "H", "high": "H",
    "l": "L", "↓": "L", "低": "L", "偏低": "L", "low": "L",
    "hh": "HH", "↑↑": "HH", "危急高": "HH", "危急值高": "HH",
    "ll": "LL", "↓↓": "LL", "危急低": "LL", "危急值低": "LL",
    "a": "A", "异常": "A", "阳性": "A", "+": "A", "abnormal": "A",
    "aa": "AA", "危急": "AA", "危急值": "AA", "critical": "AA",
}
YES_WORDS = frozenset({"1", "是", "y", "yes", "true", "√", "需", "需要", "需复查", "需进一步检查"})
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")
_NUMBER = re.compile(r"^\s*([<>≤≥]=?)?\s*([-+]?\d+(?:\.\d+)?)\s*$")
_RANGE = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*(?:-|~|～|–|—|至|to)\s*([-+]?\d+(?:\.\d+)?)\s*$")
_BOUND = re.compile(r"^\s*(<=?|≤|>=?|≥)\s*([-+]?\d+(?:\.\d+)?)\s*$")
EARLIEST_CHECKUP = dt.date(1990, 1, 1)
CACHE_LIMIT = 4096


@dataclass(slots=True)
class ParsedItem:
    row: int
    exam_no: str
    id_number: str
    name: str
    sex: str
    birth_date: dt.date
    exam_date: dt.date
    code: str
    item_name: str
    value_text: str
    value_num: float | None
    unit: str
    reference_range: str
    ref_low: float | None
    ref_high: float | None
    flag: str
    further_exam: bool
    institution: str = ""
    package: str = ""
    conclusion: str = ""
    recommendation: str = ""


def parse_number(text: str) -> float | None:
    """``5.6``, ``<0.1`` and ``≥1000`` are numbers (the comparator is kept in the text)."""
    match = _NUMBER.match(text)
    return float(match.group(2)) if match else None


def parse_reference_range(text: str) -> tuple[float | None, float | None]:
    """``3.9-6.1`` → (3.9, 6.1); ``<5.2`` → (None, 5.2); ``>1.0`` → (1.0, None); words → (None, None)."""
    if not text:
        return None, None
    match = _RANGE.match(text)
    if match:
        return float(match.group(1)), float(match.group(2))
    match = _BOUND.match(text)
    if match:
        value = float(match.group(2))
        return (None, value) if match.group(1) in {"<", "<=", "≤"} else (value, None)
    return None, None


def parse_date(text: str) -> dt.date | None:
    text = text.strip()
    if " " in text:
        text = text.split(" ", 1)[0]
    if "T" in text:
        text = text.split("T", 1)[0]
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    return None


def _identity_reason(text: str, today: dt.date) -> object:
    """The ID number's problem, worded in the language active now."""
    try:
        parse_id_number(text, today=today)
    except IdentityError as exc:
        return exc.message
    return ""


class RowValidator:
    """Checks rows of one file. ``items`` maps known item codes to their catalogue entry."""

    def __init__(
        self,
        *,
        file_name: str,
        items: dict[str, dict[str, Any]],
        strict: bool,
        today: dt.date,
    ) -> None:
        self.file_name = file_name
        self.items = {code.upper(): spec for code, spec in items.items()}
        self.strict = strict
        self.today = today
        self._ids: dict[str, Any] = {}
        self._dates: dict[str, Any] = {}
        self._ranges: dict[str, tuple[float | None, float | None]] = {}
        self._reports: dict[str, tuple[str, dt.date]] = {}

    def _error(self, row: SourceRow, field: str, reason: Any) -> RowError:
        return RowError(self.file_name, row.number, row.columns.get(field, field), reason)

    def _id_number(self, text: str) -> Any:
        cached = self._ids.get(text)
        if cached is None:
            if len(self._ids) >= CACHE_LIMIT:
                self._ids.clear()  # rows of one report are together: a small cache is enough
            try:
                cached = parse_id_number(text, today=self.today)
            except IdentityError:
                today = self.today
                cached = Reason(lambda: _identity_reason(text, today))
            self._ids[text] = cached
        return cached

    def _date(self, text: str) -> Any:
        cached = self._dates.get(text)
        if cached is None:
            parsed = parse_date(text)
            if parsed is None:
                cached = reason(_("%(v)s is not a date (use YYYY-MM-DD)"), v=text)
            elif parsed > self.today:
                cached = reason(_("%(v)s is in the future"), v=parsed.isoformat())
            elif parsed < EARLIEST_CHECKUP:
                cached = reason(_("%(v)s is before 1990"), v=parsed.isoformat())
            else:
                cached = parsed
            self._dates[text] = cached
        return cached

    def validate(self, row: SourceRow) -> ParsedItem | list[RowError]:
        f = row.fields
        errors: list[RowError] = []
        for name in ("exam_no", "id_number", "name", "sex", "exam_date", "item_code", "value"):
            if not f.get(name):
                errors.append(self._error(row, name, _("is required")))
        if errors:
            return errors
        exam_no = f["exam_no"]
        if len(exam_no) > 64:
            errors.append(self._error(row, "exam_no", _("is longer than 64 characters")))
        resident = self._id_number(f["id_number"])
        if isinstance(resident, Reason):
            errors.append(self._error(row, "id_number", resident))
            resident = None
        name = f["name"]
        if len(name) > 50:
            errors.append(self._error(row, "name", _("is longer than 50 characters")))
        sex = SEX_WORDS.get(f["sex"].lower())
        if sex is None:
            errors.append(self._error(row, "sex", reason(_("%(v)s is not a sex (男/女)"), v=f["sex"])))
        elif resident is not None and resident.sex != sex:
            errors.append(self._error(row, "sex", _("does not agree with the ID number")))
        exam_date = self._date(f["exam_date"])
        if not isinstance(exam_date, dt.date):
            errors.append(self._error(row, "exam_date", exam_date))
            exam_date = None
        elif resident is not None and exam_date < resident.birth_date:
            errors.append(self._error(row, "exam_date", _("is before the birth date in the ID number")))
        code = f["item_code"].strip().upper()
        spec = self.items.get(code)
        if spec is None and self.strict:
            errors.append(self._error(row, "item_code", reason(_("unknown item code %(c)s"), c=code)))
        if len(code) > 32:
            errors.append(self._error(row, "item_code", _("is longer than 32 characters")))
        value_text = f["value"]
        value_num = parse_number(value_text)
        if value_num is None and spec is not None and spec.get("numeric"):
            errors.append(self._error(row, "value", reason(_("%(v)s is not a number"), v=value_text)))
        flag_text = f.get("flag", "")
        flag = FLAG_WORDS.get(flag_text.lower())
        if flag is None:
            errors.append(self._error(row, "flag", reason(_("%(v)s is not an abnormal flag (H, L, HH, LL, A, AA)"), v=flag_text)))
        reference = f.get("reference_range", "")
        if len(reference) > 100:
            errors.append(self._error(row, "reference_range", _("is longer than 100 characters")))
        bounds = self._ranges.get(reference)
        if bounds is None:
            bounds = self._ranges[reference] = parse_reference_range(reference)
        if exam_date is not None and resident is not None and not errors:
            seen = self._reports.setdefault(exam_no, (resident.number, exam_date))
            if seen[0] != resident.number:
                errors.append(self._error(row, "id_number", reason(_("differs from the earlier rows of checkup %(n)s"), n=exam_no)))
            elif seen[1] != exam_date:
                errors.append(self._error(row, "exam_date", reason(_("differs from the earlier rows of checkup %(n)s"), n=exam_no)))
        if errors:
            return errors
        assert resident is not None and exam_date is not None and sex is not None and flag is not None
        return ParsedItem(
            row=row.number,
            exam_no=exam_no,
            id_number=resident.number,
            name=name,
            sex=sex,
            birth_date=resident.birth_date,
            exam_date=exam_date,
            code=code,
            item_name=f.get("item_name") or (spec or {}).get("name", code),
            value_text=value_text,
            value_num=value_num,
            unit=f.get("unit") or (spec or {}).get("unit", ""),
            reference_range=reference,
            ref_low=bounds[0],
            ref_high=bounds[1],
            flag=flag,
            further_exam=f.get("further_exam", "").strip().lower() in YES_WORDS,
            institution=f.get("institution", "")[:100],
            package=f.get("package", ""),
            conclusion=f.get("conclusion", ""),
            recommendation=f.get("recommendation", ""),
        )
