"""Exact label probabilities from models whose discrete labels were summed out.

A mixture written with explicit labels, ``z_i ~ Categorical(w)`` and ``y_i ~ Normal(mu[z_i],
sigma[z_i])``, cannot be sampled by NUTS alone because ``z`` is discrete. pymc-extras'
``marginalize(model, ["z"])`` sums the labels out, leaving the mixture likelihood
``p(y_i) = sum_k w_k f_k(y_i)``, which NUTS samples well. The labels are not lost: given a posterior
draw of the continuous parameters, each label has the exact conditional distribution

.. math:: \\Pr(z_i = k \\mid y, \\theta) = \\frac{w_k f_k(y_i)}{\\sum_j w_j f_j(y_i)}.

In pymc-extras 0.15 ``recover(idata, model=...)`` draws *samples* of ``z`` from that distribution (its
older ``lp_z`` output, the log-probabilities, is gone). :func:`label_probs` returns the probabilities
themselves, computed by pymc-extras' ``conditional(model, "z")`` and ``Model.compile_logp``, for every
posterior draw, in one call.

The module has two functions:

- :func:`marginalize_labels` -- ``marginalize(model, [var_name])`` with checks and clear errors;
- :func:`label_probs` -- ``Pr(z_i = k | y, theta)`` for every draw, as a DataArray
  ``(chain, draw, obs, component)``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from mixlab._validate import check_dims, check_group

__all__ = ["label_probs", "marginalize_labels"]

#: Distributions pymc-extras can sum out (finite discrete support).
_FINITE_DISCRETE = ("CategoricalRV", "BernoulliRV", "DiscreteUniformRV", "DiscreteMarkovChainRV")


def _check_model(model, name="model"):
    import pymc as pm

    if not isinstance(model, pm.Model):
        raise TypeError(f"{name} must be a pymc.Model, got {type(model).__name__}")
    return model


def _check_var_name(var_name):
    if not isinstance(var_name, str) or not var_name:
        raise TypeError(f"var_name must be the name of a model variable (a str), got {var_name!r}")
    return var_name


def _marginalized_names(model):
    """Names of the variables that ``model`` has summed out (empty if none)."""
    from pymc.model.fgraph import fgraph_from_model
    from pymc_extras.model.marginal.marginalize import _walk_marginal_ops

    fg, _ = fgraph_from_model(model)
    return [op.marginalized_name for op in _walk_marginal_ops(fg)]


def marginalize_labels(model, var_name="z"):
    """Return a copy of ``model`` with the discrete labels ``var_name`` summed out.

    A thin, checked wrapper around ``pymc_extras.marginal.marginalize(model, [var_name])``: the result
    has the same continuous variables, no ``var_name``, and a likelihood in which each observation's
    density is the weighted sum over the label's values (computed with log-sum-exp). Sample it with
    NUTS; get the labels back with :func:`label_probs` (probabilities) or
    ``pymc_extras.marginal.recover`` (draws).

    Parameters
    ----------
    model : pymc.Model
        A model with a finite discrete free variable ``var_name`` (Categorical, Bernoulli,
        DiscreteUniform or pymc-extras' DiscreteMarkovChain), e.g. :func:`mixlab.models.latent_gmm`.
    var_name : str, default "z"
        Name of the label variable.

    Returns
    -------
    pymc.Model
        A new model; ``model`` is left unchanged.

    Raises
    ------
    TypeError
        If ``model`` is not a ``pymc.Model`` or ``var_name`` not a string.
    ValueError
        If ``var_name`` is not a free variable of ``model``, is already marginalized, or is not a
        finite discrete variable.

    References
    ----------
    pymc-extras documentation, "Marginalization" (``pymc_extras.marginal``).

    Examples
    --------
    >>> import numpy as np, pymc as pm
    >>> from mixlab.marginal import marginalize_labels
    >>> with pm.Model(coords={"component": [0, 1], "obs": range(4)}) as latent:
    ...     w = pm.Dirichlet("w", np.ones(2), dims="component")
    ...     z = pm.Categorical("z", p=w, dims="obs")
    ...     y = pm.Normal("y", mu=pm.math.stack([-1.0, 1.0])[z], observed=[-1, -1, 1, 1], dims="obs")
    >>> marginal = marginalize_labels(latent, "z")
    >>> [rv.name for rv in marginal.free_RVs]
    ['w']
    """
    from pymc_extras.marginal import marginalize

    model = _check_model(model)
    var_name = _check_var_name(var_name)
    free = [rv.name for rv in model.free_RVs]
    if var_name not in free:
        if var_name in _marginalized_names(model):
            raise ValueError(
                f"'{var_name}' is already marginalized in this model; pass it to label_probs "
                f"or sample it directly"
            )
        raise ValueError(
            f"model has no free variable '{var_name}' (free variables: {', '.join(free) or 'none'}); "
            f"pass var_name=..."
        )
    op_name = type(model[var_name].owner.op).__name__
    if op_name not in _FINITE_DISCRETE:
        raise ValueError(
            f"'{var_name}' is a {op_name.removesuffix('RV')} variable; only finite discrete "
            f"variables (Categorical, Bernoulli, DiscreteUniform, DiscreteMarkovChain) can be "
            f"summed out"
        )
    return marginalize(model, [var_name])


def _conditional_logp(model, var_name):
    """Compile ``log Pr(var_name | rest)`` element-wise.

    Returns the conditional model (value transforms removed, so it takes constrained values), the
    compiled point function, the names of its other inputs, the symbolic domain of the label, the
    shape of every value variable and the label's dims.
    """
    from pymc.model.transform.conditioning import remove_value_transforms
    from pymc_extras.marginal import conditional
    from pymc_extras.model.marginal.distributions.enumerable import (
        get_domain_of_finite_discrete_rv,
    )

    cond = remove_value_transforms(conditional(model, var_name))
    kind = type(cond[var_name].owner.op).__name__
    if kind != "CategoricalRV":
        raise ValueError(
            f"label_probs handles Categorical and Bernoulli labels, whose conditional is "
            f"Categorical; the conditional of '{var_name}' is of type {kind}: draw it with "
            f"pymc_extras.marginal.recover instead"
        )
    logp_fn = cond.compile_logp(vars=[cond[var_name]], sum=False)
    inputs = [v.name for v in cond.value_vars if v.name != var_name]
    domain = get_domain_of_finite_discrete_rv(cond[var_name])
    shapes = {v.name: tuple(s) for v, s in zip(cond.value_vars, _point_shapes(cond), strict=True)}
    dims = cond.named_vars_to_dims.get(var_name)
    return cond, logp_fn, inputs, domain, shapes, dims


def _point_shapes(model):
    point = model.initial_point()
    return [np.shape(point[v.name]) for v in model.value_vars]


def label_probs(
    model,
    idata,
    *,
    var_name="z",
    group="posterior",
    sample_dims=("chain", "draw"),
    dim="component",
    log=False,
):
    """Exact per-observation label probabilities ``Pr(z_i = k | y, theta)`` for every posterior draw.

    Builds the conditional distribution of the marginalized labels with pymc-extras'
    ``conditional(model, var_name)``, compiles its element-wise log-probability with
    ``Model.compile_logp(vars=[...], sum=False)`` once, and evaluates it at every posterior draw for
    every label value. Averaging the result over draws gives each observation's posterior membership
    probabilities; unlike the draws that ``pymc_extras.marginal.recover`` returns, these carry no
    Monte Carlo noise from sampling the labels (a Rao-Blackwellized estimate).

    Parameters
    ----------
    model : pymc.Model
        The model the posterior was sampled from, with ``var_name`` marginalized (the output of
        :func:`marginalize_labels` or ``pymc_extras.marginal.marginalize``). A model in which
        ``var_name`` is still a free variable (e.g. sampled with a compound Gibbs step) is
        marginalized first, so the same call gives exact probabilities for that posterior too.
        The label must be a Categorical or Bernoulli variable whose elements are independent given
        the other parameters, as in a mixture (each observation depends on its own label); for
        hidden Markov chains draw the labels with ``pymc_extras.marginal.recover``.
    idata : xarray.DataTree, arviz.InferenceData or xarray.Dataset
        Posterior draws of every continuous free variable of ``model`` (what ``pm.sample`` returns);
        a Dataset is taken to be the group itself.
    var_name : str, default "z"
        Name of the marginalized label variable.
    group : str, default "posterior"
        Group of ``idata`` holding the draws.
    sample_dims : tuple of str, default ("chain", "draw")
        The sample dimensions of the group.
    dim : str, default "component"
        Name of the output dimension that indexes the label's values; its coordinates are taken
        from the model's coordinates of that name when their length matches.
    log : bool, default False
        Return log-probabilities instead of probabilities.

    Returns
    -------
    xarray.DataArray
        Dims ``(*sample_dims, *label_dims, dim)``, e.g. ``(chain, draw, obs, component)`` for a label
        with ``dims="obs"``; probabilities sum to 1 over ``dim``. Named ``f"{var_name}_probs"``
        (``f"{var_name}_logp"`` with ``log=True``).

    Raises
    ------
    TypeError
        For a wrong kind of ``model``, ``idata`` or ``var_name``.
    ValueError
        If ``var_name`` is not a (marginalized or free) label of ``model`` or its conditional is not
        Categorical, if the group lacks ``sample_dims`` or a variable the model needs, or if a
        variable has the wrong shape.

    See Also
    --------
    mixlab.invariants.assignment_probs : the same probabilities computed from the posterior alone.

    References
    ----------
    pymc-extras documentation, ``pymc_extras.marginal.conditional`` and ``recover``.

    Examples
    --------
    >>> import numpy as np, pymc as pm, xarray as xr
    >>> from mixlab.marginal import label_probs, marginalize_labels
    >>> coords = {"component": [0, 1], "obs": range(3)}
    >>> with pm.Model(coords=coords) as latent:
    ...     w = pm.Dirichlet("w", np.ones(2), dims="component")
    ...     mu = pm.Normal("mu", 0, 5, dims="component")
    ...     z = pm.Categorical("z", p=w, dims="obs")
    ...     y = pm.Normal("y", mu=mu[z], sigma=1.0, observed=[-2.0, 0.0, 2.0], dims="obs")
    >>> marginal = marginalize_labels(latent)
    >>> posterior = xr.Dataset({  # one chain, one draw: w = (0.5, 0.5), mu = (-2, 2)
    ...     "w": (("chain", "draw", "component"), [[[0.5, 0.5]]]),
    ...     "mu": (("chain", "draw", "component"), [[[-2.0, 2.0]]]),
    ... })
    >>> p = label_probs(marginal, posterior)
    >>> p.dims
    ('chain', 'draw', 'obs', 'component')
    >>> p.isel(chain=0, draw=0).sel(component=0).values.round(4).tolist()
    [0.9997, 0.5, 0.0003]
    >>> bool(np.allclose(p.sum("component"), 1.0))
    True
    """
    model = _check_model(model)
    var_name = _check_var_name(var_name)
    if isinstance(log, np.bool_):
        log = bool(log)
    if not isinstance(log, bool):
        raise TypeError(f"log must be True or False, got {log!r}")
    if isinstance(sample_dims, str):
        sample_dims = (sample_dims,)
    sample_dims = tuple(sample_dims)
    ds = check_group(idata, group)
    check_dims(ds, sample_dims, name=group)

    if var_name in [rv.name for rv in model.free_RVs]:
        model = marginalize_labels(model, var_name)
    else:
        marginalized = _marginalized_names(model)
        if var_name not in marginalized:
            have = ", ".join(marginalized) or "none"
            raise ValueError(
                f"model has no marginalized variable '{var_name}' (marginalized: {have}); "
                f"pass the model returned by marginalize_labels(model, '{var_name}')"
            )

    needed = [rv.name for rv in model.free_RVs]
    missing = [v for v in needed if v not in ds.data_vars]
    if missing:
        raise ValueError(
            f"{group} has no variable(s) {missing} that the model needs; pass the posterior sampled "
            f"from this model"
        )
    cond, logp_fn, inputs, domain, shapes, label_dims = _conditional_logp(model, var_name)
    values = {}
    for v in inputs:
        da = ds[v]
        check_dims(da, sample_dims, name=f"{group} variable '{v}'")
        other = [d for d in da.dims if d not in sample_dims]
        da = da.transpose(*sample_dims, *other)
        if tuple(da.shape[len(sample_dims):]) != shapes[v]:
            raise ValueError(
                f"{group} variable '{v}' has shape {tuple(da.shape[len(sample_dims):])} per draw but "
                f"the model expects {shapes[v]}; pass the posterior sampled from this model"
            )
        values[v] = da.values.reshape((-1, *shapes[v]))

    sample_shape = tuple(ds.sizes[d] for d in sample_dims)
    n_samples = int(np.prod(sample_shape))
    try:
        states = np.asarray(domain.eval())
    except Exception:  # the number of states depends on the model's inputs: evaluate at a draw
        import pytensor

        fn = pytensor.function(
            [cond.rvs_to_values[cond[v]] for v in inputs], domain, on_unused_input="ignore"
        )
        states = np.asarray(fn(*[values[v][0] for v in inputs]))
    label_shape = shapes[var_name]
    if label_dims is None:
        label_dims = tuple(f"{var_name}_dim_{i}" for i in range(len(label_shape)))
    label_dims = tuple(label_dims)
    if dim in label_dims or dim in sample_dims:
        raise ValueError(f"dim='{dim}' is already a dimension of '{var_name}'; pass another dim name")

    out = np.empty((n_samples, *label_shape, states.size))
    for s in range(n_samples):
        point = {v: values[v][s] for v in inputs}
        for j, k in enumerate(states):
            point[var_name] = np.full(label_shape, k, dtype=np.int64)
            out[s, ..., j] = logp_fn(point)[0]

    coords = {d: ds[d].values for d in sample_dims if d in ds.coords}
    for d, size in zip(label_dims, label_shape, strict=True):
        if d in model.coords and model.coords[d] is not None and len(model.coords[d]) == size:
            coords[d] = np.asarray(model.coords[d])
    model_coord = model.coords.get(dim)
    if model_coord is not None and len(model_coord) == states.size:
        coords[dim] = np.asarray(model_coord)
    else:
        coords[dim] = states
    result = out.reshape((*sample_shape, *label_shape, states.size))
    if not log:
        result = np.exp(result)
    return xr.DataArray(
        result,
        dims=(*sample_dims, *label_dims, dim),
        coords=coords,
        name=f"{var_name}_logp" if log else f"{var_name}_probs",
    )
