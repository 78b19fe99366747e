"""Builders for count data: Poisson and negative binomial mixtures, zero-inflation and hurdles.

Every builder follows the conventions of :mod:`mixlab.models`: coordinates ``component``
(``0..K-1``) and ``obs`` (``0..n-1``), variables ``w`` (weights, dims ``component``), ``mu``
(rates), ``alpha`` (negative binomial dispersion, PyMC's ``NegativeBinomial(mu, alpha)``, variance
``mu + mu**2 / alpha``) and the observed ``y`` (dims ``obs``); priors scaled to the data with a
``priors={...}`` override; no ``initval=`` in the model: start values come from
:func:`mixlab.models.initvals`.

**Priors.** With ``m = mean(y) + range(y) / 2`` (the range replaced by 1 when every count is the
same), the rates are a priori ``Gamma(1, 1 / m)``, an exponential distribution with mean ``m``:
every rate from near 0 (a component of almost only zeros) to a few times the largest count is
plausible, and 95% of the prior mass lies below ``3 m``. The weights are ``Dirichlet(1, ..., 1)``
and the dispersions ``alpha ~ Gamma(1, 0.1)`` (mean 10; 10% of the mass below 1, strong
overdispersion, and 37% above 10, close to a Poisson).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.distributions.transforms import Ordered

from mixlab.models._common import (
    _check_bool,
    _check_K,
    _check_y,
    _coords,
    _data_scales,
    _register,
    _resolve_priors,
    _Spec,
)

__all__ = ["negative_binomial_mixture", "poisson_mixture", "zero_inflated"]

#: Start value of every negative binomial dispersion: variance ``mu + mu**2 / 2``.
_ALPHA_START = 2.0

#: Default dispersion prior ``Gamma(shape, rate)`` of the negative binomial builders.
_ALPHA_PRIOR = (1.0, 0.1)

#: Count families the zero-inflated builder accepts.
_FAMILIES = ("poisson", "negative_binomial")
_KINDS = ("mixture", "builtin", "hurdle")


# --------------------------------------------------------------------------------------------
# checks and priors
# --------------------------------------------------------------------------------------------


def _check_counts(y, real_valued="use mixlab.models.gmm"):
    """The observations as an int64 array of counts (whole numbers >= 0), 1-D and finite.

    ``real_valued`` completes the hint "pass counts, or ... for real-valued data".
    """
    values = _check_y(y)
    if np.any(values < 0):
        raise ValueError(
            f"y must hold counts (whole numbers >= 0), got the negative value {values.min():g}; "
            f"pass counts, or {real_valued} for real-valued data"
        )
    fractional = values != np.round(values)
    if np.any(fractional):
        raise ValueError(
            f"y must hold counts (whole numbers >= 0), got the non-integer value "
            f"{values[fractional][0]:g}; pass counts, or {real_valued} for real-valued data"
        )
    if values.max() > 2**53:
        raise ValueError(
            f"y holds counts up to {values.max():.3g}, beyond float64's exact integers (2**53); "
            "model such counts on another scale"
        )
    _data_scales(values)
    return values.astype(np.int64)


def _rate_scale(y):
    """``mean(y) + range(y) / 2``, the prior mean of every rate (range 1 when all are equal)."""
    _, rng, _ = _data_scales(y.astype(float))
    return float(np.mean(y)) + 0.5 * rng


def _count_defaults(y, *, rate_per="component", nb=False):
    defaults = {
        "w_alpha": (1.0, "positive", "component"),
        "mu_alpha": (1.0, "positive", rate_per),
        "mu_beta": (1.0 / _rate_scale(y), "positive", rate_per),
    }
    if nb:
        defaults |= {
            "alpha_alpha": (_ALPHA_PRIOR[0], "positive", rate_per),
            "alpha_beta": (_ALPHA_PRIOR[1], "positive", rate_per),
        }
    return defaults


def _rates(pri, K, ordered, *, dims="component"):
    """``mu ~ Gamma`` (ordered increasing when asked and K >= 2) on the model on the stack."""
    kwargs = {"transform": Ordered()} if ordered and K >= 2 else {}
    return pm.Gamma("mu", alpha=pri["mu_alpha"], beta=pri["mu_beta"], dims=dims, **kwargs)


def _dispersions(pri, *, dims="component"):
    return pm.Gamma("alpha", alpha=pri["alpha_alpha"], beta=pri["alpha_beta"], dims=dims)


# --------------------------------------------------------------------------------------------
# start values
# --------------------------------------------------------------------------------------------


def _rate_floor(y):
    mean = float(np.mean(y))
    return 0.5 * mean if mean > 0 else 0.1


def _spread_rates(y, K):
    """Means of K equal-count groups of the sorted counts: positive and strictly increasing.

    Groups of zeros get a positive floor (half the mean count, or 0.1); ties (more components
    than distinct counts) are pushed apart by a tenth of the standard deviation of ``y``.
    """
    groups = np.array_split(np.sort(y.astype(float)), K)
    rates = np.array([g.mean() for g in groups])
    rates = np.maximum(rates, _rate_floor(y))
    _, _, sd = _data_scales(y.astype(float))
    gap = 0.1 * sd
    for k in range(1, K):
        rates[k] = max(rates[k], rates[k - 1] + gap)
    return rates


def _mixture_start(spec):
    y, K = spec.y, spec.K
    start = {"w": np.full(K, 1.0 / K), "mu": _spread_rates(y, K)}
    if spec.kind == "nb_mixture":
        start["alpha"] = np.full(K, _ALPHA_START)
    return start


def _zero_start(spec):
    """Zero-inflated / hurdle: the rate at the mean positive count, ``w`` from the zero share."""
    y = spec.y
    positive = y[y > 0]
    mu = float(positive.mean()) if positive.size else 0.1
    p0 = float(np.mean(y == 0))
    if spec.kind.startswith("hurdle"):
        w0 = p0
    else:  # excess zeros beyond those of the count part
        base = np.exp(-mu)
        w0 = (p0 - base) / (1.0 - base)
    w0 = float(np.clip(w0, 0.05, 0.95))
    start = {"w": np.array([w0, 1.0 - w0]), "mu": np.asarray(mu)}
    if spec.kind.endswith("nb"):
        start["alpha"] = np.asarray(_ALPHA_START)
    return start


# --------------------------------------------------------------------------------------------
# builders
# --------------------------------------------------------------------------------------------


def poisson_mixture(y, K, *, ordered=True, priors=None):
    """Build a K-component Poisson mixture for counts, with the labels marginalized.

    .. math::

        y_i \\sim \\sum_k w_k \\, \\mathrm{Poisson}(\\mu_k), \\quad
        w \\sim \\mathrm{Dirichlet}(1, \\dots, 1), \\quad \\mu_k \\sim \\mathrm{Gamma}(1, 1 / m)

    with ``m = mean(y) + range(y) / 2`` (the range taken as 1 when all counts are equal): an
    exponential prior with mean ``m`` on each rate, which makes every rate from near 0 (a
    component of almost only zeros) to a few times the largest count plausible, 95% of its mass
    below ``3 m``. The likelihood is
    :class:`pymc.Mixture` of one vectorised ``pm.Poisson.dist``, so ``pm.compute_log_likelihood``
    gives the mixture probability of each count. A mixture of Poissons is overdispersed (its
    variance exceeds its mean) and can put extra mass at 0 through a component with a small rate;
    Leroux & Puterman (1992) fit it to the fetal lamb counts (:func:`mixlab.datasets.load_lamb`).

    Parameters
    ----------
    y : array_like, shape (n,)
        Counts: whole numbers >= 0, at least one.
    K : int
        Number of components, between 1 and the number of observations.
    ordered : bool, default True
        Constrain ``mu[0] < mu[1] < ...`` (a log transform chained with an ordered transform,
        so ``mu`` stays a positive named variable with dims ``component``), which removes label
        switching. Ignored when ``K == 1``. Sample with ``initvals=initvals(model)``.
    priors : dict, optional
        Overrides, by key: ``w_alpha`` (Dirichlet concentration, default 1), ``mu_alpha`` and
        ``mu_beta`` (shape and rate of the rates' Gamma prior, defaults 1 and ``1 / m``). Each is
        a positive number or one per component.

    Returns
    -------
    pymc.Model
        Free variables ``w`` and ``mu`` (dims ``component``); observed ``y`` (dims ``obs``).
        Posterior summaries read it as ``family="poisson"``, e.g.
        ``mixlab.invariants.assignment_probs(idata, family="poisson")``.

    Raises
    ------
    TypeError
        If ``y`` is not numeric, ``K`` is not an integer, ``ordered`` is not a bool or ``priors``
        is not a dict.
    ValueError
        If ``y`` is not 1-D, is empty, holds NaN/inf, negative or non-integer values, ``K < 1``
        or ``K`` exceeds the number of observations, or ``priors`` has an unknown key or a bad
        value.

    References
    ----------
    Leroux, B. G. and Puterman, M. L. (1992). Maximum-penalized-likelihood estimation for
    independent and Markov-dependent mixture models. *Biometrics* 48, 545-558.

    Examples
    --------
    >>> from mixlab.datasets import load_lamb
    >>> from mixlab.models import initvals
    >>> from mixlab.models import poisson_mixture
    >>> model = poisson_mixture(load_lamb(), K=2)
    >>> [v.name for v in model.free_RVs], model.named_vars_to_dims["mu"]
    (['w', 'mu'], ('component',))
    >>> initvals(model)["mu"].round(3)
    array([0.179, 0.717])
    >>> poisson_mixture([0, 1, 2.5], K=2)
    Traceback (most recent call last):
    ...
    ValueError: y must hold counts (whole numbers >= 0), got the non-integer value 2.5; pass counts, or use mixlab.models.gmm for real-valued data
    """
    y = _check_counts(y)
    K = _check_K(K, y.size)
    ordered = _check_bool(ordered, "ordered")
    pri = _resolve_priors(priors, _count_defaults(y), {"component": K}, "poisson_mixture")
    with pm.Model(coords=_coords(K, y.size)) as model:
        w = pm.Dirichlet("w", a=pri["w_alpha"], dims="component")
        mu = _rates(pri, K, ordered)
        pm.Mixture("y", w=w, comp_dists=pm.Poisson.dist(mu=mu), observed=y, dims="obs")
    spec = _Spec(
        "poisson_mixture", y, K, ordered="mu" if ordered and K >= 2 else None, start=_mixture_start
    )
    return _register(model, spec)


def negative_binomial_mixture(y, K, *, ordered=True, priors=None):
    """Build a K-component negative binomial mixture for overdispersed counts.

    .. math::

        y_i \\sim \\sum_k w_k \\, \\mathrm{NegativeBinomial}(\\mu_k, \\alpha_k), \\quad
        \\mu_k \\sim \\mathrm{Gamma}(1, 1 / m), \\quad \\alpha_k \\sim \\mathrm{Gamma}(1, 0.1)

    PyMC's parametrisation: component k has mean ``mu[k]`` and variance
    ``mu[k] + mu[k]**2 / alpha[k]`` (a Poisson as ``alpha -> inf``), the parametrisation of
    the ``"negative_binomial"`` family of :mod:`mixlab.families`. Each component is itself
    overdispersed, so fewer components are needed than with :func:`poisson_mixture`; the price
    is that a wide component and a sum of narrow ones are harder to tell apart.

    Parameters
    ----------
    y, K, ordered
        As in :func:`poisson_mixture` (ordered rates ``mu``).
    priors : dict, optional
        Keys of :func:`poisson_mixture` plus ``alpha_alpha`` and ``alpha_beta`` (shape and rate
        of the dispersions' Gamma prior, defaults 1 and 0.1).

    Returns
    -------
    pymc.Model
        Free variables ``w``, ``mu`` and ``alpha`` (dims ``component``); observed ``y`` (dims
        ``obs``). Posterior summaries read it as ``family="negative_binomial"``.

    Raises
    ------
    TypeError
        As :func:`poisson_mixture`.
    ValueError
        As :func:`poisson_mixture`.

    Examples
    --------
    >>> from mixlab.datasets import load_lamb
    >>> from mixlab.models import initvals
    >>> from mixlab.models import negative_binomial_mixture
    >>> model = negative_binomial_mixture(load_lamb(), K=2)
    >>> sorted(initvals(model))
    ['alpha', 'mu', 'w']
    """
    y = _check_counts(y)
    K = _check_K(K, y.size)
    ordered = _check_bool(ordered, "ordered")
    pri = _resolve_priors(
        priors, _count_defaults(y, nb=True), {"component": K}, "negative_binomial_mixture"
    )
    with pm.Model(coords=_coords(K, y.size)) as model:
        w = pm.Dirichlet("w", a=pri["w_alpha"], dims="component")
        mu = _rates(pri, K, ordered)
        alpha = _dispersions(pri)
        pm.Mixture(
            "y",
            w=w,
            comp_dists=pm.NegativeBinomial.dist(mu=mu, alpha=alpha),
            observed=y,
            dims="obs",
        )
    spec = _Spec(
        "nb_mixture", y, K, ordered="mu" if ordered and K >= 2 else None, start=_mixture_start
    )
    return _register(model, spec)


def zero_inflated(y, *, family="poisson", kind="mixture", priors=None):
    """Build a zero-inflated or hurdle model for counts with more zeros than a Poisson allows.

    Three ways to write two sources of zeros, all with the same variables: weights ``w`` (dims
    ``component``, coordinates 0 = the zero part, 1 = the count part), one rate ``mu`` (a scalar:
    it has no ``component`` dim, the zero part has no parameter) and, for
    ``family="negative_binomial"``, one dispersion ``alpha``.

    - ``kind="mixture"``: the zero-inflated model written as what it is, a two-component
      :class:`pymc.Mixture` of a point mass at 0 (:class:`pymc.DiracDelta`) and a Poisson (or
      negative binomial): ``Pr(y = 0) = w[0] + w[1] f(0)``, ``Pr(y = j) = w[1] f(j)`` for
      ``j >= 1``. A zero is then either *structural* (the zero part) or a count that happened to
      be 0, and ``mixlab.invariants.assignment_probs(idata, family=["zero", "poisson"])`` gives
      the probability that each zero is structural.
    - ``kind="builtin"``: the same model with PyMC's :class:`pymc.ZeroInflatedPoisson` /
      :class:`pymc.ZeroInflatedNegativeBinomial`, whose ``psi`` is the probability of the
      *count* part, ``w[1]``. Same priors, same free variables, so the same log density at every
      point and the same posterior as ``"mixture"``; the built-in distribution is the one to use
      inside larger models (regressions on ``psi`` or ``mu``).
    - ``kind="hurdle"``: :class:`pymc.HurdlePoisson` / :class:`pymc.HurdleNegativeBinomial`.
      Every zero comes from the zero part, ``Pr(y = 0) = w[0]``, and the positive counts from
      the count distribution truncated to ``y >= 1``: ``Pr(y = j) = w[1] f(j) / (1 - f(0))``.
      Use it when zeros and positive counts arise from different processes (whether an event
      happens at all, then how often), or when there are *fewer* zeros than the count part
      predicts (a zero-inflated model can only add zeros). Posterior summaries read it with the
      zero-truncated families: ``family=["zero", "poisson_positive"]`` (or
      ``"negative_binomial_positive"``); ``mu`` is the rate of the untruncated distribution.

    Priors: ``w ~ Dirichlet(1, 1)`` and the rate and dispersion priors of
    :func:`poisson_mixture` and :func:`negative_binomial_mixture`.

    Parameters
    ----------
    y : array_like, shape (n,)
        Counts: whole numbers >= 0, at least one.
    family : {"poisson", "negative_binomial"}, default "poisson"
        Distribution of the count part.
    kind : {"mixture", "builtin", "hurdle"}, default "mixture"
        How the zeros enter, see above.
    priors : dict, optional
        Overrides by key: ``w_alpha`` (one number or two), ``mu_alpha``, ``mu_beta`` and, for
        the negative binomial, ``alpha_alpha`` and ``alpha_beta`` (single numbers).

    Returns
    -------
    pymc.Model
        Free variables ``w`` (dims ``component``, length 2), scalar ``mu`` and, for the negative
        binomial, scalar ``alpha``; observed ``y`` (dims ``obs``).

    Raises
    ------
    TypeError
        If ``y`` is not numeric, ``family`` or ``kind`` is not a string, or ``priors`` is not a
        dict.
    ValueError
        If ``y`` is not a 1-D array of counts, ``family`` or ``kind`` is unknown, or ``priors``
        has an unknown key or a bad value.

    References
    ----------
    Lambert, D. (1992). Zero-inflated Poisson regression, with an application to defects in
    manufacturing. *Technometrics* 34, 1-14.

    Mullahy, J. (1986). Specification and testing of some modified count data models. *Journal
    of Econometrics* 33, 341-365.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.datasets import load_lamb
    >>> from mixlab.models import initvals
    >>> from mixlab.models import zero_inflated
    >>> y = load_lamb()
    >>> mix, builtin = zero_inflated(y), zero_inflated(y, kind="builtin")
    >>> point = mix.initial_point() | {"w_simplex__": np.array([0.4]), "mu_log__": np.array(0.3)}
    >>> bool(abs(mix.compile_logp()(point) - builtin.compile_logp()(point)) < 1e-10)
    True
    >>> sorted(initvals(zero_inflated(y, kind="hurdle")))
    ['mu', 'w']
    """
    y = _check_counts(y)
    family = _check_choice(family, "family", _FAMILIES)
    kind = _check_choice(kind, "kind", _KINDS)
    nb = family == "negative_binomial"
    pri = _resolve_priors(
        priors, _count_defaults(y, rate_per=None, nb=nb), {"component": 2}, "zero_inflated"
    )
    with pm.Model(coords=_coords(2, y.size)) as model:
        w = pm.Dirichlet("w", a=pri["w_alpha"], dims="component")
        mu = _rates(pri, 1, False, dims=None)
        alpha = _dispersions(pri, dims=None) if nb else None
        counts = {"mu": mu} if not nb else {"mu": mu, "alpha": alpha}
        if kind == "mixture":
            count = pm.NegativeBinomial.dist(**counts) if nb else pm.Poisson.dist(**counts)
            zero = pm.DiracDelta.dist(pt.as_tensor(0, dtype=count.dtype))
            pm.Mixture("y", w=w, comp_dists=[zero, count], observed=y, dims="obs")
        else:
            dist = {
                ("builtin", False): pm.ZeroInflatedPoisson,
                ("builtin", True): pm.ZeroInflatedNegativeBinomial,
                ("hurdle", False): pm.HurdlePoisson,
                ("hurdle", True): pm.HurdleNegativeBinomial,
            }[kind, nb]
            dist("y", psi=w[1], observed=y, dims="obs", **counts)
    tag = {"mixture": "zi", "builtin": "zi", "hurdle": "hurdle"}[kind]
    return _register(model, _Spec(f"{tag}_{'nb' if nb else 'poisson'}", y, 2, start=_zero_start))


def _check_choice(value, name, allowed):
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {allowed}, got {value!r}")
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return value
