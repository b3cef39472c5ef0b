"""Writing the administrative tree and the organisations register.

Callers have already checked the actor's permission (``accounts.permissions``); these
functions keep the tree's invariants (levels, codes, paths) and leave an audit event.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record, audit_record_many, diff, snapshot
from core.errors import Conflict, ValidationFailed
from core.services import assign, clean_or_raise

from .models import LEVEL_ORDER, Division, DivisionLevel, Organisation, OrganisationKind

DIVISION_EDITABLE = {"name", "code", "population", "households", "community_type", "latitude", "longitude", "boundary"}
ORGANISATION_EDITABLE = {
    "name", "operator_kind", "credit_code", "public_fundraising", "contact_name", "contact_phone", "address",
    "description", "is_active",
}

# The number of leading code digits a division shares with its parent, and the digits that
# must be zero at its own level, by the national division-code scheme (GB/T 2260, 10114).
_CODE_SHARED = {DivisionLevel.DISTRICT: 4, DivisionLevel.STREET: 6, DivisionLevel.COMMUNITY: 9}
_CODE_OWN = {
    DivisionLevel.CITY: slice(0, 4),
    DivisionLevel.DISTRICT: slice(4, 6),
    DivisionLevel.STREET: slice(6, 9),
    DivisionLevel.COMMUNITY: slice(9, 12),
}


def child_level(parent: Division | None) -> str:
    if parent is None:
        return DivisionLevel.CITY
    index = LEVEL_ORDER.index(parent.level)
    if index + 1 >= len(LEVEL_ORDER):
        raise ValidationFailed(_("A grid cannot have divisions below it."), fields={"parent": [_("A grid cannot have divisions below it.")]})
    return LEVEL_ORDER[index + 1]


def division_code_errors(*, code: str, level: str, parent: Division | None) -> list[str]:
    """Why ``code`` is not a valid code for a division of ``level`` under ``parent`` (empty if it is)."""
    if level == DivisionLevel.GRID:
        prefix = f"{parent.code}-" if parent else ""
        suffix = code[len(prefix):]
        if not code.startswith(prefix) or not suffix.isdigit() or not 2 <= len(suffix) <= 4:
            return [str(_("A grid code is its community's code, a hyphen and 2 to 4 digits (e.g. %(example)s).") % {"example": f"{prefix}01"})]
        return []
    if len(code) != 12 or not code.isdigit():
        return [str(_("A division code has 12 digits."))]
    errors = []
    own = _CODE_OWN[level]
    if int(code[own]) == 0:
        errors.append(str(_("The digits of this level must not all be zero.")))
    if code[own.stop:].strip("0"):
        errors.append(str(_("The digits below this level must be zero.")))
    shared = _CODE_SHARED.get(level)
    if parent is not None and shared and code[:shared] != parent.code[:shared]:
        errors.append(
            str(_("The code must begin with the first %(n)s digits of its parent's code (%(prefix)s).") % {"n": shared, "prefix": parent.code[:shared]})
        )
    return errors


def coordinate(value) -> Decimal | None:
    """A latitude or longitude to the six decimal places (about 10 cm) the register keeps."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise ValidationFailed(fields={"latitude": [_("Enter a number.")]}) from None


def _check_community_type(level: str, community_type: str) -> None:
    if community_type and level != DivisionLevel.COMMUNITY:
        raise ValidationFailed(fields={"community_type": [_("Only communities and villages have a community type.")]})


@transaction.atomic
def division_create(
    *,
    actor,
    parent: Division | None,
    code: str,
    name: str,
    population: int = 0,
    households: int = 0,
    community_type: str = "",
    latitude=None,
    longitude=None,
    boundary=None,
) -> Division:
    level = child_level(parent)
    code = code.strip()
    errors = division_code_errors(code=code, level=level, parent=parent)
    if errors:
        raise ValidationFailed(fields={"code": errors})
    _check_community_type(level, community_type)
    if Division.objects.filter(code=code).exists():
        raise Conflict(_("A division with code %(code)s already exists.") % {"code": code}, fields={"code": [_("Already in use.")]})
    division = Division(
        parent=parent,
        code=code,
        name=name.strip(),
        level=level,
        path=Division.path_for(parent, code),
        depth=0 if parent is None else parent.depth + 1,
        population=population,
        households=households,
        community_type=community_type,
        latitude=coordinate(latitude),
        longitude=coordinate(longitude),
        boundary=boundary,
    )
    clean_or_raise(division, exclude=["path", "depth"])
    division.save()
    audit_record(
        actor=actor, action="org.division.created", target=division, division=division,
        changes=snapshot(division, sorted(DIVISION_EDITABLE | {"level", "parent"})),
    )
    return division


@transaction.atomic
def grids_create(*, actor, community: Division, names: list[str], population: int = 0, households: int = 0) -> list[Division]:
    """Cut a community into grids (网格) at once: codes community code + -01, -02, …, figures shared."""
    if community.level != DivisionLevel.COMMUNITY:
        raise ValidationFailed(fields={"parent": [_("Only a community is cut into grids.")]})
    taken = Division.objects.filter(parent=community).count()
    grids = []
    for index, name in enumerate(names, start=taken + 1):
        code = f"{community.code}-{index:02d}"
        grids.append(Division(parent=community, code=code, name=name.strip(), level=DivisionLevel.GRID,
                              path=Division.path_for(community, code), depth=community.depth + 1,
                              population=population // max(len(names), 1), households=households // max(len(names), 1)))
    Division.objects.bulk_create(grids)
    audit_record_many(actor=actor, action="org.division.created", entries=[(g, g, {"code": g.code, "name": g.name}) for g in grids])
    return grids


@transaction.atomic
def division_update(*, actor, division: Division, data: dict) -> Division:
    division = Division.objects.select_for_update().get(pk=division.pk)
    fields = sorted(data)
    before = snapshot(division, fields)
    old_code, old_path = division.code, division.path
    data = {k: coordinate(v) if k in {"latitude", "longitude"} else v for k, v in data.items()}
    assign(division, data, allowed=DIVISION_EDITABLE)
    if division.code != old_code:
        errors = division_code_errors(code=division.code, level=division.level, parent=division.parent)
        if errors:
            raise ValidationFailed(fields={"code": errors})
        if division.children.exists():
            raise Conflict(_("Change the codes of the divisions below first; a division with children keeps its code."))
        division.path = Division.path_for(division.parent, division.code)
    _check_community_type(division.level, division.community_type)
    clean_or_raise(division, exclude=["path", "depth"])
    division.save()
    if division.path != old_path:
        Division.objects.filter(path__under=old_path).exclude(pk=division.pk).update(
            path=Concat(Value(division.path), Substr("path", len(old_path) + 1))
        )
    changes = diff(before, snapshot(division, fields))
    if changes:
        audit_record(actor=actor, action="org.division.updated", target=division, division=division, changes=changes)
    return division


def _check_organisation_kind(kind: str, operator_kind: str, public_fundraising: bool) -> None:
    fields = {}
    if kind == OrganisationKind.OPERATOR and not operator_kind:
        fields["operator_kind"] = [_("Say what kind of operator this is.")]
    if kind != OrganisationKind.OPERATOR and operator_kind:
        fields["operator_kind"] = [_("Only operators have an operator kind.")]
    if kind != OrganisationKind.CHARITY and public_fundraising:
        fields["public_fundraising"] = [_("Only charities have public fundraising status.")]
    if fields:
        raise ValidationFailed(fields=fields)


_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def _credit_check_character(first17: str) -> str:
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code_errors(code: str) -> list[str]:
    """Check an 18-character unified social credit code, including its check character (GB 32100-2015)."""
    code = code.upper()
    if len(code) != 18 or any(c not in _CREDIT_ALPHABET for c in code):
        return [str(_("A unified social credit code has 18 characters (digits and capital letters, without I, O, Z, S, V)."))]
    if _credit_check_character(code[:17]) != code[17]:
        return [str(_("The check character of this credit code is wrong; please copy it again from the licence."))]
    return []


def credit_code_with_check(first17: str) -> str:
    """Complete 17 characters with their check character (used by the demo city and tests)."""
    return first17 + _credit_check_character(first17)


def _check_served(home_division: Division, served: list[Division]) -> None:
    if not served:
        raise ValidationFailed(fields={"served_divisions": [_("Name at least one division the organisation serves.")]})


@transaction.atomic
def organisation_create(
    *,
    actor,
    name: str,
    kind: str,
    home_division: Division,
    served_divisions: list[Division] | None = None,
    operator_kind: str = "",
    credit_code: str | None = None,
    public_fundraising: bool = False,
    contact_name: str = "",
    contact_phone: str = "",
    address: str = "",
    description: str = "",
) -> Organisation:
    _check_organisation_kind(kind, operator_kind, public_fundraising)
    if credit_code:
        credit_code = credit_code.strip().upper()
        errors = credit_code_errors(credit_code)
        if errors:
            raise ValidationFailed(fields={"credit_code": errors})
    served = list(served_divisions or [home_division])
    _check_served(home_division, served)
    organisation = Organisation(
        name=name.strip(), kind=kind, operator_kind=operator_kind, credit_code=credit_code or None,
        public_fundraising=public_fundraising, home_division=home_division, contact_name=contact_name,
        contact_phone=contact_phone, address=address, description=description,
    )
    clean_or_raise(organisation)
    organisation.save()
    organisation.served_divisions.set(served)
    audit_record(
        actor=actor, action="org.organisation.created", target=organisation, division=home_division,
        organisation=organisation,
        changes={**snapshot(organisation, sorted(ORGANISATION_EDITABLE | {"kind", "home_division"})),
                 "served_divisions": [d.code for d in served]},
    )
    return organisation


@transaction.atomic
def organisation_update(
    *, actor, organisation: Organisation, data: dict, served_divisions: list[Division] | None = None
) -> Organisation:
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    fields = sorted(data)
    before = snapshot(organisation, fields)
    if "credit_code" in data and data["credit_code"]:
        data = {**data, "credit_code": data["credit_code"].strip().upper()}
        errors = credit_code_errors(data["credit_code"])
        if errors:
            raise ValidationFailed(fields={"credit_code": errors})
    elif "credit_code" in data:
        data = {**data, "credit_code": None}
    assign(organisation, data, allowed=ORGANISATION_EDITABLE)
    _check_organisation_kind(organisation.kind, organisation.operator_kind, organisation.public_fundraising)
    clean_or_raise(organisation)
    organisation.save()
    changes = diff(before, snapshot(organisation, fields))
    if served_divisions is not None:
        _check_served(organisation.home_division, served_divisions)
        old = sorted(organisation.served_divisions.values_list("code", flat=True))
        new = sorted(d.code for d in served_divisions)
        if old != new:
            organisation.served_divisions.set(served_divisions)
            changes["served_divisions"] = [old, new]
    if changes:
        audit_record(
            actor=actor, action="org.organisation.updated", target=organisation,
            division=organisation.home_division, organisation=organisation, changes=changes,
        )
    return organisation
