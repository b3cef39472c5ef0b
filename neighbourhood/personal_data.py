"""What the smart neighbourhood keeps of a resident (``core.privacy``): for the copy they download and
for closing their account.

Closing an account: the household (address and who lives there) is deleted; registrations for
activities still to come and orders not yet delivered are cancelled (a freed place goes to the
waitlist), the rest stay as the community's record of what was held and served (person-times, the
centre's star rating) under the account, which is anonymised; what the person wrote in free text
that others do not need — order details and times that suit, comments on ratings, a feedback
request's contact name and phone — is cleared, and their feedback is taken off the public list.
"""

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.privacy import (
    NAME,
    Rows,
    local_text,
    personal_data_opened,
    personal_data_source,
    viewer_of,
)

from .models import (
    Activity,
    ActivityRating,
    FeedbackRequest,
    Household,
    HouseholdTag,
    Need,
    NeedSupport,
    OrderStatus,
    Registration,
    RegistrationStatus,
    ServiceOrder,
)


def registrations_opened(*, user, activity: Activity, registrations) -> None:
    """Staff who read the names of an activity's registrants whole (its community's workers, the operator
    running it) leave a trace in the audit trail."""
    others = sum(1 for r in registrations if r.user_id != user.pk)
    if others and viewer_of(user).sees(NAME, division=activity.community_id, organisation=activity.organiser_id):
        personal_data_opened(user=user, target=activity, division=activity.community, people=others)


def _label(choices, value) -> str:
    return str(dict(choices.choices).get(value, value)) if value else ""


def _yes(value: bool) -> str:
    return str(_("yes")) if value else str(_("no"))


# The household.

def _household(user):
    household = Household.objects.filter(resident=user).select_related("community", "grid").first()
    columns = [_("Community"), _("Grid"), _("Building, unit and door"), _("People in the household"), _("Who lives here"),
               _("Consent to keep the tags given at")]
    if household is None:
        return columns, []
    tags = "、".join(_label(HouseholdTag, t) for t in household.tags)
    return columns, [[household.community.name, household.grid.name if household.grid_id else "", household.address,
                      household.members, tags, local_text(household.tags_consented_at)]]


def _household_erase(user, now) -> int:
    return Household.objects.filter(resident=user).delete()[0]


# Registrations, check-ins and ratings of activities.

def _registrations(user):
    registrations = (Registration.objects.filter(user=user).select_related("activity__community")
                     .annotate(came=Count("attendances")).order_by("created_at", "id"))
    return ([_("Activity"), _("Community"), _("First session"), pgettext_lazy("registration", "Places"), _("Status"), pgettext_lazy("activity", "Registered at"),
             _("Sessions checked in")],
            Rows(registrations, lambda r: [r.activity.title, r.activity.community.name, local_text(r.activity.starts_at), r.places,
                                           _label(RegistrationStatus, r.status), local_text(r.created_at), r.came]))


def _registrations_erase(user, now) -> int:
    from . import services

    cancelled = 0
    live = Registration.objects.filter(user=user, status__in=[RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED],
                                       activity__ends_at__gte=now)
    for registration in live:
        services.registration_cancel(actor=user, registration=registration, now=now)
        cancelled += 1
    return cancelled + ActivityRating.objects.filter(user=user).exclude(comment="").update(comment="")


def _ratings(user):
    ratings = ActivityRating.objects.filter(user=user).select_related("activity").order_by("rated_at", "id")
    return ([_("Activity"), _("Rating"), _("Comment"), pgettext_lazy("residents", "Rated at")],
            Rows(ratings, lambda r: [r.activity.title, r.stars, r.comment, local_text(r.rated_at)]))


# Needs recorded and supported.

def _needs(user):
    recorded = Need.objects.filter(recorded_by=user).select_related("community", "kind").order_by("created_at")
    supported = set(NeedSupport.objects.filter(user=user).values_list("need_id", flat=True))
    rows = [[n.title, n.community.name, n.kind.name, n.description, n.on_behalf_of, local_text(n.created_at), _("recorded by me")]
            for n in recorded]
    rows += [[n.title, n.community.name, n.kind.name, n.description, "", local_text(n.created_at), _("supported by me")]
             for n in Need.objects.filter(pk__in=supported - {n.pk for n in recorded}).select_related("community", "kind")]
    return [_("Need"), _("Community"), _("Kind of need"), _("Details"), _("On behalf of"), _("Recorded at"), _("How it is mine")], rows


# Service orders.

def _orders(user):
    orders = (ServiceOrder.objects.filter(Q(resident=user) | Q(members__user=user)).distinct()
              .select_related("community", "operator").order_by("created_at", "id"))
    return ([_("What is wanted"), _("Community"), _("Details"), _("When it suits"), _("Operator"), _("Status"), _("Ordered at"),
             _("Rating"), _("Comment")],
            Rows(orders, lambda o: [o.title, o.community.name, o.details, o.preferred_time, o.operator.name if o.operator_id else "",
                                    _label(OrderStatus, o.status), local_text(o.created_at), o.rating or "", o.rating_comment]))


def _orders_erase(user, now) -> int:
    from . import services

    touched = 0
    for order in ServiceOrder.objects.filter(resident=user, status__in=[OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.SCHEDULED]):
        services.order_cancel(actor=user, order=order, reason=str(_("The resident closed their account.")), now=now)
        touched += 1
    return touched + ServiceOrder.objects.filter(resident=user).exclude(details="", preferred_time="", rating_comment="").update(
        details="", preferred_time="", rating_comment="", updated_at=now)


# Feedback.

def _feedback(user):
    requests = FeedbackRequest.objects.filter(submitted_by=user).select_related("community").order_by("created_at", "id")
    return ([_("Category"), _("What happened"), pgettext_lazy("place", "Where"), _("Latitude"), _("Longitude"), _("Contact name"),
             _("Contact phone"), _("Status"), _("Submitted at"), _("Shown publicly"), _("Rating of the handling"), _("Comment")],
            Rows(requests, lambda f: [f.category_name, f.description, f.address, f.latitude if f.latitude is not None else "",
                                      f.longitude if f.longitude is not None else "", f.contact_name, f.contact_phone,
                                      f.get_status_display(), local_text(f.created_at), _yes(f.public), f.satisfaction or "",
                                      f.satisfaction_comment]))


def _feedback_erase(user, now) -> int:
    return FeedbackRequest.objects.filter(submitted_by=user).update(contact_name="", contact_phone="", public=False, public_chosen_at=None,
                                                                    satisfaction_comment="", updated_at=now)


def _feedback_photos(user):
    word = _("Feedback")
    for f in FeedbackRequest.objects.filter(submitted_by=user).exclude(photo=""):
        yield f"{word}-{f.pk}-{timezone.localtime(f.created_at):%Y%m%d}.jpg", f.photo


personal_data_source("neighbourhood.household", _("My household"), collect=_household, erase=_household_erase, order=20)
personal_data_source("neighbourhood.registrations", _("Activities I registered for"), collect=_registrations, erase=_registrations_erase,
                     order=30)
personal_data_source("neighbourhood.ratings", _("Activities I rated"), collect=_ratings, order=31)
personal_data_source("neighbourhood.needs", _("Needs I recorded or supported"), collect=_needs, order=40)
personal_data_source("neighbourhood.orders", _("Services I ordered or joined"), collect=_orders, erase=_orders_erase, order=50)
personal_data_source("neighbourhood.feedback", _("My feedback requests"), collect=_feedback, erase=_feedback_erase, files=_feedback_photos,
                     order=60)
