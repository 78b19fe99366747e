"""Shared input checks: one place for mixlab's error messages.

Every public mixlab function validates its arguments with these helpers first and
then trusts them. Messages name the argument, say what was received and what is
expected, and fit on one line, e.g.::

    ValueError: weights must sum to 1 (got 1.4); pass normalized weights, e.g. w / w.sum()

The helpers raise ``TypeError`` for the wrong kind of object and ``ValueError``
for the right kind with bad content.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import xarray as xr

__all__ = [
    "broadcast_per",
    "check_array",
    "check_dims",
    "check_group",
    "check_int",
    "check_name",
    "check_positive",
    "check_probs",
    "check_probability",
    "check_rng",
    "check_sample_dims",
    "check_simplex",
    "check_dim_names",
    "check_sizes",
    "check_var_names",
    "optional_group",
    "pick_variable",
]


def _shape_str(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def check_array(x, name, *, ndim=None, dtype=float, finite=True, min_size=1, shape=None):
    """Convert ``x`` to a numpy array and check its rank, size and values.

    Parameters
    ----------
    x : array_like
        The input.
    name : str
        Argument name used in error messages.
    ndim : int or tuple of int, optional
        Allowed number(s) of dimensions.
    dtype : dtype, default float
        Target dtype (``int`` checks that values are whole numbers).
    finite : bool, default True
        Reject NaN and infinite values.
    min_size : int, default 1
        Smallest number of elements accepted.
    shape : tuple, optional
        Required shape; ``None`` entries match any length.

    Returns
    -------
    numpy.ndarray
    """
    if isinstance(x, (xr.DataArray, xr.Dataset, xr.DataTree)) and isinstance(x, xr.Dataset | xr.DataTree):
        raise TypeError(f"{name} must be array-like, got {type(x).__name__}; select a variable first")
    try:
        raw = np.asarray(x)
    except Exception as err:  # pragma: no cover - exotic objects
        raise TypeError(f"{name} must be array-like, got {type(x).__name__}") from err
    if raw.dtype == object or raw.dtype.kind in "USV":
        raise TypeError(f"{name} must be numeric, got values of type {raw.dtype}")
    if dtype is int or (isinstance(dtype, type) and issubclass(dtype, np.integer)):
        if raw.dtype.kind == "f":
            if not np.all(np.isfinite(raw)):
                raise ValueError(f"{name} contains NaN or infinite values; labels must be whole numbers")
            if not np.all(raw == np.round(raw)):
                raise ValueError(f"{name} must hold whole numbers (integer labels), got non-integer values")
        elif raw.dtype.kind not in "iub":
            raise TypeError(f"{name} must hold integers, got dtype {raw.dtype}")
        arr = raw.astype(np.int64)
    else:
        if raw.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be real-valued, got dtype {raw.dtype}")
        arr = raw.astype(float)
        if finite and not np.all(np.isfinite(arr)):
            bad = int(np.size(arr) - np.isfinite(arr).sum())
            raise ValueError(f"{name} contains {bad} NaN or infinite value(s); drop or impute them first")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(
                f"{name} must be {want}-dimensional, got shape {_shape_str(arr.shape)}"
            )
    if shape is not None:
        if arr.ndim != len(shape) or any(
            s is not None and s != a for s, a in zip(shape, arr.shape, strict=False)
        ):
            want = _shape_str(tuple("*" if s is None else s for s in shape))
            raise ValueError(f"{name} must have shape {want}, got {_shape_str(arr.shape)}")
    if arr.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} element(s), got {arr.size}")
    return arr


def check_int(k, name, *, minimum=None, maximum=None):
    """Check that ``k`` is an integer in ``[minimum, maximum]`` and return it as ``int``."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {k!r} ({type(k).__name__})")
    k = int(k)
    if minimum is not None and k < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {k}")
    if maximum is not None and k > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {k}")
    return k


def check_positive(x, name, *, allow_zero=False):
    """Check that every element of ``x`` is positive (finite) and return it as a float array."""
    if np.isscalar(x) and not isinstance(x, numbers.Number):
        raise TypeError(f"{name} must be a positive number, got {x!r}")
    arr = check_array(x, name)
    bad = arr < 0 if allow_zero else arr <= 0
    if np.any(bad):
        first = arr[bad].ravel()[0]
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be {kind}, got {first:g}")
    return arr


def check_simplex(w, name="weights", *, atol=1e-6, axis=-1):
    """Check that ``w`` holds probabilities summing to 1 along ``axis``."""
    arr = check_array(w, name)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be non-negative, got {arr[arr < 0].ravel()[0]:g}")
    total = arr.sum(axis=axis)
    if not np.allclose(total, 1.0, atol=atol):
        worst = np.ravel(total)[np.argmax(np.abs(np.ravel(total) - 1.0))]
        raise ValueError(
            f"{name} must sum to 1 (got {worst:.6g}); pass normalized weights, e.g. w / w.sum()"
        )
    return arr


def check_probability(p, name, *, low_open=False, high_open=False):
    """Check that a scalar is a probability in [0, 1] (optionally open at either end)."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1], got {p!r}")
    p = float(p)
    lo_bad = p <= 0 if low_open else p < 0
    hi_bad = p >= 1 if high_open else p > 1
    if lo_bad or hi_bad or not np.isfinite(p):
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {lo}0, 1{hi}, got {p}")
    return p


def check_rng(rng, name="rng"):
    """Return a ``numpy.random.Generator`` from a Generator, a seed or ``None``."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        if rng is not None and rng < 0:
            raise ValueError(f"{name} seed must be non-negative, got {rng}")
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    raise TypeError(
        f"{name} must be a numpy.random.Generator or an integer seed, got {type(rng).__name__}"
    )


def check_group(data, group="posterior", *, name="idata"):
    """Return the ``xarray.Dataset`` of ``group`` from a DataTree or a Dataset.

    A ``Dataset`` is returned as it is (it is taken to be the group already).
    """
    if isinstance(data, xr.Dataset):
        return data
    if isinstance(data, xr.DataTree):
        if group not in data.children:
            have = ", ".join(sorted(data.children)) or "none"
            raise ValueError(
                f"{name} has no group '{group}' (groups: {have}); pass group=... or sample first"
            )
        return data[group].to_dataset()
    if getattr(data, "_groups", None) is not None:  # arviz.InferenceData, from ArviZ < 1
        raise TypeError(
            f"{name} is an arviz.InferenceData (ArviZ < 1); convert it with "
            "arviz_base.convert_to_datatree(...) or pass what pm.sample returns"
        )
    raise TypeError(
        f"{name} must be an xarray.DataTree (what pm.sample returns) or an xarray.Dataset, "
        f"got {type(data).__name__}"
    )


def optional_group(data, group, *, name="idata"):
    """The ``xarray.Dataset`` of ``group``, or None when ``data`` is a Dataset or has no such group.

    For inputs that may carry optional groups (``sample_stats``, ``observed_data``): a Dataset
    passed alone is taken to be the posterior and has none. Other types raise as
    :func:`check_group` does.
    """
    if isinstance(data, xr.Dataset):
        return None
    try:
        return check_group(data, group, name=name)
    except ValueError:
        return None


def pick_variable(var_name, names, *, where, kind="variables", fix="fix var_name"):
    """``var_name`` if it is one of ``names``, or the only name when ``var_name`` is None.

    ``where`` starts the messages ("the model", "idata['log_likelihood']"); ``kind`` names what
    ``names`` are; ``fix`` says how to repair a name that is not there.
    """
    names = list(names)
    have = ", ".join(map(str, names)) or "none"
    if var_name is None:
        if len(names) != 1:
            raise ValueError(
                f"{where} holds {len(names)} {kind} ({have}); pass var_name=... to pick one"
            )
        return names[0]
    if not isinstance(var_name, str):
        raise TypeError(f"var_name must be a variable name (str) or None, got {var_name!r}")
    if var_name not in names:
        raise ValueError(f"{where} has no {kind[:-1]} '{var_name}' ({kind}: {have}); {fix}")
    return var_name


def check_dims(obj, dims, *, name="posterior", hint=None):
    """Check that an xarray object has every dimension in ``dims``."""
    if isinstance(dims, str):
        dims = (dims,)
    for d in dims:
        if d not in obj.dims:
            have = ", ".join(map(str, obj.dims)) or "none"
            fix = hint or f"pass {'dim' if d not in ('chain', 'draw') else 'sample_dims'}=..."
            raise ValueError(f"{name} has no dimension '{d}' (dims: {have}); {fix}")
    return obj


def check_var_names(ds, var_names, *, name="posterior", fix="fix var_names"):
    """Check that ``var_names`` (str, list or None) exist in ``ds``; return them as a list.

    ``fix`` ends the error message: how to mend the call.
    """
    if var_names is None:
        return list(ds.data_vars)
    if isinstance(var_names, str):
        var_names = [var_names]
    missing = [v for v in var_names if v not in ds.data_vars]
    if missing:
        have = ", ".join(map(str, ds.data_vars)) or "none"
        raise ValueError(f"{name} has no variable(s) {missing} (variables: {have}); {fix}")
    return list(var_names)


def check_name(value, name):
    """Check that ``value`` is a non-empty string (a dimension or variable name) and return it."""
    if not isinstance(value, str) or not value:
        raise TypeError(
            f"{name} must be a non-empty string naming a dimension or variable, got {value!r}"
        )
    return value


def check_sample_dims(sample_dims):
    """Check ``sample_dims`` (a name or a sequence of distinct names) and return it as a tuple."""
    if isinstance(sample_dims, str):
        sample_dims = (sample_dims,)
    if not isinstance(sample_dims, Sequence) or len(sample_dims) == 0:
        raise TypeError(
            "sample_dims must be a non-empty sequence of dimension names such as ('chain', 'draw'), "
            f"got {sample_dims!r}"
        )
    for d in sample_dims:
        check_name(d, "each entry of sample_dims")
    if len(set(sample_dims)) != len(sample_dims):
        raise ValueError(f"sample_dims has repeated names: {tuple(sample_dims)}; list each dim once")
    return tuple(sample_dims)


#: Tolerance on the row sums of assignment probabilities.
_PROB_SUM_ATOL = 1e-5


def check_probs(p, name="p"):
    """Return ``p`` as a float64 array (draws, n, K) of probabilities whose rows sum to 1."""
    if isinstance(p, xr.Dataset | xr.DataTree):
        raise TypeError(f"{name} must be an array of shape (draws, n, K), got {type(p).__name__}")
    arr = np.asarray(p)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got values of type {arr.dtype}")
    if arr.ndim != 3:
        hint = (
            "; flatten chain and draw first, e.g. p.reshape(-1, n, K)" if arr.ndim == 4 else ""
        )
        raise ValueError(f"{name} must be 3-dimensional (draws, n, K), got shape {_shape_str(arr.shape)}{hint}")
    if 0 in arr.shape:
        raise ValueError(f"{name} must have at least one draw, observation and component, got shape "
                         f"{_shape_str(arr.shape)}")
    arr = np.asarray(arr, dtype=np.float64)
    # row sums by a matrix-vector product (5x faster than .sum(axis=-1) over a short last axis);
    # NaN or inf in any entry shows up in its row sum
    sums = np.matmul(arr, np.ones(arr.shape[-1]))
    if not np.all(np.isfinite(sums)):
        bad = int(np.size(sums) - np.isfinite(sums).sum())
        raise ValueError(
            f"{name} contains NaN or infinite values in {bad} (draw, observation) row(s); "
            "compute the probabilities on the log scale (log-sum-exp) or drop those draws"
        )
    lo, hi = arr.min(), arr.max()
    if lo < 0 or hi > 1 + _PROB_SUM_ATOL:
        raise ValueError(
            f"{name} must hold probabilities in [0, 1], got values from {lo:.6g} to {hi:.6g}"
        )
    sums -= 1.0
    np.abs(sums, out=sums)
    worst = int(np.argmax(sums))
    if sums.flat[worst] > _PROB_SUM_ATOL:
        t, i = np.unravel_index(worst, sums.shape)
        raise ValueError(
            f"{name} rows must sum to 1 over the K components (got {arr[t, i].sum():.6g} at draw "
            f"{t}, observation {i}); normalize with p / p.sum(axis=-1, keepdims=True)"
        )
    return arr


def check_dim_names(*, dim, sample_dims, obs_dim=None):
    """Check the dim arguments: names, and the component, obs and sample dims all different.

    Returns ``(dim, sample_dims, obs_dim)`` with ``sample_dims`` as a tuple.
    """
    dim = check_name(dim, "dim")
    sample_dims = check_sample_dims(sample_dims)
    if dim in sample_dims:
        raise ValueError(
            f"dim '{dim}' is also one of sample_dims {sample_dims}; the component dim must be "
            "another dimension, e.g. dim='component', sample_dims=('chain', 'draw')"
        )
    if obs_dim is not None:
        obs_dim = check_name(obs_dim, "obs_dim")
        if obs_dim == dim or obs_dim in sample_dims:
            raise ValueError(
                f"obs_dim '{obs_dim}' is also the component dim or a sample dim (dim='{dim}', "
                f"sample_dims={sample_dims}); pass obs_dim=... naming the observation dimension"
            )
    return dim, sample_dims, obs_dim


def check_sizes(ds, dims, *, name):
    """Check that every dim in ``dims`` has at least one entry."""
    for d in dims:
        if ds.sizes[d] == 0:
            raise ValueError(f"{name} has no entries along '{d}' (size 0); it needs at least one")


def broadcast_per(arr, name, length, per="component"):
    """Broadcast a checked scalar, or one value per ``per``, to a float array of ``length``."""
    if arr.ndim > 1 or (arr.ndim == 1 and arr.size != length):
        raise ValueError(
            f"{name} must be a number or one number per {per} (length {length}), got shape {arr.shape}"
        )
    return np.broadcast_to(arr, (length,)).astype(float)
