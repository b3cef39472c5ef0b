"""Request-scoped context that services read without being handed the request."""

from contextvars import ContextVar

from django.http import Http404
from django.shortcuts import render

from .errors import ApplicationError, NotFound

_current_ip: ContextVar[str | None] = ContextVar("linli_current_ip", default=None)


def current_ip() -> str | None:
    """The client address of the request being served, for the audit trail."""
    return _current_ip.get()


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            _current_ip.reset(token)


class ApplicationErrorMiddleware:
    """Pages raise the same domain errors as services; show them as the right 4xx page.

    ``NotFound`` becomes the 404 page, ``PermissionDenied`` the 403 page, any other
    ``ApplicationError`` a 4xx page (or an HTMX fragment) with its message. API requests are
    answered by the API's own handlers and never reach here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ApplicationError):
            return None
        if isinstance(exception, NotFound):
            raise Http404(str(exception.message))
        template = "core/partials/error.html" if getattr(request, "htmx", False) else "core/error.html"
        return render(request, template, {"error": exception}, status=exception.status)
