"""Rootograms of count models (Kleiber & Zeileis, 2016)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from mixlab.plots.core import DATA_COLOR, DATA_EDGE_COLOR, MIXTURE_COLOR, _check_ax

__all__ = ["plot_rootogram"]

_NEEDED = ("observed", "mean")


def _check_freqs(freqs):
    if not isinstance(freqs, xr.Dataset):
        raise TypeError(
            f"freqs must be the xarray.Dataset of mixlab.invariants.count_frequencies, got "
            f"{type(freqs).__name__}"
        )
    missing = [v for v in _NEEDED if v not in freqs.data_vars]
    if missing or "count" not in freqs.dims:
        raise ValueError(
            f"freqs must have the variables {_NEEDED} over dim 'count' (missing: "
            f"{missing or ['dim count']}); pass the output of mixlab.invariants.count_frequencies"
        )
    for name in freqs.data_vars:
        if name in ("observed", "mean", "lower", "upper"):
            da = freqs[name]
            if da.dims != ("count",):
                raise ValueError(f"freqs['{name}'] must have only the dim 'count', got {da.dims}")
            values = np.asarray(da.values, dtype=float)
            if not np.all(np.isfinite(values)) or np.any(values < 0):
                raise ValueError(
                    f"freqs['{name}'] must hold finite frequencies >= 0; pass the output of "
                    "mixlab.invariants.count_frequencies"
                )


def plot_rootogram(freqs, *, ax=None, hanging=True):
    """Hanging rootogram: observed against expected frequencies of each count, on a square-root scale.

    Kleiber & Zeileis (2016): the curve is the square root of the expected (posterior predictive
    mean) frequency of each count, with the square roots of its equal-tailed interval as a band;
    the bar of each count is the square root of the observed frequency. In a *hanging* rootogram
    the bars hang from the curve, so a model that fits leaves their bottoms on the zero line:
    a bar that ends below zero marks a count the model predicts too rarely (e.g. the zeros of
    counts with excess zeros), one that ends above it a count predicted too often. The square
    root makes the deviations of small frequencies visible next to large ones.

    Parameters
    ----------
    freqs : xarray.Dataset
        Output of :func:`mixlab.invariants.count_frequencies` (``observed`` and ``mean`` over
        dim ``count``; ``lower`` and ``upper`` are drawn when present).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when None.
    hanging : bool, default True
        Hang the bars from the curve; False draws them standing on zero.

    Returns
    -------
    matplotlib.axes.Axes
        The axes, titled, with axis labels and a legend; the last tick reads ``>= max_count``.

    Raises
    ------
    TypeError
        If ``freqs`` is not a Dataset, ``ax`` is not an Axes or ``hanging`` is not a bool.
    ValueError
        If ``freqs`` lacks ``observed`` or ``mean`` over dim ``count``, or holds negative or
        non-finite frequencies.

    References
    ----------
    Kleiber, C. and Zeileis, A. (2016). Visualizing count data regressions using rootograms.
    *The American Statistician* 70, 296-303.

    Examples
    --------
    >>> import xarray as xr
    >>> from mixlab.invariants import count_frequencies
    >>> from mixlab.plots import plot_rootogram
    >>> pp = xr.Dataset({"y": (("chain", "draw", "obs"), [[[0, 1, 2, 0], [0, 0, 5, 1]]])})
    >>> ax = plot_rootogram(count_frequencies(pp, y=[0, 0, 2, 0]))
    >>> ax.get_ylabel(), ax.get_xticklabels()[-1].get_text()
    ('sqrt(frequency)', '>= 3')
    """
    _check_freqs(freqs)
    if not isinstance(hanging, bool | np.bool_):
        raise TypeError(f"hanging must be True or False, got {hanging!r}")
    ax = _check_ax(ax)
    counts = np.asarray(
        freqs["count"].values if "count" in freqs.coords else np.arange(freqs.sizes["count"])
    )
    obs = np.sqrt(np.asarray(freqs["observed"].values, dtype=float))
    exp = np.sqrt(np.asarray(freqs["mean"].values, dtype=float))
    bottom = exp - obs if hanging else np.zeros_like(obs)
    ax.bar(
        counts,
        obs,
        bottom=bottom,
        width=0.8,
        color=DATA_COLOR,
        edgecolor=DATA_EDGE_COLOR,
        label="observed",
    )
    if "lower" in freqs.data_vars and "upper" in freqs.data_vars:
        prob = freqs.attrs.get("ci_prob")
        label = f"{prob:.0%} interval" if isinstance(prob, float) else "interval"
        ax.fill_between(
            counts,
            np.sqrt(freqs["lower"].values.astype(float)),
            np.sqrt(freqs["upper"].values.astype(float)),
            color=MIXTURE_COLOR,
            alpha=0.2,
            linewidth=0,
            step=None,
            label=label,
        )
    ax.plot(counts, exp, "o-", color=MIXTURE_COLOR, linewidth=2, markersize=4, label="expected")
    ax.axhline(0.0, color="#555555", linewidth=0.8)
    labels = [str(int(c)) for c in counts]
    if "max_count" in freqs.attrs and counts.size:
        labels[-1] = f">= {int(counts[-1])}"
    ax.set_xticks(counts, labels)
    ax.set_title("Hanging rootogram" if hanging else "Standing rootogram")
    ax.set_xlabel("count")
    ax.set_ylabel("sqrt(frequency)")
    ax.legend(fontsize="small")
    return ax
