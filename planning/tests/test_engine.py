"""The array engine: graphs, nearest-facility distances, coverage sets and the siting solvers,
each checked against a brute-force answer on the same input."""

import itertools

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from planning import labels, siting
from planning import network as net


def random_graph(seed: int, n: int = 120, extra: int = 150):
    rng = np.random.default_rng(seed)
    lon = 118.0 + rng.random(n) * 0.02
    lat = 24.5 + rng.random(n) * 0.02
    # A spanning path keeps it connected; random chords and a self-loop and a duplicate test the clean-up.
    u = np.concatenate([np.arange(n - 1), rng.integers(0, n, extra), [5, 7]])
    v = np.concatenate([np.arange(1, n), rng.integers(0, n, extra), [5, 8]])
    length = np.concatenate([rng.uniform(20, 200, n - 1 + extra), [10.0, 999.0]])
    return net.build_graph(lon, lat, u, v, length)[0], (u, v, length)


def brute_distances(graph: net.Graph, sources, offsets):
    full = dijkstra(graph.matrix, directed=True, indices=sources)
    return (full + np.asarray(offsets)[:, None]).min(axis=0), (full + np.asarray(offsets)[:, None]).argmin(axis=0)


def test_build_graph_drops_self_loops_keeps_the_shortest_parallel_edge_and_is_symmetric():
    graph, _ = net.build_graph(np.array([0.0, 0.001, 0.002]), np.array([0.0, 0.0, 0.0]), np.array([0, 0, 1, 1]),
                               np.array([1, 1, 2, 1]), np.array([50.0, 30.0, 40.0, 5.0]))
    dense = graph.matrix.toarray()
    assert dense[0, 1] == dense[1, 0] == 30.0
    assert dense[1, 1] == 0 and graph.edge_count == 2


def test_build_graph_keeps_the_largest_connected_part_and_says_what_it_dropped():
    lon = np.arange(6) * 0.001
    graph, dropped = net.build_graph(lon, np.zeros(6), np.array([0, 1, 2, 4]), np.array([1, 2, 3, 5]))
    assert graph.node_count == 4
    assert dropped == {"nodes_without_edges": 0, "nodes_outside_main_part": 2, "parts": 2}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_nearest_is_exact_with_and_without_offsets(seed):
    graph, _ = random_graph(seed)
    rng = np.random.default_rng(seed)
    sources = rng.choice(graph.node_count, 7, replace=False)
    dist, label = graph.nearest(sources)
    expected, _which = brute_distances(graph, sources, np.zeros(7))
    np.testing.assert_allclose(dist, expected)
    full = dijkstra(graph.matrix, directed=True, indices=sources)
    np.testing.assert_allclose(full[label, np.arange(graph.node_count)], expected)
    offsets = rng.uniform(0, 150, 7)
    dist, label = graph.nearest(sources, offsets)
    expected, _which = brute_distances(graph, sources, offsets)
    np.testing.assert_allclose(dist, expected)
    # The source each node is credited to really gives its distance.
    np.testing.assert_allclose(full[label, np.arange(graph.node_count)] + offsets[label], expected)


def test_within_lists_exactly_the_targets_inside_the_limit():
    graph, _ = random_graph(4)
    rng = np.random.default_rng(4)
    sources = rng.choice(graph.node_count, 9)
    targets = rng.choice(graph.node_count, 40)
    s_off, t_off = rng.uniform(0, 50, 9), rng.uniform(0, 50, 40)
    matrix = graph.within(sources, s_off, 400.0, targets, t_off).toarray()
    full = dijkstra(graph.matrix, directed=True, indices=sources)[:, targets] + s_off[:, None] + t_off[None, :]
    assert np.array_equal(matrix > 0, full <= 400.0)
    np.testing.assert_allclose(matrix[matrix > 0], full[full <= 400.0])


def test_a_saved_graph_loads_back_the_same(tmp_path):
    graph, _ = random_graph(5)
    graph.extra["building_lon"] = np.array([118.0, 118.01])
    sha = net.save(graph, tmp_path / "g.npz")
    loaded = net.load(tmp_path / "g.npz", sha)
    assert np.array_equal(loaded.indices, graph.indices) and np.allclose(loaded.length, graph.length)
    assert np.array_equal(loaded.extra["building_lon"], graph.extra["building_lon"])
    node, distance = loaded.snap([118.005], [24.505])
    assert 0 <= node[0] < loaded.node_count and distance[0] < 2000


def random_cover(seed: int, n: int = 60, m: int = 12, density: float = 0.18):
    rng = np.random.default_rng(seed)
    dense = rng.random((n, m)) < density
    weight = rng.integers(1, 100, n).astype(float)
    return csr_matrix(dense.astype(float)), dense, weight


def brute_max_cover(dense, weight, k):
    best = max(itertools.combinations(range(dense.shape[1]), k), key=lambda c: weight[dense[:, list(c)].any(axis=1)].sum())
    return weight[dense[:, list(best)].any(axis=1)].sum()


@pytest.mark.parametrize("seed", range(6))
def test_maximal_covering_finds_the_optimum_by_every_route(seed, monkeypatch):
    cover, dense, weight = random_cover(seed)
    for k in (2, 4):
        optimum = brute_max_cover(dense, weight, k)
        solution = siting.maximal_covering(cover, weight, k)
        assert solution.objective == pytest.approx(optimum) and solution.proven_optimal and solution.gap == 0
        assert solution.method == siting.ENUMERATION
        assert weight[dense[:, solution.chosen].any(axis=1)].sum() == pytest.approx(optimum)
        # Without enumeration: greedy, swaps, the Lagrangian bound, then HiGHS.
        monkeypatch.setattr(siting, "ENUMERATION_CELLS", 0)
        solution = siting.maximal_covering(cover, weight, k)
        assert solution.objective == pytest.approx(optimum) and solution.proven_optimal
        assert solution.method in siting.METHODS and solution.method != siting.ENUMERATION
        monkeypatch.undo()


def test_maximal_covering_always_reports_a_bound_it_cannot_beat(monkeypatch):
    cover, dense, weight = random_cover(11, n=400, m=60, density=0.08)
    monkeypatch.setattr(siting, "ENUMERATION_CELLS", 0)
    solution = siting.maximal_covering(cover, weight, 6, milp_max_nonzeros=0)  # HiGHS not allowed: bound by relaxation
    assert solution.bound >= solution.objective - 1e-6
    assert solution.bound <= weight[dense.any(axis=1)].sum() + 1e-6
    assert 0 <= solution.gap < 0.2
    assert len(solution.gains) == len(solution.chosen) and sum(solution.gains) == pytest.approx(solution.objective)


def test_aggregation_merges_rows_reached_by_the_same_candidates():
    dense = np.array([[1, 0, 1], [1, 0, 1], [0, 1, 0], [0, 0, 0], [1, 0, 1]], dtype=float)
    groups = siting.aggregate(csr_matrix(dense), np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
    assert groups.cover.shape == (2, 3)
    assert sorted(groups.weight.tolist()) == [3.0, 8.0]
    assert groups.unreachable_weight == 4.0 and groups.of_point[3] == -1
    assert groups.of_point[0] == groups.of_point[1] == groups.of_point[4] != groups.of_point[2]


@pytest.mark.parametrize("seed", range(4))
def test_set_covering_uses_the_fewest_sites(seed):
    cover, dense, _ = random_cover(seed, n=40, m=10, density=0.3)
    coverable = dense.any(axis=1)
    dense = dense[coverable]
    fewest = next(k for k in range(1, 11) if any(dense[:, list(c)].any(axis=1).all()
                                                  for c in itertools.combinations(range(10), k)))
    solution = siting.set_covering(csr_matrix(dense.astype(float)))
    assert solution.objective == fewest and solution.proven_optimal and solution.method in siting.METHODS
    assert dense[:, solution.chosen].any(axis=1).all()


@pytest.mark.parametrize("seed", range(3))
def test_p_median_minimises_the_weighted_walk(seed):
    rng = np.random.default_rng(seed)
    distance = rng.uniform(100, 3000, (25, 8))
    weight = rng.integers(1, 50, 25).astype(float)
    current = np.where(rng.random(25) < 0.3, rng.uniform(100, 2000, 25), np.inf)
    cap = np.where(np.isfinite(current), current, 1e12)

    def cost(c):
        return float(weight @ np.minimum(cap, distance[:, list(c)].min(axis=1)))

    best = min(cost(c) for c in itertools.combinations(range(8), 3))
    solution = siting.p_median(distance, weight, current, 3)
    assert solution.objective == pytest.approx(best)
    assert solution.proven_optimal and solution.bound <= solution.objective + 1e-6
    assert solution.method in siting.METHODS


def test_maximal_covering_on_a_dense_and_on_a_sparse_matrix_gives_the_same_answer(monkeypatch):
    cover, dense, weight = random_cover(21, n=80, m=14, density=0.2)
    small = siting.maximal_covering(dense, weight, 3)  # a dense array, reduced densely
    monkeypatch.setattr(siting, "DENSE_CELLS", 0)
    large = siting.maximal_covering(cover, weight, 3)  # the same, reduced on the sparse matrix
    assert small.objective == pytest.approx(large.objective) == pytest.approx(brute_max_cover(dense, weight, 3))
    assert small.method == large.method == siting.ENUMERATION
    assert small.gains == pytest.approx(large.gains) and sum(small.gains) == pytest.approx(small.objective)
    nobody = siting.maximal_covering(np.zeros((5, 3), dtype=bool), np.ones(5), 2)
    assert nobody.chosen == [] and nobody.objective == 0 and nobody.details["unreachable"] == 5


def test_every_way_the_engine_can_solve_is_named_in_words():
    assert set(labels.METHOD_LABELS) == set(siting.METHODS)
    assert all(labels.method_label(code) for code in siting.METHODS)


def test_a_point_on_a_part_left_out_of_the_network_is_detached_not_joined_across_the_gap():
    # A main part of six nodes in a row and, 150 m beyond its end, a detached path of two nodes.
    step = 100 / 101_210  # about 100 m of longitude at 24.47° N
    lon = np.array([118.0 + i * step for i in range(6)] + [118.0 + 6.5 * step, 118.0 + 7.5 * step])
    lat = np.full(8, 24.47)
    graph, dropped = net.build_graph(lon, lat, np.array([0, 1, 2, 3, 4, 6]), np.array([1, 2, 3, 4, 5, 7]))
    assert graph.node_count == 6 and dropped["nodes_outside_main_part"] == 2
    assert len(graph.extra["detached_lon"]) == 2
    points_lon = np.array([118.0 + 2 * step, 118.0 + 7.4 * step, 118.0 + 5.3 * step, 118.0 + 20 * step])
    node, distance, reason = graph.place(points_lon, np.full(4, 24.4701), snap_max_m=300)
    # on the main part; on the detached path (the main part is only ~190 m off in a straight line, across
    # the gap); nearer the main part's end than the path; far from everything
    assert reason.tolist() == [net.ON_NETWORK, net.DETACHED, net.ON_NETWORK, net.TOO_FAR]
    assert distance[1] < 300  # close enough in a straight line: what used to count it as reachable
    # A network saved and read back keeps its detached parts.
    graph_without = net.Graph(lon=graph.lon, lat=graph.lat, indptr=graph.indptr, indices=graph.indices, length=graph.length)
    assert graph_without.place(points_lon, np.full(4, 24.4701), snap_max_m=300)[2].tolist()[1] == net.ON_NETWORK


def test_a_point_a_few_steps_from_the_main_part_joins_it_though_a_loose_path_is_nearer():
    # The main part ends at 200 m; a loose courtyard path of two nodes starts 60 m beyond it.
    step = 100 / 101_210
    lon = np.array([118.0, 118.0 + step, 118.0 + 2 * step, 118.0 + 2.6 * step, 118.0 + 2.9 * step])
    graph, _dropped = net.build_graph(lon, np.full(5, 24.47), np.array([0, 1, 3]), np.array([1, 2, 4]))
    point = ([118.0 + 2.4 * step], [24.47])  # 40 m from the street's end, 20 m from the path
    assert graph.place(*point, snap_max_m=300)[2].tolist() == [net.DETACHED]
    assert graph.place(*point, snap_max_m=300, join_main_within_m=50)[2].tolist() == [net.ON_NETWORK]
