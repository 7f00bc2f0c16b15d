"""The printable-document base shared by every app: fpdf2 with the CJK font shipped in careloop/lib/fonts/.

No domain here: a page with a running header and footer, the project's Chinese font, and building blocks
(title, headings, paragraphs, tables). Assessment reports, the chronic letters and diet plans, and the
statistics reports build their own documents on it. Nothing is fetched at run time.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

from fontTools import ttLib
from fpdf import FPDF, FontFace
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import SubsetMap, TTFFont

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "NotoSansCJKsc-Regular-subset.ttf"
FONT = "notosanssc"


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
    """An A4 document in Chinese: running title at the top, ``footer_text`` and page numbers below."""

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


__all__ = ["FONT", "FONT_PATH", "ReportPDF"]
