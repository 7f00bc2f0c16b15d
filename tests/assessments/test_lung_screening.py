"""Chinese lung-cancer screening high-risk criteria (2021)."""

from careloop.assessments.engine import lung_screening, normalize_inputs

KNOWN_NEGATIVE = dict(
    passive_smoking_years=0, copd=False, occupational_exposure_years=0, family_history_lung_cancer=False
)


def assess(**kw):
    return lung_screening.assess(normalize_inputs(kw))


def test_thirty_pack_years_current_smoker_is_high_risk():
    result = assess(age=55, smoking="current", cigarettes_per_day=20, smoking_years=30)
    assert result.category == "high"
    assert result.detail["criteria_met_codes"] == ["pack_years"]


def test_former_smoker_quit_fifteen_years_ago_no_longer_counts():
    assert (
        assess(
            age=60,
            smoking="former",
            cigarettes_per_day=20,
            smoking_years=30,
            years_since_quit=14,
            **KNOWN_NEGATIVE,
        ).category
        == "high"
    )
    assert (
        assess(
            age=60,
            smoking="former",
            cigarettes_per_day=20,
            smoking_years=30,
            years_since_quit=15,
            **KNOWN_NEGATIVE,
        ).category
        == "low"
    )


def test_29_pack_years_is_not_enough():
    result = assess(age=60, smoking="current", cigarettes_per_day=20, smoking_years=29, **KNOWN_NEGATIVE)
    assert result.category == "low"


def test_other_criteria():
    base = dict(age=50, smoking="never", **KNOWN_NEGATIVE)
    assert assess(**dict(base, passive_smoking_years=21)).category == "high"
    assert assess(**dict(base, passive_smoking_years=20)).category == "low"
    assert assess(**dict(base, copd=True)).category == "high"
    assert assess(**dict(base, occupational_exposure_years=1)).category == "high"
    assert assess(**dict(base, family_history_lung_cancer=True)).category == "high"


def test_age_outside_50_to_74_is_not_high_risk():
    assert assess(age=49, smoking="current", cigarettes_per_day=40, smoking_years=30).category == "low"
    assert assess(age=75, copd=True).category == "low"


def test_undecided_criteria_name_their_inputs():
    result = assess(age=60, smoking="former", cigarettes_per_day=20, smoking_years=30)
    assert result.category is None
    assert result.missing == [
        "copd",
        "family_history_lung_cancer",
        "occupational_exposure_years",
        "passive_smoking_years",
        "years_since_quit",
    ]
    assert assess().missing == ["age"]
