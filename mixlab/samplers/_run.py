"""Run one sampler with a small budget, and compare several by the modes they visit."""

from __future__ import annotations

import numbers
import time
from collections.abc import Callable, Mapping

import numpy as np
import xarray as xr

from mixlab._validate import check_array, check_int

from ._target import _TARGETS, MODES, exact_masses, mode_of

#: The samplers :func:`run_sampler` knows, in the order the book discusses them.
METHODS = ("nuts_dispersed", "nutpie", "smc", "pathfinder", "advi")

#: Default budget of each sampler: a few seconds each on :func:`two_mode_target` (compiled).
DEFAULTS = {
    "nuts_dispersed": {"chains": 16, "draws": 100, "tune": 200},
    "nutpie": {"chains": 4, "draws": 500, "tune": 500},
    "smc": {"chains": 2, "draws": 1000},
    "pathfinder": {
        "num_paths": 16,
        "num_draws": 1000,
        "num_draws_per_path": 200,
        "importance_sampling": "psis",
        "jitter": None,
    },
    "advi": {"n": 10000, "draws": 1000},
}

#: A mode counts as visited when it holds at least this share of a sampler's draws.
VISIT_SHARE = 0.01


def _check_method(method):
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"unknown sampler {method!r}; choose from {', '.join(METHODS)}")
    return method


def _check_seed(random_seed):
    if (
        isinstance(random_seed, bool)
        or not isinstance(random_seed, numbers.Integral)
        or random_seed < 0
    ):
        raise TypeError(f"random_seed must be a non-negative integer, got {random_seed!r}")
    return int(random_seed)


def _box_starts(model, chains, rng):
    """Start points spread uniformly over a box that holds both modes of a two_mode_target."""
    t = _TARGETS[model]
    half = np.abs(t.centres).max() + 2 * t.scales.max()
    return [{"theta": rng.uniform(-half, half, size=t.dim)} for _ in range(chains)]


def _options(method, options):
    opts = dict(DEFAULTS[method])
    unknown = set(options) - set(opts) - {"initvals"}
    if unknown:
        raise ValueError(
            f"unknown option(s) {sorted(unknown)} for {method}; known: "
            f"{', '.join(sorted(set(opts) | {'initvals'}))}"
        )
    opts.update(options)
    for key in ("chains", "draws", "tune", "num_paths", "num_draws", "num_draws_per_path", "n"):
        if key in opts:
            opts[key] = check_int(opts[key], key, minimum=0 if key == "tune" else 1)
    return opts


def run_sampler(model, method, *, random_seed, **options):
    """Run one sampler on ``model`` with a small budget; return its draws and the wall time.

    - ``"nuts_dispersed"``: PyMC's NUTS (``nuts_sampler="pymc"``), many short chains (default 16
      of 100 draws after 200 tuning steps), one per start point, on one core. The starts are
      ``initvals`` (a list of one dict per chain, or a callable ``f(rng, chains)`` returning
      one) or, for a :func:`two_mode_target`, uniform over a box holding both modes. They are
      used as given (``init="adapt_diag"``, no jitter). A chain stays in the basin it starts in,
      so the share of draws in each mode is the share of starts in its basin, not its mass.
    - ``"nutpie"``: ``pm.sample``'s default sampler (nutpie), default 4 chains of 500 draws
      after 500 tuning steps; ``initvals`` (one dict) optional.
    - ``"smc"``: :func:`pymc.sample_smc` from prior particles that respect ordered transforms
      (:func:`mixlab.evidence.sample_smc`), default 2 independent runs of 1000 particles.
    - ``"pathfinder"``: multi-path Pathfinder (``pymc_extras.fit_pathfinder``), default 16 paths
      with 200 draws each, importance-resampled (``importance_sampling="psis"``) to 1000 draws;
      ``jitter`` (the half-width of the uniform jitter of each path's start, on the
      unconstrained scale) defaults to the half-width of the :func:`two_mode_target` start box, or
      to pymc-extras' 2.0 for other models; ``initvals`` (one dict) optional.
    - ``"advi"``: mean-field ADVI (``pm.fit(n, method="advi")``, default 10000 steps) and
      ``draws`` (default 1000) draws from the fitted approximation; ``initvals`` (one dict, the
      start of the fit) optional.

    Models with ordered transforms (:mod:`mixlab.models`) need ``initvals`` for ``"nutpie"``,
    ``"pathfinder"`` and ``"advi"`` (``mixlab.models.initvals(model)``): PyMC's default start is
    invalid for them.

    Parameters
    ----------
    model : pymc.Model
        The model (e.g. :func:`two_mode_target`).
    method : str
        One of :data:`METHODS`.
    random_seed : int
        Seed; every sampler and start draw is seeded from it.
    **options
        Budget overrides for ``method`` (keys of ``DEFAULTS[method]``) and ``initvals``.

    Returns
    -------
    draws : xarray.DataTree
        What the sampler returns (``posterior`` group with ``chain`` and ``draw`` dims).
    seconds : float
        Wall time of the call, compilation included.

    Raises
    ------
    TypeError
        If ``model`` is not a ``pymc.Model`` or ``random_seed`` is not a non-negative integer.
    ValueError
        If ``method`` or an option is unknown, a budget is not a positive integer, or
        ``"nuts_dispersed"`` runs on a model not built by :func:`two_mode_target` without
        ``initvals``.

    Examples
    --------
    >>> from mixlab.samplers import run_sampler, two_mode_target
    >>> run_sampler(two_mode_target(), "hmc", random_seed=1)
    Traceback (most recent call last):
    ...
    ValueError: unknown sampler 'hmc'; choose from nuts_dispersed, nutpie, smc, pathfinder, advi

    Sampling (not run here): ``draws, seconds = run_sampler(model, "smc", random_seed=1)``.
    """
    import pymc as pm

    if not isinstance(model, pm.Model):
        raise TypeError(f"model must be a pymc.Model, got {type(model).__name__}")
    method = _check_method(method)
    seed = _check_seed(random_seed)
    opts = _options(method, options)
    rng = np.random.default_rng(seed)
    seeds = [int(s) for s in rng.integers(2**31 - 1, size=2)]
    initvals = opts.pop("initvals", None)
    common = {"progressbar": False}
    if method == "nuts_dispersed":
        chains = opts["chains"]
        if initvals is None:
            if model not in _TARGETS:
                raise ValueError(
                    "nuts_dispersed needs start points for this model; pass "
                    "initvals=[dict, ...] (one per chain) or a callable f(rng, chains)"
                )
            initvals = _box_starts(model, chains, rng)
        elif callable(initvals):
            initvals = initvals(rng, chains)
        if not isinstance(initvals, list | tuple) or len(initvals) != chains:
            raise ValueError(
                f"initvals must be a list of {chains} dicts (one per chain) for "
                f"nuts_dispersed, got {type(initvals).__name__}"
            )
    t0 = time.perf_counter()
    if method == "nuts_dispersed":
        out = pm.sample(
            opts["draws"],
            tune=opts["tune"],
            chains=chains,
            cores=1,
            model=model,
            nuts_sampler="pymc",
            init="adapt_diag",
            initvals=list(initvals),
            random_seed=seeds[0],
            compute_convergence_checks=False,
            **common,
        )
    elif method == "nutpie":
        kw = {} if initvals is None else {"initvals": initvals}
        out = pm.sample(
            opts["draws"],
            tune=opts["tune"],
            chains=opts["chains"],
            model=model,
            random_seed=seeds[0],
            compute_convergence_checks=False,
            **kw,
            **common,
        )
    elif method == "smc":
        from mixlab.evidence import sample_smc

        out = sample_smc(model, opts["draws"], chains=opts["chains"], random_seed=seeds[0], cores=1)
    elif method == "pathfinder":
        import pymc_extras

        jitter = opts["jitter"]
        if jitter is None:
            if model in _TARGETS:
                t = _TARGETS[model]
                jitter = float(np.abs(t.centres).max() + 2 * t.scales.max())
            else:
                jitter = 2.0
        kw = {} if initvals is None else {"initvals": initvals}
        out = pymc_extras.fit_pathfinder(
            model=model,
            num_paths=opts["num_paths"],
            num_draws=opts["num_draws"],
            num_draws_per_path=opts["num_draws_per_path"],
            importance_sampling=opts["importance_sampling"],
            jitter=jitter,
            parallel=False,
            random_seed=seeds[0],
            **kw,
            **common,
        )
    else:  # advi
        kw = {} if initvals is None else {"start": initvals}
        approx = pm.fit(opts["n"], method="advi", model=model, random_seed=seeds[0], **kw, **common)
        out = approx.sample(opts["draws"], random_seed=seeds[1])
    return out, time.perf_counter() - t0


def _mass_table(labels, n_modes):
    lab = np.asarray(labels)
    if lab.ndim == 1:
        lab = lab[None, :]
    lab = lab.reshape(lab.shape[0], -1)
    per_chain = np.stack([(lab == k).mean(axis=1) for k in range(n_modes)], axis=-1)
    mass = np.array([(lab == k).mean() for k in range(n_modes)])
    return mass, per_chain, lab.size


def compare_samplers(
    model, methods=METHODS, *, random_seed, mode_label_fn=None, reference_masses=None, options=None
):
    """Run several samplers on one model and tabulate the modes each visits and their masses.

    Parameters
    ----------
    model : pymc.Model
        The model; for a :func:`two_mode_target` the labels (:func:`mode_of`) and reference
        masses (:func:`exact_masses`) are known and the next two arguments may be omitted.
    methods : sequence of str, default :data:`METHODS`
        Samplers to run (see :func:`run_sampler`).
    random_seed : int
        Seed; sampler ``i`` runs with ``random_seed + i``.
    mode_label_fn : callable, optional
        ``f(draws) -> xarray.DataArray`` of integer mode labels ``0..M-1`` with the draws'
        ``chain`` and ``draw`` dims.
    reference_masses : array_like or xarray.DataArray, optional
        Reference mass of each of the ``M`` modes (a DataArray with dim ``mode`` lends its mode
        names).
    options : dict, optional
        Per-sampler budget overrides, ``{method: {option: value}}`` (see :func:`run_sampler`).

    Returns
    -------
    xarray.Dataset
        Dims ``sampler`` and ``mode``: ``seconds`` (wall time, compilation included),
        ``n_draws``, ``n_chains``, ``mass`` (share of each sampler's draws in each mode),
        ``abs_error`` (``|mass - reference|``), ``max_abs_error``, ``visited`` (mode holds at
        least :data:`VISIT_SHARE` of the draws), ``modes_visited`` (how many), ``any_draw`` (at
        least one draw in the mode), ``modes_reached`` (how many modes have a draw),
        ``chains_mixed`` (chains with at least :data:`VISIT_SHARE` of their draws in each of two
        modes or more: chains that hop), and ``reference``.

    Raises
    ------
    TypeError
        If ``mode_label_fn`` is not callable or ``random_seed`` not an integer.
    ValueError
        If a method is unknown or repeated, ``methods`` is empty, or the model is not a
        :func:`two_mode_target` and the labels or the reference masses are missing, or the
        reference masses do not sum to 1.

    Examples
    --------
    >>> from mixlab.samplers import compare_samplers, two_mode_target
    >>> compare_samplers(two_mode_target(), ["smc", "smc"], random_seed=1)
    Traceback (most recent call last):
    ...
    ValueError: methods has repeated entries ['smc', 'smc']; list each sampler once

    Sampling (not run here): ``compare_samplers(two_mode_target(), random_seed=1)``.
    """
    import pymc as pm

    if not isinstance(model, pm.Model):
        raise TypeError(f"model must be a pymc.Model, got {type(model).__name__}")
    if isinstance(methods, str):
        methods = [methods]
    methods = list(methods)
    if not methods:
        raise ValueError("methods is empty; pass one or more of " + ", ".join(METHODS))
    for m in methods:
        _check_method(m)
    if len(set(methods)) != len(methods):
        raise ValueError(f"methods has repeated entries {methods}; list each sampler once")
    seed = _check_seed(random_seed)
    options = {} if options is None else options
    if not isinstance(options, Mapping) or not set(options) <= set(methods):
        raise ValueError(
            "options must be a dict {method: {option: value}} keyed by entries of "
            f"methods, got {options!r}"
        )
    known = model in _TARGETS
    if mode_label_fn is None:
        if not known:
            raise ValueError(
                "model was not built by two_mode_target; pass mode_label_fn=... "
                "(draws -> integer labels) and reference_masses=..."
            )
        mode_label_fn = lambda draws: mode_of(draws, model)  # noqa: E731
    elif not isinstance(mode_label_fn, Callable):
        raise TypeError(f"mode_label_fn must be callable, got {type(mode_label_fn).__name__}")
    if reference_masses is None:
        if not known:
            raise ValueError(
                "model was not built by two_mode_target; pass reference_masses=... "
                "(one mass per mode)"
            )
        reference_masses = exact_masses(model)
    names = (
        list(map(str, reference_masses["mode"].values))
        if isinstance(reference_masses, xr.DataArray) and "mode" in reference_masses.coords
        else None
    )
    ref = check_array(reference_masses, "reference_masses", ndim=1, min_size=2)
    if np.any(ref < 0) or not np.isclose(ref.sum(), 1.0, atol=1e-3):
        raise ValueError(
            f"reference_masses must be non-negative and sum to 1 (got sum "
            f"{ref.sum():.4g}); pass one mass per mode"
        )
    n_modes = ref.size
    if names is None:
        names = list(MODES) if known and n_modes == 2 else [f"mode{k}" for k in range(n_modes)]
    rows = []
    for i, method in enumerate(methods):
        draws, seconds = run_sampler(
            model, method, random_seed=seed + i, **dict(options.get(method, {}))
        )
        labels = mode_label_fn(draws)
        lab = np.asarray(labels)
        if lab.size == 0 or lab.min() < 0 or lab.max() >= n_modes:
            raise ValueError(
                f"mode_label_fn must return labels in 0..{n_modes - 1} (one per reference mass)"
            )
        mass, per_chain, n = _mass_table(lab, n_modes)
        rows.append(
            {
                "seconds": seconds,
                "n_draws": n,
                "n_chains": per_chain.shape[0],
                "mass": mass,
                "any_draw": mass > 0,
                "chains_mixed": int(((per_chain >= VISIT_SHARE).sum(axis=1) >= 2).sum()),
            }
        )
    mass = np.stack([r["mass"] for r in rows])
    ds = xr.Dataset(
        {
            "seconds": ("sampler", [r["seconds"] for r in rows]),
            "n_draws": ("sampler", [r["n_draws"] for r in rows]),
            "n_chains": ("sampler", [r["n_chains"] for r in rows]),
            "mass": (("sampler", "mode"), mass),
            "abs_error": (("sampler", "mode"), np.abs(mass - ref)),
            "max_abs_error": ("sampler", np.abs(mass - ref).max(axis=1)),
            "visited": (("sampler", "mode"), mass >= VISIT_SHARE),
            "modes_visited": ("sampler", (mass >= VISIT_SHARE).sum(axis=1)),
            "modes_reached": ("sampler", (mass > 0).sum(axis=1)),
            "any_draw": (("sampler", "mode"), np.stack([r["any_draw"] for r in rows])),
            "chains_mixed": ("sampler", [r["chains_mixed"] for r in rows]),
            "reference": ("mode", ref),
        },
        coords={"sampler": methods, "mode": names},
        attrs={"random_seed": seed, "visit_share": VISIT_SHARE},
    )
    return ds
