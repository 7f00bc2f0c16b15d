"""Printed letters: each letter is filed into the day's print batch, one JSON file per letter.

``letter_batch(day)`` gathers a day's letters, in order, for the printable batch page.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

from django.utils import timezone

from careloop.messaging.providers.base import Outgoing, SendResult


class LetterBatchProvider:
    name = "letter"

    def __init__(self, *, directory: str | Path) -> None:
        self.directory = Path(directory)

    def send(self, message: Outgoing) -> SendResult:
        day = timezone.localdate()
        folder = self.directory / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        record = {"id": message.out_id, "to": message.to, "subject": message.subject, "body": message.body,
                  "name": message.extra.get("name", "")}
        final = folder / f"{message.out_id}.json"
        partial = folder / f".{message.out_id}.tmp"
        partial.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, final)  # a letter is in the batch whole or not at all
        return SendResult(provider_id=f"letter-{day.isoformat()}-{message.out_id}")


def letter_batch(directory: str | Path, day: date) -> list[dict[str, Any]]:
    folder = Path(directory) / day.isoformat()
    if not folder.is_dir():
        return []
    letters = [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")]
    return sorted(letters, key=lambda item: int(item["id"]) if str(item["id"]).isdigit() else 0)
