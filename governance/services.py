"""Every write of community governance: the affairs admission list and 五社联动 projects.

Each function is atomic and leaves an audit event in the same transaction. The rules:

* the admission list belongs to a district; its affairs name a department (an organisation of kind
  department registered in the district or above it) and their legal basis;
* every change of the list (first publication, import, admission, yearly review) is a new version with
  the date it takes effect; affairs are never deleted, a version takes them off the list;
* a department's application for a task already on the list is refused, and so is a second pending
  application for the same task; the district admits (a new version) or refuses with reasons;
* a community refuses a task only when it is not on the list in force, citing that version;
* a five-party project belongs to a community; each party is checked for what it can be (a social
  organisation serving the community, a social-work agency or named social workers, volunteers with a
  headcount or hours — or, once volunteer opportunities are published for the project, with their
  records alone —, the community's fund or a charity or other charitable money).
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, ValidationFailed
from org.models import Division, DivisionLevel, OperatorKind, Organisation, OrganisationKind

from .models import (
    ZERO,
    Affair,
    AffairApplication,
    AffairApplicationStatus,
    AffairRole,
    ListVersion,
    Participation,
    PartnershipProject,
    Party,
    TaskRefusal,
    VersionReason,
)

_PUNCTUATION = re.compile(r"[\s，。、,.;；:：()（）“”\"'‘’《》【】\[\]·\-—_]+")


def normalised(title: str) -> str:
    """A task's title as it is compared with the list: without spaces and punctuation."""
    return _PUNCTUATION.sub("", title or "").lower()


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def district_of(division: Division) -> Division:
    """The district (区/县) a division belongs to, or the division itself when it is one."""
    if division.level == DivisionLevel.DISTRICT:
        return division
    parts = division.path.split("/")
    if division.level == DivisionLevel.CITY or len(parts) < 3:
        raise ValidationFailed(_("The affairs admission list is kept by a district: choose a district or a place in one."))
    return Division.objects.get(path="/".join(parts[:2]) + "/")


def _require_district(district: Division, field: str = "district") -> None:
    if district.level != DivisionLevel.DISTRICT:
        raise ValidationFailed(fields={field: [_("Choose a district: the affairs admission list is kept by a district.")]})


def _check_department(department: Organisation, district: Division, field: str = "department") -> None:
    """A department of the district's government, or of a government above it."""
    home = department.home_division
    on_line = home.path.startswith(district.path) or district.path.startswith(home.path)
    if department.kind != OrganisationKind.DEPARTMENT or not on_line or not department.is_active:
        raise ValidationFailed(fields={field: [_("Choose a government department of this district or above it.")]})


def current_version(district: Division) -> ListVersion | None:
    return ListVersion.objects.filter(district=district).order_by("-number").first()


def listed_affair(district: Division, title: str) -> Affair | None:
    """The affair on the district's list in force whose title is ``title`` (spaces and punctuation aside)."""
    wanted = normalised(title)
    for affair in Affair.objects.filter(district=district).current().select_related("department"):
        if normalised(affair.title) == wanted:
            return affair
    return None


def _new_version(*, actor, district: Division, reason: str, effective_on: date | None, note: str = "") -> ListVersion:
    """The district's next version, its number taken under a lock on the latest one."""
    latest = (ListVersion.objects.select_for_update(of=("self",)).filter(district=district).order_by("-number").first())
    number = (latest.number if latest else 0) + 1
    effective_on = effective_on or timezone.localdate()
    if latest is not None and effective_on < latest.effective_on:
        raise ValidationFailed(fields={"effective_on": [
            _("A new version cannot take effect before the version in force (%(date)s).") % {"date": latest.effective_on}]})
    return ListVersion.objects.create(district=district, number=number, effective_on=effective_on, reason=reason,
                                      note=note, created_by=_user(actor))


@dataclass(frozen=True)
class AffairRow:
    """One affair as a list is published or imported: what it is, who does it, on what basis."""

    title: str
    role: str
    legal_basis: str
    department: Organisation


def _check_rows(district: Division, rows: list[AffairRow]) -> dict:
    errors: dict[str, list] = {}
    seen: dict[str, int] = {}
    for index, row in enumerate(rows, start=1):
        problems = []
        if not (row.title or "").strip():
            problems.append(_("Write what the affair is."))
        if row.role not in AffairRole.values:
            problems.append(_("Say whether the community hosts or assists the affair."))
        if not (row.legal_basis or "").strip():
            problems.append(_("Write the law, regulation or document the affair rests on."))
        try:
            _check_department(row.department, district)
        except ValidationFailed as error:
            problems.extend(error.fields["department"])
        key = normalised(row.title)
        if key and key in seen:
            problems.append(_("The same affair is already item %(n)s of this list.") % {"n": seen[key]})
        seen.setdefault(key, index)
        if problems:
            errors[f"affairs.{index}"] = [str(p) for p in problems]
    return errors


@transaction.atomic
def affair_list_replace(*, actor, district: Division, rows: list[AffairRow], effective_on: date | None = None,
                        note: str = "", reason: str | None = None) -> ListVersion | None:
    """Publish the district's list, or replace it with ``rows`` (an import): one new version that keeps
    the affairs that stay the same, takes off the others and adds the new ones. Nothing changes (and
    None is returned) when the rows say what the list in force says."""
    _require_district(district)
    if not rows:
        raise ValidationFailed(fields={"affairs": [_("A list needs at least one affair.")]})
    errors = _check_rows(district, rows)
    if errors:
        raise ValidationFailed(_("Some affairs of the list are not valid."), fields=errors)
    current = list(Affair.objects.filter(district=district).current().order_by("number"))
    kept = {}
    for affair in current:
        kept.setdefault((normalised(affair.title), affair.role, affair.legal_basis.strip(), affair.department_id), affair)
    wanted = [(normalised(r.title), r.role, r.legal_basis.strip(), r.department.pk) for r in rows]
    if current and sorted(wanted) == sorted(kept) and len(current) == len(rows):
        return None
    first = not current and not ListVersion.objects.filter(district=district).exists()
    reason = reason or (VersionReason.INITIAL if first else VersionReason.IMPORT)
    version = _new_version(actor=actor, district=district, reason=reason, effective_on=effective_on, note=note)
    staying = {key: kept[key] for key in wanted if key in kept}
    leaving = [a for a in current if a not in staying.values()]
    Affair.objects.filter(pk__in=[a.pk for a in leaving]).update(removed_in=version)
    # Numbers follow the rows' order; the affairs that stay are renumbered to it.
    added = 0
    for number, (row, key) in enumerate(zip(rows, wanted, strict=True), start=1):
        affair = staying.get(key)
        if affair is not None:
            Affair.objects.filter(pk=affair.pk).update(number=10000 + number)
        else:
            Affair.objects.create(district=district, number=10000 + number, title=row.title.strip(), role=row.role,
                                  legal_basis=row.legal_basis.strip(), department=row.department, added_in=version)
            added += 1
    for affair in Affair.objects.filter(district=district, removed_in__isnull=True, number__gt=10000):
        Affair.objects.filter(pk=affair.pk).update(number=affair.number - 10000)
    action = "governance.list.published" if reason == VersionReason.INITIAL else "governance.list.imported"
    audit_record(actor=actor, action=action, target=version, division=district,
                 changes={"version": [version.number - 1 or None, version.number], "added": [None, added],
                          "removed": [None, len(leaving)], "affairs": [len(current), len(rows)]}, note=note)
    return version


@transaction.atomic
def list_review(*, actor, district: Division, remove: list[Affair], reviewed_on: date | None = None,
                note: str = "") -> ListVersion:
    """The yearly review: the affairs in ``remove`` come off the list, the others are confirmed; either
    way a new version dated the review's day."""
    _require_district(district)
    if current_version(district) is None:
        raise ValidationFailed(_("The district has no affairs admission list yet: publish or import it first."))
    current_ids = set(Affair.objects.filter(district=district).current().values_list("pk", flat=True))
    if any(affair.pk not in current_ids for affair in remove):
        raise ValidationFailed(fields={"remove": [_("Only affairs on the list in force can be taken off it.")]})
    version = _new_version(actor=actor, district=district, reason=VersionReason.REVIEW, effective_on=reviewed_on, note=note)
    Affair.objects.filter(pk__in=[a.pk for a in remove]).update(removed_in=version)
    audit_record(actor=actor, action="governance.list.reviewed", target=version, division=district,
                 changes={"version": [version.number - 1, version.number], "removed": [None, sorted(a.title for a in remove)],
                          "confirmed": [None, len(current_ids) - len(remove)]}, note=note)
    return version


@transaction.atomic
def application_file(*, actor, district: Division, department: Organisation, title: str, role: str, legal_basis: str,
                     reason: str = "", now: datetime | None = None) -> AffairApplication:
    """A department asks to hand the district's communities a new task."""
    _require_district(district)
    _check_department(department, district)
    errors = {}
    if not title.strip():
        errors["title"] = [_("Write what the task is.")]
    if role not in AffairRole.values:
        errors["role"] = [_("Say whether the community would host or assist the task.")]
    if not legal_basis.strip():
        errors["legal_basis"] = [_("Write the law, regulation or document the task rests on.")]
    if errors:
        raise ValidationFailed(fields=errors)
    on_list = listed_affair(district, title)
    if on_list is not None:
        raise ValidationFailed(fields={"title": [
            _("This affair is already on the list (item %(n)s): communities take it on without a new admission.")
            % {"n": on_list.number}]})
    pending = AffairApplication.objects.select_for_update(of=("self",)).filter(
        district=district, status=AffairApplicationStatus.PENDING)
    if any(normalised(p.title) == normalised(title) for p in pending):
        raise Conflict(_("An application for this task is already waiting for the district's review."))
    application = AffairApplication.objects.create(
        district=district, department=department, title=title.strip(), role=role, legal_basis=legal_basis.strip(),
        reason=reason.strip(), applied_by=_user(actor), applied_at=now or timezone.now())
    audit_record(actor=actor, action="governance.application.filed", target=application, division=district,
                 organisation=department, changes={"title": [None, application.title], "role": [None, role]})
    return application


def _lock_pending(application: AffairApplication) -> AffairApplication:
    locked = AffairApplication.objects.select_for_update(of=("self",)).select_related("district", "department").get(
        pk=application.pk)
    if locked.status != AffairApplicationStatus.PENDING:
        raise Conflict(_("This application has already been decided."))
    return locked


@transaction.atomic
def application_admit(*, actor, application: AffairApplication, effective_on: date | None = None, note: str = "",
                      now: datetime | None = None) -> Affair:
    """The district admits the task: a new version of its list with the task as its last affair."""
    application = _lock_pending(application)
    district = application.district
    if current_version(district) is None:
        raise ValidationFailed(_("The district has no affairs admission list yet: publish or import it first."))
    on_list = listed_affair(district, application.title)
    if on_list is not None:
        raise ValidationFailed(_("This affair is already on the list (item %(n)s): communities take it on without a new "
                                 "admission.") % {"n": on_list.number})
    version = _new_version(actor=actor, district=district, reason=VersionReason.ADMISSION, effective_on=effective_on,
                           note=note or application.title)
    last = Affair.objects.filter(district=district).current().aggregate(n=Max("number"))["n"] or 0
    affair = Affair.objects.create(district=district, number=last + 1, title=application.title, role=application.role,
                                   legal_basis=application.legal_basis, department=application.department, added_in=version)
    application.status = AffairApplicationStatus.ADMITTED
    application.affair = affair
    application.decided_by = _user(actor)
    application.decided_at = now or timezone.now()
    application.decision_reason = note.strip()
    application.save(update_fields=["status", "affair", "decided_by", "decided_at", "decision_reason"])
    audit_record(actor=actor, action="governance.application.admitted", target=application, division=district,
                 organisation=application.department,
                 changes={"status": [AffairApplicationStatus.PENDING, AffairApplicationStatus.ADMITTED],
                          "version": [version.number - 1, version.number], "number": [None, affair.number]})
    return affair


@transaction.atomic
def application_refuse(*, actor, application: AffairApplication, reasons: str, now: datetime | None = None) -> AffairApplication:
    """The district refuses the task, with its reasons."""
    if not (reasons or "").strip():
        raise ValidationFailed(fields={"reasons": [_("Write why the task is refused.")]})
    application = _lock_pending(application)
    application.status = AffairApplicationStatus.REFUSED
    application.decided_by = _user(actor)
    application.decided_at = now or timezone.now()
    application.decision_reason = reasons.strip()
    application.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    audit_record(actor=actor, action="governance.application.refused", target=application, division=application.district,
                 organisation=application.department,
                 changes={"status": [AffairApplicationStatus.PENDING, AffairApplicationStatus.REFUSED],
                          "decision_reason": [None, application.decision_reason]})
    return application


@transaction.atomic
def task_refuse(*, actor, community: Division, department: Organisation, title: str, details: str = "",
                now: datetime | None = None) -> TaskRefusal:
    """The community refuses a task that is not on its district's list in force, citing that version."""
    if community.level != DivisionLevel.COMMUNITY:
        raise ValidationFailed(fields={"community": [_("Choose a community.")]})
    if not (title or "").strip():
        raise ValidationFailed(fields={"title": [_("Write what the task is.")]})
    district = district_of(community)
    _check_department(department, district)
    version = current_version(district)
    if version is None:
        raise ValidationFailed(_("The district has no affairs admission list yet, so there is no list to cite."))
    on_list = listed_affair(district, title)
    if on_list is not None:
        raise ValidationFailed(fields={"title": [
            _("This task is on the affairs admission list (item %(n)s, version %(v)s): the community takes it on.")
            % {"n": on_list.number, "v": version.number}]})
    refusal = TaskRefusal.objects.create(community=community, department=department, title=title.strip(),
                                         details=(details or "").strip(), version=version, refused_by=_user(actor),
                                         refused_at=now or timezone.now())
    audit_record(actor=actor, action="governance.task.refused", target=refusal, division=community, organisation=department,
                 changes={"title": [None, refusal.title], "version": [None, version.number]})
    return refusal


def review_due(district: Division, *, today: date) -> date | None:
    """The day the district's next yearly review falls due (None without a list)."""
    from rulepack.selectors import param

    last = (ListVersion.objects.filter(district=district, reason__in=[VersionReason.INITIAL, VersionReason.REVIEW,
                                                                      VersionReason.IMPORT])
            .order_by("-number").values_list("effective_on", flat=True).first())
    if last is None:
        return None
    return last + timedelta(days=int(param(division=district, key="governance.admission_review_days")))


def review_reminders_send(now: datetime) -> str:
    """The clock's job: remind each district whose review is due, once per due review."""
    from accounts.models import Role, RoleAssignment
    from notifications.services import notify

    today = timezone.localdate(now)
    reminded = 0
    districts = Division.objects.filter(pk__in=ListVersion.objects.values("district_id"))
    for district in districts:
        due = review_due(district, today=today)
        if due is None or due > today:
            continue
        with transaction.atomic():
            version = ListVersion.objects.select_for_update(of=("self",)).filter(district=district).order_by("-number").first()
            if version.review_reminded_on is not None:
                continue
            version.review_reminded_on = today
            version.save(update_fields=["review_reminded_on"])
            for assignment in RoleAssignment.objects.active().filter(role=Role.SUPERVISOR, division=district).select_related("user"):
                notify(user=assignment.user, title=_t("The affairs admission list is due for its yearly review"),
                       body=_t("%(district)s last reviewed its list more than a year ago (review due %(due)s).")
                       % {"district": district.name, "due": due}, url=f"/governance/affairs/{district.code}/")
            reminded += 1
    return f"{reminded} reminded" if reminded else ""


# ----------------------------------------------------------------------------------------------
# 五社联动 projects
# ----------------------------------------------------------------------------------------------

SOCIAL_ORGANISATION_KINDS = (OrganisationKind.OPERATOR, OrganisationKind.CHARITY)


@dataclass
class Contribution:
    """What one party brings to a project, as entered."""

    party: str
    organisation: Organisation | None = None
    fund: object | None = None
    people: str = ""
    headcount: int = 0
    money: Decimal | str | int = ZERO
    hours: Decimal | str | int = Decimal("0")
    in_kind: str = ""
    note: str = ""


def _amount(value, field: str, errors: dict, places: int) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        errors.setdefault(field, []).append(_("Enter a number."))
        return ZERO
    if not amount.is_finite() or amount < 0:
        errors.setdefault(field, []).append(_("Enter a number of zero or more."))
        return ZERO
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        errors.setdefault(field, []).append(_("Enter at most %(n)s decimal places.") % {"n": places})
    return amount.quantize(Decimal(1).scaleb(-places))


def _check_contribution(community: Division, item: Contribution, *, has_opportunities: bool = False) -> tuple[dict, Decimal, Decimal]:
    """The problems of one party's entry (by field), and its money and hours. ``has_opportunities``: the
    project has volunteer opportunities, whose records count the volunteers' hours."""
    errors: dict[str, list] = {}
    money = _amount(item.money, "money", errors, 2)
    hours = _amount(item.hours, "hours", errors, 1)
    if item.headcount is not None and int(item.headcount) < 0:
        errors.setdefault("headcount", []).append(_("Enter a number of zero or more."))
    organisation, fund = item.organisation, item.fund
    serving = organisation is None or Organisation.objects.serving(community).filter(pk=organisation.pk).exists()
    if item.party not in Party.values:
        errors.setdefault("party", []).append(_("Choose one of the five parties."))
    elif item.party == Party.COMMUNITY:
        if organisation is not None or fund is not None:
            errors.setdefault("party", []).append(_("The community takes part as itself: name no organisation or fund."))
    elif item.party == Party.SOCIAL_ORGANISATION:
        if organisation is None or organisation.kind not in SOCIAL_ORGANISATION_KINDS:
            errors.setdefault("organisation", []).append(_("Choose the social organisation from the register of organisations."))
    elif item.party == Party.SOCIAL_WORKER:
        if organisation is None and not item.people.strip():
            errors.setdefault("people", []).append(_("Name the social workers, or choose their social-work agency."))
        if organisation is not None and organisation.operator_kind != OperatorKind.SOCIAL_WORK_AGENCY:
            errors.setdefault("organisation", []).append(_("Choose a social-work agency."))
    elif item.party == Party.VOLUNTEERS:
        if organisation is not None or fund is not None:
            errors.setdefault("party", []).append(_("Volunteers take part as people: name no organisation or fund."))
        # Volunteers recruited on the platform are counted by their records: the figures typed here are
        # for service off the platform, and needed only when the project has no volunteer opportunity.
        if not int(item.headcount or 0) and not hours and not has_opportunities:
            errors.setdefault("headcount", []).append(_("Give the number of volunteers or their hours of service."))
    elif item.party == Party.CHARITY:
        if organisation is not None and organisation.kind != OrganisationKind.CHARITY:
            errors.setdefault("organisation", []).append(_("Choose a charity."))
        if fund is not None and not (community.path.startswith(fund.division.path)):
            errors.setdefault("fund", []).append(_("Choose the community's own fund, or its street's or district's."))
        if organisation is None and fund is None and not (money and item.note.strip()):
            errors.setdefault("fund", []).append(_("Choose the community fund or a charity, or give the money and say where "
                                                   "it comes from."))
    if organisation is not None and not serving:
        errors.setdefault("organisation", []).append(_("This organisation does not serve the project's community."))
    if item.party not in (Party.CHARITY,) and fund is not None:
        errors.setdefault("fund", []).append(_("Only charitable resources come from a fund."))
    return errors, money, hours


def _write_participation(project: PartnershipProject, item: Contribution, money: Decimal, hours: Decimal) -> Participation:
    return Participation.objects.create(
        project=project, party=item.party, organisation=item.organisation, fund=item.fund, people=item.people.strip(),
        headcount=int(item.headcount or 0), money=money, hours=hours, in_kind=item.in_kind.strip(), note=item.note.strip())


def _check_dates(starts_on: date | None, ends_on: date | None) -> dict:
    if starts_on is None:
        return {"starts_on": [_("Give the day the project starts.")]}
    if ends_on is not None and ends_on < starts_on:
        return {"ends_on": [_("The project cannot end before it starts.")]}
    return {}


@transaction.atomic
def project_create(*, actor, community: Division, title: str, starts_on: date, ends_on: date | None = None,
                   description: str = "", contributions: list[Contribution] | None = None) -> PartnershipProject:
    """Record a community's 五社联动 project with the parties that take part."""
    errors: dict[str, list] = {}
    if community.level != DivisionLevel.COMMUNITY:
        errors["community"] = [_("Choose a community.")]
    if not (title or "").strip():
        errors["title"] = [_("Give the project a title.")]
    errors.update(_check_dates(starts_on, ends_on))
    checked = []
    for index, item in enumerate(contributions or [], start=1):
        item_errors, money, hours = _check_contribution(community, item)
        for field, messages in item_errors.items():
            errors[f"parties.{index}.{field}"] = messages
        checked.append((item, money, hours))
    if sum(1 for item, _m, _h in checked if item.party == Party.COMMUNITY) > 1:
        errors["parties"] = [_("The community is one party: record it once.")]
    if errors:
        raise ValidationFailed(fields=errors)
    project = PartnershipProject.objects.create(community=community, title=title.strip(), description=(description or "").strip(),
                                                starts_on=starts_on, ends_on=ends_on, created_by=_user(actor))
    for item, money, hours in checked:
        _write_participation(project, item, money, hours)
    audit_record(actor=actor, action="governance.project.created", target=project, division=community,
                 changes={"title": [None, project.title], "starts_on": [None, starts_on],
                          "parties": [None, sorted({item.party for item, _m, _h in checked})]})
    return project


@transaction.atomic
def project_update(*, actor, project: PartnershipProject, title: str, starts_on: date, ends_on: date | None = None,
                   description: str = "") -> PartnershipProject:
    errors = {} if (title or "").strip() else {"title": [_("Give the project a title.")]}
    errors.update(_check_dates(starts_on, ends_on))
    if errors:
        raise ValidationFailed(fields=errors)
    project = PartnershipProject.objects.select_for_update(of=("self",)).get(pk=project.pk)
    before = {"title": project.title, "description": project.description, "starts_on": project.starts_on,
              "ends_on": project.ends_on}
    after = {"title": title.strip(), "description": (description or "").strip(), "starts_on": starts_on, "ends_on": ends_on}
    changes = {k: [before[k], v] for k, v in after.items() if before[k] != v}
    if changes:
        for field, value in after.items():
            setattr(project, field, value)
        project.save(update_fields=list(after))
        audit_record(actor=actor, action="governance.project.updated", target=project, division=project.community,
                     changes=changes)
    return project


@transaction.atomic
def participation_add(*, actor, project: PartnershipProject, contribution: Contribution) -> Participation:
    """Add a party (or another organisation of a party) to a project."""
    # Volunteers' opportunities point at projects: imported when used, so governance loads without volunteers.
    from volunteers.models import OpportunityStatus

    project = PartnershipProject.objects.select_for_update(of=("self",)).select_related("community").get(pk=project.pk)
    has_opportunities = (contribution.party == Party.VOLUNTEERS
                         and project.volunteer_opportunities.exclude(status=OpportunityStatus.CANCELLED).exists())
    errors, money, hours = _check_contribution(project.community, contribution, has_opportunities=has_opportunities)
    if contribution.party == Party.COMMUNITY and project.participations.filter(party=Party.COMMUNITY).exists():
        errors.setdefault("party", []).append(_("The community is one party: record it once."))
    if errors:
        raise ValidationFailed(fields=errors)
    participation = _write_participation(project, contribution, money, hours)
    audit_record(actor=actor, action="governance.participation.added", target=project, division=project.community,
                 organisation=contribution.organisation,
                 changes={"party": [None, contribution.party], "money": [None, money], "hours": [None, hours],
                          "headcount": [None, participation.headcount]})
    return participation


@transaction.atomic
def participation_remove(*, actor, participation: Participation) -> None:
    project = participation.project
    audit_record(actor=actor, action="governance.participation.removed", target=project, division=project.community,
                 changes={"party": [participation.party, None], "money": [participation.money, None],
                          "hours": [participation.hours, None]})
    participation.delete()
