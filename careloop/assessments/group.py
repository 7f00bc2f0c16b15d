"""Group health assessment of an enterprise (SPEC ASM-5): prevalence by sex and age band.

Pure computation over one row per member (their latest assessment). No cell describing fewer
than 5 people is shown: groups under 5 people and counts of 1-4 are suppressed, and when only one
cell of a breakdown (sex, or age band) is suppressed the smallest other one is suppressed too, so
that it cannot be recovered from the total.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .engine.common import load_data

SUPPRESSED = "<5"
SEXES = (("male", "男"), ("female", "女"))


@dataclass
class MemberRow:
    sex: str
    age: int
    summary: dict[str, str] = field(
        default_factory=dict
    )  # risk-factor summary code -> present/absent/unknown
    items: dict[str, bool | None] = field(default_factory=dict)  # threshold item code -> abnormal
    models: dict[str, str | None] = field(default_factory=dict)  # model code -> category
    findings: list[str] = field(default_factory=list)


def member_row(*, sex: str, age: int, sections: dict[str, Any], result: dict[str, Any]) -> MemberRow:
    return MemberRow(
        sex=sex,
        age=age,
        summary={s["code"]: s["status"] for s in sections["risk_factors"]["summary"]},
        items={rf["code"]: rf["abnormal"] for rf in result["risk_factors"]},
        models={m["code"]: m["category"] for m in result["models"]},
        findings=list(sections.get("findings", [])),
    )


def _flag(row: MemberRow, item: dict[str, Any]) -> bool | None:
    """True/False when known for this member, None when it could not be judged."""
    code, kind = item["code"], item["kind"]
    if kind == "summary":
        status = row.summary.get(code, "unknown")
        return None if status == "unknown" else status == "present"
    if kind == "item":
        return row.items.get(code)
    if kind == "model_high":
        category = row.models.get(code)
        return None if category is None else category == "high"
    return code in row.findings


def _cell(count: int, n: int, min_cell: int) -> dict[str, Any]:
    hidden = 0 < n < min_cell or 0 < count < min_cell
    return {"count": count, "n": n, "hidden": hidden}


def _suppress_complement(cells: list[dict[str, Any]]) -> None:
    hidden = [c for c in cells if c["hidden"]]
    shown = [c for c in cells if not c["hidden"] and c["n"] > 0]
    if len(hidden) == 1 and shown:
        min(shown, key=lambda c: (c["count"], c["n"]))["hidden"] = True


def _text(cell: dict[str, Any]) -> str:
    if cell["n"] == 0:
        return "—"
    if cell["hidden"]:
        return SUPPRESSED
    return f"{cell['count']}/{cell['n']} ({100 * cell['count'] / cell['n']:.1f}%)"


def group_report(rows: list[MemberRow], *, enterprise_name: str, as_of: str) -> dict[str, Any]:
    cfg = load_data("group_report")
    min_cell = cfg["min_cell"]
    bands = cfg["age_bands"]

    def band_of(age: int) -> str:
        for b in bands:
            if age >= b["from"] and (b["below"] is None or age < b["below"]):
                return b["code"]
        return bands[-1]["code"]

    columns = ["合计"] + [label for _code, label in SEXES] + [b["label_zh"] for b in bands]
    table_rows: list[list[str]] = []
    prevalence: list[tuple[float, dict[str, Any], int]] = []
    for item in cfg["items"]:
        known = [(r, f) for r in rows if (f := _flag(r, item)) is not None]
        total = _cell(sum(1 for _r, f in known if f), len(known), min_cell)
        by_sex = [
            _cell(
                sum(1 for r, f in known if f and r.sex == code),
                sum(1 for r, _f in known if r.sex == code),
                min_cell,
            )
            for code, _label in SEXES
        ]
        by_age = [
            _cell(
                sum(1 for r, f in known if f and band_of(r.age) == b["code"]),
                sum(1 for r, _f in known if band_of(r.age) == b["code"]),
                min_cell,
            )
            for b in bands
        ]
        if not total["hidden"]:
            _suppress_complement(by_sex)
            _suppress_complement(by_age)
        table_rows.append([item["label_zh"], *[_text(c) for c in [total, *by_sex, *by_age]]])
        if not total["hidden"] and total["n"] and total["count"]:
            prevalence.append((total["count"] / total["n"], item, total["count"]))

    prevalence.sort(key=lambda p: -p[0])
    top = prevalence[: cfg["main_problems_max"]]
    return {
        "title": "团体健康评估报告",
        "subtitle": f"{enterprise_name} · {as_of}",
        "members": len(rows),
        "summary": (
            f"本报告汇总 {len(rows)} 名已完成健康评估的员工。表中为“人数/可评估人数（患病率）”；"
            f"少于 {min_cell} 人的格子不显示（{SUPPRESSED}）。"
        ),
        "tables": [
            {"title": "危险因素与异常项目检出情况（按性别、年龄段）", "columns": columns, "rows": table_rows}
        ],
        "main_problems": [f"{item['label_zh']}：{100 * share:.1f}%" for share, item, _count in top],
        "lecture_topics": [item["lecture_zh"] for _share, item, _count in top],
        "footnotes": [
            "危险因素判定依据与个人健康评估报告相同（中国成人体重判定、中国高血压防治指南、中国成人血脂异常防治指南、中国2型糖尿病防治指南等）。"
        ],
    }
