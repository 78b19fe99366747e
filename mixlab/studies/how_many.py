"""How many components: ``p(K | y)`` and ``p(K+ | y)`` on galaxy, acidity and enzyme, three ways.

Run ``python -m mixlab.studies.how_many`` (about 15 minutes on 2 cores) to rewrite
``mixlab/data/results/how_many.csv`` and its metadata ``how_many.json`` (versions, seeds, settings,
date); ``--reduced --out DIR`` runs a small version in seconds (the unit tests do). All three
methods use the component priors of Richardson & Green (1997) (:func:`mixlab.models.rg_priors`):

- ``smc``: evidence ``p(y | K)`` of :func:`mixlab.models.rg_gmm` (uniform weights) for
  ``K = 1..K_max`` by :func:`mixlab.evidence.sample_smc`, ``runs`` independent runs each, combined
  with two priors on K: uniform on ``1..K_max`` and the beta-negative-binomial BNB(1, 4, 3) of
  Frühwirth-Schnatter, Malsiner-Walli & Grün (2021) truncated to ``1..K_max``;
- ``telescope_static``: the telescoping sampler with the same model (uniform weights, ``alpha = 1``
  fixed) and the BNB(1, 4, 3) prior on K (truncated at ``K_max``): the same posterior over K as
  ``smc`` with that prior, by an entirely different algorithm;
- ``telescope_dynamic``: the paper's recommended prior, ``e_K = gamma / K`` with
  ``gamma ~ F(6, 3)`` (K up to 30);
- ``dp``: a Dirichlet-process mixture (:func:`mixlab.models.dp_gmm`, truncation 20,
  ``alpha ~ Gamma(2, 4)``): ``p(K+ | y)`` only (a DP has infinitely many components).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from mixlab.studies._meta import versions

__all__ = ["FULL", "REDUCED", "RESULTS", "load_results", "run"]

#: Where the shipped results live.
RESULTS = Path(__file__).resolve().parent.parent / "data" / "results"

#: Settings of the full analysis (what ``python -m mixlab.studies.how_many`` runs).
FULL = {"datasets": ["galaxy", "acidity", "enzyme"], "K_max": 7, "smc_draws": 4000, "runs": 8,
        "ts_draws": 20000, "ts_tune": 2000, "ts_chains": 4, "dp_draws": 1000, "dp_tune": 1000,
        "dp_chains": 2, "truncation": 20, "seed": 20261201}
#: Settings of the reduced run (``--reduced``; the tests run it): seconds, not minutes.
REDUCED = {"datasets": ["galaxy"], "K_max": 2, "smc_draws": 100, "runs": 2, "ts_draws": 200,
           "ts_tune": 100, "ts_chains": 2, "dp_draws": 30, "dp_tune": 30, "dp_chains": 1,
           "truncation": 5, "seed": 1}

_COLUMNS = ["dataset", "method", "quantity", "k", "p", "se"]


def _rows(dataset, method, quantity, ks, p, se=None):
    se = np.full(len(ks), np.nan) if se is None else np.asarray(se, dtype=float)
    return [dict(dataset=dataset, method=method, quantity=quantity, k=int(k), p=float(pk),
                 se=float(e)) for k, pk, e in zip(ks, p, se, strict=True)]


def _smc(name, y, s, seed):
    from mixlab.evidence import log_evidence, posterior_over_k, sample_smc
    from mixlab.models import rg_gmm

    log_z = {}
    for K in range(1, s["K_max"] + 1):
        idata = sample_smc(rg_gmm(y, K), s["smc_draws"], chains=s["runs"], random_seed=seed + K)
        log_z[K] = log_evidence(idata)
    # every run's estimate, as quantity "log_evidence" (k = K; p = the estimate; se = run number)
    rows = [dict(dataset=name, method="smc", quantity="log_evidence", k=K, p=float(v), se=float(r))
            for K, runs in log_z.items() for r, v in enumerate(runs.values)]
    for method, prior in (("smc_uniform", None), ("smc_bnb", _bnb(s["K_max"]))):
        post = posterior_over_k(log_z, prior)
        # Monte Carlo standard error of the pooled p: the spread of single-run answers / sqrt(runs)
        se = post["sd"].values / np.sqrt(s["runs"])
        rows += _rows(name, method, "K", post["K"].values, post["p"].values, se)
    return rows


def _bnb(k_max):
    """BNB(1, 4, 3) prior masses of K = 1..k_max (K - 1 ~ beta-negative-binomial), renormalised."""
    from mixlab.priors import bnb_pmf

    p = bnb_pmf(k_max).values
    return p / p.sum()


def _share(values, ks):
    values = np.asarray(values).ravel()
    return np.array([(values == k).mean() for k in ks])


def _telescope(name, y, s, seed):
    from mixlab import telescope

    rows = []
    settings = {
        "telescope_static": dict(weights="static", alpha=1.0, K_max=s["K_max"],
                                 K_prior=_bnb(s["K_max"])),
        "telescope_dynamic": dict(weights="dynamic"),
    }
    for i, (method, kwargs) in enumerate(settings.items()):
        idata = telescope.sample(y, chains=s["ts_chains"], draws=s["ts_draws"], tune=s["ts_tune"],
                                 random_seed=seed + 100 + i, **kwargs)
        post = telescope.k_posterior(idata)
        for quantity, dim in (("K", "K"), ("K+", "k_plus")):
            p = post[f"p_{dim}"]
            keep = p.values > 0
            rows += _rows(name, method, quantity, p[dim].values[keep], p.values[keep],
                          post[f"mcse_{dim}"].values[keep])
    return rows


def _dp(name, y, s, seed):
    import pymc as pm

    from mixlab.invariants import n_occupied
    from mixlab.models import dp_gmm, initvals

    model = dp_gmm(y, s["truncation"])
    idata = pm.sample(s["dp_draws"], tune=s["dp_tune"], chains=s["dp_chains"], model=model,
                      initvals=initvals(model), random_seed=seed + 200, progressbar=False,
                      target_accept=0.9)
    occ = n_occupied(idata, rng=seed + 201)
    ks = np.arange(1, int(occ.max()) + 1)
    per_chain = np.stack([_share(occ.sel(chain=c).values, ks) for c in occ["chain"].values])
    se = (per_chain.std(axis=0, ddof=1) / np.sqrt(len(per_chain)) if len(per_chain) > 1
          else np.full(len(ks), np.nan))
    return _rows(name, "dp", "K+", ks, _share(occ.values, ks), se)


def run(settings=None, out=None, methods=("smc", "telescope", "dp")):
    """Run the analysis and write ``how_many.csv`` and ``how_many.json`` to ``out``.

    Parameters
    ----------
    settings : dict, optional
        :data:`FULL` (default) or :data:`REDUCED`, or a copy with changes.
    out : path-like, optional
        Output directory (default :data:`RESULTS`).
    methods : sequence of str
        Any of ``"smc"``, ``"telescope"``, ``"dp"``.

    Returns
    -------
    pandas.DataFrame
        The table written (columns dataset, method, quantity, k, p, se: the Monte Carlo standard
        error of p, from the spread over independent runs or chains, or batch means).
    """
    from mixlab import datasets

    s = dict(FULL if settings is None else settings)
    unknown = set(methods) - {"smc", "telescope", "dp"}
    if unknown:
        raise ValueError(f"unknown method(s) {sorted(unknown)}; choose from smc, telescope, dp")
    out = Path(RESULTS if out is None else out)
    out.mkdir(parents=True, exist_ok=True)
    steps = {"smc": _smc, "telescope": _telescope, "dp": _dp}
    rows, timing = [], {}
    for d, name in enumerate(s["datasets"]):
        y = getattr(datasets, f"load_{name}")()
        for method in methods:
            t0 = time.perf_counter()
            rows += steps[method](name, y, s, s["seed"] + 1000 * d)
            timing[f"{name}/{method}"] = round(time.perf_counter() - t0, 1)
            print(f"{name}/{method}: {timing[f'{name}/{method}']} s", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows, columns=_COLUMNS)
    old_meta = {}
    if (out / "how_many.csv").exists() and (out / "how_many.json").exists():
        # a run of some methods keeps the other methods' rows (and their metadata)
        old = pd.read_csv(out / "how_many.csv")
        keep = ~old["method"].str.split("_").str[0].isin(list(methods))
        table = pd.concat([old[keep], table], ignore_index=True)
        old_meta = json.loads((out / "how_many.json").read_text())
    table.to_csv(out / "how_many.csv", index=False, float_format="%.6g")
    timing = {**old_meta.get("seconds", {}), **timing}
    meta = {"settings": s, "methods": sorted(set(table["method"])), "seconds": timing,
            "versions": versions(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "command": "python -m mixlab.studies.how_many"}
    (out / "how_many.json").write_text(json.dumps(meta, indent=1) + "\n")
    return table


def load_results(path=None):
    """The shipped results as an ``xarray.Dataset`` plus their metadata.

    Parameters
    ----------
    path : path-like, optional
        Directory holding ``how_many.csv`` and ``how_many.json`` (default :data:`RESULTS`).

    Returns
    -------
    xarray.Dataset
        ``p`` and ``se`` (its Monte Carlo standard error) with dims
        ``(dataset, route, quantity, k)`` (``route``: the method's name in the table; NaN where a
        method does not estimate a quantity or a value of k); ``smc_log_evidence`` with dims ``(dataset, K, run)``: every SMC run's estimate
        of ``log p(y | K)``; the metadata (settings, seeds, versions, date) in ``attrs``.

    Raises
    ------
    FileNotFoundError
        If the directory has no results (run ``python -m mixlab.studies.how_many``).

    Examples
    --------
    >>> from mixlab.studies.how_many import load_results
    >>> res = load_results()
    >>> res["p"].dims
    ('dataset', 'route', 'quantity', 'k')
    >>> res["p"].sel(dataset="galaxy", route="telescope_dynamic", quantity="K+").idxmax("k").item() > 1
    True
    """
    path = Path(RESULTS if path is None else path)
    csv, meta = path / "how_many.csv", path / "how_many.json"
    if not csv.exists() or not meta.exists():
        raise FileNotFoundError(f"no results in {path}; run python -m mixlab.studies.how_many "
                                "(or pass the directory you wrote them to)")
    table = pd.read_csv(csv)
    runs = table[table["quantity"] == "log_evidence"]
    # the dimension is "route", not "method": DataArray.sel(method=...) is sel's own fill-method keyword
    table = table[table["quantity"] != "log_evidence"].rename(columns={"method": "route"})
    table = table.set_index(["dataset", "route", "quantity", "k"])
    ds = xr.Dataset.from_dataframe(table)
    if len(runs):
        lz = runs.assign(run=runs["se"].astype(int)).set_index(["dataset", "k", "run"])["p"]
        ds["smc_log_evidence"] = xr.DataArray.from_series(lz).rename(k="K")
    ds.attrs.update(json.loads(meta.read_text()))
    ds.attrs["settings"] = json.dumps(ds.attrs["settings"])
    return ds


def _main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mixlab.studies.how_many",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--reduced", action="store_true", help="a small run (seconds)")
    parser.add_argument("--out", default=None, help=f"output directory (default {RESULTS})")
    parser.add_argument("--methods", default="smc,telescope,dp")
    args = parser.parse_args(argv)
    run(REDUCED if args.reduced else FULL, args.out, tuple(args.methods.split(",")))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
