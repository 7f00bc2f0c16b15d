"""PLCOm2012 6-year lung-cancer risk for ever-smokers (Tammemägi MC et al., NEJM 2013;368:728-736).

Logistic model; betas and centring from the paper's Table 2 (data/plcom2012.json). The race
term defaults to Asian for our clients unless `race` says otherwise. High risk at >= 1.51%.
"""

from __future__ import annotations

import math
from typing import Any

from .common import ModelResult, category_for, load_data, pick_name, round_half_up
from .inputs import effective_bmi


def logit(inputs: dict[str, Any]) -> float:
    """Linear predictor (inputs complete; `bmi` resolved; `race` set)."""
    d = load_data("plcom2012")
    current = inputs["smoking"] == "current"
    quit_years = 0.0 if current else float(inputs["years_since_quit"])
    return (
        d["constant"]
        + d["age"]["beta"] * (inputs["age"] - d["age"]["centre"])
        + d["race"][inputs["race"]]
        + d["education"]["beta"] * (inputs["education_level"] - d["education"]["centre"])
        + d["bmi"]["beta"] * (inputs["bmi"] - d["bmi"]["centre"])
        + d["copd"] * (1 if inputs["copd"] else 0)
        + d["personal_cancer_history"] * (1 if inputs["personal_cancer_history"] else 0)
        + d["family_history_lung_cancer"] * (1 if inputs["family_history_lung_cancer"] else 0)
        + d["current_smoker"] * (1 if current else 0)
        + d["intensity"]["beta"] * ((inputs["cigarettes_per_day"] / 10) ** -1 - d["intensity"]["centre"])
        + d["duration"]["beta"] * (inputs["smoking_years"] - d["duration"]["centre"])
        + d["quit_years"]["beta"] * (quit_years - d["quit_years"]["centre"])
    )


def probability(inputs: dict[str, Any]) -> float:
    """Unrounded 6-year probability (0-1)."""
    z = logit(inputs)
    return 1.0 / (1.0 + math.exp(-z))


def assess(inputs: dict[str, Any], *, lang: str = "zh") -> ModelResult:
    data = load_data("plcom2012")
    en = lang.startswith("en")
    result = ModelResult(
        code=data["code"],
        name=pick_name(data, lang),
        source=data["source"],
        value=None,
        unit=data["unit"],
        category=None,
    )
    if inputs.get("smoking") is None:
        result.missing = ["smoking"]
        return result
    if inputs["smoking"] == "never":
        result.applicable = False
        result.notes.append("模型仅适用于曾经或现在吸烟者" if not en else "defined for ever-smokers only")
        return result
    resolved = dict(inputs, bmi=effective_bmi(inputs), race=inputs.get("race") or data["default_race"])
    needed = [
        "age",
        "education_level",
        "bmi",
        "copd",
        "personal_cancer_history",
        "family_history_lung_cancer",
        "cigarettes_per_day",
        "smoking_years",
    ]
    if inputs["smoking"] == "former":
        needed.append("years_since_quit")
    result.missing = [n for n in needed if resolved.get(n) is None]
    if result.missing:
        return result
    if resolved["cigarettes_per_day"] <= 0:
        result.applicable = False
        result.notes.append("吸烟量须大于 0 支/天" if not en else "cigarettes per day must be above 0")
        return result
    low, high = data["age_range_derivation"]
    if not low <= resolved["age"] <= high:
        result.notes.append(
            "模型由 55～74 岁人群推导，超出此年龄范围为外推结果"
            if not en
            else "the model was derived at ages 55-74; this age is extrapolated"
        )
    if inputs.get("race") is None:
        result.notes.append("种族项按亚裔计算" if not en else "race term: Asian (default)")
    prob = probability(resolved)
    result.value = round_half_up(prob * 100, 2)
    cat = category_for(result.value, data["categories"])
    result.category = cat["code"]
    result.category_label = pick_name(cat, lang, "label")
    result.detail = {"probability_unrounded": prob, "race": resolved["race"]}
    return result
