"""Uploaded files hold personal data in plain text (ID numbers in results files): they live only as long as
they are needed (issue 10, finding 8). An imported file is deleted as soon as its import has committed; a file
whose import failed is kept ``UPLOAD_FAILED_KEEP_HOURS`` (settings.py) so it can be re-tried with another
mapping, then swept. Files are created 0600 in 0700 directories (the process umask, settings.py)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings


def upload_discard(path: str | os.PathLike[str] | None) -> bool:
    """Delete one uploaded file (overwritten first, so the plain text does not linger in the file's blocks)."""
    if not path:
        return False
    target = Path(path)
    try:
        size = target.stat().st_size
        with target.open("r+b") as fh:
            fh.write(b"\0" * size)
            fh.flush()
            os.fsync(fh.fileno())
        target.unlink()
    except FileNotFoundError:
        return False
    return True


def uploads_sweep(directory: Path, *, keep: Iterable[str] = (), now: dt.datetime | None = None) -> list[Path]:
    """Delete files under ``directory`` older than UPLOAD_FAILED_KEEP_HOURS, except those in ``keep``."""
    limit = (now or dt.datetime.now(dt.UTC)).timestamp() - settings.UPLOAD_FAILED_KEEP_HOURS * 3600
    kept = {str(Path(p).resolve()) for p in keep}
    removed: list[Path] = []
    if not directory.exists():
        return removed
    for path in directory.rglob("*"):
        if path.is_file() and str(path.resolve()) not in kept and path.stat().st_mtime < limit:
            upload_discard(path)
            removed.append(path)
    return removed
