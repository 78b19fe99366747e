"""The runnable checklist :func:`diagnose`: validates its input, runs the checks of
:mod:`mixlab.diagnostics._rows` in order and builds the table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from mixlab._validate import (
    check_dims,
    check_group,
    check_name,
    check_probability,
    check_sample_dims,
    check_var_names,
    optional_group,
)
from mixlab.diagnostics import _rows
from mixlab.diagnostics._inputs import check_layout, check_threshold, check_var_list, mixture_values
from mixlab.relabel import switching_evidence

__all__ = ["diagnose"]


def diagnose(
    idata,
    *,
    var_names=None,
    group="posterior",
    sample_dims=("chain", "draw"),
    dim="component",
    obs_dim="obs",
    weights="w",
    means="mu",
    scales="sigma",
    rhat_max=1.01,
    ess_per_chain=100,
    bfmi_min=0.3,
    min_weight=0.02,
    scale_floor=0.02,
    switch_tol=0.01,
    overlap_max=0.1,
):
    """Run a checklist of sampling and mixture-specific diagnostics and return it as a table.

    ========================  =======================================================  ==========
    check                     rule (defaults)                                          status if
                                                                                       broken
    ========================  =======================================================  ==========
    ``chains``                at least 4 chains                                        warn
    ``R-hat``                 largest rank-normalized split R-hat < ``rhat_max``       fail
    ``bulk ESS``              smallest bulk ESS >= ``ess_per_chain`` x chains          warn
    ``tail ESS``              smallest tail ESS >= ``ess_per_chain`` x chains          warn
    ``divergences``           no divergent transitions after tuning                    fail
    ``tree depth``            no draw hit the maximum tree depth                       warn
    ``E-BFMI``                energy BFMI of every chain >= ``bfmi_min``               warn
    ``empty components``      posterior mean of each draw's smallest weight >=         warn
                              ``min_weight``
    ``collapsing scales``     5% quantile of each draw's smallest scale >=             warn
                              ``scale_floor`` x the data's sd (without data: x the
                              median scale)
    ``label switching``       chains agree on the order of the component means, and    fail /
                              at most ``switch_tol`` of draws depart from it           warn
    ``component overlap``     posterior mean of each draw's largest pairwise           warn
                              misclassification rate <= ``overlap_max``
    ========================  =======================================================  ==========

    A check the input cannot support (no ``sample_stats`` group, no ``sigma`` variable, one
    component) gets the status ``"skip"`` and says why.

    Weights that depend on the observation (a mixture of experts: ``w`` with the ``obs_dim``) are
    averaged over the observations for ``empty components``, and ``component overlap`` is
    skipped. For a hidden Markov model (a variable ``P`` with dims ``dim`` and ``dim + "_to"``)
    the weight checks use the stationary distribution of each draw's transition matrix, the
    long-run share of time in each state, not ``w`` (the distribution of the first state alone).

    ``component overlap`` judges separation in data space, with :func:`component_overlap`'s
    misclassification rate: for each draw, the pair of components whose observations the best
    rule would confuse most often. The default bound, 0.1 (one observation of the pair in ten
    misassigned), is the rate of two equal-weight Gaussians with equal scales about 2.6 standard
    deviations apart. It assumes Gaussian components
    and is skipped when the posterior has ``nu`` (Student-t) or ``beta`` (regression). Like the
    weight and scale checks it does not depend on the labels. The ``label switching`` check can
    only fail for a model without an ordering constraint: an ordered model fixes the order of
    the means in every draw.

    Parameters
    ----------
    idata : xarray.DataTree or xarray.Dataset
        What ``pm.sample`` returned. A Dataset is taken to be the posterior group; the sampler
        checks are then skipped.
    var_names : str or list of str, optional
        Variables for R-hat and ESS. Default: every floating-point variable of the group without
        the ``obs_dim`` dimension (sampled labels and per-observation quantities are left out).
    group : str, default "posterior"
        Group holding the draws.
    sample_dims : tuple of str, default ("chain", "draw")
        Sample dimensions; the first one that is ``"chain"`` counts chains.
    dim, obs_dim : str, default "component", "obs"
        Component and observation dimensions.
    weights, means, scales : str, default "w", "mu", "sigma"
        Names of the mixture weights, component means and component scales. A missing variable
        skips the checks that need it.
    rhat_max : float, default 1.01
        Largest acceptable R-hat.
    ess_per_chain : float, default 100
        Required bulk and tail ESS per chain.
    bfmi_min : float, default 0.3
        Smallest acceptable E-BFMI.
    min_weight : float, default 0.02
        Posterior mean weight below which a component counts as nearly empty.
    scale_floor : float, default 0.02
        Fraction of the data's standard deviation below which a scale counts as collapsing.
    switch_tol : float, default 0.01
        Largest share of draws whose ordering of the means may differ from the modal ordering.
    overlap_max : float, default 0.1
        Largest acceptable posterior mean of the per-draw largest pairwise misclassification
        rate (at most 0.5).

    Returns
    -------
    pandas.DataFrame
        Index ``check`` (the names above, in that order); columns ``status`` (one of
        :data:`STATUSES`), ``value`` (the measured number), ``threshold`` (text),
        ``explanation`` (what was found and what to do) and ``reference``.

    Raises
    ------
    TypeError
        For a wrong kind of ``idata`` or argument.
    ValueError
        If the group or a sample dimension is missing or empty, ``var_names`` names a missing
        variable, a threshold is out of range (or NaN), ``dim`` is one of ``sample_dims`` or has
        no components, a component variable lacks ``dim``, or the posterior is not a valid
        mixture: weights off the simplex (negative, or not summing to 1 in a draw), scales not
        positive, NaN or infinite values, or ``sample_stats`` flags (``diverging``, tree depth)
        that are not booleans.

    See Also
    --------
    arviz.diagnose : the sampling checks, printed.
    component_overlap : the overlap measure behind ``component overlap``.

    References
    ----------
    Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. and Bürkner, P.-C. (2021).
    Rank-normalization, folding, and localization: an improved R-hat for assessing convergence of
    MCMC. *Bayesian Analysis* 16(2), 667-718.

    Betancourt, M. (2017). A conceptual introduction to Hamiltonian Monte Carlo. arXiv:1701.02434.

    Rousseau, J. and Mengersen, K. (2011). Asymptotic behaviour of the posterior distribution in
    overfitted mixture models. *JRSS-B* 73, 689-710.

    McLachlan, G. J. and Peel, D. (2000). *Finite Mixture Models*. Wiley.

    Stephens, M. (2000). Dealing with label switching in mixture models. *JRSS-B* 62, 795-809.

    Jasra, A., Holmes, C. C. and Stephens, D. A. (2005). Markov chain Monte Carlo methods and the
    label switching problem in Bayesian mixture modeling. *Statistical Science* 20, 50-67.

    Inman, H. F. and Bradley, E. L. (1989). The overlapping coefficient as a measure of agreement
    between probability distributions and point estimation of the overlap of two normal densities.
    *Communications in Statistics - Theory and Methods* 18(10), 3851-3874.

    Examples
    --------
    Four chains of independent draws from a well separated two-component posterior:

    >>> import numpy as np, arviz as az
    >>> from mixlab.diagnostics import diagnose
    >>> rng = np.random.default_rng(1)
    >>> shape = (4, 300)
    >>> w0 = rng.beta(60, 40, shape)
    >>> good = az.from_dict({
    ...     "posterior": {"w": np.stack([w0, 1 - w0], -1),
    ...                   "mu": np.stack([rng.normal(-2, .1, shape), rng.normal(3, .1, shape)], -1),
    ...                   "sigma": np.stack([rng.normal(1, .05, shape),
    ...                                      rng.normal(.7, .05, shape)], -1)},
    ...     "sample_stats": {"diverging": np.zeros(shape, bool), "energy": rng.normal(size=shape)}},
    ...     dims={"w": ["component"], "mu": ["component"], "sigma": ["component"]})
    >>> table = diagnose(good)
    >>> table["status"].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'chains': 'pass', 'R-hat': 'pass', 'bulk ESS': 'pass', 'tail ESS': 'pass',
     'divergences': 'pass', 'tree depth': 'skip', 'E-BFMI': 'pass', 'empty components': 'pass',
     'collapsing scales': 'pass', 'label switching': 'pass', 'component overlap': 'pass'}

    Swap the two components in two of the chains and the checklist sees it:

    >>> post = good.posterior.to_dataset()
    >>> swapped = post.copy(deep=True)
    >>> for v in ("w", "mu", "sigma"):
    ...     swapped[v].values[2:] = swapped[v].values[2:, :, ::-1]
    >>> table = diagnose(swapped)
    >>> table.loc[["R-hat", "label switching", "divergences"], "status"].tolist()
    ['fail', 'fail', 'skip']
    """
    sample_dims = check_sample_dims(sample_dims)
    dim = check_name(dim, "dim")
    obs_dim = check_name(obs_dim, "obs_dim")
    roles = {"w": check_name(weights, "weights"), "mu": check_name(means, "means"),
             "sigma": check_name(scales, "scales")}
    rhat_max = check_threshold(rhat_max, "rhat_max", minimum=1.0)
    ess_per_chain = check_threshold(ess_per_chain, "ess_per_chain")
    bfmi_min = check_threshold(bfmi_min, "bfmi_min")
    min_weight = check_threshold(min_weight, "min_weight")
    scale_floor = check_threshold(scale_floor, "scale_floor")
    switch_tol = check_probability(switch_tol, "switch_tol")
    overlap_max = check_probability(overlap_max, "overlap_max")
    var_names = check_var_list(var_names)

    ds = check_group(idata, group)
    check_dims(ds, sample_dims, name=group)
    check_layout(ds, dim=dim, sample_dims=sample_dims, group=group)
    names = _checked_names(ds, var_names, obs_dim=obs_dim, sample_dims=sample_dims, group=group)
    for role, label in (("w", "weights"), ("mu", "means"), ("sigma", "scales")):
        name = roles[role]
        if name in ds.data_vars and dim not in ds[name].dims:
            raise ValueError(
                f"{group} variable '{name}' ({label}) has no dimension '{dim}' "
                f"(dims: {', '.join(map(str, ds[name].dims))}); pass dim=... or {label}=..."
            )
    weights_view, per_obs = _weights_view(ds, roles["w"], dim=dim, obs_dim=obs_dim,
                                          sample_dims=sample_dims)
    values = mixture_values(ds if weights_view is None else ds.assign({roles["w"]: weights_view}),
                            roles, sample_dims=sample_dims, dim=dim, group=group)
    stats = optional_group(idata, "sample_stats")
    n_chains = ds.sizes["chain"] if "chain" in sample_dims else 1
    n_draws = int(np.prod([ds.sizes[d] for d in sample_dims]))
    sub = ds[names]

    rows = [
        _rows.chains_row(n_chains),
        _rows.rhat_row(sub, sample_dims, n_chains, rhat_max),
        _rows.ess_row(sub, sample_dims, n_chains, ess_per_chain, "bulk"),
        _rows.ess_row(sub, sample_dims, n_chains, ess_per_chain, "tail"),
        _rows.divergences_row(stats, n_draws),
        _rows.treedepth_row(stats),
        _rows.bfmi_row(stats, bfmi_min),
        _rows.empty_row(values["w"], roles["w"], min_weight),
        _rows.scales_row(values["sigma"], roles["sigma"], optional_group(idata, "observed_data"),
                         scale_floor),
        *_mixture_rows(ds, values, roles, sample_dims=sample_dims, dim=dim,
                       switch_tol=switch_tol, overlap_max=overlap_max,
                       per_obs=f"{roles['w']}' with dim '{obs_dim}" if per_obs else None),
    ]
    table = pd.DataFrame(rows, columns=_rows.Row._fields).set_index("check")
    return table


def _checked_names(ds, var_names, *, obs_dim, sample_dims, group):
    """Variables for R-hat and ESS: ``var_names``, or every float variable with the sample dims
    and without ``obs_dim`` (sampled labels and per-observation quantities are left out)."""
    if var_names is not None:
        return check_var_names(ds, var_names, name=group)
    return [v for v in ds.data_vars
            if obs_dim not in ds[v].dims and ds[v].dtype.kind == "f"
            and all(d in ds[v].dims for d in sample_dims)]


def _weights_view(ds, name, *, dim, obs_dim, sample_dims):
    """The weights the mixture checks judge, or None to read ``name`` as it is; and a flag.

    Weights per observation (a mixture of experts) are averaged over the observations: the share
    of the data each component gets. A hidden Markov model (a variable ``P`` with dims ``dim`` and
    ``dim + "_to"``) is judged by the stationary distribution of each draw's transition matrix, the
    long-run share of time in each state (``w`` is only the distribution of the first state).
    """
    if name not in ds.data_vars or dim not in ds[name].dims:
        return None, False
    w = ds[name]
    if obs_dim in w.dims:
        return w.mean(obs_dim), True
    to = f"{dim}_to"
    P = ds.get("P")
    if P is None or set(P.dims) != {*sample_dims, dim, to} or P.sizes[to] != P.sizes[dim]:
        return None, False
    mats = P.transpose(*sample_dims, dim, to).values.astype(float)
    k = mats.shape[-1]
    flat = mats.reshape(-1, k, k)
    # pi (P - I) = 0 with sum(pi) = 1: least squares on the stacked system (exact when unique)
    system = np.concatenate([np.swapaxes(flat, 1, 2) - np.eye(k), np.ones((flat.shape[0], 1, k))],
                            axis=1)
    rhs = np.zeros((flat.shape[0], k + 1))
    rhs[:, -1] = 1.0
    pi = np.stack([np.linalg.lstsq(a, b, rcond=None)[0] for a, b in zip(system, rhs, strict=True)])
    pi = np.clip(pi, 0.0, None)
    pi /= pi.sum(axis=1, keepdims=True)
    template = w.transpose(*sample_dims, dim)
    return template.copy(data=pi.reshape(template.shape)), False


def _mixture_rows(ds, values, roles, *, sample_dims, dim, switch_tol, overlap_max, per_obs=None):
    """The label-switching and component-overlap rows (``per_obs``: skip the overlap)."""
    mu = values["mu"]
    if mu is None or mu.shape[1] < 2:
        reason = (f"no means variable '{roles['mu']}'; pass means=..." if mu is None
                  else "one component: nothing to switch or overlap")
        return _rows.mixture_skip_rows(reason, switch_tol, overlap_max)
    evidence = _switching_evidence(ds[roles["mu"]], sample_dims, dim)
    missing = [f"{label} variable '{roles[role]}'" for role, label in
               (("w", "weights"), ("sigma", "scales")) if values[role] is None]
    other = next((v for v in ("nu", "beta") if v in ds.data_vars), per_obs)
    return [_rows.switching_row(evidence, roles["mu"], switch_tol),
            _rows.overlap_row(values["w"], mu, values["sigma"], missing=missing, other=other,
                              overlap_max=overlap_max)]


def _switching_evidence(da, sample_dims, dim):
    """:func:`mixlab.relabel.switching_evidence` with the chains counted as :func:`diagnose`
    counts them: the ``"chain"`` sample dim if there is one, otherwise all draws are one chain."""
    if "chain" in sample_dims:
        dims = ("chain", *(d for d in sample_dims if d != "chain"))
    elif len(sample_dims) > 1:
        t = da.transpose(*sample_dims, ...)
        n = len(sample_dims)
        da = xr.DataArray(t.values.reshape(-1, *t.shape[n:]), dims=("__sample__", *t.dims[n:]),
                          name=da.name)
        dims = ("__sample__",)
    else:
        dims = sample_dims
    return switching_evidence(da, dim=dim, sample_dims=dims)
