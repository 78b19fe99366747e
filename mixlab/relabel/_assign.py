"""Assignment problems, one per draw: ``min_perm sum_j cost[t, j, perm[t, j]]``.

Solved exactly: for ``K <= ENUMERATE_MAX_K`` by enumerating all ``K!`` permutations for every
draw at once (one matrix product), for larger ``K`` with
:func:`scipy.optimize.linear_sum_assignment` in a tight loop over draws (2-5 microseconds per draw
on the machine the threshold was measured on; see ``benchmarks/bench_relabel.py``). When several
permutations tie for the optimum, the current one (the identity at the start) is kept, so that
results are deterministic and every iterative method stops.

The ``(draws, K, K)`` cost tables are built in chunks of draws (:func:`draw_chunks`), and
:func:`check_table_size` refuses a ``K`` whose single ``K x K`` table would not fit.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
from scipy.optimize import linear_sum_assignment

#: Largest K solved by enumerating all K! permutations (vectorised over draws); above it,
#: ``scipy.optimize.linear_sum_assignment`` is called per draw. Measured with
#: ``benchmarks/bench_relabel.py``: enumeration wins up to K = 4, the two are even at K = 5 and
#: the loop wins from K = 6 on (the K! columns grow faster than the per-call overhead).
ENUMERATE_MAX_K = 4

#: Upper bound on the number of elements of the temporary arrays built per chunk of draws.
_CHUNK_ELEMENTS = 2**21

#: Relative tolerance under which a candidate permutation does not replace the current one.
_TIE_RTOL = 1e-10

#: Largest K x K cost table (bytes, float64) of one draw that the methods accept: K = 8192.
_MAX_TABLE_BYTES = 2**29


def _bytes(n):
    """``2.9 TiB``-style size."""
    units = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
    i = 0
    while n >= 1024 and i < len(units) - 1:
        n, i = n / 1024, i + 1
    return f"{n:.3g} {units[i]}"


def check_table_size(n_draws, k, *, what, labels=None):
    """Refuse a K whose per-draw K x K assignment table would not fit in memory.

    ``labels`` (a callable giving the number of distinct labels seen, for the allocation methods;
    called only when refusing) adds the likely cause to the message.
    """
    per_draw = 8 * k * k
    if per_draw <= _MAX_TABLE_BYTES:
        return
    labels = labels() if labels is not None else None
    why = (f"; only {labels} distinct label(s) occur, so K is probably not the number of "
           "components: pass the model's K") if labels is not None and labels < k else (
           "; reduce K or relabel a subset of the components")
    raise ValueError(
        f"{what} with K={k} would need {_bytes(per_draw)} for each draw's K x K assignment table "
        f"({_bytes(per_draw * n_draws)} for all {n_draws} draw(s)), more than the "
        f"{_bytes(_MAX_TABLE_BYTES)} allowed{why}"
    )


def draw_chunks(n_draws, per_draw):
    """Slices of draws such that a chunk holds at most about ``_CHUNK_ELEMENTS`` elements."""
    step = max(1, _CHUNK_ELEMENTS // max(1, per_draw))
    return [slice(s, min(s + step, n_draws)) for s in range(0, n_draws, step)]


def identity(n_draws, k):
    """The identity permutation for every draw, int64 (draws, K)."""
    return np.tile(np.arange(k, dtype=np.int64), (n_draws, 1))


@lru_cache(maxsize=8)
def _all_perms(k):
    """All K! permutations (rows) and the 0/1 matrix mapping a flat (K*K) cost to their totals."""
    perms = np.array(list(itertools.permutations(range(k))), dtype=np.int64)
    flat = np.arange(k)[None, :] * k + perms  # position of cost[j, perm[j]] in a flat K*K cost
    incidence = np.zeros((k * k, len(perms)))
    for j in range(k):
        incidence[flat[:, j], np.arange(len(perms))] = 1.0
    perms.setflags(write=False)
    incidence.setflags(write=False)
    return perms, incidence


def _solve_enumerate(cost):
    perms, incidence = _all_perms(cost.shape[1])
    n_draws, k = cost.shape[:2]
    out = np.empty((n_draws, k), dtype=np.int64)
    step = max(1, _CHUNK_ELEMENTS // len(perms))
    for s in range(0, n_draws, step):
        totals = cost[s : s + step].reshape(-1, k * k) @ incidence
        out[s : s + step] = perms[np.argmin(totals, axis=1)]
    return out


def _solve_lsa(cost):
    out = np.empty(cost.shape[:2], dtype=np.int64)
    for t in range(cost.shape[0]):
        out[t] = linear_sum_assignment(cost[t])[1]
    return out


def _total(cost, perm):
    return np.take_along_axis(cost, perm[:, :, None], axis=2)[:, :, 0].sum(axis=1)


def assign(cost, current):
    """Solve ``min_perm sum_j cost[t, j, perm[t, j]]`` for every draw ``t``.

    ``cost[t, j, l]`` is the cost of giving original label ``l`` the new label ``j``. Where the
    current permutation is optimal (up to a relative tolerance) it is kept.
    """
    k = cost.shape[1]
    best = _solve_enumerate(cost) if k <= ENUMERATE_MAX_K else _solve_lsa(cost)
    c_best, c_now = _total(cost, best), _total(cost, current)
    keep = c_now <= c_best + _TIE_RTOL * (1.0 + np.abs(c_best))
    best[keep] = current[keep]
    return best
