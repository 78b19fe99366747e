"""Importance-sampling estimate of the evidence, with the ordered transform's ``log K!`` made explicit."""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy import stats
from scipy.special import logsumexp

from mixlab._validate import check_group, check_int, check_positive, check_rng
from mixlab.evidence._start import _check_model, log_k_factorial, ordered_sizes, to_value_space

__all__ = ["importance_log_evidence"]


def _draws_in_value_space(model, post):
    names = [rv.name for rv in model.free_RVs]
    missing = [n for n in names if n not in post]
    if missing:
        raise ValueError(f"the posterior has no {missing}; pass draws of this model's free "
                         "variables (e.g. from pm.sample or sample_smc on the same model)")
    values = {}
    for rv in model.free_RVs:
        da = post[rv.name]
        if "chain" not in da.dims or "draw" not in da.dims:
            raise ValueError(f"posterior variable {rv.name!r} needs dims 'chain' and 'draw', got "
                             f"{da.dims}")
        arr = da.transpose("chain", "draw", ...).values
        values[rv.name] = arr.reshape(-1, *arr.shape[2:])
    return to_value_space(model, values)


def importance_log_evidence(model, idata, *, draws=20_000, df=4.0, scale=1.5, ordered_correction=True,
                            random_seed=None):
    """Log evidence ``log p(y)`` by importance sampling from a Student-t fitted to posterior draws.

    The proposal is a multivariate Student-t on the model's unconstrained (value) scale with the
    posterior draws' mean and ``scale`` times their covariance; the target is the model's log
    density there (Jacobians included). The estimate is ``log mean(p(y, theta) / q(theta))``.

    **Label symmetry.** An ordered transform restricts the symmetric prior to one of the ``K!``
    orderings without renormalising it, so the density PyMC evaluates integrates to ``1/K!`` and
    the raw estimate is ``log p(y) - log K!``. With ``ordered_correction=True`` the function adds
    ``log K!`` for the model's ordered vector (the answer then matches the unordered model and
    :func:`mixlab.evidence.sample_smc`, which needs no correction). Without an ordered transform
    the proposal must cover every labelling the posterior has: a chain stuck in one labelling of an
    unordered K-component model understates the evidence by the same ``log K!``.

    Parameters
    ----------
    model : pymc.Model
        The model whose evidence is estimated.
    idata : xarray.DataTree
        Posterior draws of the same model (``posterior`` group with ``chain`` and ``draw``).
    draws : int, default 20000
        Number of proposal draws.
    df : float, default 4
        Degrees of freedom of the Student-t proposal (heavier tails than the posterior).
    scale : float, default 1.5
        Factor on the posterior covariance.
    ordered_correction : bool, default True
        Add ``log K!`` for the ordered vector (see above).
    random_seed : int or numpy.random.Generator, optional
        Seed of the proposal draws.

    Returns
    -------
    xarray.Dataset
        Scalars ``log_evidence`` (corrected when asked), ``log_evidence_raw`` (PyMC's density as
        it is), ``correction`` (``log K!`` or 0), ``mcse`` (Monte Carlo standard error of the log
        estimate, by the delta method) and ``ess`` (importance-sampling effective sample size).

    Raises
    ------
    TypeError
        If ``model`` is not a PyMC model or ``idata`` not a DataTree.
    ValueError
        If the posterior lacks a free variable of the model, has too few draws for the proposal's
        covariance, or the model has more than one ordered vector with ``ordered_correction=True``
        (the correction is then not ``log K!``: pass ``ordered_correction=False`` and add your own).

    References
    ----------
    Geweke (1989), "Bayesian inference in econometric models using Monte Carlo integration",
    Econometrica 57(6):1317-1339. Frühwirth-Schnatter (2004), "Estimating marginal likelihoods for
    mixture and Markov switching models using bridge sampling techniques", Econometrics Journal
    7(1):143-167 (the label-symmetry factor).

    Examples
    --------
    >>> import numpy as np, pymc as pm, xarray as xr
    >>> from mixlab.evidence import importance_log_evidence
    >>> with pm.Model() as model:
    ...     mu = pm.Normal("mu", 0.0, 1.0)
    ...     _ = pm.Normal("y", mu, 1.0, observed=np.array([0.5]))
    >>> post = xr.DataTree.from_dict({"posterior": xr.Dataset(
    ...     {"mu": (("chain", "draw"), np.random.default_rng(0).normal(0.25, 0.7, (2, 500)))})})
    >>> est = importance_log_evidence(model, post, draws=4000, random_seed=1)
    >>> exact = -0.5 * np.log(2 * np.pi * 2.0) - 0.25 / 4.0   # y ~ N(0, 2)
    >>> bool(abs(float(est["log_evidence"]) - exact) < 5 * float(est["mcse"]) + 1e-3)
    True
    """
    model = _check_model(model)
    post = check_group(idata, "posterior")
    draws = check_int(draws, "draws", minimum=100)
    df = float(check_positive(df, "df"))
    scale = float(check_positive(scale, "scale"))
    if not isinstance(ordered_correction, bool):
        raise TypeError(f"ordered_correction must be True or False, got {ordered_correction!r}")
    rng = check_rng(random_seed, "random_seed")
    sizes = ordered_sizes(model)
    if ordered_correction and len(sizes) > 1:
        raise ValueError(f"the model has {len(sizes)} ordered vectors ({sorted(sizes)}); the "
                         "symmetry factor is not log K! then: pass ordered_correction=False and "
                         "correct it yourself")
    correction = log_k_factorial(next(iter(sizes.values()))) if ordered_correction and sizes else 0.0

    value_draws = _draws_in_value_space(model, post)
    names = [v.name for v in model.value_vars]
    shapes = {n: value_draws[n].shape[1:] for n in names}
    flat = np.concatenate([value_draws[n].reshape(len(value_draws[n]), -1) for n in names], axis=1)
    n, d = flat.shape
    if n <= d + 1:
        raise ValueError(f"the posterior has {n} draws for {d} unconstrained parameters; pass at "
                         f"least {d + 2} draws to fit the proposal")
    cov = np.atleast_2d(np.cov(flat, rowvar=False)) * scale
    proposal = stats.multivariate_t(loc=flat.mean(axis=0), shape=cov, df=df, allow_singular=False)
    theta = np.asarray(proposal.rvs(size=draws, random_state=rng)).reshape(draws, d)
    log_q = np.asarray(proposal.logpdf(theta)).reshape(draws)
    logp = model.compile_logp(jacobian=True)
    splits = np.cumsum([int(np.prod(shapes[nm], dtype=int)) for nm in names])[:-1]
    log_p = np.empty(draws)
    for i, row in enumerate(theta):
        parts = np.split(row, splits)
        log_p[i] = logp({nm: part.reshape(shapes[nm]) for nm, part in zip(names, parts,
                                                                           strict=True)})
    log_w = np.where(np.isfinite(log_p), log_p - log_q, -np.inf)
    raw = float(logsumexp(log_w) - np.log(draws))
    w = np.exp(log_w - log_w.max())
    mcse = float(w.std(ddof=1) / (np.sqrt(draws) * w.mean()))
    ess = float(w.sum() ** 2 / (w**2).sum())
    return xr.Dataset({
        "log_evidence": raw + correction, "log_evidence_raw": raw, "correction": correction,
        "mcse": mcse, "ess": ess,
    }, attrs={"method": "importance sampling, Student-t proposal", "draws": draws})
