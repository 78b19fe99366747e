r"""Data-based relabelling (:func:`data_based`, Rodriguez & Walker 2014), numpy in and numpy out.

Returns ``perm`` of shape ``(draws, K)`` with ``relabeled[t, j] = original[t, perm[t, j]]``.
"""

from __future__ import annotations

import warnings

import numpy as np

from mixlab._validate import check_array, check_int
from mixlab.relabel._assign import assign, check_table_size, draw_chunks, identity
from mixlab.relabel._checks import check_draw, check_labels
from mixlab.relabel._result import RelabelInfo

#: Smallest cluster variance, relative to the variance of the data (a cluster of identical
#: observations would otherwise get a variance of 0 and an infinite cost).
_VAR_FLOOR = 1e-9


def _cluster_sums(y, z, k):
    """Per draw and label: counts ``N (S, K)``, sums ``S1 (S, K, d)`` and sums of squares ``S2``."""
    n_draws, n = z.shape
    d = y.shape[1]
    counts = np.empty((n_draws, k))
    s1 = np.empty((n_draws, k, d))
    s2 = np.empty((n_draws, k, d))
    for c in draw_chunks(n_draws, n):
        m = c.stop - c.start
        idx = (z[c] + (np.arange(m) * k)[:, None]).ravel()
        counts[c] = np.bincount(idx, minlength=m * k).reshape(m, k)
        for f in range(d):
            col = np.broadcast_to(y[:, f], (m, n)).ravel()
            s1[c, :, f] = np.bincount(idx, weights=col, minlength=m * k).reshape(m, k)
            s2[c, :, f] = np.bincount(idx, weights=col * col, minlength=m * k).reshape(m, k)
    return counts, s1, s2


def _cost(stats, centre, var):
    """``cost[t, j, l]``: Gaussian loss of giving the observations of label ``l`` the label ``j``.

    ``sum_{i: z_ti = l} sum_d ((y_id - c_jd)^2 / v_jd + log v_jd)``, from the sufficient statistics.
    """
    counts, s1, s2 = stats
    inv = 1.0 / var
    cost = np.einsum("tld,jd->tjl", s2, inv)
    cost -= 2.0 * np.einsum("tld,jd->tjl", s1, centre * inv)
    cost += counts[:, None, :] * ((centre**2 * inv).sum(axis=1) + np.log(var).sum(axis=1))[
        None, :, None]
    return cost


def _assign_all(stats, centre, var, current):
    out = np.empty_like(current)
    k = current.shape[1]
    for c in draw_chunks(current.shape[0], k * k * stats[1].shape[2]):
        out[c] = assign(_cost(tuple(s[c] for s in stats), centre, var), current[c])
    return out


def _moments(sums, fallback, floor):
    """Centres and variances (K, d) from counts and sums; ``fallback`` where they are undefined."""
    counts, s1, s2 = sums
    centre, var = fallback
    seen = counts > 0
    centre = np.where(seen[:, None], s1 / np.where(seen, counts, 1.0)[:, None], centre)
    spread = counts > 1
    var = np.where(spread[:, None],
                   np.maximum(s2 / np.where(spread, counts, 1.0)[:, None] - centre**2, floor), var)
    return centre, var


def _pooled(stats, perm, previous, floor):
    """Centres and variances pooled over the draws as relabelled by ``perm`` (K, d)."""
    sums = tuple(np.take_along_axis(s, perm if s.ndim == 2 else perm[:, :, None], axis=1)
                 .sum(axis=0) for s in stats)
    return _moments(sums, previous, floor)


def data_based(y, K, z, *, start=0, max_iter=100, return_info=False):
    r"""Data-based relabelling: match every draw's clusters to cluster centres estimated from the data.

    The relabelling of Rodriguez & Walker (2014): each draw's allocation ``z[t]`` splits the
    observations into clusters; the label of each cluster is chosen so that the clusters sit
    near common cluster centres :math:`c_j` with scales :math:`s_j`, estimated from the data and
    the allocations -- a k-means-type loss in which the parameters of the model play no part.
    For draw :math:`t` the permutation :math:`\sigma_t` minimises

    .. math:: \sum_j \sum_{i:\, z_{ti} = \sigma_t(j)} \sum_d
              \left[ \frac{(y_{id} - c_{jd})^2}{s_{jd}^2} + \log s_{jd}^2 \right] ,

    (features ``d`` of a multivariate ``y`` scaled separately). This is a batch version of their
    sequential estimate: the centres and scales start as the cluster means and variances of the
    draw ``start``; then every draw is matched to them (one vectorised assignment problem per
    draw, from per-draw cluster counts, sums and sums of squares), the centres and variances are
    re-estimated from all the relabelled draws (pooled), and so on until no permutation changes.
    The :math:`\log s^2` term makes the pooled estimates the minimisers of the same loss given
    the permutations, so no step increases it and the iteration stops.

    Parameters
    ----------
    y : array_like, shape (n,) or (n, d)
        The observations.
    K : int
        Number of components.
    z : array_like of int, shape (draws, n)
        Allocations in ``0..K-1`` (sampled, or the most probable label per draw).
    start : int, default 0
        The draw whose clusters give the starting centres (the first, as in the sequential
        algorithm; :func:`relabel` uses the draw with the highest log posterior density).
    max_iter : int, default 100
        Maximum number of iterations; a ``RuntimeWarning`` is issued if permutations still change
        after that many.
    return_info : bool, default False
        Return a :class:`RelabelInfo` whose ``details`` hold the final ``centre`` and ``scale``
        (K, d), instead of the permutations alone.

    Returns
    -------
    perm : numpy.ndarray of int64, shape (draws, K), or RelabelInfo
        As :func:`stephens`: one permutation per draw.

    Raises
    ------
    TypeError
        If ``z`` does not hold integers or ``K``, ``start`` or ``max_iter`` are not integers.
    ValueError
        If ``y`` is not 1- or 2-dimensional or holds NaN/inf; if ``z`` is not 2-dimensional,
        holds a label outside ``[0, K)`` or has not one column per observation; if ``start`` is
        not a draw; if ``K`` is too large for the per-draw ``K x K`` tables.

    References
    ----------
    - Rodriguez, C. E. and Walker, S. G. (2014). Label switching in Bayesian mixture models:
      deterministic relabeling strategies. *Journal of Computational and Graphical
      Statistics*, 23(1), 25-45.
    - Papastamoulis, P. (2016). label.switching: An R package for dealing with the label
      switching problem in MCMC outputs. *Journal of Statistical Software*, 69(1), 1-24.

    Examples
    --------
    Six observations in two groups; the second draw calls them by the other names:

    >>> import numpy as np
    >>> from mixlab.relabel import data_based
    >>> y = np.array([-2.1, -2.0, -1.9, 3.0, 3.1, 2.9])
    >>> z = np.array([[0, 0, 0, 1, 1, 1], [1, 1, 1, 0, 0, 0], [0, 0, 1, 1, 1, 1]])
    >>> data_based(y, K=2, z=z)
    array([[0, 1],
           [1, 0],
           [0, 1]])
    """
    k = check_int(K, "K", minimum=1)
    y = check_array(y, "y", ndim=(1, 2))
    y = y[:, None] if y.ndim == 1 else y
    z = check_labels(z, "z", k, ndim=2)
    if z.shape[1] != y.shape[0]:
        raise ValueError(
            f"z has {z.shape[1]} column(s) but y has {y.shape[0]} observation(s); pass one label "
            "per observation in every draw"
        )
    start = check_draw(start, z.shape[0], "start")
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    check_table_size(z.shape[0], k, what="data_based")
    perm = identity(z.shape[0], k)
    if k == 1:
        return RelabelInfo(perm, 0, True, "data_based") if return_info else perm
    var_all = y.var(axis=0)
    var_all = np.where(var_all > 0, var_all, 1.0)
    floor = _VAR_FLOOR * var_all
    stats = _cluster_sums(y, z, k)
    overall = tuple(np.broadcast_to(a, (k, y.shape[1])) for a in (y.mean(axis=0), var_all))
    # the reference draw's clusters (empty or single ones: the mean and variance of all the data)
    centre, var = _moments(tuple(s[start] for s in stats), overall, floor)
    perm = _assign_all(stats, centre, var, perm)
    converged, iterations = False, 0
    while iterations < max_iter:
        iterations += 1
        centre, var = _pooled(stats, perm, (centre, var), floor)
        new = _assign_all(stats, centre, var, perm)
        changed = int((new != perm).any(axis=1).sum())
        perm = new
        if changed == 0:
            converged = True
            break
    if not converged:
        warnings.warn(
            f"data_based did not converge in max_iter={max_iter} iterations ({changed} draw(s) "
            "changed in the last one); pass a larger max_iter",
            RuntimeWarning,
            stacklevel=2,
        )
    if not return_info:
        return perm
    return RelabelInfo(perm, iterations, converged, "data_based",
                       {"centre": centre, "scale": np.sqrt(var)})
