"""Shipped default data (rules, questionnaires), loaded by a data migration and readable by tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def load(name: str) -> list[dict[str, Any]]:
    return json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))


RULE_MODEL_FIELDS = (
    "kinds", "min_days", "max_days", "health_statuses", "tiers", "first_only", "steps", "repeat", "cycle",
    "channel", "move_off_nonworking", "priority", "script", "client_series", "action", "message_purpose",
)


def rule_row(raw: dict[str, Any]) -> dict[str, Any]:
    """Model field values for one shipped rule (the Chinese name is the displayed one)."""
    row = {name: raw.get(name) for name in RULE_MODEL_FIELDS}
    for name in ("kinds", "health_statuses", "tiers", "steps"):
        row[name] = row[name] or []
    row["first_only"] = bool(row["first_only"])
    row["move_off_nonworking"] = row["move_off_nonworking"] or ""
    row["priority"] = row["priority"] or 0
    row["client_series"] = row["client_series"] or ""
    row["action"] = row["action"] or "task"
    row["message_purpose"] = row["message_purpose"] or ""
    row["name"] = raw.get("name_zh") or raw["name"]
    return row
