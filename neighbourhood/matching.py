"""Resource matching (资源对接) [Quanzhou]: for a community's need, the operators and existing
services that could meet it, ranked.

Candidates are the services agreed for the community under space-for-service agreements in
force, the operators admitted for it by its street or district (with the categories of their
admission) or serving it or nearby (within the pack's ``max_km`` of the community's centre) —
with what they have run before — and the community's own upcoming activities. Each is scored on five things, weighted by the city's ``neighbourhood.matching_weights``
rule: category (the need's category among what it offers), text (Chinese character n-gram
similarity between the need and what it offers, ``textmatch``), distance, capacity (places
against the need's supporters) and price tier (against what the residents said they can bear).
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from django.db.models import Count, Q

from org.models import Division, DivisionLevel, Organisation, OrganisationKind
from rulepack.selectors import rule

from .models import Activity, ActivityStatus, Need, OrderStatus, ServiceOrder, ServiceTier
from .textmatch import Corpus

DEFAULT_WEIGHTS = {"category": 3.0, "text": 4.0, "distance": 1.5, "capacity": 1.0, "tier": 1.0, "max_km": 10}
# Tuning of the text comparison, not policy (the weights above are the pack's): the text score
# (0..1) from which a candidate counts as offering what the need asks for, and the factor that
# stretches a cosine similarity (short texts rarely share more than 40 % of their n-grams) onto 0..1.
RELEVANT_TEXT = 0.1
TEXT_STRETCH = 2.5
TIER_ORDER = {ServiceTier.FREE: 0, ServiceTier.LOW_COST: 1, ServiceTier.MARKET: 2}


@dataclass
class Candidate:
    kind: str  # "service" (agreed for the community), "operator" or "activity"
    name: str
    operator: Organisation | None = None
    activity: Activity | None = None
    service: Any = None  # operations.AgreementService
    admitted: bool = False
    categories: set[str] = field(default_factory=set)
    text: str = ""
    tier: str = ""
    capacity: int | None = None
    distance_km: float | None = None
    serves_community: bool = False
    scores: dict[str, float] = field(default_factory=dict)
    score: float = 0.0


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def _centre(division: Division) -> tuple[float, float] | None:
    if division.latitude is None or division.longitude is None:
        return None
    return float(division.latitude), float(division.longitude)


def weights_for(division: Division) -> dict:
    found = rule(division=division, key="neighbourhood.matching_weights")
    return {**DEFAULT_WEIGHTS, **(found.params if found else {})}


class _Place(NamedTuple):
    path: str
    latitude: Any
    longitude: Any


def _distance(here, divisions) -> float | None:
    if here is None:
        return None
    distances = [haversine_km(here, c) for d in divisions if (c := _centre(d)) is not None]
    return min(distances) if distances else None


def candidates_for(community: Division, *, max_km: float) -> list[Candidate]:
    """Services agreed for the community, operators admitted for it (or registered as serving it or
    working nearby) with the categories they are admitted for and what they have run, and the
    community's own upcoming activities."""
    from django.utils import timezone

    from operations.selectors import admissions_in_force, blacklisted_operator_ids, services_offered

    here = _centre(community)
    found: list[Candidate] = []
    for service in services_offered(division=community)[:300]:
        found.append(Candidate(kind="service", name=service.name, operator=service.agreement.operator, service=service,
                               categories={service.category}, text=f"{service.name} {service.description} {service.audience}",
                               tier=service.tier, capacity=service.capacity or None, distance_km=0.0, serves_community=True))
    admitted: dict[int, set[str]] = defaultdict(set)
    scope_text: dict[int, str] = defaultdict(str)
    for operator_id, categories, described in admissions_in_force(division=community).values_list(
            "operator_id", "categories", "scope_description"):
        admitted[operator_id] |= set(categories)
        scope_text[operator_id] += f" {described}"
    district_path = "/".join(community.path.split("/")[:2]) + "/"
    operators = Organisation.objects.filter(kind=OrganisationKind.OPERATOR, is_active=True).filter(
        Q(pk__in=list(admitted)) | Q(served_divisions__path__startswith=district_path) | Q(served_divisions__level=DivisionLevel.CITY)
    ).exclude(pk__in=blacklisted_operator_ids(division=community)).distinct().select_related("home_division")
    operators = list(operators)
    # Where each serves: the path and centre of each division, not whole divisions (their boundaries are large).
    served_by: dict[int, list[_Place]] = defaultdict(list)
    for operator_id, path, latitude, longitude in Organisation.served_divisions.through.objects.filter(
            organisation__in=operators).values_list("organisation_id", "division__path", "division__latitude", "division__longitude"):
        served_by[operator_id].append(_Place(path, latitude, longitude))
    by_operator: dict[int, Candidate] = {}
    for operator in operators:
        served = served_by.get(operator.pk, [])
        serves = any(community.path.startswith(d.path) for d in served)
        distance = 0.0 if serves else _distance(here, served or [operator.home_division])
        if operator.pk not in admitted and not serves and (distance is None or distance > max_km):
            continue
        candidate = Candidate(kind="operator", name=operator.name, operator=operator, categories=set(admitted.get(operator.pk, ())),
                              text=f"{operator.name} {operator.description} {scope_text.get(operator.pk, '')}", distance_km=distance,
                              serves_community=serves, admitted=operator.pk in admitted)
        by_operator[operator.pk] = candidate
        found.append(candidate)
    # What each has run here before: activity titles and categories, delivered orders.
    for row in Activity.objects.filter(organiser_id__in=by_operator).values("organiser_id", "category", "title", "tier", "capacity")[:5000]:
        candidate = by_operator[row["organiser_id"]]
        candidate.categories.add(row["category"])
        candidate.text += f" {row['title']}"
        candidate.tier = min(filter(None, [candidate.tier, row["tier"]]), key=lambda t: TIER_ORDER.get(t, 3))
        candidate.capacity = max(candidate.capacity or 0, row["capacity"])
    for row in ServiceOrder.objects.filter(operator_id__in=by_operator, status__in=[OrderStatus.DELIVERED, OrderStatus.RATED]) \
            .values("operator_id", "category", "title").annotate(n=Count("id"))[:5000]:
        candidate = by_operator[row["operator_id"]]
        candidate.categories.add(row["category"])
        candidate.text += f" {row['title']}"
    for activity in Activity.objects.filter(community=community, status=ActivityStatus.PUBLISHED, ends_at__gte=timezone.now()) \
            .select_related("organiser")[:200]:
        found.append(Candidate(kind="activity", name=activity.title, activity=activity, operator=activity.organiser,
                               categories={activity.category}, text=f"{activity.title} {activity.description[:200]}", tier=activity.tier,
                               capacity=activity.places_left, distance_km=0.0, serves_community=True))
    return found


def matches_for(need: Need, *, limit: int = 10) -> list[Candidate]:
    """The best candidates to meet ``need``, each with its scores by criterion (0..1) and overall."""
    weights = weights_for(need.community)
    candidates = candidates_for(need.community, max_km=float(weights["max_km"]))
    return _ranked(need, candidates, Corpus(c.text for c in candidates), weights, limit)


def _ranked(need: Need, candidates: list[Candidate], corpus: Corpus, weights: dict, limit: int) -> list[Candidate]:
    if not candidates:
        return []
    max_km = float(weights["max_km"])
    query = f"{need.title} {need.kind.name} {need.kind.keywords} {need.description[:300]}"
    names = ("category", "text", "distance", "capacity", "tier")
    total_weight = sum(float(weights[n]) for n in names) or 1.0
    scored = []
    for index, base in enumerate(candidates):
        candidate = replace(base)
        scores = {
            "category": 1.0 if need.category in candidate.categories else 0.0,
            "text": min(1.0, corpus.similarity(query, index) * TEXT_STRETCH),
            "distance": 1.0 if candidate.serves_community else 0.5 if candidate.distance_km is None
            else max(0.0, 1 - candidate.distance_km / max_km),
            "capacity": 0.5 if not candidate.capacity else min(1.0, candidate.capacity / max(1, need.supports)),
            "tier": _tier_score(need.preferred_tier, candidate.tier),
        }
        candidate.scores = {k: round(v, 3) for k, v in scores.items()}
        candidate.score = round(sum(float(weights[n]) * scores[n] for n in names) / total_weight, 3)
        scored.append(candidate)
    ranked = sorted(scored, key=lambda c: (-c.score, c.name))
    # What the need says must show in what is offered; failing that, operators admitted for its category.
    relevant = [c for c in ranked if c.scores["text"] >= RELEVANT_TEXT]
    fallback = [c for c in ranked if c.scores["text"] < RELEVANT_TEXT and c.scores["category"] and c.kind == "operator"]
    return (relevant + fallback)[:limit]


def _tier_score(wanted: str, offered: str) -> float:
    if not wanted or not offered:
        return 0.5
    return 1.0 if TIER_ORDER[offered] <= TIER_ORDER[wanted] else 0.0


def top_needs_with_matches(*, community: Division, needs: int = 5, per_need: int = 3) -> list[tuple[Need, list[Candidate]]]:
    """A community's most supported open needs, each with its best matches."""
    from .selectors import OPEN_NEEDS

    top = list(Need.objects.filter(community=community, status__in=OPEN_NEEDS).select_related("kind", "community").order_by(
        "-supports", "created_at")[:needs])
    weights = weights_for(community)
    candidates = candidates_for(community, max_km=float(weights["max_km"]))  # once for all the needs
    corpus = Corpus(c.text for c in candidates)
    return [(need, _ranked(need, candidates, corpus, weights, per_need)) for need in top]
