"""Bad inputs are refused naming the field; absent inputs are simply None."""

import pytest

from careloop.assessments.engine import InputError, normalize_inputs


def test_all_known_inputs_present_as_none():
    clean = normalize_inputs({})
    assert clean["sex"] is None and clean["race"] is None and clean["education_level"] is None


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"sex": "m"}, "sex"),
        ({"age": "abc"}, "age"),
        ({"age": 200}, "age"),
        ({"sbp": True}, "sbp"),
        ({"diabetes": "yes"}, "diabetes"),
        ({"education_level": 7}, "education_level"),
        ({"education_level": 2.5}, "education_level"),
        ({"smoking": "sometimes"}, "smoking"),
        ({"weight": 70}, "weight"),
        ({"sbp": float("nan")}, "sbp"),
    ],
)
def test_bad_values_name_the_field(raw, field):
    with pytest.raises(InputError) as exc:
        normalize_inputs(raw)
    assert list(exc.value.errors) == [field]


def test_numbers_as_strings_and_booleans_as_text_are_accepted():
    clean = normalize_inputs({"age": "52", "diabetes": "false", "education_level": "3"})
    assert (clean["age"], clean["diabetes"], clean["education_level"]) == (52.0, False, 3)
