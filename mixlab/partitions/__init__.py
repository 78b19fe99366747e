r"""Partitions: distances, point estimates and credible balls of a clustering.

A clustering of n observations is a partition: which observations are together, not which label
each one carries. Every function here depends on the labels only through the partition they
define, so it gives the same answer however the components of each posterior draw are numbered:
there is nothing to relabel first (compare :mod:`mixlab.relabel`, which is needed for summaries of
the component parameters, not of the clustering).

Distances between two partitions, from their contingency table in O(n log n):

- :func:`binder_distance` -- share (or count) of the pairs of observations the two partitions
  disagree on (Binder 1978; one minus the Rand index);
- :func:`vi_distance` -- variation of information (Meila 2007), in nats;
- :func:`adjusted_rand` -- adjusted Rand index (Hubert & Arabie 1985), a chance-corrected
  similarity.

From posterior draws of the partition (an allocation array of shape (draws, n), or the sampled
labels ``z`` of a DataTree, e.g. from ``pymc_extras.marginal.recover`` or
:func:`mixlab.invariants.sample_allocations`):

- :func:`point_estimate` -- the partition minimising the posterior expected VI or Binder loss
  (Wade & Ghahramani 2018), by enumeration for n <= ``EXACT_MAX_N`` (10) and by a SALSO-style
  local search beyond (Dahl, Johnson & Mueller 2022); the Binder loss can also start from the
  co-clustering matrix of :func:`mixlab.invariants.coclustering`;
- :func:`expected_loss` -- the posterior expected VI or Binder loss of any candidate partition
  (what :func:`point_estimate` minimises);
- :func:`credible_ball` -- the smallest ball around the estimate holding a given share of the
  draws, described by its vertical and horizontal bounds (Wade & Ghahramani 2018).

Examples
--------
>>> from mixlab.partitions import point_estimate, credible_ball, vi_distance
>>> draws = [[0, 0, 1, 1], [2, 2, 0, 0], [0, 0, 0, 1]]   # labels differ; two draws agree
>>> est = point_estimate(draws)
>>> est.partition
array([0, 0, 1, 1])
>>> round(credible_ball(draws, est, prob=0.6).radius, 4)
0.0
"""

from mixlab.partitions._ball import CredibleBall, credible_ball
from mixlab.partitions._distances import adjusted_rand, binder_distance, vi_distance
from mixlab.partitions._estimate import EXACT_MAX_N, PartitionEstimate, point_estimate
from mixlab.partitions._loss import expected_loss

__all__ = [
    "EXACT_MAX_N",
    "CredibleBall",
    "PartitionEstimate",
    "adjusted_rand",
    "binder_distance",
    "credible_ball",
    "expected_loss",
    "point_estimate",
    "vi_distance",
]
