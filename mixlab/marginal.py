"""Exact label probabilities from models whose discrete labels were summed out.

A mixture written with explicit labels, ``z_i ~ Categorical(w)`` and ``y_i ~ Normal(mu[z_i],
sigma[z_i])``, cannot be sampled by NUTS alone because ``z`` is discrete. pymc-extras'
``marginalize(model, ["z"])`` sums the labels out, leaving the mixture likelihood
``p(y_i) = sum_k w_k f_k(y_i)``, which NUTS samples well. The labels are not lost: given a posterior
draw of the continuous parameters, each label has the exact conditional distribution

.. math:: \\Pr(z_i = k \\mid y, \\theta) = \\frac{w_k f_k(y_i)}{\\sum_j w_j f_j(y_i)}.

In pymc-extras 0.15 ``recover(idata, model=...)`` draws *samples* of ``z`` from that distribution (its
older ``lp_z`` output, the log-probabilities, is gone). :func:`label_probs` returns the probabilities
themselves: the parameter of the Categorical that pymc-extras' ``conditional(model, "z")`` builds,
evaluated at every posterior draw by one compiled function (the graph vectorized over the draws with
PyTensor's ``vectorize_graph``). Only public pymc-extras names are used (``marginalize``,
``unmarginalize``, ``conditional``).

The module has two functions:

- :func:`marginalize_labels` -- ``marginalize(model, [var_name])`` with checks and clear errors;
- :func:`label_probs` -- ``Pr(z_i = k | y, theta)`` for every draw, as a DataArray
  ``(chain, draw, obs, component)``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from mixlab._validate import check_dims, check_group, check_name, check_sample_dims

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
    """Names of the variables that ``model`` has summed out (empty if none).

    ``unmarginalize`` (public pymc-extras API) turns every summed-out variable back into a free one:
    the free variables it adds are the marginalized ones.
    """
    from pymc_extras.marginal import unmarginalize

    free = {rv.name for rv in model.free_RVs}
    return [rv.name for rv in unmarginalize(model).free_RVs if rv.name not in free]


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
    """Compile ``log Pr(var_name = k | rest)`` for every value ``k``, over a batch of draws.

    The conditional of a Categorical or Bernoulli label is a Categorical whose parameter ``p``
    (shape ``(*label_shape, K)``, a softmax) is a function of the other variables; ``log p``
    (a log-softmax) is its log-probability at every value at once. The graph is vectorized over a leading draw dimension
    of every input, so one call evaluates all draws.

    Returns the compiled function (inputs: one array per name in ``inputs``, each with a leading
    draw axis; output ``(draws, *label_shape, K)``), the input names, the per-draw shape of every
    value variable and the label's dims.
    """
    import pytensor
    import pytensor.tensor as pt
    from pymc.model.transform.conditioning import remove_value_transforms
    from pymc_extras.marginal import conditional
    from pytensor.compile.mode import Mode
    from pytensor.graph.replace import vectorize_graph
    from pytensor.tensor.special import Softmax, log_softmax

    cond = remove_value_transforms(conditional(model, var_name))
    label = cond[var_name]
    kind = type(label.owner.op).__name__
    if kind != "CategoricalRV":
        raise ValueError(
            f"label_probs handles Categorical and Bernoulli labels, whose conditional is "
            f"Categorical; the conditional of '{var_name}' is of type {kind}: draw it with "
            f"pymc_extras.marginal.recover instead"
        )
    (p,) = cond.replace_rvs_by_values([label.owner.op.dist_params(label.owner)[0]])
    if isinstance(p.owner.op, Softmax):  # log of a softmax, without underflow for far-out points
        log_p = log_softmax(p.owner.inputs[0], axis=p.owner.op.axis)
    else:  # pragma: no cover - pymc-extras builds p with a softmax
        log_p = pt.log(p)
    values = [v for v in cond.value_vars if v.name != var_name]
    batched = {v: pt.tensor(name=v.name, shape=(None, *v.type.shape), dtype=v.type.dtype)
               for v in values}
    # Python linker: every op is a NumPy call over all draws at once, so there is nothing to
    # compile (a few seconds with Numba for a graph used once) and nothing slower to run
    fast = Mode(linker="py", optimizer="fast_compile")
    graph = _numpy_clips(vectorize_graph(log_p, replace=batched))
    fn = pytensor.function([batched[v] for v in values], graph, on_unused_input="ignore", mode=fast)
    fn.trust_input = False
    with pytensor.config.change_flags(mode="FAST_COMPILE", cxx=""):
        shapes = {name: tuple(int(d) for d in shape) for name, shape in cond.eval_rv_shapes().items()}
    dims = cond.named_vars_to_dims.get(var_name)
    return fn, [v.name for v in values], shapes, dims


def _numpy_clips(graph):
    """``graph`` with every element-wise clip written as two switches.

    PyTensor's scalar ``Clip`` has no NumPy counterpart (``np.clip`` differs when min > max), so
    the Python linker calls it once per element (the Categorical log-density clips the label
    values: millions of calls for thousands of draws). ``switch(x < lo, lo, switch(x > hi, hi,
    x))`` is its definition, made of NumPy-vectorized ops.
    """
    import pytensor.tensor as pt
    from pytensor.graph.replace import graph_replace
    from pytensor.graph.traversal import ancestors
    from pytensor.scalar.basic import Clip
    from pytensor.tensor.elemwise import Elemwise

    replace = {}
    for var in ancestors([graph]):
        node = var.owner
        if node is not None and isinstance(node.op, Elemwise) and isinstance(node.op.scalar_op, Clip):
            x, lo, hi = node.inputs
            replace[var] = pt.switch(pt.lt(x, lo), lo, pt.switch(pt.gt(x, hi), hi, x)).astype(var.dtype)
    return graph_replace(graph, replace) if replace else graph


#: Largest output label_probs builds (elements; 8 bytes each): a larger one is refused.
MAX_OUTPUT_SIZE = 2**29
#: Elements per evaluation of the compiled function: the draws are taken in chunks of about
#: this many output elements, so the graph's intermediate arrays stay small.
_CHUNK_SIZE = 2**21


def _evaluate(logp_fn, values, group, label_shape):
    """``logp_fn`` over all draws, in chunks of draws; ``(draws, *label_shape, K)``."""
    n_samples = values[0].shape[0]

    def call(lo, hi):
        try:
            return np.asarray(logp_fn(*[v[lo:hi] for v in values]))
        except Exception as err:  # e.g. weights that do not sum to 1 fail the model's checks
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise ValueError(
                f"the model cannot evaluate the draws of {group} ({first}); pass the posterior "
                "sampled from this model"
            ) from err

    head = call(0, 1)
    per_draw = head.size
    if n_samples * per_draw > MAX_OUTPUT_SIZE:
        raise ValueError(
            f"label_probs would return {n_samples} draws x {per_draw} values = "
            f"{n_samples * per_draw * 8 / 2**30:.1f} GiB; thin the posterior first, e.g. "
            "idata.posterior.isel(draw=slice(None, None, 10))"
        )
    out = np.empty((n_samples, *label_shape, head.shape[-1]))
    out[:1] = head
    step = max(1, _CHUNK_SIZE // max(per_draw, 1))
    for lo in range(1, n_samples, step):
        out[lo:lo + step] = call(lo, min(lo + step, n_samples))
    return out


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
    ``conditional(model, var_name)`` -- a Categorical whose probabilities are a function of the
    other parameters -- vectorizes that function over the draws and evaluates it at every posterior
    draw and label value in one call (a log-softmax, so far-out points keep finite
    log-probabilities). Averaging the result over draws gives each observation's posterior membership
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
    idata : xarray.DataTree or xarray.Dataset
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
        Categorical, if the group lacks ``sample_dims`` or a variable the model needs, has no draws,
        or a variable has the wrong shape or non-finite values, if ``dim`` collides with a sample
        or label dim, if the model rejects the draws (e.g. weights that do not sum to 1), or if
        the result would hold more than :data:`MAX_OUTPUT_SIZE` values (thin the posterior first).

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
    sample_dims = check_sample_dims(sample_dims)
    dim = check_name(dim, "dim")
    if dim in sample_dims:
        raise ValueError(f"dim='{dim}' is one of sample_dims {sample_dims}; pass another dim name")
    ds = check_group(idata, check_name(group, "group"))
    check_dims(ds, sample_dims, name=group)
    empty = [d for d in sample_dims if ds.sizes[d] == 0]
    if empty:
        raise ValueError(f"{group} has no draws (dimension '{empty[0]}' is empty); pass a sampled posterior")

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
    for v in needed:  # before the compile below, which takes seconds
        arr = np.asarray(ds[v].values)
        if arr.dtype.kind not in "biuf" or not np.all(np.isfinite(arr)):
            raise ValueError(
                f"{group} variable '{v}' holds NaN, infinite or non-numeric values; pass finite draws"
            )
    logp_fn, inputs, shapes, label_dims = _conditional_logp(model, var_name)
    values = []
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
        arr = np.asarray(da.values)
        values.append(arr.reshape((-1, *shapes[v])))

    sample_shape = tuple(ds.sizes[d] for d in sample_dims)
    label_shape = shapes[var_name]
    if label_dims is None:
        label_dims = tuple(f"{var_name}_dim_{i}" for i in range(len(label_shape)))
    label_dims = tuple(label_dims)
    if dim in label_dims:
        raise ValueError(f"dim='{dim}' is already a dimension of '{var_name}'; pass another dim name")

    out = _evaluate(logp_fn, values, group, label_shape)
    states = np.arange(out.shape[-1])
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
