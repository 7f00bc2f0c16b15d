"""Chinese Diabetes Risk Score (Zhou X et al., Diabetes Care 2013;36:3944-3952).

A points table (data/cdrs.json) over age, BMI, waist, SBP, family history of diabetes and sex;
total 0-51, high risk at >= 25 (OGTT advised). For adults 20-74 without known diabetes.
"""

from __future__ import annotations

from typing import Any

from .common import ModelResult, category_for, load_data, pick_name
from .inputs import effective_bmi

REQUIRED = ["age", "sex", "bmi", "waist_cm", "sbp", "family_history_diabetes"]


def _points(value: float, table: list[list[float]]) -> int:
    points = 0
    for lower, pts in table:
        if value >= lower:
            points = int(pts)
    return points


def score(inputs: dict[str, Any]) -> tuple[int, dict[str, int]]:
    """Total points and the points of each item (inputs complete; bmi already resolved)."""
    table = load_data("cdrs")["points"]
    parts = {
        "age": _points(int(inputs["age"]), table["age"]),
        "bmi": _points(inputs["bmi"], table["bmi"]),
        "waist_cm": _points(inputs["waist_cm"], table[f"waist_{inputs['sex']}"]),
        "sbp": _points(inputs["sbp"], table["sbp"]),
        "family_history_diabetes": table["family_history_diabetes"][
            "true" if inputs["family_history_diabetes"] else "false"
        ],
        "sex": table["sex"][inputs["sex"]],
    }
    return sum(parts.values()), parts


def assess(inputs: dict[str, Any], *, lang: str = "zh") -> ModelResult:
    data = load_data("cdrs")
    en = lang.startswith("en")
    result = ModelResult(
        code=data["code"],
        name=pick_name(data, lang),
        source=data["source"],
        value=None,
        unit=data["unit"] if en else data["unit_zh"],
        category=None,
    )
    resolved = dict(inputs, bmi=effective_bmi(inputs))
    result.missing = [n for n in REQUIRED if resolved.get(n) is None]
    if result.missing:
        return result
    if inputs.get("diabetes"):
        result.applicable = False
        result.notes.append("已诊断糖尿病者不适用" if not en else "not for people with known diabetes")
        return result
    low, high = data["age_range"]
    if not low <= int(resolved["age"]) <= high:
        result.applicable = False
        result.notes.append("适用年龄 20～74 岁" if not en else "applies to ages 20-74")
        return result
    total, parts = score(resolved)
    result.value = float(total)
    cat = category_for(total, data["categories"])
    result.category = cat["code"]
    result.category_label = pick_name(cat, lang, "label")
    result.detail = {"points": parts}
    return result
