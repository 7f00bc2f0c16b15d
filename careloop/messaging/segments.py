"""SMS segment counting: how many billed parts a text costs.

A text that fits the GSM 03.38 default alphabet travels as 7-bit septets: 160 in one SMS, 153 per part
once it is split (the user-data header takes 7). Anything else, Chinese included, travels as UCS-2:
70 UTF-16 code units in one SMS, 67 per part. Characters from the GSM extension table (``€``, ``[``, …)
cost two septets; characters outside the BMP (most emoji) cost two UCS-2 units, and a part never
splits such a pair or an escape sequence.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "gsm7" or "ucs2"
    units: int  # septets (gsm7) or UTF-16 code units (ucs2)
    segments: int
    per_segment: int  # capacity of one part for this text
    remaining: int  # units still free in the last part

    @property
    def characters(self) -> int:
        return self.units


def _unit_costs(text: str) -> tuple[str, list[int]]:
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        return "gsm7", [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return "ucs2", [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def count_segments(text: str) -> SegmentCount:
    """Count the parts ``text`` is billed as."""
    encoding, costs = _unit_costs(text)
    single, part = (GSM7_SINGLE, GSM7_PART) if encoding == "gsm7" else (UCS2_SINGLE, UCS2_PART)
    units = sum(costs)
    if units <= single:
        return SegmentCount(encoding, units, 1 if units else 0, single, single - units)
    segments, used = 1, 0
    for cost in costs:
        if used + cost > part:
            segments += 1
            used = 0
        used += cost
    return SegmentCount(encoding, units, segments, part, part - used)
