"""Sampler timing and efficiency: wall-clock timers and an ESS-per-second table.

A sampler that draws faster is not better if its draws are more correlated, and a sampler that
draws faster is not quicker if it spends longer compiling the model first. This module measures
both sides:

- :class:`Timer` and :func:`timed` measure the wall time of a block or a call (e.g. the whole
  ``pm.sample`` call, compilation included);
- :func:`sampling_time` reads the time PyMC records for the sampling loop alone
  (the ``sampling_time`` attribute of the posterior group; PyMC sets it for its own NUTS and for
  nutpie, and it excludes compilation and initialisation);
- :func:`efficiency_table` puts several runs side by side: seconds, bulk and tail effective
  sample size (ESS), ESS per second, divergences and the largest R-hat.
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Callable, Mapping

import arviz as az
import numpy as np
import pandas as pd

from mixlab._labelled import extreme, varying
from mixlab._validate import (
    check_dims,
    check_group,
    check_name,
    check_sample_dims,
    check_var_names,
    optional_group,
)

__all__ = ["Timer", "efficiency_table", "sampling_time", "timed"]

#: Columns of :func:`efficiency_table`, in order (two more are appended when ``wall_seconds`` is given).
TABLE_COLUMNS = ("seconds", "ess_bulk", "ess_tail", "ess_bulk_per_s", "ess_tail_per_s",
                 "divergences", "rhat_max")


class Timer:
    """Context manager measuring the wall-clock time of a block with :func:`time.perf_counter`.

    Attributes
    ----------
    seconds : float
        Elapsed time in seconds; ``nan`` until the block has finished.

    Examples
    --------
    >>> from mixlab.timing import Timer
    >>> with Timer() as t:
    ...     total = sum(range(1000))
    >>> t.seconds >= 0
    True
    """

    def __init__(self) -> None:
        self.seconds = float("nan")
        self._start = None

    def __enter__(self) -> Timer:
        self.seconds = float("nan")
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> bool:
        if self._start is None:
            raise RuntimeError("Timer.__exit__ called before __enter__; use it as `with Timer() as t:`")
        self.seconds = time.perf_counter() - self._start
        return False

    def __repr__(self) -> str:
        return f"Timer(seconds={self.seconds:.3f})"


def timed(func: Callable, *args, **kwargs):
    """Call ``func(*args, **kwargs)`` and return its result with the wall time it took.

    Parameters
    ----------
    func : callable
        The function to call, e.g. ``nutpie.compile_pymc_model``.
    *args, **kwargs
        Passed to ``func``.

    Returns
    -------
    result : object
        What ``func`` returned.
    seconds : float
        Wall-clock seconds the call took.

    Raises
    ------
    TypeError
        If ``func`` is not callable.

    Examples
    --------
    >>> from mixlab.timing import timed
    >>> result, seconds = timed(sorted, [3, 1, 2])
    >>> result, seconds >= 0
    ([1, 2, 3], True)
    """
    if not callable(func):
        raise TypeError(f"func must be callable, got {type(func).__name__}; pass the function itself")
    with Timer() as t:
        result = func(*args, **kwargs)
    return result, t.seconds


def sampling_time(idata, *, group="posterior") -> float:
    """Return the sampling time PyMC recorded for a run, in seconds.

    ``pm.sample`` stores the duration of the sampling loop (tuning and draws, all chains) in the
    ``sampling_time`` attribute of the posterior and sample_stats groups, for PyMC's NUTS and for
    nutpie alike. It does not include compiling the model or finding starting points; time the
    whole ``pm.sample`` call with :class:`Timer` to get those too.

    Parameters
    ----------
    idata : xarray.DataTree or xarray.Dataset
        What ``pm.sample`` returned, or its posterior group as a Dataset.
    group : str, default "posterior"
        Group whose attributes hold ``sampling_time``.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``group`` is not a string or the attribute is not a number.
    ValueError
        If the group has no ``sampling_time`` attribute (e.g. a posterior built by hand), or it is
        not a positive finite number of seconds (ESS per second divides by it).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from mixlab.timing import sampling_time
    >>> ds = xr.Dataset({"mu": (("chain", "draw"), np.zeros((2, 10)))}, attrs={"sampling_time": 1.25})
    >>> sampling_time(ds)
    1.25
    """
    group = check_name(group, "group")
    ds = check_group(idata, group)
    value = ds.attrs.get("sampling_time")
    if value is None:
        raise ValueError(
            f"the {group} group has no 'sampling_time' attribute (it is set by pm.sample); "
            "time the run with mixlab.timing.Timer and pass seconds=..."
        )
    return _positive_seconds(value, f"the {group} group's 'sampling_time' attribute",
                             fix="time the run with mixlab.timing.Timer and pass seconds=...")


def _positive_seconds(value, name, *, fix="give the measured time in seconds"):
    """``value`` as a float number of seconds, or a one-line error: ESS per second divides by it."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number of seconds, got {value!r}; {fix}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number of seconds, got {value}; {fix}")
    return value


def _check_runs(runs):
    if not isinstance(runs, Mapping):
        raise TypeError(
            f"runs must be a dict mapping a label to what pm.sample returned, got {type(runs).__name__}; "
            "e.g. runs={'pymc': idata_pymc, 'nutpie': idata_nutpie}"
        )
    if len(runs) == 0:
        raise ValueError("runs is empty; pass at least one run, e.g. runs={'pymc': idata}")
    return dict(runs)


def _check_seconds(seconds, labels, name):
    if seconds is None:
        return None
    if not isinstance(seconds, Mapping):
        raise TypeError(f"{name} must be a dict mapping each run label to seconds, got {type(seconds).__name__}")
    missing = [lab for lab in labels if lab not in seconds]
    extra = [lab for lab in seconds if lab not in labels]
    if missing or extra:
        raise ValueError(
            f"{name} must have the same labels as runs (missing: {missing}, unknown: {extra}); "
            "give one time per run"
        )
    return {lab: _positive_seconds(seconds[lab], f"{name}[{lab!r}]") for lab in labels}


def _divergences(idata) -> float:
    stats = optional_group(idata, "sample_stats")
    if stats is None or "diverging" not in stats:
        return float("nan")
    return float(stats["diverging"].sum())


def efficiency_table(runs, var_names=None, *, seconds=None, wall_seconds=None, group="posterior",
                     sample_dims=("chain", "draw")) -> pd.DataFrame:
    """Compare MCMC runs by effective sample size per second, one row per run.

    For each run the bulk and tail ESS of every element of ``var_names`` are computed with
    :func:`arviz.ess` and the smallest is kept (the slowest-mixing quantity limits what the run can
    estimate); R-hat is the largest rank-normalised R-hat over the same elements. Variables that are
    constant over all draws (such as the weight of a one-component mixture) have no ESS or R-hat and
    are left out.

    Parameters
    ----------
    runs : dict of str to xarray.DataTree
        Maps a label (e.g. ``"pymc"``, ``"nutpie"``) to what ``pm.sample`` returned. The
        posterior as an ``xarray.Dataset`` also works (a Dataset has no sample_stats, so its
        divergences are ``nan``).
    var_names : str or list of str, optional
        Variables to summarise (default: all in the group). Leave out discrete variables such as
        sampled labels ``z``, whose ESS is not meaningful.
    seconds : dict of str to float, optional
        Time to divide ESS by, one per run label. By default the sampling time PyMC recorded for
        the run (:func:`sampling_time`), which excludes compilation.
    wall_seconds : dict of str to float, optional
        Wall time of each whole ``pm.sample`` call (measure it with :class:`Timer`). When given, two
        columns are added: ``setup_seconds``, the wall time minus the recorded sampling time, i.e.
        everything outside the sampling loop (compiling the model, finding starting points,
        packaging the draws and, for PyMC's NUTS, its convergence checks), and
        ``ess_bulk_per_wall_s``.
    group : str, default "posterior"
        Group holding the draws.
    sample_dims : tuple of str, default ("chain", "draw")
        Sampling dimensions.

    Returns
    -------
    pandas.DataFrame
        Index: the run labels (named ``run``). Columns ``seconds``, ``ess_bulk``, ``ess_tail``,
        ``ess_bulk_per_s``, ``ess_tail_per_s``, ``divergences``, ``rhat_max``, and with
        ``wall_seconds`` also ``setup_seconds`` and ``ess_bulk_per_wall_s``.

    Raises
    ------
    TypeError
        If ``runs``, ``seconds`` or ``wall_seconds`` is not a dict, or a run is not a DataTree
        or Dataset.
    ValueError
        If ``runs`` is empty, labels of ``seconds`` / ``wall_seconds`` do not match ``runs``,
        a time (given or recorded) is not a positive finite number, a wall time is shorter than
        the run's recorded sampling time, a variable or sample dimension is missing, or
        ``seconds`` is None and a run has no recorded ``sampling_time``.

    References
    ----------
    - Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. and Bürkner, P.-C. (2021).
      Rank-normalization, folding, and localization: an improved R-hat for assessing
      convergence of MCMC. Bayesian Analysis 16(2), 667-718.

    Examples
    --------
    >>> import numpy as np, arviz as az
    >>> from mixlab.timing import efficiency_table
    >>> rng = np.random.default_rng(0)
    >>> fast = az.from_dict({"posterior": {"mu": rng.normal(size=(2, 200, 2))},
    ...                      "sample_stats": {"diverging": np.zeros((2, 200), bool)}},
    ...                     dims={"mu": ["component"]})
    >>> slow = az.from_dict({"posterior": {"mu": np.cumsum(rng.normal(size=(2, 200, 2)), axis=1)},
    ...                      "sample_stats": {"diverging": np.zeros((2, 200), bool)}},
    ...                     dims={"mu": ["component"]})
    >>> table = efficiency_table({"iid": fast, "random walk": slow}, "mu",
    ...                          seconds={"iid": 1.0, "random walk": 1.0})
    >>> list(table.columns)
    ['seconds', 'ess_bulk', 'ess_tail', 'ess_bulk_per_s', 'ess_tail_per_s', 'divergences', 'rhat_max']
    >>> bool(table.loc["iid", "ess_bulk_per_s"] > 10 * table.loc["random walk", "ess_bulk_per_s"])
    True
    """
    runs = _check_runs(runs)
    labels = list(runs)
    seconds = _check_seconds(seconds, labels, "seconds")
    wall_seconds = _check_seconds(wall_seconds, labels, "wall_seconds")
    sample_dims = check_sample_dims(sample_dims)
    group = check_name(group, "group")

    rows = []
    for label in labels:
        idata = runs[label]
        ds = check_group(idata, group, name=f"runs[{label!r}]")
        names = check_var_names(ds, var_names, name=f"runs[{label!r}].{group}")
        ds = ds[names]
        check_dims(ds, sample_dims, name=f"runs[{label!r}].{group}")
        recorded = ds.attrs.get("sampling_time")
        if recorded is not None:
            recorded = _positive_seconds(recorded, f"runs[{label!r}].{group}.attrs['sampling_time']",
                                         fix=f"pass seconds={{{label!r}: ...}}")
        elif seconds is None:
            raise ValueError(
                f"runs[{label!r}] has no recorded sampling_time; pass seconds={{{label!r}: ...}}"
            )
        secs = recorded if seconds is None else seconds[label]
        changing = varying(ds, sample_dims)
        if not changing:
            raise ValueError(f"runs[{label!r}]: every variable in {names} is constant over the draws; "
                             "pass var_names that vary")
        ds = ds[changing]
        ess_bulk, _ = extreme(az.ess(ds, sample_dims=list(sample_dims), method="bulk"), "min")
        ess_tail, _ = extreme(az.ess(ds, sample_dims=list(sample_dims), method="tail"), "min")
        rhat, _ = extreme(az.rhat(ds, sample_dims=list(sample_dims)), "max")
        row = {
            "seconds": secs,
            "ess_bulk": ess_bulk,
            "ess_tail": ess_tail,
            "ess_bulk_per_s": ess_bulk / secs,
            "ess_tail_per_s": ess_tail / secs,
            "divergences": _divergences(idata),
            "rhat_max": rhat,
        }
        if wall_seconds is not None:
            wall = wall_seconds[label]
            if recorded is not None and wall < recorded:
                raise ValueError(
                    f"wall_seconds[{label!r}] ({wall:g} s) is shorter than the sampling time "
                    f"recorded for that run ({recorded:g} s); time the whole pm.sample call of "
                    "the same run"
                )
            row["setup_seconds"] = wall - recorded if recorded is not None else float("nan")
            row["ess_bulk_per_wall_s"] = ess_bulk / wall
        rows.append(row)
    table = pd.DataFrame(rows, index=pd.Index(labels, name="run"))
    return table
