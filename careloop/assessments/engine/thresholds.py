"""Guideline thresholds for checkup values (BMI, waist, blood pressure, glucose, lipids, uric acid).

Bands and their sources live in data/thresholds.json. Each item reports its band, whether it is
abnormal, and which input is missing when it cannot be judged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .common import band_for, load_data, pick_name, round_half_up
from .inputs import effective_bmi


@dataclass
class Finding:
    code: str
    name: str
    value: float | None
    unit: str
    category: str | None
    label: str
    abnormal: bool | None
    source: str
    missing: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _value_of(item: dict[str, Any], inputs: dict[str, Any]) -> tuple[float | None, list[str]]:
    if item["code"] == "bmi":
        bmi = effective_bmi(inputs)
        return (None, ["bmi"]) if bmi is None else (round_half_up(bmi, 1), [])
    if item["code"] == "non_hdl":
        tc, hdl = inputs.get("total_cholesterol_mmol"), inputs.get("hdl_mmol")
        missing = [n for n, v in (("total_cholesterol_mmol", tc), ("hdl_mmol", hdl)) if v is None]
        if tc is None or hdl is None:
            return None, missing
        return round_half_up(float(tc) - float(hdl), 2), []
    value = inputs.get(item["input"])
    return (None, [item["input"]]) if value is None else (float(value), [])


def evaluate(inputs: dict[str, Any], *, lang: str = "zh") -> list[Finding]:
    findings = []
    for item in load_data("thresholds")["items"]:
        value, missing = _value_of(item, inputs)
        bands = item.get("bands")
        if item.get("by_sex"):
            if inputs.get("sex") is None:
                missing = [*missing, "sex"]
            else:
                bands = item[f"bands_{inputs['sex']}"]
        finding = Finding(
            code=item["code"],
            name=pick_name(item, lang),
            value=value,
            unit=item["unit"],
            category=None,
            label="",
            abnormal=None,
            source=item["source"],
            missing=missing,
        )
        if not missing and value is not None and bands:
            band = band_for(value, bands)
            finding.category = band["code"]
            finding.label = pick_name(band, lang, "label")
            finding.abnormal = bool(band["abnormal"])
        findings.append(finding)
    return findings


def blood_pressure_grade(findings: list[Finding]) -> tuple[str | None, bool]:
    """Combined BP category (the higher of SBP/DBP) and whether it is isolated systolic hypertension."""
    by_code = {f.code: f for f in findings}
    sbp, dbp = by_code["sbp"], by_code["dbp"]
    if sbp.category is None or dbp.category is None:
        return None, False
    items = {i["code"]: i for i in load_data("thresholds")["items"]}
    grade = {b["code"]: b["grade"] for b in items["sbp"]["bands"]}
    combined = sbp.category if grade[sbp.category] >= grade[dbp.category] else dbp.category
    isolated = grade[sbp.category] >= grade["grade_1"] and grade[dbp.category] < grade["grade_1"]
    return combined, isolated
