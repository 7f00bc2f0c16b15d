"""Printable reports (SPEC ASM-6) on the shared document base (careloop/lib/pdf.py, the CJK font in lib/fonts/).

Pure rendering: each function takes a plain "document" dict (built by services/selectors or the
engine) and returns PDF bytes. No database access and nothing fetched at run time.
"""

from __future__ import annotations

from typing import Any

from careloop.lib.pdf import ReportPDF

from .engine.common import load_data

RESULT_LABELS = {"yes": "是", "basically": "基本是", "tendency": "倾向是", "no": "否"}
STATUS_LABELS = {"present": "存在", "absent": "无", "unknown": "资料不足"}

def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    text = f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    labels = load_data("input_labels")["_values"]
    text = labels.get(text, text)
    return f"{text} {unit}".strip()


def _missing_text(missing: list[str]) -> str:
    labels = load_data("input_labels")
    return "缺少：" + "、".join(labels.get(m, {}).get("zh", m) for m in missing)


def _model_row(model: dict[str, Any]) -> list[str]:
    if model["missing"]:
        value, category = "—", _missing_text(model["missing"])
    elif not model["applicable"]:
        value, category = (
            "—",
            "；".join(model["notes"][1:] if model["code"] == "china_par" else model["notes"]),
        )
    else:
        value = "—" if model["value"] is None else _fmt(model["value"], model["unit"])
        category = model["category_label"] or "—"
    return [model["name"], value, category]


def render_assessment_pdf(doc: dict[str, Any]) -> bytes:
    """Individual health assessment report: the six parts of ASM-2, TCM constitution if present."""
    pdf = ReportPDF(doc.get("title", "个人健康评估报告"), doc.get("footer", ""))
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.title_block(doc.get("title", "个人健康评估报告"), doc.get("subtitle", ""))
    if doc.get("client"):
        pdf.grid(["项目", "内容"], [[k, v] for k, v in doc["client"]], (40, 140))

    sections = doc["sections"]
    labels = load_data("input_labels")
    pdf.heading("一、个人健康信息清单")
    pdf.grid(
        ["项目", "结果", "来源"],
        [
            [
                labels.get(i["input"], {}).get("zh", i["input"]),
                _fmt(i["value"], labels.get(i["input"], {}).get("unit", "")),
                i["source"],
            ]
            for i in sections["personal_information"]
        ],
        (50, 50, 80),
    )

    pdf.heading("二、健康危险因素重点提示")
    pdf.grid(
        ["危险因素", "评估"],
        [[s["name"], STATUS_LABELS[s["status"]]] for s in sections["risk_factors"]["summary"]],
        (60, 120),
    )
    pdf.grid(
        ["指标", "结果", "判定", "依据"],
        [
            [
                rf["name"],
                _fmt(rf["value"], rf["unit"]),
                rf["label"] or (_missing_text(rf["missing"]) if rf["missing"] else "—"),
                rf["source"],
            ]
            for rf in sections["risk_factors"]["items"]
        ],
        (38, 30, 50, 62),
        size=8,
    )

    pdf.heading("三、慢性疾病危险性重点提示")
    pdf.grid(
        ["疾病", "模型", "结果", "分层"],
        [[c["name"], *_model_row(c["model"])] for c in sections["chronic_disease_risk"]],
        (25, 75, 25, 55),
    )

    pdf.heading("四、健康改善重点提示")
    pdf.grid(
        ["方面", "需要改善", "目标"],
        [[p["name"], "是" if p["findings"] else "—", p["target"]] for p in sections["improvement_points"]],
        (60, 25, 95),
    )

    pdf.heading("五、疾病风险评估")
    rows = []
    for d in sections["disease_risk"]:
        for m in d["models"]:
            rows.append([d["name"], *_model_row(m)])
    pdf.grid(["疾病", "模型", "结果", "分层"], rows, (25, 75, 25, 55))

    pdf.heading("六、个人健康管理处方")
    prescription = doc.get("prescription", sections["prescription"])
    if not prescription:
        pdf.paragraph("目前未发现需要特别干预的问题，请保持健康的生活方式，每年体检一次。")
    for number, item in enumerate(prescription, start=1):
        pdf.paragraph(f"{number}. {item['text']}")

    if doc.get("tcm"):
        _tcm_block(pdf, doc["tcm"])

    pdf.heading("模型与依据")
    for model in doc.get("models", []):
        pdf.paragraph(f"{model['name']}：{model['source']}", size=8)
        for note in model.get("notes", [])[:1]:
            pdf.paragraph(note, size=8, indent=4)
    for note in doc.get("footnotes", []):
        pdf.paragraph(note, size=8)
    if doc.get("issued"):
        pdf.ln(3)
        pdf.paragraph(doc["issued"], size=10)
    return bytes(pdf.output())


def _tcm_block(pdf: ReportPDF, tcm: dict[str, Any]) -> None:
    pdf.heading("中医体质辨识")
    pdf.grid(
        ["体质", "得分", "判定"],
        [[t["name"], str(t["score"]), RESULT_LABELS[t["result"]]] for t in tcm["types"]],
        (60, 40, 80),
    )
    for note in tcm.get("notes", []):
        pdf.paragraph(note, size=9)
    for code in tcm.get("guidance_for", []):
        guide = load_data("tcm_guidance")["types"][code]
        pdf.subheading(f"{guide['name_zh']}中医药保健指导")
        for section in guide["sections"]:
            pdf.paragraph(section["title_zh"], size=10)
            for text in section["paragraphs"]:
                pdf.paragraph(text, size=9, indent=4)


def render_group_pdf(doc: dict[str, Any]) -> bytes:
    """Enterprise group report (ASM-5): prevalence tables with small cells suppressed."""
    pdf = ReportPDF(doc.get("title", "团体健康评估报告"), doc.get("footer", ""))
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.title_block(doc.get("title", "团体健康评估报告"), doc.get("subtitle", ""))
    pdf.paragraph(doc.get("summary", ""))
    for table in doc["tables"]:
        pdf.heading(table["title"])
        widths = tuple([40] + [int(140 / max(1, len(table["columns"])))] * len(table["columns"]))
        pdf.grid(["项目", *table["columns"]], table["rows"], widths, size=8)
    pdf.heading("主要健康问题")
    for number, problem in enumerate(doc.get("main_problems", []), start=1):
        pdf.paragraph(f"{number}. {problem}")
    pdf.heading("建议讲座主题")
    for number, topic in enumerate(doc.get("lecture_topics", []), start=1):
        pdf.paragraph(f"{number}. {topic}")
    for note in doc.get("footnotes", []):
        pdf.paragraph(note, size=8)
    return bytes(pdf.output())
