"""Turning checkup result rows into assessment inputs (for the checkups app's adapter).

Matching and unit conversion are data (data/checkup_items.json). A row whose unit is unknown or
whose value is not a number is reported, never converted by guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .common import load_data


@dataclass
class MappedResults:
    inputs: dict[str, float] = field(default_factory=dict)
    skipped: list[dict[str, str]] = field(default_factory=list)  # rows that matched but could not be used


def _index() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    by_code: dict[str, dict[str, Any]] = {}
    by_name: dict[str, dict[str, Any]] = {}
    for item in load_data("checkup_items")["items"]:
        for code in item["codes"]:
            by_code[code.upper()] = item
        for name in item["names"]:
            by_name[name] = item
    return by_code, by_name


def results_to_inputs(rows: list[dict[str, Any]]) -> MappedResults:
    """Rows: {"code", "name", "value", "unit"}; the last usable row of an item wins."""
    by_code, by_name = _index()
    out = MappedResults()
    for row in rows:
        item = by_code.get(str(row.get("code") or "").strip().upper()) or by_name.get(
            str(row.get("name") or "").strip()
        )
        if item is None:
            continue
        unit = str(row.get("unit") or "").strip().lower().replace(" ", "")
        factor = item["units"].get(unit)
        label = str(row.get("name") or row.get("code") or item["input"])
        if factor is None:
            out.skipped.append({"item": label, "reason": f"unknown unit {row.get('unit')!r}"})
            continue
        try:
            value = float(str(row.get("value")).strip())
        except ValueError:
            out.skipped.append({"item": label, "reason": f"not a number: {row.get('value')!r}"})
            continue
        out.inputs[item["input"]] = round(value * factor, 4)
    return out
