import datetime as dt

import pytest
from django.utils import translation

from careloop.checkups.grading import load_default_items
from careloop.checkups.layout import DEFAULT_HEADERS
from careloop.checkups.readers import SourceRow
from careloop.checkups.validation import ParsedItem, RowValidator, parse_number, parse_reference_range
from tests.checkups.builders import LI_ID, ZHANG_ID, result_row

ITEMS = {spec["code"]: spec for spec in load_default_items()}
COLUMNS = dict(DEFAULT_HEADERS)


def source(number=2, **overrides):
    values = dict(zip(DEFAULT_HEADERS, result_row(), strict=True))
    values.update(overrides)
    return SourceRow(number, values, COLUMNS)


def validator(strict=True):
    return RowValidator(file_name="r.csv", items=ITEMS, strict=strict, today=dt.date(2026, 11, 23))


def reasons(result):
    with translation.override("en"):
        return [(e.row, e.column, str(e.reason)) for e in result]


def test_a_good_row():
    item = validator().validate(source(flag="↑", value="6.5"))
    assert isinstance(item, ParsedItem)
    assert (item.exam_no, item.id_number, item.sex, item.birth_date, item.exam_date) == (
        "TJ2026001", ZHANG_ID, "male", dt.date(1970, 3, 8), dt.date(2026, 11, 20)
    )
    assert (item.code, item.value_num, item.ref_low, item.ref_high, item.flag) == ("GLU", 6.5, 3.9, 6.1, "H")


@pytest.mark.parametrize(
    ("field", "value", "column", "reason"),
    [
        ("exam_date", "2026-02-30", "体检日期", "2026-02-30 is not a date (use YYYY-MM-DD)"),
        ("exam_date", "2026-12-01", "体检日期", "2026-12-01 is in the future"),
        ("id_number", ZHANG_ID[:-1] + ("0" if ZHANG_ID[-1] != "0" else "1"), "身份证号", None),
        ("value", "阴性", "结果", "阴性 is not a number"),
        ("item_code", "XYZ", "项目代码", "unknown item code XYZ"),
        ("sex", "女", "性别", "does not agree with the ID number"),
        ("sex", "未知", "性别", "未知 is not a sex (男/女)"),
        ("flag", "Q", "异常标志", "Q is not an abnormal flag (H, L, HH, LL, A, AA)"),
        ("name", "", "姓名", "is required"),
    ],
)
def test_bad_values_name_row_column_and_reason(field, value, column, reason):
    result = validator().validate(source(number=7, **{field: value}))
    [(row, col, why)] = reasons(result)
    assert (row, col) == (7, column)
    if reason is not None:
        assert why == reason
    else:
        assert why.startswith("check character is wrong")


def test_reasons_are_chinese_by_default_when_translated():
    [error] = validator().validate(source(value="阴性"))
    with translation.override("zh-hans"):
        assert str(error.reason) == "阴性 不是数字"


def test_unknown_code_is_accepted_when_not_strict_and_text_values_pass():
    item = validator(strict=False).validate(source(item_code="hcy", item_name="同型半胱氨酸", value="12.1", unit="μmol/L"))
    assert (item.code, item.value_num) == ("HCY", 12.1)
    text = validator(strict=False).validate(source(item_code="XRAY", value="未见异常"))
    assert (text.value_text, text.value_num) == ("未见异常", None)


def test_rows_of_one_checkup_must_agree():
    v = validator()
    assert isinstance(v.validate(source()), ParsedItem)
    assert reasons(v.validate(source(number=3, id_number=LI_ID, sex="女"))) == [
        (3, "身份证号", "differs from the earlier rows of checkup TJ2026001")
    ]
    assert reasons(v.validate(source(number=4, exam_date="2026-11-19"))) == [
        (4, "体检日期", "differs from the earlier rows of checkup TJ2026001")
    ]


def test_numbers_and_ranges():
    assert parse_number("<0.1") == 0.1
    assert parse_number("≥1000") == 1000.0
    assert parse_number("abc") is None
    assert parse_reference_range("3.9～6.1") == (3.9, 6.1)
    assert parse_reference_range("<5.2") == (None, 5.2)
    assert parse_reference_range("≥1.04") == (1.04, None)
    assert parse_reference_range("阴性") == (None, None)
