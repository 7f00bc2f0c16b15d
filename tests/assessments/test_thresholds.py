"""Guideline thresholds: each boundary falls on the published side."""

import pytest

from careloop.assessments.engine import normalize_inputs, thresholds


def category(code, **kw):
    found = {f.code: f for f in thresholds.evaluate(normalize_inputs(kw))}
    return found[code].category


@pytest.mark.parametrize(
    ("bmi", "expected"),
    [
        (18.4, "underweight"),
        (18.5, "normal"),
        (23.9, "normal"),
        (24.0, "overweight"),
        (27.9, "overweight"),
        (28.0, "obese"),
    ],
)
def test_bmi(bmi, expected):
    assert category("bmi", bmi=bmi) == expected


def test_bmi_from_height_weight_rounded_to_one_decimal():
    found = {f.code: f for f in thresholds.evaluate(normalize_inputs({"height_cm": 170, "weight_kg": 69.4}))}
    assert found["bmi"].value == 24.0  # 24.01
    assert found["bmi"].category == "overweight"


@pytest.mark.parametrize(
    ("sex", "waist", "expected"),
    [
        ("male", 84.9, "normal"),
        ("male", 85, "pre_central_obesity"),
        ("male", 90, "central_obesity"),
        ("female", 79.9, "normal"),
        ("female", 80, "pre_central_obesity"),
        ("female", 85, "central_obesity"),
    ],
)
def test_waist(sex, waist, expected):
    assert category("waist", sex=sex, waist_cm=waist) == expected


def test_waist_needs_sex():
    found = {f.code: f for f in thresholds.evaluate(normalize_inputs({"waist_cm": 90}))}
    assert found["waist"].category is None
    assert found["waist"].missing == ["sex"]


@pytest.mark.parametrize(
    ("sbp", "dbp", "combined", "isolated"),
    [
        (119, 79, "normal", False),
        (120, 79, "high_normal", False),
        (119, 80, "high_normal", False),
        (140, 85, "grade_1", True),
        (135, 90, "grade_1", False),
        (165, 95, "grade_2", False),
        (165, 85, "grade_2", True),
        (150, 110, "grade_3", False),
        (180, 70, "grade_3", True),
    ],
)
def test_blood_pressure_uses_the_higher_grade(sbp, dbp, combined, isolated):
    findings = thresholds.evaluate(normalize_inputs({"sbp": sbp, "dbp": dbp}))
    assert thresholds.blood_pressure_grade(findings) == (combined, isolated)


@pytest.mark.parametrize(
    ("code", "field", "value", "expected"),
    [
        ("fasting_glucose", "fasting_glucose_mmol", 6.0, "normal"),
        ("fasting_glucose", "fasting_glucose_mmol", 6.1, "ifg"),
        ("fasting_glucose", "fasting_glucose_mmol", 6.9, "ifg"),
        ("fasting_glucose", "fasting_glucose_mmol", 7.0, "diabetes_range"),
        ("hba1c", "hba1c_percent", 6.4, "normal"),
        ("hba1c", "hba1c_percent", 6.5, "diabetes_range"),
        ("total_cholesterol", "total_cholesterol_mmol", 5.19, "desirable"),
        ("total_cholesterol", "total_cholesterol_mmol", 5.2, "borderline_high"),
        ("total_cholesterol", "total_cholesterol_mmol", 6.2, "high"),
        ("ldl", "ldl_mmol", 2.59, "optimal"),
        ("ldl", "ldl_mmol", 2.6, "desirable"),
        ("ldl", "ldl_mmol", 3.4, "borderline_high"),
        ("ldl", "ldl_mmol", 4.1, "high"),
        ("hdl", "hdl_mmol", 0.99, "low"),
        ("hdl", "hdl_mmol", 1.0, "normal"),
        ("triglycerides", "triglycerides_mmol", 1.69, "desirable"),
        ("triglycerides", "triglycerides_mmol", 1.7, "borderline_high"),
        ("triglycerides", "triglycerides_mmol", 2.3, "high"),
        ("uric_acid", "uric_acid_umol", 420, "normal"),
        ("uric_acid", "uric_acid_umol", 421, "hyperuricaemia"),
    ],
)
def test_lab_boundaries(code, field, value, expected):
    assert category(code, **{field: value}) == expected


def test_non_hdl_is_derived_from_tc_and_hdl():
    found = {
        f.code: f
        for f in thresholds.evaluate(normalize_inputs({"total_cholesterol_mmol": 6.0, "hdl_mmol": 1.1}))
    }
    assert found["non_hdl"].value == 4.9
    assert found["non_hdl"].category == "high"
    missing = {f.code: f for f in thresholds.evaluate(normalize_inputs({"hdl_mmol": 1.1}))}["non_hdl"]
    assert (missing.value, missing.missing) == (None, ["total_cholesterol_mmol"])


def test_every_item_cites_a_source():
    for finding in thresholds.evaluate(normalize_inputs({})):
        assert finding.source
        assert finding.category is None
        assert finding.missing
