"""The results-file layout: canonical field names and CONTRACT's default Chinese headers.

A reader turns any supported file into rows keyed by these canonical names; a column mapping
(per institution) says which header of the file holds which field.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Canonical field → CONTRACT default header ("Checkup results file", one row per result item).
DEFAULT_HEADERS: dict[str, str] = {
    "exam_no": "体检编号",
    "id_number": "身份证号",
    "name": "姓名",
    "sex": "性别",
    "exam_date": "体检日期",
    "item_code": "项目代码",
    "item_name": "项目名称",
    "value": "结果",
    "unit": "单位",
    "reference_range": "参考范围",
    "flag": "异常标志",
}

# Optional columns an export may add; recognised by these headers when present.
OPTIONAL_HEADERS: dict[str, str] = {
    "institution": "体检机构",
    "package": "体检套餐",
    "conclusion": "总检结论",
    "recommendation": "健康建议",
    "further_exam": "需进一步检查",
}

REQUIRED_FIELDS: tuple[str, ...] = ("exam_no", "id_number", "name", "sex", "exam_date", "item_code", "value")

FIELD_LABELS = {
    "exam_no": _("checkup number"),
    "id_number": _("ID number"),
    "name": _("name"),
    "sex": _("sex"),
    "exam_date": _("checkup date"),
    "item_code": _("item code"),
    "item_name": _("item name"),
    "value": _("result"),
    "unit": _("unit"),
    "reference_range": _("reference range"),
    "flag": _("abnormal flag"),
    "institution": _("institution"),
    "package": _("package"),
    "conclusion": _("conclusion"),
    "recommendation": _("recommendation"),
    "further_exam": _("needs further examination"),
}

ALL_FIELDS: tuple[str, ...] = (*DEFAULT_HEADERS, *OPTIONAL_HEADERS)


def default_mapping() -> dict[str, str]:
    """Canonical field → header for CONTRACT's default layout (optional columns included)."""
    return {**DEFAULT_HEADERS, **OPTIONAL_HEADERS}
