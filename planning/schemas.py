from datetime import datetime

from ninja import Field, Schema

from .models import (
    MAX_MINUTES,
    MIN_MINUTES,
    CandidateSource,
    DemandSource,
    JobStatus,
    NetworkSource,
    Objective,
)


class NetworkOut(Schema):
    id: int
    name: str
    division: str = Field(..., alias="division.code")
    source: NetworkSource
    source_file: str
    status: JobStatus
    error: str
    node_count: int
    edge_count: int
    length_km: float
    building_count: int
    poi_count: int
    bbox: list[float]
    dropped: dict
    created_at: datetime
    progress: dict | None = None


class DemandOut(Schema):
    id: int
    name: str
    division: str = Field(..., alias="division.code")
    network_id: int
    source: DemandSource
    params: dict
    point_count: int
    population: float
    dropped_count: int
    dropped_population: float
    bbox: list[float] = Field(..., description="West, south, east, north of the points")
    dropped: list[dict] = Field(..., description="Points left out (at most 1000): off the network, or outside the area")
    created_at: datetime


class CandidateIn(Schema):
    lon: float = Field(..., ge=-180, le=180)
    lat: float = Field(..., ge=-90, le=90)
    label: str = Field("", max_length=200)


class ScenarioIn(Schema):
    demand_id: int
    name: str = Field("", max_length=120, description="Empty or left out: the facility, the objective and the next number")
    facility_kind: str = Field(..., description="A facility kind of the city's rule pack, e.g. elderly_canteen")
    objective: Objective = Objective.COVERAGE
    k: int | None = Field(None, ge=1, le=10_000, description="New sites to choose (max_cover, p_median)")
    candidate_source: CandidateSource | None = None
    candidates: list[CandidateIn] = Field([], max_length=50_000, description="Candidate points when candidate_source is uploaded")
    minutes: float | None = Field(None, ge=MIN_MINUTES, le=MAX_MINUTES, description="Threshold; the facility kind's own when omitted")
    include_osm: bool = True
    reachable_only: bool = Field(False, description="Set covering: cover the people some candidate can reach, leave the rest")


class ProposedSiteOut(Schema):
    order: int
    label: str
    longitude: float
    latitude: float
    site_id: int | None
    community: str | None = None
    gain: float | None = Field(..., description="People the site newly brings within the threshold (over the sites before it)")
    walk_saved_m: float | None = Field(..., description="Walking the site saves, in person-metres: each resident's shorter "
                                                        "walk to the nearest facility times the people (over the sites before it)")

    @staticmethod
    def resolve_community(obj) -> str | None:
        return obj.community.code if obj.community_id else None


class ScenarioOut(Schema):
    id: int
    name: str
    division: str = Field(..., alias="division.code")
    demand_id: int
    facility_kind: str
    facility_title: str
    minutes: float
    speed_m_per_min: float
    threshold_m: float
    objective: Objective
    k: int | None
    candidate_source: str
    status: JobStatus
    error: str
    facility_count: int
    population: float
    covered: float
    share: float | None
    covered_after: float | None
    share_after: float | None
    mean_distance_m: float | None
    mean_distance_after_m: float | None
    solution: dict
    by_type: list[dict]
    created_at: datetime
    finished_at: datetime | None
    proposed_sites: list[ProposedSiteOut] = []
    progress: dict | None = None


class AreaOut(Schema):
    code: str = Field(..., alias="division.code")
    name: str = Field(..., alias="division.name")
    level: str
    population: float
    covered: float
    share: float | None
    covered_after: float | None
    share_after: float | None
    mean_distance_m: float | None


class CoverageOut(AreaOut):
    scenario_id: int
    facility_kind: str = Field(..., alias="scenario.facility_kind")
    facility_title: str = Field(..., alias="scenario.facility_title")
    minutes: float = Field(..., alias="scenario.minutes")


class GapOut(Schema):
    code: str
    community: str
    population: float
    uncovered: float
    uncovered_after: float | None
    mean_distance_m: float | None


class CompareOut(Schema):
    code: str
    name: str
    level: str
    a_share: float | None
    b_share: float | None
    a_covered: float | None
    b_covered: float | None
    population: float | None


class FacilityKindOut(Schema):
    code: str
    title: str
    site_kinds: list[str]
    functions: list[str]
    osm_tags: list[str]
    minutes: float
