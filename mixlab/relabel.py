r"""Post-hoc relabelling of mixture posteriors: sorting, Stephens' algorithm and ECR.

The likelihood of a mixture does not change when its components are renamed, so a sampler that
visits several labellings (or chains that settle in different ones) makes per-component summaries
meaningless: this is *label switching*. Relabelling algorithms choose, for every draw, the
permutation of the labels that makes the draws agree with each other; applying it to every
component-indexed variable gives a posterior whose per-component summaries mean something again.

The module mirrors the R package ``label.switching`` (Papastamoulis 2016) in two layers:

**Array layer** (numpy in, numpy out), every function returning ``perm`` of shape ``(draws, K)``:

- :func:`sort` -- order the components of each draw by a quantity such as the means;
- :func:`stephens` -- Stephens' (2000) Kullback-Leibler algorithm, from assignment probabilities;
- :func:`ecr` and :func:`ecr_iterative` -- the equivalence-classes-representatives algorithm of
  Papastamoulis & Iliopoulos (2010), from allocations (sampled or MAP labels).

The convention is that of ``label.switching``::

    relabeled[t, j] = original[t, perm[t, j]]      # np.take_along_axis(x, perm, axis=1)

so component ``j`` after relabelling is component ``perm[t, j]`` of draw ``t`` before.

**Labelled layer** (xarray in, xarray out):

- :func:`relabel` -- compute the permutations with one of the methods and apply them to *every*
  variable of the posterior that has the ``component`` dim, and to allocation variables such as
  ``z``; the permutations are stored as ``relabel_perm``;
- :func:`switching_report` -- R-hat before and after each method, rank evidence of switching and
  the share of draws each method moved, as a table.

Assignment problems (one per draw) are solved exactly: for ``K <= 4`` by enumerating all ``K!``
permutations for every draw at once (one matrix product), for larger ``K`` with
:func:`scipy.optimize.linear_sum_assignment` in a tight loop over draws (2-5 microseconds per draw
on the machine the threshold was measured on; see ``benchmarks/bench_relabel.py``). When several
permutations tie for the optimum, the current one (the identity at the start) is kept, so that
results are deterministic and every iterative method stops.
"""

from __future__ import annotations

import itertools
import numbers
import warnings
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import xarray as xr
from scipy.optimize import linear_sum_assignment

from mixlab._validate import check_array, check_dims, check_group, check_int, check_var_names
from mixlab._validate import check_name as _check_name
from mixlab._validate import check_sample_dims as _check_sample_dims

__all__ = ["METHODS", "ecr", "ecr_iterative", "relabel", "sort", "stephens", "switching_report"]

#: Methods understood by :func:`relabel` and :func:`switching_report`.
METHODS = ("sort", "stephens", "ecr", "ecr_iterative")

#: Probabilities are clipped to ``[CLIP, 1 - CLIP]`` before their logarithm is taken in
#: :func:`stephens` (a component that no draw gives any weight to an observation would
#: otherwise give ``0 * log 0``).
CLIP = 1e-12

#: Largest K solved by enumerating all K! permutations (vectorised over draws); above it,
#: ``scipy.optimize.linear_sum_assignment`` is called per draw. Measured with
#: ``benchmarks/bench_relabel.py``: enumeration wins up to K = 4, the two are even at K = 5 and
#: the loop wins from K = 6 on (the K! columns grow faster than the per-call overhead).
ENUMERATE_MAX_K = 4

#: Upper bound on the number of elements of the temporary arrays built per chunk of draws.
_CHUNK_ELEMENTS = 2**21

#: Relative tolerance under which a candidate permutation does not replace the current one.
_TIE_RTOL = 1e-10

#: Tolerance on the row sums of assignment probabilities.
_SUM_ATOL = 1e-5

#: Default R-hat threshold of :func:`switching_report`.
_RHAT_OK = 1.01


# ----------------------------------------------------------------------------------------------
# Validation of array inputs
# ----------------------------------------------------------------------------------------------


def _shape(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _check_probs(p, name="p"):
    """Return ``p`` as a float64 array (draws, n, K) of probabilities whose rows sum to 1."""
    if isinstance(p, xr.Dataset | xr.DataTree):
        raise TypeError(f"{name} must be an array of shape (draws, n, K), got {type(p).__name__}")
    arr = np.asarray(p)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got values of type {arr.dtype}")
    if arr.ndim != 3:
        hint = (
            "; flatten chain and draw first, e.g. p.reshape(-1, n, K)" if arr.ndim == 4 else ""
        )
        raise ValueError(f"{name} must be 3-dimensional (draws, n, K), got shape {_shape(arr.shape)}{hint}")
    if 0 in arr.shape:
        raise ValueError(f"{name} must have at least one draw, observation and component, got shape "
                         f"{_shape(arr.shape)}")
    arr = np.asarray(arr, dtype=np.float64)
    # row sums by a matrix-vector product (5x faster than .sum(axis=-1) over a short last axis);
    # NaN or inf in any entry shows up in its row sum
    sums = np.matmul(arr, np.ones(arr.shape[-1]))
    if not np.all(np.isfinite(sums)):
        bad = int(np.size(sums) - np.isfinite(sums).sum())
        raise ValueError(
            f"{name} contains NaN or infinite values in {bad} (draw, observation) row(s); "
            "compute the probabilities on the log scale (log-sum-exp) or drop those draws"
        )
    lo, hi = arr.min(), arr.max()
    if lo < 0 or hi > 1 + _SUM_ATOL:
        raise ValueError(
            f"{name} must hold probabilities in [0, 1], got values from {lo:.6g} to {hi:.6g}"
        )
    sums -= 1.0
    np.abs(sums, out=sums)
    worst = int(np.argmax(sums))
    if sums.flat[worst] > _SUM_ATOL:
        t, i = np.unravel_index(worst, sums.shape)
        raise ValueError(
            f"{name} rows must sum to 1 over the K components (got {arr[t, i].sum():.6g} at draw "
            f"{t}, observation {i}); normalize with p / p.sum(axis=-1, keepdims=True)"
        )
    return arr


def _check_labels(z, name, k, *, ndim):
    """Return integer labels with values in [0, k) as an int64 array of rank ``ndim``."""
    if isinstance(z, xr.Dataset | xr.DataTree):
        raise TypeError(f"{name} must be an integer array, got {type(z).__name__}")
    arr = np.asarray(z)
    if arr.dtype.kind in "iu":  # no copy for int64 input
        arr = arr.astype(np.int64, copy=False)
        if arr.ndim != ndim:
            raise ValueError(f"{name} must be {ndim}-dimensional, got shape {_shape(arr.shape)}")
    else:
        arr = check_array(arr, name, dtype=int, ndim=ndim)
    if 0 in arr.shape:
        raise ValueError(f"{name} must not be empty, got shape {_shape(arr.shape)}")
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= k:
        bad = lo if lo < 0 else hi
        fix = " (1-based labels? pass z - 1)" if lo >= 1 and hi == k else ""
        raise ValueError(
            f"{name} holds label {bad} outside [0, K) = [0, {k}); labels must be integers "
            f"0..K-1{fix}"
        )
    return arr


def _identity(n_draws, k):
    return np.tile(np.arange(k, dtype=np.int64), (n_draws, 1))


# ----------------------------------------------------------------------------------------------
# Assignment problems, vectorised over draws
# ----------------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _all_perms(k):
    """All K! permutations (rows) and the 0/1 matrix mapping a flat (K*K) cost to their totals."""
    perms = np.array(list(itertools.permutations(range(k))), dtype=np.int64)
    flat = np.arange(k)[None, :] * k + perms  # position of cost[j, perm[j]] in a flat K*K cost
    incidence = np.zeros((k * k, len(perms)))
    for j in range(k):
        incidence[flat[:, j], np.arange(len(perms))] = 1.0
    perms.setflags(write=False)
    incidence.setflags(write=False)
    return perms, incidence


def _solve_enumerate(cost):
    perms, incidence = _all_perms(cost.shape[1])
    n_draws, k = cost.shape[:2]
    out = np.empty((n_draws, k), dtype=np.int64)
    step = max(1, _CHUNK_ELEMENTS // len(perms))
    for s in range(0, n_draws, step):
        totals = cost[s : s + step].reshape(-1, k * k) @ incidence
        out[s : s + step] = perms[np.argmin(totals, axis=1)]
    return out


def _solve_lsa(cost):
    out = np.empty(cost.shape[:2], dtype=np.int64)
    for t in range(cost.shape[0]):
        out[t] = linear_sum_assignment(cost[t])[1]
    return out


def _total(cost, perm):
    return np.take_along_axis(cost, perm[:, :, None], axis=2)[:, :, 0].sum(axis=1)


def _assign(cost, current):
    """Solve ``min_perm sum_j cost[t, j, perm[t, j]]`` for every draw ``t``.

    ``cost[t, j, l]`` is the cost of giving original label ``l`` the new label ``j``. Where the
    current permutation is optimal (up to a relative tolerance) it is kept.
    """
    k = cost.shape[1]
    best = _solve_enumerate(cost) if k <= ENUMERATE_MAX_K else _solve_lsa(cost)
    c_best, c_now = _total(cost, best), _total(cost, current)
    keep = c_now <= c_best + _TIE_RTOL * (1.0 + np.abs(c_best))
    best[keep] = current[keep]
    return best


# ----------------------------------------------------------------------------------------------
# Array layer
# ----------------------------------------------------------------------------------------------


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


def stephens(p, max_iter=100):
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
    all draws come from one batched matrix product, so an iteration costs :math:`O(T n K^2)`
    floating point operations and no Python loop over draws (except
    ``linear_sum_assignment`` for ``K > 4``).

    Parameters
    ----------
    p : array_like, shape (draws, n, K)
        Assignment probabilities; every ``p[t, i, :]`` sums to 1. With a posterior from PyMC, use
        :func:`mixlab.invariants.assignment_probs` and flatten chains and draws.
    max_iter : int, default 100
        Maximum number of iterations; a ``RuntimeWarning`` is issued if permutations still change
        after that many.

    Returns
    -------
    perm : numpy.ndarray of int64, shape (draws, K)
        ``relabeled[t, j] = original[t, perm[t, j]]``.

    Raises
    ------
    TypeError
        If ``p`` is not numeric or ``max_iter`` is not an integer.
    ValueError
        If ``p`` is not 3-dimensional, holds NaN/inf or values outside [0, 1], or has rows that
        do not sum to 1; if ``max_iter < 1``.

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
    p = _check_probs(p)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    n_draws, n, k = p.shape
    perm = _identity(n_draws, k)
    if k == 1:
        return perm
    q_sum = p.sum(axis=0)  # sum over draws of the relabelled p (identity to start)
    for _ in range(max_iter):
        log_q = np.log(np.clip(q_sum / n_draws, CLIP, 1.0 - CLIP))
        cost = -np.matmul(log_q.T, p)  # cost[t, j, l] = -sum_i p[t, i, l] log q[i, j]
        new = _assign(cost, perm)
        changed = np.flatnonzero((new != perm).any(axis=1))
        if changed.size == 0:
            return perm
        q_sum += _q_update(p, perm, new, changed)
        perm = new
    warnings.warn(
        f"stephens did not converge in max_iter={max_iter} iterations ({changed.size} draw(s) "
        "changed in the last one); pass a larger max_iter",
        RuntimeWarning,
        stacklevel=2,
    )
    return perm


def _perm_matrices(perm):
    """One-hot matrices ``M[t, l, j] = 1`` if ``perm[t, j] == l`` so that ``p[t] @ M[t]`` relabels."""
    n_draws, k = perm.shape
    out = np.zeros((n_draws, k, k))
    out[np.arange(n_draws)[:, None], perm, np.arange(k)[None, :]] = 1.0
    return out


def _q_update(p, old, new, rows):
    """``sum_{t in rows} (p[t][:, new[t]] - p[t][:, old[t]])`` by batched matrix products.

    Each chunk of draws is multiplied by the difference of their one-hot permutation matrices;
    when most draws changed, contiguous chunks of ``p`` are used as they are (views, no copy),
    otherwise only the changed draws are gathered.
    """
    n_draws, n, k = p.shape
    out = np.zeros((n, k))
    step = max(1, _CHUNK_ELEMENTS // (n * k))
    if 2 * rows.size > n_draws:
        delta = _perm_matrices(new) - _perm_matrices(old)
        for s in range(0, n_draws, step):
            out += np.matmul(p[s : s + step], delta[s : s + step]).sum(axis=0)
        return out
    delta = _perm_matrices(new[rows]) - _perm_matrices(old[rows])
    for s in range(0, rows.size, step):
        out += np.matmul(p[rows[s : s + step]], delta[s : s + step]).sum(axis=0)
    return out


def _contingency(z, pivot, k):
    """``N[t, l, j]`` = number of observations with label ``l`` in draw ``t`` and ``j`` in the pivot."""
    n_draws, n = z.shape
    out = np.empty((n_draws, k, k), dtype=np.int64)
    step = max(1, _CHUNK_ELEMENTS // n)
    for s in range(0, n_draws, step):
        zc = z[s : s + step]
        m = zc.shape[0]
        idx = zc * k
        idx += pivot[None, :]
        idx += (np.arange(m) * (k * k))[:, None]
        out[s : s + m] = np.bincount(idx.ravel(), minlength=m * k * k).reshape(m, k, k)
    return out


def _ecr_step(z, pivot, k, current):
    # agreement of new label j with the pivot = N[t, perm[j], j]; minimise its negative
    cost = -_contingency(z, pivot, k).transpose(0, 2, 1).astype(np.float64)
    return _assign(cost, current)


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
        If the shapes are wrong, ``K < 1``, or a label is outside ``[0, K)``.

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
    z = _check_labels(z, "z", k, ndim=2)
    pivot = _check_labels(pivot, "pivot", k, ndim=1)
    if pivot.shape[0] != z.shape[1]:
        raise ValueError(
            f"pivot has {pivot.shape[0]} observation(s) but z has {z.shape[1]} (shape "
            f"{_shape(z.shape)}); pass one pivot label per observation (column of z)"
        )
    return _ecr_step(z, pivot, k, _identity(z.shape[0], k))


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
    perm = _identity(z.shape[0], k)
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
        ``relabeled[t, j] = original[t, perm[t, j]]``.

    Raises
    ------
    TypeError
        If ``z`` or ``pivot`` do not hold integers, or ``K``/``max_iter`` are not integers.
    ValueError
        If the shapes are wrong, ``K < 1``, ``max_iter < 1`` or a label is outside ``[0, K)``.

    References
    ----------
    - Papastamoulis, P. and Iliopoulos, G. (2010). An artificial allocations based solution
      to the label switching problem in Bayesian analysis of mixtures of distributions.
      *Journal of Computational and Graphical Statistics*, 19(2), 313-331.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.relabel import ecr_iterative
    >>> z = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [1, 1, 0, 0]])
    >>> ecr_iterative(z, K=2)
    array([[0, 1],
           [0, 1],
           [1, 0]])
    """
    k = check_int(K, "K", minimum=1)
    z = _check_labels(z, "z", k, ndim=2)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    if pivot is None:
        starts = [_mode_allocation(z, _identity(z.shape[0], k), k)[0], z[0]]
        if np.array_equal(starts[0], starts[1]):
            starts = starts[:1]
    else:
        pivot = _check_labels(pivot, "pivot", k, ndim=1)
        if pivot.shape[0] != z.shape[1]:
            raise ValueError(
                f"pivot has {pivot.shape[0]} observation(s) but z has {z.shape[1]}; pass one "
                "pivot label per observation (column of z)"
            )
        starts = [pivot]
    if k == 1:
        return _identity(z.shape[0], k)
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


# ----------------------------------------------------------------------------------------------
# Labelled layer
# ----------------------------------------------------------------------------------------------


def _as_tree(data):
    """DataTree from a DataTree or a legacy InferenceData (anything else: None)."""
    if isinstance(data, xr.DataTree):
        return data
    groups = getattr(data, "_groups", None)
    if groups is not None:
        return xr.DataTree.from_dict({f"/{g}": getattr(data, g) for g in groups})
    return None


def _sample_values(da, name, *, sample_dims, inner, sizes):
    """Values of ``da`` ordered as (*sample_dims, *inner), checking dims and sizes."""
    check_dims(da, (*sample_dims, *inner), name=name,
               hint=f"it needs dims {(*sample_dims, *inner)}; pass sample_dims/obs_dim/dim=...")
    extra = [d for d in da.dims if d not in (*sample_dims, *inner)]
    if extra:
        raise ValueError(
            f"{name} has unexpected dimension(s) {extra}; expected {(*sample_dims, *inner)} -- "
            "select one value with .sel(...) first"
        )
    for d in (*sample_dims, *inner):
        if d in sizes and da.sizes[d] != sizes[d]:
            raise ValueError(
                f"{name} has {da.sizes[d]} entries along '{d}' but the posterior has {sizes[d]}; "
                "pass values computed from this posterior"
            )
    return da.transpose(*sample_dims, *inner).values


def _probs_from(idata, ds, *, p, y, family, group, dim, obs_dim, sample_dims):
    """Assignment probabilities as an array (S, n, K), from ``p`` or computed from ``y``."""
    sizes = {d: ds.sizes[d] for d in (*sample_dims, dim)}
    if p is not None and y is not None:
        raise ValueError("pass either p (assignment probabilities) or y (observations), not both")
    if p is None:
        from mixlab.invariants import assignment_probs  # lazy: invariants is optional here

        p = assignment_probs(idata, y, family=family, group=group, dim=dim, obs_dim=obs_dim,
                             sample_dims=sample_dims)
    if isinstance(p, str):
        if p not in ds.data_vars:
            raise ValueError(f"{group} has no variable '{p}' to use as p; pass p as a DataArray")
        p = ds[p]
    if isinstance(p, xr.DataArray):
        values = _sample_values(p, "p", sample_dims=sample_dims, inner=(obs_dim, dim), sizes=sizes)
    else:
        values = np.asarray(p)
        want = (*(sizes[d] for d in sample_dims), None, sizes[dim])
        if values.ndim != len(want) or any(
            w is not None and w != s for w, s in zip(want, values.shape, strict=False)
        ):
            shown = _shape(tuple("n" if w is None else w for w in want))
            raise ValueError(
                f"p must have shape {shown} = ({', '.join(sample_dims)}, {obs_dim}, {dim}), got "
                f"{_shape(values.shape)}; pass an xarray.DataArray with named dims instead"
            )
    return values.reshape(-1, values.shape[-2], values.shape[-1])


def _labels_from(ds, *, z, p_getter, dim, obs_dim, sample_dims, group="posterior"):
    """Allocations (S, n): z argument, else posterior 'z', else the MAP label of p per draw."""
    sizes = {d: ds.sizes[d] for d in (*sample_dims, dim)}
    if z is None and "z" in ds.data_vars and obs_dim in ds["z"].dims:
        z = "z"
    if isinstance(z, str):
        if z not in ds.data_vars:
            raise ValueError(f"{group} has no allocation variable '{z}'; pass z=... as a DataArray")
        z = ds[z]
    if z is None:
        return np.argmax(p_getter(), axis=-1)
    if isinstance(z, xr.DataArray):
        values = _sample_values(z, "z", sample_dims=sample_dims, inner=(obs_dim,), sizes=sizes)
    else:
        values = np.asarray(z)
        want = tuple(sizes[d] for d in sample_dims)
        if values.ndim != len(want) + 1 or values.shape[:-1] != want:
            raise ValueError(
                f"z must have shape ({', '.join(map(str, want))}, n) = ({', '.join(sample_dims)}, "
                f"{obs_dim}), got {_shape(values.shape)}; pass an xarray.DataArray with named dims"
            )
    return values.reshape(-1, values.shape[-1])


def _default_pivot(idata, z, *, sample_dims):
    """Allocation of the draw with the highest log posterior density, else of the first draw."""
    tree = _as_tree(idata)
    if tree is not None and "sample_stats" in tree.children:
        stats = tree["sample_stats"].to_dataset()
        for name in ("lp", "logp"):
            if name in stats.data_vars and set(stats[name].dims) == set(sample_dims):
                lp = stats[name].transpose(*sample_dims).values.reshape(-1)
                if lp.size == z.shape[0] and np.isfinite(lp).any():
                    return z[int(np.nanargmax(lp))]
    return z[0]


def _perm_for(idata, ds, method, *, p, y, z, pivot, by, family, max_iter, dim, obs_dim,
              sample_dims, group, cache=None):
    """Permutations (S, K) for one method."""
    k = ds.sizes[dim]
    cache = {} if cache is None else cache

    def probs():
        if "p" not in cache:
            cache["p"] = _probs_from(idata, ds, p=p, y=y, family=family, group=group, dim=dim,
                                     obs_dim=obs_dim, sample_dims=sample_dims)
        return cache["p"]

    if method == "sort":
        if isinstance(by, str):
            if by not in ds.data_vars:
                have = ", ".join(map(str, ds.data_vars)) or "none"
                raise ValueError(
                    f"method='sort' sorts by variable '{by}', which the {group} does not have "
                    f"(variables: {have}); pass by=... naming a variable with dim '{dim}'"
                )
            by_da, name = ds[by], f"by='{by}'"
        elif isinstance(by, xr.DataArray):
            by_da, name = by, "by"
        else:
            raise TypeError(f"by must be a variable name or an xarray.DataArray, got {type(by).__name__}")
        values = _sample_values(by_da, name, sample_dims=sample_dims, inner=(dim,),
                                sizes={d: ds.sizes[d] for d in (*sample_dims, dim)})
        return sort(values.reshape(-1, k))
    if method == "stephens":
        return stephens(probs(), max_iter=max_iter)
    if method in ("ecr", "ecr_iterative"):
        labels = _labels_from(ds, z=z, p_getter=probs, dim=dim, obs_dim=obs_dim,
                              sample_dims=sample_dims, group=group)
        labels = _check_labels(labels, "z", k, ndim=2)
        if pivot is not None:
            piv = pivot.values if isinstance(pivot, xr.DataArray) else pivot
        elif method == "ecr":
            piv = _default_pivot(idata, labels, sample_dims=sample_dims)
        else:
            piv = None
        if method == "ecr":
            return ecr(labels, piv, k)
        return ecr_iterative(labels, k, max_iter=max_iter, pivot=piv)
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def _label_vars(ds, label_vars, *, dim, obs_dim, sample_dims, k, group="posterior"):
    """Names of allocation variables to relabel (values checked to lie in [0, k))."""
    if label_vars is None:
        names = [
            v for v, da in ds.data_vars.items()
            if dim not in da.dims and obs_dim in da.dims and da.dtype.kind in "iu"
            and all(d in da.dims for d in sample_dims)
        ]
        how = f"looks like an allocation (integer values, dims include '{obs_dim}')"
    else:
        if isinstance(label_vars, str) or not isinstance(label_vars, Sequence):
            raise TypeError(
                f"label_vars must be a list of variable names (or [] for none), got {label_vars!r}"
            )
        names = list(label_vars)
        for v in names:
            if v not in ds.data_vars:
                have = ", ".join(map(str, ds.data_vars)) or "none"
                raise ValueError(
                    f"label_vars lists '{v}', which the {group} does not have (variables: {have})"
                )
        how = "is listed in label_vars"
    for v in names:
        da = ds[v]
        if dim in da.dims:
            raise ValueError(
                f"label_vars lists '{v}', which has dim '{dim}' and is permuted as a component "
                "variable; list only allocation variables (dims without the component dim)"
            )
        check_dims(da, sample_dims, name=f"allocation variable '{v}'",
                   hint="pass sample_dims=... naming the draw dimensions")
        vals = da.values
        if vals.dtype.kind == "f" and not np.all(vals == np.round(vals)):
            raise ValueError(f"allocation variable '{v}' must hold whole-number labels")
        lo, hi = vals.min(), vals.max()
        if lo < 0 or hi >= k:
            raise ValueError(
                f"variable '{v}' {how} but holds values from {lo} to {hi}, outside [0, {k}); "
                "pass label_vars=[...] listing only the allocation variables (or [] for none)"
            )
    return names


def _permute(ds, perm, *, dim, sample_dims, labels, method):
    """Apply one permutation per draw to every variable with ``dim`` and to the label variables."""
    shape = tuple(ds.sizes[d] for d in sample_dims)
    k = ds.sizes[dim]
    perm = perm.reshape(*shape, k)
    inverse = np.argsort(perm, axis=-1)
    ns = len(sample_dims)
    new = {}
    for name, da in ds.data_vars.items():
        if dim in da.dims:
            missing = [d for d in sample_dims if d not in da.dims]
            if missing:
                raise ValueError(
                    f"variable '{name}' has dim '{dim}' but not the sample dim(s) {missing}, so "
                    "it cannot be permuted draw by draw; drop it or broadcast it over the draws"
                )
            rest = [d for d in da.dims if d not in (*sample_dims, dim)]
            t = da.transpose(*sample_dims, dim, *rest)
            idx = perm.reshape(perm.shape + (1,) * len(rest))
            new[name] = t.copy(data=np.take_along_axis(t.values, idx, axis=ns)).transpose(*da.dims)
        elif name in labels:
            rest = [d for d in da.dims if d not in sample_dims]
            t = da.transpose(*sample_dims, *rest)
            vals = t.values
            flat = vals.reshape(*shape, -1).astype(np.int64)
            relabeled = np.take_along_axis(inverse, flat, axis=-1).reshape(vals.shape)
            new[name] = t.copy(data=relabeled.astype(vals.dtype)).transpose(*da.dims)
    out = ds.assign(new)
    if "relabel_perm" in ds.data_vars:  # already composed with the new permutation above
        previous = ds["relabel_perm"].attrs.get("method", "?")
        out["relabel_perm"].attrs = {**ds["relabel_perm"].attrs, "method": f"{previous} -> {method}"}
    else:
        coords = {d: ds[d] for d in (*sample_dims, dim) if d in ds.coords}
        out["relabel_perm"] = xr.DataArray(
            perm, dims=(*sample_dims, dim), coords=coords,
            attrs={
                "method": method,
                "description": "relabeled[..., j] = original[..., relabel_perm[..., j]] along "
                f"'{dim}'",
            },
        )
    return out


def relabel(
    idata,
    method="stephens",
    *,
    p=None,
    y=None,
    z=None,
    pivot=None,
    by="mu",
    family=None,
    label_vars=None,
    max_iter=100,
    group="posterior",
    dim="component",
    obs_dim="obs",
    sample_dims=("chain", "draw"),
):
    """Relabel a mixture posterior: one permutation per draw, applied to every component variable.

    Computes a permutation of the components for every (chain, draw) with one of the methods of
    the array layer, then applies it to **every** variable of ``group`` that has the ``dim``
    dimension -- weights, means, scales, slopes, derived quantities, including variables with
    further dims -- and relabels allocation variables (integer variables with ``obs_dim``, such
    as ``z``) so that they name the new components. Variables without ``dim`` are unchanged.

    Parameters
    ----------
    idata : xarray.DataTree, arviz.InferenceData or xarray.Dataset
        The posterior (what ``pm.sample`` returns). A Dataset is taken to be ``group`` itself.
    method : {"stephens", "ecr", "ecr_iterative", "sort"}, default "stephens"
        ``"sort"`` orders the components by ``by`` in every draw (:func:`sort`); ``"stephens"``
        uses assignment probabilities (:func:`stephens`); ``"ecr"`` and ``"ecr_iterative"`` use
        allocations (:func:`ecr`, :func:`ecr_iterative`).
    p : xarray.DataArray, array_like or str, optional
        Assignment probabilities for ``"stephens"`` (and for ``"ecr"`` when no allocations are
        available): a DataArray with dims ``(*sample_dims, obs_dim, dim)`` (any order), an array
        of that shape, or the name of such a variable of ``group``. Default: computed with
        :func:`mixlab.invariants.assignment_probs` from ``y``.
    y : array_like or xarray.DataArray, optional
        Observations passed to :func:`mixlab.invariants.assignment_probs` when ``p`` is not given
        (which itself defaults to ``observed_data["y"]`` of a DataTree).
    z : xarray.DataArray, array_like or str, optional
        Allocations for the ECR methods, dims ``(*sample_dims, obs_dim)``, or the name of a
        variable of ``group``. If not given, the variable ``z`` of ``group`` is used when
        present; otherwise the most probable component of each observation in each draw,
        ``argmax(p)``, computed as for ``"stephens"``.
    pivot : array_like of int, shape (n_obs,), optional
        Pivot allocation for ``"ecr"`` (starting pivot for ``"ecr_iterative"``). Default for
        ``"ecr"``: the allocation of the draw with the highest log posterior density (``lp`` in
        ``sample_stats``), or of the first draw when that is not available.
    by : str or xarray.DataArray, default "mu"
        Quantity to sort by for ``"sort"``: a variable of ``group`` or a DataArray with dims
        ``(*sample_dims, dim)``.
    family : optional
        Passed to :func:`mixlab.invariants.assignment_probs` when ``p`` is computed.
    label_vars : list of str, optional
        Allocation variables to relabel. Default: every integer variable of ``group`` with
        ``obs_dim`` and without ``dim``; pass ``[]`` to relabel none.
    max_iter : int, default 100
        Iteration limit of ``"stephens"`` and ``"ecr_iterative"``.
    group : str, default "posterior"
        Group to relabel.
    dim : str, default "component"
        Component dimension.
    obs_dim : str, default "obs"
        Observation dimension.
    sample_dims : sequence of str, default ("chain", "draw")
        Dimensions indexing the draws; one permutation is computed per combination.

    Returns
    -------
    xarray.DataTree or xarray.Dataset
        A new object of the input's kind (a DataTree for InferenceData) whose ``group`` is
        relabelled and holds ``relabel_perm`` (int64, dims ``(*sample_dims, dim)``) with
        ``relabeled[..., j] = original[..., relabel_perm[..., j]]``. Relabelling an already
        relabelled posterior composes the permutations, so ``relabel_perm`` always refers to the
        labels as sampled. Other groups are carried over unchanged (a shallow copy that shares
        their data with the input); the input is not modified.

    Raises
    ------
    TypeError
        If ``idata`` is not a DataTree/InferenceData/Dataset or an argument has the wrong type.
    ValueError
        If ``method`` is unknown; a dimension or variable is missing; ``p``, ``z``, ``pivot`` or
        ``by`` have wrong shapes or invalid values (see the array functions); an allocation
        variable holds values outside ``[0, K)``.

    See Also
    --------
    switching_report : whether the posterior needs relabelling, and which method works.

    References
    ----------
    - Papastamoulis, P. (2016). label.switching: An R package for dealing with the label
      switching problem in MCMC outputs. *Journal of Statistical Software*, 69(1), 1-24.

    Examples
    --------
    A posterior whose second draw has its two components swapped:

    >>> import numpy as np, xarray as xr
    >>> from mixlab.relabel import relabel
    >>> dims = ("chain", "draw", "component")
    >>> post = xr.Dataset({
    ...     "mu": (dims, [[[-2.0, 3.0], [3.1, -1.9]]]),
    ...     "w": (dims, [[[0.3, 0.7], [0.72, 0.28]]]),
    ...     "z": (("chain", "draw", "obs"), [[[0, 1, 1], [1, 0, 0]]]),
    ... })
    >>> out = relabel(post, "sort", by="mu")
    >>> out["mu"].values[0]
    array([[-2. ,  3. ],
           [-1.9,  3.1]])
    >>> out["w"].values[0]
    array([[0.3 , 0.7 ],
           [0.28, 0.72]])
    >>> out["z"].values[0]
    array([[0, 1, 1],
           [0, 1, 1]])
    >>> out["relabel_perm"].values[0]
    array([[0, 1],
           [1, 0]])
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    dim = _check_name(dim, "dim")
    obs_dim = _check_name(obs_dim, "obs_dim")
    sample_dims = _check_sample_dims(sample_dims)
    ds = check_group(idata, group)
    check_dims(ds, sample_dims, name=group, hint="pass sample_dims=... naming the draw dimensions")
    check_dims(ds, dim, name=group, hint="pass dim=... naming the component dimension")
    k = ds.sizes[dim]
    labels = _label_vars(ds, label_vars, dim=dim, obs_dim=obs_dim, sample_dims=sample_dims, k=k,
                         group=group)
    perm = _perm_for(idata, ds, method, p=p, y=y, z=z, pivot=pivot, by=by, family=family,
                     max_iter=max_iter, dim=dim, obs_dim=obs_dim, sample_dims=sample_dims,
                     group=group)
    new = _permute(ds, perm, dim=dim, sample_dims=sample_dims, labels=labels, method=method)
    if isinstance(idata, xr.Dataset):
        return new
    out = _as_tree(idata).copy(deep=False)
    out[group] = new
    return out


# ----------------------------------------------------------------------------------------------
# Switching report
# ----------------------------------------------------------------------------------------------


def _rank_deviation(values):
    """Largest Kolmogorov-Smirnov distance between a chain's pooled ranks and the uniform.

    ``values`` has shape (chain, draw, E). Returns shape (E,).
    """
    from scipy.stats import rankdata

    n_chain, n_draw, n_el = values.shape
    total = n_chain * n_draw
    u = (rankdata(values.reshape(total, n_el), axis=0) - 0.5) / total
    u = np.sort(u.reshape(n_chain, n_draw, n_el), axis=1)
    i = np.arange(1, n_draw + 1)[None, :, None]
    dist = np.maximum(i / n_draw - u, u - (i - 1) / n_draw)
    return dist.max(axis=(0, 1))


def _rows(ds, names, *, dim, sample_dims):
    """For each component variable: row labels and values arranged (*sample_dims, E)."""
    out = []
    for name in names:
        da = ds[name]
        rest = [d for d in da.dims if d not in (*sample_dims, dim)]
        t = da.transpose(*sample_dims, dim, *rest)
        comp = ds[dim].values if dim in ds.coords else np.arange(ds.sizes[dim])
        labels = []
        for index in np.ndindex(t.shape[len(sample_dims):]):
            extra = [
                str(t[d].values[j]) if d in t.coords else str(j)
                for d, j in zip(rest, index[1:], strict=True)
            ]
            var = f"{name}[{', '.join(extra)}]" if extra else name
            labels.append((var, comp[index[0]]))
        out.append((name, labels, t.values.reshape(*t.shape[: len(sample_dims)], -1)))
    return out


def _flat_rhat(ds, names, *, dim, sample_dims):
    import arviz as az

    rhat = az.rhat(ds[names], sample_dims=list(sample_dims))
    values = []
    for name in names:
        da = rhat[name]
        rest = [d for d in da.dims if d != dim]
        values.append(da.transpose(dim, *rest).values.reshape(-1))
    return np.concatenate(values)


def _share_moved(perm):
    """Share of draws whose permutation differs from the method's most frequent one."""
    _, counts = np.unique(perm, axis=0, return_counts=True)
    return 1.0 - counts.max() / perm.shape[0]


def switching_report(
    idata,
    var_names=None,
    *,
    methods=("sort", "stephens", "ecr"),
    p=None,
    y=None,
    z=None,
    pivot=None,
    by="mu",
    family=None,
    rhat_threshold=_RHAT_OK,
    group="posterior",
    dim="component",
    obs_dim="obs",
    sample_dims=("chain", "draw"),
):
    """Evidence of label switching per component variable, and what each relabelling does to it.

    For every element of every component variable (one row per component, and per coordinate of
    any further dim), the table gives

    - ``R-hat before``: rank-normalised split R-hat (``arviz.rhat``) of the draws as sampled.
      Chains that settled in different labellings give values far above 1.01;
    - ``rank dev``: the largest Kolmogorov-Smirnov distance, over chains, between the chain's
      ranks within all draws (scaled to (0, 1)) and the uniform distribution -- what a rank plot
      shows. Well-mixed chains give values of order ``1/sqrt(draws)``; two chains stuck in
      different labellings give about 0.5;
    - ``R-hat <method>``: R-hat after relabelling with each method;
    - ``moved <method>``: the share of draws whose permutation differs from the method's most
      frequent one (a relabelling that only renames the components globally moves no draw);
    - ``verdict``: ``"no switching"`` when R-hat before is below ``rhat_threshold``;
      ``"switching; fixed by ..."`` listing the methods that bring R-hat below it; and
      ``"not fixed by relabelling"`` otherwise (poor mixing, or components that overlap).

    Parameters
    ----------
    idata : xarray.DataTree, arviz.InferenceData or xarray.Dataset
        Posterior with at least two chains.
    var_names : str or list of str, optional
        Component variables to report. Default: every variable of ``group`` with ``dim`` and
        without ``obs_dim`` (per-observation quantities would give one row per observation),
        except ``relabel_perm``.
    methods : sequence of str, default ("sort", "stephens", "ecr")
        Methods of :func:`relabel` to compare. ``"stephens"`` (and ``"ecr"`` without sampled
        allocations) need assignment probabilities: ``p``, or ``y``/``observed_data`` to compute
        them.
    p, y, z, pivot, by, family
        As in :func:`relabel`; probabilities are computed once and shared by the methods.
    rhat_threshold : float, default 1.01
        R-hat below which a variable counts as converged in the verdict.
    group, dim, obs_dim, sample_dims
        As in :func:`relabel`; ``sample_dims`` must be ``(chain dim, draw dim)``.

    Returns
    -------
    pandas.DataFrame
        Index ``(variable, component)``; columns ``R-hat before``, ``rank dev``, ``R-hat <m>``
        and ``moved <m>`` for each method ``m``, and ``verdict``.

    Raises
    ------
    TypeError, ValueError
        As :func:`relabel`; also if ``methods`` is empty or lists an unknown method, or the
        posterior has fewer than two chains or no component variable.

    Examples
    --------
    Two chains that found the two components in opposite orders:

    >>> import numpy as np, xarray as xr
    >>> from mixlab.relabel import switching_report
    >>> rng = np.random.default_rng(0)
    >>> mu = np.array([-3.0, 3.0]) + 0.1 * rng.standard_normal((2, 500, 2))
    >>> mu[1] = mu[1, :, ::-1]
    >>> post = xr.Dataset({"mu": (("chain", "draw", "component"), mu)})
    >>> table = switching_report(post, methods=["sort"])
    >>> print(table.round(2).to_string())
                        R-hat before  rank dev  R-hat sort  moved sort                   verdict
    variable component
    mu       0                  1.83       0.5         1.0         0.5  switching; fixed by sort
             1                  1.83       0.5         1.0         0.5  switching; fixed by sort
    """
    import pandas as pd

    if isinstance(methods, str):
        methods = (methods,)
    methods = tuple(methods)
    if not methods:
        raise ValueError(f"methods must list at least one of {METHODS}, got an empty sequence")
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"methods must be taken from {METHODS}, got {m!r}")
    if isinstance(rhat_threshold, bool) or not isinstance(rhat_threshold, numbers.Real):
        raise TypeError(f"rhat_threshold must be a number such as 1.01, got {rhat_threshold!r}")
    dim = _check_name(dim, "dim")
    obs_dim = _check_name(obs_dim, "obs_dim")
    sample_dims = _check_sample_dims(sample_dims)
    if len(sample_dims) != 2:
        raise ValueError(
            f"sample_dims must name the chain and draw dims (two names), got {sample_dims}"
        )
    ds = check_group(idata, group)
    check_dims(ds, sample_dims, name=group, hint="pass sample_dims=... naming the draw dimensions")
    check_dims(ds, dim, name=group, hint="pass dim=... naming the component dimension")
    if ds.sizes[sample_dims[0]] < 2:
        raise ValueError(
            f"switching_report needs at least 2 chains to compare, got {ds.sizes[sample_dims[0]]};"
            " sample with chains >= 2"
        )
    if var_names is None:
        names = [
            v for v, da in ds.data_vars.items()
            if dim in da.dims and obs_dim not in da.dims and v != "relabel_perm"
            and all(d in da.dims for d in sample_dims)
        ]
        if not names:
            raise ValueError(f"{group} has no variable with dims {(*sample_dims, dim)} to report")
    else:
        names = check_var_names(ds, var_names, name=group)
        for v in names:
            check_dims(ds[v], (*sample_dims, dim), name=f"variable '{v}'",
                       hint="list only component variables in var_names")
    k = ds.sizes[dim]
    labels = _label_vars(ds, None, dim=dim, obs_dim=obs_dim, sample_dims=sample_dims, k=k,
                         group=group)

    rows = _rows(ds, names, dim=dim, sample_dims=sample_dims)
    index = pd.MultiIndex.from_tuples(
        [lab for _, labs, _ in rows for lab in labs], names=["variable", "component"]
    )
    table = {
        "R-hat before": _flat_rhat(ds, names, dim=dim, sample_dims=sample_dims),
        "rank dev": np.concatenate([_rank_deviation(v) for _, _, v in rows]),
    }
    cache = {}
    moved = {}
    for m in methods:
        perm = _perm_for(idata, ds, m, p=p, y=y, z=z, pivot=pivot, by=by, family=family,
                         max_iter=100, dim=dim, obs_dim=obs_dim, sample_dims=sample_dims,
                         group=group, cache=cache)
        after = _permute(ds[names + labels], perm, dim=dim, sample_dims=sample_dims,
                         labels=labels, method=m)
        table[f"R-hat {m}"] = _flat_rhat(after, names, dim=dim, sample_dims=sample_dims)
        moved[f"moved {m}"] = np.full(len(index), _share_moved(perm))
    table.update(moved)
    before = table["R-hat before"]
    verdict = []
    for r in range(len(index)):
        fixed = [m for m in methods if table[f"R-hat {m}"][r] < rhat_threshold]
        if not np.isfinite(before[r]):
            verdict.append("R-hat undefined")
        elif before[r] < rhat_threshold:
            verdict.append("no switching")
        elif fixed:
            verdict.append("switching; fixed by " + ", ".join(fixed))
        else:
            verdict.append("not fixed by relabelling")
    table["verdict"] = verdict
    return pd.DataFrame(table, index=index)
