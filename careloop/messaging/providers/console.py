"""Development providers: print to the console, or append JSON lines to a file."""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from careloop.lib.identity import mask_mobile
from careloop.lib.logging import redact
from careloop.messaging.providers.base import Outgoing, SendResult


def _masked_to(to: str) -> str:
    """The development outboxes never keep a full phone number or address (issue 10, finding 8)."""
    if "@" in to:
        name, _, domain = to.partition("@")
        return f"{name[:1]}***@{domain}"
    return mask_mobile(to) if to else ""


class ConsoleProvider:
    name = "console"

    def __init__(self, *, stream: TextIO | None = None) -> None:
        self._stream = stream

    def send(self, message: Outgoing) -> SendResult:
        stream = self._stream or sys.stdout
        head = f"[{message.channel}] to={_masked_to(message.to)} id={message.out_id}"
        if message.subject:
            head += f" subject={message.subject}"
        stream.write(f"{head}\n{redact(message.body)}\n")
        stream.flush()
        return SendResult(provider_id=f"console-{message.out_id}")


class FileProvider:
    """One JSON object per line in ``path``; the file is the outbox a developer reads."""

    name = "file"
    _lock = threading.Lock()

    def __init__(self, *, path: str | Path) -> None:
        self._path = Path(path)

    def send(self, message: Outgoing) -> SendResult:
        record = {
            "at": datetime.now(UTC).isoformat(),
            "id": message.out_id,
            "channel": message.channel,
            "to": _masked_to(message.to),
            "subject": message.subject,
            "body": redact(message.body),
            "purpose": message.purpose,
        }
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self._path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        return SendResult(provider_id=f"file-{message.out_id}")
