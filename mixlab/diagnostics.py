"""A runnable checklist for mixture fits, and how much fitted components overlap in data space.

:func:`diagnose` turns the usual advice into a table: one row per check, each with a status
(``"pass"``, ``"warn"``, ``"fail"``, or ``"skip"`` when the input lacks what the check needs), the
measured value, the threshold, an explanation of what to do, and a reference. The checks come in
two groups:

- **sampling** (any model): number of chains, rank-normalized split R-hat, bulk and tail
  effective sample size (Vehtari et al., 2021), divergent transitions, tree-depth saturation and
  E-BFMI (Betancourt, 2017). ``arviz.diagnose`` runs the same sampling checks and prints them.
- **mixture-specific**: near-empty components, collapsing component scales, label switching
  (chains or draws that disagree on the order of the component means) and component overlap
  (pairs of components that the data cannot tell apart).

:func:`component_overlap` measures, for every posterior draw and every pair of Gaussian
components, how much the two fitted densities overlap in data space (the pair's Bayes
misclassification rate, or the overlapping coefficient of the two densities), and summarizes the
draws by a posterior mean, its Monte Carlo standard error and a credible interval.

The array layer (private, numpy only) is ``_pair_mass``, ``_pair_overlap``, ``_order_codes`` and
``_bfmi``; the public functions find variables and dims by name.
"""

from __future__ import annotations

import numbers

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import ndtr

from mixlab._validate import check_dims, check_group, check_probability, check_var_names
from mixlab._validate import check_name as _check_name
from mixlab._validate import check_sample_dims as _check_sample_dims
from mixlab.invariants import _setup

__all__ = ["STATUSES", "component_overlap", "diagnose"]

#: The statuses :func:`diagnose` reports, from best to worst (``"skip"``: not applicable).
STATUSES = ("pass", "warn", "fail", "skip")

_REF_VEHTARI = "Vehtari et al. (2021)"
_REF_BETANCOURT_HMC = "Betancourt (2017), A conceptual introduction to HMC"
_REF_ROUSSEAU = "Rousseau and Mengersen (2011)"
_REF_MCLACHLAN = "McLachlan and Peel (2000)"
_REF_SWITCHING = "Stephens (2000); Jasra et al. (2005)"
_REF_OVERLAP = "McLachlan and Peel (2000); Inman and Bradley (1989)"

#: sample_stats names used by PyMC's NUTS and by nutpie for tree-depth saturation
_TREEDEPTH_STATS = ("reached_max_treedepth", "maxdepth_reached")


# --------------------------------------------------------------------------------------------
# array layer
# --------------------------------------------------------------------------------------------


#: Overlap measures of :func:`component_overlap`.
_OVERLAP_METHODS = ("misclassification", "ovl")


def _pair_mass(wa, ma, sa, wb, mb, sb):
    """Integral of min(wa N(ma, sa), wb N(mb, sb)) over the real line, elementwise.

    The log ratio of the two weighted densities is a quadratic A y^2 + B y + C; between its real
    roots (at most two) one density lies below the other, and on an interval where a <= b the
    integral of min(a, b) is the smaller of the two masses. The integral is therefore the sum, over
    the (at most three) intervals, of the smaller mass, each from the normal CDF: exact, with no
    grid to choose.
    """
    A = 0.5 / sb**2 - 0.5 / sa**2
    B = ma / sa**2 - mb / sb**2
    C = 0.5 * mb**2 / sb**2 - 0.5 * ma**2 / sa**2 + np.log(wa * sb / (wb * sa))
    disc = B * B - 4.0 * A * C
    with np.errstate(divide="ignore", invalid="ignore"):
        q = -0.5 * (B + np.where(B >= 0, 1.0, -1.0) * np.sqrt(np.maximum(disc, 0.0)))
        roots = np.stack([q / A, C / q])  # numerically stable pair; q / A is +-inf when A = 0
        crossing = (disc > 0) & (q != 0)
        r1 = np.where(crossing, np.min(roots, axis=0), np.inf)  # no crossing: one interval
        r2 = np.where(crossing, np.max(roots, axis=0), np.inf)

        def masses(w, m, s):
            c1, c2 = ndtr((r1 - m) / s), ndtr((r2 - m) / s)
            return w * c1, w * (c2 - c1), w * ndtr((m - r2) / s)

        pieces = zip(masses(wa, ma, sa), masses(wb, mb, sb), strict=True)
        return sum(np.minimum(x, y) for x, y in pieces)


def _pair_overlap(w, mu, sigma, method="misclassification"):
    """Overlap of every pair of Gaussian components in every draw.

    ``w``, ``mu``, ``sigma`` are arrays (S, K); returns (S, K, K), symmetric, NaN on the diagonal.
    ``"misclassification"``: integral of min(w_j f_j, w_k f_k) over (w_j + w_k), in [0, 0.5];
    ``"ovl"``: integral of min(f_j, f_k), in [0, 1].
    """
    s, k = w.shape
    j, m = np.triu_indices(k, 1)
    if method == "ovl":
        wj, wm = np.ones((s, j.size)), np.ones((s, j.size))
    else:
        wj, wm = w[:, j], w[:, m]
    value = _pair_mass(wj, mu[:, j], sigma[:, j], wm, mu[:, m], sigma[:, m])
    if method == "misclassification":
        value = value / (wj + wm)
    out = np.full((s, k, k), np.nan)
    out[:, j, m] = value
    out[:, m, j] = value
    return out


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
    *,
    method="misclassification",
    ci_prob=None,
    ci_kind=None,
    group="posterior",
    dim="component",
    sample_dims=("chain", "draw"),
    var_names=None,
):
    """How much each pair of fitted Gaussian components overlaps in data space, draw by draw.

    Two components are distinct when the data they generate can be told apart, which depends on
    their whole densities (means, scales and weights), not on the means alone. For every posterior
    draw and every pair of components ``j`` and ``k`` with weights :math:`w`, and Gaussian
    densities :math:`f`, this function computes one of:

    - ``"misclassification"`` (default): the pair's Bayes misclassification rate,
      :math:`\\int \\min(w_j f_j(y), w_k f_k(y))\\,dy / (w_j + w_k)`: of the observations the two
      components generate, the share that the best possible rule (assign each observation to the
      component with the larger :math:`w f`) gives to the wrong one. 0 for components that never
      overlap; 0.5 for two identical components of equal weight. For equal weights and scales
      :math:`\\sigma`, it is :math:`\\Phi(-d / 2\\sigma)` for means ``d`` apart (0.16 at
      ``d = 2 sigma``, 0.1 at ``d = 2.56 sigma``).
    - ``"ovl"``: the overlapping coefficient of the two densities, weights left out,
      :math:`\\int \\min(f_j(y), f_k(y))\\,dy` (Inman and Bradley, 1989): 0 for disjoint
      densities, 1 for identical ones, whatever the weights.

    Both are exact (normal CDFs between the points where the two curves cross), and both are
    summarized over draws by the posterior mean, its Monte Carlo standard error and a credible
    interval.

    Earlier versions of this function measured the overlap of the marginal *posteriors of the
    means*. That answers a different question: it measures the estimation uncertainty about where
    each component sits (whether the labels can be told apart in parameter space, e.g. by ordering
    the means), not whether the components are distinct. A narrow peak on a wide base has close
    means but distinct components; with much data, two heavily overlapping components have
    disjoint posteriors for their means. For that quantity compare the credible intervals of the
    means, e.g. from ``arviz.summary``.

    The result follows the labels as they are: relabel a posterior with label switching first
    (:func:`mixlab.relabel.relabel`), otherwise a pair mixes different components in different
    draws. (The largest overlap over pairs in each draw does not depend on the labels; that is
    what :func:`diagnose` checks.)

    Parameters
    ----------
    idata : xarray.DataTree, arviz.InferenceData or xarray.Dataset
        Posterior with ``w``, ``mu`` and ``sigma``, dims ``(*sample_dims, dim)``. A Dataset is
        taken to be the posterior group itself.
    method : {"misclassification", "ovl"}, default "misclassification"
        Overlap measure (see above).
    ci_prob : float, optional
        Probability of the credible intervals. Default: ``arviz.rcParams["stats.ci_prob"]``.
    ci_kind : {"eti", "hdi"}, optional
        Equal-tailed or highest density intervals. Default: ``arviz.rcParams["stats.ci_kind"]``.
    group : str, default "posterior"
        Group holding the draws.
    dim : str, default "component"
        Component dimension.
    sample_dims : tuple of str, default ("chain", "draw")
        Sample dimensions.
    var_names : dict, optional
        Variable names for the roles ``"w"``, ``"mu"``, ``"sigma"`` when they differ from
        mixlab's, e.g. ``{"w": "pi"}``.

    Returns
    -------
    xarray.Dataset
        Variables ``overlap`` (every draw, dims ``(*sample_dims, dim, dim + "2")``), and its
        posterior ``mean``, ``mcse`` (Monte Carlo standard error of the mean), ``lower`` and
        ``upper`` (credible interval), each with dims ``(dim, dim + "2")``. The matrices are
        symmetric, with NaN on the diagonal (a component is not compared with itself). The
        attributes record ``method``, ``ci_prob`` and ``ci_kind``.

    Raises
    ------
    TypeError
        For a wrong kind of ``idata`` or argument.
    ValueError
        If a variable or a dimension is missing, a variable has extra dimensions, the weights are
        not on the simplex, a scale is not positive, there is a single component, ``method`` or
        ``ci_kind`` is unknown, or ``ci_prob`` is not in (0, 1).
    NotImplementedError
        For Student-t components (the posterior has ``nu``) and mixture regressions (``beta``).

    References
    ----------
    McLachlan, G. J. and Peel, D. (2000). *Finite Mixture Models*. Wiley.

    Inman, H. F. and Bradley, E. L. (1989). The overlapping coefficient as a measure of agreement
    between probability distributions and point estimation of the overlap of two normal densities.
    *Communications in Statistics - Theory and Methods* 18(10), 3851-3874.

    Examples
    --------
    A narrow peak on a wide base: the means are 0.1 apart, yet only about a tenth of the
    observations the two components generate would be misattributed:

    >>> import numpy as np, xarray as xr
    >>> from mixlab.diagnostics import component_overlap
    >>> dims = ("chain", "draw", "component")
    >>> one_draw = xr.Dataset({"w": (dims, [[[0.5, 0.5]]]), "mu": (dims, [[[0.0, 0.1]]]),
    ...                        "sigma": (dims, [[[0.3, 3.0]]])})
    >>> ov = component_overlap(one_draw)
    >>> ov["overlap"].dims
    ('chain', 'draw', 'component', 'component2')
    >>> round(float(ov["mean"][0, 1]), 3)
    0.101

    Two unit Gaussians one standard deviation apart overlap by :math:`2\\Phi(-1/2)`:

    >>> one_draw["sigma"][:] = 1.0
    >>> one_draw["mu"][:] = [0.0, 1.0]
    >>> round(float(component_overlap(one_draw, method="ovl")["mean"][0, 1]), 4)
    0.6171
    """
    if method not in _OVERLAP_METHODS:
        raise ValueError(f"method must be one of {_OVERLAP_METHODS}, got {method!r}")
    if ci_prob is None:
        ci_prob = az.rcParams["stats.ci_prob"]
    ci_prob = check_probability(ci_prob, "ci_prob", low_open=True, high_open=True)
    if ci_kind is None:
        ci_kind = az.rcParams["stats.ci_kind"]
    if ci_kind not in ("eti", "hdi"):
        raise ValueError(f"ci_kind must be 'eti' or 'hdi', got {ci_kind!r}")
    # mixlab.invariants is the one place that reads and checks w, mu, sigma by role
    _, params, names = _setup(idata, group=group, dim=dim, sample_dims=sample_dims,
                              var_names=var_names, family=None, nu=None)
    if params.is_t.any() or params.beta is not None:
        what = f"Student-t degrees of freedom '{names['nu']}'" if params.is_t.any() else \
            f"regression slopes '{names['beta']}'"
        raise NotImplementedError(
            f"component_overlap supports Gaussian components without covariates; the posterior "
            f"has {what}")
    k = params.n_components
    if k < 2:
        raise ValueError(f"the posterior has {k} component along '{params.dim}'; "
                         "an overlap needs at least two")
    values = _pair_overlap(params.w, params.mu, params.sigma, method)
    other = f"{params.dim}2"
    coord = params.component_coord
    draws = xr.DataArray(
        values.reshape(*params.sample_shape, k, k),
        dims=(*params.sample_dims, params.dim, other),
        coords={**params.sample_coords, params.dim: coord, other: coord}, name="overlap")
    sd = list(params.sample_dims)
    interval = (az.eti if ci_kind == "eti" else az.hdi)(draws, prob=ci_prob, dim=sd)
    out = xr.Dataset({
        "overlap": draws,
        "mean": draws.mean(sd),
        "mcse": az.mcse(draws, sample_dims=sd),
        "lower": interval.sel(ci_bound="lower", drop=True),
        "upper": interval.sel(ci_bound="upper", drop=True),
    })
    out.attrs = {"method": method, "ci_prob": ci_prob, "ci_kind": ci_kind}
    return out


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
    overlap_max = check_probability(overlap_max, "overlap_max")

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
        add("component overlap", "skip", np.nan, f"<= {overlap_max:g}", reason, _REF_OVERLAP)
    else:
        _switching_row(add, ds[means], sample_dims, dim, n_chains, switch_tol)
        _overlap_row(add, ds, w, mu, sigma, weights, scales, overlap_max)

    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "check"
    return table


def _overlap_row(add, ds, w, mu, sigma, weights, scales, overlap_max):
    threshold = f"<= {overlap_max:g}"
    missing = [f"{role} variable '{name}'" for role, name, arr
               in (("weights", weights, w), ("scales", scales, sigma)) if arr is None]
    if missing:
        add("component overlap", "skip", np.nan, threshold,
            f"no {' and no '.join(missing)}; pass weights=... / scales=...", _REF_OVERLAP)
        return
    other = [v for v in ("nu", "beta") if v in ds.data_vars]
    if other:
        add("component overlap", "skip", np.nan, threshold,
            f"the posterior has '{other[0]}': the overlap is computed for Gaussian components "
            "without covariates only", _REF_OVERLAP)
        return
    # the largest pairwise overlap of a draw does not depend on the labels
    worst = np.nanmax(_pair_overlap(w, mu, sigma), axis=(1, 2))
    value = float(worst.mean())
    ok = value <= overlap_max
    add("component overlap", "pass" if ok else "warn", value, threshold,
        f"the most overlapping pair of components of each draw would misassign {value:.1%} "
        "of its observations (posterior mean)" + ("" if ok else
        ": these components are not distinct in data space; compare fewer components "
        "(e.g. with LOO)"), _REF_OVERLAP)


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
