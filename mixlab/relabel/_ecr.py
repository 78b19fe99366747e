"""Equivalence-classes-representatives relabelling from allocations: :func:`ecr` and
:func:`ecr_iterative` (Papastamoulis & Iliopoulos 2010; its second variant from Rodriguez &
Walker 2014), numpy in and numpy out.

Both return ``perm`` of shape ``(draws, K)`` with ``relabeled[t, j] = original[t, perm[t, j]]``.
"""

from __future__ import annotations

import warnings

import numpy as np

from mixlab._validate import check_int
from mixlab.relabel._assign import _CHUNK_ELEMENTS, assign, check_table_size, draw_chunks, identity
from mixlab.relabel._checks import check_labels, check_probs, shape_str
from mixlab.relabel._result import RelabelInfo
from mixlab.relabel._stephens import _q_update


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
    """Alternate ECR steps and pivot updates; return (perm, agreement, draws changed last, iters)."""
    perm = identity(z.shape[0], k)
    changed = iterations = 0
    while iterations < max_iter:
        iterations += 1
        new = _ecr_step(z, pivot, k, perm)
        changed = int((new != perm).any(axis=1).sum())
        perm = new
        pivot, agreement = _mode_allocation(z, perm, k)
        if changed == 0:
            break
    return perm, agreement, changed, iterations


def _agreement(z, perm, pivot):
    """Number of (draw, observation) whose relabelled label equals the pivot's."""
    inverse = np.argsort(perm, axis=1)
    total = 0
    for c in draw_chunks(z.shape[0], z.shape[1]):
        total += int((np.take_along_axis(inverse[c], z[c], axis=1) == pivot).sum())
    return total


def _ecr_iterate_probs(z, p, k, max_iter, first):
    """Variant 2: the pivot is the most probable relabelled label (``first``: the first pivot).

    Returns (perm, agreement with the last pivot, draws changed last, iterations).
    """
    perm = identity(z.shape[0], k)
    q_sum = p.sum(axis=0)  # sum over draws of the relabelled p (identity to start)
    pivot = np.argmax(q_sum, axis=1) if first is None else first
    changed, iterations = np.arange(0), 0
    while iterations < max_iter:
        iterations += 1
        new = _ecr_step(z, pivot, k, perm)
        changed = np.flatnonzero((new != perm).any(axis=1))
        if changed.size == 0:
            break
        q_sum += _q_update(p, perm, new, changed)
        perm = new
        pivot = np.argmax(q_sum, axis=1)
    return perm, _agreement(z, perm, pivot), int(changed.size), iterations


def _variant_inputs(z, p, k, variant, pivot):
    """Check ``variant`` and the inputs it uses; return (z, p) as arrays (p None for variant 1)."""
    if isinstance(variant, bool) or variant not in (1, 2):
        raise ValueError(f"variant must be 1 (pivot from allocations) or 2 (from p), got {variant!r}")
    if variant == 1:
        if p is not None:
            raise ValueError("p is used by variant=2 only; pass variant=2 to update the pivot from p")
        if z is None:
            raise ValueError("z is required by variant=1; pass the allocations z (draws, n)")
        return check_labels(z, "z", k, ndim=2), None
    if pivot is not None:
        raise ValueError(
            "pivot applies to variant=1 only (variant 2 takes its pivot from p); drop pivot=..."
        )
    if p is None:
        raise ValueError("variant=2 needs the assignment probabilities p (draws, n, K); pass p=...")
    p = check_probs(p)
    if p.shape[2] != k:
        raise ValueError(f"p has {p.shape[2]} component(s) (last axis) but K={k}; pass the model's K")
    if z is None:
        z = np.argmax(p, axis=2)
    z = check_labels(z, "z", k, ndim=2)
    if z.shape != p.shape[:2]:
        raise ValueError(
            f"z has shape {shape_str(z.shape)} but p has {shape_str(p.shape)}; pass one label per "
            "draw and observation of p"
        )
    return z, p


def ecr_iterative(z, K, max_iter=100, pivot=None, *, variant=1, p=None, return_info=False):
    r"""ECR relabelling with the pivot updated until the permutations stop changing.

    **Variant 1** (default) is version 1 of the iterative ECR algorithm of Papastamoulis &
    Iliopoulos (2010), as ``ecr.iterative.1`` in ``label.switching``: the pivot is the most
    frequent relabelled label of every observation; ECR against it gives new permutations, which
    give a new pivot, and so on. Each step cannot decrease the total agreement of the relabelled
    allocations with the pivot, and ties keep the current permutations, so the iteration stops --
    at a local optimum, which depends on the start.

    Without a ``pivot``, two starts are tried and the one reaching the larger total agreement is
    returned: the most frequent label of every observation across the draws as they are (good
    when most draws already share a labelling, as within a chain), and the allocation of the first
    draw (good when the draws are scrambled, where the first start can average away the
    structure).

    **Variant 2** (``variant=2``, ``ecr.iterative.2`` in ``label.switching``, ECR-ITERATIVE-2 of
    Rodriguez & Walker 2014) takes the pivot from the assignment probabilities instead: the most
    probable label of every observation under the average relabelled probabilities
    :math:`q = \frac{1}{T}\sum_t p_t[:, \sigma_t]`, starting from the identity. The average is
    updated incrementally from the draws whose permutation changed (as in :func:`stephens`).
    Unlike variant 1 it has no objective that every step improves, so it stops when the
    permutations stop changing or at ``max_iter``. Two starts are tried, and the one whose
    relabelled allocations agree more with its final pivot is returned: the identity (as in
    ``label.switching``; when exactly half of the draws are swapped, the average probabilities
    are flat and the iteration cannot leave it) and the first draw's most probable allocation
    as the first pivot.

    Parameters
    ----------
    z : array_like of int, shape (draws, n), or None
        Allocations in ``0..K-1``. With ``variant=2`` it may be None: the most probable label of
        every observation in every draw, ``argmax(p, axis=2)``, is used.
    K : int
        Number of components.
    max_iter : int, default 100
        Maximum number of iterations (per start); a ``RuntimeWarning`` is issued if permutations
        still change after that many.
    pivot : array_like of int, shape (n,), optional
        Starting pivot of variant 1 (then only this start is used).
    variant : {1, 2}, default 1
        Where the pivot comes from: sampled allocations (1) or assignment probabilities (2).
    p : array_like, shape (draws, n, K), optional
        Assignment probabilities, required by (and only used by) ``variant=2``.
    return_info : bool, default False
        Return a :class:`RelabelInfo` (permutations, number of iterations, whether the iteration
        converged) instead of the permutations alone.

    Returns
    -------
    perm : numpy.ndarray of int64, shape (draws, K), or RelabelInfo
        One permutation per draw, read as in :func:`ecr`.

    Raises
    ------
    TypeError, ValueError
        As :func:`ecr`; also if ``max_iter`` is not an integer >= 1; if ``variant`` is not 1 or
        2; if ``p`` is given with variant 1, missing with variant 2, not valid probabilities, or
        does not match ``z`` and ``K``; if ``pivot`` is given with variant 2.

    References
    ----------
    - Papastamoulis and Iliopoulos (2010), as in :func:`ecr`; variant 1 is their Algorithm 2
      (ECR-ITERATIVE-1).
    - Rodriguez, C. E. and Walker, S. G. (2014). Label switching in Bayesian mixture models:
      deterministic relabeling strategies. *Journal of Computational and Graphical
      Statistics*, 23(1), 25-45 (ECR-ITERATIVE-2, variant 2).

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

    Variant 2, from assignment probabilities alone:

    >>> a = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.1, 0.9]])
    >>> p = np.stack([a, a, a[:, ::-1]])
    >>> info = ecr_iterative(None, K=2, variant=2, p=p, return_info=True)
    >>> info.perm
    array([[0, 1],
           [0, 1],
           [1, 0]])
    >>> info.iterations, info.converged
    (2, True)
    """
    k = check_int(K, "K", minimum=1)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    z, p = _variant_inputs(z, p, k, variant, pivot)
    name = f"ecr_iterative-{variant}"
    _check_size(z, k, "ecr_iterative")
    if variant == 1:
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
        perm = identity(z.shape[0], k)
        return RelabelInfo(perm, 0, True, name) if return_info else perm
    if variant == 1:
        runs = [_ecr_iterate(z, k, start, max_iter) for start in starts]
        perm, _, changed, iterations = max(runs, key=lambda run: run[1])  # first start wins ties
    else:
        firsts = [None, np.argmax(p[0], axis=1)]
        if np.array_equal(np.argmax(p.sum(axis=0), axis=1), firsts[1]):
            firsts = firsts[:1]
        runs = [_ecr_iterate_probs(z, p, k, max_iter, first) for first in firsts]
        perm, _, changed, iterations = max(runs, key=lambda run: run[1])
    if changed:
        warnings.warn(
            f"ecr_iterative did not converge in max_iter={max_iter} iterations ({changed} "
            "draw(s) changed in the last one); pass a larger max_iter",
            RuntimeWarning,
            stacklevel=2,
        )
    return RelabelInfo(perm, iterations, not changed, name) if return_info else perm
