"""Issue 9 item 7: the shipped rules' timing labels are Chinese in zh-hans and English in en, wherever shown."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.utils import translation

from careloop.followups.labels import timing_text

RULES = Path(__file__).resolve().parents[2] / "careloop" / "followups" / "defaults" / "rules.json"


def shipped_labels() -> set[str]:
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {"label", "labels"}:
                    found.update(value if isinstance(value, list) else [value])
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(RULES.read_text(encoding="utf-8")))
    return found


def test_every_shipped_timing_label_reads_chinese_in_zh_hans_and_english_in_en() -> None:
    labels = shipped_labels()
    assert {"monthly", "day 15", "within 7 days", "end − 3", "every 3 months", "quarterly salon"} <= labels
    with translation.override("zh-hans"):
        shown = {label: timing_text(label) for label in sorted(labels)}
    assert {label: text for label, text in shown.items() if re.search(r"[A-Za-z]", text)} == {}
    assert (shown["day 15"], shown["within 7 days"], shown["end − 3"], shown["every 3 months"], shown["monthly"]) == (
        "第15天", "7天内", "处方结束前3天", "每3个月", "每月")
    with translation.override("en"):
        assert {label: timing_text(label) for label in labels} == {label: label.replace("end − 3", "3 days before the prescription ends") for label in labels}
    with translation.override("zh-hans"):
        assert timing_text("day 3, monthly") == "第3天，每月"
        assert timing_text("每周二") == "每周二"  # an administrator's own label is shown as written
