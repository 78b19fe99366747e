"""Probability ellipses of a multivariate normal mixture: :func:`plot_ellipses`."""

from __future__ import annotations

import numbers

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import chi2

from mixlab._validate import check_int, check_rng
from mixlab.plots.core import component_colors
from mixlab.spec import resolve

__all__ = ["plot_ellipses"]


def _ellipse_xy(mean, cov, level, n_points=100):
    """Boundary of the ``level`` probability region of a bivariate normal."""
    radius = np.sqrt(chi2.ppf(level, df=2))
    t = np.linspace(0, 2 * np.pi, n_points)
    circle = np.stack([np.cos(t), np.sin(t)])
    return (mean[:, None] + radius * np.linalg.cholesky(cov) @ circle).T


def _check_levels(levels):
    if isinstance(levels, numbers.Real):
        levels = (levels,)
    try:
        levels = [float(v) for v in levels]
    except (TypeError, ValueError) as err:
        raise TypeError(f"levels must be a sequence of probabilities, got {levels!r}") from err
    if not levels or any(not 0 < v < 1 for v in levels):
        raise ValueError(f"levels must be probabilities in (0, 1), got {levels}")
    return levels


def _check_features(features):
    if (
        isinstance(features, str)
        or not hasattr(features, "__len__")
        or len(features) != 2
        or not all(isinstance(f, numbers.Integral) and not isinstance(f, bool) for f in features)
    ):
        raise TypeError(f"features must be a pair of column indices such as (0, 1), got {features!r}")
    return tuple(int(f) for f in features)


def _check_covariances(cov, corr_name):
    """Every covariance ``diag(sigma) corr diag(sigma)`` must be positive definite."""
    bad = ~np.all(np.linalg.eigvalsh(cov) > 0, axis=-1)
    if bad.any():
        s, k = np.argwhere(bad)[0]
        raise ValueError(
            f"posterior variable '{corr_name}' is not a positive-definite correlation matrix in "
            f"{int(bad.sum())} (draw, component) pair(s), first draw {s} component {k}; pass the "
            "posterior of a mv_gmm model (corr from an LKJ prior)"
        )


def _mean_probs(spec, y, draws):
    """Posterior mean of the membership probabilities, ``(n, K)``, a chunk of draws at a time."""
    n, k = y.shape[0], draws.n_components
    total = np.zeros((n, k))
    for sl in spec.chunks(n * k):
        total += spec.probs(y, draws.take(sl)).sum(axis=0)
    return total / draws.n_samples


def plot_ellipses(
    y=None,
    idata=None,
    *,
    levels=(0.5, 0.9),
    n_draws=20,
    features=(0, 1),
    rng=None,
    ax=None,
    group="posterior",
    dim="component",
    sample_dims=("chain", "draw"),
):
    """Scatter the data with each component's probability ellipses.

    Points are coloured by their most probable component (posterior mean of
    :func:`mixlab.invariants.assignment_probs`). For each component the solid ellipses bound the
    ``levels`` probability regions of the normal with the posterior-mean mean and covariance; thin
    lines show the outer ellipse for ``n_draws`` posterior draws, so their spread shows the
    posterior uncertainty. Colours are :func:`mixlab.plots.component_colors`, as in every mixlab
    figure.

    Parameters
    ----------
    y : array_like, shape (n, d), optional
        Observations; default ``observed_data["y"]`` of ``idata``.
    idata : xarray.DataTree or xarray.Dataset
        Posterior of a :func:`mixlab.models.mv_gmm` model: ``w``, ``mu``, ``sigma`` and ``corr``.
    levels : sequence of float, default (0.5, 0.9)
        Probabilities of the regions drawn, each in (0, 1).
    n_draws : int, default 20
        Posterior draws whose outer ellipse is drawn thinly (0 for none).
    features : pair of int, default (0, 1)
        Columns to plot (the ellipses are the exact bivariate marginals).
    rng : numpy.random.Generator or int, optional
        Chooses the ``n_draws`` draws.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when ``None``.
    group, dim, sample_dims
        Posterior group, component dim and sample dims, as in
        :func:`mixlab.invariants.assignment_probs`.

    Returns
    -------
    matplotlib.axes.Axes
        With a title, axis labels from the ``feature`` coordinate, one legend entry per component.

    Raises
    ------
    TypeError
        If ``idata`` is missing, ``ax`` is not an Axes, or ``levels`` / ``features`` have the
        wrong type.
    ValueError
        If a level is outside (0, 1), ``features`` are not two distinct column indices, a
        variable or dim is missing from the posterior, or ``y`` does not match it.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from mixlab.plots.ellipses import plot_ellipses
    >>> post = xr.Dataset({
    ...     "w": (("chain", "draw", "component"), [[[0.5, 0.5]]]),
    ...     "mu": (("chain", "draw", "component", "feature"), [[[[0.0, 0.0], [5.0, 5.0]]]]),
    ...     "sigma": (("chain", "draw", "component", "feature"), np.ones((1, 1, 2, 2))),
    ...     "corr": (("chain", "draw", "component", "feature", "feature_bis"),
    ...              np.broadcast_to(np.eye(2), (1, 1, 2, 2, 2))),
    ... }, coords={"feature": ["a", "b"]})
    >>> ax = plot_ellipses(np.array([[0.0, 0.1], [5.0, 4.9]]), post, n_draws=0)
    >>> ax.get_xlabel(), ax.get_ylabel(), len(ax.lines)
    ('a', 'b', 4)
    """
    if idata is None:
        raise TypeError("idata is required: pass the posterior of a mv_gmm model")
    levels = _check_levels(levels)
    n_draws = check_int(n_draws, "n_draws", minimum=0)
    i, j = _check_features(features)
    if ax is not None and not isinstance(ax, mpl.axes.Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    rng = check_rng(rng)
    spec = resolve(idata, family="mv_normal", group=group, dim=dim, sample_dims=sample_dims)
    y, _ = spec.observations(y)
    draws = spec.draws()
    d = draws.mu.shape[-1]
    if i == j or not (0 <= i < d and 0 <= j < d):
        raise ValueError(f"features must be two distinct column indices in [0, {d - 1}], got {features}")
    mu, sigma = draws.mu, draws.sigma
    cov = sigma[..., :, None] * draws.corr * sigma[..., None, :]
    _check_covariances(cov, spec.names["corr"])
    labels = _mean_probs(spec, y, draws).argmax(axis=1)
    K = draws.n_components
    colors = component_colors(K)
    feat = spec.feature_dim
    post = spec.posterior
    names = [str(v) for v in post[feat].values] if feat in post.coords else [f"x{k}" for k in range(d)]
    comp_coords = spec.component_coord
    pair = np.array([i, j])
    mean_mu = mu.mean(axis=0)[:, pair]
    mean_cov = cov.mean(axis=0)[:, pair][:, :, pair]
    chosen = rng.choice(mu.shape[0], size=min(n_draws, mu.shape[0]), replace=False)
    if ax is None:
        _, ax = plt.subplots()
    for k in range(K):
        member = labels == k
        ax.scatter(y[member, i], y[member, j], s=12, color=colors[k], alpha=0.6,
                   label=f"component {comp_coords[k]}")
        for s in chosen:
            xy = _ellipse_xy(mu[s, k, pair], cov[s, k][np.ix_(pair, pair)], max(levels))
            ax.plot(xy[:, 0], xy[:, 1], color=colors[k], lw=0.5, alpha=0.3)
        for level in sorted(levels):
            xy = _ellipse_xy(mean_mu[k], mean_cov[k], level)
            ax.plot(xy[:, 0], xy[:, 1], color=colors[k], lw=2)
    ax.set_xlabel(names[i])
    ax.set_ylabel(names[j])
    pct = ", ".join(f"{v:.0%}" for v in sorted(levels))
    ax.set_title(f"Mixture components: {pct} probability ellipses")
    ax.legend(loc="best")
    return ax
