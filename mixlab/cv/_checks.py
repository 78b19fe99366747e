"""Input checks shared by the refitting routines of :mod:`mixlab.cv` (wrapper, kfold, fit_k_range)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pymc as pm
import pytensor
from pymc.initial_point import make_initial_point_fn

from mixlab._validate import pick_variable

#: Sampler settings a :class:`PyMCSamplingWrapper` and :func:`fit_k_range` use unless told otherwise.
DEFAULT_SAMPLE_KWARGS = {
    "draws": 500,
    "tune": 500,
    "chains": 2,
    "nuts_sampler": "pymc",
    "progressbar": False,
    "compute_convergence_checks": False,
}


def check_fit_options(initvals, sample_kwargs, who):
    """Validate the start values and pm.sample arguments of a refitting routine; return the kwargs."""
    if initvals is not None and not (isinstance(initvals, Mapping) or callable(initvals)):
        raise TypeError(
            "initvals must be a dict of start values or a callable model -> dict such as "
            f"mixlab.models.initvals, got {type(initvals).__name__}"
        )
    if sample_kwargs is None:
        sample_kwargs = {}
    if not isinstance(sample_kwargs, Mapping):
        raise TypeError(
            f"sample_kwargs must be a dict of pm.sample arguments, got {type(sample_kwargs).__name__}"
        )
    if "model" in sample_kwargs or "initvals" in sample_kwargs:
        raise ValueError(
            f"sample_kwargs must not set model or initvals; {who} and takes start values from "
            "initvals=..."
        )
    return {**DEFAULT_SAMPLE_KWARGS, **dict(sample_kwargs)}


def check_builder(model_builder, signature="y"):
    """Check that ``model_builder`` is callable."""
    if not callable(model_builder):
        raise TypeError(
            f"model_builder must be a callable ({signature}) -> pymc.Model, e.g. "
            f"lambda {signature}: mixlab.models.gmm({signature}); got {type(model_builder).__name__}"
        )
    return model_builder


def build(model_builder, args, what):
    """``model_builder(*args)``, checked to be a ``pymc.Model``."""
    model = model_builder(*args)
    if not isinstance(model, pm.Model):
        raise TypeError(
            f"model_builder must return a pymc.Model, got {type(model).__name__} for {what}; "
            "return the model, e.g. lambda y: mixlab.models.gmm(y, K=3)"
        )
    return model


def start_values(model, initvals, what):
    """The start values for ``pm.sample`` (``initvals(model)``, the dict, or None), checked.

    The model's log density is evaluated once at the start (without jitter, with PyTensor's
    Python implementations, so nothing is compiled): a start where it is -inf or NaN -- PyMC's
    default start of an ordered mean vector puts every component at the same value, which the
    ordered transform cannot represent -- is reported here, in one line, instead of by
    ``pm.sample`` deep inside ``az.loo_kfold``.
    """
    start = initvals(model) if callable(initvals) else initvals
    with pytensor.config.change_flags(mode="FAST_COMPILE", cxx=""):
        point = make_initial_point_fn(model=model, overrides=start, jitter_rvs=set())(0)
        logps = model.point_logps(point, round_vals=12)
    bad = [name for name, value in logps.items() if not np.isfinite(value)]
    if bad:
        source = "PyMC's default start" if start is None else "the start values from initvals"
        fix = ("pass initvals=mixlab.models.initvals (or a dict of valid start values)"
               if start is None else "fix initvals")
        raise ValueError(f"the log density of {bad} is not finite at {source} for {what}; {fix}")
    return start


def check_observed(model, var_name):
    """Return the observed variable's name and first dim; refuse latent-label models."""
    observed = [rv.name for rv in model.observed_RVs]
    var_name = pick_variable(var_name, observed, where="the model", kind="observed variables")
    discrete = [rv.name for rv in model.free_RVs if rv.type.dtype.startswith(("int", "uint", "bool"))]
    if discrete:
        raise ValueError(
            f"the model has discrete free variables {discrete}: its likelihood is conditional on "
            "the labels, not the mixture density a held-out point needs; marginalize them with "
            "pymc_extras.marginal.marginalize(model, [...]) or use pm.NormalMixture / pm.Mixture"
        )
    dims = model.named_vars_to_dims.get(var_name)
    obs_dim = dims[0] if dims else f"{var_name}_dim_0"
    return var_name, obs_dim
