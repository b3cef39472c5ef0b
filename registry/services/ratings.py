"""Star ratings of neighbourhood centres [Quanzhou] and their online services under the city's gate."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, ValidationFailed
from core.services import clean_or_raise
from org.models import Division
from rulepack.selectors import city_of, param, rule

from ..hours import weekly_hours
from ..models import (
    Function,
    OnlineServices,
    Requirement,
    Room,
    Site,
    StarEvidence,
    StarRating,
)

# Star ratings of neighbourhood centres [Quanzhou].

def _after_change(site: Site) -> None:
    """A change to a site or its rooms may change its star rating: recompute once committed."""
    ratings_refresh_later(site_ids=[site.pk])


def ratings_refresh_later(*, site_ids) -> None:
    """Recompute the ratings of these sites (those that are rated) after the transaction commits:
    at once for a few, through the task worker for a bulk import."""
    from ..tasks import ratings_refresh  # the task module imports this one


    ids = list(site_ids)
    if len(ids) > 20:
        transaction.on_commit(lambda: ratings_refresh.enqueue(ids))
        return

    def refresh():
        for site in Site.objects.filter(pk__in=ids).select_related("division"):
            star_rating_recompute(site=site)

    transaction.on_commit(refresh)


def surveyed_criteria(criteria_rule) -> list[dict]:
    """The rating's criteria an assessor scores (a visit, a survey): ``evidence`` ones, and the survey that
    stands in for residents' ratings where residents gave too few."""
    return [c for c in criteria_rule.params["criteria"]
            if c["indicator"] == "evidence" or (c["indicator"] == "resident_ratings" and c.get("criterion"))]


def _evidence(site: Site, criterion: str) -> float | None:
    latest = site.star_evidence.filter(criterion=criterion).order_by("-assessed_on", "-id").first()
    return float(latest.score) if latest else None


def _residents_satisfaction(site: Site, criterion: dict, now) -> tuple[float, dict]:
    """The stars residents of the place the centre serves gave (orders, activities, feedback) over the
    criterion's ``window_days``, as a share of five; with fewer than ``min_ratings``, the assessors' survey
    score (``criterion``) if there is one. Also what the figure rests on, for the rating's details."""
    from ..selectors import resident_ratings

    count, total = resident_ratings(division=site.division, since=now - timedelta(days=int(criterion.get("window_days", 365))),
                                    until=now + timedelta(microseconds=1))
    if count and count >= int(criterion.get("min_ratings", 1)):
        average = round(total / count, 1)  # to a tenth of a star, so one more rating rarely moves the rating
        return average / 5, {"ratings": count, "average": average}
    survey = _evidence(site, criterion.get("criterion", ""))
    return survey or 0.0, {"ratings": count, "survey": survey is not None}


def _indicator(site: Site, criterion: dict, *, functions: set[str], aspects: dict[str, set[str]], required: set[str],
               now) -> tuple[float, dict]:
    indicator = criterion["indicator"]
    target = criterion.get("target")
    if indicator == "floor_area":
        return min(1.0, float(site.floor_area) / float(target or 1)), {}
    if indicator == "aspects_covered":
        return (sum(1 for codes in aspects.values() if codes & functions) / len(aspects) if aspects else 0.0), {}
    if indicator == "required_functions":
        return (len(required & functions) / len(required) if required else 1.0), {}
    if indicator == "weekly_hours":
        return min(1.0, weekly_hours(site.opening_hours) / float(target or 1)), {}
    if indicator == "ground_floor_share":
        share = float(site.ground_floor_area) / float(site.floor_area) if site.floor_area else 0.0
        return min(1.0, share / float(target or 1)), {}
    if indicator == "independent_entrance":
        return (1.0 if site.independent_entrance else 0.0), {}
    if indicator == "evidence":
        return _evidence(site, criterion.get("criterion", "")) or 0.0, {}
    if indicator == "resident_ratings":
        return _residents_satisfaction(site, criterion, now)
    return 0.0, {}


@transaction.atomic
def star_rating_recompute(*, site: Site, now=None) -> StarRating | None:
    """Rate ``site`` by its city's criteria. A changed result is a new dated row (the history); the same
    result marks the current rating as checked again at ``now``."""
    now = now or timezone.now()
    site = Site.objects.select_related("division").get(pk=site.pk)  # as stored, whatever the caller's copy says
    criteria_rule = rule(division=site.division, key="registry.star_rating")
    if criteria_rule is None or site.kind not in criteria_rule.params["site_kinds"] or site.closed_on:
        return None
    city = city_of(site.division)
    catalogue = Function.objects.filter(city=city, is_active=True).values_list("code", "aspect__code", "requirement")
    aspects: dict[str, set[str]] = {}
    for code, aspect, _requirement in catalogue:
        aspects.setdefault(aspect, set()).add(code)
    required = {code for code, _aspect, requirement in catalogue if requirement == Requirement.REQUIRED}
    functions = set(Room.functions.through.objects.filter(room__site=site, room__closed_on__isnull=True)
                    .values_list("function__code", flat=True))
    details, total_weight, weighted = [], 0.0, 0.0
    for criterion in criteria_rule.params["criteria"]:
        value, basis = _indicator(site, criterion, functions=functions, aspects=aspects, required=required, now=now)
        weight = float(criterion["weight"])
        total_weight += weight
        weighted += weight * value
        details.append({"indicator": criterion["indicator"], "title": criterion.get("title", criterion["indicator"]),
                        "weight": weight, "value": round(value, 3), "points": round(weight * value, 2), **basis})
    score = Decimal(str(round(100 * weighted / total_weight, 2))) if total_weight else Decimal("0")
    stars = sum(1 for threshold in criteria_rule.params["stars_at"] if score >= Decimal(str(threshold)))
    current = StarRating.objects.select_for_update().filter(site=site, is_current=True).first()
    if current is not None and current.stars == stars and current.score == score:
        StarRating.objects.filter(pk=current.pk).update(checked_at=now, details=details)
        return current
    if current is not None:
        StarRating.objects.filter(pk=current.pk).update(is_current=False)
    rating = StarRating.objects.create(site=site, stars=stars, score=score, details=details, rated_at=now, checked_at=now,
                                       pack_version=criteria_rule.pack.version, is_current=True)
    audit_record(actor="star rating", action="registry.rating.changed", target=site, division=site.division,
                 changes={"stars": [current.stars if current else None, stars], "score": [str(current.score) if current else None, str(score)]})
    return rating


def ratings_refresh_for_place(*, division: Division) -> None:
    """Rate again, after the commit, the rated centres serving ``division``: those at it or above it
    (a community's centres and its street's neighbourhood centre)."""
    from core.scoping import ancestor_paths

    criteria_rule = rule(division=division, key="registry.star_rating")
    if criteria_rule is None:
        return
    paths = [*ancestor_paths(division.path), division.path]
    ratings_refresh_later(site_ids=Site.objects.filter(division__path__in=paths, closed_on__isnull=True,
                                                        kind__in=criteria_rule.params["site_kinds"]).values_list("pk", flat=True))


# The smart-neighbourhood services at neighbourhood centres, under the city's gate [Quanzhou].

def online_gate(division: Division) -> int:
    """The fewest stars at which a centre's online services may be on (the city's pack)."""
    return int(param(division=division, key="registry.online_services_min_stars"))


@transaction.atomic
def online_services_switch(*, actor, site: Site, on: bool, note: str = "", now=None) -> OnlineServices:
    """The street switches a centre's online services (resource matching, activity registration, feedback)
    on — only at a centre whose current rating reaches the city's gate — or off, saying why."""
    now = now or timezone.now()
    site = Site.objects.select_for_update(of=("self",)).select_related("division").get(pk=site.pk)
    criteria_rule = rule(division=site.division, key="registry.star_rating")
    if criteria_rule is None or site.kind not in criteria_rule.params["site_kinds"] or site.closed_on:
        raise ValidationFailed(fields={"site": [_("Online services are switched on at star-rated neighbourhood centres in use; "
                                                  "%(site)s is not one.") % {"site": site.name}]})
    current = OnlineServices.objects.select_for_update().filter(site=site).first()
    if current is not None and current.is_on == on:
        raise Conflict(_("The online services of %(site)s are already on.") % {"site": site.name} if on else
                       _("The online services of %(site)s are already off.") % {"site": site.name}, code="unchanged")
    rating = StarRating.objects.filter(site=site, is_current=True).first()
    stars = rating.stars if rating is not None else 0
    if on:
        gate = online_gate(site.division)
        if stars < gate:
            raise Conflict(_("%(site)s is rated %(stars)s stars; the city switches online services on only at centres of "
                             "%(gate)s stars or more.") % {"site": site.name, "stars": stars, "gate": gate}, code="below_gate")
    elif not note.strip():
        raise ValidationFailed(fields={"note": [_("Say why the online services are switched off.")]})
    switch = current or OnlineServices(site=site)
    switch.is_on, switch.changed_at, switch.changed_by, switch.note = on, now, actor, note.strip()[:200]
    switch.save()
    audit_record(actor=actor, action=f"registry.online_services.{'on' if on else 'off'}", target=site, division=site.division,
                 changes={"is_on": [current.is_on if current else None, on], "stars": stars}, note=note.strip())
    return switch


@transaction.atomic
def star_evidence_record(*, actor, site: Site, criterion: str, score: Decimal, evidence: str, assessed_on: date) -> StarEvidence:
    if not evidence.strip():
        raise ValidationFailed(fields={"evidence": [_("Say what the score rests on.")]})
    item = StarEvidence(site=site, criterion=criterion, score=score, evidence=evidence, assessed_on=assessed_on, assessor=actor)
    clean_or_raise(item)
    item.save()
    audit_record(actor=actor, action="registry.rating.evidence", target=site, division=site.division,
                 changes={"criterion": criterion, "score": str(score)})
    _after_change(site)
    return item


