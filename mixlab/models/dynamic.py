r"""Mixtures whose weights move: :func:`mixture_of_experts` and the hidden Markov model :func:`hmm`.

Both follow the conventions of :mod:`mixlab.models` (coordinates ``component`` and ``obs``,
variables ``w``, ``mu``, ``sigma``, priors scaled to the data with a ``priors={...}`` override, no
``initval=`` in the model: start values come from :func:`mixlab.models.initvals`) and the
conventions of the posterior spec (:mod:`mixlab.spec`), so that every summary of :mod:`mixlab`
reads their posteriors:

- a mixture of experts has weights that depend on a covariate: ``w`` is a deterministic with dims
  ``(obs, component)``;
- a hidden Markov model has a transition matrix ``P`` with dims ``(component, component_to)`` and
  ``w``, the distribution of the first state; :func:`mixlab.invariants.assignment_probs` then
  returns the smoothed state probabilities.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.distributions.transforms import Ordered

from mixlab.models._common import (
    _check_bool,
    _check_K,
    _check_xy,
    _check_y,
    _coords,
    _data_scales,
    _register,
    _resolve_priors,
    _Spec,
    _strictly_increasing,
)
from mixlab.models.counts import (
    _ALPHA_START,
    _check_counts,
    _count_defaults,
    _dispersions,
    _rates,
)
from mixlab.models.counts import _spread_rates as _spread_count_rates
from mixlab.models.regression import _regression_em

__all__ = ["hmm", "mixture_of_experts"]

#: Prior sd of the gating intercepts and of the slopes (log-odds per standard deviation of x).
_GATE_SD = 3.0

#: Emission families of :func:`hmm`.
_HMM_FAMILIES = ("poisson", "normal", "negative_binomial")

#: Start value of every negative binomial dispersion, and its default prior Gamma(shape, rate).

#: Start value of the probability of staying in the same state (rows of ``P`` at the start).
_STAY_START = 0.9


def _check_ordered(ordered):
    return _check_bool(ordered, "ordered")


# --------------------------------------------------------------------------------------------
# mixture of experts
# --------------------------------------------------------------------------------------------


def _standardize(x):
    _, _, sd = _data_scales(x, "x")
    return (x - float(np.mean(x))) / sd, sd


def _fit_gate(xs, resp, a, b, n_iter):
    """Gradient ascent of the gating log-likelihood sum_ik r_ik log w_ik (+ a small ridge).

    ``xs`` is the standardized covariate, ``resp`` (n, K) the responsibilities; ``a``, ``b`` the
    intercepts and slopes of components 1..K-1 (component 0 is the reference).
    """
    n = xs.size
    step = 2.0 / n  # the Hessian of the multinomial log-likelihood is bounded by n (1 + xs^2) / 2
    for _ in range(n_iter):
        eta = np.concatenate([[0.0], a]) + np.concatenate([[0.0], b]) * xs[:, None]
        w = np.exp(eta - eta.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        g = (resp - w)[:, 1:]
        a = a + step * (g.sum(axis=0) - 0.1 * a)
        b = b + step * (g.T @ xs - 0.1 * b)
    return a, b


def _experts_em(xs, y, K, mu, sigma, *, x=None, n_iter=60):
    """A short EM of the experts mixture (the start for MCMC, not an estimate).

    Returns ``(a, b, mu, beta, sigma)``; ``beta`` is None unless ``x`` is given (regression
    experts, whose lines start flat at ``mu``).
    """
    _, _, sd = _data_scales(y)
    a, b = np.zeros(K - 1), np.zeros(K - 1)
    beta = None if x is None else np.zeros(K)
    design = None if x is None else np.column_stack([np.ones(y.size), x])
    for _ in range(n_iter):
        eta = np.concatenate([[0.0], a]) + np.concatenate([[0.0], b]) * xs[:, None]
        logw = eta - eta.max(axis=1, keepdims=True)
        logw -= np.log(np.exp(logw).sum(axis=1, keepdims=True))
        loc = mu if beta is None else mu + beta * x[:, None]
        logp = logw + _normal_logpdf(y[:, None], loc, sigma)
        resp = np.exp(logp - logp.max(axis=1, keepdims=True))
        resp /= resp.sum(axis=1, keepdims=True)
        nk = resp.sum(axis=0) + 1e-10
        if beta is None:
            mu = (resp * y[:, None]).sum(axis=0) / nk
            res = y[:, None] - mu
        else:
            for k in range(K):
                weighted = design * resp[:, k, None]
                coef = np.linalg.lstsq(
                    weighted.T @ design + 1e-9 * np.eye(2), weighted.T @ y, rcond=None
                )[0]
                mu[k], beta[k] = coef
            res = y[:, None] - (mu + beta * x[:, None])
        sigma = np.maximum(np.sqrt((resp * res**2).sum(axis=0) / nk), 0.05 * sd)
        a, b = _fit_gate(xs, resp, a, b, 20)
    return a, b, mu, beta, sigma


def _normal_logpdf(y, loc, scale):
    return -0.5 * ((y - loc) / scale) ** 2 - np.log(scale) - 0.5 * np.log(2 * np.pi)


def _experts_start(spec):
    """A short EM fit (gate, means and scales; regression experts: the EM lines and their gate)."""
    y, x, K = spec.y, spec.x, spec.K
    _, _, sd = _data_scales(y)
    xs, _ = _standardize(x)
    regression = spec.kind == "experts_regression"
    if K == 1:
        if regression:
            _, mu, beta, sigma = _regression_em(x, y, 1)
            start = {"beta": beta}
        else:
            mu, sigma, start = np.array([float(np.mean(y))]), np.array([sd]), {}
    else:
        mu = np.quantile(y, (np.arange(K) + 0.5) / K)
        a, b, mu, _, sigma = _experts_em(xs, y, K, mu, np.full(K, sd / K))
        beta = None
        if regression:  # the lines start from the constant experts' fit, flat
            a, b, mu, beta, sigma = _experts_em(xs, y, K, mu, sigma, x=x)
        order = np.argsort(mu, kind="stable")
        eta_a, eta_b = np.concatenate([[0.0], a])[order], np.concatenate([[0.0], b])[order]
        # re-reference the gate to the new component 0
        start = {"gate_a": (eta_a - eta_a[0])[1:], "gate_b": (eta_b - eta_b[0])[1:]}
        mu, sigma = mu[order], sigma[order]
        if regression:
            start["beta"] = beta[order]
    if spec.ordered:
        mu = _strictly_increasing(mu, sd)
    start.update(mu=mu, sigma=sigma)
    return start


def mixture_of_experts(x, y, K, *, regression=False, ordered=True, priors=None):
    r"""Build a mixture of experts: normal components whose weights depend on a covariate.

    .. math::

        y_i \sim \sum_k w_{ik} \, \mathrm{Normal}(\mu_k [+ \beta_k x_i], \sigma_k), \qquad
        w_{ik} = \frac{\exp(a_k + b_k s_i)}{\sum_j \exp(a_j + b_j s_i)}, \quad
        s_i = \frac{x_i - \bar x}{\mathrm{sd}(x)}, \quad a_0 = b_0 = 0.

    The gating network is a multinomial logistic regression with component 0 as the reference
    category (its log-odds are fixed at 0, which removes the softmax's invariance to a common
    shift). The gate reads ``x`` standardized, so ``a_k`` is the log-odds of component k against
    component 0 at the mean covariate and ``b_k`` their change per standard deviation of ``x``:
    both are on the unit scale whatever the units of ``x``, which keeps the prior scale-free and
    the sampler's jitter of the start (``U(-1, 1)`` on the unconstrained scale) moderate. With
    ``regression=True`` each expert is itself a regression line (as in
    :func:`~mixlab.models.mixture_regression`; the location uses the raw ``x``, as
    :mod:`mixlab.spec` does).

    :func:`~mixlab.models.initvals` starts at a short expectation-maximization fit from quantile
    means (regression experts: that fit, then lines and gate refined by EM from flat lines).
    Regression experts are multimodal like :func:`~mixlab.models.mixture_regression` and the
    sampler's start jitter is large against typical slopes: on the Old Faithful data (eruption
    duration on waiting time, K = 2), 3 of 5 two-chain nutpie runs with jitter had a chain in a
    wrong mode (R-hat 1.8-2.2), none of 3 without it. Sample them without jitter::

        pm.sample(model=model, initvals=initvals(model), compile_kwargs={"jitter_rvs": set()})

    Parameters
    ----------
    x : array_like, shape (n,)
        Covariate; finite and not constant.
    y : array_like, shape (n,)
        Responses; finite, same length as ``x``.
    K : int
        Number of experts, at least 1 (K = 1 has no gate: a single normal or regression line).
    regression : bool, default False
        Make each expert a regression on ``x`` (slopes ``beta``).
    ordered : bool, default True
        Order the locations ``mu`` increasingly (removes label switching).
    priors : dict, optional
        Keys ``gate_a_sigma`` and ``gate_b_sigma`` (default 3 both: a priori the log-odds of a
        component at the mean covariate lie within +-6, and move by up to about 6 per standard
        deviation of ``x``, so that weights from near 0 to near 1 within the data are plausible),
        ``mu_mu`` (midpoint of ``y``), ``mu_sigma`` (range of ``y``; for regression experts
        ``sqrt(range(y)**2 + (beta_sigma * mean(x))**2)``), ``sigma_sigma`` (``sd(y)``) and, for
        regression experts, ``beta_mu`` (0) and ``beta_sigma`` (``range(y) / range(x)``).

    Returns
    -------
    pymc.Model
        Free variables ``gate_a`` and ``gate_b`` (gating intercepts and slopes per standard
        deviation of ``x`` of components ``1..K-1``, dims ``component_gate``), ``mu``, ``sigma``
        (and ``beta``), dims ``component``; deterministics ``gate_intercept`` (``a_k``) and
        ``gate_slope`` (``b_k / sd(x)``, the change of the log-odds per unit of ``x``), dims
        ``component`` and 0 for the reference component (they follow the components when a
        posterior is relabelled, while ``gate_a`` and ``gate_b`` keep the labels of the fit), and
        ``w`` (dims ``obs, component``); data ``x`` and observed ``y`` (dims ``obs``).

    Raises
    ------
    TypeError
        If ``x`` or ``y`` is not numeric, ``K`` is not an integer, ``regression`` or ``ordered``
        is not a bool or ``priors`` is not a dict.
    ValueError
        If ``x`` or ``y`` is not 1-D, empty or not finite, the lengths differ, ``x`` is constant,
        ``K`` is out of range or ``priors`` has unknown keys or invalid values.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.models import initvals
    >>> from mixlab.models import mixture_of_experts
    >>> x = np.linspace(0.0, 1.0, 40)
    >>> y = np.where(x > 0.5, 3.0, 0.0) + np.sin(np.arange(40.0))
    >>> model = mixture_of_experts(x, y, K=2)
    >>> sorted(initvals(model))
    ['gate_a', 'gate_b', 'mu', 'sigma']
    >>> model.named_vars_to_dims["w"]  # one weight vector per observation
    ('obs', 'component')
    >>> mixture_of_experts(x, y[:-1], K=2)
    Traceback (most recent call last):
    ...
    ValueError: x and y must have the same length, got 40 and 39; pass one x per observation
    """
    x, y = _check_xy(x, y, "the gate")
    K = _check_K(K, y.size)
    regression = _check_bool(regression, "regression")
    ordered = _check_ordered(ordered) and K > 1
    mid_y, range_y, sd_y = _data_scales(y)
    _, range_x, _ = _data_scales(x, "x")
    defaults = {
        "gate_a_sigma": (_GATE_SD, "positive", None),
        "gate_b_sigma": (_GATE_SD, "positive", None),
        "mu_mu": (mid_y, "real", "component"),
        "mu_sigma": (range_y, "positive", "component"),
        "sigma_sigma": (sd_y, "positive", "component"),
    }
    if regression:
        beta_sigma = range_y / range_x
        defaults["mu_sigma"] = (
            float(np.hypot(range_y, beta_sigma * np.mean(x))),
            "positive",
            "component",
        )
        defaults["beta_mu"] = (0.0, "real", "component")
        defaults["beta_sigma"] = (beta_sigma, "positive", "component")
    pri = _resolve_priors(priors, defaults, {"component": K}, "mixture_of_experts")
    coords = _coords(K, y.size) | {"component_gate": list(range(1, K))}
    x_center = float(np.mean(x))
    _, x_sd = _standardize(x)
    with pm.Model(coords=coords) as model:
        x_data = pm.Data("x", x, dims="obs")
        mu = pm.Normal(
            "mu",
            mu=pri["mu_mu"],
            sigma=pri["mu_sigma"],
            dims="component",
            **({"transform": Ordered()} if ordered else {}),
        )
        sigma = pm.HalfNormal("sigma", sigma=pri["sigma_sigma"], dims="component")
        if K > 1:
            a = pm.Normal("gate_a", 0.0, pri["gate_a_sigma"], dims="component_gate")
            b = pm.Normal("gate_b", 0.0, pri["gate_b_sigma"], dims="component_gate")
            zero = pt.zeros((1,))
            a_full = pm.Deterministic("gate_intercept", pt.concatenate([zero, a]), dims="component")
            # slope per unit of x (the free gate_b is per standard deviation of x)
            b_full = pm.Deterministic(
                "gate_slope", pt.concatenate([zero, b]) / x_sd, dims="component"
            )
            eta = a_full[None, :] + b_full[None, :] * (x_data[:, None] - x_center)
            w = pm.Deterministic("w", pt.special.softmax(eta, axis=-1), dims=("obs", "component"))
        else:
            w = pm.Deterministic("w", pt.ones((y.size, 1)), dims=("obs", "component"))
        loc = mu[None, :]
        if regression:
            beta = pm.Normal("beta", mu=pri["beta_mu"], sigma=pri["beta_sigma"], dims="component")
            loc = loc + beta[None, :] * x_data[:, None]
        if K > 1:
            pm.NormalMixture("y", w=w, mu=loc, sigma=sigma, observed=y, dims="obs")
        else:  # one expert: no mixture
            pm.Normal("y", mu=loc[:, 0], sigma=sigma[0], observed=y, dims="obs")
    kind = "experts_regression" if regression else "experts"
    return _register(
        model, _Spec(kind, y, K, x=x, ordered="mu" if ordered else None, start=_experts_start)
    )


# --------------------------------------------------------------------------------------------
# hidden Markov model
# --------------------------------------------------------------------------------------------



def _hmm_start(spec):
    """Quantile-group means as ``mu``; ``P`` with 0.9 on the diagonal; ``w`` uniform."""
    y, K = spec.y, spec.K
    family = spec.kind.removeprefix("hmm_").removesuffix("_latent")
    _, _, sd = _data_scales(y.astype(float))
    if family == "normal":  # means of K equal-count groups of the sorted data, pushed apart
        mu = _strictly_increasing(np.array([g.mean() for g in np.array_split(np.sort(y), K)]), sd)
    else:  # the rule of the count mixtures (mixlab.models.counts)
        mu = _spread_count_rates(y, K)
    if K == 1:
        P = np.ones((1, 1))
    else:
        P = np.full((K, K), (1.0 - _STAY_START) / (K - 1))
        np.fill_diagonal(P, _STAY_START)
    start = {"w": np.full(K, 1.0 / K), "P": P, "mu": mu}
    if family == "normal":
        start["sigma"] = np.full(K, sd / K)
    elif family == "negative_binomial":
        start["alpha"] = np.full(K, _ALPHA_START)
    if spec.kind.endswith("_latent"):  # not marginalized: the state path is a free variable
        start["z"] = np.argmin(np.abs(y[:, None] - mu[None, :]), axis=1).astype(np.int64)
    return start


def hmm(y, K, *, family="poisson", ordered=True, priors=None, marginalized=True):
    r"""Build a hidden Markov model: a mixture whose labels form a Markov chain in time.

    .. math::

        z_1 \sim \mathrm{Categorical}(w), \qquad z_t \mid z_{t-1} \sim
        \mathrm{Categorical}(P_{z_{t-1}, \cdot}), \qquad y_t \mid z_t \sim f(\theta_{z_t}).

    The state path ``z`` is a :class:`pymc_extras.distributions.DiscreteMarkovChain`; with
    ``marginalized=True`` (default) it is summed out by the forward algorithm
    (``pymc_extras.marginal.marginalize(model, ["z"])``), so that NUTS samples the continuous
    parameters alone, and ``pymc_extras.marginal.recover(idata, model=model)`` draws ``z`` given
    each posterior draw afterwards. The observations must be in time order. For a marginalized
    model :func:`pymc.compute_log_likelihood` returns one joint term per draw (no ``obs`` dim):
    the observations of an HMM are not conditionally independent; use
    :func:`mixlab.invariants.one_step_ahead` for per-time-point terms. Summaries of :mod:`mixlab`
    read the posterior as normal components unless told otherwise: pass ``family="poisson"`` (or
    ``"negative_binomial"``) to them for count emissions, e.g.
    ``assignment_probs(idata, family="poisson")`` for the smoothed state probabilities.

    **Priors.** ``w ~ Dirichlet(1, ..., 1)``; each row of ``P`` is ``Dirichlet(P_alpha + P_stay *
    e_k)`` (``e_k`` the k-th unit vector), with ``P_alpha = 1`` (uniform rows) and ``P_stay = 0``
    by default: a positive ``P_stay`` makes the chain "sticky" a priori (expected probability of
    staying ``(P_alpha + P_stay) / (K P_alpha + P_stay)``). Rates of count families:
    ``Gamma(1, 1 / m)`` with ``m = mean(y) + range(y) / 2`` (an exponential with mean ``m``; keys
    ``mu_alpha``, ``mu_beta``), dispersions ``alpha ~ Gamma(1, 0.1)`` (keys ``alpha_alpha``,
    ``alpha_beta``); normal emissions: ``mu ~ Normal(midpoint, range)``, ``sigma ~
    HalfNormal(sd(y))`` (keys ``mu_mu``, ``mu_sigma``, ``sigma_sigma``), as
    :func:`~mixlab.models.gmm`.

    Parameters
    ----------
    y : array_like, shape (n,)
        Observations in time order: counts for ``"poisson"`` and ``"negative_binomial"``.
    K : int
        Number of hidden states, at least 1 and at most n.
    family : {"poisson", "normal", "negative_binomial"}, default "poisson"
        Emission family of every state (``negative_binomial``: PyMC's ``NegativeBinomial(mu,
        alpha)``, variance ``mu + mu**2 / alpha``).
    ordered : bool, default True
        Order ``mu`` increasingly (rates: positive and increasing).
    priors : dict, optional
        Overrides of the priors above by key, plus ``w_alpha`` (1), ``P_alpha`` (1) and
        ``P_stay`` (0), single numbers or one per component.
    marginalized : bool, default True
        Sum the state path out (return the marginalized model); False keeps ``z`` as a discrete
        free variable (dims ``obs``) for a compound sampler.

    Returns
    -------
    pymc.Model
        Free variables ``w`` (initial-state distribution, dims ``component``), ``P``
        (transition matrix, dims ``component, component_to``; rows sum to 1), ``mu`` (dims
        ``component``), ``sigma`` (normal) or ``alpha`` (negative binomial), ``z`` when not
        marginalized; observed ``y`` (dims ``obs``).

    Raises
    ------
    TypeError
        If ``K`` is not an integer, ``ordered`` or ``marginalized`` is not a bool, ``family`` is
        not a string or ``priors`` is not a dict.
    ValueError
        If ``y`` is not 1-D, empty, not finite (or not counts for a count family), ``K`` is out of
        range, ``family`` is unknown or ``priors`` has unknown keys or invalid values.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.models import initvals
    >>> from mixlab.models import hmm
    >>> y = np.array([0, 1, 0, 0, 5, 6, 4, 0, 1, 0])
    >>> model = hmm(y, K=2)
    >>> start = initvals(model)
    >>> sorted(start), start["P"][0]
    (['P', 'mu', 'w'], array([0.9, 0.1]))
    >>> hmm(y, K=2, family="gamma")
    Traceback (most recent call last):
    ...
    ValueError: family must be one of ('poisson', 'normal', 'negative_binomial'), got 'gamma'
    """
    from pymc_extras.distributions import DiscreteMarkovChain

    if not isinstance(family, str):
        raise TypeError(f"family must be one of {_HMM_FAMILIES} (a string), got {family!r}")
    if family not in _HMM_FAMILIES:
        raise ValueError(f"family must be one of {_HMM_FAMILIES}, got {family!r}")
    y = _check_y(y) if family == "normal" else _check_counts(y, real_valued="family='normal'")
    K = _check_K(K, y.size)
    ordered = _check_ordered(ordered) and K > 1
    marginalized = _check_bool(marginalized, "marginalized")
    defaults = {
        "w_alpha": (1.0, "positive", "component"),
        "P_alpha": (1.0, "positive", "component"),
        "P_stay": (0.0, "real", "component"),
    }
    if family == "normal":
        mid, rng, sd = _data_scales(y)
        defaults |= {
            "mu_mu": (mid, "real", "component"),
            "mu_sigma": (rng, "positive", "component"),
            "sigma_sigma": (sd, "positive", "component"),
        }
    else:  # the rate and dispersion priors of the count mixtures (mixlab.models.counts)
        defaults |= _count_defaults(y, nb=family == "negative_binomial")
    pri = _resolve_priors(priors, defaults, {"component": K}, "hmm")
    if np.any(pri["P_stay"] < 0):
        raise ValueError(
            f"priors['P_stay'] must be >= 0 (extra prior weight on staying), got {pri['P_stay']}"
        )
    rows = pri["P_alpha"][None, :] + np.diag(pri["P_stay"])
    coords = _coords(K, y.size) | {"component_to": list(range(K))}
    with pm.Model(coords=coords) as model:
        w = pm.Dirichlet("w", a=pri["w_alpha"], dims="component")
        P = pm.Dirichlet("P", a=rows, dims=("component", "component_to"))
        if family == "normal":
            mu = pm.Normal(
                "mu",
                mu=pri["mu_mu"],
                sigma=pri["mu_sigma"],
                dims="component",
                **({"transform": Ordered()} if ordered else {}),
            )
            sigma = pm.HalfNormal("sigma", sigma=pri["sigma_sigma"], dims="component")
        else:
            mu = _rates(pri, K, ordered)
            if family == "negative_binomial":
                alpha = _dispersions(pri)
        z = DiscreteMarkovChain("z", P=P, init_dist=pm.Categorical.dist(p=w), dims="obs")
        if family == "normal":
            pm.Normal("y", mu=mu[z], sigma=sigma[z], observed=y, dims="obs")
        elif family == "poisson":
            pm.Poisson("y", mu=mu[z], observed=y, dims="obs")
        else:
            pm.NegativeBinomial("y", mu=mu[z], alpha=alpha[z], observed=y, dims="obs")
    if marginalized:
        from pymc_extras.marginal import marginalize

        model = marginalize(model, ["z"])
    kind = f"hmm_{family}" + ("" if marginalized else "_latent")
    spec = _Spec(kind, y, K, ordered="mu" if ordered else None, start=_hmm_start)
    return _register(model, spec)
