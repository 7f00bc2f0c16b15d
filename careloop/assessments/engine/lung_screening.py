"""Chinese lung-cancer screening high-risk criteria (中国肺癌筛查与早诊早治指南, 2021).

High risk = age 50-74 and at least one of: >= 30 pack-years (former smokers: quit < 15 years ago);
passive smoking > 20 years; COPD; occupational exposure >= 1 year; a first-degree relative with
lung cancer. A criterion that cannot be decided names its missing inputs; the result is only
"not high risk" when every criterion is known to be unmet.
"""

from __future__ import annotations

from typing import Any

from .common import ModelResult, load_data, pick_name


def _pack_years(inputs: dict[str, Any], d: dict[str, Any]) -> tuple[bool | None, list[str]]:
    smoking = inputs.get("smoking")
    if smoking is None:
        return None, ["smoking"]
    if smoking == "never":
        return False, []
    needed = ["cigarettes_per_day", "smoking_years"] + (["years_since_quit"] if smoking == "former" else [])
    missing = [n for n in needed if inputs.get(n) is None]
    if missing:
        return None, missing
    pack_years = inputs["cigarettes_per_day"] / d["cigarettes_per_pack"] * inputs["smoking_years"]
    if pack_years < d["pack_years_from"]:
        return False, []
    if smoking == "former" and inputs["years_since_quit"] >= d["quit_years_below"]:
        return False, []
    return True, []


def criteria_status(inputs: dict[str, Any]) -> dict[str, tuple[bool | None, list[str]]]:
    d = load_data("lung_screening_cn")

    def flag(name: str, test: Any) -> tuple[bool | None, list[str]]:
        value = inputs.get(name)
        return (None, [name]) if value is None else (bool(test(value)), [])

    return {
        "pack_years": _pack_years(inputs, d),
        "passive_smoking": flag("passive_smoking_years", lambda v: v > d["passive_smoking_years_above"]),
        "copd": flag("copd", bool),
        "occupational_exposure": flag(
            "occupational_exposure_years", lambda v: v >= d["occupational_exposure_years_from"]
        ),
        "family_history": flag("family_history_lung_cancer", bool),
    }


def assess(inputs: dict[str, Any], *, lang: str = "zh") -> ModelResult:
    d = load_data("lung_screening_cn")
    en = lang.startswith("en")
    result = ModelResult(
        code=d["code"], name=pick_name(d, lang), source=d["source"], value=None, unit="", category=None
    )
    if inputs.get("age") is None:
        result.missing = ["age"]
        return result
    low, high = d["age_range"]
    labels = {c["code"]: pick_name(c, lang, "label") for c in d["criteria"]}
    if not low <= inputs["age"] <= high:
        result.category = "low"
        result.category_label = "不在筛查年龄 50～74 岁" if not en else "outside the screening age 50-74"
        return result
    status = criteria_status(inputs)
    met = [code for code, (ok, _missing) in status.items() if ok]
    unknown = {code: missing for code, (ok, missing) in status.items() if ok is None}
    result.detail = {"criteria_met": [labels[c] for c in met], "criteria_met_codes": met}
    if met:
        result.category = "high"
        result.category_label = (
            "肺癌高风险人群，建议低剂量螺旋CT筛查" if not en else "high-risk group: LDCT screening advised"
        )
        return result
    if unknown:
        result.missing = sorted({m for names in unknown.values() for m in names})
        return result
    result.category = "low"
    result.category_label = "不符合高风险人群标准" if not en else "does not meet the high-risk criteria"
    return result
