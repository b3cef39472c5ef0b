"""Choosing new sites: maximal covering, set covering and p-median, with a proven bound.

The problems are solved on an aggregated form: demand points that the same candidates reach
become one group with their people summed (so 50,000 points often make a few thousand groups),
and candidates are columns of a sparse coverage matrix. Each solve

1. finds a good solution fast (greedy, then swaps that improve it: "greedy with improvement"),
2. proves how far from the optimum it can be with a bound (a Lagrangian relaxation, cheap on the
   sparse matrix),
3. and, when the gap is not closed and the aggregated problem fits, hands it to HiGHS through
   ``scipy.optimize.milp`` with the time left, keeping whichever answer is better and the
   tighter bound.

The result always says the objective, the bound and the gap between them, and whether the
optimum is proven. Nothing here touches the database: the services feed it arrays.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix, hstack, identity
from scipy.sparse import vstack as sparse_vstack

EPS = 1e-9

# How a solution was found: a stable code, saved with the solution; the pages and the command
# line say it in words (``planning.labels.METHOD_LABELS``).
NONE = "none"  # nothing to choose
ENUMERATION = "enumeration"  # every choice scored: exact
GREEDY = "greedy"  # greedy; proven optimal when nothing is left to gain
GREEDY_SWAP = "greedy_swap"  # greedy with improving swaps, bounded by a Lagrangian relaxation
GREEDY_SWAP_LP = "greedy_swap_lp"  # greedy with improving swaps, bounded by the linear relaxation (HiGHS)
GREEDY_SWAP_MILP = "greedy_swap_milp"  # greedy with improving swaps, then the integer programme (HiGHS) to bound it
GREEDY_MILP = "greedy_milp"  # set covering: greedy, then the integer programme to bound it
MILP = "milp"  # the integer programme (HiGHS) found the answer
METHODS = (NONE, ENUMERATION, GREEDY, GREEDY_SWAP, GREEDY_SWAP_LP, GREEDY_SWAP_MILP, GREEDY_MILP, MILP)


@dataclass
class Solution:
    chosen: list[int]
    objective: float
    bound: float
    method: str
    proven_optimal: bool
    seconds: float
    gains: list[float] = field(default_factory=list)
    details: dict = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """Relative distance between the solution and the bound (0 when proven optimal)."""
        if self.proven_optimal:
            return 0.0
        scale = max(abs(self.objective), abs(self.bound), EPS)
        return abs(self.bound - self.objective) / scale


@dataclass
class Groups:
    """Demand aggregated by the set of candidates that reach it."""

    cover: csr_matrix  # groups × candidates, 1 where the candidate reaches the group
    weight: np.ndarray  # people in each group
    of_point: np.ndarray  # the group of each demand point (-1: no candidate reaches it)
    unreachable_weight: float


def aggregate(cover: csr_matrix, weight: np.ndarray) -> Groups:
    """Merge demand points reached by exactly the same candidates (order-free 128-bit set hashes)."""
    cover = csr_matrix(cover, dtype=np.float64)
    cover.sum_duplicates()
    weight = np.asarray(weight, dtype=np.float64)
    n, m = cover.shape
    counts = np.diff(cover.indptr)
    rng = np.random.default_rng(20260101)
    keys = rng.integers(1, 2**62, size=(2, m), dtype=np.int64)
    hashes = np.zeros((n, 2), dtype=np.int64)
    reachable = counts > 0
    if cover.nnz:
        starts = cover.indptr[:-1][reachable]
        for h in range(2):
            with np.errstate(over="ignore"):
                hashes[reachable, h] = np.add.reduceat(keys[h][cover.indices], starts)
    hashes = np.column_stack([hashes, counts])
    rows = np.flatnonzero(reachable)
    of_point = np.full(n, -1, dtype=np.int64)
    if len(rows) == 0:
        return Groups(csr_matrix((0, m)), np.zeros(0), of_point, float(weight.sum()))
    unique, first, inverse = np.unique(hashes[rows], axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    of_point[rows] = inverse
    group_weight = np.bincount(inverse, weights=weight[rows], minlength=len(unique))
    group_cover = cover[rows[first]]
    group_cover.data[:] = 1.0
    return Groups(group_cover.tocsr(), group_weight, of_point, float(weight[~reachable].sum()))


# Maximal covering ---------------------------------------------------------------------------

def _coverage_value(cover: csr_matrix, weight: np.ndarray, chosen) -> float:
    if not len(chosen):
        return 0.0
    hit = np.asarray(cover[:, list(chosen)].sum(axis=1)).ravel() > 0
    return float(weight[hit].sum())


def _greedy_cover(cover: csr_matrix, cover_t: csr_matrix, weight: np.ndarray, k: int) -> tuple[list[int], list[float]]:
    gain = cover_t @ weight
    covered = np.zeros(cover.shape[0], dtype=bool)
    chosen, gains = [], []
    available = np.ones(cover.shape[1], dtype=bool)
    for _ in range(k):
        masked = np.where(available, gain, -1.0)
        j = int(np.argmax(masked))
        if masked[j] <= EPS:
            break
        chosen.append(j)
        gains.append(float(gain[j]))
        available[j] = False
        groups = cover_t.indices[cover_t.indptr[j]:cover_t.indptr[j + 1]]
        newly = groups[~covered[groups]]
        covered[newly] = True
        if len(newly):
            cols, lengths = _row_entries(cover, newly)
            gain -= np.bincount(cols, weights=np.repeat(weight[newly], lengths), minlength=cover.shape[1])
    return chosen, gains


def _row_entries(matrix: csr_matrix, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The column indices of the given rows of a CSR matrix (concatenated) and each row's length."""
    starts = matrix.indptr[rows]
    lengths = matrix.indptr[rows + 1] - starts
    total = int(lengths.sum())
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return matrix.indices[np.arange(total) + offsets], lengths


def _swap_improve(cover: csr_matrix, cover_t: csr_matrix, weight: np.ndarray, chosen: list[int], deadline: float) -> list[int]:
    """1-swap local search: replace a chosen site by an unchosen one while that covers more."""
    chosen = list(chosen)
    m = cover.shape[1]
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        y = np.zeros(m)
        y[chosen] = 1
        count = cover @ y
        for position, s in enumerate(list(chosen)):
            if time.perf_counter() >= deadline:
                break
            col = np.zeros(m)
            col[s] = 1
            without = count - cover @ col
            loss = float(weight[(without == 0) & (count > 0)].sum())
            open_weight = np.where(without == 0, weight, 0.0)
            gains = cover_t @ open_weight
            gains[chosen] = -1.0
            j = int(np.argmax(gains))
            if gains[j] > loss + 1e-7 * max(1.0, loss):
                chosen[position] = j
                count = without + np.asarray(cover[:, j].toarray()).ravel()
                improved = True
    return chosen


def _lagrangian_cover_bound(cover: csr_matrix, cover_t: csr_matrix, weight: np.ndarray, k: int, incumbent: float,
                            deadline: float, iterations: int = 300, target_gap: float = 0.0) -> float:
    """min over λ in [0, w] of Σ max(0, w − λ) + (sum of the k largest of Aᵀλ): an upper bound on coverage."""
    lam = weight * 0.5
    best = math.inf
    step_scale = 2.0
    stall = 0
    for _ in range(iterations):
        if time.perf_counter() >= deadline:
            break
        site_value = cover_t @ lam
        top = np.argpartition(-site_value, k - 1)[:k] if k < len(site_value) else np.arange(len(site_value))
        x = weight - lam > 0
        value = float((weight - lam)[x].sum() + site_value[top].sum())
        if value < best and (math.isinf(best) or best - value > 1e-9 * max(1.0, best)):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 10:
                step_scale /= 2
                stall = 0
        if _closed(best, incumbent, target_gap) or step_scale < 1e-4:
            break
        y = np.zeros(cover.shape[1])
        y[top] = 1
        subgradient = (cover @ y) - x
        norm = float(subgradient @ subgradient)
        if norm == 0:
            break
        t = step_scale * (value - incumbent) / norm
        lam = np.clip(lam - t * subgradient, 0.0, weight)
    return best


def _cover_model(cover: csr_matrix, weight: np.ndarray, k: int):
    """Variables y (candidates) then x (groups): max Σ w x, x_g ≤ Σ_{j reaches g} y_j, Σ y ≤ k."""
    g, m = cover.shape
    c = np.concatenate([np.zeros(m), -weight])
    link = hstack([-cover, identity(g, format="csr")], format="csr")
    count = csr_matrix(np.concatenate([np.ones(m), np.zeros(g)])[None, :])
    return c, [LinearConstraint(link, -np.inf, 0.0), LinearConstraint(count, 0.0, k)]


def _lp_cover_bound(cover: csr_matrix, weight: np.ndarray, k: int, time_limit: float) -> float | None:
    c, constraints = _cover_model(cover, weight, k)
    result = milp(c, constraints=constraints, integrality=np.zeros(len(c)), bounds=Bounds(0, 1),
                  options={"time_limit": time_limit, "disp": False})
    if result.status != 0 or result.fun is None:
        return None
    return -float(result.fun)


def _milp_cover(cover: csr_matrix, weight: np.ndarray, k: int, time_limit: float, rel_gap: float):
    g, m = cover.shape
    c, constraints = _cover_model(cover, weight, k)
    integrality = np.concatenate([np.ones(m), np.zeros(g)])
    result = milp(c, constraints=constraints, integrality=integrality, bounds=Bounds(0, 1),
                  options={"time_limit": max(time_limit, 0.05), "mip_rel_gap": rel_gap, "disp": False})
    chosen = None if result.x is None else [int(j) for j in np.flatnonzero(result.x[:m] > 0.5)]
    bound = getattr(result, "mip_dual_bound", None)
    return chosen, (None if bound is None else -float(bound)), result.status == 0


ENUMERATION_CELLS = 3_000_000
DENSE_CELLS = 250_000
LP_FIRST_NONZEROS = 200_000
LP_FIRST_ROWS = 5_000


@dataclass
class Reduced:
    """A covering problem without its redundancy: demand merged into groups reached by the same
    candidates, and only the undominated candidates (``columns``, indices into the original)."""

    cover: csr_matrix  # groups × undominated candidates
    weight: np.ndarray
    columns: np.ndarray
    unreachable_weight: float


def _reduce(cover, weight: np.ndarray) -> Reduced:
    """Aggregate and drop dominated candidates: on a dense matrix for small problems (where the
    sparse machinery would cost more than the work), on the sparse one otherwise."""
    if cover.shape[0] * cover.shape[1] <= DENSE_CELLS:
        return _reduce_dense(cover, weight)
    groups = aggregate(cover, weight)
    columns = _undominated_columns(groups.cover)
    return Reduced(groups.cover[:, columns].tocsr(), groups.weight, columns, groups.unreachable_weight)


def _reduce_dense(cover, weight: np.ndarray) -> Reduced:
    dense = (cover.toarray() if hasattr(cover, "toarray") else np.asarray(cover)) != 0
    weight = np.asarray(weight, dtype=np.float64)
    reach = dense.any(axis=1)
    if not reach.any():
        return Reduced(csr_matrix((0, 0)), np.zeros(0), np.zeros(0, dtype=np.int64), float(weight.sum()))
    _unique, first, inverse = np.unique(np.packbits(dense[reach], axis=1), axis=0, return_index=True, return_inverse=True)
    groups = dense[reach][first]
    w = np.bincount(inverse.ravel(), weights=weight[reach], minlength=len(first))
    as_int = groups.astype(np.int32)
    overlap = as_int.T @ as_int
    size = np.diag(overlap)
    index = np.arange(len(size))
    bigger = (size[None, :] > size[:, None]) | ((size[None, :] == size[:, None]) & (index[None, :] < index[:, None]))
    contained = (overlap >= size[:, None]) & bigger
    np.fill_diagonal(contained, False)
    columns = np.flatnonzero((size > 0) & ~contained.any(axis=1))
    return Reduced(csr_matrix(groups[:, columns].astype(np.float64)), w, columns, float(weight[~reach].sum()))


def maximal_covering(cover: csr_matrix, weight: np.ndarray, k: int, *, time_limit: float = 60.0, rel_gap: float = 0.0,
                     milp_max_nonzeros: int = 5_000_000) -> Solution:
    """Choose at most ``k`` candidates (columns) covering the most weight (rows).

    After aggregation, small problems are solved exactly by enumerating every choice
    (vectorised); larger ones by greedy with swaps, then HiGHS on the aggregated problem within
    the time left; when HiGHS does not fit or does not finish, a Lagrangian bound still says how
    far from the optimum the answer can be.
    """
    started = time.perf_counter()
    deadline = started + time_limit
    reduced = _reduce(cover, weight)
    a, w, columns = reduced.cover, reduced.weight, reduced.columns
    m = a.shape[1]
    k = min(k, m)
    a_t = a.T.tocsr()
    total = float(w.sum())
    if math.comb(m, k) * a.shape[0] <= ENUMERATION_CELLS:
        chosen, value = _enumerate_cover(a, w, k)
        method, bound = ENUMERATION, value
    else:
        chosen, _gains = _greedy_cover(a, a_t, w, k)
        value = _coverage_value(a, w, chosen)
        if len(chosen) < k or value >= total - EPS:
            # Every reachable person is covered, or no further site adds anyone: greedy is optimal.
            method, bound = GREEDY, value
        else:
            chosen, value, bound, method = _improve_and_bound(a, a_t, w, k, chosen, deadline, time_limit, rel_gap,
                                                              milp_max_nonzeros)
    bound = max(bound, value)
    chosen, gains = _order_by_gain(a, a_t, w, chosen)
    return Solution(chosen=[int(columns[j]) for j in chosen], objective=value, bound=bound, method=method,
                    proven_optimal=_closed(bound, value, 0.0), seconds=time.perf_counter() - started,
                    gains=gains, details={"groups": a.shape[0], "candidates": int(cover.shape[1]), "undominated": m,
                                          "nonzeros": int(a.nnz), "unreachable": reduced.unreachable_weight})


def _improve_and_bound(a, a_t, w, k, chosen, deadline, time_limit, rel_gap, milp_max_nonzeros):
    """Swaps on the greedy answer, then bounds: the linear relaxation (HiGHS; exact, often the
    optimum itself, quick on a small matrix) and the Lagrangian one (subgradient steps on the
    sparse matrix; quick on a large one, and enough when a gap is allowed), the cheaper first;
    then the integer programme with the time left when the gap is still open."""
    chosen = _swap_improve(a, a_t, w, chosen, deadline)
    value = _coverage_value(a, w, chosen)
    method = GREEDY_SWAP
    bound = min(float(w.sum()), float(np.sort(a_t @ w)[-k:].sum()))

    def lagrangian():
        return _lagrangian_cover_bound(a, a_t, w, k, value, min(deadline, time.perf_counter() + max(1.0, time_limit / 10)),
                                       target_gap=rel_gap), GREEDY_SWAP

    def linear():
        if a.nnz > milp_max_nonzeros:
            return None, GREEDY_SWAP
        return _lp_cover_bound(a, w, k, max(0.05, (deadline - time.perf_counter()) / 3)), GREEDY_SWAP_LP

    small = a.nnz <= LP_FIRST_NONZEROS and a.shape[0] <= LP_FIRST_ROWS
    for relaxation in ((linear, lagrangian) if small else (lagrangian, linear)):
        if _closed(bound, value, rel_gap):
            break
        relaxed, by = relaxation()
        if relaxed is not None and relaxed < bound:
            bound, method = relaxed, by
    if not _closed(bound, value, rel_gap) and a.nnz <= milp_max_nonzeros and time.perf_counter() < deadline:
        exact, milp_bound, optimal = _milp_cover(a, w, k, deadline - time.perf_counter(), rel_gap)
        method = GREEDY_SWAP_MILP
        if exact is not None and _coverage_value(a, w, exact) > value:
            chosen, method = exact, MILP
            value = _coverage_value(a, w, chosen)
        if optimal and rel_gap == 0:
            bound = value
        elif milp_bound is not None:
            bound = min(bound, milp_bound)
    return chosen, value, bound, method


def _closed(bound: float, value: float, rel_gap: float) -> bool:
    """Is the solution within ``rel_gap`` of the bound (within solver tolerance for an exact answer)?"""
    return bound - value <= max(rel_gap * value, 1e-7 * max(1.0, abs(value)))


def _undominated_columns(a: csr_matrix, max_pairs: int = 40_000_000) -> np.ndarray:
    """The candidates worth considering: a candidate that reaches nobody, or only people another
    candidate also reaches (a subset, or the same set with a lower number), can be swapped for that
    one without loss, so dropping it keeps the optimum."""
    a_t = a.T.tocsr()
    size = np.diff(a_t.indptr)
    useful = np.flatnonzero(size > 0)
    if len(useful) ** 2 > max_pairs or len(useful) < 2:
        return useful
    sub = a_t[useful]
    overlap = (sub @ sub.T).tocoo()
    sizes = size[useful]
    i, j, shared = overlap.row, overlap.col, overlap.data
    contained = (i != j) & (shared >= sizes[i]) & ((sizes[j] > sizes[i]) | ((sizes[j] == sizes[i]) & (j < i)))
    dominated = np.zeros(len(useful), dtype=bool)
    dominated[i[contained]] = True
    return useful[~dominated]


def _enumerate_cover(a: csr_matrix, w: np.ndarray, k: int) -> tuple[list[int], float]:
    """Every choice of k candidates, scored in blocks: exact for small problems."""
    from itertools import combinations, islice

    if k == 0 or a.shape[0] == 0:
        return [], 0.0
    dense = a.toarray() != 0
    best_value, best = -1.0, []
    combos = combinations(range(a.shape[1]), k)
    while True:
        block = np.array(list(islice(combos, 20_000)), dtype=np.int64)
        if not len(block):
            break
        values = w @ dense[:, block].any(axis=2)  # groups × block -> block
        i = int(np.argmax(values))
        if values[i] > best_value:
            best_value, best = float(values[i]), block[i].tolist()
    return best, max(best_value, 0.0)


def _order_by_gain(a: csr_matrix, a_t: csr_matrix, w: np.ndarray, chosen: list[int]) -> tuple[list[int], list[float]]:
    """The chosen sites in the order a planner would build them: each adds the most people next."""
    if not chosen:
        return [], []
    sub = a[:, chosen]
    order, gains = _greedy_cover(sub.tocsr(), sub.T.tocsr(), w, len(chosen))
    return [chosen[i] for i in order], gains


# Set covering -------------------------------------------------------------------------------

def set_covering(cover: csr_matrix, *, time_limit: float = 60.0, rel_gap: float = 0.0,
                 milp_max_nonzeros: int = 5_000_000) -> Solution:
    """The fewest candidates so that every row is covered (every row must be coverable)."""
    started = time.perf_counter()
    deadline = started + time_limit
    weight = np.ones(cover.shape[0])
    groups = aggregate(cover, weight)
    if groups.unreachable_weight:
        raise ValueError("some rows cannot be covered")
    a = groups.cover
    g, m = a.shape
    if g == 0:
        return Solution([], 0.0, 0.0, NONE, True, time.perf_counter() - started)
    a_t = a.T.tocsr()
    ones = np.ones(g)
    chosen, _ = _greedy_cover(a, a_t, ones, m)
    # Drop sites that others make redundant, the least useful first.
    y = np.zeros(m)
    y[chosen] = 1
    count = a @ y
    for j in sorted(chosen, key=lambda j: a_t.indptr[j + 1] - a_t.indptr[j]):
        rows = a_t.indices[a_t.indptr[j]:a_t.indptr[j + 1]]
        if np.all(count[rows] >= 2):
            count[rows] -= 1
            chosen.remove(j)
    method = GREEDY
    bound = float(_set_cover_lower_bound(a))
    value = float(len(chosen))
    if value - bound > max(rel_gap * value, 0) + 1e-9 and a.nnz <= milp_max_nonzeros:
        result = milp(np.ones(m), constraints=[LinearConstraint(a, 1.0, np.inf)], integrality=np.ones(m), bounds=Bounds(0, 1),
                      options={"time_limit": max(deadline - time.perf_counter(), 0.05), "mip_rel_gap": rel_gap, "disp": False})
        if result.x is not None and round(result.fun) < value:
            chosen, method = [int(j) for j in np.flatnonzero(result.x > 0.5)], MILP
            value = float(len(chosen))
        dual = getattr(result, "mip_dual_bound", None)
        if dual is not None:
            bound = max(bound, math.ceil(float(dual) - 1e-6))
        if result.status == 0:
            bound = value
            method = MILP if method == MILP else GREEDY_MILP
    chosen, gains = _order_by_gain(a, a_t, np.bincount(groups.of_point[groups.of_point >= 0], minlength=g).astype(float), chosen)
    return Solution(chosen=chosen, objective=value, bound=min(bound, value), method=method, proven_optimal=bound >= value - 1e-9,
                    seconds=time.perf_counter() - started, gains=gains,
                    details={"groups": g, "candidates": m, "nonzeros": int(a.nnz)})


def _set_cover_lower_bound(a: csr_matrix) -> int:
    """Rows that share no candidate each need their own site: a greedy packing gives a lower bound."""
    order = np.argsort(np.diff(a.indptr), kind="stable")
    blocked = np.zeros(a.shape[1], dtype=bool)
    packed = 0
    for g in order:
        cols = a.indices[a.indptr[g]:a.indptr[g + 1]]
        if not blocked[cols].any():
            packed += 1
            blocked[cols] = True
    return max(packed, 1)


# p-median -----------------------------------------------------------------------------------

def p_median(distance: np.ndarray, weight: np.ndarray, current: np.ndarray, k: int, *, time_limit: float = 60.0,
             milp_max_cells: int = 200_000) -> Solution:
    """Choose ``k`` candidates minimising Σ weight × distance to the nearest open site.

    ``distance`` is demand × candidates (metres); ``current`` is each demand point's distance to
    the nearest existing facility (inf where none), which stays open.
    """
    started = time.perf_counter()
    deadline = started + time_limit
    weight = np.asarray(weight, dtype=np.float64)
    n, m = distance.shape
    k = min(k, m)
    cap = float(np.nanmax(np.where(np.isfinite(distance), distance, 0))) * 2 + 1 if distance.size else 1.0
    d = np.where(np.isfinite(distance), distance, cap)
    base = np.minimum(np.where(np.isfinite(current), current, cap), cap)
    best = base.copy()
    chosen: list[int] = []
    for _ in range(k):
        saving = (weight[:, None] * np.maximum(best[:, None] - d, 0)).sum(axis=0)
        saving[chosen] = -1
        j = int(np.argmax(saving))
        if saving[j] <= EPS:
            break
        chosen.append(j)
        best = np.minimum(best, d[:, j])
    improved = True
    while improved and time.perf_counter() < deadline and chosen:
        improved = False
        for position in range(len(chosen)):
            others = [c for i, c in enumerate(chosen) if i != position]
            rest = np.minimum(base, d[:, others].min(axis=1)) if others else base
            cost_now = float(weight @ np.minimum(rest, d[:, chosen[position]]))
            candidates_cost = (weight[:, None] * np.minimum(rest[:, None], d)).sum(axis=0)
            candidates_cost[chosen] = np.inf
            j = int(np.argmin(candidates_cost))
            if candidates_cost[j] < cost_now - 1e-7 * max(1.0, cost_now):
                chosen[position] = j
                improved = True
    objective = float(weight @ (np.minimum(base, d[:, chosen].min(axis=1)) if chosen else base))
    bound, method, proven = _p_median_bound(d, weight, base, k, objective, deadline, n * m <= milp_max_cells)
    lower, exact = bound
    if exact is not None and exact[0] < objective - 1e-7 * max(1.0, objective):
        objective, chosen, method = exact[0], exact[1], MILP
    lower = min(lower, objective)
    proven = proven or objective - lower <= 1e-9 * max(1.0, objective)
    order = sorted(chosen, key=lambda j: -float(weight @ np.maximum(base - d[:, j], 0)))
    return Solution(chosen=order, objective=objective, bound=lower, method=method, proven_optimal=proven,
                    seconds=time.perf_counter() - started, details={"demand": n, "candidates": m})


def _p_median_bound(d, weight, base, k, incumbent, deadline, try_milp):
    """A lower bound by Lagrangian relaxation of the assignment rows; the exact MILP when small."""
    n, m = d.shape
    cost = weight[:, None] * d
    base_cost = weight * base
    lam = np.minimum(base_cost, cost.min(axis=1) if m else base_cost)
    best = -math.inf
    scale = 2.0
    stall = 0
    for _ in range(300):
        if time.perf_counter() >= deadline:
            break
        reduced = np.minimum(0.0, cost - lam[:, None])
        rho = reduced.sum(axis=0)
        open_ = np.argpartition(rho, k - 1)[:k] if 0 < k < m else np.arange(m)
        base_part = np.minimum(0.0, base_cost - lam)
        value = float(lam.sum() + base_part.sum() + rho[open_].sum())
        if value > best + 1e-9 * max(1.0, abs(best)):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 10:
                scale /= 2
                stall = 0
        if incumbent - best <= 1e-7 * max(1.0, incumbent) or scale < 1e-4:
            break
        assigned = (cost[:, open_] - lam[:, None] < 0).sum(axis=1) + (base_cost - lam < 0)
        subgradient = 1.0 - assigned
        norm = float(subgradient @ subgradient)
        if norm == 0:
            break
        lam = lam + scale * (incumbent - value) / norm * subgradient
    if not try_milp or time.perf_counter() >= deadline:
        return (best, None), GREEDY_SWAP, False
    # Exact: y_j open, x_ij assignment (plus x_i0 to the existing facilities).
    x_count = n * m
    c = np.concatenate([np.zeros(m), cost.ravel(), base_cost])
    rows_assign = hstack([csr_matrix((n, m)), sparse_kron_rows(n, m), identity(n, format="csr")], format="csr")
    link = hstack([-sparse_tile_identity(n, m), identity(x_count, format="csr"), csr_matrix((x_count, n))], format="csr")
    count = csr_matrix(np.concatenate([np.ones(m), np.zeros(x_count + n)])[None, :])
    result = milp(c, constraints=[LinearConstraint(rows_assign, 1, 1), LinearConstraint(link, -np.inf, 0),
                                  LinearConstraint(count, 0, k)],
                  integrality=np.concatenate([np.ones(m), np.zeros(x_count + n)]), bounds=Bounds(0, 1),
                  options={"time_limit": max(deadline - time.perf_counter(), 0.05), "disp": False})
    exact = None
    if result.x is not None:
        chosen = [int(j) for j in np.flatnonzero(result.x[:m] > 0.5)]
        exact = (float(result.fun), chosen)
    dual = getattr(result, "mip_dual_bound", None)
    lower = max(best, float(dual)) if dual is not None else best
    if result.status == 0 and exact is not None:
        lower = exact[0]
    return (lower, exact), GREEDY_SWAP_MILP, result.status == 0


def sparse_kron_rows(n: int, m: int) -> csr_matrix:
    """n × (n·m): row i has ones at columns i·m … i·m+m−1 (Σ_j x_ij)."""
    cols = np.arange(n * m)
    return csr_matrix((np.ones(n * m), (np.repeat(np.arange(n), m), cols)), shape=(n, n * m))


def sparse_tile_identity(n: int, m: int) -> csr_matrix:
    """(n·m) × m: row i·m+j has a one at column j (links x_ij to y_j)."""
    return sparse_vstack([identity(m, format="csr")] * n, format="csr") if n else csr_matrix((0, m))
