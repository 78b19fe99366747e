"""Benchmark of the book's models on three samplers: PyMC's NUTS on PyTensor's numba and C backends, and nutpie.

Run from the repository root (``make bench`` runs it with the BLAS configuration the Makefile exports)::

    .venv/bin/python benchmarks/bench_samplers.py              # 2 chains x 1000 draws, one run each
    .venv/bin/python benchmarks/bench_samplers.py --repeat 3   # median of 3 runs per cell

For each model the book fits (``gmm`` with K = 3 and ``mixture_regression`` with K = 2 on simulated data
with well-separated components, ``mv_gmm`` on Old Faithful with K = 2) and each sampler it prints the wall time of ``pm.sample`` (compilation
included, as a chapter pays it), the smallest bulk ESS over the model's parameters, their ratio (ESS/s),
and both as ratios to PyMC NUTS on the numba backend in the same run. Timings are printed, never asserted:
the machine is shared and timings vary by tens of percent.

Backends: ``compile_kwargs={"mode": "NUMBA"}`` (PyTensor's default here) and ``{"mode": "CVM"}`` (C code
linked to a BLAS through ``PYTENSORRC``; see ``.ci/ensure-blas``); nutpie compiles the model with numba.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
import warnings

import arviz as az
import numpy as np
import pymc as pm
import pytensor

from mixlab.datasets import load_faithful
from mixlab.models import gmm, initvals, mixture_regression, mv_gmm
from mixlab.simulate import simulate_gmm, simulate_mixture_regression

SAMPLERS = {
    "pymc + numba": {"nuts_sampler": "pymc", "compile_kwargs": {"mode": "NUMBA"}},
    "pymc + C": {"nuts_sampler": "pymc", "compile_kwargs": {"mode": "CVM"}},
    "nutpie": {"nuts_sampler": "nutpie"},
}
BASELINE = "pymc + numba"


def _models():
    # well-identified fits, so that ESS measures the sampler and not a multimodal posterior
    y, _ = simulate_gmm([0.5, 0.3, 0.2], [-4.0, 0.0, 4.0], [1.0, 0.7, 1.2], n=300, rng=1)
    mixture = gmm(y, K=3)
    x, yr, _ = simulate_mixture_regression([0.5, 0.5], [0.0, 8.0], [1.0, -0.5], [0.7, 0.7], n=200, rng=1)
    regression = mixture_regression(x, yr, K=2)
    faithful = mv_gmm(load_faithful(), K=2)
    return {
        "gmm (simulated, n=300, K=3)": (mixture, initvals(mixture)),
        "mixture_regression (n=200, K=2)": (regression, initvals(regression)),
        "mv_gmm (faithful, K=2)": (faithful, initvals(faithful)),
    }


def _run(model, start, options, draws, seed):
    t0 = time.perf_counter()
    with model:
        idata = pm.sample(draws=draws, tune=draws, chains=2, initvals=start, random_seed=seed,
                          progressbar=False, compute_convergence_checks=False, **options)
    seconds = time.perf_counter() - t0
    names = [v.name for v in model.free_RVs if v.name in idata.posterior]
    ess = az.ess(idata, var_names=names, method="bulk").to_dataset()
    return seconds, float(min(float(ess[v].min()) for v in ess.data_vars))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    logging.getLogger("pymc").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=UserWarning)
    print(f"PyTensor BLAS flags: {pytensor.config.blas__ldflags or '(none)'}")
    print(f"2 chains x {args.draws} draws after {args.draws} tuning steps; median of {args.repeat} run(s)\n")
    header = f"{'model':34s} {'sampler':14s} {'wall s':>8s} {'min ESS':>8s} {'ESS/s':>8s} {'time ratio':>11s} {'ESS/s ratio':>12s}"
    for label, (model, start) in _models().items():
        print(header)
        rows = {}
        for name, options in SAMPLERS.items():
            runs = [_run(model, start, options, args.draws, seed) for seed in range(1, args.repeat + 1)]
            seconds = statistics.median(r[0] for r in runs)
            ess = statistics.median(r[1] for r in runs)
            rows[name] = (seconds, ess, ess / seconds)
        base = rows[BASELINE]
        for name, (seconds, ess, rate) in rows.items():
            print(f"{label:34s} {name:14s} {seconds:8.1f} {ess:8.0f} {rate:8.1f} "
                  f"{seconds / base[0]:11.2f} {rate / base[2]:12.2f}")
        print()
    print(f"Ratios are against {BASELINE!r} in this run: time ratio < 1 is faster, ESS/s ratio > 1 is better.")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
