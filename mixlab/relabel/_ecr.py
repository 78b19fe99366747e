"""Equivalence-classes-representatives relabelling from allocations: :func:`ecr` and
:func:`ecr_iterative` (Papastamoulis & Iliopoulos 2010), numpy in and numpy out.

Both return ``perm`` of shape ``(draws, K)`` with ``relabeled[t, j] = original[t, perm[t, j]]``.
"""

from __future__ import annotations

import warnings

import numpy as np

from mixlab._validate import check_int
from mixlab.relabel._assign import _CHUNK_ELEMENTS, assign, check_table_size, draw_chunks, identity
from mixlab.relabel._checks import check_labels, shape_str


def _contingency(z, pivot, k):
    """``N[t, l, j]`` = number of observations with label ``l`` in draw ``t`` and ``j`` in the pivot."""
    m = z.shape[0]
    idx = z * k
    idx += pivot[None, :]
    idx += (np.arange(m) * (k * k))[:, None]
    return np.bincount(idx.ravel(), minlength=m * k * k).reshape(m, k, k)


def _ecr_step(z, pivot, k, current):
    """One ECR assignment per draw against ``pivot``, by chunks of draws (bounded memory)."""
    out = np.empty_like(current)
    for c in draw_chunks(z.shape[0], max(z.shape[1], k * k)):
        # agreement of new label j with the pivot = N[t, perm[j], j]; minimise its negative
        cost = -_contingency(z[c], pivot, k).transpose(0, 2, 1).astype(np.float64)
        out[c] = assign(cost, current[c])
    return out


def _check_size(z, k, what):
    """Refuse a K whose per-draw tables would not fit, naming the labels actually used."""
    check_table_size(z.shape[0], k, what=what, labels=lambda: int(np.unique(z).size))


def ecr(z, pivot, K):
    """Equivalence-classes-representatives (ECR) relabelling against a pivot allocation.

    For every draw, choose the permutation of the labels that makes the relabelled allocation
    agree with the pivot on as many observations as possible (Papastamoulis & Iliopoulos 2010).
    The agreement of all ``K!`` permutations follows from the ``K x K`` contingency table of
    (label in the draw, label in the pivot), counted for all draws at once with one
    ``np.bincount``; the assignment problem is then solved exactly.

    Parameters
    ----------
    z : array_like of int, shape (draws, n)
        Allocations: the component of each observation in each draw, in ``0..K-1`` (sampled
        labels, or the most probable label per draw).
    pivot : array_like of int, shape (n,)
        The reference allocation, in ``0..K-1``; typically the allocation of the maximum a
        posteriori draw.
    K : int
        Number of components.

    Returns
    -------
    perm : numpy.ndarray of int64, shape (draws, K)
        ``relabeled[t, j] = original[t, perm[t, j]]``; the relabelled allocation of draw ``t`` is
        ``np.argsort(perm[t])[z[t]]``.

    Raises
    ------
    TypeError
        If ``z`` or ``pivot`` do not hold integers, or ``K`` is not an integer.
    ValueError
        If the shapes are wrong, ``K < 1``, or a label is outside ``[0, K)``; if ``K`` is so large
        that one draw's ``K x K`` agreement table would not fit in memory.

    References
    ----------
    - Papastamoulis, P. and Iliopoulos, G. (2010). An artificial allocations based solution
      to the label switching problem in Bayesian analysis of mixtures of distributions.
      *Journal of Computational and Graphical Statistics*, 19(2), 313-331.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.relabel import ecr
    >>> pivot = np.array([0, 0, 1, 1, 2])
    >>> z = np.array([[0, 0, 1, 1, 2], [2, 2, 0, 0, 1]])
    >>> perm = ecr(z, pivot, K=3)
    >>> perm
    array([[0, 1, 2],
           [2, 0, 1]])
    >>> np.argsort(perm[1])[z[1]]  # the second draw's allocation, relabelled
    array([0, 0, 1, 1, 2])
    """
    k = check_int(K, "K", minimum=1)
    z = check_labels(z, "z", k, ndim=2)
    pivot = check_labels(pivot, "pivot", k, ndim=1)
    _check_size(z, k, "ecr")
    if pivot.shape[0] != z.shape[1]:
        raise ValueError(
            f"pivot has {pivot.shape[0]} observation(s) but z has {z.shape[1]} (shape "
            f"{shape_str(z.shape)}); pass one pivot label per observation (column of z)"
        )
    return _ecr_step(z, pivot, k, identity(z.shape[0], k))


def _mode_allocation(z, perm, k):
    """Most frequent relabelled label of every observation (ties: smallest label).

    Returns the pivot (n,) and the total agreement of the relabelled allocations with it.
    """
    n_draws, n = z.shape
    inverse = np.argsort(perm, axis=1)  # new label of old label l: inverse[t, l]
    counts = np.zeros(n * k, dtype=np.int64)
    step = max(1, _CHUNK_ELEMENTS // n)
    for s in range(0, n_draws, step):
        new = np.take_along_axis(inverse[s : s + step], z[s : s + step], axis=1)
        new += np.arange(n)[None, :] * k
        counts += np.bincount(new.ravel(), minlength=n * k)
    counts = counts.reshape(n, k)
    return np.argmax(counts, axis=1), int(counts.max(axis=1).sum())


def _ecr_iterate(z, k, pivot, max_iter):
    """Alternate ECR steps and pivot updates; return (perm, agreement, draws changed last)."""
    perm = identity(z.shape[0], k)
    changed = 0
    for _ in range(max_iter):
        new = _ecr_step(z, pivot, k, perm)
        changed = int((new != perm).any(axis=1).sum())
        perm = new
        pivot, agreement = _mode_allocation(z, perm, k)
        if changed == 0:
            break
    return perm, agreement, changed


def ecr_iterative(z, K, max_iter=100, pivot=None):
    """ECR relabelling with the pivot updated until the permutations stop changing.

    Version 1 of the iterative ECR algorithm of Papastamoulis & Iliopoulos (2010), as
    ``ecr.iterative.1`` in ``label.switching``: the pivot is the most frequent relabelled label of
    every observation; ECR against it gives new permutations, which give a new pivot, and so on.
    Each step cannot decrease the total agreement of the relabelled allocations with the pivot,
    and ties keep the current permutations, so the iteration stops -- at a local optimum, which
    depends on the start.

    Without a ``pivot``, two starts are tried and the one reaching the larger total agreement is
    returned: the most frequent label of every observation across the draws as they are (good
    when most draws already share a labelling, as within a chain), and the allocation of the first
    draw (good when the draws are scrambled, where the first start can average away the
    structure).

    Parameters
    ----------
    z : array_like of int, shape (draws, n)
        Allocations in ``0..K-1``.
    K : int
        Number of components.
    max_iter : int, default 100
        Maximum number of iterations per start; a ``RuntimeWarning`` is issued if permutations
        still change after that many.
    pivot : array_like of int, shape (n,), optional
        Starting pivot (then only this start is used).

    Returns
    -------
    perm : numpy.ndarray of int64, shape (draws, K)
        One permutation per draw, read as in :func:`ecr`.

    Raises
    ------
    TypeError, ValueError
        As :func:`ecr`; also if ``max_iter`` is not an integer >= 1.

    References
    ----------
    - Papastamoulis and Iliopoulos (2010), as in :func:`ecr`; the iteration is their
      Algorithm 2 (ECR-ITERATIVE-1).

    Examples
    --------
    Three draws, the last with its two labels swapped:

    >>> import numpy as np
    >>> from mixlab.relabel import ecr_iterative
    >>> z = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [1, 1, 0, 0]])
    >>> ecr_iterative(z, K=2)
    array([[0, 1],
           [0, 1],
           [1, 0]])
    """
    k = check_int(K, "K", minimum=1)
    z = check_labels(z, "z", k, ndim=2)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    _check_size(z, k, "ecr_iterative")
    if pivot is None:
        starts = [_mode_allocation(z, identity(z.shape[0], k), k)[0], z[0]]
        if np.array_equal(starts[0], starts[1]):
            starts = starts[:1]
    else:
        pivot = check_labels(pivot, "pivot", k, ndim=1)
        if pivot.shape[0] != z.shape[1]:
            raise ValueError(
                f"pivot has {pivot.shape[0]} observation(s) but z has {z.shape[1]}; pass one "
                "pivot label per observation (column of z)"
            )
        starts = [pivot]
    if k == 1:
        return identity(z.shape[0], k)
    runs = [_ecr_iterate(z, k, start, max_iter) for start in starts]
    perm, _, changed = max(runs, key=lambda run: run[1])  # first start wins ties
    if changed:
        warnings.warn(
            f"ecr_iterative did not converge in max_iter={max_iter} iterations ({changed} "
            "draw(s) changed in the last one); pass a larger max_iter",
            RuntimeWarning,
            stacklevel=2,
        )
    return perm
