"""The posterior of the mixture density on a grid, with a credible band."""

from __future__ import annotations

import numpy as np
import xarray as xr

from mixlab._validate import check_array, check_probability
from mixlab.invariants._common import chunks
from mixlab.spec import resolve_options

__all__ = ["predictive_density"]


def predictive_density(
    idata,
    grid,
    *,
    ci_prob=0.94,
    components=False,
    x=None,
    **options,
):
    r"""Posterior of the mixture density on a grid: mean and equal-tailed credible band.

    For every draw :math:`s` the density :math:`f^{(s)}(t) = \sum_k w_k^{(s)} f_k(t \mid
    \theta_k^{(s)})` is evaluated at each grid point :math:`t`; the result summarises these curves
    over draws. The sum over components makes ``mean``, ``lower`` and ``upper`` label-invariant.

    Parameters
    ----------
    idata : xarray.DataTree or xarray.Dataset
        Posterior as in :func:`assignment_probs`.
    grid : array_like
        1-D array of points at which to evaluate the density.
    ci_prob : float, default 0.94
        Probability mass of the equal-tailed credible band, in (0, 1).
    components : bool, default False
        Also return ``components``: the posterior mean of each weighted component density
        :math:`w_k f_k(t)` (dims ``grid, dim``). These sum over ``dim`` to ``mean``, but unlike
        ``mean`` they depend on the labels: read them only for a posterior whose labels are
        identified (ordered means, or after :mod:`mixlab.relabel`).
    x : float, optional
        For a mixture regression (posterior with ``beta``): the covariate value at which the
        conditional density of y given x is evaluated. Required then.
    **options
        Posterior options (``family``, ``dim``, ...), as in :func:`assignment_probs`.

    Returns
    -------
    xarray.Dataset
        Variables ``mean``, ``lower``, ``upper`` over dim ``grid`` (coordinate: the grid values)
        and, if ``components=True``, ``components`` over ``(grid, dim)``. Attributes ``ci_prob``
        and ``ci_kind = "eti"``.

    Raises
    ------
    TypeError
        If ``components`` is not a bool or another argument has the wrong type.
    ValueError
        If ``grid`` is not 1-D, empty, or holds NaN/inf, ``ci_prob`` is not in (0, 1), or for the
        reasons listed in :func:`assignment_probs`.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from mixlab.invariants import predictive_density
    >>> dims = ("chain", "draw", "component")
    >>> post = xr.Dataset({"w": (dims, [[[0.5, 0.5], [0.5, 0.5]]]),
    ...                    "mu": (dims, [[[-2.0, 2.0], [-1.0, 1.0]]]),
    ...                    "sigma": (dims, [[[1.0, 1.0], [1.0, 1.0]]])})
    >>> dens = predictive_density(post, np.linspace(-10, 10, 2001))
    >>> sorted(dens.data_vars)
    ['lower', 'mean', 'upper']
    >>> round(float(dens["mean"].integrate("grid")), 4)
    1.0
    """
    if not isinstance(components, bool | np.bool_):
        raise TypeError(f"components must be True or False, got {components!r}")
    ci_prob = check_probability(ci_prob, "ci_prob", low_open=True, high_open=True)
    spec = resolve_options(idata, options, "predictive_density")
    if spec.per_obs_weights:
        raise ValueError(
            "the weights depend on the observation (a mixture of experts): the density of y "
            "differs at every observation; take the weights of one observation with "
            f".isel({spec.obs_dim}=i) first"
        )
    if spec.transition:
        raise ValueError(
            "the posterior is a hidden Markov model: the density of y_t depends on the states "
            "before it; simulate from the model (pm.sample_posterior_predictive) instead"
        )
    if spec.event_ndim:
        raise ValueError(
            f"predictive_density evaluates 1-D densities on a grid; the families "
            f"{spec.family_names} model vectors: evaluate assignment_probs or plot the ellipses"
        )
    grid_arr = check_array(grid, "grid", ndim=1)
    x_val = spec.covariate(x, grid_arr.size, scalar=True)
    draws = spec.draws()
    n, k = grid_arr.size, draws.n_components
    dens = np.empty((draws.n_samples, n))
    comp = np.zeros((n, k))
    for sl in chunks(draws.n_samples, n * k):
        weighted = np.exp(spec.log_weighted(grid_arr, draws.take(sl), x_val))
        dens[sl] = weighted.sum(axis=-1)
        if components:
            comp += weighted.sum(axis=0)
    lower, upper = np.quantile(dens, [(1.0 - ci_prob) / 2.0, (1.0 + ci_prob) / 2.0], axis=0)
    out = xr.Dataset(
        {"mean": ("grid", dens.mean(axis=0)), "lower": ("grid", lower), "upper": ("grid", upper)},
        coords={"grid": grid_arr},
        attrs={"ci_prob": ci_prob, "ci_kind": "eti"},
    )
    if components:
        out["components"] = xr.DataArray(
            comp / draws.n_samples, dims=("grid", spec.dim),
            coords={"grid": grid_arr, spec.dim: spec.component_coord},
        )
    return out
