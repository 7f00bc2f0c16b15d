"""Typed readers for environment settings that fail with a clear message."""

from __future__ import annotations

import os
from pathlib import Path


class SettingError(Exception):
    """An environment variable holds a value careloop cannot use."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingError(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r}: expected a whole number") from None
    if minimum is not None and value < minimum:
        raise SettingError(f"{name}={value}: must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise SettingError(f"{name}={value}: must be at most {maximum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_time(name: str, default: str) -> str:
    """A time of day, ``HH:MM`` (24-hour); returned as text so settings stay plain values."""
    from datetime import time

    raw = (os.environ.get(name) or "").strip() or default
    try:
        time.fromisoformat(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r}: expected a time of day as HH:MM") from None
    return raw


def env_int_list(name: str, default: list[int], *, minimum: int | None = None) -> list[int]:
    """Whole numbers separated by commas (``7,30``)."""
    values = []
    for part in env_list(name, [str(item) for item in default]):
        try:
            value = int(part)
        except ValueError:
            raise SettingError(f"{name}: {part!r} is not a whole number") from None
        if minimum is not None and value < minimum:
            raise SettingError(f"{name}: {value} must be at least {minimum}")
        values.append(value)
    return values


def env_json(name: str, default: dict) -> dict:
    """A JSON object (e.g. CARELOOP_MESSAGING_PROVIDERS); empty or unset gives ``default``."""
    import json

    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return dict(default)
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise SettingError(f"{name}: not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise SettingError(f"{name}: expected a JSON object")
    return value


def env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name) or default).expanduser().resolve()
