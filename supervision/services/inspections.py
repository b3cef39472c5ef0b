"""Double random inspections (双随机): a campaign draws communities at random from the inspecting
unit's area and, for each, inspectors at random from its pool — never one for their own street or
community — with a recorded seed, so anyone who draws again from the same lists with that seed
gets the same result (``draw``). Inspectors fill the pack's checklist at the site, on a phone;
every item found wrong becomes a rectification item for the community."""

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, RoleAssignment
from audit.services import audit_record
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.uploads import photo_from_upload
from org.models import Division, DivisionLevel
from rulepack.selectors import rule

from ..models import CampaignStatus, Inspection, InspectionCampaign, InspectionFinding
from .rectifications import rectification_open

CHECKLIST_KEY = "supervision.inspection_checklist"
OWN_UNIT_LEVELS = (DivisionLevel.STREET, DivisionLevel.COMMUNITY, DivisionLevel.GRID)


@dataclass(frozen=True)
class Inspector:
    pk: int
    homes: tuple[str, ...]  # the paths of the streets and communities where they hold a role: their own units


def own_unit(inspector: Inspector, community_path: str) -> bool:
    """Whether the community is the inspector's own: it lies in a street or community where they hold a role."""
    return any(community_path.startswith(home) for home in inspector.homes)


def draw(*, communities: list[tuple[int, str, str]], inspectors: list[Inspector], count: int, per_community: int,
         seed: str) -> list[tuple[int, list[int]]]:
    """The draw, as anyone can repeat it: ``communities`` (id, code, path) and ``inspectors`` are put in a
    fixed order (by code, by id); a generator seeded with ``seed`` picks ``count`` communities, then for
    each, in the order drawn, ``per_community`` of the inspectors not of that community's own units."""
    rng = random.Random(seed)
    ordered = sorted(communities, key=lambda c: c[1])
    pool = sorted(inspectors, key=lambda i: i.pk)
    drawn = []
    for pk, code, path in rng.sample(ordered, count):
        eligible = [i.pk for i in pool if not own_unit(i, path)]
        if len(eligible) < per_community:
            raise ValidationFailed(fields={"inspectors_per_community": [
                _("The pool has fewer than %(n)s inspectors who are not of %(code)s's own units.") % {"n": per_community, "code": code}]})
        drawn.append((pk, rng.sample(eligible, per_community)))
    return drawn


def inspectors_of(users) -> list[Inspector]:
    """The pool as the draw reads it: each person with the paths of their own streets and communities."""
    homes: dict[int, list[str]] = {user.pk: [] for user in users}
    for user_id, path, level in RoleAssignment.objects.active().filter(user__in=list(homes), division__isnull=False).values_list(
            "user_id", "division__path", "division__level"):
        if level in OWN_UNIT_LEVELS:
            homes[user_id].append(path)
    return [Inspector(pk, tuple(sorted(paths))) for pk, paths in homes.items()]


def default_pool(issuer: Division):
    """Who may inspect for ``issuer`` when no pool is named: the supervisors and street administrators of its area."""
    from accounts.models import User

    return User.objects.filter(is_active=True, role_assignments__revoked_at__isnull=True,
                               role_assignments__role__in=[Role.SUPERVISOR, Role.STREET_ADMIN],
                               role_assignments__division__path__startswith=issuer.path).distinct()


@transaction.atomic
def campaign_draw(*, actor, issuer: Division, title: str, community_count: int, inspectors_per_community: int,
                  pool=None, seed: str = "") -> InspectionCampaign:
    """Draw a campaign: the communities, and the inspectors of each, recorded with the seed used."""
    if not actor.has_perm("supervision.assess", issuer):
        raise PermissionDenied(_("Only the civil-affairs bureau draws inspections."))
    communities = list(Division.objects.filter(path__under=issuer.path, level=DivisionLevel.COMMUNITY).values_list("pk", "code", "path"))
    pool = list(pool if pool is not None else default_pool(issuer))
    problems = {}
    if not title.strip():
        problems["title"] = [_("Give the campaign a title.")]
    if not 1 <= community_count <= len(communities):
        problems["community_count"] = [_("Draw from 1 to %(n)s communities.") % {"n": len(communities)}]
    if not 1 <= inspectors_per_community <= max(len(pool), 1):
        problems["inspectors_per_community"] = [_("Draw from 1 to %(n)s inspectors for each.") % {"n": len(pool)}]
    if rule(division=issuer, key=CHECKLIST_KEY) is None:
        problems["title"] = [_("The city's rule pack has no inspection checklist.")]
    if problems:
        raise ValidationFailed(fields=problems)
    seed = seed.strip() or secrets.token_hex(4)
    drawn = draw(communities=communities, inspectors=inspectors_of(pool), count=community_count,
                 per_community=inspectors_per_community, seed=seed)
    campaign = InspectionCampaign.objects.create(issuer=issuer, title=title.strip()[:200], community_count=community_count,
                                                 inspectors_per_community=inspectors_per_community, seed=seed[:64], created_by=actor)
    campaign.pool.set(pool)
    for order, (community_id, inspector_ids) in enumerate(drawn, start=1):
        inspection = Inspection.objects.create(campaign=campaign, community_id=community_id, order=order)
        inspection.inspectors.set(inspector_ids)
    audit_record(actor=actor, action="supervision.inspection.drawn", target=campaign, division=issuer,
                 changes={"seed": seed, "communities": community_count, "pool": len(pool)})
    return campaign


def campaign_redraw(campaign: InspectionCampaign) -> bool:
    """Whether drawing again with the recorded seed, from the same communities and pool, gives the recorded result."""
    communities = list(Division.objects.filter(path__under=campaign.issuer.path, level=DivisionLevel.COMMUNITY).values_list(
        "pk", "code", "path"))
    again = draw(communities=communities, inspectors=inspectors_of(campaign.pool.all()), count=campaign.community_count,
                 per_community=campaign.inspectors_per_community, seed=campaign.seed)
    recorded = [(i.community_id, [u.pk for u in i.inspectors.all()]) for i in campaign.inspections.order_by("order")]
    return [(c, sorted(u)) for c, u in again] == [(c, sorted(u)) for c, u in recorded]


def checklist(division: Division) -> tuple[list[dict], int]:
    found = rule(division=division, key=CHECKLIST_KEY)
    return (found.params["items"], int(found.params["rectify_days"])) if found else ([], 30)


@transaction.atomic
def inspection_submit(*, actor, inspection: Inspection, answers: dict[str, dict], now: datetime | None = None) -> Inspection:
    """The inspectors' checklist for the community: ``answers`` by item code, ``{"passed", "note", "photo"}``.
    Every item found wrong opens a rectification item for the community, due in the pack's days."""
    now = now or timezone.now()
    inspection = Inspection.objects.select_for_update(of=("self",)).select_related("campaign__issuer", "community__parent").get(pk=inspection.pk)
    if not inspection.inspectors.filter(pk=actor.pk).exists():
        raise PermissionDenied(_("Only the inspectors drawn for this community fill in its checklist."))
    if inspection.submitted_at is not None or inspection.campaign.status != CampaignStatus.DRAWN:
        raise Conflict(_("This inspection is already filled in."), code="submitted")
    items, days = checklist(inspection.community)
    problems = {}
    for item in items:
        answer = answers.get(item["code"])
        if answer is None or answer.get("passed") is None:
            problems[item["code"]] = [_("Say whether it is as it should be.")]
        elif not answer["passed"] and not str(answer.get("note", "")).strip():
            problems[item["code"]] = [_("Say what was found wrong.")]
    if problems:
        raise ValidationFailed(fields=problems)
    owner = _owner_for(inspection.community)
    for item in items:
        answer = answers[item["code"]]
        finding = InspectionFinding(inspection=inspection, item_code=item["code"], item_text=item["question"][:300],
                                    passed=bool(answer["passed"]), note=str(answer.get("note", "")).strip())
        if answer.get("photo") is not None:
            photo = photo_from_upload(answer["photo"], field=item["code"])
            finding.photo.save(photo.name, photo, save=False)
        if not finding.passed and owner is not None:
            # Opened in the name of the bureau that drew the campaign (an inspector from another street may not open items here).
            finding.rectification = rectification_open(
                actor=inspection.campaign.created_by, division=inspection.community, source="inspection", owner=owner,
                source_text=f"{inspection.campaign.title}：{item['question']}", title=finding.note[:200],
                deadline=timezone.localdate(now) + timedelta(days=days), today=timezone.localdate(now))
        finding.save()
    inspection.submitted_by, inspection.submitted_at = actor, now
    inspection.save(update_fields=["submitted_by", "submitted_at"])
    audit_record(actor=actor, action="supervision.inspection.submitted", target=inspection.campaign, division=inspection.community,
                 changes={"failed": sum(1 for item in items if not answers[item["code"]]["passed"])})
    return inspection


def _owner_for(community: Division):
    """Who answers for the community's findings: its community worker, else its street's administrator."""
    for division, role in ((community, Role.COMMUNITY_WORKER), (community.parent, Role.STREET_ADMIN)):
        found = RoleAssignment.objects.active().filter(division=division, role=role).select_related("user").order_by("id").first()
        if found is not None:
            return found.user
    return None
