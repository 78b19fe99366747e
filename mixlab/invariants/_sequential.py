r"""One-step-ahead predictive densities of hidden Markov models (and mixtures) by the forward filter."""

from __future__ import annotations

import numpy as np
import xarray as xr

from mixlab.spec import resolve_options
from mixlab.spec._draws import _logsumexp

__all__ = ["one_step_ahead", "sequential_elpd"]


def _forward_terms(log_emission, draws):
    """``log p(y_t | y_{1:t-1}, theta)`` for every draw, (S, n), by the normalised forward filter."""
    s, n, k = log_emission.shape
    with np.errstate(divide="ignore"):
        log_p = np.log(draws.P)  # (S, K, K)
        log_pred = np.log(draws.w)  # Pr(z_1 = k): the initial-state distribution
    out = np.empty((s, n))
    for t in range(n):
        joint = log_pred + log_emission[:, t]
        out[:, t] = _logsumexp(joint, axis=-1)
        filtered = joint - out[:, t, None]  # log Pr(z_t = k | y_{1:t})
        if t + 1 < n:
            log_pred = _logsumexp(filtered[:, :, None] + log_p, axis=1)
    return out


def one_step_ahead(idata, y=None, *, x=None, **options):
    r"""Log one-step-ahead predictive density of every observation, for every posterior draw.

    For a hidden Markov model (a posterior with a transition matrix ``P``, ``w`` the distribution
    of the first state) the forward filter gives, for draw :math:`s`,

    .. math:: \ell_{s,t} = \log p(y_t \mid y_{1:t-1}, \theta^{(s)})
              = \log \sum_k \Pr(z_t = k \mid y_{1:t-1}, \theta^{(s)}) f_k(y_t \mid \theta^{(s)}),

    and :math:`\sum_t \ell_{s,t}` is the log-likelihood of the whole series under the draw (the
    sum over every state path). For a posterior without ``P`` (an independent mixture, or a
    mixture of experts) the observations are independent given the parameters and
    :math:`\ell_{s,t}` is the log mixture density of :math:`y_t`.

    Parameters
    ----------
    idata : xarray.DataTree, xarray.Dataset or mixlab.spec.PosteriorSpec
        Posterior with ``w``, the component parameters and, for a hidden Markov model, ``P``
        (dims ``(*sample_dims, component, component_to)``).
    y : array_like or xarray.DataArray, optional
        The observations in time order, 1-D. Default: ``observed_data["y"]`` of ``idata``.
    x : array_like, optional
        Covariate of a mixture regression (posterior with ``beta``). Default:
        ``constant_data["x"]``.
    **options
        Posterior options of :func:`mixlab.spec.resolve` (``family``, ``var_names``, ...).

    Returns
    -------
    xarray.DataArray
        ``log_p_one_step`` with dims ``(*sample_dims, obs)``.

    Raises
    ------
    TypeError
        If an option is unknown.
    ValueError
        If the posterior or ``y`` is malformed (see :func:`mixlab.spec.resolve`).

    Examples
    --------
    >>> import numpy as np
    >>> import xarray as xr
    >>> from mixlab.invariants import one_step_ahead
    >>> d = ("chain", "draw", "component")
    >>> post = xr.Dataset({"w": (d, [[[0.5, 0.5]]]), "mu": (d, [[[1.0, 6.0]]]),
    ...                    "P": ((*d, "component_to"), [[[[0.9, 0.1], [0.1, 0.9]]]])})
    >>> lp = one_step_ahead(post, [0, 1, 7, 5], family="poisson")
    >>> lp.dims, lp.shape
    (('chain', 'draw', 'obs'), (1, 1, 4))
    >>> one_step_ahead(post, [0, 1.5], family="poisson")
    Traceback (most recent call last):
    ...
    ValueError: y must hold counts (whole numbers >= 0) for the families ('poisson', 'poisson')
    """
    spec = resolve_options(idata, options, "one_step_ahead")
    values, coord = spec.observations(y)
    n = values.shape[0]
    xx = spec.covariate(x, n)
    draws = spec.draws()
    out = np.empty((draws.n_samples, n))
    for sl in spec.chunks(n * draws.n_components * (draws.n_components + 1)):
        part = draws.take(sl)
        if spec.transition:
            out[sl] = _forward_terms(spec.log_density(values, part, xx), part)
        else:
            out[sl] = _logsumexp(spec.log_weighted(values, part, xx), axis=-1)
    return spec.wrap(out, (spec.obs_dim,), {spec.obs_dim: coord}, "log_p_one_step")


def sequential_elpd(idata, y=None, *, x=None, **options):
    r"""Summed log posterior-mean one-step-ahead predictive density, with its standard error.

    .. math:: \widehat{\mathrm{elpd}} = \sum_t \log \frac{1}{S} \sum_s
              p(y_t \mid y_{1:t-1}, \theta^{(s)}),

    with standard error :math:`\sqrt{n \, \mathrm{Var}_t(\cdot)}` of the pointwise terms, as for
    LOO. The parameters were fitted to the whole series, so this is **not** a leave-future-out
    estimate: it reuses the data (as a WAIC-style in-sample score would) and is optimistic; use it
    to compare models fitted to the same series, with the pointwise difference's SE.

    Parameters
    ----------
    idata, y, x, **options
        As for :func:`one_step_ahead`.

    Returns
    -------
    xarray.Dataset
        ``elpd`` and ``se`` (scalars) and ``pointwise`` (dims ``obs``), the log posterior-mean
        one-step-ahead density of every observation (subtract two models' ``pointwise`` for the
        SE of a difference).

    Raises
    ------
    TypeError, ValueError
        As for :func:`one_step_ahead`.

    Examples
    --------
    >>> import xarray as xr
    >>> from mixlab.invariants import sequential_elpd
    >>> d = ("chain", "draw", "component")
    >>> post = xr.Dataset({"w": (d, [[[0.5, 0.5]]]), "mu": (d, [[[1.0, 6.0]]]),
    ...                    "P": ((*d, "component_to"), [[[[0.9, 0.1], [0.1, 0.9]]]])})
    >>> sorted(sequential_elpd(post, [0, 1, 7, 5], family="poisson").data_vars)
    ['elpd', 'pointwise', 'se']
    """
    spec = resolve_options(idata, options, "sequential_elpd")
    lp = one_step_ahead(spec, y, x=x)
    flat = lp.stack(__sample__=spec.sample_dims).transpose(spec.obs_dim, "__sample__").values
    s = flat.shape[1]
    point = _logsumexp(flat, axis=1) - np.log(s)
    n = point.size
    se = float(np.sqrt(n * np.var(point))) if n > 1 else float("nan")
    return xr.Dataset(
        {"elpd": ((), float(point.sum())), "se": ((), se), "pointwise": ((spec.obs_dim,), point)},
        coords={spec.obs_dim: lp[spec.obs_dim].values},
    )
