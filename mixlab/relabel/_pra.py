r"""Pivotal reordering (:func:`pra`), user-supplied permutations (:func:`user_perm`) and the
label-invariant choice of a central draw used as a default pivot, numpy in and numpy out.

The functions return ``perm`` of shape ``(draws, K)`` with
``relabeled[t, j] = original[t, perm[t, j]]``.
"""

from __future__ import annotations

import numpy as np

from mixlab._validate import check_array
from mixlab.relabel._assign import _total, assign, check_table_size, draw_chunks, identity
from mixlab.relabel._checks import check_draw, shape_str


def _as_values(values):
    """``values`` as a float array (draws, K, P); a (draws, K) array is one parameter."""
    v = check_array(values, "values", ndim=(2, 3))
    return v[:, :, None] if v.ndim == 2 else v


def _column_scale(v):
    """Standard deviation of every parameter column over draws and components (0 -> 1)."""
    sd = v.reshape(-1, v.shape[2]).std(axis=0)
    return np.where(sd > 0, sd, 1.0)


def _match(v, target, current):
    """Per draw, the permutation minimising ``sum_j ||v[t, perm[t, j]] - target[j]||^2``.

    Returns (perm, the minimal squared distance of every draw). The squared norms do not depend
    on the permutation, so this is the permutation maximising the inner product with ``target``.
    """
    n_draws, k, p = v.shape
    perm = np.empty_like(current)
    dist = np.empty(n_draws)
    norms = (target**2).sum(axis=1)
    for c in draw_chunks(n_draws, k * max(k, p)):
        cost = (v[c] ** 2).sum(axis=2)[:, None, :] + norms[None, :, None]
        cost -= 2.0 * np.matmul(target[None], v[c].transpose(0, 2, 1))  # [t, j, l]
        perm[c] = assign(cost, current[c])
        dist[c] = _total(cost, perm[c])
    return perm, dist


def central_draw(values):
    """Index of the draw nearest the posterior median, whatever the labels of the draws.

    Every parameter column is divided by its standard deviation over draws and components; the
    components of every draw are put in increasing order of the first column (label-free); the
    median of these ordered draws is the target, and the draw returned is the one nearest to it
    (squared distance, minimised over the permutations of the draw's components). It stands in
    for the maximum a posteriori draw when no log posterior density is available.

    Parameters
    ----------
    values : array_like, shape (draws, K, P) or (draws, K)
        Component parameters of every draw (e.g. weights, means and scales stacked on the last
        axis).

    Returns
    -------
    int
        The index of the central draw.

    Raises
    ------
    ValueError
        If ``values`` is not 2- or 3-dimensional, is empty or holds NaN/inf.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.relabel import central_draw
    >>> mu = np.array([[-9.0, 9.0], [2.0, -2.0], [-1.0, 1.0]])  # draw 1 has its labels swapped
    >>> central_draw(mu)
    1
    """
    v = _as_values(values)
    v = v / _column_scale(v)
    order = np.argsort(v[:, :, 0], axis=1, kind="stable")
    target = np.median(np.take_along_axis(v, order[:, :, None], axis=1), axis=0)
    _, dist = _match(v, target, identity(v.shape[0], v.shape[1]))
    return int(np.argmin(dist))


def pra(values, pivot=None, *, scale=False):
    r"""Pivotal reordering: match every draw to a pivot draw (Marin, Mengersen & Robert 2005).

    For every draw :math:`t` the permutation :math:`\sigma_t` maximising the inner product of
    the draw's component parameters with those of the pivot,

    .. math:: \sigma_t = \arg\max_\sigma \sum_j \langle \theta_{t, \sigma(j)}, \theta^*_j \rangle
              = \arg\min_\sigma \sum_j \lVert \theta_{t, \sigma(j)} - \theta^*_j \rVert^2 ,

    where :math:`\theta^*` is a draw near the posterior mode (the maximum a posteriori draw in the
    paper). The ``K x K`` inner products of all draws come from one batched matrix product and the
    assignment problems are solved exactly for all draws at once (:mod:`._assign`). As in
    ``label.switching``, the raw values enter the inner product, so a parameter on a large scale
    dominates the others; ``scale=True`` divides every parameter column by its standard deviation
    first.

    Parameters
    ----------
    values : array_like, shape (draws, K, P) or (draws, K)
        Component parameters of every draw, ``P`` of them per component (e.g. ``w``, ``mu`` and
        ``sigma`` stacked on the last axis).
    pivot : int or array_like of shape (K, P) or (K,), optional
        The pivot: the index of a draw (e.g. of the highest log posterior density) or its values.
        Default: :func:`central_draw` (the draw nearest the posterior median).
    scale : bool, default False
        Divide every parameter column (and the pivot) by its standard deviation over draws and
        components before matching.

    Returns
    -------
    perm : numpy.ndarray of int64, shape (draws, K)
        ``relabeled[t, j] = original[t, perm[t, j]]``; when several permutations tie, the
        identity is kept.

    Raises
    ------
    TypeError
        If ``pivot`` is neither an integer nor array-like.
    ValueError
        If ``values`` is not 2- or 3-dimensional, is empty or holds NaN/inf; if ``pivot`` is an
        index outside the draws or values of the wrong shape.

    References
    ----------
    - Marin, J.-M., Mengersen, K. and Robert, C. P. (2005). Bayesian modelling and inference on
      mixtures of distributions. In *Handbook of Statistics* 25, 459-507. Elsevier.
    - Papastamoulis, P. (2016). label.switching: An R package for dealing with the label
      switching problem in MCMC outputs. *Journal of Statistical Software*, 69(1), 1-24.

    Examples
    --------
    Means and weights of three draws; the second has its labels swapped:

    >>> import numpy as np
    >>> from mixlab.relabel import pra
    >>> values = np.array([[[-2.0, 0.3], [3.0, 0.7]],
    ...                    [[3.1, 0.72], [-1.9, 0.28]],
    ...                    [[-2.1, 0.31], [2.9, 0.69]]])
    >>> pra(values, pivot=0)
    array([[0, 1],
           [1, 0],
           [0, 1]])
    """
    v = _as_values(values)
    n_draws, k, p = v.shape
    check_table_size(n_draws, k, what="pra")
    sd = _column_scale(v) if scale else np.ones(p)
    v = v / sd
    if pivot is None:
        target = v[central_draw(v)]
    elif isinstance(pivot, (int, np.integer)) and not isinstance(pivot, bool):
        target = v[check_draw(pivot, n_draws, "pivot")]
    else:
        if isinstance(pivot, bool) or np.ndim(pivot) == 0:
            raise TypeError(
                f"pivot must be a draw index or the pivot's values (K, P), got {pivot!r}"
            )
        target = check_array(pivot, "pivot", ndim=(1, 2))
        target = target[:, None] if target.ndim == 1 else target
        if target.shape != (k, p):
            raise ValueError(
                f"pivot has shape {shape_str(target.shape)} but every draw of values has "
                f"{shape_str((k, p))}; pass the pivot's values as (K, P) or a draw index"
            )
        target = target / sd
    return _match(v, target, identity(n_draws, k))[0]


def user_perm(perm, K=None):
    """Check permutations supplied by the user and return them as an int64 array (draws, K).

    Every row must be a permutation of ``0..K-1``, read as everywhere in :mod:`mixlab.relabel`:
    ``relabeled[t, j] = original[t, perm[t, j]]``. Use it to apply permutations computed
    elsewhere (another package, a hand-made rule) with ``relabel(idata, "user", perm=...)``.

    Parameters
    ----------
    perm : array_like of int, shape (draws, K)
        One permutation per draw.
    K : int, optional
        The number of components the permutations must have.

    Returns
    -------
    numpy.ndarray of int64, shape (draws, K)
        A new array (the input is not modified).

    Raises
    ------
    TypeError
        If ``perm`` does not hold integers.
    ValueError
        If ``perm`` is not 2-dimensional or empty, has not ``K`` columns, or has a row that is
        not a permutation of ``0..K-1`` (e.g. 1-based, or a repeated label).

    Examples
    --------
    >>> from mixlab.relabel import user_perm
    >>> user_perm([[1, 0], [0, 1]])
    array([[1, 0],
           [0, 1]])
    """
    return check_perm(perm, "perm", K)


def check_perm(perm, name, K=None):
    """``perm`` (draws, K) as a new int64 array whose every row is a permutation of 0..K-1."""
    arr = check_array(perm, name, dtype=int, ndim=2).copy()
    k = arr.shape[1]
    if K is not None and k != K:
        raise ValueError(f"{name} has {k} column(s) but the posterior has K={K} components")
    bad = np.flatnonzero(~(np.sort(arr, axis=1) == np.arange(k)).all(axis=1))
    if bad.size:
        t = bad[0]
        fix = (f" (1-based? pass {name} - 1)"
               if np.array_equal(np.sort(arr[t]), np.arange(1, k + 1)) else "")
        raise ValueError(
            f"{name} must hold a permutation of 0..{k - 1} in every row, but {bad.size} row(s) do "
            f"not (first: row {t} = {arr[t].tolist()}){fix}"
        )
    return arr
