"""The Excel registers of the administrative tree and of organisations.

Imports run every row through the same services that the pages and the API use (see
``excel.registers.run_rows_atomically``): all rows or none.
"""

from django.utils.translation import gettext_lazy as _

from accounts.permissions import in_scope, visible_to
from core.errors import PermissionDenied, ValidationFailed
from excel.registers import (
    Column,
    Register,
    choice_label,
    parse_bool,
    parse_choice,
    parse_code,
    parse_decimal,
    parse_int,
    parse_text,
    register,
    run_rows_atomically,
    same_value,
    yes_no,
)

from . import services
from .models import CommunityType, Division, OperatorKind, Organisation, OrganisationKind
from .selectors import division_get
from .services import coordinate

# The other words people write for each choice (read as the same value, listed in 填写说明).
COMMUNITY_TYPE_WORDS = {
    CommunityType.OLD_ESTATE: ("老小区",),
    CommunityType.NEW_ESTATE: ("商品房小区", "新建小区"),
    CommunityType.URBAN_VILLAGE: ("城中村社区",),
    CommunityType.VILLAGE: ("行政村", "农村社区"),
}
ORGANISATION_KIND_WORDS = {
    OrganisationKind.OPERATOR: ("运营方", "第三方机构", "经营主体"),
    OrganisationKind.CHARITY: ("慈善会", "基金会", "慈善组织"),
    OrganisationKind.DEPARTMENT: ("政府部门", "职能部门"),
}
OPERATOR_KIND_WORDS = {
    OperatorKind.SOCIAL_WORK_AGENCY: ("社工机构", "社工服务机构"),
    OperatorKind.ENTERPRISE: ("公司", "企业"),
    OperatorKind.STATE_OWNED: ("国资控股公司", "国有企业"),
    OperatorKind.SOCIAL_ORGANISATION: ("社会组织",),
}


def _unchanged(instance, data: dict) -> bool:
    """Whether every value of the row is what ``instance`` already holds (611 is 611.00; blank is None)."""
    return all(same_value(getattr(instance, name), value) for name, value in data.items())


def _level_rank(code: str) -> int:
    """Parents before children: city, district, street, community, then grids."""
    if "-" in code:
        return 4
    if code.endswith("00000000"):
        return 0
    if code.endswith("000000"):
        return 1
    if code.endswith("000"):
        return 2
    return 3


# Divisions.

DIVISION_COLUMNS = [
    Column("code", _("Division code"), parse_code, required=True, width=18, note=_("12 digits; a grid adds -01")),
    Column("name", _("Name"), parse_text, required=True, width=20),
    Column("parent_code", _("Parent code"), parse_code, width=18, note=_("Code of the division above; empty for a city")),
    Column("population", _("Population"), parse_int, width=12),
    Column("households", _("Households"), parse_int, width=12),
    Column("community_type", _("Community type"), parse_choice(CommunityType, COMMUNITY_TYPE_WORDS), width=14,
           note=_("Communities only: historic block, old estate, industrial, new estate, village in city, village")),
    Column("latitude", _("Latitude"), parse_decimal, width=12),
    Column("longitude", _("Longitude"), parse_decimal, width=12),
]


def check_within(*, user, params: dict) -> None:
    """``within`` must name a division the user can see."""
    unknown = set(params) - {"within"}
    if unknown:
        raise ValidationFailed(fields={"params": [_("Unknown parameter: %(name)s") % {"name": ", ".join(sorted(unknown))}]})
    if params.get("within"):
        division_get(user=user, code=str(params["within"]))


def export_divisions(*, user, params: dict):
    divisions = visible_to(user, "org.view_division", Division.objects.select_related("parent")).order_by("path")
    if params.get("within"):
        divisions = divisions.filter(path__under=division_get(user=user, code=params["within"]).path)

    def rows():
        for d in divisions.iterator(chunk_size=2000):
            yield [
                d.code, d.name, d.parent.code if d.parent else "", d.population, d.households,
                choice_label(CommunityType, d.community_type),
                float(d.latitude) if d.latitude is not None else None,
                float(d.longitude) if d.longitude is not None else None,
            ]

    return divisions.count(), rows()


def import_divisions(*, actor, rows, params: dict, progress) -> dict:
    ordered = sorted(rows, key=lambda row: (_level_rank(row[1].get("code", "")), row[0]))

    def apply_row(number: int, record: dict) -> str:
        data = {k: v for k, v in record.items() if k not in {"code", "parent_code"} and v is not None}
        existing = Division.objects.filter(code=record["code"]).first()
        if existing is not None:
            if _unchanged(existing, {k: coordinate(v) if k in ("latitude", "longitude") else v for k, v in data.items()}):
                return "unchanged"
            if not in_scope(actor, "org.change_division", existing):
                raise PermissionDenied(_("You cannot change division %(code)s.") % {"code": existing.code})
            services.division_update(actor=actor, division=existing, data=data)
            return "updated"
        parent = Division.objects.filter(code=record.get("parent_code") or "").first()
        if parent is None:
            raise ValidationFailed(fields={str(_("Parent code")): [_("Unknown parent code: %(code)s") % {"code": record.get("parent_code") or "—"}]})
        if not in_scope(actor, "org.add_division", parent):
            raise PermissionDenied(_("You cannot add divisions under %(code)s.") % {"code": parent.code})
        services.division_create(actor=actor, parent=parent, code=record["code"], **data)
        return "created"

    return run_rows_atomically(ordered, apply_row, progress)


register(Register(
    name="org.divisions",
    title=_("Administrative divisions"),
    permission="org.view_division",
    columns=DIVISION_COLUMNS,
    export_rows=export_divisions,
    import_rows=import_divisions,
    check_params=check_within,
))


# Organisations.

ORGANISATION_COLUMNS = [
    Column("name", _("Name"), parse_text, required=True, width=30),
    Column("kind", _("Kind"), parse_choice(OrganisationKind, ORGANISATION_KIND_WORDS), required=True, width=12,
           note=_("operator, charity or government department")),
    Column("operator_kind", _("Operator kind"), parse_choice(OperatorKind, OPERATOR_KIND_WORDS), width=16),
    Column("credit_code", _("Unified social credit code"), parse_code, width=22),
    Column("public_fundraising", _("Public fundraising status"), parse_bool, width=10),
    Column("home_division_code", _("Registered at (code)"), parse_code, required=True, width=18),
    Column("served_division_codes", _("Serves (codes)"), parse_text, width=30, note=_("Division codes separated by commas")),
    Column("contact_name", _("Contact person"), parse_text, width=12),
    Column("contact_phone", _("Contact phone"), parse_code, width=14),
    Column("address", _("Address"), parse_text, width=30),
]


def export_organisations(*, user, params: dict):
    organisations = (
        visible_to(user, "org.view_organisation", Organisation.objects.select_related("home_division"))
        .prefetch_related("served_divisions")
        .order_by("name", "id")
    )
    if params.get("within"):
        within = division_get(user=user, code=params["within"])
        organisations = organisations.filter(pk__in=Organisation.objects.serving(within).values("pk"))

    def rows():
        for o in organisations.iterator(chunk_size=1000):
            yield [
                o.name, choice_label(OrganisationKind, o.kind), choice_label(OperatorKind, o.operator_kind),
                o.credit_code or "", yes_no(o.public_fundraising), o.home_division.code,
                ",".join(d.code for d in o.served_divisions.all()), o.contact_name, o.contact_phone, o.address,
            ]

    return organisations.count(), rows()


def import_organisations(*, actor, rows, params: dict, progress) -> dict:
    def division_for(code: str, field) -> Division:
        division = Division.objects.filter(code=code).first()
        if division is None or not in_scope(actor, "org.view_division", division):
            raise ValidationFailed(fields={str(field): [_("Unknown division code: %(code)s") % {"code": code}]})
        return division

    def apply_row(number: int, record: dict) -> str:
        home = division_for(record["home_division_code"], _("Registered at (code)"))
        codes = [c.strip() for c in (record.get("served_division_codes") or "").replace("，", ",").split(",") if c.strip()]
        served = [division_for(code, _("Serves (codes)")) for code in codes] or None
        fields = {
            "name": record["name"], "operator_kind": record.get("operator_kind") or "",
            "credit_code": record.get("credit_code") or None,
            "public_fundraising": bool(record.get("public_fundraising")),
            "contact_name": record.get("contact_name") or "", "contact_phone": record.get("contact_phone") or "",
            "address": record.get("address") or "",
        }
        if fields["credit_code"]:
            existing = Organisation.objects.filter(credit_code=fields["credit_code"].upper()).first()
        else:  # without a credit code, an organisation is known by its name, kind and where it is registered
            existing = Organisation.objects.filter(credit_code__isnull=True, name=fields["name"], kind=record["kind"],
                                                   home_division=home).first()
        if existing is not None:
            same_served = served is None or {d.pk for d in served} == set(existing.served_divisions.values_list("pk", flat=True))
            if same_served and existing.kind == record["kind"] and _unchanged(existing, fields):
                return "unchanged"
            if not in_scope(actor, "org.change_organisation", existing):
                raise PermissionDenied(_("You cannot change %(name)s.") % {"name": existing.name})
            services.organisation_update(actor=actor, organisation=existing, data=fields, served_divisions=served)
            return "updated"
        if not in_scope(actor, "org.add_organisation", home):
            raise PermissionDenied(_("You cannot register organisations at %(code)s.") % {"code": home.code})
        services.organisation_create(actor=actor, kind=record["kind"], home_division=home, served_divisions=served, **fields)
        return "created"

    return run_rows_atomically(rows, apply_row, progress)


register(Register(
    name="org.organisations",
    title=_("Organisations"),
    permission="org.view_organisation",
    columns=ORGANISATION_COLUMNS,
    export_rows=export_organisations,
    import_rows=import_organisations,
    check_params=check_within,
))
