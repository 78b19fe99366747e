"""A runnable checklist for mixture fits, and an overlap measure between component posteriors.

:func:`diagnose` turns the usual advice into a table: one row per check, each with a status
(``"pass"``, ``"warn"``, ``"fail"``, or ``"skip"`` when the input lacks what the check needs), the
measured value, the threshold, an explanation of what to do, and a reference. The checks come in
two groups:

- **sampling** (any model): number of chains, rank-normalized split R-hat, bulk and tail
  effective sample size (Vehtari et al., 2021), divergent transitions, tree-depth saturation and
  E-BFMI (Betancourt, 2017). ``arviz.diagnose`` runs the same sampling checks and prints them.
- **mixture-specific**: near-empty components, collapsing component scales, label switching
  (chains or draws that disagree on the order of the component means) and overlap of the
  component means' posterior intervals (components that may not be distinct).

:func:`component_overlap` measures how much the marginal posteriors of two components overlap,
either as the overlapping coefficient of their densities or as the overlap of their highest
density intervals.

The array layer (private, numpy only) is ``_hdi``, ``_ovl``, ``_interval_overlap``,
``_order_codes`` and ``_bfmi``; the public functions find variables and dims by name.
"""

from __future__ import annotations

import numbers

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from mixlab._validate import check_dims, check_group, check_probability, check_var_names
from mixlab._validate import check_name as _check_name
from mixlab._validate import check_sample_dims as _check_sample_dims

__all__ = ["STATUSES", "component_overlap", "diagnose"]

#: The statuses :func:`diagnose` reports, from best to worst (``"skip"``: not applicable).
STATUSES = ("pass", "warn", "fail", "skip")

_REF_VEHTARI = "Vehtari et al. (2021)"
_REF_BETANCOURT_HMC = "Betancourt (2017), A conceptual introduction to HMC"
_REF_ROUSSEAU = "Rousseau and Mengersen (2011)"
_REF_MCLACHLAN = "McLachlan and Peel (2000)"
_REF_SWITCHING = "Stephens (2000); Jasra et al. (2005)"
_REF_IDENTIFY = "Betancourt (2017), Identifying Bayesian mixture models"

#: sample_stats names used by PyMC's NUTS and by nutpie for tree-depth saturation
_TREEDEPTH_STATS = ("reached_max_treedepth", "maxdepth_reached")


# --------------------------------------------------------------------------------------------
# array layer
# --------------------------------------------------------------------------------------------


def _hdi(x, prob):
    """Shortest interval holding ``prob`` of the draws, along the last axis: array (..., 2)."""
    x = np.sort(np.asarray(x, dtype=float), axis=-1)
    n = x.shape[-1]
    inc = min(int(np.floor(prob * n)), n - 1)
    widths = x[..., inc:] - x[..., : n - inc]
    start = np.argmin(widths, axis=-1)[..., None]
    lower = np.take_along_axis(x, start, axis=-1)[..., 0]
    upper = np.take_along_axis(x, start + inc, axis=-1)[..., 0]
    return np.stack([lower, upper], axis=-1)


def _interval_overlap(a, b):
    """Length of the intersection of intervals ``a`` and ``b`` over the length of the shorter one."""
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    shorter = min(a[1] - a[0], b[1] - b[0])
    if shorter <= 0:  # a degenerate interval: overlap is 1 if it lies inside the other one
        return float(inter > 0 or (b[0] <= a[0] <= b[1]) or (a[0] <= b[0] <= a[1]))
    return float(min(1.0, inter / shorter))


def _fd_width(x):
    q75, q25 = np.percentile(x, [75, 25])
    return 2.0 * (q75 - q25) / np.cbrt(x.size)


def _ovl(a, b, max_bins=1000):
    """Overlapping coefficient: integral of min(p_a, p_b), from histograms on shared bins.

    The bin width is the smaller Freedman-Diaconis width of the two samples, so that a narrow
    posterior is not smeared over a wide bin.
    """
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    lo, hi = min(a.min(), b.min()), max(a.max(), b.max())
    if hi <= lo:
        return 1.0
    widths = [w for w in (_fd_width(a), _fd_width(b)) if w > 0]
    width = min(widths) if widths else (hi - lo) / 10.0
    n_bins = int(np.clip(np.ceil((hi - lo) / width), 1, max_bins))
    edges = np.linspace(lo, hi, n_bins + 1)
    pa, _ = np.histogram(a, bins=edges)
    pb, _ = np.histogram(b, bins=edges)
    return float(np.minimum(pa / a.size, pb / b.size).sum())


def _order_codes(values):
    """One integer per draw coding the ordering (argsort) of ``values`` (..., K)."""
    order = np.argsort(values, axis=-1, kind="stable")
    k = values.shape[-1]
    return (order * k ** np.arange(k)).sum(axis=-1)


def _bfmi(energy):
    """E-BFMI per chain from the energy, array (chain, draw) -> (chain,)."""
    energy = np.asarray(energy, dtype=float)
    num = np.sum(np.diff(energy, axis=-1) ** 2, axis=-1)
    den = np.sum((energy - energy.mean(axis=-1, keepdims=True)) ** 2, axis=-1)
    return num / den


# --------------------------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------------------------


def _check_threshold(value, name, *, minimum=0.0):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return float(value)


def _optional_group(data, group):
    """The Dataset of ``group``, or None when the input has no such group (or is a Dataset)."""
    if isinstance(data, xr.Dataset):
        return None
    try:
        return check_group(data, group)
    except ValueError:
        return None


def _stack_samples(da, sample_dims, dim=None):
    """Return ``da`` as numpy (n_samples, K) (or (n_samples,) without ``dim``)."""
    rest = [dim] if dim is not None else []
    extra = [d for d in da.dims if d not in (*sample_dims, *rest)]
    if extra:
        raise ValueError(
            f"variable '{da.name}' has extra dimension(s) {extra}; select them first, "
            f"e.g. idata.posterior.sel({extra[0]}=...)"
        )
    arr = da.transpose(*sample_dims, *rest).values
    return arr.reshape((-1, *arr.shape[len(sample_dims):]))


def _element_label(da, flat_index):
    """'mu[1]' style label of element ``flat_index`` of a DataArray without sample dims."""
    if da.ndim == 0:
        return str(da.name)
    idx = np.unravel_index(flat_index, da.shape)
    parts = [str(da.coords[d].values[i]) if d in da.coords else str(i)
             for d, i in zip(da.dims, idx, strict=True)]
    return f"{da.name}[{', '.join(parts)}]"


def _extreme(ds, how):
    """(value, label) of the smallest (how='min') or largest element over all variables of ``ds``."""
    best, label = np.nan, ""
    for name in ds.data_vars:
        da = ds[name]
        vals = np.asarray(da.values, dtype=float).ravel()
        ok = np.isfinite(vals)
        if not ok.any():
            continue
        i = int(np.nanargmin(np.where(ok, vals, np.nan)) if how == "min"
                else np.nanargmax(np.where(ok, vals, np.nan)))
        v = vals[i]
        if np.isnan(best) or (v < best if how == "min" else v > best):
            best, label = float(v), _element_label(da, i)
    return best, label


def _as_dataset(result):
    return result.to_dataset() if isinstance(result, xr.DataTree) else result


# --------------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------------


def component_overlap(
    idata,
    var_name="mu",
    *,
    method="ovl",
    ci_prob=0.94,
    group="posterior",
    dim="component",
    sample_dims=("chain", "draw"),
):
    """Pairwise overlap of the marginal posteriors of a component variable.

    Two components whose means have nearly the same posterior are not distinguished by the data:
    the model may have more components than the data support. Two measures are offered:

    - ``"ovl"``: the overlapping coefficient :math:`\\int \\min(p_j(x), p_k(x))\\,dx` of the two
      marginal posterior densities (Inman and Bradley, 1989), estimated from histograms on
      shared bins (bin width: the smaller Freedman-Diaconis width of the two). 0 means disjoint
      posteriors, 1 identical ones; histogram noise puts identical posteriors a little below 1.
    - ``"hdi"``: the length of the intersection of the two highest density intervals
      (probability ``ci_prob``) divided by the length of the shorter one: 0 when the intervals
      are disjoint, 1 when one lies inside the other.

    The overlap follows the labels as they are: relabel a posterior with label switching first
    (:func:`mixlab.relabel.relabel`), otherwise every marginal mixes all components.

    Parameters
    ----------
    idata : xarray.DataTree, arviz.InferenceData or xarray.Dataset
        Posterior draws; a Dataset is taken to be the group itself.
    var_name : str, default "mu"
        Component variable to compare, dims ``(*sample_dims, dim)``.
    method : {"ovl", "hdi"}, default "ovl"
        Overlap measure (see above).
    ci_prob : float, default 0.94
        Probability of the highest density intervals (``method="hdi"``).
    group : str, default "posterior"
        Group holding the draws.
    dim : str, default "component"
        Component dimension.
    sample_dims : tuple of str, default ("chain", "draw")
        Sample dimensions.

    Returns
    -------
    xarray.DataArray
        Symmetric matrix with dims ``(dim, dim + "2")`` (``("component", "component2")``), values
        in [0, 1] and 1 on the diagonal; named ``f"{var_name}_overlap"``.

    Raises
    ------
    TypeError
        For a wrong kind of ``idata`` or argument.
    ValueError
        If the variable or a dimension is missing, the variable has extra dimensions, ``method``
        is unknown or ``ci_prob`` is not in (0, 1).

    References
    ----------
    Inman, H. F. and Bradley, E. L. (1989). The overlapping coefficient as a measure of agreement
    between probability distributions and point estimation of the overlap of two normal densities.
    *Communications in Statistics - Theory and Methods* 18(10), 3851-3874.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from mixlab.diagnostics import component_overlap
    >>> rng = np.random.default_rng(0)
    >>> mu = np.stack([rng.normal(0, 1, (2, 500)), rng.normal(0.2, 1, (2, 500)),
    ...                rng.normal(8, 1, (2, 500))], axis=-1)
    >>> post = xr.Dataset({"mu": (("chain", "draw", "component"), mu)})
    >>> ovl = component_overlap(post)
    >>> ovl.dims
    ('component', 'component2')
    >>> bool(ovl[0, 1] > 0.75), bool(ovl[0, 2] < 0.01)
    (True, True)
    >>> component_overlap(post, method="hdi").round(1).values.tolist()[0]
    [1.0, 1.0, 0.0]
    """
    var_name = _check_name(var_name, "var_name")
    dim = _check_name(dim, "dim")
    sample_dims = _check_sample_dims(sample_dims)
    if method not in ("ovl", "hdi"):
        raise ValueError(f"method must be 'ovl' or 'hdi', got {method!r}")
    ci_prob = check_probability(ci_prob, "ci_prob", low_open=True, high_open=True)
    ds = check_group(idata, group)
    check_var_names(ds, [var_name], name=group)
    da = ds[var_name]
    check_dims(da, (*sample_dims, dim), name=f"{group} variable '{var_name}'")
    values = _stack_samples(da, sample_dims, dim)
    k = values.shape[1]
    out = np.eye(k)
    if method == "hdi":
        intervals = _hdi(values.T, ci_prob)
    for i in range(k):
        for j in range(i + 1, k):
            if method == "ovl":
                out[i, j] = _ovl(values[:, i], values[:, j])
            else:
                out[i, j] = _interval_overlap(intervals[i], intervals[j])
            out[j, i] = out[i, j]
    coord = da.coords[dim].values if dim in da.coords else np.arange(k)
    other = f"{dim}2"
    return xr.DataArray(out, dims=(dim, other), coords={dim: coord, other: coord},
                        name=f"{var_name}_overlap", attrs={"method": method})


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
    ci_prob=0.94,
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
    ``component overlap``     ``ci_prob`` HDIs of adjacent (sorted) means disjoint     warn
    ========================  =======================================================  ==========

    A check the input cannot support (no ``sample_stats`` group, no ``sigma`` variable, one
    component) gets the status ``"skip"`` and says why.

    Parameters
    ----------
    idata : xarray.DataTree, arviz.InferenceData or xarray.Dataset
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
    ci_prob : float, default 0.94
        Probability of the highest density intervals compared by ``component overlap``.

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
        If the group or a sample dimension is missing, ``var_names`` names a missing variable, a
        threshold is out of range, or a component variable lacks ``dim``.

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

    Betancourt, M. (2017). Identifying Bayesian mixture models. Stan case study.

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
    sample_dims = _check_sample_dims(sample_dims)
    dim = _check_name(dim, "dim")
    obs_dim = _check_name(obs_dim, "obs_dim")
    weights = _check_name(weights, "weights")
    means = _check_name(means, "means")
    scales = _check_name(scales, "scales")
    rhat_max = _check_threshold(rhat_max, "rhat_max", minimum=1.0)
    ess_per_chain = _check_threshold(ess_per_chain, "ess_per_chain")
    bfmi_min = _check_threshold(bfmi_min, "bfmi_min")
    min_weight = _check_threshold(min_weight, "min_weight")
    scale_floor = _check_threshold(scale_floor, "scale_floor")
    switch_tol = check_probability(switch_tol, "switch_tol")
    ci_prob = check_probability(ci_prob, "ci_prob", low_open=True, high_open=True)

    ds = check_group(idata, group)
    check_dims(ds, sample_dims, name=group)
    if var_names is None:
        names = [v for v in ds.data_vars
                 if obs_dim not in ds[v].dims and ds[v].dtype.kind == "f"
                 and all(d in ds[v].dims for d in sample_dims)]
    else:
        names = check_var_names(ds, var_names, name=group)
    for role, name in (("weights", weights), ("means", means), ("scales", scales)):
        if name in ds.data_vars and dim not in ds[name].dims:
            raise ValueError(
                f"{group} variable '{name}' ({role}) has no dimension '{dim}' "
                f"(dims: {', '.join(map(str, ds[name].dims))}); pass dim=... or {role}=..."
            )
    stats = _optional_group(idata, "sample_stats")
    n_chains = ds.sizes["chain"] if "chain" in sample_dims else 1
    n_draws = int(np.prod([ds.sizes[d] for d in sample_dims]))
    rows = {}

    def add(check, status, value, threshold, explanation, reference):
        rows[check] = {"status": status, "value": value, "threshold": threshold,
                       "explanation": explanation, "reference": reference}

    # --- sampling checks -------------------------------------------------------------------
    add("chains", "pass" if n_chains >= 4 else "warn", float(n_chains), ">= 4",
        f"{n_chains} chain(s)" + ("" if n_chains >= 4 else
                                  "; R-hat and ESS are more reliable with at least 4 chains"),
        _REF_VEHTARI)

    sub = ds[names]
    ess_min = ess_per_chain * n_chains
    if not names:
        for check in ("R-hat", "bulk ESS", "tail ESS"):
            add(check, "skip", np.nan, "", "no variables to check; pass var_names=...",
                _REF_VEHTARI)
    elif n_chains < 2 and "chain" in sample_dims:
        for check in ("R-hat", "bulk ESS", "tail ESS"):
            add(check, "skip", np.nan, "", "needs at least 2 chains", _REF_VEHTARI)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):  # constant draws: R-hat is nan
            rhat, where = _extreme(_as_dataset(az.rhat(sub, sample_dims=list(sample_dims))), "max")
        if np.isnan(rhat):
            add("R-hat", "skip", rhat, f"< {rhat_max:g}",
                "no finite R-hat: every checked variable is constant; pass var_names=...",
                _REF_VEHTARI)
        else:
            ok = rhat < rhat_max
            add("R-hat", "pass" if ok else "fail", rhat, f"< {rhat_max:g}",
                f"largest R-hat {rhat:.3f} ({where})" + ("" if ok else
                "; chains disagree: do not use these draws (label switching, multimodality or "
                "too short chains)"), _REF_VEHTARI)
        for method, check in (("bulk", "bulk ESS"), ("tail", "tail ESS")):
            with np.errstate(divide="ignore", invalid="ignore"):
                ess, where = _extreme(
                    _as_dataset(az.ess(sub, sample_dims=list(sample_dims), method=method)), "min")
            if np.isnan(ess):
                add(check, "skip", ess, f">= {ess_min:g}",
                    "no finite ESS: every checked variable is constant; pass var_names=...",
                    _REF_VEHTARI)
                continue
            ok = ess >= ess_min
            add(check, "pass" if ok else "warn", ess, f">= {ess_min:g}",
                f"smallest {method} ESS {ess:.0f} ({where})" + ("" if ok else
                f"; fewer than {ess_per_chain:g} per chain: draw more or reparameterize"),
                _REF_VEHTARI)

    if stats is None:
        for check, ref in (("divergences", _REF_BETANCOURT_HMC), ("tree depth", _REF_BETANCOURT_HMC),
                           ("E-BFMI", _REF_BETANCOURT_HMC)):
            add(check, "skip", np.nan, "", "no sample_stats group (pass what pm.sample returned)",
                ref)
    else:
        if "diverging" in stats:
            n_div = int(stats["diverging"].sum())
            add("divergences", "pass" if n_div == 0 else "fail", float(n_div), "0",
                f"{n_div} divergent transition(s) in {n_draws} draws" + ("" if n_div == 0 else
                "; the sampler could not follow the posterior's geometry, often a near-empty "
                "component or a collapsing scale: check those rows, raise target_accept, or use "
                "fewer components / stronger priors"), _REF_BETANCOURT_HMC)
        else:
            add("divergences", "skip", np.nan, "0", "sample_stats has no 'diverging'",
                _REF_BETANCOURT_HMC)
        depth = next((s for s in _TREEDEPTH_STATS if s in stats), None)
        if depth is not None:
            n_max = int(stats[depth].sum())
            add("tree depth", "pass" if n_max == 0 else "warn", float(n_max), "0",
                f"{n_max} draw(s) hit the maximum tree depth" + ("" if n_max == 0 else
                "; an efficiency problem (long, correlated trajectories), not a bias: "
                "reparameterize or raise max_treedepth"), _REF_BETANCOURT_HMC)
        else:
            add("tree depth", "skip", np.nan, "0",
                "sample_stats has no tree-depth saturation flag", _REF_BETANCOURT_HMC)
        if "energy" in stats and "chain" in stats["energy"].dims and stats.sizes.get("draw", 0) > 1:
            bfmi = _bfmi(stats["energy"].transpose("chain", "draw").values)
            low = float(np.min(bfmi))
            ok = low >= bfmi_min
            add("E-BFMI", "pass" if ok else "warn", low, f">= {bfmi_min:g}",
                f"smallest E-BFMI {low:.2f}" + ("" if ok else
                "; momentum resampling explores the energy poorly (heavy tails or funnel-like "
                "geometry, e.g. scales near zero): reparameterize"), _REF_BETANCOURT_HMC)
        else:
            add("E-BFMI", "skip", np.nan, f">= {bfmi_min:g}", "sample_stats has no 'energy'",
                _REF_BETANCOURT_HMC)

    # --- mixture checks --------------------------------------------------------------------
    w = _component_values(ds, weights, sample_dims, dim)
    mu = _component_values(ds, means, sample_dims, dim)
    sigma = _component_values(ds, scales, sample_dims, dim)

    # weights and scales are checked through the smallest value in each draw, which does not
    # depend on the labels: a switched posterior is judged like a relabelled one
    if w is None:
        add("empty components", "skip", np.nan, f">= {min_weight:g}",
            f"no weights variable '{weights}'; pass weights=...", _REF_ROUSSEAU)
    else:
        smallest = float(np.min(w, axis=1).mean())
        ok = smallest >= min_weight
        add("empty components", "pass" if ok else "warn", smallest, f">= {min_weight:g}",
            f"the smallest weight of each draw has posterior mean {smallest:.3f}" + (
                "" if ok else
                "; a nearly empty component is fitted from its prior and invites divergences "
                "and collapsing scales: consider fewer components or a sparse Dirichlet prior"),
            _REF_ROUSSEAU)

    if sigma is None:
        add("collapsing scales", "skip", np.nan, f">= {scale_floor:g} x sd",
            f"no scales variable '{scales}'; pass scales=...", _REF_MCLACHLAN)
    else:
        ref, ref_name = _reference_scale(idata, sigma)
        q05 = float(np.quantile(np.min(sigma, axis=1), 0.05)) / ref
        ok = q05 >= scale_floor
        add("collapsing scales", "pass" if ok else "warn", q05,
            f">= {scale_floor:g} x {ref_name}",
            f"5% quantile of the smallest scale of each draw is {q05:.3g} x {ref_name}" + (
                "" if ok else
                "; a component is shrinking onto a few points, where the mixture likelihood is "
                "unbounded: use a prior that keeps scales away from 0 or fewer components"),
            _REF_MCLACHLAN)

    k = None if mu is None else mu.shape[1]
    if mu is None or k < 2:
        reason = (f"no means variable '{means}'; pass means=..." if mu is None
                  else "one component: nothing to switch or overlap")
        add("label switching", "skip", np.nan, f"<= {switch_tol:g}", reason, _REF_SWITCHING)
        add("component overlap", "skip", np.nan, "0", reason, _REF_IDENTIFY)
    else:
        _switching_row(add, ds[means], sample_dims, dim, n_chains, switch_tol)
        sorted_mu = np.sort(mu, axis=1)
        intervals = _hdi(sorted_mu.T, ci_prob)
        overlaps = [_interval_overlap(intervals[j], intervals[j + 1]) for j in range(k - 1)]
        j = int(np.argmax(overlaps))
        ok = overlaps[j] == 0
        add("component overlap", "pass" if ok else "warn", float(overlaps[j]), "0",
            f"the {ci_prob:.0%} HDIs of the sorted means {j} and {j + 1} overlap by "
            f"{overlaps[j]:.0%} of the shorter one" + ("" if ok else
            ": these components may not be distinct; compare fewer components (e.g. with LOO)"),
            _REF_IDENTIFY)

    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "check"
    return table


def _component_values(ds, name, sample_dims, dim):
    if name not in ds.data_vars:
        return None
    return _stack_samples(ds[name], sample_dims, dim)


def _reference_scale(idata, sigma):
    """The data's sd (observed_data, when it has one variable or 'y'), else the median scale."""
    observed = _optional_group(idata, "observed_data")
    if observed is not None and len(observed.data_vars) > 0:
        name = "y" if "y" in observed.data_vars else next(iter(observed.data_vars))
        if len(observed.data_vars) == 1 or name == "y":
            sd = float(np.std(np.asarray(observed[name].values, dtype=float)))
            if np.isfinite(sd) and sd > 0:
                return sd, f"sd({name})"
    return float(np.median(sigma)), "median scale"


def _switching_row(add, mu_da, sample_dims, dim, n_chains, switch_tol):
    da = mu_da.transpose(*sample_dims, dim)
    k = da.sizes[dim]
    codes = _order_codes(da.values.reshape(-1, k))
    values, counts = np.unique(codes, return_counts=True)
    modal = values[np.argmax(counts)]
    share = float(np.mean(codes != modal))
    disagree = False
    if "chain" in sample_dims and n_chains > 1:
        by_chain = da.transpose("chain", ...).values.reshape(n_chains, -1, k)
        chain_modes = set()
        for c in range(n_chains):
            v, n = np.unique(_order_codes(by_chain[c]), return_counts=True)
            chain_modes.add(int(v[np.argmax(n)]))
        disagree = len(chain_modes) > 1
    sorted_ds = xr.Dataset({"raw": da, "sorted": da.copy(data=np.sort(da.values, axis=-1))})
    detail = ""
    if len(sample_dims) == 2 and "chain" in sample_dims and n_chains > 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = _as_dataset(az.rhat(sorted_ds, sample_dims=list(sample_dims)))
        detail = (f" (R-hat of {mu_da.name}: {float(r['raw'].max()):.3f} as labelled, "
                  f"{float(r['sorted'].max()):.3f} after sorting each draw)")
    if disagree:
        status = "fail"
        text = ("chains order the component means differently: labels mean different components "
                "in different chains" + detail + "; summaries of single components are "
                "meaningless until you relabel (mixlab.relabel) or use label-invariant summaries")
    elif share > switch_tol:
        status = "warn"
        text = (f"{share:.1%} of draws order the means differently from the modal order"
                + detail + "; relabel before summarising single components")
    else:
        status = "pass"
        text = f"{share:.1%} of draws depart from the modal order of the means" + detail
    add("label switching", status, share, f"<= {switch_tol:g}", text, _REF_SWITCHING)
