"""Priors of the telescoping sampler: the prior of K, of the Dirichlet parameter and of the components.

Everything a chain needs is checked here once and handed to :mod:`._gibbs` as plain numbers and
arrays.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import scipy.stats as st
from scipy.special import betaln

from mixlab._validate import check_array
from mixlab.priors import bnb_pmf
from mixlab.priors._hyper import is_distribution

__all__ = ["DEFAULT_E_PRIOR", "HYPER_KEYS", "Priors", "component_priors", "e_prior", "k_prior", "log_density"]

#: Default prior of alpha (static weights) and gamma (dynamic weights): F(6, 3), as in the paper.
DEFAULT_E_PRIOR = (6.0, 3.0)

#: Keywords that override the component priors and the Metropolis-Hastings step.
HYPER_KEYS = ("b0", "B0", "c0", "g0", "G0", "proposal_sd")

#: Default sd of the random walk on log(alpha) / log(gamma) (``s0_proposal`` of R's telescope for F(6, 3)).
DEFAULT_PROPOSAL_SD = 2.5


@dataclass(frozen=True)
class Priors:
    """Everything a chain reads: log p(K) over K = 1..K_max, the Dirichlet parameter and hyperparameters."""

    log_pK: np.ndarray
    dynamic: bool
    e_fixed: float | None
    e_dist: object  # frozen scipy distribution, or None when e is fixed
    b0: float
    B0: float
    c0: float
    g0: float
    G0: float
    proposal_sd: float

    @property
    def e_name(self):
        return "gamma" if self.dynamic else "alpha"


def k_prior(K_prior, K_max):
    """``log p(K)`` for K = 1..K_max (an array of length K_max) from ``K_prior``.

    ``None``: K - 1 ~ BNB(1, 4, 3) (``scipy.stats.betanbinom(1, 4, 3)``) truncated at K_max. A frozen
    discrete scipy distribution is taken as the prior of K - 1, truncated likewise. An array is the
    pmf of K = 1, 2, ..., len(K_prior) (zero beyond), and must sum to 1.
    """
    if K_prior is None:
        pmf = bnb_pmf(K_max).values
        return _log(pmf / pmf.sum())
    if isinstance(getattr(K_prior, "dist", None), st.rv_discrete):
        pmf = np.asarray(K_prior.pmf(np.arange(K_max)), dtype=float)
        if not np.all(np.isfinite(pmf)) or pmf.sum() <= 0:
            raise ValueError(
                f"K_prior (a distribution of K - 1) puts no mass on K = 1..{K_max}; pass another "
                "distribution or raise K_max"
            )
        return _log(pmf / pmf.sum())
    if isinstance(K_prior, st.distributions.rv_frozen):
        raise TypeError(
            "K_prior must be a discrete distribution of K - 1 (e.g. scipy.stats.betanbinom(1, 4, 3)) "
            f"or a pmf over K = 1..K_max, got a continuous {K_prior.dist.name} distribution"
        )
    pmf = check_array(K_prior, "K_prior", ndim=1)
    if pmf.size > K_max:
        raise ValueError(
            f"K_prior gives {pmf.size} probabilities (K = 1..{pmf.size}) but K_max is {K_max}; "
            f"pass K_max={pmf.size} or a shorter pmf"
        )
    if np.any(pmf < 0):
        raise ValueError(f"K_prior must be non-negative probabilities, got {pmf[pmf < 0][0]:g}")
    if not np.isclose(pmf.sum(), 1.0, atol=1e-6):
        raise ValueError(
            f"K_prior must sum to 1 (got {pmf.sum():.6g}); pass normalized probabilities of K = 1, 2, ..."
        )
    full = np.zeros(K_max)
    full[: pmf.size] = pmf / pmf.sum()
    return _log(full)


def _log(p):
    with np.errstate(divide="ignore"):
        return np.log(p)


def e_prior(value, name):
    """``(fixed value or None, frozen distribution or None)`` for alpha or gamma."""
    if value is None:
        return None, st.f(*DEFAULT_E_PRIOR)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        v = float(value)
        if not np.isfinite(v) or v <= 0:
            raise ValueError(f"{name} must be positive, got {value}; pass a Dirichlet parameter > 0")
        return v, None
    if is_distribution(value):
        low = float(value.support()[0])
        if low < 0:
            raise ValueError(
                f"{name} prior must live on the positive half-line, but its support starts at {low:g}; "
                "pass e.g. scipy.stats.f(6, 3) or scipy.stats.gamma(1, scale=1)"
            )
        return None, value
    raise TypeError(
        f"{name} must be None (F(6, 3) prior), a positive number (fixed) or a frozen continuous scipy "
        f"distribution, got {type(value).__name__}"
    )


def log_density(dist):
    """A fast scalar log-density of ``dist``: closed form for ``scipy.stats.f(d1, d2)`` (a third of a
    galaxy sweep went to scipy's generic ``logpdf``), else ``dist.logpdf``."""
    if dist.dist.name == "f" and len(dist.args) == 2 and not dist.kwds:
        d1, d2 = (float(a) for a in dist.args)
        const = 0.5 * d1 * math.log(d1 / d2) - float(betaln(0.5 * d1, 0.5 * d2))
        ratio, a, b = d1 / d2, 0.5 * d1 - 1.0, 0.5 * (d1 + d2)

        def f_logpdf(x):
            if not x > 0 or math.isinf(x):
                return -math.inf
            return const + a * math.log(x) - b * math.log1p(ratio * x)

        return f_logpdf
    return lambda x: float(dist.logpdf(x))


def component_priors(y, overrides):
    """``{b0, B0, c0, g0, G0, proposal_sd}``: Richardson & Green's defaults from ``y``, then ``overrides``."""
    unknown = sorted(set(overrides) - set(HYPER_KEYS))
    if unknown:
        raise TypeError(f"sample() got unknown keyword(s) {unknown}; the prior overrides are {HYPER_KEYS}")
    r = float(np.ptp(y))
    c0, g0 = 2.0, 0.5
    out = {"b0": float(np.median(y)), "B0": r**2, "c0": c0, "g0": g0,
           "G0": 100.0 * g0 / (c0 * r**2), "proposal_sd": DEFAULT_PROPOSAL_SD}
    for key, value in overrides.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
            raise TypeError(f"{key} must be a finite number, got {value!r}")
        if key != "b0" and value <= 0:
            raise ValueError(f"{key} must be positive, got {value}; pass a number > 0")
        out[key] = float(value)
    if "G0" not in overrides and ("g0" in overrides or "c0" in overrides):
        out["G0"] = 100.0 * out["g0"] / (out["c0"] * r**2)
    return out
