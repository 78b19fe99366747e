"""Component families: the one seam through which every summary reads a component's density.

A mixture's summaries -- assignment probabilities, predictive densities, co-clustering, occupancy --
need only one thing from a component family: its log-density at the observations, given the
parameters of every draw. Each family is a registry entry that supplies that log-density and names
the parameter *roles* it reads (``mu``, ``sigma``, ``nu``, ...), as scikit-learn's ``BaseMixture``
asks each estimator for ``_estimate_log_prob`` and writes everything else once.

Families in the registry:

==================================  ===============  ==============================================
name                                roles            observations
==================================  ===============  ==============================================
``"normal"``                        mu, sigma        real numbers
``"student_t"``                     mu, sigma, nu    real numbers
``"mv_normal"``                     mu, sigma, corr  vectors (one ``feature`` dim)
``"poisson"``                       mu               counts
``"negative_binomial"``             mu, alpha        counts (PyMC's ``mu``/``alpha``)
``"zero"``                          (none)           point mass at 0 (zero-inflation, hurdles)
``"poisson_positive"``              mu               counts >= 1 (zero-truncated Poisson: hurdles)
``"negative_binomial_positive"``    mu, alpha        counts >= 1 (zero-truncated NB: hurdles)
==================================  ===============  ==============================================

A regression component is any family with a location (``normal``, ``student_t``) whose location
is shifted by ``beta * x``; the posterior spec (:mod:`mixlab.spec`) adds the shift. A new family is
one :func:`register` call.

Shapes: ``logpdf(y, **params)`` receives the observations broadcast as ``(1, n, 1)`` (or
``(1, n, 1, d)`` for vector observations) and each parameter as ``(S, 1, K)`` (``(S, 1, K, d)``,
``(S, 1, K, d, d)``), and returns the log-densities ``(S, n, K)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, xlogy

__all__ = ["FAMILIES", "Family", "get_family", "register"]

_LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class Family:
    """A component family: its name, the roles it reads and its log-density.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"normal"``.
    roles : tuple of str
        Parameter roles read from the posterior (besides the weights ``w``).
    logpdf : callable
        ``logpdf(y, **params) -> ndarray (S, n, K)``; see the module docstring for shapes.
    positive : tuple of str
        Roles that must be strictly positive (scales, rates, degrees of freedom).
    event_ndim : int
        0 for scalar observations, 1 for vectors (the roles then carry one or two feature dims).
    discrete : bool
        True when the observations are counts (integers >= 0).
    location : str or None
        Role shifted by ``beta * x`` in a mixture regression; None when the family has none.
    role_event_ndim : dict
        Number of feature dims of each role for vector families (``mu``: 1, ``corr``: 2).
    """

    name: str
    roles: tuple
    logpdf: Callable
    positive: tuple = ()
    event_ndim: int = 0
    discrete: bool = False
    location: str | None = None
    role_event_ndim: tuple = ()

    def event_dims_of(self, role):
        """Number of feature dims the posterior variable of ``role`` carries."""
        return dict(self.role_event_ndim).get(role, 0)


# ----------------------------------------------------------------------------------------------
# log-densities, vectorised over (draw, observation, component)
# ----------------------------------------------------------------------------------------------


def _normal(y, mu, sigma):
    # points beyond ~1e154 scales overflow z**2 to inf: a log density of -inf (callers check)
    with np.errstate(over="ignore", divide="ignore"):
        z = (y - mu) / sigma
        return -0.5 * z * z - np.log(sigma) - 0.5 * _LOG_2PI


def _student_t(y, mu, sigma, nu):
    with np.errstate(over="ignore", divide="ignore"):
        z = (y - mu) / sigma
        return (
            gammaln(0.5 * (nu + 1.0)) - gammaln(0.5 * nu) - 0.5 * np.log(nu * np.pi)
            - np.log(sigma) - 0.5 * (nu + 1.0) * np.log1p(z * z / nu)
        )


def _poisson(y, mu):
    with np.errstate(divide="ignore"):
        return xlogy(y, mu) - mu - gammaln(y + 1.0)


def _negative_binomial(y, mu, alpha):
    with np.errstate(divide="ignore"):
        return (
            gammaln(y + alpha) - gammaln(alpha) - gammaln(y + 1.0)
            + alpha * (np.log(alpha) - np.log(alpha + mu)) + xlogy(y, mu) - xlogy(y, alpha + mu)
        )


def _poisson_positive(y, mu):
    """Zero-truncated Poisson: the Poisson given y >= 1 (``mu`` is the untruncated rate)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = _poisson(y, mu) - np.log(-np.expm1(-mu))
    return np.where(y >= 1, out, -np.inf)


def _negative_binomial_positive(y, mu, alpha):
    """Zero-truncated negative binomial: the NB(mu, alpha) given y >= 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p0 = alpha * (np.log(alpha) - np.log(alpha + mu))
        out = _negative_binomial(y, mu, alpha) - np.log(-np.expm1(log_p0))
    return np.where(y >= 1, out, -np.inf)


def _zero(y):
    return np.where(y == 0, 0.0, -np.inf)


def _mv_normal(y, mu, sigma, corr):
    """log N(y | mu, diag(sigma) corr diag(sigma)); y (1, n, 1, d), params (S, 1, K, d[, d])."""
    cov = sigma[..., :, None] * corr * sigma[..., None, :]  # (S, 1, K, d, d)
    try:
        chol = np.linalg.cholesky(cov[:, 0])  # (S, K, d, d)
    except np.linalg.LinAlgError:
        raise ValueError(
            "a covariance matrix diag(sigma) corr diag(sigma) of the posterior is not positive "
            "definite; pass correlation matrices (symmetric, unit diagonal, positive definite)"
        ) from None
    diff = (y - mu)  # (S, n, K, d)
    chol_b = np.broadcast_to(chol[:, None], (*diff.shape, diff.shape[-1]))
    z = np.linalg.solve(chol_b, diff[..., None])[..., 0]
    log_det = np.log(np.diagonal(chol, axis1=-2, axis2=-1)).sum(-1)  # (S, K)
    d = y.shape[-1]
    return -0.5 * (z**2).sum(-1) - log_det[:, None, :] - 0.5 * d * _LOG_2PI


#: The registry: name -> :class:`Family`.
FAMILIES: dict[str, Family] = {}


def register(family):
    """Add a :class:`Family` to the registry (replacing one of the same name) and return it.

    >>> from mixlab.families import Family, register, get_family
    >>> import numpy as np
    >>> fam = register(Family("laplace", ("mu", "sigma"),
    ...                       lambda y, mu, sigma: -np.abs(y - mu) / sigma - np.log(2 * sigma),
    ...                       positive=("sigma",), location="mu"))
    >>> get_family("laplace").roles
    ('mu', 'sigma')
    >>> _ = FAMILIES.pop("laplace")
    """
    if not isinstance(family, Family):
        raise TypeError(f"family must be a mixlab.families.Family, got {type(family).__name__}")
    FAMILIES[family.name] = family
    return family


def get_family(name):
    """The registered :class:`Family` called ``name``; a clear error for unknown names."""
    if isinstance(name, Family):
        return name
    if not isinstance(name, str):
        raise TypeError(f"family must be a name such as 'normal', got {name!r}")
    if name not in FAMILIES:
        raise ValueError(
            f"unknown family {name!r}; use one of {tuple(FAMILIES)} or register your own with "
            "mixlab.families.register"
        )
    return FAMILIES[name]


register(Family("normal", ("mu", "sigma"), _normal, positive=("sigma",), location="mu"))
register(Family("student_t", ("mu", "sigma", "nu"), _student_t, positive=("sigma", "nu"),
                location="mu"))
register(Family("mv_normal", ("mu", "sigma", "corr"), _mv_normal, positive=("sigma",),
                event_ndim=1, role_event_ndim=(("mu", 1), ("sigma", 1), ("corr", 2))))
register(Family("poisson", ("mu",), _poisson, positive=("mu",), discrete=True))
register(Family("negative_binomial", ("mu", "alpha"), _negative_binomial,
                positive=("mu", "alpha"), discrete=True))
register(Family("zero", (), _zero, discrete=True))
register(Family("poisson_positive", ("mu",), _poisson_positive, positive=("mu",), discrete=True))
register(Family("negative_binomial_positive", ("mu", "alpha"), _negative_binomial_positive,
                positive=("mu", "alpha"), discrete=True))
