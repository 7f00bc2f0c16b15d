"""Elderly TCM constitution identification (老年人中医药健康管理服务记录表, 33 items).

Scoring per 附件2 体质判定标准表 of the 国家基本公共卫生服务规范（第三版）: raw sums of 4 items for
the eight biased types (>= 11 是, 9-10 倾向是, <= 8 否); 平和质 sums items 1, 2, 4, 5, 13 with
2, 4, 5, 13 reversed (>= 17 and all others <= 8 是; >= 17 and all others <= 10 基本是).
Questionnaire, rules and guidance are data (data/tcm_elderly_33.json, data/tcm_guidance.json).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from .common import band_for, load_data

ITEM_COUNT = 33


class AnswersError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.errors = {"answers": message}


@dataclass
class TypeResult:
    code: str
    name: str
    score: int
    result: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ConstitutionResult:
    types: list[TypeResult]
    primary: str | None
    mixed: list[str] = field(default_factory=list)
    contradictions: list[list[str]] = field(default_factory=list)
    tie: list[str] = field(default_factory=list)
    needs_recheck: bool = False
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "types": [t.as_dict() for t in self.types],
            "primary": self.primary,
            "mixed": self.mixed,
            "contradictions": self.contradictions,
            "tie": self.tie,
            "needs_recheck": self.needs_recheck,
            "notes": self.notes,
        }


def validate_answers(answers: Any) -> list[int]:
    if not isinstance(answers, list) or len(answers) != ITEM_COUNT:
        raise AnswersError(_("Give exactly 33 answers."))
    for index, answer in enumerate(answers, start=1):
        if isinstance(answer, bool) or not isinstance(answer, int) or not 1 <= answer <= 5:
            raise AnswersError(_("Answer %(n)s must be a whole number from 1 to 5.") % {"n": index})
    return list(answers)


def type_scores(answers: list[int]) -> dict[str, int]:
    data = load_data("tcm_elderly_33")
    scores = {}
    for t in data["types"]:
        reversed_items = set(t.get("reversed", []))
        scores[t["code"]] = sum(
            (6 - answers[i - 1]) if i in reversed_items else answers[i - 1] for i in t["items"]
        )
    return scores


def identify(answers: Any, *, lang: str = "zh") -> ConstitutionResult:
    answers = validate_answers(answers)
    data = load_data("tcm_elderly_33")
    rules = data["rules"]
    scores = type_scores(answers)
    biased = [t for t in data["types"] if t["code"] != "pinghe"]
    others_max = max(scores[t["code"]] for t in biased)

    results: dict[str, str] = {}
    for t in biased:
        s = scores[t["code"]]
        results[t["code"]] = (
            "yes"
            if s >= rules["biased"]["yes_from"]
            else "tendency"
            if s >= rules["biased"]["tendency_from"]
            else "no"
        )
    p = rules["pinghe"]
    if scores["pinghe"] >= p["score_from"] and others_max <= p["yes_if_others_at_most"]:
        results["pinghe"] = "yes"
    elif scores["pinghe"] >= p["score_from"] and others_max <= p["basically_if_others_at_most"]:
        results["pinghe"] = "basically"
    else:
        results["pinghe"] = "no"

    name_key = "name_en" if lang.startswith("en") else "name_zh"
    types = [TypeResult(t["code"], t[name_key], scores[t["code"]], results[t["code"]]) for t in data["types"]]
    out = ConstitutionResult(types=types, primary=None)
    notes = data["notes_zh"]

    if results["pinghe"] in ("yes", "basically"):
        out.primary = "pinghe"
        out.mixed = [t.code for t in types if t.code != "pinghe" and t.result != "no"]
    else:
        positive = [t for t in types if t.code != "pinghe" and t.result != "no"]
        if positive:
            top = max(t.score for t in positive)
            leaders = [t.code for t in positive if t.score == top]
            if len(leaders) == 1:
                out.primary = leaders[0]
            else:
                out.tie = leaders
                out.notes.append(notes["tie"])
            out.mixed = [t.code for t in positive if t.code != out.primary]
            if out.mixed:
                out.notes.append(notes["mixed"])
        else:
            out.needs_recheck = True
            out.notes.append(notes["none"])

    positive_codes = {c for c, r in results.items() if r in ("yes", "tendency")}
    for pair in data["contradictory_pairs"]:
        if set(pair) <= positive_codes:
            out.contradictions.append(list(pair))
    if out.contradictions:
        out.needs_recheck = True
        out.notes.append(notes["contradiction"])
    return out


def anchor_answer(item_number: int, value: float) -> int:
    """Answer of items 9 (BMI) and 28 (waist, cm) from the measured value, per the form's anchors."""
    item = load_data("tcm_elderly_33")["items"][item_number - 1]
    anchors = item.get("anchors", {})
    if "bands" not in anchors:
        raise ValueError(f"item {item_number} has no measured anchors")
    return int(band_for(value, anchors["bands"])["value"])


def guidance(code: str) -> dict[str, Any]:
    """The standard guidance (five sections) for one constitution."""
    return load_data("tcm_guidance")["types"][code]
