"""PDF reports draw real Chinese glyphs with the font shipped in the repository."""

import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fontTools.ttLib import TTFont
from fpdf.enums import XPos, YPos
from PIL import ImageChops

from careloop.assessments import pdf as pdf_module
from careloop.assessments.documents import assessment_document
from careloop.assessments.engine import normalize_inputs
from careloop.assessments.engine.common import DATA_DIR
from careloop.assessments.engine.report import default_rules
from careloop.lib import pdf as pdf_base

CJK_SAMPLE = "健康评估报告气虚质阴阳痰湿"


def render_pages(pdf_bytes: bytes, scale: float = 2.0) -> list:
    document = pdfium.PdfDocument(pdf_bytes)
    try:
        return [
            (page.render(scale=scale).to_pil().convert("L"), page.get_textpage().get_text_range())
            for page in document
        ]
    finally:
        document.close()


def glyph_images(text: str) -> list:
    """Each character on its own page, rendered large; returns the cropped bitmaps."""
    pdf = pdf_base.ReportPDF("glyphs")
    for char in text:
        pdf.add_page()
        pdf.set_font(pdf_base.FONT, size=72)
        pdf.cell(40, 40, char, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    images = []
    for image, _text in render_pages(bytes(pdf.output()), scale=1.0):
        # crop below the running header
        images.append(image.crop((0, 50, image.width, 220)))
    return images


def ink(image) -> int:
    return sum(image.histogram()[:128])


def test_font_ships_with_the_project():
    assert pdf_base.FONT_PATH.is_file()
    assert (pdf_base.FONT_PATH.parent / "OFL.txt").is_file()
    assert str(pdf_base.FONT_PATH).startswith(str(Path(pdf_base.__file__).parent))


def test_each_chinese_character_is_drawn_as_its_own_glyph():
    images = glyph_images(CJK_SAMPLE)
    for char, image in zip(CJK_SAMPLE, images, strict=True):
        assert ink(image) > 200, f"{char} drew nothing"
    # Missing glyphs come out blank or as identical boxes (tofu); real glyphs all differ.
    for i in range(len(images)):
        for j in range(i + 1, len(images)):
            assert ImageChops.difference(images[i], images[j]).getbbox() is not None, (
                CJK_SAMPLE[i],
                CJK_SAMPLE[j],
            )


def test_glyphs_differ_from_the_fonts_missing_glyph_box():
    # U+4DC0 (易经 hexagram) is not in the shipped subset: it renders as .notdef (or nothing)
    cmap = TTFont(pdf_base.FONT_PATH, lazy=True).getBestCmap()
    assert 0x4DC0 not in cmap
    notdef, *real = glyph_images("\u4dc0" + CJK_SAMPLE[:4])
    for image in real:
        assert ImageChops.difference(image, notdef).getbbox() is not None


def test_report_page_shows_the_chinese_title():
    inputs = normalize_inputs(
        dict(sex="female", age=66, height_cm=158, weight_kg=62, waist_cm=86, sbp=142, dbp=86)
    )
    doc = assessment_document(
        inputs=inputs, rules=default_rules(), client_rows=[("姓名", "李喆")], tcm_answers=[2] * 33
    )
    pages = render_pages(pdf_module.render_assessment_pdf(doc))
    first_image, first_text = pages[0]
    assert "个人健康评估报告" in first_text
    assert "李喆" in first_text
    assert "一、个人健康信息清单" in first_text
    assert any("中医体质辨识" in text for _image, text in pages)
    title_band = first_image.crop((0, 100, first_image.width, 200))  # A4 at scale 2: 20-35 mm
    assert ink(title_band) > 500


def _strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings_in(v)


@pytest.mark.parametrize("name", sorted(p.stem for p in DATA_DIR.glob("*.json")))
def test_every_character_of_the_data_files_is_in_the_font(name):
    cmap = TTFont(pdf_base.FONT_PATH, lazy=True).getBestCmap()
    data = json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    missing = {ch for s in _strings_in(data) for ch in s if ord(ch) >= 0x80 and ord(ch) not in cmap}
    assert missing == set()
