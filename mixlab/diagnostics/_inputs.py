"""Input checks of the diagnostics: arguments, layout of the posterior, mixture values, flags.

Each check raises a one-line ``TypeError`` (wrong kind) or ``ValueError`` (bad content) that says
what was wrong and how to fix it; the checks then trust their input.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from mixlab._validate import check_array, check_positive, check_simplex

__all__ = ["check_flags", "check_layout", "check_threshold", "check_var_list", "mixture_values"]


def check_threshold(value, name, *, minimum=0.0):
    """A finite real number >= ``minimum`` (not a bool), as ``float``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return float(value)


def check_var_list(var_names):
    """``None``, a variable name or a sequence of names, as ``None`` or a list of str."""
    if var_names is None:
        return None
    if isinstance(var_names, str):
        return [var_names]
    if not isinstance(var_names, Sequence) or not all(isinstance(v, str) for v in var_names):
        raise TypeError(
            f"var_names must be a variable name or a list of names, e.g. ['mu', 'sigma'], "
            f"got {var_names!r}"
        )
    return list(var_names)


def check_layout(ds, *, dim, sample_dims, group="posterior"):
    """The component dim is not a sample dim, and neither it nor a sample dim is empty.

    Dimensions ``ds`` lacks are left to the caller's own "has no dimension" message.
    """
    if dim in sample_dims:
        raise ValueError(
            f"dim '{dim}' is also one of sample_dims {tuple(sample_dims)}; pass the component "
            "dimension as dim and the draw dimensions as sample_dims"
        )
    for d in sample_dims:
        if ds.sizes.get(d, 1) == 0:
            raise ValueError(f"{group} has no draws (dimension '{d}' has length 0); sample first")
    if ds.sizes.get(dim, 1) == 0:
        raise ValueError(
            f"{group} has no components (dimension '{dim}' has length 0); "
            "a mixture needs at least one component"
        )


def _stack(da, sample_dims, dim):
    """``da`` as numpy (n_samples, K)."""
    extra = [d for d in da.dims if d not in (*sample_dims, dim)]
    if extra:
        raise ValueError(
            f"variable '{da.name}' has extra dimension(s) {extra}; select them first, "
            f"e.g. idata.posterior.sel({extra[0]}=...)"
        )
    missing = [d for d in (*sample_dims, dim) if d not in da.dims]
    if missing:
        raise ValueError(
            f"variable '{da.name}' has no dimension(s) {missing} (dims: {da.dims}); "
            "pass sample_dims=... and dim=... naming its draw and component dimensions"
        )
    arr = da.transpose(*sample_dims, dim).values
    return arr.reshape(-1, arr.shape[-1])


def mixture_values(ds, roles, *, sample_dims, dim, group="posterior"):
    """Checked (n_samples, K) arrays of the mixture variables, ``None`` for a missing one.

    ``roles`` maps ``"w"``, ``"mu"``, ``"sigma"`` to variable names (each must have ``dim``).
    Weights must lie on the simplex (non-negative, summing to 1 in every draw), scales must be
    positive and means finite: a posterior that is not a valid mixture is rejected here.
    """
    checks = {
        "w": lambda x, name: check_simplex(x, name, axis=1),
        "mu": lambda x, name: check_array(x, name),
        "sigma": lambda x, name: check_positive(x, name),
    }
    out = {}
    for role, var in roles.items():
        if var not in ds.data_vars:
            out[role] = None
            continue
        label = f"{group} variable '{var}'"
        out[role] = checks[role](_stack(ds[var], sample_dims, dim), label)
    return out


def check_flags(stats, name):
    """Number of True flags in ``sample_stats[name]``, which must hold booleans (or 0/1)."""
    values = np.asarray(stats[name].values)
    label = f"sample_stats variable '{name}'"
    if values.dtype == bool:
        return int(values.sum())
    if values.dtype.kind not in "iuf":
        raise TypeError(f"{label} must hold booleans (one flag per draw), got dtype {values.dtype}")
    n_nan = int(np.isnan(values).sum()) if values.dtype.kind == "f" else 0
    if n_nan:
        raise ValueError(
            f"{label} contains {n_nan} NaN value(s); it must hold one boolean flag per draw"
        )
    other = values[(values != 0) & (values != 1)]
    if other.size:
        raise ValueError(
            f"{label} must hold booleans (0 or 1), got {other.ravel()[0].item()!r}; "
            "pass the sampler's flags unchanged"
        )
    return int(values.sum())
