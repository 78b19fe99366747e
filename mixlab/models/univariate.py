"""Builders for univariate mixtures: Gaussian, Student-t, Normal + Student-t, latent-label and
sparse (overfitted) Gaussian mixtures."""

from __future__ import annotations

import numbers

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.distributions.transforms import Ordered

from mixlab._validate import broadcast_per, check_positive
from mixlab.models._common import (
    _check_bool,
    _check_K,
    _check_y,
    _coords,
    _data_scales,
    _location_scale_defaults,
    _register,
    _resolve_priors,
    _Spec,
)

__all__ = ["gmm", "latent_gmm", "normal_t_mixture", "sparse_gmm", "student_t_mixture"]

#: Default Dirichlet concentration of :func:`sparse_gmm` (see its docstring for the choice).
_SPARSE_ALPHA = 0.01


def _weights_and_locations(y, K, pri, ordered, *, mu_dims="component"):
    """Add ``w`` and ``mu`` (ordered when asked and K >= 2) to the model on the context stack."""
    w = pm.Dirichlet("w", a=pri["w_alpha"], dims="component")
    kwargs = {"transform": Ordered()} if ordered and K >= 2 else {}
    mu = pm.Normal("mu", mu=pri["mu_mu"], sigma=pri["mu_sigma"], dims=mu_dims, **kwargs)
    return w, mu


def gmm(y, K, *, ordered=True, priors=None):
    """Build a K-component Gaussian mixture for univariate data, with the labels marginalized.

    .. math::

        y_i \\sim \\sum_{k} w_k \\, \\mathrm{Normal}(\\mu_k, \\sigma_k), \\quad
        w \\sim \\mathrm{Dirichlet}(a), \\quad \\mu_k \\sim \\mathrm{Normal}(m_0, s_0), \\quad
        \\sigma_k \\sim \\mathrm{HalfNormal}(t_0)

    The likelihood is :class:`pymc.NormalMixture`, which sums the labels out, so NUTS samples
    only continuous parameters and ``pm.compute_log_likelihood`` gives the mixture density of
    each observation.

    Parameters
    ----------
    y : array_like, shape (n,)
        Observations; finite, at least one.
    K : int
        Number of components, at least 1.
    ordered : bool, default True
        Constrain ``mu[0] < mu[1] < ...`` with an ordered transform, which removes label
        switching between components whose means differ. Ignored when ``K == 1``. Sample with
        ``initvals=initvals(model)``: PyMC's default start is invalid for the ordered transform.
    priors : dict, optional
        Overrides, by key: ``w_alpha`` (Dirichlet concentration, default 1), ``mu_mu`` (default
        the midpoint of ``y``'s range), ``mu_sigma`` (default the range of ``y``),
        ``sigma_sigma`` (HalfNormal scale, default ``sd(y)``). Values are positive numbers
        (``mu_mu``: any real) or one number per component.

    Returns
    -------
    pymc.Model
        Free variables ``w``, ``mu``, ``sigma`` (dims ``component``); observed ``y`` (dims
        ``obs``).

    Raises
    ------
    TypeError
        If ``y`` is not numeric, ``K`` is not an integer, ``ordered`` is not a bool or ``priors``
        is not a dict.
    ValueError
        If ``y`` is not 1-D, is empty or holds NaN/inf, its scale overflows float64 (rescale it),
        ``K < 1`` or ``K`` exceeds the number of observations, or ``priors`` has an unknown key or
        a bad value (wrong length, NaN, not positive).

    References
    ----------
    Richardson, S. and Green, P. J. (1997). On Bayesian analysis of mixtures with an unknown
    number of components. *JRSS-B* 59, 731-792.

    Betancourt, M. (2017). Identifying Bayesian mixture models. Stan case study.

    Examples
    --------
    >>> from mixlab.models import gmm, initvals
    >>> from mixlab.simulate import simulate_gmm
    >>> y, _ = simulate_gmm([0.5, 0.5], [-2.0, 2.0], [1.0, 1.0], n=100, rng=0)
    >>> model = gmm(y, K=2)
    >>> [v.name for v in model.free_RVs], model.named_vars_to_dims["mu"]
    (['w', 'mu', 'sigma'], ('component',))
    >>> gmm(y, K=2, priors={"mu_sd": 3.0})
    Traceback (most recent call last):
    ...
    ValueError: priors has unknown key(s) ['mu_sd'] for gmm; known keys: w_alpha, mu_mu, mu_sigma, sigma_sigma

    Sampling (not run here): ``pm.sample(model=model, initvals=initvals(model))``.
    """
    y = _check_y(y)
    K = _check_K(K, y.size)
    ordered = _check_bool(ordered, "ordered")
    pri = _resolve_priors(priors, _location_scale_defaults(y), {"component": K}, "gmm")
    with pm.Model(coords=_coords(K, y.size)) as model:
        w, mu = _weights_and_locations(y, K, pri, ordered)
        sigma = pm.HalfNormal("sigma", sigma=pri["sigma_sigma"], dims="component")
        pm.NormalMixture("y", w=w, mu=mu, sigma=sigma, observed=y, dims="obs")
    return _register(model, _Spec("gmm", y, K, ordered="mu" if ordered and K >= 2 else None))


def student_t_mixture(y, K, *, ordered=True, nu=None, priors=None):
    """Build a K-component mixture of Student-t distributions (heavy-tailed clusters).

    Same structure and defaults as :func:`gmm`, with Student-t components built as one vectorised
    ``pm.StudentT.dist`` (component axis last) inside :class:`pymc.Mixture`. A Student-t
    component absorbs a few far-out points instead of spending a whole component on them.

    Parameters
    ----------
    y, K
        Observations and number of components, as in :func:`gmm`.
    ordered : bool, default True
        Ordered means, as in :func:`gmm`.
    nu : float or array_like of shape (K,), optional
        Fixed degrees of freedom (positive). ``None`` (default) makes them free parameters with
        a ``Gamma(nu_alpha, nu_beta)`` prior, default ``Gamma(2, 0.1)`` (mean 20, a fifth of the
        mass below 5; Juárez and Steel, 2010). A fixed ``nu`` is stored as a deterministic
        ``nu`` (dims ``component``) so that the posterior holds every parameter of the density.
    priors : dict, optional
        Keys of :func:`gmm` plus ``nu_alpha`` and ``nu_beta`` (only when ``nu`` is ``None``).

    Returns
    -------
    pymc.Model
        Free variables ``w``, ``mu``, ``sigma`` and, when ``nu`` is ``None``, ``nu`` (all dims
        ``component``); observed ``y`` (dims ``obs``).

    Raises
    ------
    TypeError
        As :func:`gmm`.
    ValueError
        As :func:`gmm`, or if ``nu`` is not positive or has the wrong length.

    References
    ----------
    Juárez, M. A. and Steel, M. F. J. (2010). Model-based clustering of non-Gaussian panel data
    based on skew-t distributions. *Journal of Business & Economic Statistics* 28, 52-66.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.models import initvals, student_t_mixture
    >>> y = np.r_[np.linspace(-3, -1, 20), np.linspace(1, 3, 20), 40.0]
    >>> model = student_t_mixture(y, K=2)
    >>> sorted(initvals(model))
    ['mu', 'nu', 'sigma', 'w']
    >>> fixed = student_t_mixture(y, K=2, nu=4)
    >>> [v.name for v in fixed.free_RVs], [v.name for v in fixed.deterministics]
    (['w', 'mu', 'sigma'], ['nu'])
    """
    y = _check_y(y)
    K = _check_K(K, y.size)
    ordered = _check_bool(ordered, "ordered")
    defaults = _location_scale_defaults(y)
    if nu is None:
        defaults |= {"nu_alpha": (2.0, "positive", "component"),
                     "nu_beta": (0.1, "positive", "component")}
    else:
        if isinstance(nu, bool):
            raise TypeError(f"nu must be None, a positive number or one per component, got {nu!r}")
        nu_fixed = broadcast_per(check_positive(nu, "nu"), "nu", K)
    pri = _resolve_priors(priors, defaults, {"component": K}, "student_t_mixture")
    with pm.Model(coords=_coords(K, y.size)) as model:
        w, mu = _weights_and_locations(y, K, pri, ordered)
        sigma = pm.HalfNormal("sigma", sigma=pri["sigma_sigma"], dims="component")
        if nu is None:
            nu_var = pm.Gamma("nu", alpha=pri["nu_alpha"], beta=pri["nu_beta"], dims="component")
        else:
            nu_var = pm.Deterministic("nu", pt.as_tensor(nu_fixed), dims="component")
        components = pm.StudentT.dist(nu=nu_var, mu=mu, sigma=sigma)
        pm.Mixture("y", w=w, comp_dists=components, observed=y, dims="obs")
    spec = _Spec("student_t", y, K, ordered="mu" if ordered and K >= 2 else None,
                 free_nu=nu is None)
    return _register(model, spec)


def normal_t_mixture(y, *, priors=None):
    """Build a Normal bulk plus a wide Student-t outlier component (a heterogeneous mixture).

    Component 0 is ``Normal(mu[0], sigma[0])``, the bulk of the data; component 1 is
    ``StudentT(nu, mu[1], sigma[1])``, which soaks up outliers. The two are passed to
    :class:`pymc.Mixture` as a *list* of distributions of different families. The scales carry
    an ordered transform (chained after their default log transform), ``sigma[0] < sigma[1]``,
    so component 1 is the wider one by
    construction and the two roles cannot swap.

    Membership probabilities need the family of each component:
    ``mixlab.invariants.assignment_probs(idata, y, family=["normal", "student_t"])``.

    Parameters
    ----------
    y : array_like, shape (n,)
        Observations; finite, at least one.
    priors : dict, optional
        Keys ``w_alpha`` (default 1), ``mu_mu`` (midpoint of ``y``), ``mu_sigma`` (range of
        ``y``), ``sigma_sigma`` (default ``sd(y)`` for the bulk and ``range(y)`` for the outlier
        component, so that it can be much wider than the bulk), ``nu_alpha`` and ``nu_beta``
        (scalar ``nu ~ Gamma(2, 0.1)``). Per-component keys accept one number or two.

    Returns
    -------
    pymc.Model
        Free variables ``w``, ``mu``, ``sigma`` (dims ``component``, length 2) and a scalar
        ``nu``; observed ``y`` (dims ``obs``). Start values: :func:`initvals`.

    Raises
    ------
    TypeError
        If ``y`` is not numeric or ``priors`` is not a dict.
    ValueError
        If ``y`` is not 1-D, has fewer than 2 values or holds NaN/inf, its scale overflows
        float64, or ``priors`` has an unknown key or a bad value.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.models import initvals, normal_t_mixture
    >>> y = np.r_[np.linspace(-1, 1, 30), -15.0, 22.0]
    >>> model = normal_t_mixture(y)
    >>> model.named_vars_to_dims["sigma"], model.named_vars_to_dims.get("nu")
    (('component',), None)
    >>> start = initvals(model)
    >>> bool(start["sigma"][0] < start["sigma"][1])  # the ordered scales start valid
    True
    """
    y = _check_y(y)
    if y.size < 2:
        raise ValueError(
            f"normal_t_mixture has 2 components and needs at least 2 observations, got {y.size}"
        )
    defaults = _location_scale_defaults(y)
    _, y_range, sd = _data_scales(y)
    defaults["sigma_sigma"] = (np.array([sd, max(y_range, sd)]), "positive", "component")
    defaults |= {"nu_alpha": (2.0, "positive", None), "nu_beta": (0.1, "positive", None)}
    pri = _resolve_priors(priors, defaults, {"component": 2}, "normal_t_mixture")
    with pm.Model(coords=_coords(2, y.size)) as model:
        w, mu = _weights_and_locations(y, 2, pri, ordered=False)
        sigma = pm.HalfNormal(
            "sigma", sigma=pri["sigma_sigma"], dims="component", transform=Ordered()
        )
        nu = pm.Gamma("nu", alpha=pri["nu_alpha"], beta=pri["nu_beta"])
        components = [
            pm.Normal.dist(mu=mu[0], sigma=sigma[0]),
            pm.StudentT.dist(nu=nu, mu=mu[1], sigma=sigma[1]),
        ]
        pm.Mixture("y", w=w, comp_dists=components, observed=y, dims="obs")
    return _register(model, _Spec("normal_t", y, 2, ordered="sigma", free_nu=True))


def latent_gmm(y, K, *, priors=None):
    """Build a Gaussian mixture with explicit labels ``z`` (the data-augmentation form).

    .. math::

        z_i \\sim \\mathrm{Categorical}(w), \\quad y_i \\sim \\mathrm{Normal}(\\mu_{z_i}, \\sigma_{z_i})

    Same priors as :func:`gmm`, with ordered means. ``pm.sample`` assigns NUTS to ``w``, ``mu``,
    ``sigma`` and a Gibbs sampler to ``z`` (``BinaryGibbsMetropolis`` for K = 2,
    ``CategoricalGibbsMetropolis`` otherwise). This is the model the marginalization chapter
    starts from: ``pymc_extras.marginal.marginalize(model, ["z"])`` turns it into the mixture
    likelihood of :func:`gmm` and ``pymc_extras.marginal.recover(idata, model=...)`` brings back
    the labels' posterior. Start the marginalized model with
    ``initvals(model, var_names=["w", "mu", "sigma"])``.

    Note that ``pm.compute_log_likelihood`` on this model gives the density of ``y_i`` *given*
    ``z_i``, not the mixture density; compute it on the marginalized model for LOO.

    Parameters
    ----------
    y, K
        Observations and number of components (at least 2 here), as in :func:`gmm`.
    priors : dict, optional
        As :func:`gmm`.

    Returns
    -------
    pymc.Model
        Free variables ``w``, ``mu``, ``sigma`` (dims ``component``) and ``z`` (dims ``obs``);
        observed ``y`` (dims ``obs``).

    Raises
    ------
    TypeError
        If ``y`` is not numeric, ``K`` is not an integer or ``priors`` is not a dict.
    ValueError
        As :func:`gmm`, or if ``K < 2``.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.models import initvals, latent_gmm
    >>> y = np.array([-2.0, -1.5, -2.5, 3.0, 2.5, 3.5])
    >>> model = latent_gmm(y, K=2)
    >>> model.named_vars_to_dims["z"]
    ('obs',)
    >>> initvals(model)["z"]
    array([0, 0, 0, 1, 1, 1])
    """
    y = _check_y(y)
    K = _check_K(K, y.size, minimum=2)
    pri = _resolve_priors(priors, _location_scale_defaults(y), {"component": K}, "latent_gmm")
    with pm.Model(coords=_coords(K, y.size)) as model:
        w, mu = _weights_and_locations(y, K, pri, ordered=True)
        sigma = pm.HalfNormal("sigma", sigma=pri["sigma_sigma"], dims="component")
        z = pm.Categorical("z", p=w, dims="obs")
        pm.Normal("y", mu=mu[z], sigma=sigma[z], observed=y, dims="obs")
    return _register(model, _Spec("latent", y, K, ordered="mu"))


def sparse_gmm(y, K_max=10, alpha=None, *, ordered=False, priors=None):
    """Build an overfitted ("sparse") Gaussian mixture that empties the components it does not need.

    A :func:`gmm` with deliberately too many components, ``K_max``, and a symmetric
    ``Dirichlet(alpha, ..., alpha)`` prior on the weights with a small ``alpha``. Rousseau and
    Mengersen (2011) showed that when ``alpha < d / 2``, where ``d`` is the number of parameters
    of one component (``d = 2`` here: mean and scale), the posterior of an overfitted mixture
    empties the superfluous components instead of splitting a true one in two. Malsiner-Walli,
    Frühwirth-Schnatter and Grün (2016) found that at realistic sample sizes the concentration
    must be far below that bound (they use values such as 0.01), and that the number of *occupied*
    components then estimates the number of clusters.

    The default ``alpha = 0.01`` follows that advice rather than the asymptotic bound alone. On
    200 points from three well-separated clusters with ``K_max = 10`` (checked while writing this
    module), ``alpha = 0.01`` left exactly three components occupied in 93% of the draws, whereas
    ``alpha = 1 / K_max = 0.1`` did so in only 38% (the most frequent count was four: small
    spurious components kept a few points each). The price is geometry: an empty component's
    weight has almost no pull towards any value below ~1e-3, NUTS needs long trajectories (tree
    depth 9) and may report a handful of divergences; sample with ``target_accept=0.9`` or higher
    and check them.

    Parameters
    ----------
    y : array_like, shape (n,)
        Observations; finite, at least one.
    K_max : int, default 10
        Number of components in the overfitted model, at least 2.
    alpha : float, optional
        Dirichlet concentration (positive); default 0.01.
    ordered : bool, default False
        Ordered means. Off by default: the number of occupied components, the quantity of interest,
        does not depend on the labels, and the empty components' means, drawn from the prior,
        would otherwise be squeezed between the occupied ones.
    priors : dict, optional
        As :func:`gmm` except ``w_alpha`` (use ``alpha``).

    Returns
    -------
    pymc.Model
        Free variables ``w``, ``mu``, ``sigma`` (dims ``component``, length ``K_max``); observed
        ``y`` (dims ``obs``). Count occupied components with ``mixlab.invariants.n_occupied``.

    Raises
    ------
    TypeError
        If ``y`` is not numeric, ``K_max`` is not an integer, ``alpha`` is not a number,
        ``ordered`` is not a bool or ``priors`` is not a dict.
    ValueError
        As :func:`gmm` (with ``K_max`` for ``K``), or if ``K_max < 2``, ``alpha <= 0`` or
        ``priors`` has the key ``w_alpha``.

    References
    ----------
    Rousseau, J. and Mengersen, K. (2011). Asymptotic behaviour of the posterior distribution in
    overfitted mixture models. *JRSS-B* 73, 689-710.

    Malsiner-Walli, G., Frühwirth-Schnatter, S. and Grün, B. (2016). Model-based clustering based
    on sparse finite Gaussian mixtures. *Statistics and Computing* 26, 303-324.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.models import sparse_gmm
    >>> y = np.r_[np.linspace(-3, -1, 20), np.linspace(4, 6, 20)]
    >>> model = sparse_gmm(y, K_max=6)
    >>> model.coords["component"]
    (0, 1, 2, 3, 4, 5)
    >>> sparse_gmm(y, K_max=6, priors={"w_alpha": 0.5})
    Traceback (most recent call last):
    ...
    ValueError: sparse_gmm sets the weights' concentration with alpha=..., not priors['w_alpha']
    """
    y = _check_y(y)
    K_max = _check_K(K_max, y.size, "K_max", minimum=2)
    ordered = _check_bool(ordered, "ordered")
    if alpha is None:
        alpha = _SPARSE_ALPHA
    elif isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"alpha must be a positive number such as 0.1, got {alpha!r}")
    alpha = float(check_positive(alpha, "alpha"))
    if isinstance(priors, dict) and "w_alpha" in priors:
        raise ValueError(
            "sparse_gmm sets the weights' concentration with alpha=..., not priors['w_alpha']"
        )
    defaults = _location_scale_defaults(y)
    defaults["w_alpha"] = (alpha, "positive", "component")
    pri = _resolve_priors(priors, defaults, {"component": K_max}, "sparse_gmm")
    with pm.Model(coords=_coords(K_max, y.size)) as model:
        w, mu = _weights_and_locations(y, K_max, pri, ordered)
        sigma = pm.HalfNormal("sigma", sigma=pri["sigma_sigma"], dims="component")
        pm.NormalMixture("y", w=w, mu=mu, sigma=sigma, observed=y, dims="obs")
    return _register(model, _Spec("sparse", y, K_max, ordered="mu" if ordered else None))
