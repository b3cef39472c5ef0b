"""What every API router shares: the one error shape, pagination, and the error handlers.

Every 4xx the API returns has the same body::

    {"code": "not_found", "message": "未找到。", "fields": {}}

``message`` is in the request's language (Accept-Language, the language cookie, or Chinese by
default); ``fields`` maps a field name to its messages when the input was at fault.
"""

import math
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import PaginationBase

from .errors import ApplicationError, fields_from_django_validation_error


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


# Responses every authenticated operation may give, for the OpenAPI document.
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def error_body(code: str, message: Any, fields: dict | None = None) -> dict:
    return {"code": code, "message": str(message), "fields": {k: [str(m) for m in v] for k, v in (fields or {}).items()}}


def error_response(status: int, code: str, message: Any, fields: dict | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, fields), status=status, json_dumps_params={"ensure_ascii": False})


class PageNumber(PaginationBase):
    """``?page=2&page_size=50``; answers with the items and where they sit in the whole."""

    class Input(Schema):
        page: int = Field(1, ge=1, description="1-based page number")
        page_size: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_PER_PAGE_SIZE)

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        page_size: int
        pages: int

    items_attribute = "items"

    def paginate_queryset(self, queryset, pagination: Input, request: HttpRequest, **params):
        offset = (pagination.page - 1) * pagination.page_size
        count = self._items_count(queryset)
        return {
            "items": list(queryset[offset : offset + pagination.page_size]),
            "count": count,
            "page": pagination.page,
            "page_size": pagination.page_size,
            "pages": max(1, math.ceil(count / pagination.page_size)),
        }


# Messages for the pydantic error types people actually meet, in their language.
_PYDANTIC_MESSAGES = {
    "missing": gettext_lazy("This field is required."),
    "string_too_long": gettext_lazy("Too long (at most {max_length} characters)."),
    "string_too_short": gettext_lazy("Too short (at least {min_length} characters)."),
    "string_pattern_mismatch": gettext_lazy("Not in the expected format."),
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_type": gettext_lazy("Enter a whole number."),
    "float_parsing": gettext_lazy("Enter a number."),
    "decimal_parsing": gettext_lazy("Enter a number."),
    "decimal_max_places": gettext_lazy("At most {decimal_places} decimal places."),
    "greater_than_equal": gettext_lazy("Must be at least {ge}."),
    "greater_than": gettext_lazy("Must be more than {gt}."),
    "less_than_equal": gettext_lazy("Must be at most {le}."),
    "less_than": gettext_lazy("Must be less than {lt}."),
    "bool_parsing": gettext_lazy("Enter true or false."),
    "date_from_datetime_parsing": gettext_lazy("Enter a date such as 2026-05-01."),
    "date_parsing": gettext_lazy("Enter a date such as 2026-05-01."),
    "datetime_parsing": gettext_lazy("Enter a date and time such as 2026-05-01T09:30:00+08:00."),
    "datetime_from_date_parsing": gettext_lazy("Enter a date and time such as 2026-05-01T09:30:00+08:00."),
    "enum": gettext_lazy("Choose one of: {expected}."),
    "literal_error": gettext_lazy("Choose one of: {expected}."),
    "extra_forbidden": gettext_lazy("Unknown field."),
    "dict_type": gettext_lazy("Expected an object."),
    "model_attributes_type": gettext_lazy("Expected an object."),
    "list_type": gettext_lazy("Expected a list."),
    "string_type": gettext_lazy("Expected text."),
    "json_invalid": gettext_lazy("The request body is not valid JSON."),
}


def _field_name(loc: list) -> str:
    parts = [str(p) for p in loc]
    # ninja prefixes the parameter's source and name ("body", "payload", ...).
    if parts and parts[0] in {"body", "query", "path", "form", "header", "cookie", "file"}:
        parts = parts[1:]
        if len(parts) > 1:
            parts = parts[1:]
    return ".".join(parts) or "__all__"


def _pydantic_message(error: dict) -> str:
    template = _PYDANTIC_MESSAGES.get(error.get("type", ""))
    if template is None:
        return str(error.get("msg", _("Not valid.")))
    try:
        return str(template).format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return str(error.get("msg", ""))


def validation_fields(errors: list[dict]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        fields.setdefault(_field_name(error.get("loc", [])), []).append(_pydantic_message(error))
    return fields


def install_error_handlers(api) -> None:
    """Map every error to the one shape. Unexpected exceptions still propagate as 500s."""

    @api.exception_handler(ApplicationError)
    def application_error(request, exc: ApplicationError):
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        return error_response(422, "validation_failed", _("Some of the data is not valid."), validation_fields(exc.errors))

    @api.exception_handler(DjangoValidationError)
    def django_validation_error(request, exc: DjangoValidationError):
        return error_response(
            422, "validation_failed", _("Some of the data is not valid."), fields_from_django_validation_error(exc)
        )

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc):
        return error_response(401, "not_authenticated", _("Please sign in, or send a valid API token."))

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            return error_response(400, "malformed_body", _("The request body is not valid JSON."))
        if exc.status_code == 429:
            return error_response(429, "rate_limited", _("Too many attempts. Please wait and try again."))
        return error_response(exc.status_code, "http_error", str(exc))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return error_response(404, "not_found", _("Not found."))

    @api.exception_handler(DjangoPermissionDenied)
    def permission_denied(request, exc):
        return error_response(403, "permission_denied", _("Your role does not allow this."))

