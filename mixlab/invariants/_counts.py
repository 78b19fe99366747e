"""Frequencies of each count in predictive draws against the observed ones (for rootograms)."""

from __future__ import annotations

import numbers

import numpy as np
import xarray as xr

from mixlab._validate import check_array, check_group, check_int, check_probability
from mixlab.spec import observed_variable

__all__ = ["count_frequencies"]

#: Sample dims of a predictive group (as pm.sample_posterior_predictive writes them).
_SAMPLE_DIMS = ("chain", "draw")

#: More count bins than this are not a frequency table any more.
_MAX_BINS = 100_000


def _draws(predictive, var_name, group):
    """The predictive draws of ``var_name`` as an int array (S, n)."""
    if not isinstance(var_name, str):
        raise TypeError(f"var_name must be a variable name (str), got {var_name!r}")
    if not isinstance(group, str):
        raise TypeError(f"group must be a group name (str), got {group!r}")
    ds = check_group(predictive, group, name="predictive")
    if var_name not in ds.data_vars:
        have = ", ".join(map(str, ds.data_vars)) or "none"
        raise ValueError(
            f"predictive group '{group}' has no variable '{var_name}' (variables: {have}); "
            "pass var_name=..."
        )
    da = ds[var_name]
    missing = [d for d in _SAMPLE_DIMS if d not in da.dims]
    if missing:
        raise ValueError(
            f"predictive variable '{var_name}' has no dimension(s) {missing} (dims: {da.dims}); "
            "pass draws with dims ('chain', 'draw', obs), e.g. from pm.sample_posterior_predictive"
        )
    rest = [d for d in da.dims if d not in _SAMPLE_DIMS]
    values = np.asarray(da.transpose(*_SAMPLE_DIMS, *rest).values)
    if values.dtype.kind not in "iub" and (
        values.dtype.kind != "f"
        or not np.all(np.isfinite(values))
        or np.any(values != np.round(values))
    ):
        raise ValueError(
            f"predictive variable '{var_name}' must hold counts (whole numbers >= 0), got "
            f"values of dtype {values.dtype} that are not; pass draws of a count model"
        )
    values = values.astype(np.int64).reshape(values.shape[0] * values.shape[1], -1)
    if values.size == 0:
        raise ValueError(f"predictive variable '{var_name}' is empty (shape {da.shape})")
    if np.any(values < 0):
        raise ValueError(
            f"predictive variable '{var_name}' must hold counts (whole numbers >= 0), got "
            f"{values.min()}; pass draws of a count model"
        )
    return values


def _observed(y, predictive, var_name, n):
    if y is None:
        obs = observed_variable(predictive, var_name)
        if obs is None:
            raise ValueError(
                f"y was not given and predictive has no observed_data variable '{var_name}'; "
                "pass y=... (the observed counts) or the DataTree of pm.sample_posterior_predictive"
            )
        y = obs.values
    values = check_array(y.values if isinstance(y, xr.DataArray) else y, "y")
    if np.any(values < 0) or np.any(values != np.round(values)):
        raise ValueError("y must hold counts (whole numbers >= 0); pass the observed counts")
    values = values.reshape(-1).astype(np.int64)
    if values.size != n:
        raise ValueError(
            f"y has {values.size} value(s) but each predictive draw has {n}; pass the observations "
            "the draws replicate"
        )
    return values


def _table(values, max_count):
    """Frequency of ``0, ..., max_count - 1`` and of ``>= max_count`` in each row: (S, M + 1)."""
    s = values.shape[0]
    width = max_count + 1
    clipped = np.minimum(values, max_count) + width * np.arange(s)[:, None]
    return np.bincount(clipped.ravel(), minlength=s * width).reshape(s, width)


def count_frequencies(
    predictive,
    y=None,
    *,
    var_name="y",
    max_count=None,
    ci_prob=0.9,
    group="posterior_predictive",
):
    """Observed and predicted frequency of each count, for a rootogram or a check of zeros.

    For every predictive draw of the ``n`` counts, the number of observations equal to
    ``0, 1, ..., max_count - 1`` and at least ``max_count`` (the last bin) is tallied; the result
    compares the observed frequencies with the distribution of those replicated frequencies.
    Frequencies of replicated data sets are a label-invariant posterior (or prior) predictive
    check: the classic one for counts asks whether a model makes as many zeros as the data have.

    Parameters
    ----------
    predictive : xarray.DataTree or xarray.Dataset
        What ``pm.sample_posterior_predictive`` (or ``pm.sample_prior_predictive``) returns, or
        the predictive group itself as a Dataset. The draws of ``var_name`` have dims
        ``("chain", "draw", ...)``, the remaining dims being the observations.
    y : array_like, optional
        The observed counts, as many as each draw has. Default: ``observed_data[var_name]`` of
        ``predictive``.
    var_name : str, default "y"
        The predicted variable.
    max_count : int, optional
        Counts ``>= max_count`` share the last bin. Default: ``max(y) + 1``, so that every
        observed count has its own bin and the last one holds the predicted counts beyond the
        data (observed frequency 0).
    ci_prob : float, default 0.9
        Probability mass of the equal-tailed interval of the replicated frequencies, in (0, 1).
    group : str, default "posterior_predictive"
        Group holding the draws (``"prior_predictive"`` for a prior predictive check).

    Returns
    -------
    xarray.Dataset
        Over dim ``count`` (coordinate ``0..max_count``; the last value stands for
        ``>= max_count``): ``observed`` (observed frequency), ``mean`` (mean replicated
        frequency), ``lower`` and ``upper`` (equal-tailed ``ci_prob`` interval) and ``p_value``
        (``Pr(replicated frequency >= observed)``: near 0, the model makes too few of that count;
        near 1, too many). Frequencies are numbers of observations. Attributes ``max_count``,
        ``n_obs``, ``n_draws``, ``ci_prob`` and ``ci_kind = "eti"``.

    Raises
    ------
    TypeError
        If ``predictive`` is not a DataTree/Dataset, or an argument has the wrong type.
    ValueError
        If the group or variable is missing, the draws are not counts or lack the dims
        ``chain`` and ``draw``, ``y`` is not counts or has the wrong length, ``max_count < 1``
        or ``ci_prob`` is not in (0, 1).

    References
    ----------
    Kleiber, C. and Zeileis, A. (2016). Visualizing count data regressions using rootograms.
    *The American Statistician* 70, 296-303.

    Examples
    --------
    Two draws of three counts, observed 0, 0, 2:

    >>> import numpy as np, xarray as xr
    >>> from mixlab.invariants import count_frequencies
    >>> pp = xr.Dataset({"y": (("chain", "draw", "obs"), [[[0, 1, 2], [0, 0, 5]]])})
    >>> freqs = count_frequencies(pp, y=[0, 0, 2])
    >>> freqs["count"].values.tolist(), freqs["observed"].values.tolist()
    ([0, 1, 2, 3], [2, 0, 1, 0])
    >>> freqs["mean"].values.tolist()
    [1.5, 0.5, 0.5, 0.5]
    >>> freqs["p_value"].values.tolist()
    [0.5, 1.0, 0.5, 1.0]
    """
    if isinstance(ci_prob, bool) or not isinstance(ci_prob, numbers.Real):
        raise TypeError(f"ci_prob must be a number in (0, 1), got {ci_prob!r}")
    ci_prob = check_probability(ci_prob, "ci_prob", low_open=True, high_open=True)
    if max_count is not None:
        max_count = check_int(max_count, "max_count", minimum=1, maximum=_MAX_BINS)
    draws = _draws(predictive, var_name, group)
    observed = _observed(y, predictive, var_name, draws.shape[1])
    if max_count is None:
        max_count = min(int(observed.max()) + 1, _MAX_BINS)
    rep = _table(draws, max_count)
    obs = _table(observed[None, :], max_count)[0]
    lower, upper = np.quantile(rep, [(1.0 - ci_prob) / 2.0, (1.0 + ci_prob) / 2.0], axis=0)
    return xr.Dataset(
        {
            "observed": ("count", obs),
            "mean": ("count", rep.mean(axis=0)),
            "lower": ("count", lower),
            "upper": ("count", upper),
            "p_value": ("count", (rep >= obs[None, :]).mean(axis=0)),
        },
        coords={"count": np.arange(max_count + 1)},
        attrs={
            "max_count": max_count,
            "n_obs": int(observed.size),
            "n_draws": int(rep.shape[0]),
            "ci_prob": ci_prob,
            "ci_kind": "eti",
        },
    )
