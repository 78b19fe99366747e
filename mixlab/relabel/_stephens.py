"""Relabelling from component values (:func:`sort`) and from assignment probabilities
(:func:`stephens`), numpy in and numpy out.

Both return ``perm`` of shape ``(draws, K)`` with ``relabeled[t, j] = original[t, perm[t, j]]``.
"""

from __future__ import annotations

import warnings

import numpy as np

from mixlab._validate import check_array, check_int
from mixlab.relabel._assign import assign, check_table_size, draw_chunks, identity
from mixlab.relabel._checks import check_probs
from mixlab.relabel._result import RelabelInfo

#: Probabilities are clipped to ``[CLIP, 1 - CLIP]`` before their logarithm is taken in
#: :func:`stephens` (a component that no draw gives any weight to an observation would
#: otherwise give ``0 * log 0``).
CLIP = 1e-12


def sort(values, *, ties="raise"):
    """Relabel by sorting: component ``j`` of every draw becomes the ``j``-th smallest value.

    The classical identifiability constraint (e.g. ``mu_1 < mu_2 < ...``) imposed after sampling.
    It works when the sorting quantity separates the components in every draw; where the
    components overlap in that quantity it relabels draws inconsistently and a method that uses
    all the data (:func:`stephens`, :func:`ecr`) should be preferred.

    Parameters
    ----------
    values : array_like, shape (draws, K)
        The component-indexed quantity to sort by, one row per draw (e.g. the means).
    ties : {"raise", "stable"}, default "raise"
        What to do when two components of a draw have exactly the same value, so that the order
        is not defined: raise a ``ValueError``, or keep the tied components in their original
        order.

    Returns
    -------
    perm : numpy.ndarray of int64, shape (draws, K)
        ``np.take_along_axis(values, perm, axis=1)`` is sorted in increasing order in every row.

    Raises
    ------
    ValueError
        If ``values`` is not 2-dimensional, holds NaN or infinite values, or has ties in a draw
        and ``ties="raise"``.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.relabel import sort
    >>> mu = np.array([[0.1, 5.2], [4.9, -0.2]])
    >>> perm = sort(mu)
    >>> perm
    array([[0, 1],
           [1, 0]])
    >>> np.take_along_axis(mu, perm, axis=1)
    array([[ 0.1,  5.2],
           [-0.2,  4.9]])
    """
    if ties not in ("raise", "stable"):
        raise ValueError(f"ties must be 'raise' or 'stable', got {ties!r}")
    v = check_array(values, "values", ndim=2)
    perm = np.argsort(v, axis=1, kind="stable").astype(np.int64)
    if ties == "raise" and v.shape[1] > 1:
        ordered = np.take_along_axis(v, perm, axis=1)
        tied = np.flatnonzero((np.diff(ordered, axis=1) == 0).any(axis=1))
        if tied.size:
            raise ValueError(
                f"values has tied components in {tied.size} draw(s) (first: draw {tied[0]}), so "
                "sorting cannot order them; sort by another quantity, pass ties='stable' (keep "
                "their order) or relabel with method='stephens'"
            )
    return perm


def stephens(p, max_iter=100, *, return_info=False):
    r"""Stephens' (2000) relabelling algorithm (Kullback-Leibler loss) from assignment probabilities.

    For draws :math:`t = 1..T` with assignment probabilities :math:`p_t[i, l]` (probability that
    observation :math:`i` belongs to component :math:`l` given the parameters of draw :math:`t`),
    the algorithm looks for permutations :math:`\sigma_t` and a matrix :math:`q` minimising

    .. math:: \sum_t \sum_i \sum_j p_t[i, \sigma_t(j)]
              \log \frac{p_t[i, \sigma_t(j)]}{q[i, j]} ,

    the Kullback-Leibler divergence of the relabelled classification probabilities from a common
    classification matrix :math:`q`. Starting from the identity for every draw it alternates

    1. :math:`q[i, j] = \frac{1}{T} \sum_t p_t[i, \sigma_t(j)]` (the minimiser given the
       permutations), and
    2. for every draw, the permutation minimising the loss given :math:`q`. The entropy term
       :math:`\sum_{i,j} p_t[i,\sigma(j)] \log p_t[i,\sigma(j)]` does not depend on
       :math:`\sigma`, so this is the assignment problem with cost
       :math:`C_t[j, l] = -\sum_i p_t[i, l] \log q[i, j]`,

    until no permutation changes. Each step cannot increase the loss and ties keep the current
    permutation, so the iteration stops; it finds a local optimum (like the original algorithm).
    Before the logarithm, :math:`q` is clipped to ``[CLIP, 1 - CLIP]`` with ``CLIP = 1e-12``
    (module constant :data:`CLIP`); :math:`p` enters linearly and needs no clipping.

    :math:`q` is updated incrementally from the draws whose permutation changed, and the costs of
    all draws come from batched matrix products over chunks of draws (bounded memory), so an
    iteration costs :math:`O(T n K^2)` floating point operations and no Python loop over draws
    (except ``linear_sum_assignment`` for ``K > 4``).

    Parameters
    ----------
    p : array_like, shape (draws, n, K)
        Assignment probabilities; every ``p[t, i, :]`` sums to 1. With a posterior from PyMC, use
        :func:`mixlab.invariants.assignment_probs` and flatten chains and draws.
    max_iter : int, default 100
        Maximum number of iterations; a ``RuntimeWarning`` is issued if permutations still change
        after that many.
    return_info : bool, default False
        Return a :class:`RelabelInfo` (permutations, number of iterations, whether the iteration
        converged), as the other iterative methods do, instead of the permutations alone.

    Returns
    -------
    perm : numpy.ndarray of int64, shape (draws, K), or RelabelInfo
        ``relabeled[t, j] = original[t, perm[t, j]]``.

    Raises
    ------
    TypeError
        If ``p`` is not numeric or ``max_iter`` is not an integer.
    ValueError
        If ``p`` is not 3-dimensional, holds NaN/inf or values outside [0, 1], or has rows that
        do not sum to 1; if ``max_iter < 1``; if ``K`` is so large that one draw's ``K x K``
        cost table would not fit in memory.

    References
    ----------
    - Stephens, M. (2000). Dealing with label switching in mixture models. *Journal of the
      Royal Statistical Society B*, 62(4), 795-809.
    - Papastamoulis, P. (2016). label.switching: An R package for dealing with the label
      switching problem in MCMC outputs. *Journal of Statistical Software*, 69(1), 1-24.

    Examples
    --------
    Three draws of a two-component model on three observations; the third draw has its labels
    swapped:

    >>> import numpy as np
    >>> from mixlab.relabel import stephens
    >>> a = np.array([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9]])
    >>> p = np.stack([a, a, a[:, ::-1]])
    >>> perm = stephens(p)
    >>> perm
    array([[0, 1],
           [0, 1],
           [1, 0]])
    >>> np.allclose(np.take_along_axis(p, perm[:, None, :], axis=2), a)
    True

    With only two draws in opposite labellings, the start (identity) is already optimal: both
    labellings are equally far from their average, which is why the algorithm needs many draws.
    """
    p = check_probs(p)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    if not isinstance(return_info, bool | np.bool_):
        raise TypeError(f"return_info must be True or False, got {return_info!r}")

    def done(perm, iterations, converged):
        return RelabelInfo(perm, iterations, converged, "stephens") if return_info else perm

    n_draws, n, k = p.shape
    perm = identity(n_draws, k)
    if k == 1:
        return done(perm, 0, True)
    check_table_size(n_draws, k, what="stephens")
    chunks = draw_chunks(n_draws, k * k)
    q_sum = p.sum(axis=0)  # sum over draws of the relabelled p (identity to start)
    for iteration in range(1, max_iter + 1):
        log_q_t = np.log(np.clip(q_sum / n_draws, CLIP, 1.0 - CLIP)).T
        new = np.empty_like(perm)
        for c in chunks:
            cost = -np.matmul(log_q_t, p[c])  # cost[t, j, l] = -sum_i p[t, i, l] log q[i, j]
            new[c] = assign(cost, perm[c])
        changed = np.flatnonzero((new != perm).any(axis=1))
        if changed.size == 0:
            return done(perm, iteration, True)
        q_sum += _q_update(p, perm, new, changed)
        perm = new
    warnings.warn(
        f"stephens did not converge in max_iter={max_iter} iterations ({changed.size} draw(s) "
        "changed in the last one); pass a larger max_iter",
        RuntimeWarning,
        stacklevel=2,
    )
    return done(perm, max_iter, False)


def _perm_matrices(perm):
    """One-hot matrices ``M[t, l, j] = 1`` if ``perm[t, j] == l`` so that ``p[t] @ M[t]`` relabels."""
    n_draws, k = perm.shape
    out = np.zeros((n_draws, k, k))
    out[np.arange(n_draws)[:, None], perm, np.arange(k)[None, :]] = 1.0
    return out


def _q_update(p, old, new, rows):
    """``sum_{t in rows} (p[t][:, new[t]] - p[t][:, old[t]])`` by batched matrix products.

    Each chunk of draws is multiplied by the difference of their one-hot permutation matrices
    (built per chunk, so memory stays bounded);
    when most draws changed, contiguous chunks of ``p`` are used as they are (views, no copy),
    otherwise only the changed draws are gathered.
    """
    n_draws, n, k = p.shape
    out = np.zeros((n, k))
    if 2 * rows.size > n_draws:
        for c in draw_chunks(n_draws, max(n, k) * k):
            delta = _perm_matrices(new[c]) - _perm_matrices(old[c])
            out += np.matmul(p[c], delta).sum(axis=0)
        return out
    for c in draw_chunks(rows.size, max(n, k) * k):
        r = rows[c]
        delta = _perm_matrices(new[r]) - _perm_matrices(old[r])
        out += np.matmul(p[r], delta).sum(axis=0)
    return out
