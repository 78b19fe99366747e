"""Credible balls of a partition (Wade & Ghahramani 2018)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mixlab._validate import check_probability
from mixlab.partitions._distances import binder_to_draws, vi_to_draws
from mixlab.partitions._estimate import PartitionEstimate
from mixlab.partitions._inputs import canonical, check_partition, distinct, read_draws

__all__ = ["CredibleBall", "credible_ball"]

#: Distances closer than this are taken as equal (they differ by rounding only).
_ATOL = 1e-9


class CredibleBall(NamedTuple):
    """The result of :func:`credible_ball`. Each bound is an array (m, n) of the m distinct draws
    (canonical labels 0..k-1) that attain it, with their distance from the estimate."""

    #: Smallest radius whose ball around the estimate holds ``prob`` of the draws.
    radius: float
    #: Share of the draws inside the ball (at least ``prob``).
    coverage: float
    #: Draws in the ball with the fewest clusters, farthest from the estimate among those.
    upper_vertical: np.ndarray
    upper_vertical_distance: float
    #: Draws in the ball with the most clusters, farthest from the estimate among those.
    lower_vertical: np.ndarray
    lower_vertical_distance: float
    #: Draws in the ball farthest from the estimate.
    horizontal: np.ndarray
    horizontal_distance: float
    #: The distance used, ``"vi"`` or ``"binder"``.
    metric: str


def credible_ball(draws, estimate, prob=0.95, metric="vi", *, var_name="z", group="posterior",
                  sample_dims=("chain", "draw"), obs_dim="obs"):
    r"""The smallest ball around a point estimate that holds ``prob`` of the posterior draws.

    Wade & Ghahramani (2018) summarise the uncertainty around an estimate :math:`\hat c` by the
    credible ball :math:`\{c : d(\hat c, c) \le \epsilon^*\}` with the smallest radius
    :math:`\epsilon^*` whose posterior probability, estimated by the share of draws inside it, is
    at least ``prob``. Since partitions cannot be drawn as intervals, they describe the ball by
    its bounds among the draws inside it (as ``mcclust.ext::credibleball`` does):

    - upper vertical bound: the partitions with the fewest clusters, farthest from the estimate;
    - lower vertical bound: the partitions with the most clusters, farthest from the estimate;
    - horizontal bound: the partitions farthest from the estimate.

    Distances are computed from contingency tables, vectorised over the draws. Labels are
    arbitrary: relabelling any draw or the estimate changes nothing.

    Parameters
    ----------
    draws : array_like of int, xarray.DataTree, xarray.Dataset or xarray.DataArray
        Posterior draws of the partition, as for :func:`point_estimate` (not a co-clustering
        matrix: the ball needs the draws).
    estimate : array_like of int or PartitionEstimate
        The centre of the ball, e.g. ``point_estimate(draws).partition``.
    prob : float, default 0.95
        Posterior probability of the ball, in (0, 1).
    metric : {"vi", "binder"}, default "vi"
        :func:`vi_distance` (nats) or :func:`binder_distance` (share of discordant pairs).
    var_name, group, sample_dims, obs_dim
        Where the sampled labels are in a DataTree/Dataset (ArviZ's names).

    Returns
    -------
    CredibleBall
        ``radius``, ``coverage`` and the three bounds with their distances.

    Raises
    ------
    TypeError
        If an input is of an unsupported type or holds non-numeric labels.
    ValueError
        If labels are empty, hold NaN or non-integers; if the estimate and the draws label
        different numbers of observations; if ``prob`` is not in (0, 1); for an unknown
        ``metric``; if a DataTree has no sampled labels.

    References
    ----------
    - Wade, S. and Ghahramani, Z. (2018). Bayesian cluster analysis: point estimation and
      credible balls. *Bayesian Analysis*, 13(2), 559-626.

    Examples
    --------
    >>> from mixlab.partitions import credible_ball
    >>> draws = [[0, 0, 1, 1]] * 8 + [[0, 0, 0, 1], [0, 1, 2, 3]]
    >>> ball = credible_ball(draws, [0, 0, 1, 1], prob=0.85)  # radius VI = log 2
    >>> round(ball.radius, 4), ball.coverage
    (0.6931, 0.9)
    >>> ball.upper_vertical, ball.lower_vertical
    (array([[0, 0, 1, 1]]), array([[0, 1, 2, 3]]))
    >>> credible_ball(draws, [0, 0, 1, 1], prob=0.95).horizontal  # VI = 3/4 log 3
    array([[0, 0, 0, 1]])
    """
    prob = check_probability(prob, "prob", low_open=True, high_open=True)
    if metric not in ("vi", "binder"):
        raise ValueError(f"metric must be 'vi' or 'binder', got {metric!r}")
    _, values, _ = read_draws(draws, var_name=var_name, group=group, sample_dims=sample_dims,
                           obs_dim=obs_dim, allow_psm=False)
    if isinstance(estimate, PartitionEstimate):
        estimate = estimate.partition
    centre = canonical(check_partition(estimate, "estimate"))[0]
    if centre.size != values.shape[1]:
        raise ValueError(
            f"estimate labels {centre.size} observations but the draws label {values.shape[1]}; "
            "pass an estimate of the same observations"
        )
    z, w = distinct(values)
    dist = vi_to_draws(centre, z) if metric == "vi" else binder_to_draws(centre, z)
    order = np.argsort(dist, kind="stable")
    reached = np.cumsum(w[order]) >= prob - 1e-12
    radius = float(dist[order][np.argmax(reached)])
    inside = dist <= radius + _ATOL
    k = z.max(axis=1) + 1

    def farthest(mask):
        top = dist[mask].max()
        pick = mask & (dist >= top - _ATOL)
        return z[pick], float(top)

    fewest = inside & (k == k[inside].min())
    most = inside & (k == k[inside].max())
    return CredibleBall(radius, float(w[inside].sum()), *farthest(fewest), *farthest(most),
                        *farthest(inside), metric)
