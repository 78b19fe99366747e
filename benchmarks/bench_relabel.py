"""Benchmark of mixlab.relabel: Stephens and ECR time and peak memory, against two references.

Run from the repository root::

    .venv/bin/python benchmarks/bench_relabel.py            # the three sizes of issue 5
    .venv/bin/python benchmarks/bench_relabel.py --repeat 3 # best of 3 runs per timing

For each (draws, n, K) it builds a synthetic posterior with known labels whose draws are scrambled
by random label permutations, then prints for ``stephens`` and ``ecr`` (and ``ecr_iterative``):

- wall time (best of ``--repeat`` runs) and peak memory allocated during the call (tracemalloc,
  inputs excluded);
- the ratio to a same-run baseline: a straightforward per-draw implementation (a Python loop over
  draws, relabelling each draw's probabilities/allocations and calling
  ``scipy.optimize.linear_sum_assignment``), checked to reach the same loss;
- at (2000, 300, 4) only, the ratio to the R package label.switching (Papastamoulis 2016) on this
  kind of machine as quoted in issue 5: ``stephens`` about 3 s and ``ecr`` about 0.4 s. These are
  quoted figures, not measured here (R is not installed), so read them as orders of magnitude;
- the share of draws whose scrambling was undone (up to one global permutation).

A further table times the assignment solvers alone per K (enumeration of all K! permutations vs
the ``linear_sum_assignment`` loop), which is how ``mixlab.relabel.ENUMERATE_MAX_K`` was chosen.

The last table times applying the permutations to a posterior (``relabel``'s ``_permute``, xarray
vectorised indexing) against the hand-written numpy gather (``np.take_along_axis``) it replaced,
kept below as the baseline and checked to give the same values.

Times are printed, never asserted: the machine is shared and timings vary by tens of percent.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
from scipy.optimize import linear_sum_assignment

from mixlab import relabel as rl
from mixlab.relabel import _assign as solver

SIZES = [(2000, 300, 4), (4000, 1000, 6), (2000, 200, 10)]
R_SECONDS = {"stephens": 3.0, "ecr": 0.4}  # label.switching at (2000, 300, 4), issue 5
R_SIZE = (2000, 300, 4)


def synthetic(draws, n, k, seed=0):
    """Assignment probabilities, allocations and the scrambling permutations of a known truth."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, size=n)
    logits = 4.0 * np.eye(k)[truth][None, :, :] + rng.normal(0.0, 1.0, size=(draws, n, k))
    p = np.exp(logits - logits.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    u = rng.random((draws, n, 1))
    z = (p.cumsum(axis=-1) < u).sum(axis=-1).clip(max=k - 1)
    scramble = np.argsort(rng.random((draws, k)), axis=1)  # scrambled[t, j] = truth[t, scramble[t, j]]
    p = np.take_along_axis(p, scramble[:, None, :], axis=2)
    inverse = np.argsort(scramble, axis=1)
    z = np.take_along_axis(inverse, z, axis=1)
    return p, z, scramble


def undone_share(scramble, perm):
    """Share of draws whose composed permutation equals the most frequent one."""
    composed = np.take_along_axis(scramble, perm, axis=1)
    _, counts = np.unique(composed, axis=0, return_counts=True)
    return counts.max() / composed.shape[0]


# --- naive baselines: a per-draw loop, as a direct port of the algorithms would be written ------


def naive_stephens(p, max_iter=100):
    draws, n, k = p.shape
    perm = np.tile(np.arange(k), (draws, 1))
    for _ in range(max_iter):
        q = np.zeros((n, k))
        for t in range(draws):
            q += p[t][:, perm[t]]
        log_q = np.log(np.clip(q / draws, rl.CLIP, 1 - rl.CLIP))
        changed = False
        for t in range(draws):
            cost = -(log_q.T @ p[t])
            new = linear_sum_assignment(cost)[1]
            if cost[np.arange(k), new].sum() < cost[np.arange(k), perm[t]].sum() - 1e-10 * (
                1 + abs(cost[np.arange(k), new].sum())
            ):
                perm[t] = new
                changed = True
        if not changed:
            break
    return perm


def naive_ecr(z, pivot, k):
    draws = z.shape[0]
    perm = np.empty((draws, k), dtype=np.int64)
    for t in range(draws):
        table = np.zeros((k, k))
        np.add.at(table, (z[t], pivot), 1.0)
        perm[t] = linear_sum_assignment(-table.T)[1]
    return perm


def stephens_loss(p, perm):
    """Sum over draws of -sum_ij p_t[i, perm(j)] log q[i, j] (the part of the KL loss that varies)."""
    rel = np.take_along_axis(p, perm[:, None, :], axis=2)
    q = np.clip(rel.mean(axis=0), rl.CLIP, 1 - rl.CLIP)
    return float(-(rel * np.log(q)).sum())


def ecr_agreement(z, pivot, perm):
    new = np.take_along_axis(np.argsort(perm, axis=1), z, axis=1)
    return int((new == pivot[None, :]).sum())


def measure(fn, repeat):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, best, peak / 2**20


def run_size(draws, n, k, repeat, baseline):
    p, z, scramble = synthetic(draws, n, k)
    pivot = np.argmax(p[0], axis=1)  # MAP allocation of the first draw
    print(f"\n(draws, n, K) = ({draws}, {n}, {k})   input p: {p.nbytes / 2**20:.0f} MiB")
    header = f"  {'method':<14}{'time s':>9}{'peak MiB':>10}{'undone':>9}{'baseline s':>12}{'x base':>8}"
    header += f"{'x R':>8}"
    print(header)
    rows = [
        ("stephens", lambda: rl.stephens(p), lambda: naive_stephens(p)),
        ("ecr", lambda: rl.ecr(z, pivot, k), lambda: naive_ecr(z, pivot, k)),
        ("ecr_iterative", lambda: rl.ecr_iterative(z, k), None),
    ]
    for name, fast, slow in rows:
        perm, seconds, peak = measure(fast, repeat)
        line = f"  {name:<14}{seconds:>9.3f}{peak:>10.1f}{undone_share(scramble, perm):>9.1%}"
        if slow is not None and baseline:
            ref, ref_seconds, _ = measure(slow, 1)
            if name == "stephens":
                same = np.isclose(stephens_loss(p, perm), stephens_loss(p, ref), rtol=1e-9)
            else:
                same = ecr_agreement(z, pivot, perm) == ecr_agreement(z, pivot, ref)
            flag = "" if same else " (baseline reached a different loss!)"
            line += f"{ref_seconds:>12.3f}{ref_seconds / seconds:>7.0f}x"
        else:
            line += f"{'-':>12}{'-':>8}"
            flag = ""
        if (draws, n, k) == R_SIZE and name in R_SECONDS:
            line += f"{R_SECONDS[name] / seconds:>7.0f}x"
        else:
            line += f"{'-':>8}"
        print(line + flag)


def solver_table(draws=4000, repeat=3):
    print(f"\nAssignment solvers alone, {draws} random K x K problems (best of {repeat}, seconds)")
    print(f"  {'K':>3}{'enumerate':>11}{'lsa loop':>10}  faster")
    rng = np.random.default_rng(1)
    for k in range(2, 8):
        cost = rng.random((draws, k, k))
        t_enum = min(_time(lambda c=cost: solver._solve_enumerate(c)) for _ in range(repeat))
        t_lsa = min(_time(lambda c=cost: solver._solve_lsa(c)) for _ in range(repeat))
        faster = "enumerate" if t_enum < t_lsa else "lsa loop"
        print(f"  {k:>3}{t_enum:>11.4f}{t_lsa:>10.4f}  {faster}")
    print(f"  mixlab.relabel.ENUMERATE_MAX_K = {rl.ENUMERATE_MAX_K}")


def numpy_permute(ds, perm, *, dim="component", sample_dims=("chain", "draw")):
    """The former hand-written gather of mixlab.relabel._permute (baseline)."""
    shape = tuple(ds.sizes[d] for d in sample_dims)
    perm = perm.reshape(*shape, ds.sizes[dim])
    inverse = np.argsort(perm, axis=-1)
    out = {}
    for name, da in ds.data_vars.items():
        if dim in da.dims:
            rest = [d for d in da.dims if d not in (*sample_dims, dim)]
            t = da.transpose(*sample_dims, dim, *rest)
            idx = perm.reshape(perm.shape + (1,) * len(rest))
            out[name] = t.copy(data=np.take_along_axis(t.values, idx, axis=len(shape)))
        elif "obs" in da.dims:
            t = da.transpose(*sample_dims, ...)
            flat = t.values.reshape(*shape, -1)
            out[name] = t.copy(data=np.take_along_axis(inverse, flat, axis=-1).reshape(t.shape))
    return out


def permute_table(repeat=3):
    import xarray as xr

    from mixlab.relabel._posterior import _permute

    print(f"\nApplying permutations to a posterior (best of {repeat}, seconds)")
    print(f"  {'chains x draws':>15}{'K':>4}{'n':>6}{'xarray isel':>13}{'numpy gather':>14}{'x numpy':>9}")
    rng = np.random.default_rng(2)
    for chains, draws, k, n in ((4, 1000, 3, 300), (4, 1000, 10, 1000), (8, 5000, 6, 200)):
        comp = ("chain", "draw", "component")
        ds = xr.Dataset({
            "mu": (comp, rng.standard_normal((chains, draws, k))),
            "w": (comp, rng.random((chains, draws, k))),
            "beta": ((*comp, "x"), rng.standard_normal((chains, draws, k, 3))),
            "z": (("chain", "draw", "obs"), rng.integers(0, k, (chains, draws, n))),
        })
        perm = np.argsort(rng.random((chains * draws, k)), axis=1)
        kw = dict(dim="component", sample_dims=("chain", "draw"), labels=["z"], method="sort")
        t_new = min(_time(lambda d=ds, q=perm, a=kw: _permute(d, q, **a)) for _ in range(repeat))
        t_old = min(_time(lambda d=ds, q=perm: numpy_permute(d, q)) for _ in range(repeat))
        new, old = _permute(ds, perm, **kw), numpy_permute(ds, perm)
        same = all(np.array_equal(new[v].transpose(*old[v].dims).values, old[v].values) for v in old)
        print(f"  {f'{chains} x {draws}':>15}{k:>4}{n:>6}{t_new:>13.4f}{t_old:>14.4f}"
              f"{t_old / t_new:>8.2f}x" + ("" if same else "  (different values!)"))


def _time(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="timings are the best of this many runs")
    parser.add_argument("--no-baseline", action="store_true", help="skip the slow per-draw baseline")
    args = parser.parse_args()
    print("mixlab.relabel benchmark: ratios > 1 mean mixlab is faster")
    print(f"R label.switching reference at {R_SIZE}: stephens ~{R_SECONDS['stephens']} s, "
          f"ecr ~{R_SECONDS['ecr']} s (quoted in issue 5, not measured here)")
    for size in SIZES:
        run_size(*size, repeat=args.repeat, baseline=not args.no_baseline)
    solver_table()
    permute_table(max(args.repeat, 3))


if __name__ == "__main__":
    main()
