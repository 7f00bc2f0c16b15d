import datetime as dt

import pytest
from django.utils import translation

from careloop.checkups.readers import (
    ResultsFileError,
    detect_csv_encoding,
    detect_format,
    file_fingerprint,
    open_results,
)
from tests.checkups.builders import (
    LI_ID,
    ZHANG_ID,
    fhir_bundle,
    result_row,
    write_csv,
    write_fhir,
    write_xlsx,
)


@pytest.mark.parametrize(("encoding", "detected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030")])
def test_csv_in_each_encoding_reads_the_same_rows(tmp_path, encoding, detected):
    path = write_csv(tmp_path / "r.csv", [result_row(), result_row(code="TC", item_name="总胆固醇", value="6.3", flag="↑")], encoding=encoding)
    assert detect_csv_encoding(path) == detected
    rows = list(open_results(path).rows())
    assert [r.number for r in rows] == [2, 3]
    assert rows[0].fields["name"] == "张伟"
    assert rows[0].fields["id_number"] == ZHANG_ID
    assert rows[1].fields["item_name"] == "总胆固醇"
    assert rows[1].fields["flag"] == "↑"
    assert rows[0].columns["id_number"] == "身份证号"


def test_blank_lines_are_skipped_but_keep_the_spreadsheet_row_numbers(tmp_path):
    path = write_csv(tmp_path / "r.csv", [result_row(), [""] * 11, result_row(code="TC")])
    assert [r.number for r in open_results(path).rows()] == [2, 4]


def test_missing_required_column_is_a_file_error_naming_row_1(tmp_path):
    header = ["体检编号", "身份证号", "姓名", "性别", "体检日期", "项目代码", "项目名称", "数值"]
    path = write_csv(tmp_path / "r.csv", [result_row()[:8]], header=header)
    with pytest.raises(ResultsFileError) as caught:
        list(open_results(path).rows())
    [error] = caught.value.errors
    with translation.override("en"):
        assert error.as_dict() == {"file": "r.csv", "row": 1, "column": "结果", "reason": "required column 结果 is missing"}
        assert str(error) == "r.csv, row 1, column 结果: required column 结果 is missing"


def test_column_mapping_reads_another_layout(tmp_path):
    header = ["姓名", "证件号码", "性别", "检查日期", "条码", "指标", "指标名", "值", "单位", "范围", "提示"]
    row = ["李娜", LI_ID, "女", "2026/11/20", "B-77", "UA", "尿酸", "455", "μmol/L", "150-420", "H"]
    path = write_csv(tmp_path / "other.csv", [row], header=header)
    mapping = {
        "exam_no": "条码", "id_number": "证件号码", "name": "姓名", "sex": "性别", "exam_date": "检查日期",
        "item_code": "指标", "item_name": "指标名", "value": "值", "unit": "单位", "reference_range": "范围", "flag": "提示",
    }
    [parsed] = list(open_results(path, mapping=mapping).rows())
    assert parsed.fields == {
        "exam_no": "B-77", "id_number": LI_ID, "name": "李娜", "sex": "女", "exam_date": "2026/11/20",
        "item_code": "UA", "item_name": "尿酸", "value": "455", "unit": "μmol/L", "reference_range": "150-420", "flag": "H",
    }
    assert parsed.columns["exam_no"] == "条码"


def test_xlsx_cells_become_text(tmp_path):
    row = ["TJ1", ZHANG_ID, "张伟", "男", dt.datetime(2026, 11, 20), "GLU", "空腹血糖", 6.0, "mmol/L", "3.9-6.1", None]
    path = write_xlsx(tmp_path / "r.xlsx", [row, [None] * 11, [*row[:7], 6.25, *row[8:]]])
    assert detect_format(path) == "xlsx"
    reader = open_results(path)
    rows = list(reader.rows())
    assert [r.number for r in rows] == [2, 4]
    assert rows[0].fields["exam_date"] == "2026-11-20"
    assert rows[0].fields["value"] == "6"
    assert rows[1].fields["value"] == "6.25"
    assert rows[0].fields["flag"] == ""
    assert reader.progress() == 1.0


def test_preview_shows_header_and_first_rows_as_in_the_file(tmp_path):
    path = write_csv(tmp_path / "r.csv", [result_row(exam_no=f"TJ{i}") for i in range(10)])
    header, rows = open_results(path).preview(3)
    assert header[0] == "体检编号"
    assert [r[0] for r in rows] == ["TJ0", "TJ1", "TJ2"]


def test_fingerprint_depends_on_content_only(tmp_path):
    a = write_csv(tmp_path / "a.csv", [result_row()])
    b = write_csv(tmp_path / "b.csv", [result_row()])
    c = write_csv(tmp_path / "c.csv", [result_row(value="5.3")])
    assert file_fingerprint(a) == file_fingerprint(b) != file_fingerprint(c)


def test_fhir_bundle_rows(tmp_path):
    bundle = fhir_bundle(observations=[
        {"code": "GLU", "display": "空腹血糖", "value": 6.5, "unit": "mmol/L", "low": 3.9, "high": 6.1, "flag": "H"},
        {"code": "ECG", "display": "心电图", "value": "窦性心律"},
    ])
    path = write_fhir(tmp_path / "b.json", bundle)
    assert detect_format(path) == "fhir"
    rows = list(open_results(path).rows())
    assert [r.number for r in rows] == [2, 3]
    assert rows[0].fields == {
        "exam_no": "TJ2026100", "id_number": ZHANG_ID, "name": "张伟", "sex": "male", "exam_date": "2026-11-20",
        "item_code": "GLU", "item_name": "空腹血糖", "value": "6.5", "unit": "mmol/L", "reference_range": "3.9-6.1",
        "flag": "H", "institution": "", "conclusion": "空腹血糖受损", "further_exam": "",
    }
    assert rows[1].fields["value"] == "窦性心律"
    assert rows[0].columns["value"] == "Observation.valueQuantity.value"


def test_fhir_report_pointing_at_a_missing_observation_is_an_error(tmp_path):
    bundle = fhir_bundle()
    bundle["entry"][-1]["resource"]["result"].append({"reference": "urn:uuid:nowhere"})
    with pytest.raises(ResultsFileError) as caught:
        list(open_results(write_fhir(tmp_path / "b.json", bundle)).rows())
    assert caught.value.errors[0].column == "DiagnosticReport.result"
    assert caught.value.errors[0].row == 3
