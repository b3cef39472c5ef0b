"""Request-scoped context that services read without being handed the request."""

from contextvars import ContextVar

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from .api import error_response
from .errors import ApplicationError, NotFound

_current_ip: ContextVar[str | None] = ContextVar("linli_current_ip", default=None)


def current_ip() -> str | None:
    """The client address of the request being served, for the audit trail."""
    return _current_ip.get()


def client_ip(request) -> str | None:
    """The address a request came from: what the server saw, or behind ``PROXY_COUNT`` proxies that each
    append the address they saw to ``X-Forwarded-For`` (nginx's ``$proxy_add_x_forwarded_for``), the
    address the outermost proxy saw — counted from the right, so whatever a client wrote into the
    header itself is never taken. A request with fewer addresses than proxies did not come through
    them: the address the server saw. The rate limits, the sign-in lockout (django-axes'
    ``AXES_CLIENT_IP_CALLABLE``) and the audit trail all read it here."""
    proxies = settings.PROXY_COUNT
    if proxies:
        forwarded = [address.strip() for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if address.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_ip.set(client_ip(request))
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
        response = render(request, template, {"error": exception}, status=exception.status)
        for header, value in exception.headers.items():
            response[header] = value
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request whose body is larger than ``MAX_REQUEST_BYTES`` before reading any of it.

    Django reads uploads into temporary files before a view can look at them; a 200 MB upload
    would be read whole only to be refused. This answers 413 at once, in the page's or the
    API's error shape.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            limit = settings.MAX_REQUEST_BYTES // (1024 * 1024)
            message = _("The upload is larger than %(mb)s MB.") % {"mb": limit}
            if request.path.startswith("/api/"):
                return error_response(413, "too_large", message)
            error = ApplicationError(message)
            error.status = 413
            return render(request, "core/error.html", {"error": error}, status=413)
        return self.get_response(request)


class RefuseNulMiddleware:
    """A page request with a NUL character in its path, query or form fields is a 400 at once.

    PostgreSQL's text cannot hold the character, and pages read query parameters (``?q=``,
    ``?within=``) in many places besides their forms (whose fields refuse it themselves). The
    API names the field instead (``core.api.check_input``), so its requests pass through here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") and _holds_nul(request):
            from .views import bad_request

            return bad_request(request)
        return self.get_response(request)


def _holds_nul(request) -> bool:
    if "\x00" in request.path:
        return True
    params = [request.GET]
    if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        params.append(request.POST)
    return any("\x00" in key or any("\x00" in value for value in values)
               for query in params for key, values in query.lists())


class MetricsMiddleware:
    """Counts every answer by kind and status class and times it, for /metrics (``core.metrics``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from time import perf_counter

        from .metrics import observe

        began = perf_counter()
        response = self.get_response(request)
        observe(request.path, response.status_code, perf_counter() - began)
        return response


def content_security_policy(map_background: dict) -> str:
    """The policy of every page: scripts only from Linli's own files (never inline, never ``eval``),
    styles from its files and inline (``style=`` attributes in the templates, and the ``<style>`` that
    FullCalendar, htmx and Swagger UI write at run time), images also from the map's tile server,
    no plugins, no framing, forms and ``<base>`` only to Linli itself."""
    from urllib.parse import urlsplit

    tiles = []
    for layer in map_background.get("layers", []):
        for subdomain in layer.get("subdomains") or [""]:
            address = urlsplit(layer["url"].replace("{s}", subdomain))
            if address.scheme and address.netloc and f"{address.scheme}://{address.netloc}" not in tiles:
                tiles.append(f"{address.scheme}://{address.netloc}")
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", *tiles],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy to every answer that has none of its own (an uploaded file is
    served with a stricter one, ``core.uploads``). Not on Django's debug page of an error, whose
    script is inline."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._background, self._policy = None, ""

    def policy(self) -> str:
        """The policy for the map background in force, worked out again only when the setting changes."""
        if settings.MAP_BACKGROUND is not self._background:
            self._background, self._policy = settings.MAP_BACKGROUND, content_security_policy(settings.MAP_BACKGROUND)
        return self._policy

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and not (settings.DEBUG and response.status_code >= 500):
            response["Content-Security-Policy"] = self.policy()
        return response


class UnavailableMiddleware:
    """A database or Redis that cannot be reached while a view or its template runs: a 503 page, or the
    API's error shape (``core.views.service_unavailable``), instead of a 500. What fails in another
    middleware (loading or saving the session) reaches the same answer through ``handler500``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from .views import is_unavailable, service_unavailable

        return service_unavailable(request, exception) if is_unavailable(exception) else None
