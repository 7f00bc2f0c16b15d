import datetime as dt

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from careloop.lib.identity import (
    IdentityError,
    id_check_char,
    make_id_number,
    mask_id_number,
    mask_mobile,
    parse_id_number,
    parse_mobile,
)

TODAY = dt.date(2026, 11, 23)


def test_published_example_id_number_parses():
    # GB 11643-1999 example: 11010519491231002X — female, born 1949-12-31 in Beijing Chaoyang.
    parsed = parse_id_number("11010519491231002x", today=TODAY)
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex == "female"
    assert parsed.region == "110105"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("11010519491231002", "must have 18 characters (it has 17)"),
        ("1101051949123100XX", "must be 17 digits followed by a digit or X"),
        ("99010519491231002X", "region code 990105 is not a Chinese province code"),
        ("110105194902300021", "birth date 19490230 is not a real date"),
        ("110105203001010021", "birth date 2030-01-01 is impossible"),
        ("110105194912310021", "check character is wrong (expected X)"),
    ],
)
def test_bad_id_numbers_say_why(raw, reason):
    with translation.override("en"):
        with pytest.raises(IdentityError) as err:
            parse_id_number(raw, today=TODAY)
        assert str(err.value.message) == reason


def test_id_error_is_chinese_by_default():
    with translation.override("zh-hans"):
        with pytest.raises(IdentityError) as err:
            parse_id_number("110105194912310021", today=TODAY)
        assert str(err.value.message) == "校验码错误（应为 X）"


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY), st.integers(0, 499), st.sampled_from(["male", "female"]))
def test_made_numbers_round_trip(birth, seq, sex):
    number = make_id_number("310104", birth, seq, sex)
    parsed = parse_id_number(number, today=TODAY)
    assert (parsed.birth_date, parsed.sex) == (birth, sex)
    assert number[17] == id_check_char(number[:17])


@pytest.mark.parametrize("raw", ["13812341234", "+86 138-1234-1234", "0086 13812341234", "19912345678"])
def test_mobile_numbers_normalise(raw):
    assert parse_mobile(raw) in {"13812341234", "19912345678"}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("1381234123", "must have 11 digits (it has 10)"), ("12812341234", "is not a mainland mobile number (must start with 13–19)"),
     ("138abc41234", "may contain only digits (and an optional +86)")],
)
def test_bad_mobile_numbers_say_why(raw, reason):
    with translation.override("en"):
        with pytest.raises(IdentityError) as err:
            parse_mobile(raw)
        assert str(err.value.message) == reason


def test_masks_match_the_contract():
    assert mask_mobile("13812341234") == "138****1234"
    assert mask_id_number("11010519491231002X") == "110***********002X"
