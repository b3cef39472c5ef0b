"""Excel registers of community governance.

* ``governance.affairs``: a district's community affairs admission list (export, template, and an
  all-or-nothing import that replaces the list in force with a new version through
  ``services.affair_list_replace``; an unchanged export imports as no change);
* ``governance.five_party``: the five-party projects by district and street (export).
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.errors import PermissionDenied, ValidationFailed
from excel.registers import (
    Column,
    ImportRejected,
    Register,
    choice_label,
    parse_choice,
    parse_int,
    parse_text,
    register,
    row_error,
)
from org.models import DivisionLevel, Organisation, OrganisationKind
from org.selectors import division_get

from . import selectors, services
from .models import AffairRole

ROLE_WORDS = {AffairRole.HOST: ("主办", "社区主办"), AffairRole.ASSIST: ("协办", "社区协办", "配合")}


def _departments(district) -> list[Organisation]:
    """The departments an affair of ``district`` may name: of the district or a government above it."""
    lines = [district.path, *[p for p in _ancestors(district.path)]]
    return list(Organisation.objects.filter(kind=OrganisationKind.DEPARTMENT, is_active=True,
                                            home_division__path__in=lines).order_by("name")) + list(
        Organisation.objects.filter(kind=OrganisationKind.DEPARTMENT, is_active=True,
                                    home_division__path__under=district.path).exclude(home_division__path=district.path)
        .order_by("name"))


def _ancestors(path: str) -> list[str]:
    from core.scoping import ancestor_paths

    return ancestor_paths(path)


def _department_options(user) -> list[tuple[str, tuple[str, ...]]]:
    names: dict[str, None] = {}
    for district in selectors.list_districts(user=user)[:20]:
        for department in _departments(district):
            names.setdefault(department.name)
    return [(name, ()) for name in names]


AFFAIR_COLUMNS = [
    Column("number", _("No."), parse_int, width=6, note=_("The order of the list; new affairs are numbered by their row")),
    Column("title", _("Affair"), parse_text, required=True, width=36),
    Column("role", _("The community"), parse_choice(AffairRole, ROLE_WORDS), required=True, width=12),
    Column("department", _("Responsible department"), parse_text, required=True, width=24,
           options=_department_options, note=_("A government department of the district or above it, by name")),
    Column("legal_basis", _("Legal basis"), parse_text, required=True, width=48),
]


def _district(user, params: dict):
    code = params.get("within")
    if not code:  # the first district whose list the user reads (a district's own staff: theirs)
        district = selectors.list_districts(user=user).first()
        if district is None:
            raise ValidationFailed(fields={"within": [_("Choose the district whose list it is.")]})
        return district
    district = selectors.district_get(user=user, code=str(code))
    if district.level != DivisionLevel.DISTRICT:
        raise ValidationFailed(fields={"within": [_("Choose a district: the affairs admission list is kept by a district.")]})
    return district


def check_district(*, user, params: dict) -> None:
    unknown = set(params) - {"within"}
    if unknown:
        raise ValidationFailed(fields={"params": [_("Unknown parameter: %(name)s") % {"name": ", ".join(sorted(unknown))}]})
    _district(user, params)


def export_affairs(*, user, params: dict):
    district = _district(user, params)
    version = selectors.version_get(user=user, district=district)
    affairs = list(selectors.affair_list(user=user, version=version)) if version else []

    def rows():
        for a in affairs:
            yield [a.number, a.title, choice_label(AffairRole, a.role), a.department.name, a.legal_basis]

    return len(affairs), rows()


def import_affairs(*, actor, rows, params: dict, progress) -> dict:
    """Every row read, then the whole list replaced at once: any bad cell, nothing written."""
    district = _district(actor, params)
    if not actor.has_perm("governance.change_affair", district):
        raise PermissionDenied(_("You cannot change the affairs admission list of %(name)s.") % {"name": district.name})
    departments = {d.name: d for d in _departments(district)}
    errors: list[dict] = []
    read: list[tuple[int, object, services.AffairRow]] = []
    count = 0
    for number, record, cell_errors in rows:
        count += 1
        errors.extend(cell_errors)
        if cell_errors:
            continue
        department = departments.get((record["department"] or "").strip())
        if department is None:
            errors.append(row_error(number, _("Responsible department"),
                                    _("Choose a government department of this district or above it."), record["department"]))
            continue
        read.append((number, record.get("number"),
                     services.AffairRow(record["title"], record["role"], record["legal_basis"], department)))
        if count % 200 == 0:
            progress(count)
    if errors:
        raise ImportRejected(errors)
    read.sort(key=lambda item: (item[1] is None, item[1] or 0, item[0]))
    try:
        with transaction.atomic():
            version = services.affair_list_replace(actor=actor, district=district, rows=[row for _n, _o, row in read])
    except ValidationFailed as error:
        problems = []
        for field, messages in error.fields.items():
            index = int(field.split(".")[1]) if field.startswith("affairs.") else None
            row = read[index - 1][0] if index else 0
            problems.extend(row_error(row, None, message) for message in messages)
        raise ImportRejected(problems or [row_error(0, None, error.message)]) from None
    changed = version is not None
    return {"rows": count, "created": len(read) if changed else 0, "updated": 0, "unchanged": 0 if changed else len(read)}


FIVE_PARTY_COLUMNS = [Column(key, header, parse_text, width=width) for key, header, width in (
    ("code", _("Division code"), 14), ("name", _("Division"), 20), ("communities", _("Communities"), 10),
    ("with_five", _("Communities with a five-party project"), 14), ("projects", _("Projects"), 10),
    ("five_party", _("Projects involving all five"), 14), ("money", _("Money behind them (yuan)"), 16),
    ("hours", _("Volunteer hours behind them"), 14))]


def export_five_party(*, user, params: dict):
    within = division_get(user=user, code=str(params["within"])) if params.get("within") else None
    if within is None:
        from org.selectors import user_home_division

        within = user_home_division(user=user)
    if within is None or not user.has_perm("governance.view_summary", within):
        raise PermissionDenied()
    summary = selectors.five_party_summary(user=user, within=within)

    def rows():
        for r in summary:
            yield [r.division.code, r.division.name, r.communities, r.communities_with_five, r.projects, r.five_party, r.money,
                   r.volunteer_hours]

    return len(summary), rows()


def check_within_summary(*, user, params: dict) -> None:
    unknown = set(params) - {"within"}
    if unknown:
        raise ValidationFailed(fields={"params": [_("Unknown parameter: %(name)s") % {"name": ", ".join(sorted(unknown))}]})
    if params.get("within"):
        division = division_get(user=user, code=str(params["within"]))
        if not user.has_perm("governance.view_summary", division):
            raise PermissionDenied()


register(Register(name="governance.affairs", title=_("Community affairs admission list"), permission="governance.view_affair",
                  columns=AFFAIR_COLUMNS, export_rows=export_affairs, import_rows=import_affairs, check_params=check_district))
register(Register(name="governance.five_party", title=_("Five-party projects by division"), permission="governance.view_summary",
                  columns=FIVE_PARTY_COLUMNS, export_rows=export_five_party, check_params=check_within_summary))
