"""Community rooms of new residential projects [Haining]: sign-offs, delivery, monetisation, and the
street's earmarked sub-account."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from accounts.permissions import active_roles
from audit.services import audit_record, snapshot
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.services import clean_or_raise
from ledger.models import AccountKind
from ledger.services import account_get_or_open, ledger_transfer, to_yuan
from org.models import Division, DivisionLevel
from rulepack.selectors import param, rule, rules_for

from ..compliance import compliance_report
from ..models import (
    PROVISION_STAGES,
    ProvisionMethod,
    ProvisionProject,
    ProvisionSignOff,
    ProvisionStage,
    SignOffParty,
)

# Provision of community rooms by new residential projects [Haining].

def provision_required_area(*, division: Division, households: int) -> Decimal:
    found = rule(division=division, key="registry.new_project_area")
    if found is None:
        provision_rules = rules_for(division=division, module="registry", kind="provision_area")
        found = provision_rules[0] if provision_rules else None
    if found is None:
        raise ValidationFailed(_("The city's rule pack has no rule for new projects' community rooms."))
    per_100 = Decimal(str(found.params["per_100_households_m2"]))
    minimum = Decimal(str(found.params["min_m2"]))
    return max(minimum, (per_100 * households / 100).quantize(Decimal("0.01")))


def community_meets_area_standard(community: Division) -> bool:
    report = compliance_report(division=community, communities=Division.objects.filter(pk=community.pk), streets=[])
    area_keys = {r.key for r in rules_for(division=community, module="registry", kind="site_area_min")}
    return all(res.passed for res in report.communities[0].results if res.key in area_keys)


@transaction.atomic
def provision_project_create(
    *, actor, community: Division, name: str, developer: str, land_parcel: str, households: int, method: str,
    presale_price: Decimal | None = None,
) -> ProvisionProject:
    if community.level != DivisionLevel.COMMUNITY:
        raise ValidationFailed(fields={"community": [_("Choose the community the project lies in.")]})
    required = provision_required_area(division=community, households=households)
    amount = None
    if method == ProvisionMethod.MONETISE:
        if param(division=community, key="registry.monetisation_requires_compliance") and not community_meets_area_standard(community):
            raise Conflict(_("%(community)s does not yet meet the area standard, so the rooms must be provided, not paid for.")
                           % {"community": community.name}, fields={"method": [_("Monetisation is not allowed here.")]})
        if presale_price is None or presale_price <= 0:
            raise ValidationFailed(fields={"presale_price": [_("Monetisation needs the presale filing average price.")]})
        amount = (presale_price * required).quantize(Decimal("0.01"))
    project = ProvisionProject(
        street=community.parent, community=community, name=name, developer=developer, land_parcel=land_parcel,
        households=households, required_area=required, method=method, presale_price=presale_price,
        monetisation_amount=amount, created_by=actor,
    )
    clean_or_raise(project)
    project.save()
    audit_record(actor=actor, action="registry.provision.created", target=project, division=community,
                 changes=snapshot(project, ["name", "developer", "land_parcel", "households", "required_area", "method",
                                            "presale_price", "monetisation_amount"]))
    return project


def party_of(user, project: ProvisionProject) -> set[str]:
    """Which parties ``user`` may sign for on ``project``: by their roles at its place in the tree."""
    parties = set()
    for assignment in active_roles(user):
        if assignment.division_id is None or not project.community.path.startswith(assignment.division.path):
            continue
        if assignment.role == Role.SUPERVISOR:
            parties.add(SignOffParty.CIVIL_AFFAIRS)
        elif assignment.role == Role.STREET_ADMIN:
            parties.add(SignOffParty.STREET)
        elif assignment.role == Role.COMMUNITY_WORKER:
            parties.add(SignOffParty.COMMUNITY)
    return parties


@transaction.atomic
def provision_sign_off(*, actor, project: ProvisionProject, party: str, document_no: str, signed_on: date, signer: str,
                       note: str = "") -> ProvisionSignOff:
    """Record one party's written consent at the project's current stage; three consents open the next stage."""
    project = ProvisionProject.objects.select_for_update(of=("self",)).select_related("community").get(pk=project.pk)
    if project.stage == ProvisionStage.DONE:
        raise Conflict(_("Every stage of this project is already signed off."))
    if party not in party_of(actor, project):
        raise PermissionDenied(_("You cannot sign for %(party)s on this project.") % {"party": SignOffParty(party).label})
    if not document_no.strip() or not signer.strip():
        raise ValidationFailed(fields={"document_no": [_("A written consent has a document number and a signer.")]})
    if signed_on > timezone.localdate():
        raise ValidationFailed(fields={"signed_on": [_("A consent cannot be dated in the future.")]})
    try:
        with transaction.atomic():
            sign_off = ProvisionSignOff.objects.create(
                project=project, stage=project.stage, party=party, document_no=document_no.strip(), signed_on=signed_on,
                signer=signer.strip(), note=note, recorded_by=actor)
    except IntegrityError:
        raise Conflict(_("%(party)s has already signed off this stage.") % {"party": SignOffParty(party).label}) from None
    signed = set(project.sign_offs.filter(stage=project.stage).values_list("party", flat=True))
    changes = {"stage": project.stage, "party": party, "document_no": document_no}
    if signed == set(SignOffParty.values):
        index = PROVISION_STAGES.index(project.stage)
        project.stage = PROVISION_STAGES[index + 1] if index + 1 < len(PROVISION_STAGES) else ProvisionStage.DONE
        project.save(update_fields=["stage"])
        changes["next_stage"] = project.stage
    audit_record(actor=actor, action="registry.provision.signed", target=project, division=project.community, changes=changes)
    return sign_off


@transaction.atomic
def provision_delivery_file(*, actor, project: ProvisionProject, delivery_filed_on: date,
                            provided_area: Decimal | None = None, agreement_no: str = "") -> ProvisionProject:
    """The project's delivery is filed: rooms are handed over, or the payment falls due [Haining]."""
    project = ProvisionProject.objects.select_for_update(of=("self",)).select_related("community").get(pk=project.pk)
    if project.stage != ProvisionStage.DONE:
        raise Conflict(_("Delivery can be filed only after completion acceptance is signed off by all three parties."))
    if project.delivery_filed_on:
        raise Conflict(_("The delivery of this project is already filed."))
    if project.method == ProvisionMethod.PROVIDE:
        if provided_area is None or provided_area < project.required_area:
            raise ValidationFailed(fields={"provided_area": [
                _("The project must provide at least %(area)s m².") % {"area": project.required_area}]})
        project.provided_area = provided_area
    else:
        days = int(param(division=project.community, key="registry.monetisation_payment_days"))
        project.payment_due_on = delivery_filed_on + timedelta(days=days)
    project.delivery_filed_on = delivery_filed_on
    project.agreement_no = agreement_no or project.agreement_no
    project.save()
    audit_record(actor=actor, action="registry.provision.delivered", target=project, division=project.community,
                 changes=snapshot(project, ["delivery_filed_on", "provided_area", "payment_due_on", "agreement_no"]))
    return project


# The street's earmarked sub-account for community room construction [Haining].

def street_earmarked_account(*, street: Division):
    """The street's earmarked sub-account (子账户), opened the first time money arrives."""
    return account_get_or_open(actor="registry", code=f"street-earmarked:{street.code}", kind=AccountKind.EARMARKED,
                               name=str(_("%(street)s · earmarked sub-account for community rooms") % {"street": street.name}),
                               division=street)


def _counterparty(*, street: Division, code: str, name: str):
    return account_get_or_open(actor="registry", code=f"external:{code}:{street.code}", kind=AccountKind.EXTERNAL,
                               name=name, division=street)


@transaction.atomic
def provision_payment_record(*, actor, project: ProvisionProject, paid_on: date, amount: Decimal, document_no: str) -> ProvisionProject:
    """The developer has paid the monetisation money: it goes into the street's earmarked sub-account."""
    project = ProvisionProject.objects.select_for_update(of=("self",)).select_related("street", "community").get(pk=project.pk)
    if project.method != ProvisionMethod.MONETISE:
        raise Conflict(_("This project provides rooms; there is no payment to record."))
    if project.delivery_filed_on is None:
        raise Conflict(_("Record the payment after the delivery is filed."))
    if project.paid_on is not None:
        raise Conflict(_("The payment of this project is already recorded."))
    if to_yuan(amount) != project.monetisation_amount:
        raise ValidationFailed(fields={"amount": [
            _("The agreed amount is %(amount)s yuan (presale average price × required area).") % {"amount": project.monetisation_amount}]})
    if paid_on > timezone.localdate():
        raise ValidationFailed(fields={"paid_on": [_("A payment cannot be dated in the future.")]})
    posting = ledger_transfer(
        actor=actor, kind="monetisation", amount=amount, source_document=document_no, occurred_on=paid_on,
        source=_counterparty(street=project.street, code="developers", name=str(_("Developers (monetisation payments)"))),
        destination=street_earmarked_account(street=project.street), memo=project.name, division=project.street,
    )
    project.paid_on, project.payment = paid_on, posting
    project.save(update_fields=["paid_on", "payment"])
    audit_record(actor=actor, action="registry.provision.paid", target=project, division=project.community,
                 changes={"paid_on": paid_on, "amount": str(amount), "document_no": document_no,
                          "late": bool(project.payment_due_on and paid_on > project.payment_due_on)})
    return project


@transaction.atomic
def earmarked_rent_record(*, actor, street: Division, amount: Decimal, received_on: date, document_no: str, payer: str) -> object:
    """Rent from an idle room leased to a convenience service: into the street's earmarked sub-account."""
    if street.level != DivisionLevel.STREET:
        raise ValidationFailed(fields={"street": [_("Rent is received by a street.")]})
    if not payer.strip():
        raise ValidationFailed(fields={"payer": [_("Say who paid the rent.")]})
    return ledger_transfer(
        actor=actor, kind="room_rent", amount=amount, source_document=document_no, occurred_on=received_on,
        source=_counterparty(street=street, code="tenants", name=str(_("Tenants of idle rooms"))),
        destination=street_earmarked_account(street=street), memo=payer.strip(), division=street,
    )
