"""Figures of mixture fits: the fitted density, co-clustering and membership probabilities.

Every function draws on a Matplotlib ``Axes`` (a new one when ``ax=None``), gives it a title and
axis labels, and returns it, so a chapter can restyle the figure afterwards::

    ax = plot_mixture_fit(y, idata, components=True)
    ax.set_xlabel("velocity (1000 km/s)")

Component ``k`` has the same colour in every figure: :func:`component_colors` is the one palette
all plots use. The summaries come from :mod:`mixlab.invariants`; ArviZ 1.x has no plot of a
parametric mixture density or of a co-clustering matrix, so these are drawn with Matplotlib.
"""

from __future__ import annotations

import numbers

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

from mixlab._validate import (
    check_array,
    check_int,
    check_probability,
)
from mixlab.invariants import assignment_probs, coclustering, predictive_density
from mixlab.invariants._common import dims_of, is_tree_like, probs_input
from mixlab.spec import _check_roles, observed_variable, resolve_options

__all__ = ["HIGHLIGHT_COLOR", "MARK_COLOR", "component_colors", "plot_assignment", "plot_coclustering", "plot_mixture_fit"]

#: Colour of the whole mixture (density line and band), distinct from every component colour.
MIXTURE_COLOR = "#222222"
#: Fill and edge colours of the data histogram.
DATA_COLOR = "#e8e8e8"
DATA_EDGE_COLOR = "#8c8c8c"
#: Rings around uncertain observations: black stands out against every component colour.
MARK_COLOR = "#000000"


#: Okabe & Ito's colour-blind-safe palette without its black (black is ``MIXTURE_COLOR``), in
#: the order blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow.
OKABE_ITO = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442")
#: Points singled out against grey ones (divergent draws, flagged observations): the palette's
#: vermillion, which readers with a colour-vision deficiency still tell from grey (tests/test_plots.py)
#: and, unlike Matplotlib's red and green, from the palette's green.
HIGHLIGHT_COLOR = OKABE_ITO[3]
#: Paul Tol's colour-blind-safe 'muted' qualitative palette (rose, indigo, sand, green, cyan, wine,
#: teal, olive, purple).
TOL_MUTED = ("#cc6677", "#332288", "#ddcc77", "#117733", "#88ccee", "#882255", "#44aa99",
             "#999933", "#aa4499")


def component_colors(n_components):
    """Colours for components ``0 .. n_components - 1``, the same in every mixlab figure.

    The colours stay distinguishable for readers with the common colour-vision deficiencies
    (deuteranopia, protanopia, tritanopia) as far as the number of components allows:

    * up to 7 components: the palette of Okabe and Ito (2008), "Color Universal Design", without
      its black, which mixlab keeps for the whole mixture (``MIXTURE_COLOR``); component 0 is
      blue, 1 orange, 2 bluish green, 3 vermillion, 4 reddish purple, 5 sky blue, 6 yellow;
    * 8 or 9 components: Paul Tol's 'muted' palette (rose, indigo, sand, green, cyan, wine, teal,
      olive, purple);
    * 10 or more: evenly spaced colours of Matplotlib's ``cividis`` colormap (dark blue to
      yellow; Nuñez, Anderton and Renslow 2018), which looks nearly the same with and without
      red-green deficiency. No palette of that many hues stays distinguishable, so the colours
      then differ mainly in lightness, and neighbouring components are hard to tell apart: label
      such figures directly.

    Component ``k`` keeps its colour when components are added within one of these ranges.

    Parameters
    ----------
    n_components : int
        Number of components, at least 1.

    Returns
    -------
    list of str
        Hex colour strings, one per component.

    Raises
    ------
    TypeError
        If ``n_components`` is not an integer.
    ValueError
        If ``n_components < 1``.

    Examples
    --------
    >>> from mixlab.plots import component_colors
    >>> component_colors(3)
    ['#0072b2', '#e69f00', '#009e73']
    """
    k = check_int(n_components, "n_components", minimum=1)
    if k <= len(OKABE_ITO):
        return list(OKABE_ITO[:k])
    if k <= len(TOL_MUTED):
        return list(TOL_MUTED[:k])
    # stop at 0.9: the light yellow end of cividis is hard to see on a white background
    colors = mpl.colormaps["cividis"](np.linspace(0.0, 0.9, k))
    return [mpl.colors.to_hex(c) for c in colors]


def _check_ax(ax):
    if ax is None:
        _, ax = plt.subplots()
        return ax
    if not isinstance(ax, mpl.axes.Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _component_label(coord):
    return f"component {coord}"


#: More histogram bars than this cannot be seen on any screen (and 10**9 of them need 7.45 GiB).
_MAX_BINS = 100_000


def _bin_edges(y, bins):
    if isinstance(bins, bool):
        raise TypeError(f"bins must be None, a number of bins, a numpy rule name or edges, got {bins!r}")
    if isinstance(bins, numbers.Integral):
        bins = check_int(bins, "bins", minimum=1, maximum=_MAX_BINS)
    elif not isinstance(bins, str):
        bins = check_array(bins, "bins", ndim=1, min_size=2)
        if np.any(np.diff(bins) <= 0):
            raise ValueError("bins edges must increase strictly; pass sorted, distinct edges")
    try:
        return np.histogram_bin_edges(y, bins=bins)
    except ValueError as err:
        raise ValueError(
            f"bins={bins!r} is not a numpy binning rule; use an int, edges or one of 'auto', "
            "'fd', 'sturges', 'scott', 'rice', 'sqrt', 'doane', 'stone'"
        ) from err


def plot_mixture_fit(
    y,
    idata,
    *,
    components=False,
    bins="auto",
    rug=False,
    ci_prob=0.94,
    grid=None,
    ax=None,
    **options,
):
    """Histogram of the data with the posterior mixture density and its credible band.

    The solid line is the posterior mean of the mixture density, the shaded band its equal-tailed
    credible band (both label-invariant, from :func:`mixlab.invariants.predictive_density`). With
    ``components=True`` the dashed lines are the posterior means of the weighted component densities
    :math:`w_k f_k`, which add up to the solid line; they depend on the labels, so draw them for a
    posterior with identified labels (ordered means, or after relabelling).

    Parameters
    ----------
    y : array_like or None
        The observations, 1-D. ``None`` takes ``observed_data["y"]`` from ``idata``.
    idata : xarray.DataTree or xarray.Dataset
        Posterior with ``w``, ``mu``, ``sigma`` (and ``nu`` for Student-t components).
    components : bool, default False
        Also draw the weighted component densities (dashed, one colour per component).
    bins : int, str, sequence or None, default "auto"
        Histogram bins as for :func:`numpy.histogram_bin_edges`; ``None`` draws no histogram.
    rug : bool, default False
        Mark each observation with a tick at the bottom of the axes.
    ci_prob : float, default 0.94
        Probability of the credible band, in (0, 1).
    grid : array_like, optional
        Points at which to evaluate the density. Default: 400 points spanning the data plus 10% of
        its range on each side.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when ``None``.
    **options
        How to read the posterior (``family``, ``nu``, ``group``, ``dim``, ``obs_dim``,
        ``sample_dims``, ``var_names``), as in :func:`mixlab.spec.resolve`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes of the histogram and the density.

    Raises
    ------
    TypeError
        If ``ax`` is not an Axes or ``components``/``rug`` are not bools.
    ValueError
        If ``y`` is not 1-D or holds NaN/inf, ``bins`` is not a valid binning, the posterior is a
        mixture regression (it has ``beta``), or for the reasons listed in
        :func:`mixlab.invariants.predictive_density`.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from mixlab.plots import plot_mixture_fit
    >>> dims = ("chain", "draw", "component")
    >>> post = xr.Dataset({"w": (dims, [[[0.6, 0.4], [0.5, 0.5]]]),
    ...                    "mu": (dims, [[[-2.0, 3.0], [-2.1, 2.9]]]),
    ...                    "sigma": (dims, [[[1.0, 0.7], [1.1, 0.6]]])})
    >>> y = np.random.default_rng(0).normal(-2.0, 1.0, 50)
    >>> ax = plot_mixture_fit(y, post, components=True)
    >>> ax.get_ylabel()
    'density'
    >>> len(ax.get_lines())  # the mean density and two components
    3
    """
    for flag, name in ((components, "components"), (rug, "rug")):
        if not isinstance(flag, bool | np.bool_):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    spec = resolve_options(idata, options, "plot_mixture_fit")
    if spec.has_beta:
        raise ValueError(
            f"the posterior has slopes '{spec.names['beta']}' (mixture regression), whose density "
            "of y depends on x; use mixlab.invariants.predictive_density(idata, grid, x=...) per "
            "value of x"
        )
    if spec.event_ndim:
        raise ValueError(
            f"plot_mixture_fit draws 1-D densities; the families {spec.family_names} model vectors:"
            " use mixlab.plots.plot_ellipses"
        )
    y_arr, _ = spec.observations(y)
    edges = None if bins is None else _bin_edges(y_arr, bins)
    if grid is None:
        lo, hi = float(y_arr.min()), float(y_arr.max())
        pad = 0.1 * (hi - lo) if hi > lo else 1.0
        grid = np.linspace(lo - pad, hi + pad, 400)
    dens = predictive_density(spec, grid, ci_prob=ci_prob, components=components)
    ax = _check_ax(ax)
    g = dens["grid"].values
    top = float(dens["upper"].max())
    if edges is not None:
        heights, _, _ = ax.hist(y_arr, bins=edges, density=True, histtype="stepfilled",
                                facecolor=DATA_COLOR, edgecolor=DATA_EDGE_COLOR, label="data")
        top = max(top, float(np.max(heights)))
    if rug:
        ax.plot(y_arr, np.full(y_arr.size, 0.01), "|", color="#555555", markersize=10,
                transform=ax.get_xaxis_transform(), label="observations")
    ax.fill_between(g, dens["lower"].values, dens["upper"].values, color=MIXTURE_COLOR,
                    alpha=0.25, linewidth=0, label=f"{dens.attrs['ci_prob']:.0%} credible band")
    ax.plot(g, dens["mean"].values, color=MIXTURE_COLOR, linewidth=2, label="posterior mean density")
    if components:
        comp = dens["components"]
        colors = component_colors(comp.sizes[spec.dim])
        for k, coord in enumerate(comp[spec.dim].values):
            ax.plot(g, comp.isel({spec.dim: k}).values, "--", color=colors[k], linewidth=1.5,
                    label=_component_label(coord))
    ax.set_xlim(g.min(), g.max())
    ax.set_ylim(0.0, 1.3 * top if top > 0 else 1.0)  # head room for the legend
    ax.set_title("Posterior mixture density")
    ax.set_xlabel("y")
    ax.set_ylabel("density")
    ax.legend(fontsize="small", ncols=2, loc="upper center")
    return ax


def _is_matrix(data, obs_dim):
    return isinstance(data, xr.DataArray) and data.dims == (obs_dim, f"{obs_dim}2")


def _check_order(order, n):
    order = check_array(order, "order", ndim=1, dtype=int)
    if order.size != n or not np.array_equal(np.sort(order), np.arange(n)):
        raise ValueError(
            f"order must be a permutation of 0..{n - 1} (one position per observation), "
            f"got {order.size} value(s); e.g. np.argsort(y)"
        )
    return order


def _y_for_axis(data, y, n, var_names):
    """y for placing or sorting observations, or None when there is none to be had."""
    if y is None:
        name = _check_roles(var_names)["y"] if isinstance(data, xr.DataTree) else None
        y = observed_variable(data, name)
        if y is None:
            return None
    y_arr = check_array(y, "y", ndim=1)
    if y_arr.size != n:
        raise ValueError(f"y has {y_arr.size} value(s) but there are {n} observations; pass matching y")
    return y_arr


def plot_coclustering(
    data,
    y=None,
    *,
    order=None,
    ax=None,
    cmap="viridis",
    method="probs",
    x=None,
    **options,
):
    """Heatmap of the posterior co-clustering matrix :math:`\\Pr(z_i = z_j \\mid y)`.

    Observations are sorted by ``y`` (when ``y`` is known) so that clusters show up as blocks on
    the diagonal; blurred block edges are observations whose cluster is uncertain.

    Parameters
    ----------
    data : xarray.DataArray, xarray.DataTree or xarray.Dataset
        The output of :func:`mixlab.invariants.coclustering` (dims ``(obs, obs2)``), or anything
        that function accepts (a posterior, assignment probabilities or sampled labels).
    y : array_like, optional
        Observations used to sort the matrix (and, for a posterior, to compute it).
        Default: ``observed_data["y"]`` when ``data`` is a DataTree; otherwise no sorting.
    order : array_like of int, optional
        Explicit order of the observations (a permutation of ``0..n-1``); overrides sorting by y.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when ``None``.
    cmap : str, default "viridis"
        Matplotlib colour map.
    method, x, **options
        As in :func:`mixlab.invariants.coclustering`.

    Returns
    -------
    matplotlib.axes.Axes
        The heatmap's Axes (the colour bar is a second Axes of the same figure).

    Raises
    ------
    TypeError
        If ``ax`` is not an Axes or ``data`` has an unsupported type.
    ValueError
        If ``order`` is not a permutation, ``y`` has the wrong length, the matrix holds values
        outside [0, 1], or for the reasons listed in :func:`mixlab.invariants.coclustering`.

    Examples
    --------
    >>> import xarray as xr
    >>> from mixlab.plots import plot_coclustering
    >>> z = xr.DataArray([[[0, 0, 1], [1, 1, 0]]], dims=("chain", "draw", "obs"))
    >>> ax = plot_coclustering(z, y=[0.1, -0.3, 2.0])
    >>> ax.get_title()
    'Posterior co-clustering'
    """
    obs_dim = options.get("obs_dim", "obs")
    if _is_matrix(data, obs_dim):
        c = check_array(data.values, "data", ndim=2)
        if c.shape[0] != c.shape[1] or np.any(c < 0) or np.any(c > 1):
            raise ValueError("data must be a square co-clustering matrix with entries in [0, 1]")
    else:
        c = coclustering(data, y, method=method, x=x, **options).values
    n = c.shape[0]
    sort_note = ""
    if order is not None:
        idx = _check_order(order, n)
        sort_note = " (given order)"
    else:
        y_arr = _y_for_axis(data, y, n, options.get("var_names"))
        if y_arr is None:
            idx = np.arange(n)
        else:
            idx = np.argsort(y_arr, kind="stable")
            sort_note = " (sorted by y)"
    ax = _check_ax(ax)
    image = ax.imshow(c[np.ix_(idx, idx)], vmin=0.0, vmax=1.0, cmap=cmap, interpolation="nearest",
                      aspect="equal")
    ax.figure.colorbar(image, ax=ax, label="Pr(same component)")
    ax.grid(False)
    ax.set_title("Posterior co-clustering")
    ax.set_xlabel(f"observation{sort_note}")
    ax.set_ylabel(f"observation{sort_note}")
    return ax


def plot_assignment(
    data,
    y=None,
    *,
    ax=None,
    threshold=0.9,
    x=None,
    **options,
):
    """Posterior membership probability of every observation in every component.

    One line per component, in the component's colour, shows the posterior mean of
    :math:`\\Pr(z_i = k \\mid y)` against the observation's value (sorted). Observations whose most
    likely component has probability below ``threshold`` are circled: their cluster is uncertain.
    The posterior mean over draws depends on the labels, so use a posterior with identified labels
    (ordered means, or after relabelling).

    Parameters
    ----------
    data : xarray.DataArray, xarray.DataTree or xarray.Dataset
        The output of :func:`mixlab.invariants.assignment_probs`, or a posterior it accepts.
    y : array_like, optional
        Observations: the horizontal axis (and, for a posterior, the data for the probabilities).
        Default: ``observed_data["y"]`` of a DataTree; for a DataArray without ``y`` the
        observation index is used.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when ``None``.
    threshold : float, default 0.9
        Observations whose largest membership probability is below this are circled.
    x : array_like, optional
        Covariate of a mixture regression, as in :func:`mixlab.invariants.assignment_probs`.
    **options
        Posterior options, as in :func:`plot_mixture_fit`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes of the membership curves.

    Raises
    ------
    TypeError
        If ``ax`` is not an Axes or ``data`` has an unsupported type.
    ValueError
        If ``threshold`` is not in (0, 1], ``y`` has the wrong length, or for the reasons listed in
        :func:`mixlab.invariants.assignment_probs`.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from mixlab.plots import plot_assignment
    >>> dims = ("chain", "draw", "component")
    >>> post = xr.Dataset({"w": (dims, [[[0.5, 0.5]]]), "mu": (dims, [[[-2.0, 2.0]]]),
    ...                    "sigma": (dims, [[[1.0, 1.0]]])})
    >>> ax = plot_assignment(post, y=np.array([-3.0, -0.2, 0.1, 2.5]))
    >>> [line.get_label() for line in ax.get_lines()]
    ['component 0', 'component 1']
    """
    threshold = check_probability(threshold, "threshold", low_open=True)
    if isinstance(data, xr.DataArray):
        dim, sample_dims, obs_dim = dims_of(data, options)
        values, _ = probs_input(data, dim=dim, obs_dim=obs_dim, sample_dims=sample_dims)
        pbar = values.mean(axis=0)
        coords = data[dim].values if dim in data.coords else np.arange(data.sizes[dim])
    elif is_tree_like(data):
        spec = resolve_options(data, options, "plot_assignment")
        p = assignment_probs(spec, y, x=x)
        pbar = p.mean(spec.sample_dims).transpose(spec.obs_dim, spec.dim).values
        coords = p[spec.dim].values
    else:
        raise TypeError(
            "data must be a DataTree/Dataset posterior or the DataArray from assignment_probs, "
            f"got {type(data).__name__}"
        )
    n, k = pbar.shape
    y_arr = _y_for_axis(data, y, n, options.get("var_names"))
    if y_arr is None:
        pos, xlabel = np.arange(n, dtype=float), "observation"
    else:
        pos, xlabel = y_arr, "y"
    idx = np.argsort(pos, kind="stable")
    pos, pbar = pos[idx], pbar[idx]
    ax = _check_ax(ax)
    colors = component_colors(k)
    for j in range(k):
        ax.plot(pos, pbar[:, j], "-o", color=colors[j], markersize=3, linewidth=1,
                label=_component_label(coords[j]))
    top = pbar.max(axis=1)
    unsure = top < threshold
    if unsure.any():
        ax.scatter(pos[unsure], top[unsure], s=70, facecolors="none", edgecolors=MARK_COLOR,
                   linewidths=1.2, zorder=3,
                   label=f"uncertain: max probability < {threshold:g} ({int(unsure.sum())})")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title("Posterior membership probabilities")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("membership probability")
    ax.legend()
    return ax
