"""Every write of the volunteers module: signing up, teams, grid roles, opportunities,
applications, sign-in and sign-out by the opportunity's rotating code, and the organiser's
confirmation of hours, which adds them to the volunteer's time bank and the month's total of the
community where they were served, in the same transaction.

Who may act is decided here as well as where objects are fetched: a resident signs up in their own
community; the community's (or street's) staff run its teams and opportunities, an operator's staff
those their organisation runs (``may_organise``), and only they confirm the hours served there.
"""

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import active_roles
from audit.services import audit_record
from core.errors import Conflict, PermissionDenied, ValidationFailed
from neighbourhood.services import operator_of, operator_serves, resident_community, staff_reaches
from org.models import Division, DivisionLevel, Organisation
from rulepack.selectors import param

from .models import (
    AGREEMENT_VERSION,
    Application,
    ApplicationStatus,
    GridRole,
    GridRoleKind,
    HoursMonthTotal,
    Opportunity,
    OpportunityStatus,
    RecordStatus,
    ServiceRecord,
    SignMethod,
    Skill,
    Team,
    TeamMembership,
    TimeOfDay,
    Volunteer,
    VolunteerStatus,
)


def code_period(opportunity: Opportunity) -> int:
    """Seconds a sign-in code lasts (the city's ``volunteers.sign_code_seconds``): the code shown as a QR
    code at the place changes this often, and the code of the period before is still accepted, so a
    volunteer who scanned just before it changed is not refused."""
    return int(param(division=opportunity.community, key="volunteers.sign_code_seconds"))


def sign_in_opens(opportunity: Opportunity) -> datetime:
    """Volunteers sign in from this moment (``volunteers.sign_in_opens_minutes_before``) until the end."""
    minutes = param(division=opportunity.community, key="volunteers.sign_in_opens_minutes_before")
    return opportunity.starts_at - timedelta(minutes=float(minutes))


def sign_out_closes(opportunity: Opportunity) -> datetime:
    """Volunteers sign out until this moment (``volunteers.sign_out_grace_hours`` after the end); a
    record left open later is closed by the organiser."""
    hours = param(division=opportunity.community, key="volunteers.sign_out_grace_hours")
    return opportunity.ends_at + timedelta(hours=float(hours))


PHONE = re.compile(r"^1[3-9]\d{9}$")
ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"


def invalid(field: str, message) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]})


def _text(value: str, field: str, *, max_length: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise invalid(field, _("This field is required."))
    if len(value) > max_length:
        raise invalid(field, _("At most %(n)s characters.") % {"n": max_length})
    return value


def _phone(value: str) -> str:
    value = re.sub(r"[\s-]", "", value or "")
    if not PHONE.match(value):
        raise invalid("phone", _("Give an 11-digit mobile number."))
    return value


def _id_number(value: str) -> str:
    """A resident identity card number (18 characters, its check digit right), or nothing."""
    value = (value or "").strip().upper()
    if not value:
        return ""
    if not ID_NUMBER.match(value) or ID_CHECK[sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True)) % 11] != value[17]:
        raise invalid("id_number", _("This is not a valid ID card number."))
    return value


def _skills(values, field: str = "skills", *, required: bool = True) -> list[str]:
    values = list(dict.fromkeys(values or []))
    unknown = [v for v in values if v not in Skill.values]
    if unknown:
        raise invalid(field, _("Choose skills from the list."))
    if required and not values:
        raise invalid(field, _("Choose at least one skill."))
    return sorted(values, key=Skill.values.index)


def _availability(values) -> list[str]:
    """``"1:morning"`` (Monday morning) … ``"7:evening"``: weekday 1–7 and a time of day."""
    found = []
    for value in dict.fromkeys(values or []):
        day, _colon, part = str(value).partition(":")
        if day not in {"1", "2", "3", "4", "5", "6", "7"} or part not in TimeOfDay.values:
            raise invalid("availability", _("Choose when you are available from the list."))
        found.append(f"{day}:{part}")
    return sorted(found, key=lambda v: (v[0], TimeOfDay.values.index(v[2:])))


def _own_volunteer(actor) -> Volunteer:
    volunteer = Volunteer.objects.filter(user=actor).select_related("community").first()
    if volunteer is None:
        raise PermissionDenied(_("Sign up as a volunteer first."), code="not_a_volunteer")
    if volunteer.status != VolunteerStatus.ACTIVE:
        raise Conflict(_("You are no longer registered as a volunteer."), code="volunteer_withdrawn")
    return volunteer


# Volunteers.

@transaction.atomic
def volunteer_register(*, actor, community: Division, real_name: str, phone: str, skills: list[str], availability: list[str],
                       consent: bool, id_number: str = "", now: datetime | None = None) -> Volunteer:
    """A resident signs up as a volunteer of their community, agreeing to the volunteer agreement."""
    now = now or timezone.now()
    home = resident_community(actor)
    if home is None or home.pk != community.pk:
        raise PermissionDenied(_("This is for the residents of %(community)s.") % {"community": community.name})
    if not consent:
        raise invalid("consent", _("Read and agree to the volunteer agreement to sign up."))
    fields = {"real_name": _text(real_name, "real_name", max_length=40), "phone": _phone(phone), "id_number": _id_number(id_number),
              "skills": _skills(skills), "availability": _availability(availability)}
    if Volunteer.objects.filter(user=actor).exists():
        raise Conflict(_("You are already signed up as a volunteer."), code="already_volunteer")
    try:
        with transaction.atomic():
            volunteer = Volunteer.objects.create(user=actor, community=community, agreement_version=AGREEMENT_VERSION, consented_at=now,
                                                 created_at=now, **fields)
    except IntegrityError:
        raise Conflict(_("You are already signed up as a volunteer."), code="already_volunteer") from None
    audit_record(actor=actor, action="volunteers.volunteer.registered", target=volunteer, division=community,
                 changes={"skills": fields["skills"], "availability": fields["availability"], "agreement_version": AGREEMENT_VERSION})
    return volunteer


@transaction.atomic
def volunteer_update(*, actor, volunteer: Volunteer, phone: str, skills: list[str], availability: list[str]) -> Volunteer:
    """A volunteer changes their mobile number, skills or availability."""
    if volunteer.user_id != actor.pk:
        raise PermissionDenied()
    volunteer = Volunteer.objects.select_for_update(of=("self",)).get(pk=volunteer.pk)
    new = {"phone": _phone(phone), "skills": _skills(skills), "availability": _availability(availability)}
    changes = {k: [getattr(volunteer, k), v] for k, v in new.items() if getattr(volunteer, k) != v}
    if changes:
        for key, value in new.items():
            setattr(volunteer, key, value)
        volunteer.save(update_fields=list(new))
        audit_record(actor=actor, action="volunteers.volunteer.updated", target=volunteer, division=volunteer.community,
                     changes=changes)
    return volunteer


# Who organises.

def organises_for(actor, community: Division, organisation: Organisation | None) -> bool:
    """Whether ``actor`` may run teams and opportunities of ``community`` (for ``organisation``)."""
    if getattr(actor, "is_superuser", False):
        return True
    if organisation is None:
        return staff_reaches(actor, community)
    return organisation in operator_of(actor) and operator_serves(organisation, community)


def may_organise(actor, opportunity: Opportunity) -> bool:
    """Whether ``actor`` organises ``opportunity`` (decides applications, shows its code, confirms its hours):
    the staff of its community or street, or — when an operator runs it — that operator's staff only."""
    if getattr(actor, "is_superuser", False):
        return True
    if opportunity.organiser_id is not None:
        return any(a.role == Role.OPERATOR_STAFF and a.organisation_id == opportunity.organiser_id for a in active_roles(actor))
    return staff_reaches(actor, opportunity.community)


def _require_organiser(actor, opportunity: Opportunity) -> None:
    if not may_organise(actor, opportunity):
        raise PermissionDenied(_("Only the organisers of “%(title)s” may do this.") % {"title": opportunity.title}, code="not_organiser")


def _where(community: Division) -> None:
    if community.level not in (DivisionLevel.COMMUNITY, DivisionLevel.STREET):
        raise invalid("community", _("Choose a community or a street."))


# Teams.

@transaction.atomic
def team_create(*, actor, community: Division, name: str, description: str = "", organisation: Organisation | None = None,
                leader=None, now: datetime | None = None) -> Team:
    now = now or timezone.now()
    _where(community)
    if not organises_for(actor, community, organisation):
        raise PermissionDenied(_("You cannot form a volunteer team here."))
    name = _text(name, "name", max_length=80)
    if Team.objects.filter(community=community, name=name).exists():
        raise invalid("name", _("%(community)s already has a team of this name.") % {"community": community.name})
    team = Team.objects.create(community=community, organisation=organisation, name=name, leader=leader,
                               description=_text(description, "description", max_length=2000, required=False), created_by=actor, created_at=now)
    audit_record(actor=actor, action="volunteers.team.created", target=team, division=community, organisation=organisation,
                 changes={"name": name})
    return team


@transaction.atomic
def team_join(*, actor, team: Team, now: datetime | None = None) -> TeamMembership:
    """A volunteer joins a team of their community or street."""
    now = now or timezone.now()
    volunteer = _own_volunteer(actor)
    if not volunteer.community.path.startswith(team.community.path):
        raise PermissionDenied(_("This team recruits in %(community)s.") % {"community": team.community.name})
    try:
        with transaction.atomic():
            membership = TeamMembership.objects.create(team=team, volunteer=volunteer, joined_at=now)
    except IntegrityError:
        raise Conflict(_("You are already in this team."), code="already_member") from None
    audit_record(actor=actor, action="volunteers.team.joined", target=team, division=team.community, organisation=team.organisation,
                 changes={"volunteer": volunteer.real_name})
    return membership


@transaction.atomic
def team_leave(*, actor, team: Team) -> None:
    volunteer = _own_volunteer(actor)
    deleted, _rows = TeamMembership.objects.filter(team=team, volunteer=volunteer).delete()
    if not deleted:
        raise Conflict(_("You are not in this team."), code="not_member")
    audit_record(actor=actor, action="volunteers.team.left", target=team, division=team.community, organisation=team.organisation,
                 changes={"volunteer": volunteer.real_name})


# Building heads and grid volunteers.

@transaction.atomic
def grid_role_assign(*, actor, volunteer: Volunteer, grid: Division, role: str, building: str = "",
                     now: datetime | None = None) -> GridRole:
    """The community's staff make a volunteer of the community a building head or a grid volunteer at one of its grids."""
    now = now or timezone.now()
    if grid.level != DivisionLevel.GRID:
        raise invalid("grid", _("Choose a grid."))
    if role not in GridRoleKind.values:
        raise invalid("role", _("Choose building head or grid volunteer."))
    if not staff_reaches(actor, grid.parent):
        raise PermissionDenied(_("Only the community's staff appoint building heads and grid volunteers."))
    if grid.parent_id != volunteer.community_id:
        raise invalid("grid", _("The grid must be in the volunteer's community."))
    building = _text(building, "building", max_length=40, required=role == GridRoleKind.BUILDING_HEAD)
    try:
        with transaction.atomic():
            found = GridRole.objects.create(volunteer=volunteer, grid=grid, role=role, building=building, appointed_by=actor, appointed_at=now)
    except IntegrityError:
        raise Conflict(_("This volunteer already has this role at this grid."), code="already_appointed") from None
    audit_record(actor=actor, action="volunteers.grid_role.assigned", target=found, division=grid,
                 changes={"volunteer": volunteer.real_name, "role": role, "building": building})
    return found


@transaction.atomic
def grid_role_end(*, actor, grid_role: GridRole) -> None:
    if not staff_reaches(actor, grid_role.grid.parent):
        raise PermissionDenied(_("Only the community's staff appoint building heads and grid volunteers."))
    audit_record(actor=actor, action="volunteers.grid_role.ended", target=grid_role, division=grid_role.grid,
                 changes={"volunteer": grid_role.volunteer.real_name, "role": grid_role.role})
    grid_role.delete()


# Opportunities.

def _tied(community: Division, obj, field: str):
    if obj is not None and obj.community_id != community.pk:
        raise invalid(field, _("It must be of the same community."))
    return obj


@transaction.atomic
def opportunity_publish(*, actor, community: Division, title: str, places: int, starts_at: datetime, ends_at: datetime, place: str,
                        description: str = "", skills: list[str] | None = None, organiser: Organisation | None = None,
                        team: Team | None = None, activity=None, need=None, service_order=None, project=None,
                        auto_accept: bool = False, now: datetime | None = None) -> Opportunity:
    """A community (or street) or an operator serving it posts a volunteer opportunity, optionally for an
    activity, need or service order and for a 五社联动 project of the same community (whose volunteer
    hours then include the hours confirmed here)."""
    now = now or timezone.now()
    _where(community)
    if not organises_for(actor, community, organiser):
        raise PermissionDenied(_("You cannot recruit volunteers here."))
    if not isinstance(places, int) or not 1 <= places <= 1000:
        raise invalid("places", _("Between 1 and 1000 places."))
    if ends_at <= starts_at:
        raise invalid("ends_at", _("The end must be after the start."))
    if ends_at <= now:
        raise invalid("ends_at", _("This time is already over."))
    if team is not None and (team.community_id != community.pk or team.organisation_id != (organiser.pk if organiser else None)):
        raise invalid("team", _("The team must be one of the organiser's in this community."))
    if project is not None and project.community_id != community.pk:
        raise invalid("project", _("Choose a five-party project of this community."))
    opportunity = Opportunity.objects.create(
        community=community, organiser=organiser, team=team, title=_text(title, "title", max_length=120),
        description=_text(description, "description", max_length=4000, required=False), skills=_skills(skills, required=False),
        places=places, auto_accept=bool(auto_accept), starts_at=starts_at, ends_at=ends_at, place=_text(place, "place", max_length=120),
        activity=_tied(community, activity, "activity"), need=_tied(community, need, "need"),
        service_order=_tied(community, service_order, "service_order"), project=project,
        code_secret=secrets.token_hex(16), created_by=actor, created_at=now)
    changes = {"title": opportunity.title, "places": places, "starts_at": starts_at, "ends_at": ends_at}
    if project is not None:
        changes["project"] = project.title
    audit_record(actor=actor, action="volunteers.opportunity.published", target=opportunity, division=community, organisation=organiser,
                 changes=changes)
    return opportunity


@transaction.atomic
def opportunity_cancel(*, actor, opportunity: Opportunity, reason: str) -> Opportunity:
    _require_organiser(actor, opportunity)
    opportunity = Opportunity.objects.select_for_update(of=("self",)).get(pk=opportunity.pk)
    if opportunity.status == OpportunityStatus.CANCELLED:
        raise Conflict(_("This opportunity is already cancelled."), code="already_cancelled")
    if opportunity.records.exists():
        raise Conflict(_("Volunteers have already signed in: it cannot be cancelled."), code="has_records")
    opportunity.status, opportunity.cancel_reason = OpportunityStatus.CANCELLED, _text(reason, "reason", max_length=200)
    opportunity.save(update_fields=["status", "cancel_reason"])
    audit_record(actor=actor, action="volunteers.opportunity.cancelled", target=opportunity, division=opportunity.community,
                 organisation=opportunity.organiser, changes={"status": [OpportunityStatus.OPEN, OpportunityStatus.CANCELLED],
                                                                 "cancel_reason": opportunity.cancel_reason})
    return opportunity


# Applications.

def _accept_place(opportunity: Opportunity) -> None:
    """Take one place of a locked opportunity (the check constraint refuses more than its places)."""
    if opportunity.accepted_count >= opportunity.places:
        raise Conflict(_("All places are taken."), code="full")
    Opportunity.objects.filter(pk=opportunity.pk).update(accepted_count=F("accepted_count") + 1)
    opportunity.accepted_count += 1


@transaction.atomic
def application_submit(*, actor, opportunity: Opportunity, now: datetime | None = None) -> Application:
    """A volunteer applies; accepted at once while places last when the opportunity says so."""
    now = now or timezone.now()
    volunteer = _own_volunteer(actor)
    if not volunteer.community.path.startswith(opportunity.community.path):
        raise PermissionDenied(_("This opportunity recruits in %(community)s.") % {"community": opportunity.community.name})
    opportunity = Opportunity.objects.select_for_update(of=("self",)).get(pk=opportunity.pk)
    if opportunity.status != OpportunityStatus.OPEN or opportunity.ends_at <= now:
        raise Conflict(_("This opportunity no longer takes applications."), code="closed")
    if Application.objects.filter(opportunity=opportunity, volunteer=volunteer,
                                  status__in=[ApplicationStatus.APPLIED, ApplicationStatus.ACCEPTED]).exists():
        raise Conflict(_("You have already applied."), code="already_applied")
    status = ApplicationStatus.APPLIED
    if opportunity.auto_accept:
        _accept_place(opportunity)
        status = ApplicationStatus.ACCEPTED
    application = Application.objects.create(opportunity=opportunity, volunteer=volunteer, status=status, applied_at=now,
                                             decided_at=now if status == ApplicationStatus.ACCEPTED else None)
    audit_record(actor=actor, action="volunteers.application.submitted", target=application, division=opportunity.community,
                 organisation=opportunity.organiser, changes={"status": status})
    return application


@transaction.atomic
def application_decide(*, actor, application: Application, accept: bool, now: datetime | None = None) -> Application:
    """The organiser accepts (while places last) or declines an application."""
    now = now or timezone.now()
    _require_organiser(actor, application.opportunity)
    application = Application.objects.select_for_update(of=("self",)).select_related("opportunity", "volunteer").get(pk=application.pk)
    if application.status != ApplicationStatus.APPLIED:
        raise Conflict(_("This application has already been decided."), code="already_decided")
    opportunity = Opportunity.objects.select_for_update(of=("self",)).get(pk=application.opportunity_id)
    if accept:
        if opportunity.status != OpportunityStatus.OPEN:
            raise Conflict(_("This opportunity no longer takes applications."), code="closed")
        _accept_place(opportunity)
    new = ApplicationStatus.ACCEPTED if accept else ApplicationStatus.DECLINED
    old, application.status, application.decided_by, application.decided_at = application.status, new, actor, now
    application.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(actor=actor, action="volunteers.application.accepted" if accept else "volunteers.application.declined",
                 target=application, division=opportunity.community, organisation=opportunity.organiser,
                 changes={"status": [old, new], "volunteer": application.volunteer.real_name})
    return application


@transaction.atomic
def application_withdraw(*, actor, application: Application, now: datetime | None = None) -> Application:
    now = now or timezone.now()
    if application.volunteer.user_id != actor.pk:
        raise PermissionDenied()
    application = Application.objects.select_for_update(of=("self",)).get(pk=application.pk)
    if application.status not in (ApplicationStatus.APPLIED, ApplicationStatus.ACCEPTED):
        raise Conflict(_("This application is no longer open."), code="not_open")
    if application.opportunity.records.filter(volunteer_id=application.volunteer_id).exists():
        raise Conflict(_("You have already signed in here."), code="has_records")
    old = application.status
    if old == ApplicationStatus.ACCEPTED:
        Opportunity.objects.filter(pk=application.opportunity_id).update(accepted_count=F("accepted_count") - 1)
    application.status, application.decided_at = ApplicationStatus.WITHDRAWN, now
    application.save(update_fields=["status", "decided_at"])
    audit_record(actor=actor, action="volunteers.application.withdrawn", target=application, division=application.opportunity.community,
                 organisation=application.opportunity.organiser, changes={"status": [old, ApplicationStatus.WITHDRAWN]})
    return application


# The rotating sign-in code.

def sign_code(opportunity: Opportunity, at: datetime | None = None) -> str:
    """The six-digit code of ``opportunity`` for the period holding ``at`` (a new one every ``code_period`` seconds)."""
    at = at or timezone.now()
    period = int(at.timestamp()) // code_period(opportunity)
    key = f"{settings.SECRET_KEY}:volunteers:{opportunity.code_secret}".encode()
    digest = hmac.new(key, str(period).encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"


def sign_code_valid(opportunity: Opportunity, code: str, at: datetime) -> bool:
    code = (code or "").strip().encode()  # as bytes: compare_digest refuses str beyond ASCII
    seconds = code_period(opportunity)
    return any(secrets.compare_digest(code, sign_code(opportunity, at - timedelta(seconds=seconds * k)).encode())
               for k in (0, 1))


def _check_code(opportunity: Opportunity, code: str, now: datetime) -> None:
    if not sign_code_valid(opportunity, code, now):
        raise invalid("code", _("The code is not right or has expired: scan the code shown now."))


# Sign-in and sign-out.

@transaction.atomic
def sign_in(*, actor, opportunity: Opportunity, code: str, method: str = SignMethod.QR, now: datetime | None = None) -> ServiceRecord:
    """An accepted volunteer signs in with the code shown at the place (once at a time: the database refuses a second open record)."""
    now = now or timezone.now()
    volunteer = _own_volunteer(actor)
    _check_code(opportunity, code, now)
    if opportunity.status != OpportunityStatus.OPEN:
        raise Conflict(_("This opportunity is cancelled."), code="cancelled")
    opens = sign_in_opens(opportunity)
    if not opens <= now <= opportunity.ends_at:
        raise Conflict(_("Signing in is open from %(opens)s until %(closes)s.") % {
            "opens": timezone.localtime(opens).strftime("%m-%d %H:%M"),
            "closes": timezone.localtime(opportunity.ends_at).strftime("%m-%d %H:%M")}, code="sign_in_closed")
    if not Application.objects.filter(opportunity=opportunity, volunteer=volunteer, status=ApplicationStatus.ACCEPTED).exists():
        raise Conflict(_("You have not been accepted for this opportunity."), code="not_accepted")
    open_record = ServiceRecord.objects.filter(volunteer=volunteer, signed_out_at__isnull=True).select_related("opportunity").first()
    if open_record is not None:
        raise Conflict(_("You are already signed in at “%(title)s”: sign out there first.") % {"title": open_record.opportunity.title},
                       code="already_signed_in")
    try:
        with transaction.atomic():
            record = ServiceRecord.objects.create(volunteer=volunteer, opportunity=opportunity, community=opportunity.community,
                                                  signed_in_at=now, method=method if method in SignMethod.values else SignMethod.CODE)
    except IntegrityError:
        raise Conflict(_("You are already signed in."), code="already_signed_in") from None
    audit_record(actor=actor, action="volunteers.record.signed_in", target=record, division=opportunity.community,
                 organisation=opportunity.organiser, changes={"signed_in_at": now, "method": record.method})
    return record


def _close(record: ServiceRecord, at: datetime) -> None:
    record.signed_out_at = at
    record.minutes = int((at - record.signed_in_at).total_seconds() // 60)
    record.status = RecordStatus.PENDING
    record.save(update_fields=["signed_out_at", "minutes", "status"])


@transaction.atomic
def sign_out(*, actor, opportunity: Opportunity, code: str, now: datetime | None = None) -> ServiceRecord:
    """The volunteer signs out with the code shown at the place; the time waits for the organiser's confirmation."""
    now = now or timezone.now()
    volunteer = _own_volunteer(actor)
    _check_code(opportunity, code, now)
    record = (ServiceRecord.objects.select_for_update(of=("self",))
              .filter(volunteer=volunteer, opportunity=opportunity, signed_out_at__isnull=True).first())
    if record is None:
        if ServiceRecord.objects.filter(volunteer=volunteer, opportunity=opportunity).exists():
            raise Conflict(_("You have already signed out."), code="already_signed_out")
        raise Conflict(_("You have not signed in here."), code="not_signed_in")
    closes = sign_out_closes(opportunity)
    if now > closes:
        raise Conflict(_("Signing out closed at %(closes)s: ask the organiser to record your time.") % {
            "closes": timezone.localtime(closes).strftime("%m-%d %H:%M")}, code="sign_out_closed")
    if now <= record.signed_in_at:
        raise Conflict(_("You have not signed in here."), code="not_signed_in")
    _close(record, now)
    audit_record(actor=actor, action="volunteers.record.signed_out", target=record, division=opportunity.community,
                 organisation=opportunity.organiser, changes={"signed_out_at": now, "minutes": record.minutes})
    return record


@transaction.atomic
def record_close(*, actor, record: ServiceRecord, signed_out_at: datetime) -> ServiceRecord:
    """The organiser records when a volunteer who forgot to sign out left."""
    _require_organiser(actor, record.opportunity)
    record = ServiceRecord.objects.select_for_update(of=("self",)).get(pk=record.pk)
    if record.signed_out_at is not None:
        raise Conflict(_("This volunteer has already signed out."), code="already_signed_out")
    if signed_out_at <= record.signed_in_at:
        raise invalid("signed_out_at", _("The sign-out must be after the sign-in."))
    if signed_out_at > timezone.now():
        raise invalid("signed_out_at", _("The sign-out cannot be in the future."))
    _close(record, signed_out_at)
    audit_record(actor=actor, action="volunteers.record.closed", target=record, division=record.community,
                 organisation=record.opportunity.organiser, changes={"signed_out_at": signed_out_at, "minutes": record.minutes})
    return record


def _add_to_totals(record: ServiceRecord, minutes: int) -> None:
    """Add confirmed minutes to the volunteer's time bank and to the month's total where they served (both kept
    under concurrency: an UPDATE … + n on the row, and a month row made once in a savepoint)."""
    Volunteer.objects.filter(pk=record.volunteer_id).update(confirmed_minutes=F("confirmed_minutes") + minutes)
    month = timezone.localtime(record.signed_in_at).date().replace(day=1)
    rows = HoursMonthTotal.objects.filter(community_id=record.community_id, month=month)
    if rows.update(minutes=F("minutes") + minutes):
        return
    try:
        with transaction.atomic():
            HoursMonthTotal.objects.create(community_id=record.community_id, month=month, minutes=minutes)
    except IntegrityError:
        rows.update(minutes=F("minutes") + minutes)


@transaction.atomic
def record_confirm(*, actor, record: ServiceRecord, minutes: int | None = None, now: datetime | None = None) -> ServiceRecord:
    """The organiser confirms the time served (or less of it): it joins the volunteer's time bank."""
    now = now or timezone.now()
    _require_organiser(actor, record.opportunity)
    record = ServiceRecord.objects.select_for_update(of=("self",)).get(pk=record.pk)
    if record.status == RecordStatus.OPEN:
        raise Conflict(_("The volunteer has not signed out yet."), code="not_signed_out")
    if record.status != RecordStatus.PENDING:
        raise Conflict(_("These hours have already been decided."), code="already_decided")
    recorded = record.minutes
    if minutes is not None and not (1 <= minutes <= recorded):
        raise invalid("minutes", _("Between 1 and %(n)s minutes (the time signed in).") % {"n": recorded})
    record.minutes = recorded if minutes is None else minutes
    record.status, record.confirmed_by, record.confirmed_at = RecordStatus.CONFIRMED, actor, now
    record.save(update_fields=["minutes", "status", "confirmed_by", "confirmed_at"])
    _add_to_totals(record, record.minutes)
    changes = {"status": [RecordStatus.PENDING, RecordStatus.CONFIRMED], "minutes": record.minutes if record.minutes == recorded
               else [recorded, record.minutes]}
    audit_record(actor=actor, action="volunteers.record.confirmed", target=record, division=record.community,
                 organisation=record.opportunity.organiser, changes=changes)
    return record


@transaction.atomic
def record_reject(*, actor, record: ServiceRecord, reason: str, now: datetime | None = None) -> ServiceRecord:
    now = now or timezone.now()
    _require_organiser(actor, record.opportunity)
    record = ServiceRecord.objects.select_for_update(of=("self",)).get(pk=record.pk)
    if record.status != RecordStatus.PENDING:
        raise Conflict(_("These hours have already been decided.") if record.status != RecordStatus.OPEN
                       else _("The volunteer has not signed out yet."), code="not_pending")
    record.status, record.note, record.confirmed_by, record.confirmed_at = (RecordStatus.REJECTED, _text(reason, "reason", max_length=200),
                                                                            actor, now)
    record.save(update_fields=["status", "note", "confirmed_by", "confirmed_at"])
    audit_record(actor=actor, action="volunteers.record.rejected", target=record, division=record.community,
                 organisation=record.opportunity.organiser, changes={"status": [RecordStatus.PENDING, RecordStatus.REJECTED],
                                                                      "note": record.note})
    return record


def records_confirm_all(*, actor, opportunity: Opportunity, now: datetime | None = None) -> int:
    """Confirm every record of the opportunity awaiting confirmation, as signed; returns how many."""
    _require_organiser(actor, opportunity)
    with transaction.atomic():
        pending = list(ServiceRecord.objects.filter(opportunity=opportunity, status=RecordStatus.PENDING).select_related("opportunity"))
        for record in pending:
            record_confirm(actor=actor, record=record, now=now)
    return len(pending)
