"""Printable reports (SPEC ASM-6): fpdf2 with the CJK font shipped in careloop/assessments/fonts/.

Pure rendering: each function takes a plain "document" dict (built by services/selectors or the
engine) and returns PDF bytes. No database access and nothing fetched at run time.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

from fontTools import ttLib
from fpdf import FPDF, FontFace
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import SubsetMap, TTFFont

from .engine.common import load_data

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "NotoSansCJKsc-Regular-subset.ttf"
FONT = "notosanssc"

RESULT_LABELS = {"yes": "是", "basically": "基本是", "tendency": "倾向是", "no": "否"}
STATUS_LABELS = {"present": "存在", "absent": "无", "unknown": "资料不足"}


@lru_cache(maxsize=1)
def _font_prototype() -> TTFFont:
    """The shipped font parsed once: fpdf2 builds its width and glyph tables for all ~22,000
    characters on every add_font(), which is a third of the time of a short report."""
    scratch = FPDF()
    scratch.add_font(FONT, "", str(FONT_PATH))
    font = scratch.fonts[FONT]
    assert isinstance(font, TTFFont)
    return font


def _attach_font(pdf: FPDF) -> None:
    """Give ``pdf`` its own copy of the parsed font: shared read-only tables, fresh per-document
    state (the subset of used glyphs, and a fresh fontTools object, which fpdf2 subsets in place)."""
    try:
        font = copy.copy(_font_prototype())
        font.i = len(pdf.fonts) + 1
        font.ttfont = ttLib.TTFont(str(FONT_PATH), recalcTimestamp=False, lazy=True)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font.subset = SubsetMap(font)
        pdf.fonts[FONT] = font
    except AttributeError:  # a future fpdf2 changed its internals: take the ordinary path
        pdf.fonts.pop(FONT, None)
        pdf.add_font(FONT, "", str(FONT_PATH))


class ReportPDF(FPDF):
    def __init__(self, title: str, footer_text: str = "") -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.report_title = title
        self.footer_text = footer_text
        _attach_font(self)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(15, 15, 15)
        self.set_title(title)
        self.set_creator("careloop")

    def header(self) -> None:
        self.set_font(FONT, size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, self.report_title, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"{self.footer_text}  第 {self.page_no()}/{{nb}} 页", align="C")
        self.set_text_color(0, 0, 0)

    # -- building blocks --------------------------------------------------------------------
    def title_block(self, title: str, subtitle: str = "") -> None:
        self.set_font(FONT, size=18)
        self.cell(0, 11, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if subtitle:
            self.set_font(FONT, size=10)
            self.cell(0, 6, subtitle, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(3)

    def heading(self, text: str) -> None:
        if self.get_y() > self.h - 40:
            self.add_page()
        self.ln(2)
        self.set_font(FONT, size=13)
        self.set_fill_color(230, 238, 245)
        self.cell(0, 8, text, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def subheading(self, text: str) -> None:
        self.set_font(FONT, size=11)
        self.cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def paragraph(self, text: str, size: float = 10, indent: float = 0) -> None:
        self.set_font(FONT, size=size)
        self.set_x(self.l_margin + indent)
        self.multi_cell(0, size * 0.55, text, wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def grid(
        self, headings: list[str], rows: list[list[str]], widths: tuple[int, ...], size: float = 9
    ) -> None:
        self.set_font(FONT, size=size)
        with self.table(
            col_widths=widths,
            text_align="LEFT",
            line_height=size * 0.55,
            wrapmode=WrapMode.CHAR,
            headings_style=FontFace(fill_color=(242, 242, 242)),
            first_row_as_headings=True,
        ) as table:
            table.row(headings)
            for values in rows:
                table.row([str(v) for v in values])
        self.ln(1)


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
