"""China-PAR 10-year ASCVD risk (Yang X et al., Circulation 2016;134:1430-1440).

Sex-specific Cox equations; continuous variables are natural logs, TC and HDL-C in mg/dL
(mg/dL = mmol/L / 0.0259). Coefficients and the constant set in use live in data/china_par.json;
the printed women's baseline survival 0.99 is deliberately not used (see that file).
"""

from __future__ import annotations

import math
from typing import Any

from .common import ModelResult, category_for, load_data, pick_name, round_half_up

REQUIRED_BOTH = [
    "sex",
    "age",
    "sbp",
    "on_bp_treatment",
    "total_cholesterol_mmol",
    "hdl_mmol",
    "waist_cm",
    "smoking",
    "diabetes",
    "region",
]
REQUIRED_MALE = ["residence", "family_history_ascvd"]


def linear_sum(inputs: dict[str, Any], coef: dict[str, float]) -> float:
    """Σβx for one sex (inputs already complete)."""
    factor = load_data("china_par")["mg_dl_per_mmol_factor"]
    ln_age = math.log(inputs["age"])
    ln_sbp = math.log(inputs["sbp"])
    treated = bool(inputs["on_bp_treatment"])
    smoker = 1.0 if inputs["smoking"] == "current" else 0.0
    family = 1.0 if inputs.get("family_history_ascvd") else 0.0
    total = (
        coef["ln_age"] * ln_age
        + coef["ln_tc"] * math.log(inputs["total_cholesterol_mmol"] / factor)
        + coef["ln_hdl"] * math.log(inputs["hdl_mmol"] / factor)
        + coef["ln_waist"] * math.log(inputs["waist_cm"])
        + coef["smoker"] * smoker
        + coef["diabetes"] * (1.0 if inputs["diabetes"] else 0.0)
        + coef["north"] * (1.0 if inputs["region"] == "north" else 0.0)
        + coef["urban"] * (1.0 if inputs.get("residence") == "urban" else 0.0)
        + coef["family_history"] * family
        + coef["ln_age_x_smoker"] * ln_age * smoker
        + coef["ln_age_x_family_history"] * ln_age * family
    )
    if treated:
        total += coef["ln_treated_sbp"] * ln_sbp + coef["ln_age_x_ln_treated_sbp"] * ln_age * ln_sbp
    else:
        total += coef["ln_untreated_sbp"] * ln_sbp + coef["ln_age_x_ln_untreated_sbp"] * ln_age * ln_sbp
    return total


def ten_year_risk(inputs: dict[str, Any], constant_set: str | None = None) -> float:
    """Unrounded 10-year risk in percent."""
    data = load_data("china_par")
    cset = data["constant_sets"][constant_set or data["default_constant_set"]]
    coef = cset[inputs["sex"]]
    total = linear_sum(inputs, coef)
    if cset["form"] == "baseline_survival":
        risk = 1.0 - coef["s10"] ** math.exp(total - coef["mean"])
    else:
        risk = 1.0 - math.exp(-math.exp(total + coef["intercept"]))
    return risk * 100.0


def assess(inputs: dict[str, Any], *, lang: str = "zh", constant_set: str | None = None) -> ModelResult:
    data = load_data("china_par")
    result = ModelResult(
        code=data["code"],
        name=pick_name(data, lang),
        source=data["source"],
        value=None,
        unit=data["unit"],
        category=None,
        notes=[pick_name(data, lang, "footnote")],
    )
    needed = REQUIRED_BOTH + (REQUIRED_MALE if inputs.get("sex") != "female" else [])
    result.missing = [n for n in needed if inputs.get(n) is None]
    if result.missing:
        return result
    low, high = data["age_range_accepted"]
    if not low <= inputs["age"] <= high:
        result.applicable = False
        result.notes.append("适用年龄 20～85 岁" if not lang.startswith("en") else "applies to ages 20-85")
        return result
    d_low, d_high = data["age_range_derivation"]
    if not d_low <= inputs["age"] <= d_high:
        result.notes.append(
            "方程由 35～74 岁人群推导，超出此年龄范围为外推结果"
            if not lang.startswith("en")
            else "equations were derived at ages 35-74; this age is extrapolated"
        )
    raw = ten_year_risk(inputs, constant_set)
    result.value = round_half_up(raw, 1)
    cat = category_for(result.value, data["categories"])
    result.category = cat["code"]
    result.category_label = pick_name(cat, lang, "label")
    result.detail = {"risk_unrounded": raw, "constant_set": constant_set or data["default_constant_set"]}
    return result
