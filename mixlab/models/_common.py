"""What every builder shares: the registry of built models, input checks, data scales, priors.

One place for the checks of ``y``, ``K`` and ``priors`` and for their error messages, so that
:func:`~mixlab.models.gmm` and :func:`~mixlab.models.mv_gmm` reject the same bad input with the
same words.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from mixlab._validate import broadcast_per, check_array, check_int, check_positive

#: Largest spread (range or standard deviation) and magnitude of the data that the builders accept,
#: and the smallest nonzero spread: the sampler works with squares of these (the variance of a
#: normal, the diagonal mass matrix of NUTS), which overflow or underflow float64 beyond ~1e154.
_MAX_SCALE = 1e150
_MIN_SCALE = 1e-150


@dataclass(frozen=True)
class _Spec:
    """What :func:`mixlab.models.initvals` needs to know about a model made here."""

    kind: str
    y: np.ndarray
    K: int
    x: np.ndarray | None = None
    ordered: str | None = None  # name of the variable that carries the ordered transform
    free_nu: bool = False
    #: start-value rule of this model when its kind is not in ``start._STARTS`` (builders defined
    #: outside start.py register their own: ``_Spec(..., start=func)``, ``func(spec) -> dict``)
    start: object = None


#: Models built by this package, mapped to their spec. Weak keys: the registry never keeps a
#: model alive, and a model that was garbage-collected drops out by itself.
_REGISTRY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _register(model, spec):
    _REGISTRY[model] = spec
    return model


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------


def _check_y(y, name="y", *, multivariate=False):
    """The observations as a float array: 1-D, or 2-D with >= 2 rows and >= 2 columns."""
    if multivariate:
        try:
            y = check_array(y, name, ndim=2)
        except ValueError as err:
            if np.ndim(y) == 2 or "dimensional" not in str(err):
                raise
            raise ValueError(
                f"{err}; pass one row per observation and one column per feature "
                "(use mixlab.models.gmm for univariate data)"
            ) from None
        if y.shape[1] < 2:
            raise ValueError(
                f"{name} must have one column per feature and at least 2 columns, got shape "
                f"{y.shape}; use mixlab.models.gmm for univariate data"
            )
        if y.shape[0] < 2:
            raise ValueError(f"{name} must have at least 2 rows (observations), got {y.shape[0]}")
        return y
    try:
        return check_array(y, name, ndim=1)
    except ValueError as err:
        if np.ndim(y) != 2 or "dimensional" not in str(err):
            raise
        raise ValueError(
            f"{err}; pass a 1-D array (e.g. y.ravel() for one column), or use "
            "mixlab.models.mv_gmm for several features per observation"
        ) from None


def _check_xy(x, y, needs):
    """A covariate and observations of the same length, the covariate not constant (``needs``: who needs it)."""
    x = check_array(x, "x", ndim=1)
    y = _check_y(y)
    if x.size != y.size:
        raise ValueError(
            f"x and y must have the same length, got {x.size} and {y.size}; pass one x per observation"
        )
    if np.ptp(x) == 0:
        raise ValueError(f"x is constant (all values {x[0]:g}); {needs} needs at least two distinct x values")
    return x, y


def _check_K(K, n, name="K", minimum=1):
    """Number of components: an integer in ``[minimum, n]``."""
    K = check_int(K, name, minimum=minimum)
    if K > n:
        raise ValueError(
            f"{name}={K} is larger than the number of observations ({n}); at least {K - n} "
            f"component(s) would hold no data in every draw, pass {name} <= {n}"
        )
    return K


def _check_bool(flag, name):
    if not isinstance(flag, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {flag!r}")
    return bool(flag)


def _data_scales(y, name="y"):
    """Return (midpoint, range, standard deviation) of ``y`` along its first axis.

    Zero spreads are replaced by 1. Data whose spread or magnitude is beyond what float64 can
    square (``_MAX_SCALE``), or whose nonzero spread is too small to square (``_MIN_SCALE``), are
    rejected with a message that says to rescale: the priors and the sampler work with squares.
    """
    lo, hi = np.min(y, axis=0), np.max(y, axis=0)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        spread = hi - lo
        sd = np.std(y, axis=0)
        mid = 0.5 * (lo + hi)
    top = np.maximum(np.abs(lo), np.abs(hi))
    worst = np.where(np.isfinite(spread) & np.isfinite(sd), np.maximum(spread, sd), np.inf)
    big = (worst > _MAX_SCALE) | (top > _MAX_SCALE)
    if np.any(big):
        where = _column(name, big)
        size = float(np.max(np.where(big, top, 0.0)))
        raise ValueError(
            f"{where}'s scale overflows float64 arithmetic (largest |value| {size:.3g}; the model "
            f"squares values and spreads); rescale {name}, e.g. divide it by {_power_of_ten(size)}"
        )
    tiny = (spread > 0) & (sd < _MIN_SCALE)
    if np.any(tiny):
        small = float(np.min(np.where(tiny, spread, np.inf)))
        raise ValueError(
            f"{_column(name, tiny)}'s spread {small:.3g} underflows float64 arithmetic (the model "
            f"squares it); rescale {name}, e.g. multiply it by {_inverse_power_of_ten(small)}"
        )
    spread = np.where(spread > 0, spread, 1.0)
    sd = np.where(sd > 0, sd, 1.0)
    if np.ndim(y) == 1:
        return float(mid), float(spread), float(sd)
    return mid, spread, sd


def _column(name, flags):
    """``name``, or ``name[:, j]`` for the first flagged column of 2-D data."""
    return name if np.ndim(flags) == 0 else f"{name}[:, {int(np.argmax(flags))}]"


def _power_of_ten(value):
    """The power of ten at or below ``value`` as text, e.g. ``"1e+200"``."""
    return f"1e{int(np.floor(np.log10(value))):+d}"


def _inverse_power_of_ten(value):
    """The power of ten that brings a small ``value`` to at least 1, e.g. ``"1e+200"``."""
    return f"1e{-int(np.floor(np.log10(value))):+d}"


# --------------------------------------------------------------------------------------------
# priors
# --------------------------------------------------------------------------------------------


def _resolve_priors(priors, defaults, sizes, func):
    """Merge user ``priors`` into ``defaults`` and validate every value.

    ``defaults`` maps a key to ``(value, kind, per)`` with ``kind`` "positive" or "real" and
    ``per`` the name of the axis the value may vary along ("component", "feature") or None for a
    single number; ``sizes`` maps each ``per`` to its length. Values are broadcast to that length.
    A default that is not finite (data at an extreme scale) is reported as such, not as the
    user's mistake.
    """
    if priors is None:
        priors = {}
    if not isinstance(priors, dict):
        example = next(iter(defaults))
        raise TypeError(
            f"priors must be a dict such as {{'{example}': 1.0}}, got {type(priors).__name__}"
        )
    unknown = sorted(set(priors) - set(defaults), key=str)
    if unknown:
        raise ValueError(
            f"priors has unknown key(s) {unknown} for {func}; known keys: {', '.join(defaults)}"
        )
    out = {}
    for key, (default, kind, per) in defaults.items():
        name = f"priors['{key}']"
        if key not in priors:
            if not np.all(np.isfinite(default)):
                raise ValueError(
                    f"the default {name} of {func}, computed from the data, is not finite; "
                    f"rescale the data or pass priors={{'{key}': ...}}"
                )
            value = default
        else:
            value = priors[key]
        if _is_bool(value):
            what = "a positive number" if kind == "positive" else "a number"
            raise TypeError(f"{name} must be {what}, got {value!r}")
        arr = check_positive(value, name) if kind == "positive" else check_array(value, name)
        if per is not None:
            arr = broadcast_per(arr, name, sizes[per], per=per)
        elif arr.ndim != 0:
            raise ValueError(f"{name} must be a single number, got shape {arr.shape}")
        out[key] = arr
    return out


def _is_bool(value):
    """True for True/False and for arrays of them (a flag passed where a number belongs)."""
    if isinstance(value, bool | np.bool_):
        return True
    try:
        return np.asarray(value).dtype.kind == "b"
    except (TypeError, ValueError):  # ragged or exotic: check_array explains
        return False


def _location_scale_defaults(y):
    mid, rng, sd = _data_scales(y)
    return {
        "w_alpha": (1.0, "positive", "component"),
        "mu_mu": (mid, "real", "component"),
        "mu_sigma": (rng, "positive", "component"),
        "sigma_sigma": (sd, "positive", "component"),
    }


def _coords(K, n):
    return {"component": list(range(K)), "obs": list(range(n))}


def _strictly_increasing(values, scale):
    """Return ``values`` (sorted) nudged apart so that every gap is positive.

    Ties (data with repeated values, e.g. rounded measurements) would put two ordered means at
    the same point, and the ordered transform would take the log of a zero gap.
    """
    out = np.sort(np.asarray(values, dtype=float))
    for k in range(1, out.size):
        gap = max(1e-3 * scale, 16 * np.spacing(abs(out[k - 1])))
        out[k] = max(out[k], out[k - 1] + gap)
    return out
