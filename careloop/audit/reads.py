"""Auditing reads of client data structurally (SEC-2, issue 10 finding 6).

Every view or API operation that shows a client's record or health data goes through ``audit_read``
(careloop.audit.services) — directly, or with the ``audited_read`` decorator on an API ``get``: after a
successful answer it writes one row; for one object the row names its client (from the answer's ``client``
field, or the view's ``client_pk``/``client_id`` argument), for a list it records the count and the filters.
tests/audit/test_reads_are_audited.py walks every URL and API operation and fails on any read without a row.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from careloop.audit.services import audit_read


def _client_of(data: Any, kwargs: dict[str, Any]) -> int | None:
    for name in ("client_pk", "client_id"):
        if isinstance(kwargs.get(name), int):
            return kwargs[name]
    if isinstance(data, dict):
        value = data.get("client")
        if isinstance(value, dict):
            value = value.get("id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def audited_read(action: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a view (function or method) that answers a read of client data."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = next(a for a in args if hasattr(a, "user") and hasattr(a, "method"))
            response = view(*args, **kwargs)
            if 200 <= response.status_code < 300:
                data = getattr(response, "data", None)
                detail: dict[str, Any] = {}
                if isinstance(data, list):
                    detail["count"] = len(data)
                elif isinstance(data, dict) and "results" in data:
                    detail["count"] = data.get("count", len(data["results"]))
                params = {k: ("***" if k in ("phone", "id_number", "q") else v) for k, v in request.GET.items()}
                if params:
                    detail["filters"] = params
                pk = kwargs.get("pk")
                audit_read(actor=request.user, action=action, client=_client_of(data, kwargs),
                           object_id=str(pk) if pk is not None else "", detail=detail)
            return response

        return wrapper

    return decorate
