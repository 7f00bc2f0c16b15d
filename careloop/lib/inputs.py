"""Limits every request input must respect before any view sees it (issue 10, finding 7).

The database stores integers in 64 bits: a larger id or filter value is refused with a message naming
the parameter, instead of an ``OverflowError`` deep inside a query. JSON bodies are parsed with a depth
limit (no ``RecursionError``), without non-finite numbers (``1e400``) and without integers the database
cannot hold; the field at fault is named.
"""

from __future__ import annotations

import json
import re
from typing import Any

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_JSON_DEPTH = 32
_INTEGER = re.compile(r"[+-]?\d+")
# Free-text search parameters may legitimately be long digit strings; they are never used as numbers.
TEXT_PARAMS = frozenset({"q", "search", "phone", "id_number", "name", "text", "code", "token", "password"})


def integer_out_of_range(value: str) -> bool:
    """A whole number (as text) that no 64-bit database column can hold."""
    value = value.strip()
    if len(value) < 19 or not _INTEGER.fullmatch(value):
        return False
    return not INT64_MIN <= int(value) <= INT64_MAX


class JSONInputError(ValueError):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


class _Bad:
    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why


def _parse_int(text: str) -> Any:
    if len(text) > 19 and not INT64_MIN <= int(text) <= INT64_MAX:
        return _Bad("int")
    return int(text)


def _parse_float(text: str) -> Any:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        return _Bad("float")
    return value


def _refuse_constant(name: str) -> Any:
    return _Bad("float")


def _depth_exceeded(text: str, limit: int) -> bool:
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _find_bad(value: Any, path: str, found: dict[str, list[str]], messages: dict[str, str]) -> None:
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, _Bad):
            found.setdefault(where or "non_field_errors", []).append(messages[item.why])
        elif isinstance(item, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, where) for v in item)  # an item of a list is reported under the list's name


def loads(text: str, *, messages: dict[str, str]) -> Any:
    """``json.loads`` within the limits above; raises JSONInputError naming each bad field.

    ``messages`` gives the (translated) texts for "depth", "int" and "float"."""
    if _depth_exceeded(text, MAX_JSON_DEPTH):
        raise JSONInputError({"non_field_errors": [messages["depth"]]})
    data = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant)
    found: dict[str, list[str]] = {}
    _find_bad(data, "", found, messages)
    if found:
        raise JSONInputError(found)
    return data
