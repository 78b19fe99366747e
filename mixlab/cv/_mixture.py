"""Mixture importance-sampling LOO (Silva & Zanella, 2023) for PyMC models."""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr
from arviz_stats import loo
from arviz_stats.utils import ELPDDataLOO
from scipy.special import logsumexp

from mixlab._loo import relative_eff
from mixlab._validate import check_int

from ._checks import check_observed, start_values

__all__ = ["MIXTURE_POTENTIAL", "MixtureLOO", "mixture_loo", "mixture_proposal"]

#: Name of the potential that turns a copy of the model into the mixture proposal.
MIXTURE_POTENTIAL = "mixture_is"

# pm.sample arguments that would leave pm.compute_log_likelihood without a DataTree of every free variable
_RESERVED = ("return_inferencedata", "var_names")


class MixtureLOO(NamedTuple):
    """The result of :func:`mixture_loo`."""

    #: ``az.loo(idata, mixture=True)``: ``elpd``, ``se``, ``p`` and, when ``pointwise``,
    #: ``elpd_i`` and ``pareto_k`` over the observations' dim (``pareto_k`` is that of the
    #: mixture weights, a diagnostic of the proposal, not PSIS's).
    loo: ELPDDataLOO
    #: The proposal fit: draws of the mixture proposal in ``posterior`` (*not* posterior draws),
    #: ``sample_stats``, ``observed_data``, and in ``log_likelihood`` the pointwise
    #: log-likelihood of the *original* model at those draws.
    idata: xr.DataTree
    #: The copy of the model with the potential :data:`MIXTURE_POTENTIAL` that was sampled.
    proposal: pm.Model
    #: Wall time of ``pm.sample`` on the proposal, in seconds (compilation included).
    seconds: float
    #: Importance-sampling effective sample size of each observation's weights (Kish's
    #: :math:`(\sum_s w_{is})^2 / \sum_s w_{is}^2`, between 1 and the number of draws; it ignores
    #: autocorrelation), over the observations' dim. The proposal spends its draws on the
    #: influential points; a small value elsewhere flags a noisy ``elpd_i``.
    ess_i: xr.DataArray


def mixture_proposal(model, var_name=None):
    """Copy ``model`` and add the potential :math:`\\log \\sum_i p(y_i \\mid \\theta)^{-1}`.

    Parameters
    ----------
    model : pymc.Model
        A model with continuous free variables only (a marginal mixture).
    var_name : str, optional
        Observed variable whose pointwise log-likelihood defines the proposal; default the
        model's only one.

    Returns
    -------
    proposal : pymc.Model
        A clone of ``model`` (same variables, coords and dims) with the potential
        :data:`MIXTURE_POTENTIAL`; ``model`` itself is unchanged.
    var_name : str
        The observed variable.
    obs_dim : str
        Its first dim.

    Raises
    ------
    TypeError
        If ``model`` is not a ``pymc.Model``.
    ValueError
        As :func:`mixture_loo`.

    Examples
    --------
    >>> import numpy as np, pymc as pm
    >>> from mixlab.cv import mixture_proposal
    >>> with pm.Model(coords={"obs": range(3)}) as model:
    ...     mu = pm.Normal("mu", 0, 10)
    ...     _ = pm.Normal("y", mu, 1, observed=np.array([0.1, -0.4, 2.0]), dims="obs")
    >>> proposal, var_name, obs_dim = mixture_proposal(model)
    >>> [p.name for p in proposal.potentials], [p.name for p in model.potentials], obs_dim
    (['mixture_is'], [], 'obs')
    """
    if not isinstance(model, pm.Model):
        raise TypeError(f"model must be a pymc.Model, got {type(model).__name__}")
    var_name, obs_dim = check_observed(model, var_name)
    if MIXTURE_POTENTIAL in model.named_vars:
        raise ValueError(
            f"the model already has a variable '{MIXTURE_POTENTIAL}'; pass the original model, "
            "not a mixture proposal"
        )
    proposal = model.copy()
    with proposal:
        (loglik,) = proposal.logp(vars=[proposal[var_name]], sum=False)
        pm.Potential(MIXTURE_POTENTIAL, pt.logsumexp(-loglik))
    return proposal, var_name, obs_dim


def mixture_loo(
    model,
    *,
    random_seed,
    draws=500,
    tune=500,
    chains=4,
    var_name=None,
    nuts_sampler=None,
    initvals=None,
    pointwise=True,
    **sample_kwargs,
) -> MixtureLOO:
    """Estimate leave-one-out predictive accuracy by mixture importance sampling.

    PSIS-LOO reweights posterior draws by :math:`1/p(y_i \\mid \\theta)`; when the posterior
    without observation :math:`i` lies in the posterior's tail (an influential point: Pareto
    :math:`k > 0.7`) those weights have infinite variance and the estimate is unreliable. Silva
    and Zanella (2023) sample instead, once, from the *mixture proposal*

    .. math::

        q(\\theta) \\propto p(\\theta \\mid y) \\sum_{j=1}^{n} p(y_j \\mid \\theta)^{-1}
        \\propto \\sum_{j=1}^{n} \\frac{p(\\theta \\mid y_{-j})}{p(y_j \\mid y_{-j})},

    a mixture of all :math:`n` leave-one-out posteriors, each weighted by the inverse of its
    point's LOO predictive density, so that the LOO posteriors of influential points get the
    most draws. With draws :math:`\\theta_s \\sim q` and
    :math:`\\ell_{js} = \\log p(y_j \\mid \\theta_s)`, the importance weights for observation
    :math:`i` are bounded (by 1) and

    .. math::

        \\widehat{\\mathrm{elpd}}_i = \\log
        \\frac{\\sum_s \\left(\\sum_j e^{-\\ell_{js}}\\right)^{-1}}
              {\\sum_s e^{-\\ell_{is}} \\left(\\sum_j e^{-\\ell_{js}}\\right)^{-1}}.

    This function builds :math:`q` by copying ``model`` and adding
    ``pm.Potential("mixture_is", logsumexp(-loglik))``, where ``loglik`` is the elementwise
    log density of the observed variable (for ``pm.NormalMixture`` / ``pm.Mixture``, the
    marginal mixture density :math:`\\log \\sum_k w_k f(y_j \\mid \\theta_k)`); samples it;
    evaluates the *original* model's pointwise log-likelihood at the proposal draws with
    ``pm.compute_log_likelihood``; and calls ``az.loo(idata, mixture=True)``. That is what
    ArviZ's ``mixture=True`` expects (``arviz_stats`` 1.3, ``loo_mixture``): the
    ``log_likelihood`` group must hold :math:`\\ell_{js}` for *all* observations at draws from
    :math:`q` -- not from the posterior -- and nothing else (it uses no posterior draws and no
    normalizing constant; the formula above is a ratio of two sums over the same draws). The
    proposal's draws replace the posterior fit; the posterior fit is not needed.

    Parameters
    ----------
    model : pymc.Model
        The model, with continuous free variables only: a mixture must have its labels
        marginalized (``pm.NormalMixture`` / ``pm.Mixture``, as :mod:`mixlab.models` builds
        them). It is not modified.
    random_seed : int or None
        Seed of ``pm.sample`` on the proposal (keyword, required: pass ``None`` explicitly for
        an unseeded run).
    draws, tune, chains : int, default 500, 500, 4
        ``pm.sample`` settings for the proposal.
    var_name : str, optional
        Observed variable to cross-validate; default the model's only one.
    nuts_sampler : str, optional
        ``"pymc"`` or ``"nutpie"``; default PyMC's (nutpie when installed).
    initvals : dict or callable, optional
        Start values: a dict, or ``initvals(model) -> dict`` such as
        :func:`mixlab.models.initvals` (needed for the ordered means of :mod:`mixlab.models`). The
        proposal's log density is checked there before sampling.
    pointwise : bool, default True
        Keep ``elpd_i`` and ``pareto_k`` in the result.
    **sample_kwargs
        Further :func:`pymc.sample` arguments (``progressbar`` and
        ``compute_convergence_checks`` default to False).

    Returns
    -------
    MixtureLOO
        ``(loo, idata, proposal, seconds, ess_i)``: ArviZ's result, the proposal fit with the
        original model's log-likelihood, the proposal model, the sampling time and each
        observation's importance-sampling effective sample size.

    Raises
    ------
    TypeError
        If ``model`` is not a ``pymc.Model``, ``draws``/``tune``/``chains`` are not integers,
        ``initvals`` is neither a dict nor callable, or ``pointwise`` is not a bool.
    ValueError
        If the model has discrete free variables, no such observed variable, already a
        variable named ``mixture_is``, a non-finite log density at the start values, or
        ``sample_kwargs`` sets ``return_inferencedata`` or ``var_names``.

    Notes
    -----
    ``loo.p`` is ArviZ's ``lppd - elpd`` with ``lppd`` averaged over the *proposal* draws, so
    it is not the effective number of parameters that PSIS-LOO reports; compare ``elpd`` and
    ``elpd_i``. ``loo.se`` is the usual spread over observations, not a Monte Carlo error.

    The proposal is heavier-tailed than the posterior; for a multimodal posterior it can add
    modes (the LOO posteriors of points that a component is built around). Check its sampling
    diagnostics in ``idata["sample_stats"]``. When one point is far more influential than all
    others, :math:`q` is nearly that point's LOO posterior and the other points' estimates
    become importance sampling from it: bounded weights, but few effective draws (``ess_i``)
    and errors that add up over the points. In a two-cluster Gaussian mixture of 60 points with
    one outlier (PSIS k about 1), 99.9% of the proposal was the outlier's LOO posterior, the
    other points had ``ess_i`` of 50-60 out of 2000 draws, and their summed elpd was 1.7 nats
    above PSIS-LOO's (reliable for them, k < 0.7); 1.2 nats with 12000 draws. Their PSIS-LOO
    values can be kept and the mixture's used for the high-k points only.

    ``loo.pareto_k`` is the Pareto k that ArviZ fits to the mixture log weights, a diagnostic
    of the proposal, not PSIS's k (``loo.warning`` is True where it exceeds ``loo.good_k``;
    ArviZ's warning, written for PSIS, is not shown). ArviZ 1.3 fails to fit it ("All tail values are the same")
    when a point's weights are 1 to double precision at every tail draw; the result is then
    assembled from the same ArviZ routines with k set to ``-inf`` for such points.

    References
    ----------
    Silva, L. A. and Zanella, G. (2023). Robust leave-one-out cross-validation for
    high-dimensional Bayesian models. *Journal of the American Statistical Association*
    119, 2369-2381.

    Examples
    --------
    Building the proposal needs no sampling (see :func:`mixture_proposal`); a typical call is::

        from mixlab.models import gmm, initvals
        model = gmm(y, K=2)
        res = mixture_loo(model, random_seed=1, initvals=initvals)
        res.loo.elpd, res.loo.elpd_i, res.seconds

    Input errors are reported before anything is sampled:

    >>> from mixlab.cv import mixture_loo
    >>> mixture_loo("model", random_seed=1)
    Traceback (most recent call last):
    ...
    TypeError: model must be a pymc.Model, got str
    """
    if not isinstance(model, pm.Model):
        raise TypeError(f"model must be a pymc.Model, got {type(model).__name__}")
    draws = check_int(draws, "draws", minimum=1)
    tune = check_int(tune, "tune", minimum=0)
    chains = check_int(chains, "chains", minimum=1)
    if not isinstance(pointwise, bool):
        raise TypeError(f"pointwise must be True or False, got {pointwise!r}")
    if initvals is not None and not (isinstance(initvals, Mapping) or callable(initvals)):
        raise TypeError(
            "initvals must be a dict of start values or a callable model -> dict such as "
            f"mixlab.models.initvals, got {type(initvals).__name__}"
        )
    reserved = [key for key in _RESERVED if key in sample_kwargs]
    if reserved:
        raise ValueError(
            f"sample_kwargs must not set {reserved}: mixture_loo needs the DataTree of every "
            "free variable; remove them"
        )
    proposal, var_name, _ = mixture_proposal(model, var_name)
    start = initvals(model) if callable(initvals) else initvals
    start = start_values(proposal, start, "the mixture proposal")

    kwargs = {"progressbar": False, "compute_convergence_checks": False, **sample_kwargs}
    if nuts_sampler is not None:
        kwargs["nuts_sampler"] = nuts_sampler
    tic = time.perf_counter()
    idata = pm.sample(
        draws=draws,
        tune=tune,
        chains=chains,
        random_seed=random_seed,
        model=proposal,
        initvals=start,
        **kwargs,
    )
    seconds = time.perf_counter() - tic
    pm.compute_log_likelihood(idata, var_names=[var_name], model=model, progressbar=False)
    log_lik = idata["log_likelihood"][var_name]
    return MixtureLOO(
        _mixture_elpd(idata, var_name, pointwise), idata, proposal, seconds, _kish_ess(log_lik)
    )


def _kish_ess(log_lik, sample_dims=("chain", "draw")):
    """Kish's effective sample size of the mixture weights w_is = e^{-l_is} / sum_j e^{-l_js}."""
    obs_dims = [d for d in log_lik.dims if d not in sample_dims]
    ll = log_lik.transpose(*sample_dims, *obs_dims)
    flat = ll.values.reshape(-1, int(np.prod(ll.shape[len(sample_dims) :], dtype=int)))
    log_w = -flat - logsumexp(-flat, axis=1, keepdims=True)
    ess = np.exp(2 * logsumexp(log_w, axis=0) - logsumexp(2 * log_w, axis=0))
    template = ll.isel(dict.fromkeys(sample_dims, 0), drop=True)
    return template.copy(data=ess.reshape(template.shape)).rename("ess_i")


def _mixture_elpd(idata, var_name, pointwise):
    """``az.loo(idata, mixture=True)``, or the same result where ArviZ's diagnostic fails.

    ArviZ ends its mixture estimate with a Pareto k of each observation's mixture weights
    (``psislw`` on the log weights). When one point dominates the proposal -- the influential
    point the method is for -- its weights equal 1 to double precision at every draw of the
    tail, and ``psislw`` raises "All tail values are the same". The estimate itself is fine;
    then the same result is assembled here from ArviZ's own pieces, with k computed per
    observation and set to -inf (a bounded, constant tail) where the tail is constant.
    """
    with warnings.catch_warnings():
        # ArviZ warns that mixture=True needs draws from the mixture proposal: these are
        warnings.filterwarnings("ignore", message="Using mixture=True", category=UserWarning)
        # and warns, in PSIS's words, when the mixture weights' k is high: loo.warning keeps it
        warnings.filterwarnings(
            "ignore", message="Estimated shape parameter of Pareto", category=UserWarning
        )
        try:
            return loo(idata, pointwise=pointwise, var_name=var_name, mixture=True)
        except ValueError as err:
            if "All tail values are the same" not in str(err):
                raise
    sample_dims = ["chain", "draw"]
    log_lik = idata["log_likelihood"][var_name]
    n_samples = int(np.prod([log_lik.sizes[d] for d in sample_dims]))
    elpd_i, p_loo_i, mix_lw = log_lik.azstats.loo_mixture(sample_dims=sample_dims)
    elpd, se, p, _ = elpd_i.azstats.loo_summary(p_loo_i)
    posterior = idata["posterior"].to_dataset()
    reff = relative_eff(posterior, n_samples)
    k = np.empty(elpd_i.shape)
    for idx in np.ndindex(*k.shape):
        weights = mix_lw.isel(dict(zip(elpd_i.dims, idx, strict=True)))
        try:
            k[idx] = float(weights.azstats.psislw(r_eff=reff, dim=sample_dims)[1])
        except ValueError as err:
            if "All tail values are the same" not in str(err):
                raise
            k[idx] = -np.inf
    pareto_k = elpd_i.copy(data=k)
    good_k = min(1 - 1 / np.log10(n_samples), 0.7) if n_samples > 1 else 0.7
    return ELPDDataLOO(
        elpd=elpd,
        se=se,
        p=p,
        n_samples=n_samples,
        n_data_points=int(elpd_i.size),
        scale="log",
        warning=bool(np.any(k > good_k)),
        good_k=good_k,
        elpd_i=elpd_i if pointwise else None,
        pareto_k=pareto_k if pointwise else None,
        approx_posterior=False,
        log_weights=mix_lw,
    )
