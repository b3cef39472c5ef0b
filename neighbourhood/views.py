"""Pages of the smart neighbourhood.

Residents' pages are made for a phone (a tab bar at the bottom): my community, activities and
registration, check-in, my registrations, needs, ordering a service, feedback, my household.
Staff pages: needs lists with resource matching, the orders queue, activity management with
registrations and check-in (list or QR code), the feedback queue with its deadlines, person-times.
"""

from datetime import date, timedelta

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import active_roles, holds_any, permitted_ids, require
from core import ratelimit
from core.errors import ApplicationError, NotFound, PermissionDenied, ValidationFailed
from core.forms import add_error_to_form
from core.pickers import LIMIT, ids, picker_response
from core.privacy import NAME, PHONE, personal_data_opened, residents_among, viewer_of
from core.replica import replica_reads
from core.uploads import serve_upload
from org.models import Division, DivisionLevel
from org.selectors import division_get, organisation_choices, organisation_get, user_home_division
from registry.models import Room

from . import matching, selectors, services
from .forms import (
    ActivityForm,
    AnswerForm,
    CancelForm,
    CodeForm,
    DeliverForm,
    FeedbackForm,
    FeedbackUpdateForm,
    HouseholdForm,
    InviteForm,
    NeedForm,
    NeedMarkForm,
    OrderForm,
    RateForm,
    RegisterForm,
    ScheduleForm,
    aware,
)
from .models import (
    AUDIENCE_TAGS,
    CheckInMethod,
    FeedbackStatus,
    InvitationStatus,
    NeedStatus,
    OrderStatus,
    Registration,
    RegistrationStatus,
    ServiceCategory,
)
from .personal_data import registrations_opened


def _error_text(error: ApplicationError) -> str:
    details = "；".join(str(m) for msgs in error.fields.values() for m in msgs)
    return f"{error.message} {details}".strip() if details and details != str(error.message) else str(error.message)


def lives_here_only(user) -> bool:
    """A resident and nothing else: they land on My neighbourhood after signing in."""
    roles = active_roles(user)
    return bool(roles) and all(a.role == Role.RESIDENT for a in roles) and services.resident_community(user) is not None


def _resident_home(request) -> Division:
    community = services.resident_community(request.user)
    if community is None:
        raise NotFound()
    return community


def _operators_serving(community: Division):
    return services.operators_in_scope(community)


# Residents (phone first).

@login_required
def home(request):
    """My community: its centre and opening hours, this week's activities, and everything I can do."""
    community = _resident_home(request)
    start, end = selectors.week_window()
    household = selectors.household_of(user=request.user)
    week = list(selectors.activity_list(user=request.user, within=community, sessions_between=(start, end))[:20])
    tags = set(household.tags) if household else set()
    for activity in week:
        activity.for_me = bool(AUDIENCE_TAGS.get(activity.audience, set()) & tags)
    centre = selectors.community_centre(community=community)
    return render(request, "neighbourhood/home.html", {
        "community": community, "centre": centre, "hours": _hours(centre), "week": week, "household": household,
        "centre_online": selectors.centre_online(centre=centre),
        "registrations": list(selectors.my_registrations(user=request.user)[:3]),
        "open_feedback": selectors.feedback_list(user=request.user, open_only=True).filter(submitted_by=request.user).count(),
        "top_needs": list(selectors.need_list(user=request.user, within=community, open_only=True)[:3]),
        "has_fund": selectors.community_has_fund(community=community), "tab": "home",
    })


def _hours(centre) -> str:
    if centre is None or not centre.opening_hours:
        return ""
    from registry.hours import format_hours

    return format_hours(centre.opening_hours)


@login_required
def activities(request):
    community = _resident_home(request)
    category = request.GET.get("category") if request.GET.get("category") in ServiceCategory.values else None
    household = selectors.household_of(user=request.user)
    tags = set(household.tags) if household else set()
    items = list(selectors.activity_list(user=request.user, within=community, since=timezone.now(), category=category)[:60])
    mine = {r.activity_id: r for r in Registration.objects.filter(user=request.user, activity__in=items, status__in=[
        RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED])}
    for activity in items:
        activity.for_me = bool(AUDIENCE_TAGS.get(activity.audience, set()) & tags)
        activity.mine = mine.get(activity.pk)
    return render(request, "neighbourhood/activities.html", {
        "community": community, "activities": items, "category": category, "categories": ServiceCategory.choices, "tab": "activities"})


@login_required
def activity_detail(request, activity_id: int):
    activity = selectors.activity_get(user=request.user, pk=activity_id)
    registration = selectors.my_registration(user=request.user, activity=activity)
    form = RegisterForm(request.POST or None, initial={"places": 1})
    rate_form = RateForm(request.POST if "rate" in request.POST else None)
    if request.method == "POST":
        try:
            if "rate" in request.POST:
                if not rate_form.is_valid():
                    raise ValidationFailed(_("Give 1 to 5 stars."))
                services.activity_rate(actor=request.user, activity=activity, stars=rate_form.cleaned_data["rating"],
                                       comment=rate_form.cleaned_data["comment"])
                messages.success(request, _("Thank you for your rating."))
            elif "cancel" in request.POST and registration is not None:
                services.registration_cancel(actor=request.user, registration=registration)
                messages.success(request, _("Your registration is cancelled."))
            elif "register" in request.POST and form.is_valid():
                done = services.registration_create(actor=request.user, activity=activity, places=form.cleaned_data["places"])
                messages.success(request, _("You are registered. See you there!") if done.status == RegistrationStatus.REGISTERED
                                 else _("The activity is full: you are on the waitlist and move up automatically when a place frees."))
            return redirect("neighbourhood:activity", activity_id=activity.pk)
        except ApplicationError as error:
            messages.error(request, _error_text(error))
    check_in_session = services.current_session(activity, timezone.now()) \
        if registration is not None and registration.status == RegistrationStatus.REGISTERED else None
    return render(request, "neighbourhood/activity.html", {
        "activity": activity, "registration": registration, "form": form, "check_in_open": check_in_session is not None,
        "offer": selectors.registration_offer(user=request.user, activity=activity),
        "centre": selectors.offline_centre(activity), "rating": selectors.activity_rating_offer(user=request.user, activity=activity),
        "rate_form": rate_form,
        "sessions": list(activity.sessions.all()), "position": selectors.waitlist_position(registration)
        if registration and registration.status == RegistrationStatus.WAITLISTED else None,
        "can_manage": request.user.has_perm("neighbourhood.change_activity", activity), "tab": "activities",
    })


@login_required
def activity_check_in(request, activity_id: int):
    """Where the activity's QR code leads: the attendance code is filled in, one tap checks in."""
    activity = selectors.activity_get(user=request.user, pk=activity_id)
    form = CodeForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    if request.method == "POST" and form.is_valid():
        try:
            services.check_in_with_code(actor=request.user, activity=activity, code=form.cleaned_data["code"],
                                        method=CheckInMethod.QR if request.POST.get("via") == "qr" else CheckInMethod.CODE)
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Checked in. Enjoy “%(title)s”!") % {"title": activity.title})
            return redirect("neighbourhood:registrations")
    return render(request, "neighbourhood/check_in.html", {"activity": activity, "form": form, "via": "qr" if request.GET.get("code") else "",
                                                           "tab": "activities"})


@login_required
def my_registrations(request):
    _resident_home(request)
    return render(request, "neighbourhood/registrations.html", {
        "upcoming": selectors.my_registrations(user=request.user), "past": selectors.my_registrations(user=request.user, upcoming=False)[:20], "tab": "me"})


@login_required
def needs(request):
    """The community's needs, most supported first: support one, or record a new one."""
    community = _resident_home(request)
    category = request.GET.get("category") if request.GET.get("category") in ServiceCategory.values else None
    return render(request, "neighbourhood/needs.html", {
        "community": community, "needs": selectors.need_list(user=request.user, within=community, category=category, open_only=True)[:80],
        "mine": selectors.need_list(user=request.user).filter(recorded_by=request.user)[:20],
        "category": category, "categories": ServiceCategory.choices, "tab": "needs"})


@login_required
def need_new(request):
    """Record a need: a resident's own, or one a grid worker or the community's staff heard on a visit."""
    community, grid = selectors.need_place(user=request.user, community=request.GET.get("community"), grid=request.GET.get("grid"))
    if community is None or community.level != DivisionLevel.COMMUNITY:
        raise NotFound()
    recorder = services.may_record_needs(request.user, community)
    grids = selectors.need_grids(user=request.user, community=community)
    kinds = selectors.need_kinds()
    form = NeedForm(request.POST or None, kinds=kinds, staff=recorder, grids=grids, any_grid=services.staff_reaches(request.user, community),
                    community=community,
                    initial={"grid": grid.code if grid else ""})
    similar = []
    if request.method == "POST" and form.is_valid():
        kind = kinds.filter(pk=form.cleaned_data["kind"]).first()
        data = form.cleaned_data
        similar = selectors.similar_needs(community=community, kind=kind, text=f"{data['title']} {data['description']}") \
            if kind and "confirm" not in request.POST else []
        if kind is not None and not similar:
            try:
                need = services.need_record(actor=request.user, community=community, kind=kind, title=data["title"],
                                            description=data["description"], preferred_tier=data["preferred_tier"],
                                            grid=next((g for g in grids if g.code == data.get("grid")), None),
                                            on_behalf_of=data.get("on_behalf_of", ""))
            except ApplicationError as error:
                add_error_to_form(form, error)
            else:
                messages.success(request, _("Recorded. Neighbours can now support it."))
                return redirect("neighbourhood:need", need_id=need.pk)
    return render(request, "neighbourhood/need_new.html", {"form": form, "similar": similar, "community": community, "tab": "needs"})


@login_required
def need_detail(request, need_id: int):
    need = selectors.need_get(user=request.user, pk=need_id)
    staff = services.staff_reaches(request.user, need.community)
    # What may meet it: the community's own agreed services, activities, orders and operators.
    offered = list(services.services_in_scope(need.community)) if staff else []
    mark_form = NeedMarkForm(request.POST if "mark" in request.POST else None, initial={"status": need.status},
                             offered=offered, community=need.community,
                             activities=selectors.activity_list(user=request.user, within=need.community)[:50] if staff else (),
                             orders=selectors.orders_meeting_needs(user=request.user, community=need.community)[:50] if staff else (),
                             operators=_operators_serving(need.community) if staff else ())
    invite_form = InviteForm(request.POST if "invite" in request.POST else None)
    if request.method == "POST" and ("mark" in request.POST or "invite" in request.POST):
        require(request.user, "neighbourhood.change_need", need)  # as the API: a supervisor reads, 403
    if request.method == "POST":
        try:
            if "support" in request.POST:
                services.need_support(actor=request.user, need=need)
                messages.success(request, _("Thank you for your support."))
            elif "unsupport" in request.POST:
                services.need_withdraw_support(actor=request.user, need=need)
                messages.success(request, _("Support withdrawn."))
            elif "mark" in request.POST and staff and mark_form.is_valid():
                data = mark_form.cleaned_data
                activity = selectors.activity_get(user=request.user, pk=data["activity"]) if data["activity"] else None
                order = selectors.order_get(user=request.user, pk=data["order"]) if data["order"] else None
                operator = organisation_get(user=request.user, pk=data["operator"]) if data["operator"] else None
                services.need_mark(actor=request.user, need=need, status=data["status"], note=data["note"],
                                   service=next((s for s in offered if s.pk == data["service"]), None), activity=activity,
                                   order=order, operator=operator)
                messages.success(request, _("Saved; the supporters have been told."))
            elif "invite" in request.POST and staff and invite_form.is_valid():
                try:
                    operator = selectors.operator_for_invitation(user=request.user, need=need, pk=invite_form.cleaned_data["operator"])
                except NotFound:
                    raise ValidationFailed(fields={"operator": [_("Choose an operator.")]}) from None
                service = next((s for s in offered if s.pk == invite_form.cleaned_data["service"]), None)
                if invite_form.cleaned_data["service"] and service is None:
                    raise ValidationFailed(fields={"service": [_("This service is not agreed for the need's community.")]})
                services.invitation_send(actor=request.user, need=need, operator=operator, service=service,
                                         message=invite_form.cleaned_data["message"])
                messages.success(request, _("Invitation sent to %(operator)s.") % {"operator": operator.name})
            else:
                raise ValidationFailed(_("Nothing to do."))
            return redirect("neighbourhood:need", need_id=need.pk)
        except ApplicationError as error:
            messages.error(request, _error_text(error))
    return render(request, "neighbourhood/need.html", {
        "need": need, "met_by": _met_by(need), "staff": staff, "mark_form": mark_form, "invite_form": invite_form,
        "matches": matching.matches_for(need) if staff and need.status in selectors.OPEN_NEEDS else [],
        "invitations": need.invitations.select_related("operator").all() if staff else [],
        "resident": services.resident_community(request.user) is not None, "tab": "needs",
    })


def _met_by(need) -> str:
    """What meets the need, named for the residents: the agreed service (and who runs it), the activity (linked), the order, the operator."""
    parts = []
    if need.met_by_service is not None:
        parts.append(format_html("{}（{}）", need.met_by_service.name, need.met_by_service.agreement.operator.name))
    if need.met_by_activity is not None:
        parts.append(format_html('<a href="{}">{}</a>', reverse("neighbourhood:activity", args=[need.met_by_activity.pk]),
                                 need.met_by_activity.title))
    if need.met_by_order is not None:
        parts.append(format_html("{}", need.met_by_order.title))
    if need.met_by_operator is not None and (need.met_by_service is None or need.met_by_service.agreement.operator_id != need.met_by_operator_id):
        parts.append(format_html("{}", need.met_by_operator.name))
    return mark_safe("、".join(parts))  # each part escaped by format_html


@login_required
def order_new(request):
    """Order a service (群众点单): from an operator serving my community, or from whichever accepts."""
    community = _resident_home(request)
    operators = list(services.operators_in_scope(community))
    offered = list(services.services_in_scope(community))
    form = OrderForm(request.POST or None, operators=operators, offered=offered, community=community,
                     initial={"category": request.GET.get("category"), "service": request.GET.get("service")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        operator = next((o for o in operators if o.pk == data["operator"]), None)
        service = next((s for s in offered if s.pk == data["service"]), None)
        try:
            order = services.order_place(actor=request.user, category=data["category"], title=data["title"], details=data["details"],
                                         preferred_time=data["preferred_time"], operator=operator, service=service,
                                         pooled=data["pooled"], participants=data["participants"])
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Ordered. You will be told when an operator accepts."))
            return redirect("neighbourhood:order", order_id=order.pk)
    return render(request, "neighbourhood/order_new.html", {
        "form": form, "community": community, "operators": operators, "offered": offered,
        "to_join": selectors.orders_to_join(user=request.user, community=community)[:10], "tab": "services"})


@login_required
def my_orders(request):
    _resident_home(request)
    return render(request, "neighbourhood/orders.html", {"orders": selectors.my_orders(user=request.user)[:50], "tab": "services"})


@login_required
def order_detail(request, order_id: int):
    order = selectors.order_get(user=request.user, pk=order_id)
    staff = services.staff_reaches(request.user, order.community)
    operator_here = services.order_operator_for(request.user, order)
    rooms = Room.objects.filter(site__division__path__under=order.community.path, closed_on__isnull=True).select_related("site")[:100] \
        if staff and order.status == OrderStatus.ACCEPTED else []
    schedule_form = ScheduleForm(request.POST if "schedule" in request.POST else None, rooms=rooms, community=order.community)
    deliver_form = DeliverForm(request.POST if "deliver" in request.POST else None, initial={"people_served": order.participants})
    rate_form = RateForm(request.POST if "rate" in request.POST else None)
    if request.method == "POST" and "schedule" in request.POST:
        require(request.user, "neighbourhood.change_serviceorder", order)  # as the API: a supervisor reads, 403
    if request.method == "POST":
        try:
            if "accept" in request.POST and operator_here:
                services.order_accept(actor=request.user, order=order, operator=operator_here)
            elif "decline" in request.POST and operator_here:
                services.order_decline(actor=request.user, order=order, reason=request.POST.get("reason", ""))
            elif "schedule" in request.POST and staff and schedule_form.is_valid():
                data = schedule_form.cleaned_data
                room = Room.objects.select_related("site__division").get(pk=data["room"])
                services.order_schedule(actor=request.user, order=order, room=room, start=aware(data["day"], data["start"]),
                                        end=aware(data["day"], data["end"]))
            elif "deliver" in request.POST and deliver_form.is_valid():
                services.order_deliver(actor=request.user, order=order, people_served=deliver_form.cleaned_data["people_served"],
                                       note=deliver_form.cleaned_data["note"])
            elif "rate" in request.POST and rate_form.is_valid():
                services.order_rate(actor=request.user, order=order, rating=rate_form.cleaned_data["rating"],
                                    comment=rate_form.cleaned_data["comment"])
            elif "cancel" in request.POST:
                services.order_cancel(actor=request.user, order=order, reason=request.POST.get("reason", ""))
            elif "join" in request.POST:
                services.order_join(actor=request.user, order=order)
            else:
                raise ValidationFailed(_("Nothing to do."))
            messages.success(request, _("Saved."))
            return redirect("neighbourhood:order", order_id=order.pk)
        except ApplicationError as error:
            messages.error(request, _error_text(error))
    events = list(order.events.select_related("actor"))
    # Residents in the steps (who ordered, who joined) are named whole only for the community's workers and the
    # operator serving the order (core.privacy); their reading it is recorded.
    resident_ids = residents_among({e.actor_id for e in events})
    if viewer_of(request.user).sees(NAME, division=order.community_id, organisation=order.operator_id):
        personal_data_opened(user=request.user, target=order, division=order.community,
                             people=len(resident_ids - {request.user.pk}))
    return render(request, "neighbourhood/order.html", {
        "order": order, "events": events, "resident_ids": resident_ids, "staff": staff, "operator_here": operator_here,
        "schedule_form": schedule_form, "deliver_form": deliver_form, "rate_form": rate_form,
        "is_resident": order.resident_id == request.user.pk, "tab": "services",
    })


@login_required
@require_POST
def order_join(request, order_id: int):
    community = _resident_home(request)
    order = selectors.orders_to_join(user=request.user, community=community).filter(pk=order_id).first()
    if order is None:
        raise NotFound()
    try:
        services.order_join(actor=request.user, order=order)
    except ApplicationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("You joined the order."))
    return redirect("neighbourhood:order", order_id=order.pk)


@login_required
def feedback(request):
    """My requests and their progress; a new one with a photo and where it is."""
    community = _resident_home(request)
    categories = services.feedback_categories(community)
    if request.method == "POST":
        ratelimit.hit("feedback", ratelimit.client_address(request), f"user:{request.user.pk}")
    form = FeedbackForm(request.POST or None, request.FILES or None, categories=categories)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            request_ = services.feedback_submit(actor=request.user, category=data["category"], description=data["description"],
                                                photo=data["photo"], latitude=data["latitude"], longitude=data["longitude"],
                                                address=data["address"], public=data["public"])
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Sent to %(unit)s. You will be told of every step.") % {"unit": request_.routed_to.name})
            return redirect("neighbourhood:feedback_detail", feedback_id=request_.pk)
    return render(request, "neighbourhood/feedback.html", {
        "form": form, "mine": selectors.feedback_list(user=request.user).filter(submitted_by=request.user)[:30],
        "categories": categories, "tab": "feedback"})


@login_required
def feedback_detail(request, feedback_id: int):
    item = selectors.feedback_get(user=request.user, pk=feedback_id)
    handler = services.staff_reaches(request.user, item.routed_to)
    form = FeedbackUpdateForm(request.POST or None, initial={"status": item.status}) if handler and not item.is_closed else None
    mine = item.submitted_by_id == request.user.pk
    rate_form = RateForm(request.POST if "rate" in request.POST else None) if mine and item.is_closed and item.satisfaction is None \
        else None
    if request.method == "POST" and "rate" in request.POST and mine:  # the resident rates how it was handled
        try:
            if rate_form is None or not rate_form.is_valid():
                raise ValidationFailed(_("Give 1 to 5 stars."))
            services.feedback_rate(actor=request.user, request=item, stars=rate_form.cleaned_data["rating"],
                                   comment=rate_form.cleaned_data["comment"])
        except ApplicationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("Thank you for your rating."))
        return redirect("neighbourhood:feedback_detail", feedback_id=item.pk)
    if request.method == "POST" and mine and ("make_public" in request.POST or "make_private" in request.POST):
        try:  # the sender chooses whether it is public (个人信息保护法 第二十五条)
            services.feedback_choose_public(actor=request.user, request=item, public="make_public" in request.POST)
        except ApplicationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("Shown publicly, without your name or phone.") if "make_public" in request.POST
                             else _("No longer shown publicly."))
        return redirect("neighbourhood:feedback_detail", feedback_id=item.pk)
    if request.method == "POST":
        require(request.user, "neighbourhood.change_feedbackrequest", item)  # as the API: a supervisor reads, 403
    if request.method == "POST" and handler:
        try:
            if "unpublish" in request.POST or "publish" in request.POST:
                services.feedback_publish(actor=request.user, request=item, public="publish" in request.POST)
            elif form is not None and form.is_valid():
                services.feedback_update(actor=request.user, request=item, status=form.cleaned_data["status"],
                                         public_note=form.cleaned_data["public_note"])
            else:
                raise ValidationFailed(_("Nothing to do."))
            messages.success(request, _("Saved; the resident has been told."))
            return redirect("neighbourhood:feedback_detail", feedback_id=item.pk)
        except ApplicationError as error:
            if form is not None:
                add_error_to_form(form, error)
            else:
                messages.error(request, _error_text(error))
    # The sender's name, phone and address are whole only for the staff the request was routed to (core.privacy);
    # their opening it is recorded.
    sees = viewer_of(request.user).sees(PHONE, division=item.routed_to, owner=item.submitted_by_id)
    if sees and not mine:
        personal_data_opened(user=request.user, target=item, division=item.community, people=1)
    return render(request, "neighbourhood/feedback_detail.html", {
        "item": item, "updates": item.updates.select_related("actor"), "form": form, "handler": handler, "rate_form": rate_form,
        "mine": mine, "sees": sees, "overdue": not item.is_closed and item.due_at < timezone.now(), "tab": "feedback"})


@login_required
def feedback_photo(request, feedback_id: int):
    item = selectors.feedback_get(user=request.user, pk=feedback_id)
    if not item.photo:
        raise Http404
    return serve_upload(item.photo)


@login_required
def household(request):
    _resident_home(request)
    current = selectors.household_of(user=request.user)
    initial = {"address": current.address, "members": current.members, "tags": current.tags,
               "consent": bool(current.tags_consented_at)} if current else {}
    form = HouseholdForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.household_save(actor=request.user, address=data["address"], members=data["members"], tags=data["tags"],
                                    consent=data["consent"])
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("neighbourhood:home")
    return render(request, "neighbourhood/household.html", {"form": form, "tab": "me"})


# Staff pages.

def _staff_home(request) -> Division:
    if not is_staff(request.user):
        raise PermissionDenied()
    home = user_home_division(user=request.user)
    if home is None:
        raise NotFound()
    return home


def is_staff(user) -> bool:
    """Community, street and bureau staff, and operators: those the staff pages are for (not residents)."""
    return any(holds_any(user, perm) for perm in (
        "neighbourhood.change_activity", "neighbourhood.change_feedbackrequest", "neighbourhood.view_persontimes"))


# The staff pages of a division and the permission each needs: the page refuses (403) whoever lacks
# it, and the menu, the overview and the dashboard card link it only for those who hold it.
STAFF_PAGES = {
    "needs": "neighbourhood.view_need",
    "orders": "neighbourhood.view_serviceorder",
    "activities": "neighbourhood.view_activity",
    "feedback": "neighbourhood.view_feedbackrequest",
    "person_times": "neighbourhood.view_persontimes",
}


def staff_pages(user) -> dict[str, bool]:
    """Which of the staff pages ``user`` may open (at the divisions they see)."""
    staff_user = is_staff(user)
    return {page: staff_user and holds_any(user, perm) for page, perm in STAFF_PAGES.items()}


def _staff_division(request, code: str, page: str) -> Division:
    """The division of a staff page: 404 outside what the user may see, 403 for those the page is not for (residents)."""
    division = division_get(user=request.user, code=code)
    if not staff_pages(request.user)[page]:
        raise PermissionDenied()
    return division


def _with_manage_links(user, activities) -> list:
    """The activities, each marked ``manageable`` when ``user`` may open its management page (the
    page's own check, for all of them in one query); the others link to the activity as residents see it."""
    activities = list(activities)
    manageable = permitted_ids(user, "neighbourhood.change_activity", activities)
    for activity in activities:
        activity.manageable = activity.pk in manageable
    return activities


@login_required
def staff(request):
    """The overview for community, street and bureau staff and operators."""
    home = _staff_home(request)
    today = timezone.localdate()
    return render(request, "neighbourhood/staff/home.html", {
        **_staff_figures(request.user, home, today), "pages": staff_pages(request.user),
        "upcoming": _with_manage_links(request.user, selectors.activity_list(user=request.user, within=home, since=timezone.now())[:8]),
        "invitations": selectors.invitation_list(user=request.user, status=InvitationStatus.SENT)[:10]
        if services.operator_of(request.user) else [],
    })


@login_required
@replica_reads
def staff_needs(request, code: str):
    division = _staff_division(request, code, "needs")
    category = request.GET.get("category") if request.GET.get("category") in ServiceCategory.values else None
    status = request.GET.get("status") if request.GET.get("status") in NeedStatus.values else None
    rows = selectors.need_list(user=request.user, within=division, category=category, status=status, open_only=status is None)[:200]
    return render(request, "neighbourhood/staff/needs.html", {
        "division": division, "pages": staff_pages(request.user), "needs": rows, "category": category, "status": status, "categories": ServiceCategory.choices,
        "statuses": NeedStatus.choices, "counts": selectors.need_counts(within=division),
        "top": matching.top_needs_with_matches(community=division) if division.level == DivisionLevel.COMMUNITY else [],
    })


@login_required
@replica_reads
def staff_orders(request, code: str):
    division = _staff_division(request, code, "orders")
    status = request.GET.get("status") if request.GET.get("status") in OrderStatus.values else None
    orders = selectors.order_list(user=request.user, within=division, status=status)
    if status is None:
        orders = orders.filter(status__in=[OrderStatus.PLACED, OrderStatus.ACCEPTED, OrderStatus.SCHEDULED])
    return render(request, "neighbourhood/staff/orders.html", {
        "division": division, "pages": staff_pages(request.user), "orders": orders.order_by("created_at")[:200], "status": status, "statuses": OrderStatus.choices})


@login_required
@replica_reads
def staff_activities(request, code: str):
    division = _staff_division(request, code, "activities")
    since = timezone.now() - selectors.STAFF_ACTIVITIES_LOOK_BACK
    return render(request, "neighbourhood/staff/activities.html", {
        "division": division, "pages": staff_pages(request.user),
        "activities": _with_manage_links(request.user, selectors.activity_list(
            user=request.user, within=division, since=since, include_cancelled=True)[:200]),
        "can_publish": request.user.has_perm("neighbourhood.add_activity", division) or any(
            services.operator_serves(o, division) for o in services.operator_of(request.user)) if division.level in (
            DivisionLevel.COMMUNITY, DivisionLevel.STREET) else False,
    })


@login_required
def activity_new(request, code: str):
    division = division_get(user=request.user, code=code)
    if division.level not in (DivisionLevel.COMMUNITY, DivisionLevel.STREET):
        raise NotFound()
    staff_here = services.staff_reaches(request.user, division)
    mine = [o for o in services.operator_of(request.user) if services.operator_serves(o, division)]
    if not staff_here and not mine:
        raise PermissionDenied()  # as the API: those who may see the community but not publish there
    rooms = list(Room.objects.filter(site__division__path__under=division.path, closed_on__isnull=True)
                 .select_related("site").order_by("site__name", "name")[:200])
    organisers = list(_operators_serving(division)) if staff_here else mine
    form = ActivityForm(request.POST or None, rooms=rooms, organisers=organisers, division=division, search_organisers=staff_here,
                        initial={"day": timezone.localdate() + timedelta(days=7), "start": "09:30", "end": "11:00"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        room = next((r for r in rooms if r.pk == data["room"]), None)
        organiser = next((o for o in organisers if o.pk == data["organiser"]), None)
        try:
            activity = services.activity_publish(
                actor=request.user, community=division, title=data["title"], description=data["description"], category=data["category"],
                audience=data["audience"], tier=data["tier"], price=data["price"], capacity=data["capacity"],
                places_per_registration=data["places_per_registration"], room=room, place=data["place"], starts_at=data["starts_at"],
                ends_at=data["ends_at"], rrule=data["rrule"], waitlist=data["waitlist"], organiser=organiser)
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Published: residents can register now."))
            return redirect("neighbourhood:manage", activity_id=activity.pk)
    return render(request, "neighbourhood/staff/activity_new.html", {"division": division, "form": form})


@login_required
def activity_manage(request, activity_id: int):
    """Registrations, check-in by list or QR code for the session at hand, cancelling."""
    activity = selectors.activity_get(user=request.user, pk=activity_id)
    require(request.user, "neighbourhood.change_activity", activity)
    sessions = list(activity.sessions.all())
    now = timezone.now()
    chosen = request.GET.get("session") or request.POST.get("session")
    session = next((s for s in sessions if str(s.pk) == chosen), None) or services.current_session(activity, now) or \
        next((s for s in sessions if s.ends_at >= now), sessions[-1] if sessions else None)
    cancel_form = CancelForm(request.POST if "cancel_activity" in request.POST else None)
    if request.method == "POST":
        try:
            if "check_in" in request.POST:
                registration = activity.registrations.get(pk=int(request.POST["check_in"]))
                services.check_in(actor=request.user, session=session, registration=registration)
                name = viewer_of(request.user).show(registration.user.label, NAME, division=activity.community_id,
                                                    organisation=activity.organiser_id, owner=registration.user_id)
                messages.success(request, _("%(name)s checked in.") % {"name": name})
            elif "cancel_registration" in request.POST:
                registration = activity.registrations.get(pk=int(request.POST["cancel_registration"]))
                services.registration_cancel(actor=request.user, registration=registration)
                messages.success(request, _("Registration cancelled; the waitlist moved up."))
            elif "cancel_activity" in request.POST and cancel_form.is_valid():
                services.activity_cancel(actor=request.user, activity=activity, reason=cancel_form.cleaned_data["reason"])
                messages.success(request, _("Cancelled; everyone registered has been told."))
            else:
                raise ValidationFailed(_("Nothing to do."))
            url = reverse("neighbourhood:manage", args=[activity.pk])
            return redirect(f"{url}?session={session.pk}" if session else url)
        except (ApplicationError, Registration.DoesNotExist, ValueError) as error:
            messages.error(request, _error_text(error) if isinstance(error, ApplicationError) else _("Not found."))
    checked = selectors.checked_in_ids(session=session) if session else set()
    people = list(selectors.registrations_of(activity=activity))
    registrations_opened(user=request.user, activity=activity, registrations=people)
    runs = services.may_run(request.user, activity)
    return render(request, "neighbourhood/staff/activity.html", {
        "activity": activity, "sessions": sessions, "session": session, "people": people, "checked": checked,
        "runs": runs, "over": services.activity_is_over(activity, now),
        "check_in_open": runs and session is not None and services.staff_check_in_open(session, now),
        "check_in_opens": services.check_in_window(session)[0] if session is not None else None,
        "checked_people": sum(p.places for p in people if p.pk in checked), "cancel_form": cancel_form,
        "check_in_url": request.build_absolute_uri(reverse("neighbourhood:check_in", args=[activity.pk])) + f"?code={activity.attendance_code}",
        "person_times": selectors.activity_person_times(activity=activity),
    })


@login_required
def activity_qr(request, activity_id: int):
    """The check-in QR code as SVG, to show on a screen or print at the door."""
    activity = selectors.activity_get(user=request.user, pk=activity_id)
    require(request.user, "neighbourhood.change_activity", activity)
    url = request.build_absolute_uri(reverse("neighbourhood:check_in", args=[activity.pk])) + f"?code={activity.attendance_code}"
    svg = segno.make(url, error="m").svg_inline(scale=6, dark="#1f2933")
    return HttpResponse(svg, content_type="image/svg+xml")


@login_required
@replica_reads
def staff_feedback(request, code: str):
    """The feedback queue: open requests routed here, the soonest due first, overdue ones marked."""
    division = _staff_division(request, code, "feedback")
    status = request.GET.get("status") if request.GET.get("status") in FeedbackStatus.values else None
    if status:
        rows = selectors.feedback_list(user=request.user, within=division, status=status).order_by("-created_at")
    else:
        rows = selectors.feedback_queue(user=request.user, within=division)
    rows = selectors.with_deadlines(rows, division=division)[:200]
    return render(request, "neighbourhood/staff/feedback.html", {
        "division": division, "pages": staff_pages(request.user), "rows": rows, "status": status, "statuses": FeedbackStatus.choices,
        "figures": selectors.feedback_figures(user=request.user, within=division)})


@login_required
def invitations(request):
    """An operator's invitations from communities; answer them."""
    if not is_staff(request.user) or not holds_any(request.user, "neighbourhood.view_invitation"):
        raise PermissionDenied()
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = selectors.invitation_get(user=request.user, pk=int(request.POST.get("invitation", "0")))
            services.invitation_answer(actor=request.user, invitation=invitation, accept="accept" in request.POST,
                                       answer=form.cleaned_data["answer"])
        except ApplicationError as error:
            messages.error(request, _error_text(error))
        except ValueError:
            raise NotFound() from None
        else:
            messages.success(request, _("Answered."))
        return redirect("neighbourhood:invitations")
    return render(request, "neighbourhood/staff/invitations.html", {
        "invitations": selectors.invitation_list(user=request.user)[:100], "form": form})


@login_required
@replica_reads
def staff_person_times(request, code: str):
    division = _staff_division(request, code, "person_times")
    today = timezone.localdate()
    default_since = today - timedelta(days=selectors.PERSON_TIMES_DEFAULT_DAYS)
    try:
        since = date.fromisoformat(request.GET["since"]) if request.GET.get("since") else default_since
        until = date.fromisoformat(request.GET["until"]) if request.GET.get("until") else today
    except ValueError:
        since, until = default_since, today
    by = request.GET.get("by") if request.GET.get("by") in ("community", "activity", "month") else (
        "activity" if division.level == DivisionLevel.COMMUNITY else "community")
    rows = selectors.person_times(user=request.user, within=division, since=since, until=until, by=by)
    return render(request, "neighbourhood/staff/person_times.html", {
        "division": division, "pages": staff_pages(request.user), "rows": rows, "by": by, "since": since, "until": until,
        "total": sum(r.person_times for r in rows)})


# The pickers' search (core/pickers.py).

@login_required
def pick_operators(request):
    """The operators that may serve a community (``for``: its code), by name (JSON): for its staff's
    forms and its residents' orders; anyone else is refused."""
    community = division_get(user=request.user, code=request.GET.get("for", ""))
    if not (services.staff_reaches(request.user, community) or services.is_resident_of(request.user, community)):
        raise PermissionDenied()
    operators = services.operators_in_scope(community).select_related("home_division")

    def options(q: str = "", chosen: list[int] | None = None, limit: int = LIMIT):
        found = operators.filter(name__icontains=q) if q else operators
        found = found.filter(pk__in=chosen) if chosen is not None else found
        return organisation_choices(found[:limit])

    return picker_response(request, search=lambda q: options(q),
                           lookup=lambda values: options(chosen=ids(values), limit=len(values)))


# Dashboard cards.

def resident_card(user) -> dict | None:
    community = services.resident_community(user)
    if community is None:
        return None
    start, end = selectors.week_window()
    return {"community": community, "week": list(selectors.activity_list(user=user, within=community, sessions_between=(start, end))[:4]),
            "registrations": list(selectors.my_registrations(user=user)[:3]),
            "household": selectors.household_of(user=user)}


def staff_card(user) -> dict | None:
    if not is_staff(user):
        return None
    home = user_home_division(user=user)
    if home is None:
        return None
    return {**_staff_figures(user, home, timezone.localdate()), "pages": staff_pages(user)}


def _staff_figures(user, home: Division, today: date) -> dict:
    """What the staff overview and the dashboard card count, for the pages ``user`` may open only."""
    pages = staff_pages(user)
    return {
        "division": home,
        "feedback": selectors.feedback_figures(user=user, within=home) if pages["feedback"] else None,
        "open_needs": selectors.need_list(user=user, within=home, open_only=True).count() if pages["needs"] else None,
        "person_times": selectors.person_times_total(user=user, within=home, since=today.replace(day=1), until=today)
        if pages["person_times"] else None,
        "orders_waiting": selectors.order_list(user=user, within=home, statuses=[OrderStatus.PLACED, OrderStatus.ACCEPTED]).count()
        if pages["orders"] else None,
        "invitations_waiting": selectors.invitation_list(user=user, status=InvitationStatus.SENT).count()
        if services.operator_of(user) else None,
    }

