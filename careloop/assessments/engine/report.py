"""Putting the models together: the CONTRACT response and the six sections of the report (ASM-2)."""

from __future__ import annotations

from typing import Any

from . import cdrs, china_par, lung_screening, plcom2012, thresholds
from .common import load_data

MODELS = (china_par, cdrs, plcom2012, lung_screening)


def assess_all(inputs: dict[str, Any], *, lang: str = "zh") -> dict[str, Any]:
    """CONTRACT shape: {"models": [...], "risk_factors": [...]} for normalised inputs."""
    return {
        "models": [m.assess(inputs, lang=lang).as_dict() for m in MODELS],
        "risk_factors": [f.as_dict() for f in thresholds.evaluate(inputs, lang=lang)],
    }


# ---- questionnaire -------------------------------------------------------------------------


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "eq":
        return bool(actual == expected)
    if op == "in":
        return actual in expected
    if op == "lt":
        return float(actual) < float(expected)
    if op == "gt":
        return float(actual) > float(expected)
    raise ValueError(f"unknown operator {op}")


def questionnaire_questions(questionnaire: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["code"]: q for s in questionnaire["sections"] for q in s["questions"]}


def questionnaire_answers_to_inputs(
    questionnaire: dict[str, Any], answers: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Assessment inputs the answers fill, and the lifestyle findings they trigger."""
    questions = questionnaire_questions(questionnaire)
    inputs = {
        questions[c]["input"]: v for c, v in answers.items() if c in questions and "input" in questions[c]
    }
    values = dict(answers)
    for derived in questionnaire.get("derived", []):
        parts = [values.get(p) for p in derived["product"]]
        if all(p is not None for p in parts):
            product = 1.0
            for part in parts:
                product *= float(part)  # type: ignore[arg-type]
            values[derived["code"]] = product
    found = []
    for rule in questionnaire.get("findings", []):
        actual = values.get(rule["question"])
        if actual is not None and _compare(rule["op"], actual, rule["value"]):
            found.append(rule["finding"])
    return inputs, found


def validate_questionnaire_answers(questionnaire: dict[str, Any], answers: Any) -> dict[str, str]:
    """Errors per question code (empty when fine)."""
    if not isinstance(answers, dict):
        return {"answers": "must be an object"}
    questions = questionnaire_questions(questionnaire)
    errors: dict[str, str] = {}
    for code, value in answers.items():
        q = questions.get(code)
        if q is None:
            errors[code] = "unknown question"
        elif value is None:
            continue
        elif q["type"] == "bool" and not isinstance(value, bool):
            errors[code] = "must be true or false"
        elif q["type"] == "choice" and value not in [o["value"] for o in q["options"]]:
            errors[code] = "not one of the options"
        elif q["type"] == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                errors[code] = "must be a number"
            elif not q.get("min", float("-inf")) <= value <= q.get("max", float("inf")):
                errors[code] = f"must be between {q.get('min')} and {q.get('max')}"
    return errors


# ---- findings and prescription ---------------------------------------------------------------


def finding_codes(result: dict[str, Any], lifestyle: list[str]) -> list[str]:
    """'item:category' codes for everything that deserves advice."""
    codes = []
    for rf in result["risk_factors"]:
        if rf["category"] and (rf["abnormal"] or rf["category"] == "high_normal"):
            codes.append(f"{rf['code']}:{rf['category']}")
    for m in result["models"]:
        if m["category"] in ("medium", "high"):
            codes.append(f"{m['code']}:{m['category']}")
    return codes + [c for c in lifestyle if c not in codes]


def prescription(findings: list[str], rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Advice items whose rule matches any finding, in rule order, each once."""
    present = set(findings)
    items = []
    for rule in sorted(rules, key=lambda r: (r.get("order", 0), r["code"])):
        matched = [f for f in rule["finding"] if f in present]
        if matched:
            items.append(
                {
                    "code": rule["code"],
                    "category": rule["category"],
                    "text": rule["text_zh"],
                    "because": matched,
                }
            )
    return items


def default_rules() -> list[dict[str, Any]]:
    return list(load_data("prescription_rules")["rules"])


# ---- the six sections ------------------------------------------------------------------------


def _by_code(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["code"]: i for i in items}


def _status(flags: list[bool | None]) -> str:
    if any(f is True for f in flags):
        return "present"
    if all(f is False for f in flags):
        return "absent"
    return "unknown"


def risk_factor_summary(inputs: dict[str, Any], result: dict[str, Any]) -> list[dict[str, Any]]:
    rf = _by_code(result["risk_factors"])

    def cat_in(code: str, cats: tuple[str, ...]) -> bool | None:
        c = rf[code]["category"]
        return None if c is None else c in cats

    hypertension = [
        cat_in("sbp", ("grade_1", "grade_2", "grade_3")),
        cat_in("dbp", ("grade_1", "grade_2", "grade_3")),
    ]
    if inputs.get("on_bp_treatment") is not None:
        hypertension.append(bool(inputs["on_bp_treatment"]))
    glucose = [cat_in("fasting_glucose", ("ifg", "diabetes_range")), cat_in("hba1c", ("diabetes_range",))]
    if inputs.get("diabetes") is not None:
        glucose.append(bool(inputs["diabetes"]))
    return [
        {"code": "obesity", "name": "肥胖/超重", "status": _status([cat_in("bmi", ("overweight", "obese"))])},
        {"code": "hypertension", "name": "高血压", "status": _status(hypertension)},
        {
            "code": "dyslipidaemia",
            "name": "血脂异常",
            "status": _status(
                [
                    cat_in("total_cholesterol", ("high",)),
                    cat_in("ldl", ("high",)),
                    cat_in("hdl", ("low",)),
                    cat_in("triglycerides", ("high",)),
                ]
            ),
        },
        {"code": "abnormal_glucose", "name": "血糖异常", "status": _status(glucose)},
        {
            "code": "large_waist",
            "name": "腰围过大",
            "status": _status([cat_in("waist", ("central_obesity",))]),
        },
    ]


IMPROVEMENT_TOPICS = [
    ("weight", "体质指数与腰围", ("bmi:", "waist:"), "BMI 18.5～23.9；腰围 男<85 cm、女<80 cm"),
    ("exercise", "运动量与频率", ("exercise:",), "每周≥5天、累计≥150分钟中等强度运动"),
    ("smoking", "吸烟", ("smoking:",), "不吸烟，避免二手烟"),
    ("alcohol", "饮酒", ("alcohol:",), "每天酒精≤15克，最好不饮酒"),
    ("blood_pressure", "血压", ("sbp:", "dbp:"), "<120/80 mmHg"),
    ("glucose", "血糖", ("fasting_glucose:", "hba1c:"), "空腹血糖<6.1 mmol/L"),
    ("lipids", "血脂（TC、HDL-C）", ("total_cholesterol:", "hdl:"), "TC<5.2 mmol/L；HDL-C≥1.0 mmol/L"),
    ("stress", "精神压力", ("stress:", "sleep:"), "压力适度，睡眠7～8小时"),
    ("diet", "膳食（谷物、水果、蔬菜、油、肉、盐）与烹调", ("diet:",), "膳食指南推荐量"),
]


def build_sections(
    inputs: dict[str, Any],
    provenance: dict[str, str],
    result: dict[str, Any],
    lifestyle: list[str],
    rules: list[dict[str, Any]],
) -> dict[str, Any]:
    """The six parts of the individual report (SPEC ASM-2)."""
    models = _by_code(result["models"])
    findings = finding_codes(result, lifestyle)
    info = [
        {"input": k, "value": v, "source": provenance.get(k, "")} for k, v in inputs.items() if v is not None
    ]
    improvement = [
        {
            "code": code,
            "name": name,
            "findings": [f for f in findings if f.startswith(prefixes)],
            "target": target,
        }
        for code, name, prefixes, target in IMPROVEMENT_TOPICS
    ]
    return {
        "personal_information": info,
        "risk_factors": {"summary": risk_factor_summary(inputs, result), "items": result["risk_factors"]},
        "chronic_disease_risk": [
            {"disease": "coronary_heart_disease", "name": "冠心病", "model": models["china_par"]},
            {"disease": "stroke", "name": "脑卒中", "model": models["china_par"]},
            {"disease": "diabetes", "name": "糖尿病", "model": models["cdrs"]},
        ],
        "improvement_points": improvement,
        "disease_risk": [
            {"disease": "coronary_heart_disease", "name": "冠心病", "models": [models["china_par"]]},
            {"disease": "diabetes", "name": "糖尿病", "models": [models["cdrs"]]},
            {"disease": "stroke", "name": "脑卒中", "models": [models["china_par"]]},
            {
                "disease": "lung_cancer",
                "name": "肺癌",
                "models": [models["plcom2012"], models["lung_screening_cn"]],
            },
        ],
        "prescription": prescription(findings, rules),
        "findings": findings,
    }
