"""PyMC model builders for finite mixtures, and valid start values for them.

Univariate builders: :func:`gmm`, :func:`student_t_mixture`, :func:`normal_t_mixture`,
:func:`latent_gmm`, :func:`sparse_gmm` and :func:`mixture_regression`; multivariate:
:func:`mv_gmm` (with the :class:`OrderedFirstFeature` transform); for the number of components:
:func:`rg_gmm` (Richardson & Green's priors) and :func:`dp_gmm` (truncated Dirichlet process); for counts:
:func:`poisson_mixture`, :func:`negative_binomial_mixture` and :func:`zero_inflated` (zero-inflated and
hurdle models, see their docstrings for their priors); with weights that change: :func:`mixture_of_experts`
(weights that depend on a covariate) and :func:`hmm` (hidden Markov models); start values for all of them:
:func:`initvals`.

Every builder returns a :class:`pymc.Model` with the coordinates ``component`` (``0..K-1``) and
``obs`` (``0..n-1``) and the variable names the book uses everywhere (:func:`mv_gmm` adds the
coordinates ``feature`` and ``feature_bis``, the measured quantities named by ``feature_names``):

==========  ===========================================  ===========================================
name        quantity                                     dims
==========  ===========================================  ===========================================
``w``       mixture weights (one vector per observation  ``component`` (:func:`mixture_of_experts`:
            in :func:`mixture_of_experts`; the first     ``obs, component``)
            state's distribution in :func:`hmm`)
``mu``      component means (regression: intercepts)     ``component`` (:func:`mv_gmm`:
                                                         ``component, feature``)
``sigma``   component scales                             ``component`` (:func:`mv_gmm`:
                                                         ``component, feature``)
``nu``      Student-t degrees of freedom                 ``component`` (normal + t: scalar)
``alpha``   negative-binomial dispersion                 ``component`` (:func:`zero_inflated`:
                                                         scalar)
``beta``    regression slopes                            ``component``
``corr``    correlation matrices (:func:`mv_gmm`)        ``component, feature, feature_bis``
``chol_k``  packed Cholesky factor of component k's      (free variable, one per component)
            covariance (:func:`mv_gmm`; what NUTS
            samples)
``P``       transition matrix (:func:`hmm`)              ``component, component_to``
``z``       latent labels (:func:`latent_gmm`,           ``obs``
            :func:`hmm` with ``marginalized=False``)
``y``       the observations                             ``obs`` (:func:`mv_gmm`: ``obs, feature``)
==========  ===========================================  ===========================================

**Start values.** An ordered transform (used to break label switching, see
Betancourt, 2017) maps ``mu`` to ``(mu[0], log(mu[1] - mu[0]), ...)``. PyMC's
default start puts every component at the same point, the log of a zero gap is ``-inf`` and the
sampler fails before its first step (PyMC issues 4722 and 7438). Setting ``initval=`` inside the
model avoids that but, in PyMC 6.3, breaks :func:`pymc.compute_log_likelihood` and
``pymc_extras.marginal.marginalize`` ("Cannot convert models with non-default initial_values").
So the builders never set ``initval=``; instead :func:`initvals` returns a valid start as a plain
dict that you pass, and can read or edit, at sampling time::

    model = gmm(y, K=3)
    idata = pm.sample(model=model, initvals=initvals(model))

The dict works with PyMC's NUTS, with nutpie (PyMC's default sampler when it is installed; it
receives the dict as its ``initial_points`` and adds its usual jitter) and with the compound
NUTS + Gibbs sampler of :func:`latent_gmm`.

**Priors.** Defaults are weakly informative and scaled to the data (so that rescaling ``y``
rescales the prior), following Richardson and Green (1997): with ``m`` the midpoint and ``R`` the
range of ``y`` and ``s`` its standard deviation,

- ``w ~ Dirichlet(1, ..., 1)`` (uniform on the simplex);
- ``mu ~ Normal(m, R)``: every location inside the data range is plausible a priori;
- ``sigma ~ HalfNormal(s)``: no component is wider than the data as a whole, a priori;
- ``nu ~ Gamma(2, 0.1)`` (mean 20) for Student-t components (Juárez and Steel, 2010).

If all values of ``y`` are equal, ``R`` and ``s`` are replaced by 1. Every builder takes
``priors={...}`` to override any of these by key (see each builder for its keys); a value is a
number or one number per component.
For :func:`mv_gmm` the same defaults hold per feature, with an ``LKJ(eta=2)`` prior on each
component's correlation matrix.

Every builder checks its input at the door with the same rules and messages: ``y`` finite and of
the right rank, ``K`` an integer between 1 (or 2) and the number of observations, data whose scale
float64 cannot square rejected with a hint to rescale, and ``priors`` with known keys and valid
values only.
"""

from mixlab.models.counts import negative_binomial_mixture, poisson_mixture, zero_inflated
from mixlab.models.dynamic import hmm, mixture_of_experts
from mixlab.models.multivariate import OrderedFirstFeature, mv_gmm
from mixlab.models.regression import mixture_regression
from mixlab.models.start import initvals
from mixlab.models.univariate import (
    gmm,
    latent_gmm,
    normal_t_mixture,
    sparse_gmm,
    student_t_mixture,
)
from mixlab.models.unknown_k import dp_gmm, rg_gmm, rg_priors

__all__ = [
    "OrderedFirstFeature",
    "dp_gmm",
    "gmm",
    "hmm",
    "initvals",
    "latent_gmm",
    "mixture_of_experts",
    "mixture_regression",
    "mv_gmm",
    "negative_binomial_mixture",
    "normal_t_mixture",
    "poisson_mixture",
    "rg_gmm",
    "rg_priors",
    "sparse_gmm",
    "student_t_mixture",
    "zero_inflated",
]
