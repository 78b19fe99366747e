"""Builders for the number-of-components chapter: Richardson & Green's priors for a K-component
Gaussian mixture (:func:`rg_gmm`) and a truncated Dirichlet-process mixture (:func:`dp_gmm`)."""

from __future__ import annotations

import numbers

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.distributions.transforms import Ordered

from mixlab._validate import check_int, check_positive
from mixlab.models._common import _check_bool, _check_K, _check_y, _coords, _register, _Spec

__all__ = ["dp_gmm", "rg_gmm", "rg_priors"]


def rg_priors(y):
    """The hyperparameters of Richardson & Green (1997) as the telescope package sets them.

    ``b0 = median(y)``, ``B0 = R**2`` (``R`` the range of ``y``), ``c0 = 2``, ``g0 = 0.5`` and
    ``G0 = 100 g0 / (c0 R**2)``: ``mu_k ~ N(b0, B0)``, ``sigma2_k ~ InvGamma(c0, C0)``,
    ``C0 ~ Gamma(g0, rate=G0)`` (Frühwirth-Schnatter, Malsiner-Walli & Grün, 2021, Section 5).

    Examples
    --------
    >>> from mixlab.models import rg_priors
    >>> pri = rg_priors([0.0, 1.0, 10.0])
    >>> float(pri["b0"]), float(pri["B0"]), float(pri["G0"])
    (1.0, 100.0, 0.25)
    """
    y = _check_y(y)
    spread = float(np.ptp(y)) or 1.0
    c0, g0 = 2.0, 0.5
    return {"b0": float(np.median(y)), "B0": spread**2, "c0": c0, "g0": g0,
            "G0": 100.0 * g0 / (c0 * spread**2)}


def _rg_components(y, K, ordered):
    """``mu``, ``C0``, ``sigma2`` and ``sigma`` with Richardson & Green's priors (model context)."""
    pri = rg_priors(y)
    kwargs = {"transform": Ordered()} if ordered and K >= 2 else {}
    mu = pm.Normal("mu", pri["b0"], np.sqrt(pri["B0"]), dims="component", **kwargs)
    C0 = pm.Gamma("C0", alpha=pri["g0"], beta=pri["G0"])
    sigma2 = pm.InverseGamma("sigma2", alpha=pri["c0"], beta=C0, dims="component")
    sigma = pm.Deterministic("sigma", pt.sqrt(sigma2), dims="component")
    return mu, sigma


def rg_gmm(y, K, *, alpha=1.0, ordered=True):
    """Build a K-component Gaussian mixture with the priors of Richardson & Green (1997).

    ``w ~ Dirichlet(alpha, ..., alpha)``, ``mu_k ~ N(b0, B0)``, ``sigma2_k ~ InvGamma(c0, C0)``,
    ``C0 ~ Gamma(g0, G0)`` with the data-based hyperparameters of :func:`rg_priors`: the
    component model of the reversible-jump analysis of Richardson & Green and of the telescoping
    sampler (:mod:`mixlab.telescope`), so that evidence-based ``p(K | y)`` computed from these
    models and a prior on K is comparable with theirs.

    Parameters
    ----------
    y : array_like, shape (n,)
        Observations.
    K : int
        Number of components, at least 1.
    alpha : float, default 1
        Dirichlet concentration of the weights (``1``: uniform on the simplex, as Richardson &
        Green).
    ordered : bool, default True
        Ordered means (``mu[0] < mu[1] < ...``). Start samplers with
        ``mixlab.models.initvals`` or, for SMC, ``mixlab.evidence.smc_start``.

    Returns
    -------
    pymc.Model
        Free ``w``, ``mu``, ``C0``, ``sigma2``; deterministic ``sigma`` (standard deviations, the
        role mixlab's summaries read); observed ``y`` (dims ``obs``).

    Raises
    ------
    TypeError, ValueError
        For non-numeric or non-finite ``y``, a ``K`` that is not a positive integer, a
        non-positive ``alpha`` or a non-bool ``ordered``.

    References
    ----------
    Richardson, S. and Green, P. J. (1997). On Bayesian analysis of mixtures with an unknown
    number of components. *JRSS-B* 59, 731-792.

    Examples
    --------
    >>> from mixlab import datasets
    >>> from mixlab.models import rg_gmm
    >>> model = rg_gmm(datasets.load_galaxy(), 3)
    >>> [v.name for v in model.free_RVs]
    ['w', 'mu', 'C0', 'sigma2']
    """
    y = _check_y(y)
    K = _check_K(K, y.size)
    ordered = _check_bool(ordered, "ordered")
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha must be a positive number such as 1.0, got {alpha!r}")
    alpha = float(check_positive(alpha, "alpha"))
    with pm.Model(coords=_coords(K, y.size)) as model:
        w = pm.Dirichlet("w", a=np.full(K, alpha), dims="component")
        mu, sigma = _rg_components(y, K, ordered)
        pm.NormalMixture("y", w=w, mu=mu, sigma=sigma, observed=y, dims="obs")
    return _register(model, _Spec("rg", y, K, ordered="mu" if ordered and K >= 2 else None))


def dp_gmm(y, truncation=20, *, alpha_prior=(2.0, 4.0)):
    """Build a truncated Dirichlet-process Gaussian mixture (stick-breaking weights).

    ``alpha ~ Gamma(a, rate=b)`` (default ``Gamma(2, 4)``, Escobar & West 1995),
    ``w ~ StickBreakingWeights(alpha, truncation - 1)`` (``truncation`` weights summing to one;
    the last takes what the sticks leave), and components with Richardson & Green's priors as in
    :func:`rg_gmm` (means not ordered: the stick-breaking order already makes the weights
    stochastically decreasing). Check the truncation after sampling: the posterior mass of the
    last component should be negligible (see the book's chapter on the number of components).

    Parameters
    ----------
    y : array_like, shape (n,)
        Observations.
    truncation : int, default 20
        Number of components kept, at least 2.
    alpha_prior : tuple of float, default (2, 4)
        Shape and rate of the gamma prior on the concentration.

    Returns
    -------
    pymc.Model
        Free ``alpha``, ``w``, ``mu``, ``C0``, ``sigma2``; deterministic ``sigma``; observed
        ``y``.

    Raises
    ------
    TypeError, ValueError
        For bad ``y``, a ``truncation`` that is not an integer >= 2 or an ``alpha_prior`` that is
        not two positive numbers.

    References
    ----------
    Sethuraman, J. (1994). A constructive definition of Dirichlet priors. *Statistica Sinica* 4,
    639-650. Ishwaran, H. and James, L. F. (2001). Gibbs sampling methods for stick-breaking
    priors. *JASA* 96, 161-173. Escobar, M. D. and West, M. (1995). Bayesian density estimation
    and inference using mixtures. *JASA* 90, 577-588.

    Examples
    --------
    >>> from mixlab import datasets
    >>> from mixlab.models import dp_gmm
    >>> model = dp_gmm(datasets.load_galaxy(), truncation=12)
    >>> len(model.coords["component"])
    12
    """
    y = _check_y(y)
    truncation = check_int(truncation, "truncation", minimum=2)
    if (not isinstance(alpha_prior, tuple | list) or len(alpha_prior) != 2
            or any(isinstance(a, bool) or not isinstance(a, numbers.Real) for a in alpha_prior)):
        raise TypeError(f"alpha_prior must be (shape, rate) of a gamma prior, e.g. (2.0, 4.0), "
                        f"got {alpha_prior!r}")
    a, b = (float(v) for v in check_positive(np.asarray(alpha_prior, dtype=float), "alpha_prior"))
    with pm.Model(coords=_coords(truncation, y.size)) as model:
        alpha = pm.Gamma("alpha", alpha=a, beta=b)
        w = pm.StickBreakingWeights("w", alpha=alpha, K=truncation - 1, dims="component")
        mu, sigma = _rg_components(y, truncation, ordered=False)
        pm.NormalMixture("y", w=w, mu=mu, sigma=sigma, observed=y, dims="obs")
    return _register(model, _Spec("dp", y, truncation))
