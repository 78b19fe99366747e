r"""Probabilistic relabelling of Sperrin, Jasra & Wit (2010): :func:`sjw`, numpy in and numpy out.

Returns ``perm`` of shape ``(draws, K)`` with ``relabeled[t, j] = original[t, perm[t, j]]``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from mixlab._validate import check_int
from mixlab.relabel._assign import _all_perms, draw_chunks
from mixlab.relabel._checks import check_draw, check_labels, check_threshold, shape_str
from mixlab.relabel._pra import _as_values, central_draw
from mixlab.relabel._result import RelabelInfo

#: Largest K for :func:`sjw`: it weighs all K! permutations of every draw (8! = 40,320).
SJW_MAX_K = 8


def check_k(k):
    """Refuse ``K > SJW_MAX_K``: the permutations of every draw are enumerated."""
    if k > SJW_MAX_K:
        raise ValueError(
            f"sjw weighs all K! permutations of every draw and K={k} has {math.factorial(k):,}; "
            f"it is limited to K <= {SJW_MAX_K}: use stephens or ecr_iterative for larger K"
        )


def _log_table(log_weighted, theta, n, k):
    """``log_weighted(theta)`` checked: (n, K), no NaN and no +inf."""
    table = np.asarray(log_weighted(theta.copy()), dtype=float)
    if table.shape != (n, k):
        raise ValueError(
            f"log_weighted must return an array (n, K) = {shape_str((n, k))} of log w_k + log "
            f"f_k(y_i), got shape {shape_str(table.shape)}"
        )
    if np.isnan(table).any() or np.isposinf(table).any():
        raise ValueError(
            "log_weighted returned NaN or +inf; it must return log w_k + log f_k(y_i) (finite, or "
            "-inf where a component cannot produce an observation)"
        )
    return table


def _scores(z, table, k, sl):
    """``scores[t, p]``: complete-data log-likelihood of draw ``t`` relabelled by permutation p."""
    perms, _ = _all_perms(k)
    m = sl.stop - sl.start
    idx = (z[sl] + (np.arange(m) * k)[:, None]).ravel()
    # b[t, l, j] = sum_{i: z_ti = l} table[i, j]; relabelled by perm, old label perm[j] becomes
    # j, so the score of perm is sum_j b[t, perm[j], j] (gathered: -inf entries stay -inf)
    out = np.zeros((m, len(perms)))
    for j in range(k):
        col = np.broadcast_to(table[:, j], (m, table.shape[0])).ravel()
        b = np.bincount(idx, weights=col, minlength=m * k).reshape(m, k)
        out += b[:, perms[:, j]]
    return out


def _probabilities(scores):
    """Permutation probabilities from log-scores; rows with no finite score: the identity."""
    top = scores.max(axis=1, keepdims=True)
    ok = np.isfinite(top[:, 0])
    pp = np.zeros_like(scores)
    pp[~ok, 0] = 1.0  # permutation 0 of itertools.permutations is the identity
    e = np.exp(scores[ok] - top[ok])
    pp[ok] = e / e.sum(axis=1, keepdims=True)
    return pp


def _sweep(v, z, table, k, *, average):
    """One pass over the draws: the expected relabelled parameters, or the best permutations."""
    perms, incidence = _all_perms(k)
    n_draws = v.shape[0]
    theta = np.zeros(v.shape[1:])
    best = np.empty((n_draws, k), dtype=np.int64)
    prob = np.empty(n_draws)
    for c in draw_chunks(n_draws, max(len(perms), z.shape[1]) * 2):
        pp = _probabilities(_scores(z, table, k, c))
        if average:
            e = (pp @ incidence.T).reshape(-1, k, k)  # e[t, j, l] = Pr(perm[j] = l)
            theta += np.einsum("tjl,tlp->jp", e, v[c])
        else:
            top = np.argmax(pp, axis=1)  # ties: the first, the identity when it ties
            best[c] = perms[top]
            prob[c] = pp[np.arange(len(top)), top]
    return theta / n_draws if average else (best, prob)


def sjw(values, z, log_weighted, *, init=None, max_iter=100, tol=1e-6, return_info=False):
    r"""Probabilistic relabelling of Sperrin, Jasra & Wit (2010): an EM over permutations.

    The permutation of every draw is treated as missing data. Given an estimate
    :math:`\hat\theta` of the component parameters, the probability of permutation
    :math:`\sigma` for draw :math:`t` is proportional to the complete-data likelihood of the data
    with the draw's allocations relabelled by :math:`\sigma`,

    .. math:: \Pr(\sigma \mid t) \propto \exp \sum_i \left[ \log \hat w_{\sigma^{-1}(z_{ti})}
              + \log f(y_i \mid \hat\theta_{\sigma^{-1}(z_{ti})}) \right]
              \quad \text{(E-step)},

    and the estimate is the expected relabelled parameters,
    :math:`\hat\theta_j = \frac{1}{T} \sum_t \sum_\sigma \Pr(\sigma \mid t)\,
    \theta_{t, \sigma(j)}` (M-step), until :math:`\hat\theta` stops moving. Every draw is finally
    given its most probable permutation (``label.switching`` samples one from these
    probabilities instead; returning the mode makes the result reproducible).

    The complete-data log-likelihoods of all ``K!`` permutations of every draw follow from one
    ``K x K`` table per draw (sums of ``log_weighted`` over the observations of each label,
    by ``np.bincount``) times a fixed 0/1 matrix, in chunks of draws; so memory and time grow
    with ``K!``, and ``K`` is limited to :data:`SJW_MAX_K` = 8.

    Parameters
    ----------
    values : array_like, shape (draws, K, P) or (draws, K)
        Component parameters of every draw, as in :func:`pra`; the M-step averages them.
    z : array_like of int, shape (draws, n)
        Allocations in ``0..K-1``.
    log_weighted : callable
        ``log_weighted(theta)`` with ``theta`` of shape ``(K, P)`` (parameters laid out as in
        ``values``) returns the ``(n, K)`` array :math:`\log w_k + \log f_k(y_i \mid \theta_k)`.
        For mixlab's families, :func:`relabel` builds it from
        :meth:`mixlab.spec.PosteriorSpec.log_weighted`.
    init : int, optional
        The draw whose parameters start the EM. Default: :func:`central_draw`. (The average of
        the draws, ``label.switching``'s default, is a fixed point when half of the draws have
        their labels swapped: all components then start equal.)
    max_iter : int, default 100
        Maximum number of EM iterations; a ``RuntimeWarning`` is issued if not converged.
    tol : float, default 1e-6
        Convergence: the largest change of :math:`\hat\theta` is below ``tol * (1 + max
        |theta|)``.
    return_info : bool, default False
        Return a :class:`RelabelInfo` whose ``details`` hold ``theta`` (the final estimate) and
        ``prob`` (the probability of every draw's chosen permutation), instead of the
        permutations alone.

    Returns
    -------
    perm : numpy.ndarray of int64, shape (draws, K), or RelabelInfo
        Each draw's most probable permutation, read as in :func:`ecr`.

    Raises
    ------
    TypeError
        If ``log_weighted`` is not callable, or an argument has the wrong type.
    ValueError
        If ``K > 8``; if ``values`` or ``z`` have wrong shapes or invalid values; if
        ``log_weighted`` returns an array of the wrong shape, NaN or +inf.

    References
    ----------
    - Sperrin, M., Jasra, A. and Wit, E. (2010). Probabilistic relabelling strategies for the
      label switching problem in Bayesian mixture models. *Statistics and Computing*, 20(3),
      357-366.
    - Papastamoulis, P. (2016). label.switching: An R package for dealing with the label
      switching problem in MCMC outputs. *Journal of Statistical Software*, 69(1), 1-24.

    Examples
    --------
    A two-component normal mixture with unit scales and equal weights; the second draw has its
    labels swapped:

    >>> import numpy as np
    >>> from mixlab.relabel import sjw
    >>> y = np.array([-2.0, -1.8, 2.1, 1.9])
    >>> mu = np.array([[-2.0, 2.0], [2.1, -1.9], [-1.9, 2.0]])
    >>> z = np.array([[0, 0, 1, 1], [1, 1, 0, 0], [0, 0, 1, 1]])
    >>> def log_weighted(theta):  # theta: (K, 1), the means
    ...     return np.log(0.5) - 0.5 * (y[:, None] - theta[:, 0]) ** 2
    >>> sjw(mu, z, log_weighted)
    array([[0, 1],
           [1, 0],
           [0, 1]])
    """
    if not callable(log_weighted):
        raise TypeError(
            f"log_weighted must be a function theta (K, P) -> (n, K) array, got "
            f"{type(log_weighted).__name__}"
        )
    v = _as_values(values)
    n_draws, k, _ = v.shape
    check_k(k)
    z = check_labels(z, "z", k, ndim=2)
    if z.shape[0] != n_draws:
        raise ValueError(
            f"z has {z.shape[0]} draw(s) but values has {n_draws}; pass one allocation per draw"
        )
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    tol = check_threshold(tol, "tol")
    if tol < 0:
        raise ValueError(f"tol must be >= 0, got {tol}")
    start = central_draw(v) if init is None else check_draw(init, n_draws, "init")
    if k == 1:
        perm = np.zeros((n_draws, 1), dtype=np.int64)
        return RelabelInfo(perm, 0, True, "sjw", {"theta": v[start]}) if return_info else perm
    theta = v[start].copy()
    n = z.shape[1]
    converged, iterations = False, 0
    while iterations < max_iter:
        iterations += 1
        new = _sweep(v, z, _log_table(log_weighted, theta, n, k), k, average=True)
        step = np.abs(new - theta).max()
        theta = new
        if step <= tol * (1.0 + np.abs(theta).max()):
            converged = True
            break
    if not converged:
        warnings.warn(
            f"sjw did not converge in max_iter={max_iter} EM iterations (last change of the "
            f"estimate {step:.3g}); pass a larger max_iter",
            RuntimeWarning,
            stacklevel=2,
        )
    perm, prob = _sweep(v, z, _log_table(log_weighted, theta, n, k), k, average=False)
    if not return_info:
        return perm
    return RelabelInfo(perm, iterations, converged, "sjw", {"theta": theta, "prob": prob})
