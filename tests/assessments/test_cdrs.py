"""Chinese Diabetes Risk Score: points table, lower-bound bands, cut-off 25."""

import pytest

from careloop.assessments.engine import cdrs, normalize_inputs


def person(**kw):
    base = dict(age=45, sex="male", bmi=25.0, waist_cm=88, sbp=135, family_history_diabetes=False)
    base.update(kw)
    return normalize_inputs(base)


def test_worked_example_points():
    # age 45 → 12, BMI 25.0 → 3, male waist 88 → 7, SBP 135 → 6, no family history → 0, male → 2
    result = cdrs.assess(person())
    assert result.detail["points"] == {
        "age": 12,
        "bmi": 3,
        "waist_cm": 7,
        "sbp": 6,
        "family_history_diabetes": 0,
        "sex": 2,
    }
    assert result.value == 30.0
    assert result.category == "high"


def test_maximum_is_51():
    result = cdrs.assess(person(age=70, bmi=31, waist_cm=100, sbp=170, family_history_diabetes=True))
    assert result.value == 51.0


@pytest.mark.parametrize(
    ("kw", "total", "category"),
    [
        # woman 20, BMI 21.9, waist 69.9, SBP 109 → all zero
        (dict(age=20, sex="female", bmi=21.9, waist_cm=69.9, sbp=109), 0, "low"),
        # lower-bound comparisons: BMI 23.95 stays in 22.0-23.9 (1 point)
        (dict(age=20, sex="female", bmi=23.95, waist_cm=69.9, sbp=109), 1, "low"),
        # 24 points is below the cut-off, 25 is high
        (
            dict(age=40, sex="female", bmi=24.0, waist_cm=75, sbp=120, family_history_diabetes=False),
            11 + 3 + 5 + 3,
            "low",
        ),
        (
            dict(age=40, sex="male", bmi=24.0, waist_cm=80, sbp=120, family_history_diabetes=False),
            11 + 3 + 5 + 3 + 2,
            "low",
        ),
        (
            dict(age=44, sex="male", bmi=24.0, waist_cm=85, sbp=120, family_history_diabetes=False),
            11 + 3 + 7 + 3 + 2,
            "high",
        ),
    ],
)
def test_bands_and_cut_off(kw, total, category):
    result = cdrs.assess(person(**kw))
    assert result.value == total
    assert result.category == category


def test_bmi_from_height_and_weight():
    inputs = normalize_inputs(
        dict(
            age=45,
            sex="male",
            height_cm=170,
            weight_kg=72.25,
            waist_cm=88,
            sbp=135,
            family_history_diabetes=False,
        )
    )  # BMI exactly 25.0
    assert cdrs.assess(inputs).detail["points"]["bmi"] == 3


def test_missing_inputs_are_named():
    result = cdrs.assess(normalize_inputs({"age": 50, "sex": "female"}))
    assert result.value is None
    assert result.missing == ["bmi", "waist_cm", "sbp", "family_history_diabetes"]


def test_not_for_known_diabetes_or_outside_20_to_74():
    assert cdrs.assess(person(diabetes=True)).value is None
    assert cdrs.assess(person(age=75)).applicable is False
    assert cdrs.assess(person(age=19)).value is None
