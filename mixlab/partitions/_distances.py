"""Distances between two partitions, from their contingency table (never from pairs)."""

from __future__ import annotations

import numpy as np

from mixlab.partitions._inputs import check_pair

__all__ = ["adjusted_rand", "binder_distance", "vi_distance"]


def _xlogx(x):
    x = np.asarray(x, dtype=float)
    return x * np.log(np.where(x > 0, x, 1.0))


def _row_sums(keys, f):
    """Per row of ``keys`` (S, n): the sum over its distinct values v of ``f(count of v)``."""
    srt = np.sort(keys, axis=1)
    new = np.ones(srt.shape, dtype=bool)
    new[:, 1:] = srt[:, 1:] != srt[:, :-1]
    run = np.cumsum(new.ravel()) - 1
    counts = np.bincount(run)
    row_of_run = np.flatnonzero(new.ravel()) // keys.shape[1]
    return np.bincount(row_of_run, weights=f(counts), minlength=keys.shape[0])


def table_sums(c, z, f):
    """``(sum_k f(n_k), sum_j f(m_sj), sum_kj f(n_skj))`` of a partition ``c`` (n,) against each
    row of ``z`` (S, n): sizes of ``c``, of each draw, and of their contingency table cells.

    Labels must be non-negative (canonical); the work is O(S n log n), whatever the number of
    clusters.
    """
    z = np.atleast_2d(z)
    width = int(z.max()) + 1
    own = _row_sums(c[None, :], f)[0]
    theirs = _row_sums(z, f)
    joint = _row_sums(c[None, :].astype(np.int64) * width + z, f)
    return own, theirs, joint


def vi_to_draws(c, z):
    """Variation of information of ``c`` to every row of ``z`` (natural log), shape (S,)."""
    own, theirs, joint = table_sums(c, z, _xlogx)
    return np.maximum((own + theirs - 2.0 * joint) / c.size, 0.0)


def binder_to_draws(c, z, normalize=True):
    """Binder distance of ``c`` to every row of ``z``: discordant pairs, or their share."""
    own, theirs, joint = table_sums(c, z, np.square)
    count = 0.5 * (own + theirs - 2.0 * joint)
    if not normalize:
        return count
    pairs = c.size * (c.size - 1) / 2
    return count / pairs if pairs else np.zeros_like(count)


def _codes(a, b):
    """Both partitions relabelled 0..k-1 (np.unique), so the table sums can use them."""
    return np.unique(a, return_inverse=True)[1], np.unique(b, return_inverse=True)[1]


def binder_distance(a, b, *, normalize=True):
    r"""Binder distance between two partitions: the pairs of observations they disagree on.

    A pair is discordant when one partition puts its two observations together and the other
    apart. With equal costs for both kinds of disagreement this is Binder's (1978) loss:

    .. math:: B(a, b) = \sum_{i<j} \left|\mathbf 1[a_i = a_j] - \mathbf 1[b_i = b_j]\right|
              = \tfrac12 \Big(\sum_k n_{k\cdot}^2 + \sum_l n_{\cdot l}^2
              - 2 \sum_{k,l} n_{kl}^2\Big),

    computed from the contingency table :math:`n_{kl}` of the two partitions in O(n log n), never
    over the n(n - 1)/2 pairs. The default share :math:`B / \binom n2` equals one minus the Rand
    index. Labels are arbitrary: only which observations share a label matters.

    Parameters
    ----------
    a, b : array_like of int, shape (n,)
        Cluster labels of the same n observations (any integers).
    normalize : bool, default True
        Return the share of discordant pairs in [0, 1] (0 for n = 1); ``False`` returns their count.

    Returns
    -------
    float
        The share (or count) of discordant pairs.

    Raises
    ------
    TypeError, ValueError
        As :func:`vi_distance` (labels not numeric, empty, not 1-D, NaN, non-integer, lengths
        that differ), or if ``normalize`` is not a bool.

    References
    ----------
    - Binder, D. A. (1978). Bayesian cluster analysis. *Biometrika*, 65(1), 31-38.
    - Rand, W. M. (1971). Objective criteria for the evaluation of clustering methods. *Journal of
      the American Statistical Association*, 66(336), 846-850.

    Examples
    --------
    >>> from mixlab.partitions import binder_distance
    >>> binder_distance([0, 0, 1, 1], [0, 1, 0, 1], normalize=False)
    4.0
    >>> round(binder_distance([0, 0, 1, 1], [0, 1, 0, 1]), 4)  # 4 of the 6 pairs
    0.6667
    >>> binder_distance([0, 0, 1], [5, 5, 2])
    0.0
    """
    if not isinstance(normalize, bool | np.bool_):
        raise TypeError(f"normalize must be True (a share of pairs) or False (a count), got {normalize!r}")
    a, b = _codes(*check_pair(a, b))
    return float(binder_to_draws(a, b[None, :], normalize=bool(normalize))[0])


def vi_distance(a, b):
    r"""Variation of information between two partitions (Meila 2007), in nats.

    .. math:: \mathrm{VI}(a, b) = H(a) + H(b) - 2 I(a, b)
              = \frac1n\Big(\sum_k n_{k\cdot}\log n_{k\cdot} + \sum_l n_{\cdot l}\log n_{\cdot l}
              - 2\sum_{k,l} n_{kl}\log n_{kl}\Big),

    with the natural logarithm: divide by ``log(2)`` for bits. It is a metric on partitions,
    0 only for the same partition and at most ``log(n)``, and is computed from the contingency
    table in O(n log n). Labels are arbitrary.

    Parameters
    ----------
    a, b : array_like of int, shape (n,)
        Cluster labels of the same n observations (any integers).

    Returns
    -------
    float
        In nats, between 0 (same partition) and log n.

    Raises
    ------
    TypeError
        If the labels are not numeric.
    ValueError
        If the labels are empty, not 1-D, hold NaN or non-integers, or differ in length.

    References
    ----------
    - Meila, M. (2007). Comparing clusterings -- an information based distance. *Journal of
      Multivariate Analysis*, 98(5), 873-895.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.partitions import vi_distance
    >>> bool(np.isclose(vi_distance([0, 0, 1, 1], [0, 1, 0, 1]), 2 * np.log(2)))
    True
    >>> vi_distance([3, 3, 7], [0, 0, 1])
    0.0
    """
    a, b = _codes(*check_pair(a, b))
    return float(vi_to_draws(a, b[None, :])[0])


def adjusted_rand(a, b):
    r"""Adjusted Rand index of two partitions (Hubert & Arabie 1985).

    The Rand index corrected for chance under the permutation model:

    .. math:: \mathrm{ARI} = \frac{\sum_{kl}\binom{n_{kl}}2 - E}{\tfrac12 (A + B) - E}, \quad
              A = \sum_k \binom{n_{k\cdot}}2,\ B = \sum_l \binom{n_{\cdot l}}2,\
              E = A B / \binom n2.

    1 for the same partition, about 0 for unrelated ones, and negative for less agreement than
    chance. When the denominator is 0 (both partitions put every observation together, or both
    keep every observation apart, or n = 1) the partitions are the same and 1 is returned.
    Labels are arbitrary. It is a similarity, not a distance: ``1 - adjusted_rand`` is not a metric.

    Parameters
    ----------
    a, b
        Two labellings of the same observations, as in :func:`vi_distance`.

    Returns
    -------
    float
        1 for identical partitions, about 0 for independent ones, negative below chance.

    Raises
    ------
    TypeError, ValueError
        As :func:`vi_distance`.

    References
    ----------
    - Hubert, L. and Arabie, P. (1985). Comparing partitions. *Journal of Classification*, 2(1),
      193-218.

    Examples
    --------
    >>> from mixlab.partitions import adjusted_rand
    >>> adjusted_rand([0, 0, 1, 1], [0, 1, 0, 1])
    -0.5
    >>> adjusted_rand([0, 0, 1, 1], [1, 1, 0, 0])
    1.0
    """
    a, b = _codes(*check_pair(a, b))

    def pairs(x):
        return x * (x - 1) / 2.0

    own, theirs, joint = table_sums(a, b[None, :], pairs)
    own, theirs, joint, total = own, theirs[0], joint[0], pairs(a.size)
    # times C(n, 2): whole numbers (or halves), so identical partitions give exactly 1
    top = total * 0.5 * (own + theirs) - own * theirs
    if top == 0:
        return 1.0
    return float((total * joint - own * theirs) / top)
