"""Predictive model comparison for mixtures: WAIC, and K-fold cross-validation for PyMC models.

ArviZ 1.x computes PSIS-LOO (``az.loo``), compares models (``az.compare``) and runs exact K-fold
cross-validation (``az.loo_kfold``) or refits the points where PSIS fails (``az.reloo``) -- but the
last two need a *sampling wrapper* that knows how to refit the model, and PyMC does not ship one.
This module provides it, plus the WAIC that ArviZ 1.x dropped:

- :class:`PyMCSamplingWrapper` -- an ``arviz.SamplingWrapper`` that rebuilds a PyMC model on the
  training observations with a *model builder* (e.g. ``lambda y: mixlab.models.gmm(y, K=3)``),
  samples it, and evaluates the held-out observations' log density under the refitted posterior;
  pass it to ``az.loo_kfold`` or ``az.reloo``;
- :func:`kfold` -- K-fold cross-validation in one call (builds the wrapper, runs ``az.loo_kfold``);
- :func:`waic` -- the widely applicable information criterion from the pointwise log-likelihood,
  with its standard error and the variance check of Vehtari, Gelman and Gabry (2017), as an
  ArviZ ``ELPDData`` (:class:`ELPDDataWAIC`) that prints like ``az.loo``'s result and that
  ``az.compare`` accepts;
- :func:`mixture_loo` -- mixture importance-sampling LOO (Silva & Zanella, 2023): one fit of
  a proposal that mixes all leave-one-out posteriors (:func:`mixture_proposal` builds it),
  robust where PSIS-LOO's Pareto k is high;
- :func:`elpd_table` -- one pandas table of LOO, K-fold and WAIC estimates side by side;
- :func:`fit_k_range` -- fit one model per number of components, with the pointwise
  log-likelihood that ``az.loo`` and ``az.compare`` need.

**The log-likelihood must be the marginal mixture density.** Every estimate here averages the
*predictive* density of an observation, :math:`p(y_i \\mid \\theta) = \\sum_k w_k f(y_i \\mid
\\theta_k)`, over posterior draws. A model with explicit labels ``z`` has the conditional density
:math:`f(y_i \\mid \\theta_{z_i})` as its likelihood; a held-out point has no label, and the
conditional density of a training point rewards the label it was fitted with, so it cannot serve
for prediction. Build models with :class:`pymc.NormalMixture` / :class:`pymc.Mixture` (as
:mod:`mixlab.models` does), or marginalize the labels first
(``pymc_extras.marginal.marginalize(model, ["z"])``). The wrapper refuses models with discrete free
variables.
"""

from ._checks import DEFAULT_SAMPLE_KWARGS
from ._mixture import MIXTURE_POTENTIAL, MixtureLOO, mixture_loo, mixture_proposal
from ._refit import fit_k_range, kfold
from ._waic import WAIC_VARIANCE_THRESHOLD, ELPDDataWAIC, elpd_table, waic
from ._wrapper import PyMCSamplingWrapper

__all__ = [
    "DEFAULT_SAMPLE_KWARGS",
    "MIXTURE_POTENTIAL",
    "WAIC_VARIANCE_THRESHOLD",
    "ELPDDataWAIC",
    "MixtureLOO",
    "PyMCSamplingWrapper",
    "elpd_table",
    "fit_k_range",
    "kfold",
    "mixture_loo",
    "mixture_proposal",
    "waic",
]
