"""Pages every module shares: the home dashboard, the health check, and the error pages."""

from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .api import error_response
from .navigation import cards_for


def public(view):
    """Mark a page as open to anyone; every other page requires sign-in and a role.

    The authorization matrix test reads this mark: a page without it must turn anonymous
    visitors away and must not show a neighbour's data to any role.
    """
    view.linli_public = True
    return view


@public
def home(request):
    if not request.user.is_authenticated:
        return render(request, "core/welcome.html")
    cards = cards_for(request.user)
    return render(request, "core/home.html", {"cards": cards})


@public
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


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


def server_error(request):
    if _is_api(request):
        return error_response(500, "server_error", _("Something went wrong on our side. It has been logged."))
    return render(request, "500.html", status=500)


def csrf_failure(request, reason=""):
    if _is_api(request):
        return error_response(403, "csrf_failed", _("The security token of this form has expired. Reload the page and try again."))
    return render(request, "403_csrf.html", status=403)
