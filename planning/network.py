"""Walking networks as arrays: nodes with coordinates, edges as a symmetric CSR graph in metres.

A network is kept as one compressed ``.npz`` file in the storage of uploaded files
(``planning/networks/`` on local disk or in the object store), named by its ``Network`` record, and
loaded into memory once per process (``load``). Everything
the life-circle analysis does on it is array work: snapping points to the nearest node (a k-d
tree on locally projected metres), and nearest-facility distances for every node in one
multi-source Dijkstra pass (``scipy.sparse.csgraph``).

Only the largest connected part of the ways is kept, so that every snapped point can reach every
other; the nodes of the parts left out are kept beside it (``detached_lon``/``detached_lat``) so
that a home or facility on one of them — an island, an estate walled off across a river — is
known to be off the network instead of being joined to the main part by a straight line across
the gap (``Graph.place``).
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

EARTH_RADIUS_M = 6_371_008.8

# Why a point cannot be placed on the network (``Graph.place``); "" when it can.
ON_NETWORK = ""
TOO_FAR = "off_network"  # further than the walking rule's snap_max_m from any way of the main part
DETACHED = "detached"  # nearest to a way of a part not connected to the main part


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=np.float64)) for a in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


@dataclass(frozen=True)
class Projection:
    """A local equirectangular projection to metres: exact enough within a city for snapping."""

    lon0: float
    lat0: float

    def xy(self, lon, lat) -> np.ndarray:
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        x = EARTH_RADIUS_M * np.cos(np.radians(self.lat0)) * np.radians(lon - self.lon0)
        y = EARTH_RADIUS_M * np.radians(lat - self.lat0)
        return np.column_stack([x, y])


@dataclass
class Graph:
    """A walking network: node coordinates and a symmetric adjacency (CSR) with lengths in metres."""

    lon: np.ndarray
    lat: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    length: np.ndarray
    osm_id: np.ndarray | None = None
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def node_count(self) -> int:
        return len(self.lon)

    @property
    def edge_count(self) -> int:
        """Undirected edges (each is stored in both directions)."""
        return len(self.indices) // 2

    @cached_property
    def matrix(self) -> csr_matrix:
        n = self.node_count
        return csr_matrix((self.length.astype(np.float64), self.indices, self.indptr), shape=(n, n))

    @cached_property
    def projection(self) -> Projection:
        return Projection(float(np.mean(self.lon)), float(np.mean(self.lat)))

    @cached_property
    def tree(self) -> cKDTree:
        return cKDTree(self.projection.xy(self.lon, self.lat))

    def bbox(self) -> tuple[float, float, float, float]:
        return float(self.lon.min()), float(self.lat.min()), float(self.lon.max()), float(self.lat.max())

    def total_length_m(self) -> float:
        return float(self.length.sum()) / 2

    def snap(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        """The nearest node of each point and the straight-line distance to it (metres)."""
        if len(np.atleast_1d(lon)) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        distance, node = self.tree.query(self.projection.xy(lon, lat))
        return node.astype(np.int64), distance

    @cached_property
    def detached_tree(self) -> cKDTree | None:
        lon = self.extra.get("detached_lon")
        if lon is None or not len(lon):
            return None
        return cKDTree(self.projection.xy(lon, self.extra["detached_lat"]))

    def place(self, lon, lat, snap_max_m: float, join_main_within_m: float = 0.0
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each point's nearest node, the straight-line distance to it (metres), and why the point
        cannot count (``TOO_FAR``, ``DETACHED``) or ``ON_NETWORK``.

        A point nearer to a way of a part left out of the network (within ``snap_max_m``) than to
        the main part stands on that part — an island, an estate across a river —: walking from it
        to the main part is not the straight line across the gap, so it is not reachable at all.
        Only where the main part is within ``join_main_within_m`` does the point count anyway: a
        few steps, not a gap (a courtyard path the map left unjoined next to a street)."""
        node, distance = self.snap(lon, lat)
        reason = np.full(len(node), ON_NETWORK, dtype="<U12")
        reason[distance > snap_max_m] = TOO_FAR
        if self.detached_tree is not None and len(node):
            detached_distance, _node = self.detached_tree.query(self.projection.xy(lon, lat))
            reason[(detached_distance < distance) & (detached_distance <= snap_max_m) & (distance > join_main_within_m)] = DETACHED
        return node, distance, reason

    def nearest(self, sources: np.ndarray, offsets: np.ndarray | None = None, limit: float = np.inf
                ) -> tuple[np.ndarray, np.ndarray]:
        """For every node, the network distance to the nearest source and which source it is (-1: none).

        ``offsets`` are distances already walked to reach each source's node (a facility standing
        off the road); they are honoured exactly through a virtual start node joined to every
        source by an edge of its offset, so one Dijkstra pass still answers for all sources.
        """
        sources = np.asarray(sources, dtype=np.int64)
        n = self.node_count
        if len(sources) == 0:
            return np.full(n, np.inf), np.full(n, -1, dtype=np.int64)
        if offsets is None or not np.any(offsets):
            dist, _pred, which = dijkstra(self.matrix, directed=True, indices=sources, min_only=True, limit=limit,
                                          return_predecessors=True)
            label = np.full(n, -1, dtype=np.int64)
            reached = which >= 0
            # ``which`` names the source node; turn it into the index of the source in ``sources``.
            first = {}
            for position, node in enumerate(sources.tolist()):
                first.setdefault(node, position)
            lookup = np.full(n, -1, dtype=np.int64)
            lookup[list(first.keys())] = list(first.values())
            label[reached] = lookup[which[reached]]
            return dist, label
        offsets = np.asarray(offsets, dtype=np.float64)
        # A virtual node n joined to each source node by its offset (the shortest one per node).
        order = np.lexsort((offsets, sources))
        unique_nodes, first = np.unique(sources[order], return_index=True)
        best = order[first]
        rows = np.concatenate([np.repeat(np.arange(n), np.diff(self.indptr)), np.full(len(unique_nodes), n)])
        cols = np.concatenate([self.indices, unique_nodes])
        # Zero-weight edges vanish in a sparse matrix; a tiny offset keeps them.
        weights = np.concatenate([self.length.astype(np.float64), np.maximum(offsets[best], 1e-9)])
        augmented = csr_matrix((weights, (rows, cols)), shape=(n + 1, n + 1))
        dist, pred = dijkstra(augmented, directed=True, indices=n, limit=limit, return_predecessors=True)
        dist, pred = dist[:n], pred[:n]
        # Which source each node hangs from: follow predecessors up to the virtual node by pointer jumping.
        root = np.where(pred == n, np.arange(n), pred)
        root = np.where(root < 0, np.arange(n), root)
        while True:
            nxt = root[root]
            if np.array_equal(nxt, root):
                break
            root = nxt
        source_of_node = np.full(n + 1, -1, dtype=np.int64)
        source_of_node[unique_nodes] = best
        label = np.where(np.isfinite(dist), source_of_node[root], -1)
        return dist, label

    def within(self, sources: np.ndarray, offsets: np.ndarray, limit: float, targets: np.ndarray,
               target_offsets: np.ndarray, progress=None) -> csr_matrix:
        """Distances from each source to the targets within ``limit`` (sources × targets, sparse).

        A limited Dijkstra from a block of sources at a time; the offsets of both ends (the walk
        from a point to its node) count in the distance. A stored distance is never zero.
        """
        sources = np.asarray(sources, dtype=np.int64)
        targets = np.asarray(targets, dtype=np.int64)
        offsets = np.asarray(offsets, dtype=np.float64)
        target_offsets = np.asarray(target_offsets, dtype=np.float64)
        chunk = int(max(1, min(256, 50_000_000 // max(self.node_count, 1))))
        rows, cols, values = [], [], []
        for start in range(0, len(sources), chunk):
            block = sources[start:start + chunk]
            dist = dijkstra(self.matrix, directed=True, indices=block, limit=limit)
            total = dist[:, targets] + offsets[start:start + chunk, None] + target_offsets[None, :]
            r, c = np.nonzero(total <= limit)
            rows.append(r + start)
            cols.append(c)
            values.append(np.maximum(total[r, c], 1e-6))
            if progress is not None:
                progress(min(start + chunk, len(sources)), len(sources))
        if not rows:
            return csr_matrix((len(sources), len(targets)))
        return csr_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(len(sources), len(targets)))


def build_graph(lon: np.ndarray, lat: np.ndarray, u: np.ndarray, v: np.ndarray, length: np.ndarray | None = None,
                osm_id: np.ndarray | None = None, keep_largest: bool = True) -> tuple[Graph, dict]:
    """A symmetric graph from node coordinates and undirected edges (node positions ``u``, ``v``).

    Self-loops go, parallel edges keep the shortest, and (by default) only the largest connected
    part is kept, so that every snapped point can reach every other. Returns the graph and what
    was dropped.
    """
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    if length is None:
        length = haversine_m(lon[u], lat[u], lon[v], lat[v])
    length = np.asarray(length, dtype=np.float64)
    keep = (u != v) & np.isfinite(length) & (length >= 0)
    u, v, length = u[keep], v[keep], np.maximum(length[keep], 0.01)
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    weights = np.concatenate([length, length])
    order = np.lexsort((weights, cols, rows))
    rows, cols, weights = rows[order], cols[order], weights[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols, weights = rows[first], cols[first], weights[first]
    n = len(lon)
    used = np.zeros(n, dtype=bool)
    used[rows] = True
    dropped = {"nodes_without_edges": int(n - used.sum()), "nodes_outside_main_part": 0, "parts": 0}
    detached = np.zeros(n, dtype=bool)
    if keep_largest and len(rows):
        matrix = csr_matrix((weights, (rows, cols)), shape=(n, n))
        parts, labels = connected_components(matrix, directed=False)
        sizes = np.bincount(labels[used], minlength=parts)
        main = int(np.argmax(sizes))
        dropped["parts"] = int((sizes > 0).sum())
        dropped["nodes_outside_main_part"] = int(used.sum() - sizes[main])
        detached = used & (labels != main)
        used &= labels == main
    new_index = np.full(n, -1, dtype=np.int64)
    new_index[used] = np.arange(int(used.sum()))
    keep = used[rows] & used[cols]
    rows, cols, weights = new_index[rows[keep]], new_index[cols[keep]], weights[keep]
    m = int(used.sum())
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    indptr = np.cumsum(indptr)
    graph = Graph(lon=lon[used], lat=lat[used], indptr=indptr, indices=cols.astype(np.int32), length=weights.astype(np.float32),
                  osm_id=None if osm_id is None else np.asarray(osm_id, dtype=np.int64)[used],
                  extra={"detached_lon": lon[detached], "detached_lat": lat[detached]})
    return graph, dropped


def dumps(graph: Graph) -> bytes:
    """The graph (and its extra arrays) as the bytes of a compressed ``.npz`` file."""
    arrays = {"lon": graph.lon, "lat": graph.lat, "indptr": graph.indptr, "indices": graph.indices, "length": graph.length}
    if graph.osm_id is not None:
        arrays["osm_id"] = graph.osm_id
    arrays.update({f"extra__{name}": value for name, value in graph.extra.items()})
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def save(graph: Graph, path: Path) -> str:
    """Write the graph (and its extra arrays) to ``path``; returns the file's SHA-256."""
    data = dumps(graph)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return hashlib.sha256(data).hexdigest()


def read(source) -> Graph:
    """The graph in a ``.npz`` file: a path, or a file open for reading (from a storage)."""
    with np.load(source, allow_pickle=False) as data:
        extra = {name.removeprefix("extra__"): data[name] for name in data.files if name.startswith("extra__")}
        return Graph(lon=data["lon"], lat=data["lat"], indptr=data["indptr"], indices=data["indices"], length=data["length"],
                     osm_id=data["osm_id"] if "osm_id" in data.files else None, extra=extra)


_CACHE: dict[tuple[str, str], Graph] = {}
_LOCK = threading.Lock()
_CACHE_SIZE = 4


def load(path: Path | str, sha256: str, reader: Callable[[], Graph] | None = None) -> Graph:
    """The graph in ``path`` (a file's path, or its name in a storage with ``reader`` to read it),
    read once per process and kept while it is among the last few used."""
    key = (str(path), sha256)
    with _LOCK:
        graph = _CACHE.pop(key, None)
        if graph is None:
            graph = reader() if reader is not None else read(path)
        _CACHE[key] = graph
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
    return graph
