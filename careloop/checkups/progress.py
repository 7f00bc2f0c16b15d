"""Import progress, readable while the import's transaction is still open.

The import writes everything in one transaction, so a progress counter in the database would be
invisible to the page polling it. A small JSON file per batch is visible at once to every process.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings


def _dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "checkup-imports" / "progress"
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_progress(batch_id: int, rows: int, fraction: float) -> None:
    target = _dir() / f"{batch_id}.json"
    temp = target.with_suffix(".tmp")
    temp.write_text(json.dumps({"rows": rows, "fraction": round(fraction, 4)}))
    os.replace(temp, target)


def read_progress(batch_id: int) -> dict[str, float]:
    try:
        return json.loads((_dir() / f"{batch_id}.json").read_text())
    except (OSError, ValueError):
        return {"rows": 0, "fraction": 0.0}


def upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "checkup-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path
