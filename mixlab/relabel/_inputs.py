"""Inputs of the labelled layer read from a posterior: assignment probabilities, allocations,
values of a variable in draw order, and the draw with the highest log posterior density.

Assignment probabilities, when not given, come from :func:`mixlab.invariants.assignment_probs`
(imported lazily).
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from mixlab._validate import check_dims
from mixlab.relabel._checks import shape_str


def _as_tree(data):
    """The DataTree (anything else: None)."""
    return data if isinstance(data, xr.DataTree) else None


def _sample_values(da, name, *, sample_dims, inner, sizes):
    """Values of ``da`` ordered as (*sample_dims, *inner), checking dims and sizes."""
    check_dims(da, (*sample_dims, *inner), name=name,
               hint=f"it needs dims {(*sample_dims, *inner)}; pass sample_dims/obs_dim/dim=...")
    extra = [d for d in da.dims if d not in (*sample_dims, *inner)]
    if extra:
        raise ValueError(
            f"{name} has unexpected dimension(s) {extra}; expected {(*sample_dims, *inner)} -- "
            "select one value with .sel(...) first"
        )
    for d in (*sample_dims, *inner):
        if d in sizes and da.sizes[d] != sizes[d]:
            raise ValueError(
                f"{name} has {da.sizes[d]} entries along '{d}' but the posterior has {sizes[d]}; "
                "pass values computed from this posterior"
            )
    return da.transpose(*sample_dims, *inner).values


def _probs_from(idata, ds, *, p, y, family, group, dim, obs_dim, sample_dims):
    """Assignment probabilities as an array (S, n, K), from ``p`` or computed from ``y``."""
    sizes = {d: ds.sizes[d] for d in (*sample_dims, dim)}
    if p is not None and y is not None:
        raise ValueError("pass either p (assignment probabilities) or y (observations), not both")
    if p is None:
        from mixlab.invariants import assignment_probs  # lazy: invariants is optional here

        p = assignment_probs(idata, y, family=family, group=group, dim=dim, obs_dim=obs_dim,
                             sample_dims=sample_dims)
    if isinstance(p, str):
        if p not in ds.data_vars:
            raise ValueError(f"{group} has no variable '{p}' to use as p; pass p as a DataArray")
        p = ds[p]
    if isinstance(p, xr.DataArray):
        values = _sample_values(p, "p", sample_dims=sample_dims, inner=(obs_dim, dim), sizes=sizes)
    else:
        values = np.asarray(p)
        want = (*(sizes[d] for d in sample_dims), None, sizes[dim])
        if values.ndim != len(want) or any(
            w is not None and w != s for w, s in zip(want, values.shape, strict=False)
        ):
            shown = shape_str(tuple("n" if w is None else w for w in want))
            raise ValueError(
                f"p must have shape {shown} = ({', '.join(sample_dims)}, {obs_dim}, {dim}), got "
                f"{shape_str(values.shape)}; pass an xarray.DataArray with named dims instead"
            )
    return values.reshape(math.prod(values.shape[:-2]), *values.shape[-2:])  # n may be 0


def _labels_from(ds, *, z, p_getter, dim, obs_dim, sample_dims, group="posterior"):
    """Allocations (S, n): z argument, else posterior 'z', else the MAP label of p per draw."""
    sizes = {d: ds.sizes[d] for d in (*sample_dims, dim)}
    if z is None and "z" in ds.data_vars and obs_dim in ds["z"].dims:
        z = "z"
    if isinstance(z, str):
        if z not in ds.data_vars:
            raise ValueError(f"{group} has no allocation variable '{z}'; pass z=... as a DataArray")
        z = ds[z]
    if z is None:
        return np.argmax(p_getter(), axis=-1)
    if isinstance(z, xr.DataArray):
        values = _sample_values(z, "z", sample_dims=sample_dims, inner=(obs_dim,), sizes=sizes)
    else:
        values = np.asarray(z)
        want = tuple(sizes[d] for d in sample_dims)
        if values.ndim != len(want) + 1 or values.shape[:-1] != want:
            raise ValueError(
                f"z must have shape ({', '.join(map(str, want))}, n) = ({', '.join(sample_dims)}, "
                f"{obs_dim}), got {shape_str(values.shape)}; pass an xarray.DataArray with named dims"
            )
    return values.reshape(math.prod(values.shape[:-1]), values.shape[-1])  # n may be 0


def best_lp_draw(idata, *, sample_dims, n_draws):
    """Index of the draw with the highest log posterior density (``lp`` in sample_stats), or None."""
    tree = _as_tree(idata)
    if tree is not None and "sample_stats" in tree.children:
        stats = tree["sample_stats"].to_dataset()
        for name in ("lp", "logp"):
            if name in stats.data_vars and set(stats[name].dims) == set(sample_dims):
                lp = stats[name].transpose(*sample_dims).values.reshape(-1)
                if lp.size == n_draws and np.isfinite(lp).any():
                    return int(np.nanargmax(lp))
    return None


def _default_pivot(idata, z, *, sample_dims):
    """Allocation of the draw with the highest log posterior density, else of the first draw."""
    best = best_lp_draw(idata, sample_dims=sample_dims, n_draws=z.shape[0])
    return z[0 if best is None else best]
