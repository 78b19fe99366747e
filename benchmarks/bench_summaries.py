"""Peak memory and time of the label-invariant summaries on a large posterior.

The issue's target: 4,000 draws, n = 100,000 observations, K = 10 components, in at most 2 GB of
working memory beyond the input. A dense (draw, obs, component) array of that size is 32 GB and a
dense co-clustering matrix 80 GB, so the summaries stream over chunks of draws: assignment
probabilities come back as a lazy dask array (reduced here to their mean over draws), co-clustering
is asked for a sub-sampled block, and the predictive density and occupancy never hold more than one
chunk.

Each summary runs in its own process (so peaks do not mix); the script prints its time and its peak
resident memory beyond the process's memory once the input was built, and the ratio of that peak to
the dense array the naive numpy route would allocate. Nothing is asserted: this machine is shared.

    .venv/bin/python benchmarks/bench_summaries.py                 # the full size (several minutes)
    .venv/bin/python benchmarks/bench_summaries.py --draws 400 --n 10000   # a quick look
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

SUMMARIES = ("assignment_probs", "coclustering", "predictive_density", "n_occupied")
GIB = 2**30


def _status(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def _reset_peak():
    # writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0)
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def _posterior(draws, n, k, seed=0):
    import xarray as xr

    rng = np.random.default_rng(seed)
    chains = 4
    shape = (chains, draws // chains, k)
    dims = ("chain", "draw", "component")
    w = rng.dirichlet(np.ones(k), size=shape[:2])
    mu = np.sort(rng.normal(0.0, 10.0, shape), axis=-1)
    sigma = rng.uniform(0.5, 2.0, shape)
    post = xr.Dataset({"w": (dims, w), "mu": (dims, mu), "sigma": (dims, sigma)})
    y = rng.normal(0.0, 10.0, n)
    return post, y


def _one(name, draws, n, k):
    from mixlab import invariants as inv

    post, y = _posterior(draws, n, k)
    _reset_peak()
    before = _status("VmRSS")
    start = time.perf_counter()
    if name == "assignment_probs":
        p = inv.assignment_probs(post, y)
        p.mean(("chain", "draw")).compute(scheduler="threads")
    elif name == "coclustering":
        idx = np.sort(np.random.default_rng(1).choice(n, size=min(n, 2000), replace=False))
        inv.coclustering(post, y, rows=idx, cols=idx)
    elif name == "predictive_density":
        inv.predictive_density(post, np.linspace(y.min(), y.max(), 512))
    else:
        inv.n_occupied(post, y, rng=0)
    seconds = time.perf_counter() - start
    peak = _status("VmHWM") - before
    print(json.dumps({"name": name, "seconds": seconds, "peak": peak}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=4000)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--one", choices=SUMMARIES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _one(args.one, args.draws, args.n, args.k)
        return
    dense = 8 * args.draws * args.n * args.k
    print(f"{args.draws} draws, n = {args.n}, K = {args.k}; a dense (draw, obs, component) array "
          f"needs {dense / GIB:.1f} GiB")
    print(f"{'summary':<20} {'seconds':>8} {'peak GiB':>9} {'peak / dense':>13}")
    for name in SUMMARIES:
        out = subprocess.run(
            [sys.executable, __file__, "--one", name, "--draws", str(args.draws), "--n",
             str(args.n), "--k", str(args.k)],
            check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
        res = json.loads(out)
        print(f"{name:<20} {res['seconds']:8.1f} {res['peak'] / GIB:9.3f} "
              f"{res['peak'] / dense:13.4f}")


if __name__ == "__main__":
    main()
