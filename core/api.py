"""What every API router shares: the one error shape, pagination, and the error handlers.

Every 4xx the API returns has the same body::

    {"code": "not_found", "message": "未找到。", "fields": {}}

``message`` is in the request's language (Accept-Language, the language cookie, or Chinese by
default); ``fields`` maps a field name to its messages when the input was at fault.

``LinliAPI`` is the class of the one API object. It checks every operation's input after ninja
has parsed it and before the handler sees it (``check_input``: no NUL character in text, whole
numbers and dates within what the database and date arithmetic hold), and its OpenAPI document
lists for every operation the error statuses it can answer with (``document_errors``).
"""

import functools
import math
from datetime import date, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import PaginationBase
from pydantic import BaseModel

from .errors import ApplicationError, ValidationFailed, fields_from_django_validation_error


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


# What the API accepts of any field, whatever its schema says: whole numbers PostgreSQL's
# ``integer`` holds (the column of nearly every number; ids are ``bigint`` but never get this far),
# dates of years people live in, so that date arithmetic never overflows, and real time zones.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2199, 12, 31)
# The time zone offsets in use on Earth (PostgreSQL refuses any beyond ±15:59).
EARLIEST_OFFSET, LATEST_OFFSET = timedelta(hours=-12), timedelta(hours=14)


def _refusals(value: Any, name: str):
    """(field, message) for each part of an operation's parsed input the database cannot hold."""
    if isinstance(value, str):
        if "\x00" in value:
            yield name, _("Text cannot contain the NUL character.")
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if value > INT_MAX:
            yield name, str(_PYDANTIC_MESSAGES["less_than_equal"]).format(le=INT_MAX)
        elif value < INT_MIN:
            yield name, str(_PYDANTIC_MESSAGES["greater_than_equal"]).format(ge=INT_MIN)
    elif isinstance(value, float | Decimal):
        if not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)):
            yield name, str(_PYDANTIC_MESSAGES["float_parsing"])
    elif isinstance(value, date):  # and datetime
        day = value.date() if isinstance(value, datetime) else value
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            yield name, _("Enter a date from %(earliest)s to %(latest)s.") % {
                "earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()}
        offset = value.utcoffset() if isinstance(value, datetime) else None
        if offset is not None and not EARLIEST_OFFSET <= offset <= LATEST_OFFSET:
            yield name, _("Enter a time zone offset from -12:00 to +14:00.")
    elif isinstance(value, BaseModel):
        for field in type(value).model_fields:
            yield from _refusals(getattr(value, field, None), f"{name}.{field}" if name else field)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _refusals(key, name)
            yield from _refusals(item, f"{name}.{key}" if name else str(key))
    elif isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            yield from _refusals(item, f"{name}.{index}" if name else str(index))


def check_input(view_func):
    """Refuse, field by field, input that passed its schema but that the database cannot hold.

    Applied to every operation (``LinliAPI``) after ninja has parsed the path, query, form and
    body, so no operation, current or future, reaches a service with a NUL character in its
    text (PostgreSQL's text cannot hold one), a whole number beyond the database's columns, a
    date whose arithmetic overflows or a time in a time zone PostgreSQL does not know. Fields are named as in validation errors: a parameter by its
    name, a body schema's fields by theirs.
    """

    @functools.wraps(view_func)
    def checked(request, *args, **kwargs):
        fields: dict[str, list[str]] = {}
        for param, value in kwargs.items():
            # A schema (body, form or query model) names its own fields; a plain parameter its name.
            for name, message in _refusals(value, "" if isinstance(value, BaseModel) else param):
                fields.setdefault(name or param, []).append(message)
        if fields:
            raise ValidationFailed(fields=fields)
        return view_func(request, *args, **kwargs)

    return checked


def _error_statuses(method: str, operation: dict) -> set[int]:
    """The error statuses an operation can answer with, from what it reads and who may call it."""
    statuses = {404, 422}
    if operation.get("security"):
        statuses |= {401, 403}
        if method != "get":
            statuses.add(409)
    if "requestBody" in operation:
        statuses |= {400, 413}
    return statuses


def document_errors(schema: dict) -> dict:
    """Add to every operation of an OpenAPI document the error responses it does not list yet."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}"))
    reference = {"$ref": "#/components/schemas/ErrorOut"}
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            documented = {int(status) for status in responses if str(status).isdigit()}
            for status in sorted(_error_statuses(method, operation) - documented):
                responses[status] = {"description": HTTPStatus(status).phrase,
                                     "content": {"application/json": {"schema": reference}}}
    return schema


class LinliAPI(NinjaAPI):
    """The one API's class: input checked for every operation, every error status documented."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_decorator(check_input, mode="operation")

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        return document_errors(super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params))

    def _get_urls(self):
        return grouped_by_prefix(super()._get_urls())

    def create_response(self, request, data, *, status=None, temporal_response=None):
        from core.listcache import keep

        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        keep(request, response)
        return response


def grouped_by_prefix(patterns: list, depth: int = 2) -> list:
    """The API's URL patterns nested by their first ``depth`` segments (``v1/neighbourhood/``…).

    Django tries a list of patterns one by one, and ninja lists every operation's path in one list
    of a few hundred: a call to a module near its end was matched against two hundred patterns
    before its own. Nested, a call is matched against a module's prefixes, then that module's paths.
    Names, order within a module and what each path serves are unchanged."""
    from django.urls import URLPattern, include, path
    from django.urls.resolvers import RoutePattern

    items: list = []
    groups: dict[str, list] = {}
    for pattern in patterns:
        route = pattern.pattern._route if isinstance(pattern, URLPattern) and isinstance(pattern.pattern, RoutePattern) else ""
        parts = route.split("/")
        if len(parts) > depth and not any("<" in part for part in parts[:depth]):
            prefix = "/".join(parts[:depth]) + "/"
            if prefix not in groups:
                groups[prefix] = []
                items.append(prefix)
            groups[prefix].append(path(route[len(prefix):], pattern.callback, pattern.default_args, name=pattern.name))
        else:
            items.append(pattern)
    return [path(item, include(groups[item])) if isinstance(item, str) else item for item in items]


def install_error_handlers(api) -> None:
    """Map every error to the one shape. Unexpected exceptions still propagate as 500s."""

    @api.exception_handler(ApplicationError)
    def application_error(request, exc: ApplicationError):
        response = error_response(exc.status, exc.code, exc.message, exc.fields)
        for header, value in exc.headers.items():
            response[header] = value
        return response

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

    # Bodies Django cannot read: the same answer whether DEBUG is on or off.
    @api.exception_handler(MultiPartParserError)
    def malformed_form(request, exc):
        return error_response(400, "malformed_body", _("The request body is not valid form data."))

    @api.exception_handler(RequestDataTooBig)
    def too_large(request, exc):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return error_response(413, "too_large", _("The upload is larger than %(mb)s MB.") % {"mb": limit})

    @api.exception_handler(SuspiciousOperation)
    @api.exception_handler(BadRequest)
    def bad_request(request, exc):
        return error_response(400, "bad_request", _("The request could not be understood."))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return error_response(404, "not_found", _("Not found."))

    @api.exception_handler(DjangoPermissionDenied)
    def permission_denied(request, exc):
        return error_response(403, "permission_denied", _("Your role does not allow this."))

