"""Feedback: submitted with a photo and a place, handled by deadline, rated by the resident and published."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.uploads import photo_from_upload
from notifications.services import notify
from org.models import Division, DivisionLevel
from rulepack.selectors import rule

from ..models import (
    FEEDBACK_CLOSED,
    FeedbackRequest,
    FeedbackSource,
    FeedbackStatus,
    FeedbackUpdate,
)
from .base import (
    _choice,
    _require_resident_of,
    _text,
    invalid,
    resident_community,
    rule_value,
    staff_reaches,
)
from .orders import _centres_rated_again, _stars


def feedback_categories(division: Division) -> list[dict]:
    found = rule(division=division, key="neighbourhood.feedback_categories")
    return list(found.params["categories"]) if found is not None else []


def feedback_category(division: Division, code: str) -> dict:
    for category in feedback_categories(division):
        if category["code"] == code:
            return category
    raise ValidationFailed(_("Unknown feedback category: %(code)s") % {"code": code},
                           fields={"category": [_("Choose one of the categories in the list.")]}, code="unknown_category")


def feedback_photo(upload, division: Division):
    """A clean copy of a resident's photo within the city's size limit (see core.uploads), before anything is stored."""
    return photo_from_upload(upload, max_mb=int(rule_value(division, "neighbourhood.photo_max_mb")))


def _coordinate(value, low: int, high: int, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except ArithmeticError:
        raise invalid(field, _("Not a coordinate.")) from None
    if not low <= number <= high:
        raise invalid(field, _("Not a coordinate."))
    return number


@transaction.atomic
def feedback_submit(*, actor, category: str, description: str, community: Division | None = None, photo=None,
                    latitude=None, longitude=None, address: str = "", public: bool = False, contact_name: str = "",
                    contact_phone: str = "", source: str = FeedbackSource.WEB, now: datetime | None = None) -> FeedbackRequest:
    """A resident (or staff for one) submits a request; it goes to the community or the street by
    its category, with the category's deadline from the city's pack. It is shown publicly only when
    ``public`` says the sender chose so (个人信息保护法 第二十五条); not by default."""
    now = now or timezone.now()
    if community is None:
        community = resident_community(actor)
        if community is None:
            raise PermissionDenied(_("Only residents submit feedback here."))
    elif not staff_reaches(actor, community):
        _require_resident_of(actor, community)
    if community.level != DivisionLevel.COMMUNITY:
        raise invalid("community", _("Feedback is about a community."))
    found = feedback_category(community, category)
    description = _text(description, "description", max_length=2000)
    lat, lon = _coordinate(latitude, -90, 90, "lat"), _coordinate(longitude, -180, 180, "long")
    if photo is not None:
        photo = feedback_photo(photo, community)
    routed_to = community if found["level"] == "community" else community.parent
    request = FeedbackRequest(
        community=community, routed_to=routed_to, category=found["code"], category_name=found["name"], description=description,
        latitude=lat, longitude=lon, address=_text(address, "address", max_length=200, required=False), submitted_by=actor,
        contact_name=_text(contact_name, "contact_name", max_length=60, required=False),
        contact_phone=_text(contact_phone, "contact_phone", max_length=20, required=False), source=source, public=bool(public),
        public_chosen_at=now if public else None,
        due_at=now + timedelta(days=int(found["sla_days"])), created_at=now, updated_at=now)
    if photo is not None:
        request.photo.save(photo.name, photo, save=False)
    request.save()
    FeedbackUpdate.objects.create(request=request, status=request.status, actor=actor, at=now)
    audit_record(actor=actor, action="neighbourhood.feedback.submitted", target=request, division=community,
                 changes={"category": found["code"], "routed_to": routed_to.code, "source": source, "photo": bool(photo)})
    return request


FEEDBACK_MOVES = {
    FeedbackStatus.SUBMITTED: {FeedbackStatus.ACCEPTED, FeedbackStatus.IN_PROGRESS, FeedbackStatus.RESOLVED, FeedbackStatus.REJECTED},
    FeedbackStatus.ACCEPTED: {FeedbackStatus.ACCEPTED, FeedbackStatus.IN_PROGRESS, FeedbackStatus.RESOLVED, FeedbackStatus.REJECTED},
    FeedbackStatus.IN_PROGRESS: {FeedbackStatus.IN_PROGRESS, FeedbackStatus.RESOLVED, FeedbackStatus.REJECTED},
    FeedbackStatus.RESOLVED: set(),
    FeedbackStatus.REJECTED: set(),
}


@transaction.atomic
def feedback_update(*, actor, request: FeedbackRequest, status: str, public_note: str = "",
                    now: datetime | None = None) -> FeedbackRequest:
    """The staff it was routed to move the request on (with a note the resident and the public
    see); closing it (resolved or not accepted) needs a note. The resident is told."""
    now = now or timezone.now()
    request = FeedbackRequest.objects.select_for_update(of=("self",)).select_related("community", "routed_to", "submitted_by").get(pk=request.pk)
    if not staff_reaches(actor, request.routed_to):
        raise PermissionDenied(_("This request is handled by %(unit)s.") % {"unit": request.routed_to.name})
    status = _choice(status, FeedbackStatus, "status")
    if status not in FEEDBACK_MOVES[request.status]:
        raise Conflict(_("A request that is %(now)s cannot become %(then)s.") % {
            "now": FeedbackStatus(request.status).label, "then": FeedbackStatus(status).label}, code="wrong_status")
    note = _text(public_note, "public_note", max_length=500, required=status in FEEDBACK_CLOSED or status == request.status)
    before = request.status
    request.status, request.updated_at = status, now
    if note:
        request.public_note = note
    if status in FEEDBACK_CLOSED:
        request.closed_at = now
    request.save()
    FeedbackUpdate.objects.create(request=request, status=status, public_note=note, actor=actor, at=now)
    audit_record(actor=actor, action=f"neighbourhood.feedback.{status}", target=request, division=request.community,
                 changes={"status": [before, status]}, note=note)
    notify(user=request.submitted_by, title=_("Your request “%(category)s”: %(status)s") % {
        "category": request.category_name, "status": FeedbackStatus(status).label}, body=note,
        url=f"/neighbourhood/feedback/{request.pk}/")
    return request


@transaction.atomic
def feedback_rate(*, actor, request: FeedbackRequest, stars: int, comment: str = "", now: datetime | None = None) -> FeedbackRequest:
    """The resident who asked rates how the request was handled, once it is closed (within the pack's days)."""
    now = now or timezone.now()
    request = FeedbackRequest.objects.select_for_update(of=("self",)).select_related("community").get(pk=request.pk)
    if request.submitted_by_id != actor.pk:
        raise PermissionDenied(_("Only the person who asked rates how the request was handled."))
    if request.closed_at is None:
        raise Conflict(_("Rate the handling once the request is closed."), code="not_closed")
    if request.satisfaction is not None:
        raise Conflict(_("You have already rated how this request was handled."), code="already_rated")
    days = int(rule_value(request.community, "neighbourhood.rating_days"))
    if now - request.closed_at > timedelta(days=days):
        raise Conflict(_("Ratings are given within %(n)s days of the service.") % {"n": days}, code="too_late")
    request.satisfaction, request.rated_at = _stars(stars), now
    request.satisfaction_comment = _text(comment, "comment", max_length=300, required=False)
    request.save(update_fields=["satisfaction", "satisfaction_comment", "rated_at"])
    audit_record(actor=actor, action="neighbourhood.feedback.rated", target=request, division=request.community,
                 changes={"satisfaction": request.satisfaction})
    _centres_rated_again(request.community)
    return request


@transaction.atomic
def feedback_publish(*, actor, request: FeedbackRequest, public: bool) -> FeedbackRequest:
    """Staff take a request off the public list (it names a person, say), or put it back — only one
    whose sender chose to show it publicly."""
    request = FeedbackRequest.objects.select_for_update(of=("self",)).select_related("community", "routed_to").get(pk=request.pk)
    if not staff_reaches(actor, request.routed_to) and not staff_reaches(actor, request.community):
        raise PermissionDenied()
    if public and request.public_chosen_at is None:
        raise Conflict(_("The sender did not choose to show this request publicly."), code="not_chosen_public")
    request.public = public
    request.save(update_fields=["public"])
    audit_record(actor=actor, action="neighbourhood.feedback.published" if public else "neighbourhood.feedback.unpublished",
                 target=request, division=request.community)
    return request


@transaction.atomic
def feedback_choose_public(*, actor, request: FeedbackRequest, public: bool, now: datetime | None = None) -> FeedbackRequest:
    """The sender chooses whether their request is shown publicly (without name or phone, the place
    coarsened), and may withdraw that choice at any time (个人信息保护法 第十五条)."""
    now = now or timezone.now()
    request = FeedbackRequest.objects.select_for_update(of=("self",)).select_related("community").get(pk=request.pk)
    if request.submitted_by_id != actor.pk:
        raise PermissionDenied(_("Only the person who sent a request chooses whether it is public."))
    request.public, request.public_chosen_at = bool(public), now if public else None
    request.save(update_fields=["public", "public_chosen_at"])
    audit_record(actor=actor, action="neighbourhood.feedback.public_chosen", target=request, division=request.community,
                 changes={"public": request.public})
    return request
