"""Where the current request comes from, for the audit trail (set by middleware, read by services)."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestOrigin:
    ip: str = ""
    channel: str = "cli"  # web, api, cli, job


_origin: contextvars.ContextVar[RequestOrigin] = contextvars.ContextVar("careloop_origin", default=RequestOrigin())  # noqa: B039 (frozen)


def current_origin() -> RequestOrigin:
    return _origin.get()


def set_origin(origin: RequestOrigin) -> contextvars.Token[RequestOrigin]:
    return _origin.set(origin)


def reset_origin(token: contextvars.Token[RequestOrigin]) -> None:
    _origin.reset(token)
