"""Demand sets: where the area's people live (communities, buildings or an uploaded file), snapped to the network, and their arrays."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import Conflict, ValidationFailed
from org.models import Division

from .. import demand as demand_mod
from ..models import DemandSet, DemandSource, Network
from .files import _removed_on_failure, arrays_bytes, file_name, network_graph, stored_arrays
from .networks import Progress, _quiet, _user
from .parameters import demand_rule, pack_parameter, placing, walk_rule

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _check_within(division: Division, network: Network) -> None:
    if not division.path.startswith(network.division.path):
        raise ValidationFailed(fields={"division": [_("The area must lie within the network's area (%(name)s).")
                                                    % {"name": network.division.name}]})


def demand_create(*, actor, division: Division, network: Network, name: str, source: str, upload=None,
                  progress: Progress = _quiet) -> DemandSet:
    """Where the area's people live, as points snapped to the network; far-off points are dropped and listed."""
    if source not in DemandSource.values:
        raise ValidationFailed(fields={"source": [_("Unknown source of demand.")]})
    _check_within(division, network)
    graph = network_graph(network)
    walk, rules = walk_rule(division), demand_rule(division)
    communities = list(Division.objects.subtree(division).communities().only(
        "id", "name", "path", "population", "households", "boundary", "latitude", "longitude"))
    progress("points", 10)
    if source == DemandSource.COMMUNITIES:
        points = demand_mod.from_communities(
            communities, float(rules["spacing_m"]), max_points=int(rules["max_points_per_community"]),
            persons_per_household=float(pack_parameter(division, "planning.persons_per_household")))
        if not len(points.lon):
            raise ValidationFailed(fields={"source": [_("No community of the area has a population (or households) and a "
                                                        "location.")]})
    elif source == DemandSource.BUILDINGS:
        points = demand_mod.from_buildings(graph, persons_per_m2=float(rules["persons_per_m2"]),
                                           default_levels=int(rules["default_levels"]))
        if not len(points.lon):
            raise ValidationFailed(fields={"source": [_("The network's extract has no residential buildings.")]})
    else:
        if upload is None:
            raise ValidationFailed(fields={"file": [_("Choose a CSV or GeoJSON file of points.")]})
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationFailed(fields={"file": [_("The file is larger than 50 MB.")]})
        points = demand_mod.parse_upload(upload.name, upload.read())
    progress("snapping", 50)
    place = placing(division)
    placed = demand_mod.place(points, graph, communities, **place,
                              keep_outside=source == DemandSource.UPLOAD and not any(c.boundary for c in communities))
    if not len(placed.lon):
        raise ValidationFailed(_("No point lies within %(m)s m of the walking network and inside the area; nothing was saved.")
                               % {"m": walk["snap_max_m"]}, fields={"source": [_("No usable demand point.")]})
    params = {"snap_max_m": walk["snap_max_m"], "join_main_within_m": place["join_main_within_m"],
              **({k: rules[k] for k in ("persons_per_m2", "default_levels")} if source == DemandSource.BUILDINGS else {}),
              **({"spacing_m": rules["spacing_m"]} if source == DemandSource.COMMUNITIES else {}),
              **points.notes,
              **({"file": file_name(upload.name)} if upload is not None else {})}
    content = arrays_bytes(lon=placed.lon, lat=placed.lat, population=placed.population, node=placed.node,
                           snap_m=placed.snap_m, community=placed.community)
    with _removed_on_failure() as store, transaction.atomic():
        stored = store("demand", ".npz", content)
        demand = DemandSet.objects.create(
            division=division, network=network, name=(name or str(DemandSource(source).label))[:120], source=source,
            params=params, file=stored, sha256=hashlib.sha256(content).hexdigest(), point_count=len(placed.lon),
            population=float(placed.population.sum()),
            bbox=[round(float(v), 6) for v in (placed.lon.min(), placed.lat.min(), placed.lon.max(), placed.lat.max())],
            dropped_count=len(points.lon) - len(placed.lon), dropped_population=placed.dropped_population,
            dropped=placed.dropped, created_by=_user(actor))
        audit_record(actor=actor, action="planning.demand.created", target=demand, division=division,
                     changes={"source": source, "points": demand.point_count, "population": round(demand.population),
                              "dropped": demand.dropped_count})
    progress("done", 100)
    return demand


@dataclass
class DemandArrays:
    lon: np.ndarray
    lat: np.ndarray
    population: np.ndarray
    node: np.ndarray
    snap_m: np.ndarray
    community: np.ndarray


def demand_arrays(demand: DemandSet) -> DemandArrays:
    try:
        with stored_arrays(demand.file) as data:
            return DemandArrays(**{name: data[name] for name in ("lon", "lat", "population", "node", "snap_m", "community")})
    except FileNotFoundError:
        raise Conflict(_("The arrays file of the demand set %(name)s is missing; place its people again.") % {"name": demand.name},
                       code="demand_file_missing") from None
