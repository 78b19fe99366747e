"""Input checks of the relabelling functions (array and labelled layers).

The generic checks come from :mod:`mixlab._validate`; this module holds the ones specific to
relabelling: integer labels in ``[0, K)``, and the names of the
component, observation and sample dims, which must all differ.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import xarray as xr

from mixlab._validate import _shape_str as shape_str  # noqa: F401 (the relabel modules use it)
from mixlab._validate import (
    check_array,
    check_probs,  # noqa: F401 (the array algorithms import it from here)
)

#: Methods that need at most assignment probabilities, allocations or the component variables of
#: the posterior: understood by :func:`relabel`, :func:`switching_report` and :func:`compare_methods`.
#: ``"aic"`` (artificial identifiability constraint, as named in ``label.switching``) is ``"sort"``.
METHODS = ("sort", "stephens", "ecr", "ecr_iterative", "aic", "pra")

#: Methods that also need the observations ``y`` (and, for ``"sjw"``, the component families).
DATA_METHODS = ("data_based", "sjw")

#: Every method of :func:`relabel` and :func:`compare_methods`: :data:`METHODS`,
#: :data:`DATA_METHODS` and ``"user"`` (permutations passed as ``perm=...``).
ALL_METHODS = (*METHODS, *DATA_METHODS, "user")


def check_labels(z, name, k, *, ndim):
    """Return integer labels with values in [0, k) as an int64 array of rank ``ndim``."""
    if isinstance(z, xr.Dataset | xr.DataTree):
        raise TypeError(f"{name} must be an integer array, got {type(z).__name__}")
    arr = np.asarray(z)
    if arr.dtype.kind in "iu":  # no copy for int64 input
        arr = arr.astype(np.int64, copy=False)
        if arr.ndim != ndim:
            raise ValueError(f"{name} must be {ndim}-dimensional, got shape {shape_str(arr.shape)}")
    else:
        arr = check_array(arr, name, dtype=int, ndim=ndim)
    if 0 in arr.shape:
        raise ValueError(f"{name} must not be empty, got shape {shape_str(arr.shape)}")
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= k:
        bad = lo if lo < 0 else hi
        fix = " (1-based labels? pass z - 1)" if lo >= 1 and hi == k else ""
        raise ValueError(
            f"{name} holds label {bad} outside [0, K) = [0, {k}); labels must be integers "
            f"0..K-1{fix}"
        )
    return arr


def check_method(method):
    """Check one method name (any of :data:`ALL_METHODS`)."""
    if not isinstance(method, str) or method not in ALL_METHODS:
        raise ValueError(f"method must be one of {ALL_METHODS}, got {method!r}")
    return method


def check_methods(methods, allowed=(*METHODS, *DATA_METHODS)):
    """Check a method name or a non-empty sequence of distinct method names; return a tuple.

    ``allowed`` defaults to the methods :func:`switching_report` can run (all but ``"user"``,
    whose permutations it has no argument for).
    """
    if isinstance(methods, str):
        methods = (methods,)
    if not isinstance(methods, Sequence):
        raise TypeError(
            f"methods must be a sequence of method names taken from {allowed}, such as "
            f"('sort', 'stephens'), got {methods!r}"
        )
    methods = tuple(methods)
    if not methods:
        raise ValueError(f"methods must list at least one of {allowed}, got an empty sequence")
    for m in methods:
        if not isinstance(m, str) or m not in allowed:
            raise ValueError(f"methods must be taken from {allowed}, got {m!r}")
    if len(set(methods)) != len(methods):
        raise ValueError(f"methods lists a method more than once: {methods}; list each once")
    return methods


def check_names(names, name):
    """Check a name or a sequence of distinct names (e.g. ``var_names``); return a list or None."""
    if names is None:
        return None
    if isinstance(names, str):
        return [names]
    if not isinstance(names, Sequence):
        raise TypeError(
            f"{name} must be a variable name or a list of variable names, got {names!r}"
        )
    for v in names:
        if not isinstance(v, str):
            raise TypeError(f"{name} must hold variable names (strings), got {v!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"{name} lists a variable more than once: {list(names)}; list each once")
    return list(names)


def check_threshold(value, name):
    """Check a finite real number (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number such as 1.01, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number such as 1.01, got {value!r}")
    return float(value)


def check_draw(index, n_draws, name):
    """Check a draw index in ``[0, n_draws)`` (flat over the sample dims); return it as int."""
    if isinstance(index, bool) or not isinstance(index, numbers.Integral):
        raise TypeError(
            f"{name} must be the index of a draw (an integer in [0, {n_draws})), got {index!r}"
        )
    if not 0 <= index < n_draws:
        raise ValueError(
            f"{name} must be the index of a draw in [0, {n_draws}), got {index}; draws are counted "
            "over the flattened sample dims (chain-major)"
        )
    return int(index)
