"""Reading partitions: one partition, many draws of one, or a co-clustering matrix."""

from __future__ import annotations

import numpy as np
import xarray as xr

from mixlab._validate import check_array, check_dim_names, check_name
from mixlab.invariants._common import labels_input
from mixlab.spec import resolve

#: Hint given whenever sampled labels are missing.
RECOVER_HINT = (
    "sample the labels with pymc_extras.marginal.recover(idata, model=...) (for a model whose "
    "labels were summed out) or give the model an explicit z ~ Categorical"
)


def check_partition(a, name):
    """A 1-D integer label array (any integer labels), as int64; refuses NaN, floats, empty."""
    if isinstance(a, xr.Dataset | xr.DataTree):
        raise TypeError(f"{name} must be a 1-D array of integer labels, got {type(a).__name__}")
    return check_array(a, name, ndim=1, dtype=int)


def check_pair(a, b):
    """Two checked partitions of the same observations."""
    a, b = check_partition(a, "a"), check_partition(b, "b")
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must label the same observations, got {a.size} and {b.size} labels; "
            "pass two partitions of the same n observations"
        )
    return a, b


def canonical(z):
    """Relabel every row of ``z`` (S, n) to 0..k-1 in order of first appearance (vectorised)."""
    z = np.atleast_2d(z)
    n_rows, n = z.shape
    _, codes = np.unique(z, return_inverse=True)
    n_labels = int(codes.max()) + 1
    key = np.arange(n_rows)[:, None] * n_labels + codes.reshape(z.shape)
    uniq, first, inverse = np.unique(key.ravel(), return_index=True, return_inverse=True)
    row = uniq // n_labels
    order = np.lexsort((first % n, row))  # the (row, label) pairs by row, then first position
    rank = np.empty(uniq.size, dtype=np.int64)
    starts = np.searchsorted(row[order], np.arange(n_rows))
    rank[order] = np.arange(uniq.size) - np.repeat(starts, np.bincount(row, minlength=n_rows))
    return rank[inverse].reshape(n_rows, n)


def distinct(z):
    """Distinct canonical rows of ``z`` and their weights (shares of the draws)."""
    rows, counts = np.unique(canonical(z), axis=0, return_counts=True)
    return rows, counts / counts.sum()


def read_draws(data, *, var_name="z", group="posterior", sample_dims=("chain", "draw"),
               obs_dim="obs", allow_psm=True):
    """What the estimates take: ``("labels", z (S, n), coord)`` or ``("psm", (n, n), coord)``.

    ``data`` is an allocation array (draws x n), a DataTree/Dataset whose ``group`` holds sampled
    labels ``var_name``, a DataArray of labels, or (when ``allow_psm``) the co-clustering matrix
    of :func:`mixlab.invariants.coclustering` (a DataArray with dims ``(obs_dim, obs_dim + "2")``).
    ``coord`` is the observation coordinate of an xarray input, None for an array or an xarray
    input without one.
    """
    check_name(var_name, "var_name")
    _, sample_dims, obs_dim = check_dim_names(dim="component", sample_dims=sample_dims,
                                              obs_dim=obs_dim)
    if isinstance(data, xr.DataTree | xr.Dataset):
        spec = resolve(data, group=group, sample_dims=sample_dims, obs_dim=obs_dim, _roles=False)
        post = spec.posterior
        if var_name not in post.data_vars:
            have = ", ".join(map(str, post.data_vars)) or "none"
            raise ValueError(
                f"the {group} has no sampled labels '{var_name}' (variables: {have}); "
                f"{RECOVER_HINT}, or pass var_name=... naming them"
            )
        da = post[var_name]
        z, _, _ = labels_input(da, obs_dim=obs_dim, sample_dims=sample_dims,
                               name=f"{group} variable '{var_name}'")
        return "labels", z, _obs_coord(da, sample_dims)
    if isinstance(data, xr.DataArray) and data.dims == (obs_dim, f"{obs_dim}2"):
        if not allow_psm:
            raise ValueError(
                "a co-clustering matrix holds too little to compute this (it needs the draws "
                f"of the partition); pass the sampled labels instead: {RECOVER_HINT}"
            )
        psm = check_array(data.values, "co-clustering matrix", ndim=2)
        if psm.shape[0] != psm.shape[1] or np.any(psm < 0) or np.any(psm > 1):
            raise ValueError(
                "the co-clustering matrix must be square with entries in [0, 1], got shape "
                f"{psm.shape}; pass the output of mixlab.invariants.coclustering"
            )
        return "psm", psm, _obs_coord(data, ())
    if isinstance(data, xr.DataArray):
        z, _, _ = labels_input(data, obs_dim=obs_dim, sample_dims=sample_dims, name="draws")
        return "labels", z, _obs_coord(data, sample_dims)
    z = check_array(data, "draws", ndim=(1, 2), dtype=int)
    if z.ndim == 1:
        raise ValueError(
            f"draws must be 2-dimensional (draws x observations), got shape ({z.size},); "
            "pass z[None, :] for a single draw"
        )
    if 0 in z.shape:
        raise ValueError(f"draws must have at least one draw and one observation, got shape {z.shape}")
    return "labels", z, None


def _obs_coord(da, sample_dims):
    """The coordinate of the (first) observation dim of ``da``, or None when it has none."""
    od = next(d for d in da.dims if d not in sample_dims)
    return da[od].values if od in da.coords else None
