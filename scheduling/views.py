"""Pages of room scheduling: calendars, booking, my bookings (phone-first), approvals, search,
rotations, rules and closures, utilisation, and the iCalendar feeds."""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import active_roles, holds_any, in_scope, require
from core.errors import ApplicationError, NotFound
from core.forms import add_error_to_form
from core.privacy import NAME, personal_data_opened, residents_among, viewer_of
from core.replica import replica_reads
from core.views import public
from org.models import DivisionLevel, Organisation, OrganisationKind
from org.selectors import division_get, division_picked, organisation_get, user_home_division
from registry.hours import format_hours, parse_hours
from registry.selectors import catalogue
from rulepack.display import format_number

from . import ical, selectors, services
from .forms import (
    BookingFilterForm,
    BookingForm,
    CancelForm,
    ClosureForm,
    DecisionForm,
    MoveForm,
    OpenBookingForm,
    OpenResourceFilterForm,
    OpenResourceForm,
    PolicyForm,
    RoomPickForm,
    RotationForm,
    SearchForm,
    WithdrawForm,
    aware,
)
from .models import Booking, BookingStatus

MY_UPCOMING = 20  # my next bookings on my page; the rest are in the list of bookings


@login_required
def home(request):
    """My bookings — those I made —, the next ones and the latest past, and what waits for me. The
    bookings of a whole street or community are a separate list (``bookings``)."""
    upcoming = selectors.my_bookings(user=request.user)
    return render(request, "scheduling/home.html", {
        "upcoming": upcoming[:MY_UPCOMING],
        "more": max(0, upcoming.count() - MY_UPCOMING),
        "past": selectors.my_bookings(user=request.user, upcoming=False)[:15],
        "waiting": selectors.waitlist_mine(user=request.user),
        "approvals": selectors.approval_queue(user=request.user).count() if holds_any(request.user, "scheduling.approve_booking") else 0,
        "home": user_home_division(user=request.user),
        "show_rotations": holds_any(request.user, "scheduling.view_rotation"),
        "show_bookings": holds_any(request.user, "scheduling.view_utilisation"),
    })


def _residents_booking(request, bookings, *, target, division, organisation=None, room=None) -> set[int]:
    """The residents among those who booked (masked on these pages for whoever does not handle the rooms, by
    core.privacy); staff who read them whole leave a trace in the audit trail, once per page and window."""
    bookings = list(bookings)
    residents = residents_among({b.booker_id for b in bookings})
    viewer = viewer_of(request.user)
    named = {b.booker_id for b in bookings if b.booker_id in residents and b.booker_id != request.user.pk
             and viewer.sees(NAME, division=(room or b.room).site.division_id, organisation=organisation)}
    if named and target is not None:
        personal_data_opened(user=request.user, target=target, division=division, people=len(named))
    return residents


@login_required
@replica_reads
def bookings(request):
    """The bookings of the user's area (every booking of its rooms, for its staff), filtered by place,
    room, dates, state and words, a page at a time, from today on unless other dates are asked for."""
    home = user_home_division(user=request.user)
    if home is None or not holds_any(request.user, "scheduling.view_booking"):
        raise NotFound()
    data = request.GET.copy()
    if "since" not in data:
        data["since"] = timezone.localdate().isoformat()
    form = BookingFilterForm(data, within=home)
    found = selectors.booking_search(user=request.user, within=home, since=timezone.localdate()).none()
    if form.is_valid():
        filters = form.cleaned_data
        try:
            within = division_picked(user=request.user, code=filters["place"], field="place") if filters["place"] else home
            room = selectors.room_get(user=request.user, pk=filters["room"]) if filters["room"] else None
            found = selectors.booking_search(user=request.user, within=within, room=room, since=filters["since"],
                                             until=filters["until"], status=filters["status"], q=filters["q"].strip(),
                                             mine=filters["mine"])
        except (ApplicationError, NotFound) as error:
            add_error_to_form(form, error)
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    return render(request, "scheduling/bookings.html", {
        "form": form, "home": home, "page": page,
        "resident_ids": _residents_booking(request, page.object_list, target=home, division=home),
    })


ROOMS_PER_PAGE = 60  # twenty rows of the three-column grid


@login_required
@replica_reads
def rooms(request, code: str):
    division = division_get(user=request.user, code=code)
    page = Paginator(selectors.room_list(user=request.user, within=division), ROOMS_PER_PAGE).get_page(request.GET.get("page"))
    duty = selectors.on_duty_in(list(page))
    for room in page:
        room.on_duty = duty.get(room.pk)
    return render(request, "scheduling/rooms.html", {"division": division, "rooms": page, "page": page})


def _booking_form_initial(room) -> dict:
    """The form starts at the room's next free hour."""
    slot = selectors.next_free_slot(room)
    if slot is None:
        return {"day": timezone.localdate() + timedelta(days=1)}
    start, end = (timezone.localtime(moment) for moment in slot)
    return {"day": start.date(), "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}


@login_required
def room_calendar(request, room_id: int):
    room = selectors.room_get(user=request.user, pk=room_id)
    policy = services.policy_for(room)
    may_book = request.user.has_perm("scheduling.add_booking", room) and selectors.room_may_be_booked_by(request.user, room)
    form = BookingForm(request.POST or None, initial=_booking_form_initial(room)) if may_book else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            if data["repeat"]:
                series, bookings, left_out = services.series_create(
                    actor=request.user, room=room, title=data["title"], dtstart=data["starts_at"],
                    duration_minutes=int((data["ends_at"] - data["starts_at"]).total_seconds() // 60), rrule=form.rrule(),
                    skip_conflicts=data["skip_conflicts"], attendees=data["attendees"])
                messages.success(request, _("%(n)s occurrences booked.") % {"n": len(bookings)}
                                 + (" " + _("Left out (taken): %(dates)s") % {"dates": "、".join(f"{timezone.localtime(d):%m-%d}" for d in left_out)} if left_out else ""))
            else:
                booking = services.booking_create(actor=request.user, room=room, start=data["starts_at"], end=data["ends_at"],
                                                  title=data["title"], attendees=data["attendees"], purpose=data["purpose"])
                messages.success(request, _("Booked.") if booking.status == BookingStatus.CONFIRMED else _("Requested: the room's staff will decide."))
                return redirect("scheduling:booking", booking_id=booking.pk)
            return redirect("scheduling:room", room_id=room.pk)
        except ApplicationError as error:
            add_error_to_form(form, error)
            if error.code == "already_booked" and not data.get("repeat"):
                form.offer_waitlist = True
    return render(request, "scheduling/room.html", {
        "room": room, "policy": policy, "hours": format_hours(services.weekly_hours(room, policy)), "form": form,
        "on_duty": selectors.on_duty(room=room), "feed": request.build_absolute_uri(
            reverse("scheduling:ical", args=[ical.feed_token(user=request.user, kind="room", pk=room.pk)])),
        "can_manage": request.user.has_perm("scheduling.change_roompolicy", room),
    })


@login_required
@require_POST
def waitlist_join(request, room_id: int):
    room = selectors.room_get(user=request.user, pk=room_id)
    require(request.user, "scheduling.add_booking", room)
    form = BookingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.waitlist_join(actor=request.user, room=room, start=data["starts_at"], end=data["ends_at"],
                                   title=data["title"], attendees=data["attendees"])
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("You are on the waitlist; if the slot frees up it is offered to you."))
    return redirect("scheduling:room", room_id=room.pk)


@login_required
def division_calendar(request, code: str):
    division = division_get(user=request.user, code=code)
    return render(request, "scheduling/division_calendar.html", {"division": division})


@login_required
def booking_detail(request, booking_id: int):
    booking = selectors.booking_get(user=request.user, pk=booking_id)
    manage = booking.booker_id == request.user.pk or request.user.has_perm("scheduling.approve_booking", booking.room)
    local = timezone.localtime(booking.starts_at)
    move_form = MoveForm(request.POST if "move" in request.POST else None, initial={
        "day": local.date(), "start": local.strftime("%H:%M"), "end": timezone.localtime(booking.ends_at).strftime("%H:%M")})
    cancel_form = CancelForm(request.POST if "cancel" in request.POST else None)
    decision_form = DecisionForm(request.POST if "decide" in request.POST else None)
    if request.method == "POST" and manage:
        try:
            if "cancel" in request.POST and cancel_form.is_valid():
                done = services.booking_cancel(actor=request.user, booking=booking, scope=cancel_form.cleaned_data["scope"],
                                               reason=cancel_form.cleaned_data["reason"])
                messages.success(request, _("%(n)s cancelled.") % {"n": len(done)})
                return redirect("scheduling:booking", booking_id=booking.pk)
            if "move" in request.POST and move_form.is_valid():
                data = move_form.cleaned_data
                services.booking_move(actor=request.user, booking=booking, start=aware(data["day"], data["start"]),
                                      end=aware(data["day"], data["end"]), scope=data["scope"])
                messages.success(request, _("Moved."))
                return redirect("scheduling:booking", booking_id=booking.pk)
            if "check_in" in request.POST:
                services.booking_check_in(actor=request.user, booking=booking)
                messages.success(request, _("Checked in. Enjoy the room."))
                return redirect("scheduling:booking", booking_id=booking.pk)
            if "accept" in request.POST:
                services.offer_accept(actor=request.user, booking=booking)
                messages.success(request, _("The slot is yours."))
                return redirect("scheduling:booking", booking_id=booking.pk)
            if "decide" in request.POST and decision_form.is_valid():
                require(request.user, "scheduling.approve_booking", booking.room)
                services.booking_decide(actor=request.user, booking=booking, approve=request.POST["decide"] == "approve",
                                        note=decision_form.cleaned_data["note"])
                messages.success(request, _("Decided; the person who asked has been told."))
                return redirect("scheduling:approvals")
        except ApplicationError as error:
            messages.error(request, error.message if not error.fields else f"{error.message} " + "；".join(
                f"{k}: {'、'.join(str(m) for m in v)}" for k, v in error.fields.items()))
    return render(request, "scheduling/booking.html", {
        "resident_ids": _residents_booking(request, [booking], target=booking, division=booking.room.site.division),
        "booking": booking, "manage": manage, "move_form": move_form, "cancel_form": cancel_form, "decision_form": decision_form,
        "can_decide": booking.status == BookingStatus.PENDING and request.user.has_perm("scheduling.approve_booking", booking.room)
        and services.may_decide(request.user, booking.room_id)[0],  # a unit's resource: its staff, on its page
        "active": booking.status in (BookingStatus.PENDING, BookingStatus.OFFERED, BookingStatus.CONFIRMED),  # once checked in, the room is in use
    })


@login_required
def approvals(request):
    if not holds_any(request.user, "scheduling.approve_booking"):
        raise NotFound()
    rows = list(selectors.approval_queue(user=request.user)[:100])
    home = user_home_division(user=request.user)
    return render(request, "scheduling/approvals.html", {
        "bookings": rows, "resident_ids": _residents_booking(request, rows, target=home, division=home)})


@login_required
def search(request):
    home = user_home_division(user=request.user)
    if home is None:
        raise NotFound()
    within = division_get(user=request.user, code=request.GET["within"]) if request.GET.get("within") else home
    asked = "day" in request.GET  # ``within`` alone opens the empty form, not a search with every field missing
    form = SearchForm(request.GET if asked else None, functions=[f for a in catalogue(division=within) for f in a.functions.all()],
                      initial={"day": timezone.localdate() + timedelta(days=1)})
    windows = None
    if asked and form.is_valid():
        data = form.cleaned_data
        start = aware(data["day"], data["start"])
        end = aware(data["day"] + timedelta(days=data["days"] - 1), data["end"])
        equipment = [e for e in data["equipment"].replace("，", "、").replace(",", "、").split("、") if e.strip()]
        windows = selectors.availability(user=request.user, within=within, start=start, end=end, minutes=data["minutes"],
                                         capacity=data["capacity"], equipment=equipment, function=data["function"] or None)
        windows = [w for w in windows if timezone.localtime(w.start).time() < data["end"]]
    return render(request, "scheduling/search.html", {"form": form, "windows": windows, "within": within})


@login_required
def rotations(request):
    home = user_home_division(user=request.user)
    if home is None or not holds_any(request.user, "scheduling.view_rotation"):
        raise NotFound()
    room_id = request.GET.get("room") or request.POST.get("room")
    room = selectors.room_get(user=request.user, pk=int(room_id)) if room_id and str(room_id).isdigit() else None
    form = None
    if room is not None and request.user.has_perm("scheduling.add_rotation", room):
        departments = Organisation.objects.serving(room.site.division).filter(kind=OrganisationKind.DEPARTMENT).order_by("name")
        form = RotationForm(request.POST or None, departments=departments,
                            initial={"starts_on": timezone.localdate() + timedelta(days=1), "ends_on": timezone.localdate() + timedelta(days=90)})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                week = parse_hours(data["slots"])
                slots = [{"weekday": int(day), "start": a, "end": b} for day, ranges in week.items() for a, b in ranges]
                chosen = [organisation_get(user=request.user, pk=int(pk)) for pk in data["departments"]]
                rotation, bookings, skipped = services.rotation_create(
                    actor=request.user, room=room, name=data["name"], slots=slots, departments=chosen,
                    starts_on=data["starts_on"], ends_on=data["ends_on"])
            except ApplicationError as error:
                add_error_to_form(form, error)
            else:
                messages.success(request, _("Rotation set: %(n)s turns booked.") % {"n": len(bookings)}
                                 + (" " + _("Taken, left out: %(dates)s") % {"dates": "、".join(skipped)} if skipped else ""))
                return redirect("scheduling:room", room_id=room.pk)
    return render(request, "scheduling/rotations.html", {
        "rotations": selectors.rotation_list(user=request.user, within=home)[:50], "form": form, "room": room,
        "room_pick": RoomPickForm(within=home) if room is None else None,
    })


@login_required
def room_rules(request, room_id: int):
    room = selectors.room_get(user=request.user, pk=room_id)
    require(request.user, "scheduling.change_roompolicy", room)
    policy = services.policy_for(room)
    initial = {f: getattr(policy, f) for f in services.POLICY_FIELDS}
    initial["bookable_hours"] = format_hours(policy.bookable_hours)
    policy_form = PolicyForm(request.POST if "policy" in request.POST else None, initial=initial)
    closure_form = ClosureForm(request.POST if "closure" in request.POST else None)
    if request.method == "POST":
        try:
            if "policy" in request.POST and policy_form.is_valid():
                data = {k: v for k, v in policy_form.cleaned_data.items() if k in policy_form.changed_data}
                if "bookable_hours" in data:
                    data["bookable_hours"] = parse_hours(data["bookable_hours"])
                services.policy_update(actor=request.user, room=room, data=data)
                messages.success(request, _("Saved."))
                return redirect("scheduling:room", room_id=room.pk)
            if "closure" in request.POST and closure_form.is_valid():
                start, end = closure_form.period()
                services.closure_create(actor=request.user, site=room.site, room=None if closure_form.cleaned_data["whole_site"] else room,
                                        start=start, end=end, reason=closure_form.cleaned_data["reason"],
                                        cancel_bookings=closure_form.cleaned_data["cancel_bookings"])
                messages.success(request, _("Closure recorded."))
                return redirect("scheduling:room", room_id=room.pk)
        except ApplicationError as error:
            add_error_to_form(policy_form if "policy" in request.POST else closure_form, error)
    return render(request, "scheduling/room_rules.html", {"room": room, "policy_form": policy_form, "closure_form": closure_form,
                                                          "closures": room.site.closures.filter(ends_at__gte=timezone.now())[:20]})


UTILISATION_GROUPS = {DivisionLevel.CITY: ("street", "community", "site", "room"),
                      DivisionLevel.DISTRICT: ("street", "community", "site", "room"),
                      DivisionLevel.STREET: ("community", "site", "room"), DivisionLevel.COMMUNITY: ("site", "room")}


@login_required
@replica_reads
def utilisation(request):
    """Usage rates of the rooms under a division, over a stated period: by street, community, site or
    room (each division opens to the next level), with the idle rooms ranked, least used first."""
    home = user_home_division(user=request.user)
    if home is None or not holds_any(request.user, "scheduling.view_utilisation"):
        raise NotFound()
    within = division_get(user=request.user, code=request.GET["within"]) if request.GET.get("within") else home
    try:
        since = date.fromisoformat(request.GET["since"]) if request.GET.get("since") else None
        until = date.fromisoformat(request.GET["until"]) + timedelta(days=1) if request.GET.get("until") else None
    except ValueError:
        since = until = None
    period = selectors.usage_period(division=within, since=since, until=until)
    by = "month" if request.GET.get("by") == "month" else "week"
    choices = UTILISATION_GROUPS.get(within.level, ("room",))
    group = request.GET.get("group") if request.GET.get("group") in choices else choices[0]
    overview = selectors.usage_overview(user=request.user, within=within, period=period, group=group, by=by)
    buckets = sorted(overview.total.periods)
    chart = {"labels": [str(b) for b in buckets],
             **{name: [round(overview.total.periods[b][name], 1) for b in buckets] for name in ("booked", "used", "bookable")}}
    up = within.parent if within.parent_id and within.path != home.path and within.path.startswith(home.path) else None
    return render(request, "scheduling/utilisation.html", {
        "within": within, "up": up, "period": period, "by": by, "group": group, "choices": choices,
        "page": Paginator(overview.groups, 50).get_page(request.GET.get("page")),
        "idle": Paginator(overview.idle, 20).get_page(request.GET.get("idle_page")),
        "threshold": format_number(overview.threshold, "share"), "total": overview.total, "chart": chart,
        "since": period.since, "last": period.last,
    })


@public
def ical_feed(request, token: str):
    """A room's or an organisation's bookings as iCalendar, for whoever subscribed with a valid link."""
    claim = ical.feed_read(token)
    user = User.objects.filter(pk=claim["u"], is_active=True).first() if claim else None
    if user is None:
        raise Http404
    if claim["k"] == "room":
        room = selectors.room_list(user=user).filter(pk=claim["id"]).first()
        if room is None:
            raise Http404
        bookings = Booking.objects.filter(room=room)
        if not in_scope(user, "scheduling.approve_booking", room):
            bookings = bookings.filter(booker=user) | bookings.filter(organisation__in=[
                a.organisation_id for a in active_roles(user) if a.organisation_id])
        name = f"{room.site.name} · {room.name}"
    elif claim["k"] == "organisation":
        try:
            organisation = organisation_get(user=user, pk=claim["id"])
        except NotFound:
            raise Http404 from None
        bookings = selectors.booking_list(user=user).filter(organisation=organisation)
        name = organisation.name
    else:
        raise Http404
    response = HttpResponse(ical.calendar_for(ical.feed_bookings(bookings), name=name), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="linli.ics"'
    return response


@login_required
def organisation_feed(request, organisation_id: int):
    """The subscription link of an organisation's bookings (shown on its page)."""
    organisation = organisation_get(user=request.user, pk=organisation_id)
    return redirect(reverse("scheduling:ical", args=[ical.feed_token(user=request.user, kind="organisation", pk=organisation.pk)]))


def bookings_card(user) -> dict | None:
    """The home dashboard: my next bookings, and for staff the requests waiting and today's load."""
    if not (holds_any(user, "scheduling.add_booking") or holds_any(user, "scheduling.view_booking")):
        return None
    context = {"upcoming": list(selectors.my_bookings(user=user)[:4])}
    if holds_any(user, "scheduling.approve_booking"):
        context["approvals"] = selectors.approval_queue(user=user).count()
        start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        context["today"] = selectors.booking_list(user=user, since=start, until=start + timedelta(days=1)).filter(
            status__in=[BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN]).count()
    context["home"] = user_home_division(user=user)
    return context


# Units' open resources (驻区单位开放资源): the area finds and books them on a phone; the unit's staff
# register them and decide requests; the bureau counts them by street and district.

@login_required
@replica_reads
def open_resources(request):
    if not holds_any(request.user, "scheduling.view_openresource"):
        raise NotFound()
    form = OpenResourceFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    within = None
    if data.get("place"):
        try:
            within = division_picked(user=request.user, code=data["place"], field="place", levels=("street", "community"))
        except ApplicationError as error:
            add_error_to_form(form, error)
    resources = list(selectors.open_resource_list(user=request.user, category=data.get("category") or None, within=within)[:200])
    home_division = user_home_division(user=request.user)
    return render(request, "scheduling/open_resources.html", {
        "form": form, "resources": resources, "units": services.units_of(request.user),
        "report_at": home_division if home_division and request.user.has_perm("scheduling.view_openresource_figures", home_division) else None,
    })


def _open_resource_form_response(request, form, resource=None):
    return render(request, "scheduling/open_resource_form.html", {"form": form, "resource": resource})


@login_required
def open_resource_new(request):
    units = [u for u in services.units_of(request.user) if request.user.has_perm("scheduling.add_openresource", u)]
    if not units:
        raise NotFound()
    form = OpenResourceForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            unit = next(u for u in units if u.pk == data["unit"])
            community = division_picked(user=request.user, code=data["community"], field="community", levels=("community",))
            resource = services.open_resource_register(
                actor=request.user, unit=unit, community=community, name=data["name"], category=data["category"],
                opening_hours=parse_hours(data["opening_hours"]), rules=data["rules"], capacity=data["capacity"],
                area=data["area"], address=data["address"], max_minutes=data["max_minutes"])
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("The resource is open to residents."))
            return redirect("scheduling:open_resource", resource_id=resource.pk)
    return _open_resource_form_response(request, form)


@login_required
def open_resource_detail(request, resource_id: int):
    resource = selectors.open_resource_get(user=request.user, pk=resource_id)
    room = resource.room
    is_staff = request.user.has_perm("scheduling.change_openresource", resource)
    may_book = (resource.is_open and request.user.has_perm("scheduling.add_booking", room)
                and selectors.room_may_be_booked_by(request.user, room))
    form = OpenBookingForm(request.POST or None, initial=_booking_form_initial(room)) if may_book else None
    if request.method == "POST":
        if form is None:
            raise NotFound()
        if form.is_valid():
            data = form.cleaned_data
            try:
                booking = services.open_resource_book(actor=request.user, resource=resource, start=data["starts_at"],
                                                      end=data["ends_at"], title=data["title"], attendees=data["attendees"],
                                                      purpose=data["purpose"])
            except ApplicationError as error:
                add_error_to_form(form, error)
            else:
                messages.success(request, _("Requested: %(unit)s will decide.") % {"unit": resource.unit.name})
                return redirect("scheduling:booking", booking_id=booking.pk)
    policy = services.policy_for(room)
    pending = list(selectors.open_resource_requests(resource=resource, pending=True)[:100]) if is_staff else []
    coming = list(selectors.open_resource_requests(resource=resource)[:50]) if is_staff else []
    return render(request, "scheduling/open_resource.html", {
        "resource": resource, "room": room, "policy": policy, "form": form, "is_staff": is_staff,
        "hours": format_hours(services.weekly_hours(room, policy)),
        "pending": pending, "coming": coming,
        "resident_ids": _residents_booking(request, [*pending, *coming], target=resource, division=room.site.division,
                                           organisation=resource.unit_id, room=room),
        "decision_form": DecisionForm() if is_staff else None, "withdraw_form": WithdrawForm() if is_staff else None,
    })


@login_required
def open_resource_edit(request, resource_id: int):
    resource = selectors.open_resource_get(user=request.user, pk=resource_id)
    require(request.user, "scheduling.change_openresource", resource)
    room = resource.room
    initial = {"name": room.name, "category": resource.category, "opening_hours": format_hours(room.opening_hours),
               "rules": resource.rules, "capacity": room.capacity, "address": room.site.address,
               "max_minutes": services.policy_for(room).max_minutes}
    form = OpenResourceForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            data["opening_hours"] = parse_hours(data["opening_hours"])
            services.open_resource_update(actor=request.user, resource=resource, data=data)
        except ApplicationError as error:
            add_error_to_form(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("scheduling:open_resource", resource_id=resource.pk)
    return _open_resource_form_response(request, form, resource)


@login_required
@require_POST
def open_resource_withdraw(request, resource_id: int):
    resource = selectors.open_resource_get(user=request.user, pk=resource_id)
    require(request.user, "scheduling.change_openresource", resource)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the resource is withdrawn."))
    else:
        try:
            services.open_resource_withdraw(actor=request.user, resource=resource, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Withdrawn: residents can no longer book it."))
    return redirect("scheduling:open_resource", resource_id=resource.pk)


@login_required
@require_POST
def open_booking_decide(request, booking_id: int):
    booking = selectors.open_booking_get(user=request.user, pk=booking_id)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.booking_decide(actor=request.user, booking=booking, approve=request.POST.get("approve") == "1", note=note)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Approved.") if request.POST.get("approve") == "1" else _("Refused."))
    return redirect("scheduling:open_resource", resource_id=booking.room.open_resource.pk)


@login_required
def open_report(request):
    """Units' resources open and their bookings, by the streets (or districts) of a division."""
    home_division = user_home_division(user=request.user)
    if home_division is None or not holds_any(request.user, "scheduling.view_openresource_figures"):
        raise NotFound()
    within = division_get(user=request.user, code=request.GET["within"]) if request.GET.get("within") else home_division
    require(request.user, "scheduling.view_openresource_figures", within)
    since, until = _date_param(request, "since"), _date_param(request, "until")
    rows = selectors.open_resource_figures(within=within, since=since, until=until)
    categories = selectors.open_resource_categories()
    if request.GET.get("format") == "xlsx":
        return _open_report_xlsx(within, rows, categories, since, until)
    return render(request, "scheduling/open_report.html", {
        "within": within, "rows": rows[:-1], "total": rows[-1], "categories": categories, "since": since, "until": until,
        "line": [d for d in within.ancestors() if request.user.has_perm("scheduling.view_openresource_figures", d)],
        "drill": within.level in (DivisionLevel.CITY, DivisionLevel.DISTRICT),
    })


def _date_param(request, name: str) -> date | None:
    try:
        return date.fromisoformat(request.GET[name]) if request.GET.get(name) else None
    except ValueError:
        return None


def _open_report_xlsx(within, rows, categories, since, until) -> HttpResponse:
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Open resources")[:31]
    period = f"{since or ''}–{until or ''}" if since or until else ""
    sheet.append([" · ".join(str(p) for p in (_("Units' open resources"), within.name, period) if p)])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([_("division"), pgettext("open resources", "units"), _("resources open"), *[str(label) for _code, label in categories],
                  _("requests"), _("approved"), _("awaiting approval")])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.division.name if row is not rows[-1] else _("total"), row.units, row.resources,
                      *[row.by_category.get(code, 0) for code, _label in categories], row.requests, row.approved, row.pending])
    for column in sheet.columns:
        sheet.column_dimensions[column[1].column_letter].width = 16
    stream = BytesIO()
    book.save(stream)
    response = HttpResponse(stream.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    filename = f"{within.name}_{_('Units open resources')}_{timezone.localdate():%Y%m%d}.xlsx"
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename=\"open-resources-{within.code}.xlsx\"; filename*=UTF-8''{quote(filename)}"
    return response
