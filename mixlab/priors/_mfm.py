"""Priors of the telescoping paper: the prior on K+ of a mixture of finite mixtures, and the BNB on K."""

from __future__ import annotations

import math

import numpy as np
import scipy.stats
import xarray as xr
from scipy.special import betaln, gammaln

from mixlab.priors import _hyper
from mixlab.priors._inputs import check_concentration, check_count, check_k_prior
from mixlab.priors._kplus import N_FIX, evaluate, wrap
from mixlab.priors._recursion import log_kplus_pmf, tilt_K

__all__ = ["bnb_pmf", "mfm_kplus_prior"]


def mfm_kplus_prior(n, K_prior, alpha=None, gamma=None, *, joint=False):
    """Prior on the number of clusters K+ under a mixture of finite mixtures (MFM).

    The number of components is random, ``K ~ K_prior``; given ``K`` the weights are
    Dirichlet(e_K, ..., e_K), with ``e_K = alpha`` (the static MFM) or ``e_K = gamma / K`` (the
    dynamic MFM of Fruhwirth-Schnatter et al. 2021, whose K+ prior depends less on K). Then

    .. math:: P(K_+ = k) = \\sum_K p(K) \\, P(K_+ = k \\mid K, e_K),

    each term exact as in :func:`kplus_prior`. ``alpha`` or ``gamma`` may be a frozen scipy.stats
    distribution on (0, inf), integrated out as in :func:`kplus_prior` (one quadrature for the
    whole sum over K).

    Parameters
    ----------
    n : int
        Number of observations, >= 1.
    K_prior : array_like or xarray.DataArray
        Probabilities of ``K = 1, 2, ..., len(K_prior)`` (a DataArray's coordinate, if any, must be
        ``1..len``), e.g. :func:`bnb_pmf`. A truncated pmf may leave up to 0.001 of its mass beyond its
        last K; that mass is then missing from the result too (``attrs["missing_mass"]``): the result
        sums to ``K_prior.sum()``, and each probability is low by at most the missing mass.
    alpha : float or frozen scipy.stats continuous distribution, optional
        Static MFM: the Dirichlet parameter of every component, whatever K.
    gamma : float or frozen scipy.stats continuous distribution, optional
        Dynamic MFM: the total Dirichlet mass, ``e_K = gamma / K``. Pass exactly one of ``alpha``
        and ``gamma``.
    joint : bool, default False
        Return the joint probabilities ``P(K, K+ = k)`` (dims ``K``, ``k_plus``) instead; summing them
        over ``K`` gives the default result.

    Returns
    -------
    xarray.DataArray
        ``kplus_prior`` with dim ``k_plus`` (coordinate ``1..min(n, len(K_prior))``), or
        ``kplus_joint`` with dims ``K`` and ``k_plus``; ``attrs`` describe the prior (``prior``,
        ``n``, ``alpha`` or ``gamma``, ``K_max``, ``missing_mass``, and the quadrature for a
        hyperprior).

    Raises
    ------
    ValueError
        If ``n`` is not a whole number >= 1, ``K_prior`` is not a pmf, both or neither of
        ``alpha`` and ``gamma`` are given, or either is not positive.
    TypeError
        If ``alpha`` or ``gamma`` is neither a number nor a frozen continuous distribution.

    See Also
    --------
    kplus_prior : K fixed (a point-mass ``K_prior``).
    bnb_pmf : the beta-negative-binomial prior on K of the telescoping paper.

    References
    ----------
    - Fruhwirth-Schnatter, S., Malsiner-Walli, G. and Grun, B. (2021). Generalized mixtures of
      finite mixtures and telescoping sampling. *Bayesian Analysis*, 16(4), 1279-1307.
    - Miller, J. W. and Harrison, M. T. (2018). Mixture models with a prior on the number of
      components. *Journal of the American Statistical Association*, 113(521), 340-356.

    Examples
    --------
    The dynamic MFM of the telescoping paper, K - 1 ~ BNB(1, 4, 3) and gamma = 1, for 100
    observations:

    >>> from mixlab.priors import bnb_pmf, mfm_kplus_prior
    >>> pK = bnb_pmf(300)
    >>> p = mfm_kplus_prior(100, pK, gamma=1.0)
    >>> round(float((p * p.k_plus).sum()), 3), p.attrs["missing_mass"] < 1e-6
    (1.618, True)

    With a point mass on K it is the finite mixture of :func:`kplus_prior`:

    >>> import numpy as np
    >>> from mixlab.priors import kplus_prior
    >>> one_hot = np.eye(5)[4]  # P(K = 5) = 1
    >>> bool(np.allclose(mfm_kplus_prior(50, one_hot, alpha=0.5), kplus_prior(50, 0.5, K=5)))
    True
    """
    n = check_count(n, "n", N_FIX)
    pK = check_k_prior(K_prior)
    if (alpha is None) == (gamma is None):
        given = "both" if alpha is not None else "neither"
        raise ValueError(f"pass exactly one of alpha (static MFM, e_K = alpha) and gamma (dynamic MFM, "
                         f"e_K = gamma / K), got {given}")
    if not isinstance(joint, bool):
        raise TypeError(f"joint must be True or False, got {joint!r}")
    name, value = ("alpha", alpha) if gamma is None else ("gamma", gamma)
    value = check_concentration(value, name)
    Ks = np.flatnonzero(pK > 0) + 1.0
    weights = pK[Ks.astype(int) - 1]
    cols = min(n, pK.size)

    def joint_rows(h):
        h = np.atleast_1d(h)
        if name == "alpha":  # one recursion for the largest K, the others by their ratio to it
            ref = log_kplus_pmf(n, h, np.full(h.size, Ks[-1]))
            p = np.exp(np.stack([tilt_K(n, row, a, Ks[-1], Ks) for row, a in zip(ref, h, strict=True)]))
        else:
            e = h[:, None] / Ks
            p = np.exp(log_kplus_pmf(n, e.ravel(), np.tile(Ks, h.size))).reshape(h.size, Ks.size, -1)
        p = p * weights[:, None]
        p = np.pad(p, ((0, 0), (0, 0), (0, cols - p.shape[-1])))  # K+ beyond the largest K with mass
        return p.reshape(h.size, -1)

    flat, attrs = evaluate(joint_rows, value)
    table = np.zeros((pK.size, cols))
    table[Ks.astype(int) - 1] = flat.reshape(Ks.size, cols)
    attrs = {"prior": f"mixture of finite mixtures ({'static' if name == 'alpha' else 'dynamic'})",
             "n": n, name: _hyper.describe(value) if _hyper.is_distribution(value) else value,
             "K_max": int(pK.size), "missing_mass": max(0.0, 1.0 - float(pK.sum())), **attrs}
    if not joint:
        return wrap(table.sum(axis=0), attrs)
    return xr.DataArray(table, dims=("K", "k_plus"), name="kplus_joint", attrs=attrs,
                        coords={"K": np.arange(1, pK.size + 1), "k_plus": np.arange(1, cols + 1)})


def bnb_pmf(k_max, a_lambda=1.0, a_pi=4.0, b_pi=3.0):
    """Beta-negative-binomial prior on the number of components K, for K = 1..k_max.

    The prior of the telescoping paper (Fruhwirth-Schnatter et al. 2021): ``K - 1 ~ BNB(a_lambda,
    a_pi, b_pi)``,

    .. math:: P(K - 1 = j) = \\frac{\\Gamma(a_\\lambda + j)}{\\Gamma(a_\\lambda) j!}
              \\frac{B(a_\\lambda + a_\\pi, j + b_\\pi)}{B(a_\\pi, b_\\pi)},

    evaluated by :data:`scipy.stats.betanbinom` (``n=a_lambda, a=a_pi, b=b_pi``) when ``a_lambda`` is
    a whole number, by this formula (``gammaln``, ``betaln``) otherwise. Its tail is heavy
    (it decays like :math:`j^{-(a_\\pi + 1)}`), so the probabilities are returned as they are, not
    renormalised: the mass beyond ``k_max`` is in ``attrs["tail_mass"]`` (3e-6 for the default
    BNB(1, 4, 3) and ``k_max = 100``). The default is the paper's recommended prior.

    Parameters
    ----------
    k_max : int
        Largest K, >= 1.
    a_lambda, a_pi, b_pi : float, default 1, 4, 3
        Positive parameters of the BNB.

    Returns
    -------
    xarray.DataArray
        ``K_prior``, probabilities with dim ``K`` (coordinate ``1..k_max``); ``attrs`` hold the
        parameters and ``tail_mass``, ``P(K > k_max)`` (from scipy's survival function, or for a
        fractional ``a_lambda`` one minus the sum, accurate to about 1e-15 in absolute terms).

    Raises
    ------
    ValueError
        If ``k_max`` is not a whole number >= 1 or a parameter is not positive and finite.

    See Also
    --------
    mfm_kplus_prior : the prior on K+ this prior on K induces.

    References
    ----------
    - Fruhwirth-Schnatter, S., Malsiner-Walli, G. and Grun, B. (2021). Generalized mixtures of
      finite mixtures and telescoping sampling. *Bayesian Analysis*, 16(4), 1279-1307.

    Examples
    --------
    >>> from mixlab.priors import bnb_pmf
    >>> p = bnb_pmf(30)
    >>> round(float(p.sel(K=1)), 4)  # B(5, 3) / B(4, 3) = 4 / 7
    0.5714
    >>> round(p.attrs["tail_mass"], 6), round(float(p.sum()) + p.attrs["tail_mass"], 12)
    (0.000255, 1.0)
    """
    k_max = check_count(k_max, "k_max", "pass the largest number of components, e.g. k_max=100")
    params = {key: check_concentration(v, key, hyperprior=False) for key, v in
              (("a_lambda", a_lambda), ("a_pi", a_pi), ("b_pi", b_pi))}
    a_lambda, a_pi, b_pi = params["a_lambda"], params["a_pi"], params["b_pi"]
    j = np.arange(k_max)
    if a_lambda.is_integer():  # scipy's betanbinom takes a whole number of successes only
        dist = scipy.stats.betanbinom(n=a_lambda, a=a_pi, b=b_pi)
        pmf, tail = dist.pmf(j), float(dist.sf(k_max - 1))
    else:
        pmf = np.exp(gammaln(a_lambda + j) - gammaln(a_lambda) - gammaln(j + 1.0)
                     + betaln(a_lambda + a_pi, j + b_pi) - betaln(a_pi, b_pi))
        tail = max(0.0, 1.0 - math.fsum(pmf))
    return xr.DataArray(pmf, dims="K", coords={"K": j + 1}, name="K_prior",
                        attrs={"prior": "K - 1 ~ beta-negative-binomial", **params,
                               "tail_mass": tail})
