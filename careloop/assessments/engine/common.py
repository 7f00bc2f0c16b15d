"""Shared pieces of the assessment engine: result type, data loading, rounding, band lookup.

The engine is pure Python (no Django models, no database) so that it can be tested and
benchmarked on its own; the coefficients and thresholds live in JSON files under data/.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


@lru_cache(maxsize=32)
def load_data(name: str) -> dict[str, Any]:
    """Load a data file of the engine (cached; treat the result as read-only)."""
    with (DATA_DIR / f"{name}.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def round_half_up(value: float, digits: int) -> float:
    """Round as printed tables do (2.25 -> 2.3), not banker's rounding."""
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def pick_name(data: dict[str, Any], lang: str, key: str = "name") -> str:
    if lang.startswith("en") and f"{key}_en" in data:
        return str(data[f"{key}_en"])
    return str(data.get(f"{key}_zh") or data.get(f"{key}_en") or "")


def band_for(value: float, bands: list[dict[str, Any]]) -> dict[str, Any]:
    """The last band whose lower bound the value meets ('from' inclusive, 'above' exclusive)."""
    chosen = bands[0]
    for band in bands:
        if "above" in band:
            if value > band["above"]:
                chosen = band
        elif band.get("from") is None or value >= band["from"]:
            chosen = band
    return chosen


def category_for(value: float, categories: list[dict[str, Any]]) -> dict[str, Any]:
    """Categories are ordered; each applies below its 'below' bound (the last one has none)."""
    for cat in categories:
        if cat["below"] is None or value < cat["below"]:
            return cat
    return categories[-1]


@dataclass
class ModelResult:
    """One model's answer, shaped as CONTRACT's `models` entries (plus detail for the report)."""

    code: str
    name: str
    source: str
    value: float | None
    unit: str
    category: str | None
    missing: list[str] = field(default_factory=list)
    category_label: str = ""
    applicable: bool = True
    notes: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def missing_of(inputs: dict[str, Any], names: list[str]) -> list[str]:
    return [n for n in names if inputs.get(n) is None]
