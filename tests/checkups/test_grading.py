import pytest

from careloop.checkups.grading import (
    ABNORMAL_STABLE,
    COMPLEX,
    NORMAL,
    Rule,
    RuleBook,
    StatusPolicy,
    derive_health_status,
    load_default_rules,
)

BOOK = RuleBook(load_default_rules())


@pytest.mark.parametrize(
    ("item", "value", "sex", "age", "severity"),
    [
        ("GLU", 6.0, "male", 50, ""),
        ("GLU", 6.1, "male", 50, "minor"),  # 空腹血糖受损 starts at 6.1
        ("GLU", 7.0, "male", 50, "major"),  # diabetes range starts at 7.0
        ("GLU", 2.7, "male", 50, "critical"),
        ("SBP", 139, "female", 40, "minor"),
        ("SBP", 140, "female", 40, "major"),
        ("SBP", 180, "female", 40, "critical"),
        ("DBP", 110, "female", 40, "critical"),
        ("UA", 420, "male", 40, ""),  # > 420 is hyperuricaemia, 420 itself is not
        ("UA", 421, "male", 40, "minor"),
        ("UA", 540, "male", 40, "major"),
        ("TC", 5.19, "male", 40, ""),
        ("TC", 5.2, "male", 40, "minor"),
        ("LDL-C", 4.1, "male", 40, "major"),
        ("HDL-C", 0.99, "male", 40, "minor"),
        ("ALT", 45, "male", 40, ""),  # male upper limit 50 U/L
        ("ALT", 45, "female", 40, "minor"),  # female upper limit 40 U/L
        ("ALT", 151, "male", 40, "major"),
        ("CREA", 100, "male", 45, "minor"),  # 20–59: upper limit 97
        ("CREA", 100, "male", 65, ""),  # 60–79: upper limit 111
        ("CREA", 150, "female", 65, "major"),
        ("HGB", 60, "female", 30, "critical"),
        ("HGB", 120, "female", 30, ""),
        ("HGB", 120, "male", 30, "minor"),
        ("PLT", 30, "male", 30, "critical"),
        ("WAIST", 86, "male", 30, "minor"),
        ("WAIST", 86, "female", 30, "minor"),
        ("BMI", 29, "male", 30, "minor"),
    ],
)
def test_default_rules(item, value, sex, age, severity):
    assert BOOK.grade(item, value, sex=sex, age=age).severity == severity


def test_the_labs_critical_flag_wins_and_findings_come_from_rules():
    assert BOOK.grade("GLU", 6.5, sex="male", age=50, flag="HH").severity == "critical"
    grade = BOOK.grade("GLU", 6.5, sex="male", age=50, flag="H")
    assert (grade.severity, grade.finding) == ("minor", "空腹血糖受损")


def test_items_without_rules_fall_back_to_flag_then_range():
    assert BOOK.grade("HCY", 20, sex="male", age=50, ref_low=5, ref_high=15).severity == "minor"
    assert BOOK.grade("HCY", 10, sex="male", age=50, ref_low=5, ref_high=15).severity == ""
    assert BOOK.grade("HCY", None, sex="male", age=50, flag="A").severity == "minor"
    assert BOOK.grade("HCY", None, sex="male", age=50, flag="AA").severity == "critical"


def test_rules_are_data_with_sex_and_age_bands():
    book = RuleBook([Rule(item="X", severity="major", low=10, sex="female", age_min=60), Rule(item="X", severity="minor", low=10)])
    assert book.grade("X", 11, sex="female", age=61).severity == "major"
    assert book.grade("X", 11, sex="female", age=59).severity == "minor"
    assert book.grade("X", 11, sex="male", age=61).severity == "minor"
    assert book.grade("X", 11, sex="female", age=None).severity == "minor"


@pytest.mark.parametrize(
    ("findings", "status"),
    [
        ([], NORMAL),
        ([("minor", "lipids"), ("minor", "body")], NORMAL),
        ([("minor", "lipids"), ("minor", "body"), ("minor", "liver")], ABNORMAL_STABLE),
        ([("major", "glucose"), ("minor", "lipids")], ABNORMAL_STABLE),
        ([("major", "blood_pressure"), ("major", "blood_pressure")], ABNORMAL_STABLE),
        ([("major", "blood_pressure"), ("major", "glucose")], COMPLEX),
        ([("critical", "blood_count")], COMPLEX),
    ],
)
def test_health_status(findings, status):
    assert derive_health_status(findings) == status


def test_health_status_policy_is_adjustable():
    assert derive_health_status([("major", "glucose")], StatusPolicy(complex_major_categories=1)) == COMPLEX
