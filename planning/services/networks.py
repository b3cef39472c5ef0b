"""Walking networks: importing OpenStreetMap extracts (queued or at once) and saving generated ones; the progress and failure helpers the other files share."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from core.errors import ApplicationError, ValidationFailed
from org.models import Division, DivisionLevel

from .. import network as net
from ..models import JobStatus, Network, NetworkSource
from .files import _removed_on_failure, file_delete, file_name, local_copy
from .parameters import all_osm_tags, demand_rule, walk_rule

logger = logging.getLogger(__name__)

MAX_PBF_BYTES = 512 * 1024 * 1024
Progress = Callable[[str, int], None]


def _quiet(stage: str, percent: int) -> None:
    return None


def _check_area(division: Division) -> None:
    if division.level not in (DivisionLevel.CITY, DivisionLevel.DISTRICT, DivisionLevel.STREET):
        raise ValidationFailed(fields={"division": [_("A walking network belongs to a city, a district or a street.")]})


def check_pbf(name: str, size: int, head: bytes) -> None:
    if size > MAX_PBF_BYTES:
        raise ValidationFailed(fields={"file": [_("The file is larger than 512 MB; cut the extract to the city first.")]})
    if size == 0:
        raise ValidationFailed(fields={"file": [_("The file is empty.")]})
    if b"OSMHeader" not in head[:64]:
        raise ValidationFailed(fields={"file": [_("This is not an OpenStreetMap PBF file (*.osm.pbf).")]})


def network_import_start(*, actor, division: Division, name: str, upload) -> Network:
    """Store an uploaded PBF extract and queue its import; the network is usable once it is done."""
    _check_area(division)
    head = upload.read(64)
    upload.seek(0)
    check_pbf(upload.name, upload.size, head)
    walk_rule(division)
    source_file = file_name(upload.name)
    from ..tasks import network_import_task

    with _removed_on_failure() as store, transaction.atomic():
        stored = store("uploads", ".osm.pbf", upload)
        network = Network.objects.create(division=division, name=(name or source_file)[:120].strip() or source_file[:120],
                                         source=NetworkSource.OSM, source_file=source_file, created_by=_user(actor))
        audit_record(actor=actor, action="planning.network.import_queued", target=network, division=division,
                     changes={"file": source_file, "bytes": upload.size})
        transaction.on_commit(lambda: network_import_task.enqueue(network.pk, stored))
    return network


def network_import_file(*, actor, division: Division, name: str, path: str, progress: Progress = _quiet) -> Network:
    """Import a PBF file from disk at once (the CLI and tests); raises on a bad file, saving nothing."""
    _check_area(division)
    with open(path, "rb") as stream:
        head = stream.read(64)
    check_pbf(path, Path(path).stat().st_size, head)
    extract = _read_extract(division, path, progress)
    return _network_save(actor=actor, division=division, name=name or file_name(path), source=NetworkSource.OSM,
                         source_file=file_name(path), graph=extract.graph, dropped=extract.dropped)


def _read_extract(division: Division, path: str, progress: Progress):
    from ..osm import read_pbf

    walk_rule(division)
    return read_pbf(path, building_tags=list(demand_rule(division)["building_tags"]), poi_tags=all_osm_tags(division),
                    progress=progress)


def network_import_run(*, network_id: int, upload: str, progress: Progress = _quiet) -> Network:
    """Run a queued import (the task worker): the network is done with its arrays, or failed with a reason.
    ``upload`` is the stored extract's name; pyrosm reads it from a local copy, removed with the upload after."""
    network = Network.objects.select_related("division").get(pk=network_id)
    if network.status != JobStatus.QUEUED:
        return network
    Network.objects.filter(pk=network.pk).update(status=JobStatus.RUNNING)
    try:
        with local_copy(upload) as path:
            extract = _read_extract(network.division, path, progress)
        _network_store(network, extract.graph, extract.dropped)
    except ApplicationError as error:
        _fail(Network, network.pk, error.fields.get("file", [error.message])[0] if error.fields else error.message)
    except Exception as error:
        logger.exception("Network import %s failed", network.pk)
        _fail(Network, network.pk, gettext("The import failed unexpectedly and nothing was saved (%(error)s).") % {"error": _detail(error)})
    finally:
        file_delete(upload)
    network.refresh_from_db()
    return network


def _detail(error: Exception) -> str:
    """An unexpected error's own words, to go in brackets after a sentence in the user's language."""
    return (str(error) or type(error).__name__)[:300]


def _fail(model, pk: int, message) -> None:
    model.objects.filter(pk=pk).update(status=JobStatus.FAILED, error=str(message)[:2000], finished_at=timezone.now())


def network_generate(*, actor, division: Division, name: str, graph: net.Graph) -> Network:
    """Save a network built in code (the demo city's, a synthetic grid)."""
    _check_area(division)
    return _network_save(actor=actor, division=division, name=name, source=NetworkSource.GENERATED, source_file="", graph=graph,
                         dropped={})


def _network_save(*, actor, division, name, source, source_file, graph, dropped) -> Network:
    with _removed_on_failure() as store, transaction.atomic():
        network = Network.objects.create(division=division, name=name[:120], source=source, source_file=source_file[:200],
                                         created_by=_user(actor), status=JobStatus.RUNNING)
        _network_store(network, graph, dropped, actor=actor, store=store)
    network.refresh_from_db()
    return network


def _network_store(network: Network, graph: net.Graph, dropped: dict, actor=None, store=None) -> None:
    """Write the network's arrays and mark it done with its audit row, or neither (``store``: the
    enclosing block's, so that its failure removes the file too)."""
    with _removed_on_failure() as own, transaction.atomic():
        data = net.dumps(graph)
        stored = (store or own)("networks", ".npz", data)
        west, south, east, north = graph.bbox()
        Network.objects.filter(pk=network.pk).update(
            status=JobStatus.DONE, file=stored, sha256=hashlib.sha256(data).hexdigest(), node_count=graph.node_count, edge_count=graph.edge_count,
            length_km=round(graph.total_length_m() / 1000, 2), building_count=len(graph.extra.get("building_lon", [])),
            poi_count=len(graph.extra.get("poi_lon", [])), bbox=[round(v, 6) for v in (west, south, east, north)],
            dropped=dropped, finished_at=timezone.now(), error="")
        audit_record(actor=actor or network.created_by or "planning", action="planning.network.imported", target=network,
                     division=network.division, changes={"nodes": graph.node_count, "edges": graph.edge_count, **dropped})


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None
