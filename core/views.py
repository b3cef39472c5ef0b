"""Pages every module shares: the home dashboard, the probes (liveness, readiness, metrics), and
the error pages, among them the 503 for a database or Redis that cannot be reached."""

import hmac
import ipaddress
import logging
import sys

from django.conf import settings
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .api import error_response
from .errors import ApplicationError
from .navigation import cards_for
from .replica import replica_reads

logger = logging.getLogger(__name__)


def public(view):
    """Mark a page as open to anyone; every other page requires sign-in and a role.

    The authorization matrix test reads this mark: a page without it must turn anonymous
    visitors away and must not show a neighbour's data to any role.
    """
    view.linli_public = True
    return view


@public
@replica_reads
def home(request):
    if not request.user.is_authenticated:
        return render(request, "core/welcome.html")
    cards = cards_for(request.user)
    return render(request, "core/home.html", {"cards": cards})


@public
@never_cache
def healthz(request):
    """Liveness: this process answers. It touches nothing else, so a database that is down does
    not get every app server restarted; /readyz says whether it can serve."""
    return JsonResponse({"status": "ok"})


# Headers a proxy adds: a request that carries one came from beyond the proxy, whatever REMOTE_ADDR says.
PROXY_HEADERS = ("X-Forwarded-For", "X-Forwarded-Proto", "X-Real-Ip", "Forwarded")


def probe_trusted(request) -> bool:
    """Whether the request may read /metrics and /readyz's reasons: sent on loopback straight to this
    server (not through a proxy), or with ``Authorization: Bearer <METRICS_TOKEN>``."""
    token = settings.METRICS_TOKEN
    if token and hmac.compare_digest(request.headers.get("Authorization", "").encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return address.is_loopback and not any(header in request.headers for header in PROXY_HEADERS)


@public
@never_cache
def readyz(request):
    """Readiness (core.health): 200 when every check passes, else 503 naming the checks that fail.
    ``?only=database,redis`` asks for those checks only (a load balancer's: an app server can serve
    while the task worker is down)."""
    from .health import readiness

    checks = readiness()
    only = {name.strip() for name in request.GET.get("only", "").split(",") if name.strip()}
    if only:
        checks = [check for check in checks if check.name in only]
    ready = all(check.ok for check in checks)
    detailed = probe_trusted(request)
    body = {"status": "ok" if ready else "unavailable",
            "checks": {check.name: {"ok": check.ok, **({"detail": check.detail} if detailed else {})} for check in checks}}
    if not ready:
        body["failed"] = [check.name for check in checks if not check.ok]
    return JsonResponse(body, status=200 if ready else 503)


@public
@never_cache
def metrics(request):
    """Prometheus's text format (core.metrics), to loopback or the bearer of METRICS_TOKEN."""
    if not probe_trusted(request):
        return HttpResponse("Metrics are served on loopback, or with Authorization: Bearer <METRICS_TOKEN>.\n",
                            status=403, content_type="text/plain; charset=utf-8")
    from .health import readiness
    from .metrics import exposition

    text, content_type = exposition(readiness())
    return HttpResponse(text, content_type=content_type)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    if _is_api(request):
        return error_response(404, "not_found", _("Not found."))
    return render(request, "404.html", status=404)


def permission_denied(request, exception=None):
    if _is_api(request):
        return error_response(403, "permission_denied", _("Your role does not allow this."))
    return render(request, "403.html", status=403)


def bad_request(request, exception=None):
    if _is_api(request):
        return error_response(400, "bad_request", _("The request could not be understood."))
    return render(request, "400.html", status=400)


# A database or Redis that cannot be reached (down, restarting, refusing connections): the request is
# answered 503, and the next one works again once it is back (CONN_HEALTH_CHECKS drops a dead connection).
UNAVAILABLE = (DatabaseOperationalError, DatabaseInterfaceError, RedisConnectionError, RedisTimeoutError)
UNAVAILABLE_MESSAGE = gettext_lazy("The service is unavailable for a moment: a database or cache it relies on cannot be "
                                   "reached. Please try again in a little while.")


def is_unavailable(exception: BaseException | None) -> bool:
    while exception is not None:
        if isinstance(exception, UNAVAILABLE):
            return True
        exception = exception.__cause__
    return False


def service_unavailable(request, exception=None):
    """503: the Chinese error page (drawn without the session, the user or the database), or the API's
    error shape; a client may try again in a few seconds."""
    logger.warning("503 for %s %s: %s", request.method, request.path, f"{type(exception).__name__}: {exception}".strip()[:300])
    message = str(UNAVAILABLE_MESSAGE)
    if _is_api(request):
        response = error_response(503, "unavailable", message)
    else:
        error = ApplicationError(message, code="unavailable")
        error.status = 503
        template = "core/partials/error.html" if request.headers.get("HX-Request") else "core/error.html"
        try:
            page = render_to_string(template, {"error": error})
        except Exception:  # noqa: BLE001 (the page's own needs failed: the page that needs nothing)
            page = render_to_string("503.html")
        response = HttpResponse(page, status=503)
    response["Retry-After"] = "5"
    return response


def server_error(request):
    exception = sys.exc_info()[1]
    if is_unavailable(exception):
        return service_unavailable(request, exception)
    if _is_api(request):
        return error_response(500, "server_error", _("Something went wrong on our side. It has been logged."))
    return render(request, "500.html", status=500)


def csrf_failure(request, reason=""):
    if _is_api(request):
        return error_response(403, "csrf_failed", _("The security token of this form has expired. Reload the page and try again."))
    return render(request, "403_csrf.html", status=403)
