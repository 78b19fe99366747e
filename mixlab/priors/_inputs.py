"""Input checks of mixlab.priors: one-line messages that say what was wrong and how to fix it."""

from __future__ import annotations

import numbers

import numpy as np
import xarray as xr

from mixlab._validate import check_array, check_int
from mixlab.priors._hyper import is_distribution

__all__ = ["check_concentration", "check_count", "check_k_prior", "MAX_MISSING_MASS"]

#: The most probability mass a K_prior may leave beyond its last K (a truncated pmf).
MAX_MISSING_MASS = 1e-3


def check_count(x, name, fix):
    """A whole number >= 1 as ``int`` (integer-valued floats such as 10.0 are accepted)."""
    if isinstance(x, numbers.Real) and not isinstance(x, numbers.Integral | bool):
        if not np.isfinite(x) or not float(x).is_integer():
            raise ValueError(f"{name} must be a whole number, got {x!r}; {fix}")
        x = int(x)
    if isinstance(x, numbers.Integral) and not isinstance(x, bool) and x < 1:
        raise ValueError(f"{name} must be >= 1, got {x}; {fix}")
    return check_int(x, name, minimum=1)


def check_concentration(x, name, *, hyperprior=True):
    """A positive finite float, or (``hyperprior``) a frozen scipy.stats continuous distribution on (0, inf)."""
    fix = ("pass a concentration > 0, or a frozen scipy.stats distribution on (0, inf) such as "
           "scipy.stats.gamma(10, scale=0.01)") if hyperprior else "pass a number > 0"
    if hyperprior and is_distribution(x):
        lower = float(x.support()[0])
        if not lower >= 0:
            raise ValueError(f"{name}'s hyperprior {x.dist.name} has support starting at {lower:g}; "
                             "use a distribution on (0, inf) such as gamma, lognorm or invgamma")
        return x
    if hasattr(x, "dist"):
        kind = "a discrete distribution" if hasattr(x, "pmf") else "a distribution"
        raise TypeError(f"{name} is {kind} ({x.dist.name}); {fix}")
    if isinstance(x, xr.DataArray | np.ndarray) and np.ndim(x) == 0:
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a number or a frozen scipy.stats distribution, got "
                        f"{type(x).__name__}; {fix}")
    x = float(x)
    if not np.isfinite(x) or x <= 0:
        raise ValueError(f"{name} must be positive and finite, got {x:g}; {fix}")
    return x


def check_k_prior(p):
    """A 1-D pmf over K = 1..len(p) as a float array (a truncated pmf may miss a little mass)."""
    fix = "pass probabilities of K = 1, 2, ..., e.g. bnb_pmf(300)"
    if isinstance(p, xr.DataArray):
        if p.ndim == 1 and p.dims[0] in p.coords:
            coord = np.asarray(p[p.dims[0]].values)
            if not np.array_equal(coord, np.arange(1, p.size + 1)):
                raise ValueError(f"K_prior's coordinate '{p.dims[0]}' must be 1, 2, ..., {p.size} (the "
                                 f"values of K), got {coord[:4].tolist()}...; reindex it or pass .values")
        p = p.values
    try:
        arr = check_array(p, "K_prior", ndim=1)
    except ValueError as err:
        raise ValueError(f"{err}; {fix}") from None
    if np.any(arr < 0):
        first = int(np.flatnonzero(arr < 0)[0])
        raise ValueError(f"K_prior must be a pmf (non-negative), got {arr[first]:g} at K={first + 1}; {fix}")
    total = float(arr.sum())
    if total > 1 + 1e-9 * arr.size or total < 1 - MAX_MISSING_MASS:
        raise ValueError(
            f"K_prior must sum to 1 (got {total:.6g}) over K = 1..{arr.size}; normalise it "
            f"(K_prior / K_prior.sum()) or, if it is truncated, pass a longer one (at most "
            f"{MAX_MISSING_MASS:g} may lie beyond its last K)")
    return arr
