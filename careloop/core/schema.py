"""OpenAPI post-processing: every operation documents the error answers the API gives (CONTRACT "Errors")."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "description": "Each wrong field names itself and why (in the request's language); `detail` for other errors.",
    "additionalProperties": True,
}
ERRORS = {
    "400": "Bad input: the body names each wrong field and the reason",
    "401": "Not signed in, or the token expired",
    "403": "Your role does not allow this",
    "404": "Not found, or outside your scope",
    "409": "Conflicts with existing data (for example a duplicate client)",
    "429": "Too many requests",
}


def name_enums(names: dict[str, Any]) -> None:
    """Give an app's choice sets their own OpenAPI enum names (``status``, ``kind`` … recur across apps,
    and drf-spectacular would otherwise name them by field). Called from the app's ``ready()``."""
    from django.conf import settings

    spectacular: dict[str, Any] = settings.SPECTACULAR_SETTINGS
    overrides = spectacular.setdefault("ENUM_NAME_OVERRIDES", {})
    for name, choices in names.items():
        overrides.setdefault(name, choices)


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR_SCHEMA)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, text in ERRORS.items():
                responses.setdefault(code, {"description": text, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
    return result
