"""Small helpers over labelled (xarray) results shared by the summaries and reports.

One place for "the largest R-hat over every variable" and "which variables vary over the draws", so
that ``diagnostics``, ``timing`` and ``cv`` reduce ArviZ's per-element results the same way.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["as_dataset", "element_label", "extreme", "varying"]


def as_dataset(result):
    """A Dataset from what ``az.rhat``/``az.ess`` return (a DataTree with the variables at its root)."""
    return result.to_dataset() if isinstance(result, xr.DataTree) else result


def element_label(da, flat_index):
    """``'mu[1]'``-style label of element ``flat_index`` of a DataArray without sample dims."""
    if da.ndim == 0:
        return str(da.name)
    idx = np.unravel_index(flat_index, da.shape)
    parts = [str(da.coords[d].values[i]) if d in da.coords else str(i)
             for d, i in zip(da.dims, idx, strict=True)]
    return f"{da.name}[{', '.join(parts)}]"


def extreme(ds, how):
    """``(value, label)`` of the smallest (``how="min"``) or largest (``"max"``) finite element.

    Taken over every variable of ``ds`` (a Dataset, or the DataTree ``az.rhat`` returns); NaN and
    infinite elements are left out. ``(nan, "")`` when no element is finite.

    >>> import xarray as xr
    >>> extreme(xr.Dataset({"mu": ("component", [1.2, 1.01]), "w": ("component", [1.0, 1.3])}), "max")
    (1.3, 'w[1]')
    """
    if how not in ("min", "max"):
        raise ValueError(f"how must be 'min' or 'max', got {how!r}")
    ds = as_dataset(ds)
    best, label = np.nan, ""
    for name in ds.data_vars:
        da = ds[name]
        vals = np.asarray(da.values, dtype=float).ravel()
        ok = np.isfinite(vals)
        if not ok.any():
            continue
        masked = np.where(ok, vals, np.nan)
        i = int(np.nanargmin(masked) if how == "min" else np.nanargmax(masked))
        v = vals[i]
        if np.isnan(best) or (v < best if how == "min" else v > best):
            best, label = float(v), element_label(da, i)
    return best, label


def varying(ds, sample_dims=("chain", "draw")):
    """Names of the variables of ``ds`` that change over the draws.

    A quantity that never changes (the weight of a one-component mixture is the constant 1) has no
    ESS or R-hat (0/0): callers leave it out instead of dividing 0 by 0.
    """
    return [v for v in ds.data_vars
            if bool((ds[v].max(sample_dims) > ds[v].min(sample_dims)).any())]
