"""One community, one plan (一社区一方案): for a community that misses a standard of the register,
the measures and dated milestones with owners that will bring it up to the standard. A plan is
drawn up only for a rule the community fails, and closes only when that rule passes in the
register (the compliance report the register's pages show)."""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, PermissionDenied, ValidationFailed
from org.models import Division, DivisionLevel
from registry.compliance import compliance_report

from ..models import Milestone, Plan, PlanStatus


def rule_result(community: Division, rule_key: str):
    """The community's result for the rule ``rule_key`` in the register now (None: no such rule)."""
    report = compliance_report(division=community, communities=Division.objects.filter(pk=community.pk), streets=Division.objects.none())
    return next((r for r in report.communities[0].results if r.key == rule_key), None) if report.communities else None


@transaction.atomic
def plan_create(*, actor, community: Division, rule_key: str, measures: str, milestones: list[dict],
                today: date | None = None) -> Plan:
    """Draw up the plan of ``community`` for the standard ``rule_key`` it misses. ``milestones``:
    ``{"title", "owner", "due"}`` each, dated from today on."""
    today = today or timezone.localdate()
    if community.level != DivisionLevel.COMMUNITY or not actor.has_perm("supervision.add_plan", community):
        raise PermissionDenied(_("You may draw up plans only for the communities of your area."))
    result = rule_result(community, rule_key)
    problems = {}
    if result is None:
        problems["rule_key"] = [_("Choose a standard of the register.")]
    elif result.passed:
        problems["rule_key"] = [_("%(community)s already meets this standard: it needs no plan.") % {"community": community.name}]
    if not measures.strip():
        problems["measures"] = [_("Write the measures the community will take.")]
    if not milestones:
        problems["milestones"] = [_("A plan needs at least one milestone.")]
    for number, milestone in enumerate(milestones, start=1):
        if not str(milestone.get("title", "")).strip():
            problems[f"milestones.{number}.title"] = [_("Milestone %(n)s needs a title.") % {"n": number}]
        if milestone.get("owner") is None:
            problems[f"milestones.{number}.owner"] = [_("Milestone %(n)s needs a person responsible.") % {"n": number}]
        if not isinstance(milestone.get("due"), date) or milestone["due"] < today:
            problems[f"milestones.{number}.due"] = [_("Milestone %(n)s must be due today or later.") % {"n": number}]
    if problems:
        raise ValidationFailed(fields=problems)
    try:
        with transaction.atomic():
            plan = Plan.objects.create(community=community, rule_key=rule_key, rule_title=result.title, measures=measures.strip(),
                                       created_by=actor)
    except IntegrityError:
        raise Conflict(_("%(community)s already has a plan for this standard in progress.") % {"community": community.name},
                       code="plan_exists") from None
    Milestone.objects.bulk_create([Milestone(plan=plan, title=str(m["title"]).strip()[:200], owner=m["owner"], due=m["due"])
                                   for m in milestones])
    audit_record(actor=actor, action="supervision.plan.created", target=plan, division=community,
                 changes={"standard": result.title, "milestones": len(milestones)})
    return plan


@transaction.atomic
def milestone_done(*, actor, milestone: Milestone, now: datetime | None = None) -> Milestone:
    milestone = Milestone.objects.select_for_update(of=("self",)).select_related("plan__community").get(pk=milestone.pk)
    if milestone.owner_id != actor.pk and not actor.has_perm("supervision.add_plan", milestone.plan.community):
        raise PermissionDenied(_("Only the person responsible or the plan's staff mark a milestone done."))
    if milestone.done_at is not None or milestone.plan.status != PlanStatus.OPEN:
        raise Conflict(_("This milestone is already done."), code="done")
    milestone.done_at = now or timezone.now()
    milestone.save(update_fields=["done_at"])
    audit_record(actor=actor, action="supervision.milestone.done", target=milestone.plan, division=milestone.plan.community,
                 changes={"milestone": milestone.title})
    return milestone


@transaction.atomic
def plan_close(*, actor, plan: Plan, now: datetime | None = None) -> Plan:
    """Close the plan: only once the standard it addresses passes in the register."""
    plan = Plan.objects.select_for_update(of=("self",)).select_related("community").get(pk=plan.pk)
    if not actor.has_perm("supervision.add_plan", plan.community):
        raise PermissionDenied(_("You may close plans only for the communities of your area."))
    if plan.status != PlanStatus.OPEN:
        raise Conflict(_("This plan is already closed."), code="closed")
    result = rule_result(plan.community, plan.rule_key)
    if result is not None and not result.passed:
        raise ValidationFailed(_("%(community)s still misses the standard (%(gap)s): the plan stays open until the register "
                                 "shows it met.") % {"community": plan.community.name, "gap": result.gap_text or result.title})
    plan.status, plan.closed_at = PlanStatus.CLOSED, now or timezone.now()
    plan.save(update_fields=["status", "closed_at"])
    audit_record(actor=actor, action="supervision.plan.closed", target=plan, division=plan.community)
    return plan
