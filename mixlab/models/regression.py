"""Mixture of regression lines: :func:`mixture_regression` and its EM start values."""

from __future__ import annotations

import numpy as np
import pymc as pm
from pymc.distributions.transforms import Ordered

from mixlab.models._common import (
    _check_K,
    _check_xy,
    _coords,
    _data_scales,
    _register,
    _resolve_priors,
    _Spec,
    _strictly_increasing,
)

__all__ = ["mixture_regression"]


def _normal_logpdf(y, loc, scale):
    return -0.5 * ((y - loc) / scale) ** 2 - np.log(scale) - 0.5 * np.log(2 * np.pi)


def _regression_em(x, y, K, *, n_random=6, n_iter=60):
    """Maximum-likelihood K-line mixture by EM, best of several deterministic starts.

    Returns ``(w, intercepts, slopes, sigmas)``. Scales are floored at 5% of ``sd(y)`` so that no
    line collapses onto two points (the likelihood is unbounded there); the result is a start for
    MCMC, not an estimate, and the floor only keeps it away from that degenerate corner.
    """
    n = y.size
    design = np.column_stack([np.ones(n), x])
    _, _, sd = _data_scales(y)
    floor = 0.05 * sd
    # start 1: parallel lines through the residual quantiles (hard assignment to K bins)
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (intercept + slope * x)
    bins = np.searchsorted(np.quantile(resid, np.arange(1, K) / K), resid)
    starts = [np.eye(K)[np.minimum(bins, K - 1)]]
    # further starts: fixed pseudo-random soft splits (a fixed seed keeps initvals deterministic)
    rng = np.random.default_rng(20261124)
    starts += [rng.dirichlet(np.ones(K), size=n) for _ in range(n_random)]
    best, best_ll = None, -np.inf
    for resp in starts:
        for _ in range(n_iter):
            nk = resp.sum(axis=0) + 1e-10
            coef = np.empty((K, 2))
            sigma = np.empty(K)
            for k in range(K):
                weighted = design * resp[:, k, None]
                coef[k] = np.linalg.lstsq(weighted.T @ design + 1e-9 * np.eye(2),
                                          weighted.T @ y, rcond=None)[0]
                res = y - design @ coef[k]
                sigma[k] = max(np.sqrt(np.sum(resp[:, k] * res**2) / nk[k]), floor)
            w = np.clip(nk / n, 1e-3, None)
            w = w / w.sum()
            logp = np.log(w) + _normal_logpdf(y[:, None], design @ coef.T, sigma)
            top = logp.max(axis=1, keepdims=True)
            log_norm = top + np.log(np.exp(logp - top).sum(axis=1, keepdims=True))
            resp = np.exp(logp - log_norm)
        ll = float(log_norm.sum())
        if ll > best_ll:
            best, best_ll = (w, coef[:, 0].copy(), coef[:, 1].copy(), sigma), ll
    return best


def _regression_start(spec):
    """Start values of a :func:`mixture_regression` model: the EM fit, sorted as ordered."""
    y, K = spec.y, spec.K
    _, _, sd = _data_scales(y)
    w, mu, beta, sigma = _regression_em(spec.x, y, K)
    key = beta if spec.ordered == "beta" else mu
    order = np.argsort(key, kind="stable")
    w, mu, beta, sigma = w[order], mu[order], beta[order], sigma[order]
    if spec.ordered == "beta":
        _, x_range, _ = _data_scales(spec.x, "x")
        beta = _strictly_increasing(beta, sd / x_range)
    elif spec.ordered == "mu":
        mu = _strictly_increasing(mu, sd)
    return {"w": w, "mu": mu, "beta": beta, "sigma": sigma}


def mixture_regression(x, y, K, *, ordered=True, priors=None):
    """Build a mixture of K regression lines: each point lies on one of K lines.

    .. math::

        y_i \\sim \\sum_k w_k \\, \\mathrm{Normal}(\\mu_k + \\beta_k x_i, \\sigma_k)

    The likelihood is :class:`pymc.NormalMixture` with a location matrix of shape
    ``(obs, component)``; ``x`` is stored as ``pm.Data("x", dims="obs")`` so that it appears in
    ``constant_data``.

    Mixture regressions are multimodal (for instance, K near-identical lines with an inflated
    scale is a local mode). :func:`initvals` starts at an EM fit of the lines; sample without
    jitter so that the chains start there::

        pm.sample(model=model, initvals=initvals(model), init="adapt_diag")

    Parameters
    ----------
    x : array_like, shape (n,)
        Covariate; finite and not constant.
    y : array_like, shape (n,)
        Responses; finite, same length as ``x``.
    K : int
        Number of lines, at least 1.
    ordered : {True, False, "mu", "beta"}, default True
        Which parameter carries the ordered transform that removes label switching. ``True`` and
        ``"mu"`` order the intercepts (``mu``, the value of each line at ``x = 0``): right when the
        lines are separated at ``x = 0``, e.g. parallel lines. ``"beta"`` orders the slopes: right
        when lines cross near ``x = 0`` but fan out. ``False``: no ordering.
    priors : dict, optional
        Keys ``w_alpha`` (default 1), ``beta_mu`` (default 0), ``beta_sigma`` (default
        ``range(y) / range(x)``, the steepest slope the data can show), ``mu_mu`` (midpoint of
        ``y``), ``mu_sigma`` (default ``sqrt(range(y)**2 + (beta_sigma * mean(x))**2)``: the
        intercept is the line extrapolated to ``x = 0``), ``sigma_sigma`` (default ``sd(y)``).

    Returns
    -------
    pymc.Model
        Free variables ``w``, ``mu`` (intercepts), ``beta`` (slopes), ``sigma`` (residual scales),
        all dims ``component``; data ``x`` and observed ``y`` (dims ``obs``).

    Raises
    ------
    TypeError
        If ``x`` or ``y`` is not numeric, ``K`` is not an integer, ``ordered`` is not one of the
        allowed values or ``priors`` is not a dict.
    ValueError
        If ``x`` or ``y`` is not 1-D, is empty or holds NaN/inf, the lengths differ, ``x`` is
        constant, ``K < 1`` or ``K`` exceeds the number of observations, the scale of ``x`` or
        ``y`` overflows float64, or ``priors`` has an unknown key or a bad value.

    Examples
    --------
    >>> from mixlab.models import initvals, mixture_regression
    >>> from mixlab.simulate import simulate_mixture_regression
    >>> x, y, _ = simulate_mixture_regression([0.5, 0.5], [0.0, 5.0], [1.0, 1.0], [0.3, 0.3],
    ...                                       n=80, rng=2)
    >>> model = mixture_regression(x, y, K=2)
    >>> sorted(initvals(model))
    ['beta', 'mu', 'sigma', 'w']
    >>> mixture_regression(x, y[:-1], K=2)
    Traceback (most recent call last):
    ...
    ValueError: x and y must have the same length, got 80 and 79; pass one x per observation
    """
    x, y = _check_xy(x, y, "a regression")
    K = _check_K(K, y.size)
    if isinstance(ordered, bool | np.bool_):
        order = "mu" if ordered else None
    elif isinstance(ordered, str) and ordered in ("mu", "beta"):
        order = ordered
    else:
        raise TypeError(f"ordered must be True, False, 'mu' or 'beta', got {ordered!r}")
    if K == 1:
        order = None
    mid_y, range_y, sd_y = _data_scales(y)
    _, range_x, _ = _data_scales(x, "x")
    beta_sigma = range_y / range_x
    defaults = {
        "w_alpha": (1.0, "positive", "component"),
        "mu_mu": (mid_y, "real", "component"),
        "mu_sigma": (float(np.hypot(range_y, beta_sigma * np.mean(x))), "positive", "component"),
        "beta_mu": (0.0, "real", "component"),
        "beta_sigma": (beta_sigma, "positive", "component"),
        "sigma_sigma": (sd_y, "positive", "component"),
    }
    pri = _resolve_priors(priors, defaults, {"component": K}, "mixture_regression")
    with pm.Model(coords=_coords(K, y.size)) as model:
        x_data = pm.Data("x", x, dims="obs")
        w = pm.Dirichlet("w", a=pri["w_alpha"], dims="component")
        ordered_kw = {"transform": Ordered()}
        mu = pm.Normal("mu", mu=pri["mu_mu"], sigma=pri["mu_sigma"], dims="component",
                       **(ordered_kw if order == "mu" else {}))
        beta = pm.Normal("beta", mu=pri["beta_mu"], sigma=pri["beta_sigma"], dims="component",
                         **(ordered_kw if order == "beta" else {}))
        sigma = pm.HalfNormal("sigma", sigma=pri["sigma_sigma"], dims="component")
        mu_obs = mu[None, :] + beta[None, :] * x_data[:, None]
        pm.NormalMixture("y", w=w, mu=mu_obs, sigma=sigma, observed=y, dims="obs")
    return _register(model, _Spec("regression", y, K, x=x, ordered=order))

