"""Checks that may withhold client records from a staff member whatever their role (a registry).

Higher apps register a check in their AppConfig.ready(): ``check(user) -> str | None`` returning
the reason the user may not open client records now (e.g. no current confidentiality agreement,
careloop.quality), or None. ``client_scope_q`` consults them; the result is kept on the user object
for the request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], "str | None"]
_checks: list[Check] = []


def register(check: Check) -> None:
    if check not in _checks:
        _checks.append(check)


def blocked_reason(user: Any) -> str | None:
    cached = getattr(user, "_careloop_access_block", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    reason = None
    for check in _checks:
        reason = check(user)
        if reason:
            break
    with contextlib.suppress(AttributeError):  # AnonymousUser and the like keep nothing
        user._careloop_access_block = reason
    return reason
