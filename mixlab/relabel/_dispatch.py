"""The labelled layer of ``pra``, ``data_based``, ``sjw`` and ``user``, and the choice of the
``ecr_iterative`` variant: what :func:`relabel` (``_posterior._perm_for``) runs for them.

Reads the posterior's component variables, observations and reference draw, and calls the array
layer (:mod:`._pra`, :mod:`._data_based`, :mod:`._sjw`). The complete-data likelihood of
``sjw`` comes from :meth:`mixlab.spec.PosteriorSpec.log_weighted`, so it works for every
component family of :mod:`mixlab.families`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import xarray as xr

from mixlab._validate import check_var_names
from mixlab.relabel._checks import check_draw, check_names, shape_str
from mixlab.relabel._data_based import data_based
from mixlab.relabel._inputs import _sample_values, best_lp_draw
from mixlab.relabel._pra import central_draw, pra, user_perm
from mixlab.relabel._sjw import check_k, sjw


def ecr_variant(variant, *, p, z, pivot, ds, obs_dim):
    """1 or 2: ``variant``, else 2 when ``p`` is given with no allocations and no pivot."""
    if variant is None:
        has_z = z is not None or ("z" in ds.data_vars and obs_dim in ds["z"].dims)
        return 2 if p is not None and not has_z and pivot is None else 1
    if isinstance(variant, bool) or variant not in (1, 2):
        raise ValueError(f"variant must be 1 (pivot from allocations) or 2 (from p), got {variant!r}")
    return variant


def _default_params(ds, *, dim, obs_dim, sample_dims):
    """Numeric variables with the component and sample dims, without obs dim or transitions."""
    return [
        v for v, da in ds.data_vars.items()
        if dim in da.dims and obs_dim not in da.dims and f"{dim}_to" not in da.dims
        and v != "relabel_perm" and da.dtype.kind in "iuf"
        and all(d in da.dims for d in sample_dims)
    ]


def component_values(ds, params, *, dim, obs_dim, sample_dims, group):
    """The variables ``params`` (default: every component variable) stacked as (S, K, P)."""
    names = check_names(params, "params")
    if names is None:
        names = _default_params(ds, dim=dim, obs_dim=obs_dim, sample_dims=sample_dims)
        if not names:
            raise ValueError(
                f"{group} has no numeric variable with dims {(*sample_dims, dim)} to relabel by; "
                "pass params=[...] naming component variables"
            )
    else:
        names = check_var_names(ds, names, name=group)
    blocks = []
    for v in names:
        da = ds[v]
        if da.dtype.kind not in "iuf":
            raise TypeError(f"params lists '{v}', which is not numeric ({da.dtype})")
        inner = (dim, *(d for d in da.dims if d not in (*sample_dims, dim)))
        values = _sample_values(da, f"variable '{v}'", sample_dims=sample_dims, inner=inner,
                                sizes={d: ds.sizes[d] for d in (*sample_dims, dim)})
        values = values.reshape(math.prod(values.shape[: len(sample_dims)]), ds.sizes[dim], -1)
        if not np.all(np.isfinite(values)):
            raise ValueError(
                f"variable '{v}' contains NaN or infinite values; drop it from params=[...] or "
                "drop those draws"
            )
        blocks.append(values.astype(float))
    return np.concatenate(blocks, axis=2)


def reference_draw(idata, pivot, values, *, sample_dims):
    """The pivot draw: ``pivot`` (an index), else the highest ``lp``, else :func:`central_draw`."""
    n_draws = values.shape[0]
    if pivot is not None:
        if not isinstance(pivot, numbers.Integral) or isinstance(pivot, bool):
            raise TypeError(
                "pivot must be the index of a draw (an integer, counted over the flattened sample "
                f"dims) for methods 'pra', 'data_based' and 'sjw', got {type(pivot).__name__}"
            )
        return check_draw(pivot, n_draws, "pivot")
    best = best_lp_draw(idata, sample_dims=sample_dims, n_draws=n_draws)
    return central_draw(values) if best is None else best


def observations(idata, y):
    """The observations: ``y`` (array or DataArray), else ``observed_data['y']``."""
    if y is None:
        from mixlab.spec import observed_variable

        y = observed_variable(idata, "y")
        if y is None:
            raise ValueError(
                "method='data_based' needs the observations: pass y=... or the DataTree returned "
                "by pm.sample (with observed_data['y'])"
            )
    return y.values if isinstance(y, xr.DataArray) else y


def user_values(perm, ds, *, dim, sample_dims):
    """``perm`` (DataArray with the sample dims and ``dim``, or array) checked, as (S, K)."""
    k = ds.sizes[dim]
    shape = tuple(ds.sizes[d] for d in sample_dims)
    if perm is None:
        raise ValueError(
            "method='user' applies permutations you pass: give perm=... of shape (draws, K) or a "
            f"DataArray with dims {(*sample_dims, dim)}"
        )
    if isinstance(perm, xr.DataArray):
        values = _sample_values(perm, "perm", sample_dims=sample_dims, inner=(dim,),
                                sizes={d: ds.sizes[d] for d in (*sample_dims, dim)})
    else:
        values = np.asarray(perm)
        if values.shape not in ((*shape, k), (math.prod(shape), k)):
            raise ValueError(
                f"perm must have shape {shape_str((*shape, k))} = ({', '.join(sample_dims)}, "
                f"{dim}) or {shape_str((math.prod(shape), k))}, got {shape_str(values.shape)}"
            )
    return user_perm(values.reshape(math.prod(shape), k), K=k)


def _sjw_inputs(spec, y):
    """``(values (S, K, P), log_weighted)`` for :func:`sjw` from a resolved posterior."""
    from mixlab.spec import Draws

    if spec.transition:
        raise ValueError(
            "method='sjw' weighs mixture allocations, not the state paths of a hidden Markov model; "
            "use 'stephens' or 'ecr' for a posterior with a transition matrix"
        )
    y_arr, _ = spec.observations(y)
    x = spec.covariate(None, y_arr.shape[0])
    draws = spec.draws()
    if not draws.present.all():
        raise ValueError(
            "method='sjw' needs every component in every draw, but some weights are NaN (absent "
            "components); use 'stephens' or 'ecr'"
        )
    per_obs = draws.w.ndim == 3
    blocks = [np.moveaxis(draws.w, 1, 2) if per_obs else draws.w[:, :, None]]
    layout = [("w", blocks[0].shape[2:])]
    for role in spec.roles:
        v = draws.values[role]
        layout.append((role, v.shape[2:]))
        blocks.append(v.reshape(*v.shape[:2], -1))
    values = np.concatenate(blocks, axis=2)
    k = values.shape[1]

    def log_weighted(theta):
        cols, start = {}, 0
        for role, tail in layout:
            size = math.prod(tail)
            cols[role] = theta[:, start : start + size].reshape(1, k, *tail)
            start += size
        w = cols.pop("w")[0]
        w = w.T[None] if per_obs else w.reshape(1, k)
        one = Draws(w, cols, np.ones((1, k), dtype=bool))
        return spec.log_weighted(y_arr, one, x)[0]

    return values, log_weighted


def perm_extra(idata, ds, method, *, labels, y, pivot, params, perm, family, max_iter, dim,
               obs_dim, sample_dims, group):
    """Permutations (S, K) for ``pra``, ``data_based``, ``sjw`` or ``user``.

    ``labels`` is a callable returning the allocations (S, n) as :func:`relabel` finds them.
    """
    if method == "user":
        return user_values(perm, ds, dim=dim, sample_dims=sample_dims)
    k = ds.sizes[dim]
    if method == "sjw":
        from mixlab.spec import resolve

        check_k(k)
        spec = resolve(idata, family=family, group=group, dim=dim, obs_dim=obs_dim,
                       sample_dims=sample_dims)
        values, log_weighted = _sjw_inputs(spec, y)
        init = reference_draw(idata, pivot, values, sample_dims=sample_dims)
        return sjw(values, labels(), log_weighted, init=init, max_iter=max_iter)
    values = component_values(ds, params, dim=dim, obs_dim=obs_dim, sample_dims=sample_dims,
                              group=group)
    ref = reference_draw(idata, pivot, values, sample_dims=sample_dims)
    if method == "pra":
        return pra(values, pivot=ref, scale=True)
    if method == "data_based":
        return data_based(observations(idata, y), k, labels(), start=ref, max_iter=max_iter)
    raise ValueError(f"no labelled layer for method {method!r}")  # pragma: no cover
