"""Samplers on multimodal posteriors: which modes each finds, and what mass it gives them.

Run ``python -m mixlab.studies.multimodal`` (about 4 minutes on 2 cores; run it under
``nice -n 10`` on a shared machine) to rewrite ``mixlab/data/results/multimodal.csv`` and its
metadata ``multimodal.json`` (versions, seeds, settings, date, cores); ``--reduced --out DIR``
runs a small version in under a minute (the unit tests do). Two posteriors:

- ``target``: :func:`mixlab.samplers.two_mode_target` (defaults: masses 0.7 and 0.3, the light
  mode narrow and taller), whose mode masses are known exactly (:func:`mixlab.samplers.exact_masses`);
  every sampler of :func:`mixlab.samplers.compare_samplers` with its default budget, for
  ``target_seeds`` seeds;
- ``enzyme``: :func:`mixlab.models.gmm` with K = 3 on :func:`mixlab.datasets.load_enzyme`
  (n = 245, ordered means). Its posterior has a main mode, mu about (0.19, 1.1, 1.7) and w about
  (0.6, 0.24, 0.15), and a minor one that splits the low group in two, mu about (0.16, 0.27, 1.27)
  and w about (0.38, 0.22, 0.40), which holds about 1.5% of the mass. A draw is labelled by :func:`mode_label`: the nearer of the two
  :data:`CENTRES` in ``(mu_1, mu_2, mu_3, w_1, w_2, w_3)`` (Euclidean; the means are ordered, so
  no relabelling is needed; in effect the middle mean decides, about 1.1 against 0.27).

The enzyme reference masses come from several routes, each a row of the table (``sampler``
starting ``ref_``):

- ``ref_is_kde`` (the reference): mode-wise importance sampling of the evidence of each mode's
  region, ``Z_k = E_q[p(y, theta) 1{label(theta) = k} / q(theta)]``, with a proposal fitted to
  pilot draws of that mode on the unconstrained scale (90% a Gaussian kernel density over 400 of
  them, 10% a Student-t with twice their covariance); mass ``Z_k / sum Z``, repeated ``is_reps``
  times with fresh proposals, its standard error from the spread of the repeats;
- ``ref_is_t``: the same with a single Student-t proposal per mode (df 4, 1.5 times the pilot
  covariance), a second proposal family;
- ``ref_nutpie_long``: long nutpie chains (shares of draws; standard error from the spread over
  chains): chains hop between the modes only rarely (the hops per chain are in the metadata),
  so this is a check, not a reference;
- ``ref_smc``: many-particle SMC runs (standard error from the spread over runs).

The pilot draws are a nutpie run (``pilot_chains`` chains after ``pilot_tune`` tuning steps: a
short tuning leaves some chains in the minor mode) and a ``nuts_dispersed`` run. Then every
sampler runs with its default budget (starts from :func:`mixlab.models.initvals`; dispersed starts:
sorted uniform means over the data's range, Dirichlet(1) weights, scales uniform on
(0.05, 0.5) sd(y)) for ``enzyme_seeds`` seeds, against the ``ref_is_kde`` masses.
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

__all__ = ["CENTRES", "FULL", "REDUCED", "RESULTS", "load_results", "mode_label", "run"]

#: Where the shipped results live.
RESULTS = Path(__file__).resolve().parent.parent / "data" / "results"

#: Centres of the enzyme posterior's two modes in ``(mu_1, mu_2, mu_3, w_1, w_2, w_3)``: the
#: ``"major"`` mode and the ``"minor"`` one that splits the low group.
CENTRES = {
    "major": (0.19, 1.1, 1.65, 0.6, 0.23, 0.17),
    "minor": (0.16, 0.27, 1.26, 0.41, 0.19, 0.40),
}

#: Names of the modes in the table (for the constructed target, major = heavy, minor = light).
MODE_NAMES = ("major", "minor")

#: Settings of the full analysis (what ``python -m mixlab.studies.multimodal`` runs).
FULL = {
    "seed": 20261201,
    "target_seeds": 3,
    "target_options": {},
    "enzyme_seeds": 3,
    "enzyme_methods": ["nuts_dispersed", "nutpie", "smc", "pathfinder", "advi"],
    "enzyme_options": {},
    "pilot_chains": 8,
    "pilot_draws": 1000,
    "pilot_tune": 500,
    "is_draws": 20000,
    "is_reps": 4,
    "long_chains": 8,
    "long_draws": 20000,
    "long_tune": 1000,
    "smc_runs": 4,
    "smc_draws": 4000,
}
#: Settings of the reduced run (``--reduced``; the tests run it): well under a minute.
REDUCED = {
    "seed": 1,
    "target_seeds": 1,
    "target_options": {
        "nuts_dispersed": {"chains": 4, "draws": 50, "tune": 100},
        "nutpie": {"chains": 2, "draws": 100, "tune": 100},
        "smc": {"chains": 1, "draws": 200},
        "pathfinder": {"num_paths": 2, "num_draws": 100, "num_draws_per_path": 50},
        "advi": {"n": 1000, "draws": 100},
    },
    "enzyme_seeds": 1,
    "enzyme_methods": ["smc"],
    "enzyme_options": {
        "smc": {"chains": 1, "draws": 100},
        "nuts_dispersed": {"chains": 2, "draws": 50, "tune": 50},
    },
    "pilot_chains": 2,
    "pilot_draws": 100,
    "pilot_tune": 100,
    "is_draws": 300,
    "is_reps": 2,
    "long_chains": 2,
    "long_draws": 100,
    "long_tune": 100,
    "smc_runs": 1,
    "smc_draws": 100,
}

_COLUMNS = [
    "target",
    "sampler",
    "run",
    "mode",
    "mass",
    "se",
    "reference",
    "seconds",
    "modes_visited",
    "modes_reached",
    "chains_mixed",
    "n_chains",
    "n_draws",
]


def mode_label(idata):
    """Label each enzyme ``gmm(y, 3)`` draw with its mode: 0 (``"major"``) or 1 (``"minor"``).

    The label is the nearer of the two :data:`CENTRES` in ``(mu_1, mu_2, mu_3, w_1, w_2, w_3)``
    (Euclidean distance; the means are ordered, so the components need no relabelling).

    Parameters
    ----------
    idata : xarray.DataTree or xarray.Dataset
        Draws with ``mu`` and ``w`` (dim ``component`` of length 3).

    Returns
    -------
    xarray.DataArray
        Integer labels with the draws' other dims (``chain``, ``draw``).

    Examples
    --------
    >>> import xarray as xr
    >>> from mixlab.studies.multimodal import mode_label
    >>> post = xr.Dataset({"mu": (("chain", "draw", "component"), [[[0.2, 1.0, 1.7], [0.1, 0.3, 1.2]]]),
    ...                    "w": (("chain", "draw", "component"), [[[0.6, 0.2, 0.2], [0.4, 0.2, 0.4]]])})
    >>> mode_label(post).values.tolist()
    [[0, 1]]
    """
    from mixlab._validate import check_group, check_var_names

    post = check_group(idata, "posterior")
    check_var_names(post, ["mu", "w"], fix="pass draws of mixlab.models.gmm(y, 3)")
    x = xr.concat([post["mu"], post["w"]], "component").transpose(..., "component")
    if x.sizes["component"] != 6:
        raise ValueError(f"mu and w must have 3 components each, got {post['mu'].sizes}")
    lab = _label_x(x.values)
    dims = x.dims[:-1]
    return xr.DataArray(
        lab, dims=dims, coords={d: x.coords[d] for d in dims if d in x.coords}, name="mode"
    )


def _label_x(x):
    c = np.array([CENTRES[m] for m in MODE_NAMES])
    d = ((np.asarray(x)[..., None, :] - c) ** 2).sum(-1)
    return d.argmin(-1)


def _log(msg):
    print(msg, file=sys.stderr, flush=True)


def _comparison_rows(name, res, run):
    rows = []
    for sampler in res["sampler"].values:
        r = res.sel(sampler=sampler)
        for k, mode in enumerate(MODE_NAMES):
            rows.append(
                dict(
                    target=name,
                    sampler=str(sampler),
                    run=run,
                    mode=mode,
                    mass=float(r["mass"].values[k]),
                    se=np.nan,
                    reference=float(r["reference"].values[k]),
                    seconds=float(r["seconds"]),
                    modes_visited=int(r["modes_visited"]),
                    modes_reached=int(r["modes_reached"]),
                    chains_mixed=int(r["chains_mixed"]),
                    n_chains=int(r["n_chains"]),
                    n_draws=int(r["n_draws"]),
                )
            )
    return rows


def _target(s, seed):
    from mixlab.samplers import compare_samplers, exact_masses, two_mode_target

    model = two_mode_target()
    ref = exact_masses(model)
    rows = []
    for r in range(s["target_seeds"]):
        res = compare_samplers(model, random_seed=seed + 10 * r, options=s["target_options"])
        rows += _comparison_rows("target", res, r)
        _log(
            f"target seed {r}: "
            + ", ".join(
                f"{m} {res['mass'].sel(sampler=m).values[1]:.3f} ({res['seconds'].sel(sampler=m).item():.1f} s)"
                for m in res["sampler"].values
            )
        )
    return rows, ref.values


# ------------------------------------------------------------------------------------------
# enzyme: reference masses
# ------------------------------------------------------------------------------------------


def _enzyme_model():
    from mixlab.datasets import load_enzyme
    from mixlab.models import gmm

    y = np.asarray(load_enzyme(), dtype=float)
    return y, gmm(y, 3)


def _dispersed_starts(y):
    """Start points for nuts_dispersed: sorted uniform means over the data's range, Dirichlet(1)
    weights, scales uniform on (0.05, 0.5) times sd(y)."""

    def starts(rng, chains):
        return [
            {
                "mu": np.sort(rng.uniform(y.min(), y.max(), 3)),
                "w": rng.dirichlet(np.ones(3)),
                "sigma": rng.uniform(0.05, 0.5, 3) * y.std(),
            }
            for _ in range(chains)
        ]

    return starts


class _Evaluator:
    """Log density (Jacobians included) and mode label at unconstrained points of the model."""

    def __init__(self, model):
        import pytensor

        self.names = [v.name for v in model.value_vars]
        self.logp = model.compile_logp(jacobian=True)
        outs = model.replace_rvs_by_values([model["mu"], model["w"]])
        self.fn = pytensor.function(model.value_vars, outs, on_unused_input="ignore")
        self.shapes = None

    def flat(self, model, post):
        from mixlab.evidence._start import to_value_space

        vals = to_value_space(
            model,
            {
                rv.name: post[rv.name]
                .transpose("chain", "draw", ...)
                .values.reshape(-1, *post[rv.name].shape[2:])
                for rv in model.free_RVs
            },
        )
        self.shapes = {n: vals[n].shape[1:] for n in self.names}
        return np.concatenate([vals[n].reshape(len(vals[n]), -1) for n in self.names], axis=1)

    def __call__(self, theta):
        splits = np.cumsum([int(np.prod(self.shapes[n], dtype=int)) for n in self.names])[:-1]
        lp = np.empty(len(theta))
        lab = np.empty(len(theta), dtype=int)
        for i, row in enumerate(theta):
            point = {
                n: p.reshape(self.shapes[n])
                for n, p in zip(self.names, np.split(row, splits), strict=True)
            }
            lp[i] = self.logp(point)
            mu, w = self.fn(**point)
            lab[i] = _label_x(np.concatenate([mu, w]))
        return lp, lab


def _proposal(kind, sel, rng):
    """(draw(m), logpdf(x)) of a proposal fitted to one mode's pilot draws ``sel``."""
    from scipy import stats
    from scipy.special import logsumexp

    n, d = sel.shape
    cov = np.cov(sel, rowvar=False)
    if kind == "t":
        q = stats.multivariate_t(loc=sel.mean(0), shape=1.5 * cov, df=4)
        return (lambda m: np.asarray(q.rvs(size=m, random_state=rng)).reshape(m, d)), q.logpdf
    J = min(400, n)
    centres = sel[rng.choice(n, J, replace=False)]
    h = (4 / (d + 2)) ** (1 / (d + 4)) * J ** (-1 / (d + 4))
    chol = np.linalg.cholesky(cov) * h
    inv = np.linalg.inv(chol)
    logdet = np.log(np.diag(chol)).sum()
    broad = stats.multivariate_t(loc=sel.mean(0), shape=2 * cov, df=4)

    def draw(m):
        nk = rng.binomial(m, 0.9)
        kern = centres[rng.integers(J, size=nk)] + rng.standard_normal((nk, d)) @ chol.T
        return np.concatenate(
            [kern, np.asarray(broad.rvs(size=m - nk, random_state=rng)).reshape(-1, d)]
        )

    def logpdf(x):
        z = (x[:, None, :] - centres[None]) @ inv.T
        lk = (
            logsumexp(-0.5 * (z**2).sum(-1), axis=1)
            - np.log(J)
            - logdet
            - d / 2 * np.log(2 * np.pi)
        )
        return np.logaddexp(np.log(0.9) + lk, np.log(0.1) + broad.logpdf(x))

    return draw, logpdf


def _modewise_is(model, pilot_post, s, rng, kind):
    """Masses of the two modes by importance sampling each mode's region; one row per repeat."""
    ev = _Evaluator(model)
    flat = ev.flat(model, pilot_post)
    labels = mode_label(pilot_post).transpose("chain", "draw").values.ravel()
    out = []
    for _ in range(s["is_reps"]):
        log_z, ess = [], []
        for k in range(len(MODE_NAMES)):
            sel = flat[labels == k]
            if len(sel) < 2 * flat.shape[1] + 2:
                log_z.append(np.nan)
                ess.append(0.0)
                continue
            draw, logq = _proposal(kind, sel, rng)
            theta = draw(s["is_draws"])
            lp, lab = ev(theta)
            lw = np.where((lab == k) & np.isfinite(lp), lp - logq(theta), -np.inf)
            top = lw.max()
            w = np.exp(lw - top)
            log_z.append(top + np.log(w.mean()))
            ess.append(float(w.sum() ** 2 / (w**2).sum()))
        log_z = np.array(log_z)
        mass = np.exp(log_z - np.nanmax(log_z)) if np.isfinite(log_z).any() else log_z
        mass = np.where(np.isfinite(mass), mass, np.nan)
        out.append((mass / np.nansum(mass), ess))
    return out


def _reference(y, model, s, seed, pilot):
    """Rows of the reference routes, and the reference masses (ref_is_kde, mean over repeats)."""
    import pymc as pm

    from mixlab.evidence import sample_smc
    from mixlab.models import initvals

    rows, info = [], {}
    rng = np.random.default_rng(seed)
    for kind in ("kde", "t"):
        t0 = time.perf_counter()
        reps = _modewise_is(model, pilot, s, rng, kind)
        secs = time.perf_counter() - t0
        masses = np.array([m for m, _ in reps])
        mean = masses.mean(axis=0)
        se = (
            masses.std(axis=0, ddof=1) / np.sqrt(len(masses))
            if len(masses) > 1
            else np.full(mean.shape, np.nan)
        )
        info[f"is_{kind}_ess"] = [e for _, e in reps]
        for k, mode in enumerate(MODE_NAMES):
            rows.append(
                dict(
                    target="enzyme",
                    sampler=f"ref_is_{kind}",
                    run=0,
                    mode=mode,
                    mass=float(mean[k]),
                    se=float(se[k]),
                    seconds=secs,
                    modes_visited=int((mean >= 0.01).sum()),
                    modes_reached=int((mean > 0).sum()),
                    chains_mixed=np.nan,
                    n_chains=len(reps),
                    n_draws=s["is_draws"] * len(MODE_NAMES) * len(reps),
                )
            )
        _log(f"enzyme ref_is_{kind}: {mean.round(4)} +- {se.round(4)} ({secs:.1f} s)")
    ref = np.array([r["mass"] for r in rows if r["sampler"] == "ref_is_kde"])

    t0 = time.perf_counter()
    long = pm.sample(
        s["long_draws"],
        tune=s["long_tune"],
        chains=s["long_chains"],
        model=model,
        initvals=initvals(model),
        random_seed=seed + 1,
        progressbar=False,
        compute_convergence_checks=False,
    )
    secs = time.perf_counter() - t0
    lab = mode_label(long).transpose("chain", "draw").values
    info["long_hops_per_chain"] = (np.diff(lab, axis=1) != 0).sum(axis=1).tolist()
    rows += _share_rows("ref_nutpie_long", lab, secs)
    _log(
        f"enzyme ref_nutpie_long: minor {lab.mean():.4f} ({secs:.1f} s), hops "
        f"{info['long_hops_per_chain']}"
    )

    t0 = time.perf_counter()
    smc = sample_smc(model, s["smc_draws"], chains=s["smc_runs"], random_seed=seed + 2, cores=1)
    secs = time.perf_counter() - t0
    lab = mode_label(smc).transpose("chain", "draw").values
    rows += _share_rows("ref_smc", lab, secs)
    _log(f"enzyme ref_smc: minor {lab.mean():.4f} ({secs:.1f} s)")
    info["reference_route"] = "ref_is_kde"
    if not np.all(np.isfinite(ref)):
        # too few pilot draws in a mode to fit its proposal (reduced runs): fall back
        ref = np.array([r["mass"] for r in rows if r["sampler"] == "ref_nutpie_long"])
        info["reference_route"] = "ref_nutpie_long"
    for r in rows:
        r["reference"] = float(ref[MODE_NAMES.index(r["mode"])])
    return rows, ref, info


def _share_rows(sampler, lab, secs):
    per_chain = np.stack([(lab == k).mean(axis=1) for k in range(len(MODE_NAMES))], axis=-1)
    mass = per_chain.mean(axis=0)
    se = (
        per_chain.std(axis=0, ddof=1) / np.sqrt(len(per_chain))
        if len(per_chain) > 1
        else np.full(mass.shape, np.nan)
    )
    mixed = int(((per_chain >= 0.01).sum(axis=1) >= 2).sum())
    return [
        dict(
            target="enzyme",
            sampler=sampler,
            run=0,
            mode=mode,
            mass=float(mass[k]),
            se=float(se[k]),
            seconds=secs,
            modes_visited=int((mass >= 0.01).sum()),
            modes_reached=int((mass > 0).sum()),
            chains_mixed=mixed,
            n_chains=lab.shape[0],
            n_draws=lab.size,
        )
        for k, mode in enumerate(MODE_NAMES)
    ]


def _enzyme(s, seed):
    import pymc as pm

    from mixlab.models import initvals
    from mixlab.samplers import compare_samplers, run_sampler

    y, model = _enzyme_model()
    iv = initvals(model)
    # pilot draws for the importance-sampling reference: a short-tuned nutpie run and a dispersed run
    t0 = time.perf_counter()
    pilot = pm.sample(
        s["pilot_draws"],
        tune=s["pilot_tune"],
        chains=s["pilot_chains"],
        model=model,
        initvals=iv,
        random_seed=seed + 3,
        progressbar=False,
        compute_convergence_checks=False,
    )["posterior"].to_dataset()
    disp, _ = run_sampler(
        model,
        "nuts_dispersed",
        random_seed=seed + 4,
        initvals=_dispersed_starts(y),
        **{
            k: v
            for k, v in s["enzyme_options"].get("nuts_dispersed", {}).items()
            if k != "initvals"
        },
    )
    disp = disp["posterior"].to_dataset()[list(pilot.data_vars)]
    disp = disp.assign_coords(chain=disp["chain"] + pilot.sizes["chain"])
    pilot_all = xr.concat(
        [pilot, disp.isel(draw=slice(0, min(disp.sizes["draw"], pilot.sizes["draw"])))],
        "chain",
        join="inner",
    )
    _log(
        f"enzyme pilot: {time.perf_counter() - t0:.1f} s, minor share "
        f"{mode_label(pilot_all).mean().item():.3f}"
    )
    rows, ref, info = _reference(y, model, s, seed, pilot_all)
    options = {m: dict(s["enzyme_options"].get(m, {})) for m in s["enzyme_methods"]}
    for m in ("nutpie", "pathfinder", "advi"):
        if m in options:
            options[m].setdefault("initvals", iv)
    if "nuts_dispersed" in options:
        options["nuts_dispersed"].setdefault("initvals", _dispersed_starts(y))
    for r in range(s["enzyme_seeds"]):
        res = compare_samplers(
            model,
            s["enzyme_methods"],
            random_seed=seed + 100 + 10 * r,
            mode_label_fn=mode_label,
            reference_masses=ref,
            options=options,
        )
        rows += _comparison_rows("enzyme", res.assign_coords(mode=list(MODE_NAMES)), r)
        _log(
            f"enzyme seed {r}: "
            + ", ".join(
                f"{m} {res['mass'].sel(sampler=m).values[1]:.3f} ({res['seconds'].sel(sampler=m).item():.1f} s)"
                for m in res["sampler"].values
            )
        )
    return rows, ref, info


def run(settings=None, out=None):
    """Run the study and write ``multimodal.csv`` and ``multimodal.json`` to ``out``.

    Parameters
    ----------
    settings : dict, optional
        :data:`FULL` (default) or :data:`REDUCED`, or a copy with changes.
    out : path-like, optional
        Output directory (default :data:`RESULTS`).

    Returns
    -------
    pandas.DataFrame
        The table written: one row per target (``"target"``, ``"enzyme"``), sampler (the five of
        ``mixlab.samplers.METHODS`` and the enzyme reference routes ``ref_*``), run (seed
        index) and mode (``"major"``, ``"minor"``), with the mass the sampler gives the mode, its
        standard error (reference routes only), the reference mass, wall seconds, modes
        visited, chains that hop, chains and draws.
    """
    s = dict(FULL if settings is None else settings)
    missing = set(FULL) - set(s)
    if missing:
        raise ValueError(f"settings lacks {sorted(missing)}; start from a copy of FULL or REDUCED")
    out = Path(RESULTS if out is None else out)
    out.mkdir(parents=True, exist_ok=True)
    timing = {}
    t0 = time.perf_counter()
    rows, target_ref = _target(s, s["seed"])
    timing["target"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    erows, enzyme_ref, info = _enzyme(s, s["seed"] + 1000)
    timing["enzyme"] = round(time.perf_counter() - t0, 1)
    table = pd.DataFrame(rows + erows, columns=_COLUMNS)
    table.to_csv(out / "multimodal.csv", index=False, float_format="%.6g")
    meta = {
        "settings": s,
        "seconds": timing,
        "versions": versions(),
        "reference": {"target": target_ref.tolist(), "enzyme": enzyme_ref.tolist()},
        "enzyme_reference_route": info["reference_route"],
        "diagnostics": info,
        "modes": list(MODE_NAMES),
        "centres": CENTRES,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python -m mixlab.studies.multimodal",
    }
    (out / "multimodal.json").write_text(json.dumps(meta, indent=1, default=float) + "\n")
    return table


def load_results(path=None):
    """The shipped results as an ``xarray.Dataset`` plus their metadata.

    Parameters
    ----------
    path : path-like, optional
        Directory holding ``multimodal.csv`` and ``multimodal.json`` (default :data:`RESULTS`).

    Returns
    -------
    xarray.Dataset
        ``mass``, ``se`` and ``reference`` with dims ``(target, sampler, run, mode)``;
        ``seconds``, ``modes_visited`` (modes holding 1% of the draws or more), ``modes_reached``
        (modes with a draw), ``chains_mixed``, ``n_chains`` and ``n_draws`` with dims
        ``(target, sampler, run)`` (NaN where a sampler did not run on a target or seed). The
        dimension is ``sampler``, not ``method``: ``DataArray.sel(method=...)`` is ``sel``'s own
        keyword. The metadata (settings as JSON text, versions, cores, date, reference masses) is
        in ``attrs``.

    Raises
    ------
    FileNotFoundError
        If the directory has no results (run ``python -m mixlab.studies.multimodal``).

    Examples
    --------
    >>> from mixlab.studies.multimodal import load_results
    >>> res = load_results()
    >>> res["mass"].dims
    ('target', 'sampler', 'run', 'mode')
    >>> float(res["mass"].sel(target="target", sampler="smc").sum("mode").max().round(6))
    1.0
    """
    path = Path(RESULTS if path is None else path)
    csv, meta = path / "multimodal.csv", path / "multimodal.json"
    if not csv.exists() or not meta.exists():
        raise FileNotFoundError(
            f"no results in {path}; run python -m mixlab.studies.multimodal "
            "(or pass the directory you wrote them to)"
        )
    table = pd.read_csv(csv)
    per_mode = table.set_index(["target", "sampler", "run", "mode"])[["mass", "se", "reference"]]
    ds = xr.Dataset.from_dataframe(per_mode)
    per_run = table.drop_duplicates(["target", "sampler", "run"]).set_index(
        ["target", "sampler", "run"]
    )[["seconds", "modes_visited", "modes_reached", "chains_mixed", "n_chains", "n_draws"]]
    ds = ds.merge(xr.Dataset.from_dataframe(per_run), join="outer")
    # the book's order: the constructed target first, the samplers as METHODS, the references last
    from mixlab.samplers import METHODS

    order = {"target": ["target", "enzyme"], "sampler": list(METHODS), "mode": list(MODE_NAMES)}
    ds = ds.reindex(
        {
            dim: [v for v in first if v in ds[dim].values]
            + sorted(v for v in ds[dim].values if v not in first)
            for dim, first in order.items()
        }
    )
    ds.attrs.update(json.loads(meta.read_text()))
    for key in ("settings", "reference", "diagnostics", "centres", "versions", "seconds"):
        ds.attrs[key] = json.dumps(ds.attrs[key])
    return ds


def _main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m mixlab.studies.multimodal", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--reduced", action="store_true", help="a small run (under a minute)")
    parser.add_argument("--out", default=None, help=f"output directory (default {RESULTS})")
    args = parser.parse_args(argv)
    run(REDUCED if args.reduced else FULL, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
