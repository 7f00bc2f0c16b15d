"""Pure assembly of a report "document" (what the screen and the PDF show) from inputs."""

from __future__ import annotations

from typing import Any

from .engine import assess_all, tcm
from .engine.report import build_sections


def assessment_document(
    *,
    inputs: dict[str, Any],
    provenance: dict[str, str] | None = None,
    lifestyle: list[str] | None = None,
    rules: list[dict[str, Any]],
    client_rows: list[tuple[str, str]] | None = None,
    tcm_answers: list[int] | None = None,
    prescription: list[dict[str, Any]] | None = None,
    issued: str = "",
    subtitle: str = "",
    lang: str = "zh",
) -> dict[str, Any]:
    """Everything the report needs; `inputs` must already be normalised."""
    result = assess_all(inputs, lang=lang)
    sections = build_sections(inputs, provenance or {}, result, lifestyle or [], rules)
    doc: dict[str, Any] = {
        "title": "个人健康评估报告",
        "subtitle": subtitle,
        "client": client_rows or [],
        "result": result,
        "models": result["models"],
        "sections": sections,
        "prescription": prescription if prescription is not None else sections["prescription"],
        "issued": issued,
        "footer": "本报告依据已发表的风险模型和现行中国指南生成，不能替代医生诊断。",
    }
    if tcm_answers is not None:
        identified = tcm.identify(tcm_answers, lang=lang).as_dict()
        guidance_for = [identified["primary"]] if identified["primary"] else []
        identified["guidance_for"] = guidance_for + [c for c in identified["mixed"] if c not in guidance_for]
        doc["tcm"] = identified
    return doc
