"""API plumbing shared by every app: pagination and the error format (CONTRACT: 4xx naming each field)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from careloop.lib import inputs


class Pagination(PageNumberPagination):
    """Page numbers from 1; a bad ``page`` or ``page_size`` is a 400 naming it, not silently ignored."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request: Any) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError({"page_size": [
                _("page_size: must be a whole number from 1 to %(max)d") % {"max": self.max_page_size}]})
        return int(raw)

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and (not raw.isdigit() or int(raw) < 1):
            raise exceptions.ValidationError({"page": [_("page: must be a whole number from 1")]})
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        params = super().get_schema_operation_parameters(view)
        for param in params:
            param["schema"]["minimum"] = 1
            if param["name"] == self.page_size_query_param:
                param["schema"]["maximum"] = self.max_page_size
        return params


def validation_error_detail(exc: DjangoValidationError) -> Any:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        body = validation_error_detail(exc)
        matches = getattr(exc, "matches", None)
        if matches is not None:
            # Only matches the caller may open; for the others, whom to ask — never their data.
            body["duplicates"] = [{"id": c.pk, "name": c.name, "birth_date": c.birth_date.isoformat()} for c in matches]
            body["elsewhere"] = list(getattr(exc, "elsewhere", []))
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    return drf_exception_handler(exc, context)


def _json_messages() -> dict[str, str]:
    return {
        "depth": _("JSON nested deeper than %(n)d levels") % {"n": inputs.MAX_JSON_DEPTH},
        "int": _("must be a whole number between %(lo)d and %(hi)d") % {"lo": inputs.INT64_MIN, "hi": inputs.INT64_MAX},
        "float": _("must be a finite number"),
    }


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with limits: depth, finite numbers, integers the database can hold (lib/inputs.py)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", "utf-8")
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, AttributeError) as exc:
            raise exceptions.ParseError(_("JSON parse error - %(e)s") % {"e": exc}) from None
        try:
            return inputs.loads(text, messages=_json_messages())
        except inputs.JSONInputError as exc:
            raise exceptions.ValidationError(exc.errors) from None
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(_("JSON parse error - %(e)s") % {"e": exc}) from None


class StrictCharField(serializers.CharField):
    """A string field that refuses numbers and booleans instead of turning them into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A boolean field that accepts only JSON true/false."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data
