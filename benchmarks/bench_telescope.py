"""Benchmark of mixlab.telescope.sample: wall time per sweep and effective draws per second.

Run from the repository root::

    .venv/bin/python benchmarks/bench_telescope.py            # galaxy and n = 1,000 / 10,000
    .venv/bin/python benchmarks/bench_telescope.py --quick    # galaxy only

Printed for each data set: the time of ``chains x (tune + draws)`` sweeps (chains run one after the
other), the time per sweep, the posterior of K+ (its three most probable values), the Metropolis-
Hastings acceptance rate of gamma, and the bulk ESS of K_plus and gamma per second and R-hat of K_plus. The galaxy run is
the target (4 chains x 2,000 sweeps in a few seconds on one core). The four-group data sets start
their chains at K = 2, 4, 10 and 20: R-hat of K_plus far above 1 there shows the slow moves between
numbers of clusters of one-observation-at-a-time Gibbs updates on large groups (see the Notes of
``telescope.sample``). Times are printed, never asserted: the machine is shared and timings vary by
tens of percent.
"""

from __future__ import annotations

import argparse
import time

import arviz as az
import numpy as np

from mixlab import telescope
from mixlab.datasets import load_galaxy


def run(name, y, chains, draws, tune, seed=0, K_init=None):
    start = time.perf_counter()
    idata = telescope.sample(y, chains=chains, draws=draws, tune=tune, K_init=K_init, random_seed=seed)
    wall = time.perf_counter() - start
    sweeps = chains * (draws + tune)
    kp = telescope.k_posterior(idata)["p_k_plus"]
    top = kp.sortby(kp, ascending=False)[:3]
    ess = az.ess(idata, var_names=["K_plus", "gamma"])
    rhat = float(az.rhat(idata, var_names=["K_plus"])["K_plus"])
    acc = float(np.nanmean(idata.sample_stats["acceptance"]))
    tops = ", ".join(f"{int(k)}: {float(p):.2f}" for k, p in zip(top["k_plus"], top, strict=True))
    print(f"{name:>14}  n={y.size:>6}  {chains} x {draws + tune} sweeps  {wall:6.2f} s  "
          f"{1e6 * wall / sweeps:7.0f} us/sweep  K+ [{tops}]  acc {acc:.2f}  "
          f"ESS/s K+ {float(ess['K_plus']) / wall:6.0f}  gamma {float(ess['gamma']) / wall:6.0f}  "
          f"R-hat K+ {rhat:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="galaxy only")
    args = parser.parse_args()
    run("galaxy", load_galaxy(), chains=4, draws=1000, tune=1000)
    if args.quick:
        return
    rng = np.random.default_rng(1)
    for n in (1_000, 10_000):
        z = rng.integers(0, 4, size=n)
        y = rng.normal(np.array([-6.0, -2.0, 2.0, 6.0])[z], 1.0)
        run("four groups", y, chains=4, draws=500, tune=500, K_init=[2, 4, 10, 20])


if __name__ == "__main__":
    main()
