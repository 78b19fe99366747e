"""Benchmark of the newer mixlab.relabel methods against plain per-draw numpy loops.

Run from the repository root::

    .venv/bin/python benchmarks/bench_relabel_methods.py             # default sizes
    .venv/bin/python benchmarks/bench_relabel_methods.py --repeat 3  # best of 3 runs per timing
    .venv/bin/python benchmarks/bench_relabel_methods.py --quick     # small sizes, a smoke test

For ``pra``, ``data_based``, ``ecr_iterative(variant=2)`` and ``sjw`` it times mixlab's
vectorised implementation and a straightforward baseline that loops over the draws in Python
(as a direct port of the R code of ``label.switching`` would: per-draw cost tables and
``scipy.optimize.linear_sum_assignment``, or for ``sjw`` a loop over the ``K!`` permutations of
every draw), checks that both return the same permutations, and prints the ratio. Synthetic
posteriors come from ``bench_relabel.synthetic`` (scrambled labels of a known truth); ``undone``
is the share of draws whose scrambling was undone up to one global permutation.

``sjw`` is timed for a fixed number of EM iterations (``tol=0``) in both implementations, so the
ratio is per iteration. Times are printed, never asserted: the machine is shared.
"""

from __future__ import annotations

import argparse
import itertools
import warnings

import numpy as np
from bench_relabel import measure, synthetic, undone_share
from scipy.optimize import linear_sum_assignment

from mixlab import relabel as rl

SIZES = {"pra": [(4000, 4, 3), (4000, 10, 3)], "data_based": [(2000, 300, 4), (2000, 300, 8)],
         "ecr2": [(2000, 300, 4), (2000, 300, 8)], "sjw": [(1000, 100, 3), (1000, 100, 4)]}
QUICK = {"pra": [(200, 4, 3)], "data_based": [(200, 50, 3)], "ecr2": [(200, 50, 3)],
         "sjw": [(100, 30, 3)]}
SJW_ITERATIONS = 3


def parameters(p, z, y):
    """Component parameters (w, mu, sigma) of every draw implied by its allocations and the data."""
    draws, _, k = p.shape
    onehot = np.eye(k)[z]  # (draws, n, K)
    counts = onehot.sum(axis=1) + 1.0
    w = counts / counts.sum(axis=1, keepdims=True)
    mu = (onehot * y[None, :, None]).sum(axis=1) / counts
    sigma = np.sqrt((onehot * (y[None, :, None] - mu[:, None, :]) ** 2).sum(axis=1) / counts + 0.1)
    return np.stack([w, mu, sigma], axis=2)


def noisy_draws(scramble, seed=0):
    """Draws of (w, mu, sigma) around a truth (mu_j = 4 j), scrambled by ``scramble``."""
    rng = np.random.default_rng(seed)
    draws, k = scramble.shape
    w = rng.dirichlet(np.full(k, 50.0), size=draws)
    mu = 4.0 * np.arange(k) + 0.5 * rng.standard_normal((draws, k))
    sigma = np.exp(0.1 * rng.standard_normal((draws, k)))
    return np.take_along_axis(np.stack([w, mu, sigma], axis=2), scramble[:, :, None], axis=1)


def data_for(z, scramble, k, seed=0):
    """Observations matching the truth of ``synthetic`` (true cluster j centred at 4 j)."""
    rng = np.random.default_rng(seed)
    true_z = np.take_along_axis(scramble, z, axis=1)  # the labels before scrambling
    mode = np.array([np.bincount(col, minlength=k).argmax() for col in true_z.T])
    return 4.0 * mode + rng.normal(0.0, 1.0, z.shape[1])


def normal_log_weighted(y):
    def log_weighted(theta):
        w, mu, sigma = theta[:, 0], theta[:, 1], theta[:, 2]
        return np.log(w) - np.log(sigma) - 0.5 * ((y[:, None] - mu) / sigma) ** 2

    return log_weighted


# --- baselines: a Python loop over draws ------------------------------------------------------


def loop_pra(values, target):
    perm = np.empty(values.shape[:2], dtype=np.int64)
    for t in range(values.shape[0]):
        perm[t] = linear_sum_assignment(-(target @ values[t].T))[1]
    return perm


def _keep(cost, new, old):
    k = cost.shape[0]
    a, b = cost[np.arange(k), new].sum(), cost[np.arange(k), old].sum()
    return old if b <= a + 1e-10 * (1 + abs(a)) else new


def loop_ecr2(z, p, k, max_iter=100):
    """Both starts of ``ecr_iterative(variant=2)``, each a loop over draws per iteration."""
    draws = z.shape[0]
    runs = []
    for first in (None, p[0].argmax(axis=1)):
        perm = np.tile(np.arange(k), (draws, 1))
        pivot = sum(p[t] for t in range(draws)).argmax(axis=1) if first is None else first
        for _ in range(max_iter):
            new = perm.copy()
            for t in range(draws):
                table = np.zeros((k, k))
                np.add.at(table, (pivot, z[t]), 1.0)  # table[j, l]: pivot j, label l
                new[t] = _keep(-table, linear_sum_assignment(-table)[1], perm[t])
            if (new == perm).all():
                break
            perm = new
            pivot = sum(p[t][:, perm[t]] for t in range(draws)).argmax(axis=1)
        agree = sum(int((np.argsort(perm[t])[z[t]] == pivot).sum()) for t in range(draws))
        runs.append((agree, perm))
    return max(runs, key=lambda run: run[0])[1]


def loop_data_based(y, k, z, max_iter=100):
    draws = z.shape[0]
    var_all = y.var()

    def stats(zt):
        return [(y[zt == c].size, y[zt == c].sum(), (y[zt == c] ** 2).sum()) for c in range(k)]

    per_draw = [stats(z[t]) for t in range(draws)]

    def cost(st, c, v):
        return np.array([[(s2 - 2 * c[j] * s1 + n * c[j] ** 2) / v[j] + n * np.log(v[j])
                          for n, s1, s2 in st] for j in range(k)])

    def centres(perm):
        tot = np.zeros((k, 3))
        for t in range(draws):
            tot += np.array(per_draw[t])[perm[t]]
        c = tot[:, 1] / tot[:, 0]
        return c, np.maximum(tot[:, 2] / tot[:, 0] - c**2, 1e-9 * var_all)

    c0 = np.array([s1 / n for n, s1, _ in per_draw[0]])
    v0 = np.array([max(s2 / n - (s1 / n) ** 2, 1e-9 * var_all) for n, s1, s2 in per_draw[0]])
    perm = np.tile(np.arange(k), (draws, 1))
    for t in range(draws):
        cst = cost(per_draw[t], c0, v0)
        perm[t] = _keep(cst, linear_sum_assignment(cst)[1], perm[t])
    for _ in range(max_iter):
        c, v = centres(perm)
        new = perm.copy()
        for t in range(draws):
            cst = cost(per_draw[t], c, v)
            new[t] = _keep(cst, linear_sum_assignment(cst)[1], perm[t])
        if (new == perm).all():
            break
        perm = new
    return perm


def loop_sjw(values, z, log_weighted, init, iterations):
    k = values.shape[1]
    perms = [np.array(pm) for pm in itertools.permutations(range(k))]
    theta = values[init]
    n = z.shape[1]

    def probs(t, table):
        s = np.array([table[np.arange(n), np.argsort(pm)[z[t]]].sum() for pm in perms])
        e = np.exp(s - s.max())
        return e / e.sum()

    for _ in range(iterations):
        table = log_weighted(theta)
        new = np.zeros_like(theta)
        for t in range(len(z)):
            for pr, pm in zip(probs(t, table), perms, strict=True):
                new += pr * values[t][pm]
        theta = new / len(z)
    table = log_weighted(theta)
    return np.array([perms[int(np.argmax(probs(t, table)))] for t in range(len(z))])


# --- the table --------------------------------------------------------------------------------


def row(name, size, fast, slow, scramble, repeat):
    perm, seconds, peak = measure(fast, repeat)
    ref, ref_seconds, _ = measure(slow, 1)
    same = "yes" if np.array_equal(perm, ref) else "NO"
    print(f"  {name:<16}{size!s:<18}{seconds:>9.3f}{peak:>10.1f}{undone_share(scramble, perm):>9.1%}"
          f"{ref_seconds:>12.3f}{ref_seconds / seconds:>8.0f}x{same:>6}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else SIZES
    print(f"  {'method':<16}{'size':<18}{'time s':>9}{'peak MiB':>10}{'undone':>9}"
          f"{'loop s':>12}{'x loop':>9}{'same':>6}")
    warnings.simplefilter("ignore", RuntimeWarning)
    for draws, k, n_par in sizes["pra"]:
        _, _, scramble = synthetic(draws, 10, k)
        values = noisy_draws(scramble)
        row("pra", (draws, k, n_par), lambda v=values: rl.pra(v, pivot=0),
            lambda v=values: loop_pra(v, v[0]), scramble, args.repeat)
    for draws, n, k in sizes["data_based"]:
        p, z, scramble = synthetic(draws, n, k)
        y = data_for(z, scramble, k)
        row("data_based", (draws, n, k), lambda y=y, z=z, k=k: rl.data_based(y, k, z),
            lambda y=y, z=z, k=k: loop_data_based(y, k, z), scramble, args.repeat)
    for draws, n, k in sizes["ecr2"]:
        p, z, scramble = synthetic(draws, n, k)
        row("ecr_iterative-2", (draws, n, k),
            lambda z=z, p=p, k=k: rl.ecr_iterative(z, k, variant=2, p=p),
            lambda z=z, p=p, k=k: loop_ecr2(z, p, k), scramble, args.repeat)
    for draws, n, k in sizes["sjw"]:
        p, z, scramble = synthetic(draws, n, k)
        y = data_for(z, scramble, k)
        values = parameters(p, z, y)
        lw = normal_log_weighted(y)
        row(f"sjw ({SJW_ITERATIONS} EM it.)", (draws, n, k),
            lambda v=values, z=z, lw=lw: rl.sjw(v, z, lw, init=0, max_iter=SJW_ITERATIONS, tol=0.0),
            lambda v=values, z=z, lw=lw: loop_sjw(v, z, lw, 0, SJW_ITERATIONS), scramble,
            args.repeat)


if __name__ == "__main__":
    main()
