"""Benchmark of mixlab.partitions: distances, expected losses and the point-estimate search.

Run from the repository root::

    .venv/bin/python benchmarks/bench_partitions.py             # issue 14's size: n = 1,000 x 2,000 draws
    .venv/bin/python benchmarks/bench_partitions.py --quick     # smaller sizes only

Draws come from a known partition (K = 5 clusters) in which every label is re-drawn with
probability ``--noise`` and every draw's labels are scrambled by a random permutation. Printed:

1. Distances between two partitions of n observations (contingency table, O(n log n)) against the
   pairwise baseline (an n x n comparison matrix, O(n^2)), checked to agree.
2. The posterior expected VI of one candidate over all draws (contingency tables vectorised over
   draws) against a Python loop over draws calling ``vi_distance``, checked to agree.
3. The cost of one search step, every move of one observation (``VIState.costs``: one gather of the
   draws' contingency slices) against recomputing the expected VI of every candidate move from
   scratch (vectorised over draws), checked to agree; and the sweep time each implies.
4. ``point_estimate(loss="vi")`` and ``point_estimate(loss="binder")`` end to end (issue 14's target:
   the VI search on n = 1,000 x 2,000 draws in under 30 s on 2 cores), with the expected loss, the
   number of clusters, the VI to the true partition and each run's start, sweeps and loss; once on
   a clear posterior (K = 5, 15% of labels re-drawn) and once on a noisy one (K = 10, 50%), where
   VI's optimum has fewer clusters than the truth and sequential allocation ends at singletons.
5. The exact enumeration at n = 10 (Bell(10) = 115,975 partitions).

Times are printed, never asserted: the machine is shared and timings vary by tens of percent.
"""

from __future__ import annotations

import argparse
import time
import timeit

import numpy as np

from mixlab.partitions import _search as search
from mixlab.partitions import binder_distance, point_estimate, vi_distance
from mixlab.partitions._distances import vi_to_draws
from mixlab.partitions._inputs import canonical, distinct


def synthetic(n, draws, k=5, noise=0.15, seed=0):
    rng = np.random.default_rng(seed)
    truth = np.sort(rng.integers(0, k, size=n))
    z = np.where(rng.random((draws, n)) < noise, rng.integers(0, k, size=(draws, n)), truth)
    perms = np.argsort(rng.random((draws, k)), axis=1)
    return truth, np.take_along_axis(perms, z, axis=1)


def best_of(fn, repeat):
    """``(result, best wall time of repeat calls)``."""
    box = []
    best = min(timeit.repeat(lambda: box.append(fn()), number=1, repeat=repeat))
    return box[-1], best


def pairwise_binder_vi(a, b):
    """Baseline: Binder share from the n x n co-membership matrices; VI from a per-cell loop."""
    sa, sb = a[:, None] == a[None, :], b[:, None] == b[None, :]
    n = a.size
    binder = (sa != sb).sum() / 2 / (n * (n - 1) / 2)
    vi = 0.0
    for u in np.unique(a):
        for v in np.unique(b):
            nuv = np.sum((a == u) & (b == v))
            if nuv:
                nu, nv = np.sum(a == u), np.sum(b == v)
                vi -= nuv / n * (np.log(nuv / nu) + np.log(nuv / nv))
    return binder, vi


def table_distances(n, repeat):
    print(f"\n1. distances between two partitions, n = {n:,}")
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 8, n), rng.integers(0, 12, n)
    (fast_b, fast_v), t_fast = best_of(lambda: (binder_distance(a, b), vi_distance(a, b)), repeat)
    (slow_b, slow_v), t_slow = best_of(lambda: pairwise_binder_vi(a, b), repeat)
    assert np.isclose(fast_b, slow_b) and np.isclose(fast_v, slow_v)
    print(f"   contingency {t_fast * 1e3:8.2f} ms   pairwise baseline {t_slow * 1e3:8.2f} ms   "
          f"x{t_slow / t_fast:,.0f}")


def expected_vi(n, draws, repeat):
    print(f"\n2. expected VI of one candidate, n = {n:,}, draws = {draws:,}")
    truth, z = synthetic(n, draws)
    zc, w = canonical(z), np.full(draws, 1.0 / draws)
    fast, t_fast = best_of(lambda: float(w @ vi_to_draws(truth, zc)), repeat)
    slow, t_slow = best_of(lambda: float(np.mean([vi_distance(truth, row) for row in z])), 1)
    assert np.isclose(fast, slow)
    print(f"   vectorised over draws {t_fast:7.3f} s   loop over draws {t_slow:7.3f} s   "
          f"x{t_slow / t_fast:,.1f}   (E[VI] = {fast:.4f})")


def move_costs(n, draws, repeat):
    print(f"\n3. one search step (every move of one observation), n = {n:,}, draws = {draws:,}")
    truth, z = synthetic(n, draws)
    zd, w = distinct(z)
    state = search.start_from(search.VIState(zd, w), truth)
    k = truth.max() + 1
    picks = np.random.default_rng(2).choice(n, 8, replace=False)

    def incremental():
        out = []
        for i in picks:
            current = state.labels[i]
            state.remove(i)
            out.append(state.costs(i)[: k + 1])
            state.add(i, current)
        return np.array(out)

    def from_scratch():
        out = []
        for i in picks:
            row = []
            for j in range(k + 1):
                moved = truth.copy()
                moved[i] = j
                row.append(n * float(w @ vi_to_draws(moved, zd)))
            out.append(np.array(row) - row[truth[i]])
        return np.array(out)

    fast, t_fast = best_of(incremental, repeat)
    slow, t_slow = best_of(from_scratch, 1)
    fast = fast - fast[np.arange(picks.size), truth[picks]][:, None]
    assert np.allclose(fast, slow, atol=1e-6), np.abs(fast - slow).max()
    per_fast, per_slow = t_fast / picks.size, t_slow / picks.size
    print(f"   incremental {per_fast * 1e3:8.3f} ms/obs (a sweep: {per_fast * n:6.2f} s)   "
          f"from scratch {per_slow * 1e3:8.1f} ms/obs (a sweep: {per_slow * n:8.1f} s)   "
          f"x{per_slow / per_fast:,.0f}")


def end_to_end(n, draws, n_starts):
    for k, noise in ((5, 0.15), (10, 0.5)):
        print(f"\n4. point_estimate, n = {n:,}, draws = {draws:,}, n_starts = {n_starts}, "
              f"K = {k}, noise = {noise}")
        truth, z = synthetic(n, draws, k=k, noise=noise)
        for loss in ("vi", "binder"):
            t0 = time.perf_counter()
            est = point_estimate(z, loss=loss, method="search", n_starts=n_starts, rng=0)
            seconds = time.perf_counter() - t0
            runs = ", ".join(f"{r['start']} {r['sweeps']} {r['expected_loss']:.4f}"
                             for r in est.info["runs"])
            print(f"   loss={loss:<7}{seconds:7.2f} s   E[loss] = {est.expected_loss:.5f}   "
                  f"clusters = {est.info['n_clusters']}   VI to truth = "
                  f"{vi_distance(est.partition, truth):.4f}   E[loss] of the truth = "
                  f"{np.mean([(vi_distance if loss == 'vi' else binder_distance)(truth, r) for r in z]):.5f}")
            print(f"      runs (start, sweeps, E[loss]): {runs}")


def exact(draws, repeat):
    print(f"\n5. exact enumeration, n = 10, draws = {draws}")
    truth, z = synthetic(10, draws, k=3, noise=0.3)
    for loss in ("vi", "binder"):
        est, t = best_of(lambda loss=loss: point_estimate(z, loss=loss, method="exact"), repeat)
        found = point_estimate(z, loss=loss, method="search", rng=0)
        print(f"   loss={loss:<7}{t:7.2f} s   distinct draws = {est.info['n_distinct_draws']}   "
              f"E[loss] = {est.expected_loss:.5f}   search reaches it: "
              f"{np.isclose(found.expected_loss, est.expected_loss)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes only")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many timings")
    parser.add_argument("--n-starts", type=int, default=8, help="runs of the search")
    args = parser.parse_args()
    n, draws = (300, 500) if args.quick else (1000, 2000)
    table_distances(2000 if args.quick else 5000, args.repeat)
    expected_vi(n, draws, args.repeat)
    move_costs(n, draws, args.repeat)
    end_to_end(n, draws, args.n_starts)
    exact(200, 1)


if __name__ == "__main__":
    main()
