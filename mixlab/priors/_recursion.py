"""Exact log-space recursions for the prior on the number of clusters K+ (array layer).

Observations arrive one at a time (the Polya urn / Chinese restaurant process). With ``m``
observations in ``k`` non-empty clusters, observation ``m + 1``

- joins an occupied cluster with probability ``(m + k e) / (conc + m)``,
- opens a new one with probability ``(K - k) e / (conc + m)``,

where ``e`` is the Dirichlet parameter of each of ``K`` components and ``conc = K e`` their total.
The Dirichlet process with concentration ``alpha`` is the limit ``K -> inf`` with ``K e = alpha``:
the probabilities become ``m / (alpha + m)`` and ``alpha / (alpha + m)``. Normalising Antoniak's
(1974) sum ``alpha^k |s(n, k)|`` and the finite sum ``K!/(K-k)! C_e(n, k)`` step by step gives the
probabilities of ``K+`` after every step; we carry their logarithms (``np.logaddexp``), so nothing
overflows or underflows for any ``n``, however small or large ``e``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

__all__ = ["kplus_mean", "log_kplus_pmf", "tilt_alpha", "tilt_K"]

#: Cells (rows x clusters) of the recursion processed together.
CHUNK = 2**17


def log_kplus_pmf(n, e, K):
    """Log P(K+ = k), k = 1..kmax, for rows of parameters; shape (rows, kmax).

    Parameters
    ----------
    n : int
        Number of observations (>= 1).
    e : array of float, shape (rows,)
        Per-component Dirichlet parameter; for a Dirichlet-process row, its concentration alpha.
    K : array of float, shape (rows,)
        Number of components; ``np.inf`` marks a Dirichlet-process row.

    Returns
    -------
    numpy.ndarray
        ``kmax = min(n, max finite K)`` columns (``n`` when a row is a Dirichlet process); a row
        with fewer components has ``-inf`` beyond its ``K``.
    """
    e = np.atleast_1d(np.asarray(e, dtype=float))
    K = np.atleast_1d(np.asarray(K, dtype=float))
    kmax = int(min(n, np.max(K)))
    rows = max(1, CHUNK // kmax)
    if e.size > rows:  # blocks of rows that stay in the CPU cache: twice as fast as one big block
        return np.concatenate([_log_pmf(n, e[i:i + rows], K[i:i + rows], kmax)
                               for i in range(0, e.size, rows)])
    return _log_pmf(n, e, K, kmax)


def _log_pmf(n, e, K, kmax):
    dp = np.isinf(K)
    k = np.arange(1, kmax + 1, dtype=float)
    # log of the numerator for opening cluster k from k - 1 clusters: (K - k + 1) e, or alpha (DP)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_open = np.where(dp[:, None], np.log(e)[:, None],
                            np.log(np.maximum(K[:, None] - k + 1.0, 0.0)) + np.log(e)[:, None])
    conc = np.where(dp, e, K * e)
    # per-row stay term (m + k e): e = 0 for DP rows
    e_stay = np.where(dp, 0.0, e)[:, None]
    lp = np.full((e.size, kmax + 1), -np.inf)  # column 0 is k = 0 (always -inf): the shift pad
    lp[:, 1] = 0.0  # one observation, one cluster
    for m in range(1, n):
        hi = min(m + 1, kmax)  # clusters possible after m + 1 observations
        stay = lp[:, 1:hi + 1] + np.log(m + k[:hi] * e_stay)
        move = lp[:, 0:hi] + log_open[:, :hi]
        lp[:, 1:hi + 1] = np.logaddexp(stay, move) - np.log(conc + m)[:, None]
    return lp[:, 1:]


def tilt_alpha(n, log_p1, alpha):
    """Dirichlet process: log P(K+ = k | alpha) for an array of alpha (rows), from ``log_p1``, the
    log-probabilities at alpha = 1.

    Antoniak's ``P(k | alpha) = alpha^k |s(n, k)| Gamma(alpha) / Gamma(alpha + n)`` with
    ``|s(n, k)| = n! P(k | 1)``, and ``Gamma(alpha + n) / Gamma(alpha) = alpha^n prod_i (1 + i / alpha)``
    written so that nothing cancels for large alpha: O(n) per alpha instead of a recursion.
    """
    alpha = np.atleast_1d(np.asarray(alpha, dtype=float))[:, None]
    k = np.arange(1, n + 1)
    rising = np.sum(np.log1p(np.arange(n) / alpha), axis=1, keepdims=True)
    return log_p1 + gammaln(n + 1.0) + (k - n) * np.log(alpha) - rising


def tilt_K(n, log_p_ref, e, K_ref, Ks):
    """Finite mixtures: log P(K+ = k | K, e) for each K in ``Ks`` (<= K_ref), from ``log_p_ref``,
    the log-probabilities for ``K_ref`` components with the same ``e``; shape (len(Ks), kmax).

    ``P(k | K, e) = K!/(K-k)! Gamma(K e)/Gamma(K e + n) C_e(n, k)``, and ``C_e`` does not depend on K:
    the ratio to ``K_ref`` is ``prod_{j<k} (K-j)/(K_ref-j) prod_{i<n} (K_ref e + i)/(K e + i)``.
    """
    Ks = np.asarray(Ks, dtype=float)[:, None]
    kmax = log_p_ref.shape[-1]
    j = np.arange(kmax)
    with np.errstate(divide="ignore", invalid="ignore"):
        falling = np.cumsum(np.log(np.maximum(Ks - j, 0.0)) - np.log(K_ref - j), axis=1)
    i = np.arange(n)
    gammas = np.sum(np.log((K_ref * e + i) / (Ks * e + i)), axis=1, keepdims=True)
    return log_p_ref + falling + gammas


def kplus_mean(n, e, K=None):
    """Closed-form E[K+] for n observations (vectorised over ``e``).

    Dirichlet process (``K`` None): ``sum_{i<n} alpha / (alpha + i)`` (Antoniak 1974). Finite ``K``:
    ``K (1 - P(a given component is empty))`` with ``P(empty) = prod_{i<n} ((K-1) e + i) / (K e + i)``
    (Dirichlet-multinomial), which is ``Gamma(K e) Gamma((K-1) e + n) / (Gamma((K-1) e) Gamma(K e + n))``.
    """
    e = np.asarray(e, dtype=float)[..., None]
    i = np.arange(n, dtype=float)
    if K is None:
        return np.sum(e / (e + i), axis=-1)
    log_empty = np.sum(np.log1p(-e / (K * e + i)), axis=-1)
    return -K * np.expm1(log_empty)
