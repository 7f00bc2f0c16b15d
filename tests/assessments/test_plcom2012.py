"""PLCOm2012 reproduces the published reference profile and applies the Asian race term."""

import math

import pytest

from careloop.assessments.engine import normalize_inputs, plcom2012

REFERENCE = dict(  # age 62, white, education 4, BMI 27, no COPD/cancer/FH, former, 27 y smoked, quit 10 y
    age=62,
    race="white",
    education_level=4,
    bmi=27,
    copd=False,
    personal_cancer_history=False,
    family_history_lung_cancer=False,
    smoking="former",
    cigarettes_per_day=10 / 0.4021541613,
    smoking_years=27,
    years_since_quit=10,
)


def test_reference_profile():
    assert plcom2012.logit(REFERENCE) == pytest.approx(-4.532506, abs=1e-9)
    assert round(plcom2012.probability(REFERENCE), 7) == 0.0106393


def test_asian_is_the_default_race():
    inputs = dict(REFERENCE)
    del inputs["race"]
    result = plcom2012.assess(normalize_inputs(inputs))
    expected = 1 / (1 + math.exp(4.532506 + 0.466585))
    assert result.detail["probability_unrounded"] == pytest.approx(expected, rel=1e-12)
    assert result.detail["race"] == "asian"
    assert result.value == round(expected * 100, 2) == 0.67
    assert result.category == "low"


def test_hispanic_coefficient_is_the_papers():
    hispanic = plcom2012.logit(dict(REFERENCE, race="hispanic"))
    assert hispanic == pytest.approx(-4.532506 - 0.7434744, abs=1e-9)


def test_high_risk_current_smoker():
    # 68-year-old current smoker, 30/day for 45 years, COPD, education 2, BMI 23, Asian
    inputs = normalize_inputs(
        dict(
            age=68,
            education_level=2,
            bmi=23,
            copd=True,
            personal_cancer_history=False,
            family_history_lung_cancer=True,
            smoking="current",
            cigarettes_per_day=30,
            smoking_years=45,
        )
    )
    z = (
        -4.532506
        + 0.0778868 * 6
        - 0.466585
        - 0.0812744 * (2 - 4)
        - 0.0274194 * (23 - 27)
        + 0.3553063
        + 0.587185
        + 0.2597431
        - 1.822606 * (1 / 3 - 0.4021541613)
        + 0.0317321 * 18
        - 0.0308572 * (0 - 10)
    )
    expected = 100 / (1 + math.exp(-z))
    result = plcom2012.assess(inputs)
    assert result.value == round(expected, 2)
    assert result.value >= 1.51
    assert result.category == "high"


def test_never_smokers_are_outside_the_model():
    result = plcom2012.assess(normalize_inputs({"smoking": "never", "age": 60}))
    assert result.value is None
    assert result.applicable is False
    assert result.missing == []


def test_missing_inputs_are_named():
    result = plcom2012.assess(normalize_inputs({"smoking": "former", "age": 60}))
    assert result.value is None
    assert result.missing == [
        "education_level",
        "bmi",
        "copd",
        "personal_cancer_history",
        "family_history_lung_cancer",
        "cigarettes_per_day",
        "smoking_years",
        "years_since_quit",
    ]
    assert plcom2012.assess(normalize_inputs({})).missing == ["smoking"]


def test_resplab_readme_example():
    # resplab/PLCOm2012 README: same person smoking 80 cigarettes a day → 0.01750922
    assert round(plcom2012.probability(dict(REFERENCE, cigarettes_per_day=80)), 8) == 0.01750922


@pytest.mark.parametrize(
    ("race", "beta"),
    [("black", 0.3944778), ("asian", -0.466585), ("native_hawaiian_pacific_islander", 1.027152)],
)
def test_race_terms(race, beta):
    expected = math.exp(-4.532506 + beta) / (1 + math.exp(-4.532506 + beta))
    assert plcom2012.probability(dict(REFERENCE, race=race)) == pytest.approx(expected, rel=1e-12)
