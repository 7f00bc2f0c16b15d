"""Checkup result rows → assessment inputs, with unit conversion as data."""

from careloop.assessments.engine.checkup_items import results_to_inputs


def test_codes_names_and_units():
    mapped = results_to_inputs(
        [
            {"code": "sbp", "name": "收缩压", "value": "138", "unit": "mmHg"},
            {"code": "X1", "name": "舒张压", "value": "86", "unit": "mmHg"},
            {"code": "TC", "name": "总胆固醇", "value": "200", "unit": "mg/dL"},
            {"code": "HDL-C", "name": "", "value": "1.12", "unit": "mmol/L"},
            {"code": "UA", "name": "尿酸", "value": "7.5", "unit": "mg/dL"},
            {"code": "GLU", "name": "空腹血糖", "value": " 6.2 ", "unit": "mmol/L"},
            {"code": "ALT", "name": "谷丙转氨酶", "value": "30", "unit": "U/L"},
        ]
    )
    assert mapped.inputs == {
        "sbp": 138.0,
        "dbp": 86.0,
        "total_cholesterol_mmol": 5.172,
        "hdl_mmol": 1.12,
        "uric_acid_umol": 446.1,
        "fasting_glucose_mmol": 6.2,
    }
    assert mapped.skipped == []


def test_unknown_units_and_text_values_are_reported_not_guessed():
    mapped = results_to_inputs(
        [
            {"code": "TG", "name": "甘油三酯", "value": "1.5", "unit": "g/L"},
            {"code": "WAIST", "name": "腰围", "value": "未测", "unit": "cm"},
        ]
    )
    assert mapped.inputs == {}
    assert mapped.skipped == [
        {"item": "甘油三酯", "reason": "unknown unit 'g/L'"},
        {"item": "腰围", "reason": "not a number: '未测'"},
    ]
