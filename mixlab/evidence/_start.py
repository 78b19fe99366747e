"""Valid SMC starting particles for models with ordered transforms, and SMC run quietly from them."""

from __future__ import annotations

import logging
import math

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from mixlab._validate import check_int, check_rng

__all__ = ["ordered_sizes", "sample_smc", "smc_start", "to_value_space"]


def _check_model(model, name="model"):
    if not isinstance(model, pm.Model):
        raise TypeError(f"{name} must be a pymc.Model, got {type(model).__name__}; pass the model "
                        "whose evidence you want (e.g. mixlab.models.gmm(y, K))")
    if not model.free_RVs:
        raise ValueError(f"{name} has no free random variables; there is nothing to sample")
    return model


def _transforms(model, rv):
    tr = model.rvs_to_transforms.get(rv)
    if tr is None:
        return tr, []
    return tr, list(getattr(tr, "transform_list", [tr]))


def _is_ordered(model, rv):
    return any(type(t).__name__ == "Ordered" for t in _transforms(model, rv)[1])


def ordered_sizes(model):
    """``{name: length}`` of every free variable with an ordered transform (length of its last axis)."""
    out = {}
    for rv in model.free_RVs:
        if _is_ordered(model, rv):
            shape = tuple(int(s) for s in rv.shape.eval())
            out[rv.name] = shape[-1] if shape else 1
    return out


def to_value_space(model, values):
    """Map constrained values ``{rv name: array (n, *shape)}`` to ``{value var name: array}``."""
    out = {}
    for rv in model.free_RVs:
        v = np.asarray(values[rv.name], dtype=float)
        tr, _ = _transforms(model, rv)
        if tr is not None:
            params = rv.owner.op.dist_params(rv.owner)
            v = np.asarray(tr.forward(pt.as_tensor(v), *params).eval(), dtype=float)
        out[model.rvs_to_values[rv].name] = v
    return out


def _one_start(model, draws, rng):
    drawn = pm.draw(model.free_RVs, draws=draws, random_seed=rng)
    values = {}
    for rv, v in zip(model.free_RVs, drawn, strict=True):
        v = np.asarray(v, dtype=float).reshape(draws, *np.shape(v)[1:])
        values[rv.name] = np.sort(v, axis=-1) if _is_ordered(model, rv) else v
    return to_value_space(model, values)


def smc_start(model, draws, *, chains=None, random_seed=None):
    """Starting particles for ``pm.sample_smc`` that respect every ordered transform.

    Each particle is a joint draw from the model's prior with every vector that has an ordered
    transform sorted along its last axis, mapped to the unconstrained (value) scale that
    ``pm.sample_smc(start=...)`` expects. When the prior is exchangeable along the ordered axis
    (independent, identically distributed components, as in every mixlab model with ordered means),
    sorting gives exact draws from the normalised prior restricted to the ordered cone, the prior
    whose evidence equals that of the unordered, symmetric model.

    Parameters
    ----------
    model : pymc.Model
        The model; its free variables must be drawable with ``pm.draw``.
    draws : int
        Number of particles (``draws`` of ``pm.sample_smc``), at least 2.
    chains : int, optional
        When given, a list of that many independent starts (one per SMC chain), as
        ``pm.sample_smc(start=..., chains=chains)`` takes; otherwise one dict.
    random_seed : int or numpy.random.Generator, optional
        Seed of the prior draws.

    Returns
    -------
    dict or list of dict
        ``{value variable name: array of shape (draws, ...)}`` (or a list of them).

    Raises
    ------
    TypeError
        If ``model`` is not a PyMC model or ``draws``/``chains`` are not integers.
    ValueError
        If ``draws < 2`` or ``chains < 1``.

    References
    ----------
    Del Moral, Doucet & Jasra (2006), "Sequential Monte Carlo samplers", JRSS B 68(3):411-436.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab import datasets, models
    >>> from mixlab.evidence import smc_start
    >>> model = models.gmm(datasets.load_galaxy(), 3)
    >>> start = smc_start(model, 200, random_seed=1)
    >>> sorted(start)
    ['mu_ordered__', 'sigma_log__', 'w_simplex__']
    >>> start["mu_ordered__"].shape
    (200, 3)
    >>> logp = model.compile_logp()
    >>> bool(np.isfinite(logp({k: v[0] for k, v in start.items()})))
    True
    """
    model = _check_model(model)
    draws = check_int(draws, "draws", minimum=2)
    rng = check_rng(random_seed, "random_seed")
    if chains is None:
        return _one_start(model, draws, rng)
    chains = check_int(chains, "chains", minimum=1)
    return [_one_start(model, draws, rng) for _ in range(chains)]


def sample_smc(model, draws=1000, *, chains=2, random_seed=None, **kwargs):
    """Run ``pm.sample_smc`` from :func:`smc_start` particles, quietly, and return its DataTree.

    Parameters
    ----------
    model : pymc.Model
        The model.
    draws : int, default 1000
        Particles per chain. The evidence estimate's spread falls roughly as ``1/sqrt(draws)``.
    chains : int, default 2
        Independent SMC runs; each gives its own evidence estimate (:func:`log_evidence`).
    random_seed : int, optional
        Seed of the starting particles and of the sampler.
    **kwargs
        Passed to ``pm.sample_smc`` (e.g. ``kernel``, ``threshold``, ``cores``); not ``start``,
        ``progressbar`` or ``compute_convergence_checks``, which this function sets.

    Returns
    -------
    xarray.DataTree
        ``posterior`` with dims ``(chain, draw, ...)`` and ``sample_stats`` with PyMC's
        ``log_marginal_likelihood`` per stage (read it with :func:`log_evidence`).

    Raises
    ------
    TypeError, ValueError
        As :func:`smc_start`, or if ``kwargs`` sets what this function sets.

    References
    ----------
    Ching & Chen (2007), "Transitional Markov chain Monte Carlo method for Bayesian model updating,
    model class selection, and model averaging", J. Eng. Mech. 133(7):816-832.

    Examples
    --------
    >>> from mixlab import datasets, models
    >>> from mixlab.evidence import sample_smc
    >>> model = models.gmm(datasets.load_galaxy(), 3)
    >>> sample_smc(model, 100, start={})
    Traceback (most recent call last):
    ...
    ValueError: sample_smc sets ['start'] itself; drop them from the call (use smc_start and pm.sample_smc directly for a custom start)

    Sampling (not run here): ``idata = sample_smc(model, 2000, chains=4, random_seed=1)``, then
    ``mixlab.evidence.log_evidence(idata)`` gives one estimate of ``log p(y)`` per chain.
    """
    fixed = {"start", "progressbar", "compute_convergence_checks"} & set(kwargs)
    if fixed:
        raise ValueError(f"sample_smc sets {sorted(fixed)} itself; drop them from the call "
                         "(use smc_start and pm.sample_smc directly for a custom start)")
    draws = check_int(draws, "draws", minimum=2)
    chains = check_int(chains, "chains", minimum=1)
    rng = check_rng(random_seed, "random_seed")
    start = smc_start(model, draws, chains=chains, random_seed=rng)
    seed = int(rng.integers(2**31 - 1))
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with model:
            return pm.sample_smc(draws, start=start, chains=chains, random_seed=seed,
                                 progressbar=False, compute_convergence_checks=False, **kwargs)
    finally:
        logger.setLevel(level)


def log_k_factorial(k):
    """``log k!``: the label-symmetry factor of an ordered vector of length ``k``."""
    return math.lgamma(k + 1)
