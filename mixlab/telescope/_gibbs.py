"""The array layer: one chain of the telescoping sampler (numpy in, numpy out).

One sweep follows Algorithm 1 of Frühwirth-Schnatter, Malsiner-Walli & Grün (2021):

1. allocations ``z_i`` from ``p(z_i = k) ∝ w_k N(y_i | mu_k, sigma2_k)`` (Gumbel-max, all i at once);
2. the filled components moved to the front (stable order), ``K+`` counted;
3. ``sigma2_k | mu_k`` and ``mu_k | sigma2_k`` for the filled components, then ``C0``;
4. ``K | partition`` by an exact discrete draw over ``K+..K_max``;
5. ``K - K+`` empty components drawn from the prior;
6. ``alpha`` or ``gamma`` by a random-walk Metropolis-Hastings step on the log scale;
7. ``w ~ Dirichlet(e_K + N_k)`` over the ``K`` components (drawn on the log scale, so tiny ``e_K``
   never underflows to a NaN).

The priors are sigma2_k ~ InvGamma(c0, C0) (shape, rate), C0 ~ Gamma(g0, G0) (shape, rate),
mu_k ~ N(b0, B0).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

from mixlab.telescope._priors import log_density

__all__ = ["log_eppf", "log_k_posterior", "run_chain"]


def log_eppf(e, K, counts, n, dynamic):
    """log p(partition | K, e) without the K!/(K-K+)! factor (the part that depends on e)."""
    ek = e / K if dynamic else e
    kp = counts.size
    return (gammaln(K * ek) - gammaln(n + K * ek) + gammaln(counts + ek).sum() - kp * gammaln(ek))


def log_k_posterior(log_pK, counts, n, e, dynamic):
    """Unnormalised log p(K | partition, e) for K = K+..K_max (an array of that length)."""
    kp = counts.size
    ks = np.arange(kp, log_pK.size + 1, dtype=float)
    ek = e / ks if dynamic else np.full(ks.size, e)
    lp = (log_pK[kp - 1:] + gammaln(ks + 1) - gammaln(ks - kp + 1) + gammaln(ks * ek)
          - gammaln(n + ks * ek))
    lp += (gammaln(counts[:, None] + ek) - gammaln(ek)).sum(axis=0)
    return lp


def _draw_index(logp, rng):
    """One index drawn with probabilities ∝ exp(logp) (inverse CDF)."""
    p = np.exp(logp - logp.max())
    cum = np.cumsum(p)
    return int(np.searchsorted(cum, rng.random() * cum[-1], side="right"))


def _log_dirichlet(shape, rng):
    """log of a Dirichlet(shape) draw: G(a) = G(a + 1) U^(1/a) on the log scale, for any a > 0."""
    log_g = np.log(rng.standard_gamma(shape + 1.0)) + np.log1p(-rng.random(shape.size)) / shape
    top = log_g.max()
    return log_g - (top + np.log(np.exp(log_g - top).sum()))


def run_chain(y, rng, priors, *, K_init, tune, draws, thin, likelihood, z_dtype):
    """One chain; returns a dict of arrays with the draws on the first axis (components padded with NaN)."""
    n = y.size
    log_pK = priors.log_pK
    K_max = log_pK.size
    dynamic = priors.dynamic
    b0, B0, c0, g0, G0 = priors.b0, priors.B0, priors.c0, priors.g0, priors.G0
    sd_b0 = np.sqrt(B0)
    random_e = priors.e_fixed is None
    s0 = priors.proposal_sd

    out = {
        "K": np.empty(draws, dtype=np.int64),
        "K_plus": np.empty(draws, dtype=np.int64),
        "e": np.empty(draws),
        "C0": np.empty(draws),
        "acceptance": np.full(draws, np.nan),
        "w": np.full((draws, K_max), np.nan),
        "mu": np.full((draws, K_max), np.nan),
        "sigma": np.full((draws, K_max), np.nan),
        "z": np.empty((draws, n), dtype=z_dtype),
    }

    # start: K_init components at the quantiles of y, equal weights, a common scale
    K = K_init
    mu = np.quantile(y, (np.arange(K) + 0.5) / K)
    s2 = np.full(K, 0.01 * np.ptp(y) ** 2)
    log_w = np.full(K, -np.log(K))
    C0 = g0 / G0
    if random_e:
        log_prior = log_density(priors.e_dist)
        e = float(priors.e_dist.median())
        log_prior_e = log_prior(e)
    else:
        e = priors.e_fixed
    y_col = y[:, None]
    kept = 0
    total = tune + draws * thin
    for it in range(total):
        # 1. allocations (Gumbel-max over the K current components)
        if likelihood:
            logp = log_w - 0.5 * np.log(s2) - 0.5 * (y_col - mu) ** 2 / s2
        else:
            logp = np.broadcast_to(log_w, (n, K))
        z = np.argmax(logp + rng.gumbel(size=(n, K)), axis=1)

        # 2. filled components first, in their current order
        counts = np.bincount(z, minlength=K)
        filled = counts > 0
        kp = int(filled.sum())
        order = np.argsort(~filled, kind="stable")
        relabel = np.empty(K, dtype=np.intp)
        relabel[order] = np.arange(K)
        z = relabel[z]
        keep = order[:kp]
        mu, s2, counts = mu[keep], s2[keep], counts[keep]

        # 3. parameters of the filled components, then C0
        if likelihood:
            ss = np.bincount(z, weights=(y - mu[z]) ** 2, minlength=kp)
            prec = rng.gamma(c0 + 0.5 * counts, 1.0 / (C0 + 0.5 * ss))
            sy = np.bincount(z, weights=y, minlength=kp)
            var = 1.0 / (1.0 / B0 + counts * prec)
            mu = var * (b0 / B0 + sy * prec) + np.sqrt(var) * rng.standard_normal(kp)
        else:
            prec = rng.gamma(c0, 1.0 / C0, size=kp)
            mu = b0 + sd_b0 * rng.standard_normal(kp)
        s2 = 1.0 / prec
        C0 = rng.gamma(g0 + kp * c0, 1.0 / (G0 + prec.sum()))

        # 4. K | partition, e
        K = kp + _draw_index(log_k_posterior(log_pK, counts, n, e, dynamic), rng)

        # 5. empty components from the prior
        if K > kp:
            m = K - kp
            mu = np.concatenate([mu, b0 + sd_b0 * rng.standard_normal(m)])
            s2 = np.concatenate([s2, 1.0 / rng.gamma(c0, 1.0 / C0, size=m)])

        # 6. alpha / gamma | partition, K: random walk on log e
        acc = np.nan
        if random_e:
            e_new = e * np.exp(s0 * rng.standard_normal())
            lp_new = log_prior(e_new)
            log_ratio = (lp_new + log_eppf(e_new, K, counts, n, dynamic) + np.log(e_new)
                         - log_prior_e - log_eppf(e, K, counts, n, dynamic) - np.log(e))
            acc = float(np.exp(min(0.0, log_ratio))) if np.isfinite(log_ratio) else (
                1.0 if log_ratio > 0 else 0.0)
            if rng.random() < acc:
                e, log_prior_e = e_new, lp_new

        # 7. weights over the K components
        ek = e / K if dynamic else e
        shape = np.full(K, ek)
        shape[:kp] += counts
        log_w = _log_dirichlet(shape, rng)

        if it >= tune and (it - tune) % thin == 0:
            out["K"][kept] = K
            out["K_plus"][kept] = kp
            out["e"][kept] = e
            out["C0"][kept] = C0
            out["acceptance"][kept] = acc
            out["w"][kept, :K] = np.exp(log_w)
            out["mu"][kept, :K] = mu
            out["sigma"][kept, :K] = np.sqrt(s2)
            out["z"][kept] = z
            kept += 1
    return out
