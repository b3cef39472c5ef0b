"""Feedback as an Open311 GeoReport v2 endpoint (JSON), so existing Open311 clients work with it.

    GET  /open311/v2/discovery.json
    GET  /open311/v2/services.json                 the city's feedback categories
    GET  /open311/v2/services/{service_code}.json  a service's definition (no extra attributes)
    GET  /open311/v2/requests.json                 public requests (filters: service_request_id,
                                                   service_code, start_date, end_date, status)
    POST /open311/v2/requests.json                 a new request (form-encoded; api_key required;
                                                   attribute[public]=true to show it publicly)
    GET  /open311/v2/requests/{id}.json            one request

``jurisdiction_id`` is a city's division code (optional when the platform serves one city).
``api_key`` is a Linli API token issued for Open311 (scope ``open311`` on *我的资料*; a full or
read-only token is refused, and an Open311 token is refused by ``/api/v1/``), and posts are
rate-limited (``RATE_LIMIT_OPEN311``); the request is filed by the token's owner: a resident's request goes to their community; staff may name the place by ``lat``/
``long``, and it goes to the community whose centre is nearest within their scope. Errors come
in the standard's shape, ``[{"code": 400, "description": "..."}]``, with the same HTTP status.
Only requests their senders chose to make public are listed (个人信息保护法 第二十五条), never with a
name or phone: the place is rounded to three decimals (about 100 m), the address given without its
door, mobile and ID card numbers in the words masked (``core.privacy``). A request is private unless
its POST says ``attribute[public]=true`` — the one attribute every service defines (an extension of
the standard, listed in ``services/{code}.json``, so clients that read the definition offer it).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from accounts.models import ApiToken, TokenScope, token_digest
from accounts.permissions import active_roles
from core import ratelimit
from core.errors import ApplicationError, RateLimited
from core.privacy import coarse, mask_address, redact_text
from core.uploads import serve_upload
from core.views import public
from org.models import Division, DivisionLevel

from . import services
from .matching import haversine_km
from .models import FEEDBACK_CLOSED, FeedbackRequest, FeedbackSource

MAX_RESULTS = 1000
DEFAULT_DAYS = 90
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def error(status: int, description) -> JsonResponse:
    return _json([{"code": status, "description": str(description)}], status=status)


def _city(request) -> Division | None:
    code = request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id")
    cities = Division.objects.filter(level=DivisionLevel.CITY)
    return cities.filter(code=code).first() if code else cities.order_by("code").first()


def _service(category: dict) -> dict:
    # metadata: true — every service has one attribute, whether the request is shown publicly.
    return {"service_code": category["code"], "service_name": category["name"], "description": category.get("description", ""),
            "metadata": True, "type": "realtime", "keywords": category.get("group", ""), "group": category.get("group", "")}


def _public_attribute() -> dict:
    """The sender's choice to show a request publicly (an extension of GeoReport v2, as an attribute)."""
    return {"variable": True, "code": "public", "datatype": "singlevaluelist", "required": False, "order": 1,
            "datatype_description": _("true: show it on the public list; false or absent: only the sender and the staff see it."),
            "description": _("Show this request publicly (without name or phone, the place only roughly)?"),
            "values": [{"key": "false", "name": _("No, keep it private")}, {"key": "true", "name": _("Yes, show it publicly")}]}


def _chosen_public(data) -> bool | None:
    """``attribute[public]`` (or ``public``) of a POST: True, False, or None when it is not a yes or no."""
    value = (data.get("attribute[public]") or data.get("public") or "false").strip().lower()
    return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(value)


def _iso(moment: datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _request(item: FeedbackRequest, request) -> dict:
    """A public request as anyone may read it: no name or phone, numbers in the words masked, the address
    without its door, the place rounded to about 100 m (core.privacy)."""
    return {
        "service_request_id": str(item.pk),
        "status": "closed" if item.status in FEEDBACK_CLOSED else "open",
        "status_notes": item.public_note or item.get_status_display(),
        "service_name": item.category_name,
        "service_code": item.category,
        "description": redact_text(item.description),
        "agency_responsible": item.routed_to.name,
        "service_notice": "",
        "requested_datetime": _iso(item.created_at),
        "updated_datetime": _iso(item.updated_at),
        "expected_datetime": _iso(item.due_at),
        "address": mask_address(item.address) or item.community.name,
        "address_id": "",
        "zipcode": "",
        "lat": coarse(item.latitude),
        "long": coarse(item.longitude),
        "media_url": request.build_absolute_uri(reverse("open311:media", args=[item.pk])) if item.photo else "",
    }


@public
@require_GET
def discovery(request):
    base = request.build_absolute_uri(reverse("open311:services"))[: -len("services.json")]
    return _json({"changeset": "2026-03-01T00:00:00+08:00", "contact": str(settings.LINLI_SITE_NAME),
                  "key_service": _("Issue an API token for Open311 on your profile page (我的资料) and send it as api_key."),
                  "endpoints": [{"specification": SPECIFICATION, "url": base, "changeset": "2026-03-01T00:00:00+08:00",
                                 "type": "production", "formats": ["application/json"]}]})


@public
@require_GET
def services_list(request):
    city = _city(request)
    if city is None:
        return error(404, _("Unknown jurisdiction_id."))
    return _json([_service(c) for c in services.feedback_categories(city)])


@public
@require_GET
def service_definition(request, service_code: str):
    city = _city(request)
    if city is None:
        return error(404, _("Unknown jurisdiction_id."))
    if not any(c["code"] == service_code for c in services.feedback_categories(city)):
        return error(404, _("Unknown service_code: %(code)s") % {"code": service_code})
    return _json({"service_code": service_code, "attributes": [_public_attribute()]})


def _parse_time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    moment = parse_datetime(value.replace(" ", "+"))
    if moment is None:
        raise ValueError(_("%(name)s must be a date and time in ISO 8601 (2026-05-01T09:00:00+08:00).") % {"name": name})
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _search(request):
    city = _city(request)
    if city is None:
        return error(404, _("Unknown jurisdiction_id."))
    items = services_public(city)
    ids = [part for part in (request.GET.get("service_request_id") or "").split(",") if part.strip()]
    if ids:
        if not all(part.strip().isdigit() for part in ids):
            return error(400, _("service_request_id must be numbers separated by commas."))
        items = items.filter(pk__in=[int(part) for part in ids])
    else:
        try:
            start, end = _parse_time(request.GET.get("start_date"), "start_date"), _parse_time(request.GET.get("end_date"), "end_date")
        except ValueError as problem:
            return error(400, problem)
        if start is None and end is None:
            start = timezone.now() - timedelta(days=DEFAULT_DAYS)
        if start is not None:
            items = items.filter(created_at__gte=start)
        if end is not None:
            items = items.filter(created_at__lte=end)
        codes = [c for c in (request.GET.get("service_code") or "").split(",") if c]
        if codes:
            items = items.filter(category__in=codes)
        statuses = {s.strip() for s in (request.GET.get("status") or "").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            return error(400, _("status must be open or closed."))
        if statuses == {"open"}:
            items = items.exclude(status__in=FEEDBACK_CLOSED)
        elif statuses == {"closed"}:
            items = items.filter(status__in=FEEDBACK_CLOSED)
    return _json([_request(item, request) for item in items.order_by("-created_at", "-id")[:MAX_RESULTS]])


def services_public(city: Division):
    from .selectors import public_feedback

    return public_feedback().filter(community__path__under=city.path)


def _token_user(raw: str):
    """The owner of ``api_key``: a usable token issued for Open311 (scope ``open311``). A full or read-only
    token is refused here, so a key handed to a city app can never do more than file feedback."""
    found = ApiToken.objects.select_related("user").filter(digest=token_digest(raw or ""), user__is_active=True,
                                                            scope=TokenScope.OPEN311).first()
    return found.user if found is not None and found.is_usable() else None


def _nearest_community(user, lat: float, lon: float) -> Division | None:
    """The community whose centre is nearest the point, among those the user works in."""
    roots = [a.division for a in active_roles(user) if a.role in services.STAFF_ROLES and a.division_id]
    best, best_km = None, None
    for root in roots:
        for community in Division.objects.filter(path__under=root.path, level=DivisionLevel.COMMUNITY,
                                                 latitude__isnull=False, longitude__isnull=False):
            km = haversine_km((lat, lon), (float(community.latitude), float(community.longitude)))
            if best_km is None or km < best_km:
                best, best_km = community, km
    return best


def _create(request):
    try:
        data = request.POST
    except RequestDataTooBig:
        return error(413, _("The request is too large."))
    user = _token_user(data.get("api_key", ""))
    if user is None:
        return error(403, _("api_key is missing or not valid: it must be an API token issued for Open311."))
    try:
        ratelimit.hit("open311", ratelimit.client_address(request), f"user:{user.pk}")
    except RateLimited as refused:
        response = error(429, refused.message)
        for header, value in refused.headers.items():
            response[header] = value
        return response
    city = _city(request)
    if city is None:
        return error(404, _("Unknown jurisdiction_id."))
    code = (data.get("service_code") or "").strip()
    if not code:
        return error(400, _("service_code is required."))
    if not any(c["code"] == code for c in services.feedback_categories(city)):
        return error(400, _("Unknown service_code: %(code)s") % {"code": code})
    lat, lon, address = data.get("lat"), data.get("long"), (data.get("address_string") or "").strip()
    if not (lat and lon) and not address and not data.get("address_id"):
        return error(400, _("Give the place: lat and long, or address_string."))
    community = services.resident_community(user)
    if community is None and lat and lon:
        try:
            community = _nearest_community(user, float(lat), float(lon))
        except ValueError:
            return error(400, _("lat and long must be numbers."))
    if community is None or not community.path.startswith(city.path):
        return error(403, _("This account cannot file requests in this jurisdiction."))
    name = " ".join(part for part in (data.get("last_name", ""), data.get("first_name", "")) if part).strip()
    public = _chosen_public(data)
    if public is None:
        return error(400, _("attribute[public] must be true or false."))
    try:
        item = services.feedback_submit(
            actor=user, community=community, category=code, description=data.get("description", ""), latitude=lat or None,
            longitude=lon or None, address=address, contact_name=name, contact_phone=data.get("phone", ""),
            photo=request.FILES.get("media"), source=FeedbackSource.OPEN311, public=public)
    except ApplicationError as problem:
        details = "；".join(str(m) for msgs in problem.fields.values() for m in msgs)
        status = problem.status if problem.status in (400, 403, 404, 409) else 400
        return error(status, f"{problem.message} {details}".strip())
    notice = _("Handled by %(unit)s; expected by %(date)s.") % {"unit": item.routed_to.name,
                                                                 "date": timezone.localtime(item.due_at).strftime("%Y-%m-%d")}
    return _json([{"service_request_id": str(item.pk), "service_notice": notice, "account_id": None}], status=201)


@public
@csrf_exempt
def requests_collection(request):
    if request.method == "GET":
        return _search(request)
    if request.method == "POST":
        return _create(request)
    return error(405, _("Use GET or POST."))


@public
@require_GET
def request_detail(request, request_id: str):
    city = _city(request)
    item = services_public(city).filter(pk=int(request_id)).first() if city and request_id.isdigit() else None
    if item is None:
        return error(404, _("No public request %(id)s.") % {"id": request_id})
    return _json([_request(item, request)])


@public
@require_GET
def media(request, request_id: int):
    """The photo of a public request (Open311's media_url)."""

    item = FeedbackRequest.objects.filter(pk=request_id, public=True).exclude(photo="").first()
    if item is None:
        return error(404, _("No photo."))
    return serve_upload(item.photo)


app_name = "open311"
urlpatterns = [
    path("discovery.json", discovery, name="discovery"),
    path("services.json", services_list, name="services"),
    path("services/<str:service_code>.json", service_definition, name="service"),
    path("requests.json", requests_collection, name="requests"),
    path("requests/<str:request_id>.json", request_detail, name="request"),
    path("media/<int:request_id>", media, name="media"),
]
