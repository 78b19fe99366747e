"""Evidence of label switching (:func:`switching_evidence`) and what relabelling does to it
(:func:`switching_report`)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from mixlab._validate import check_array, check_dim_names, check_dims, check_sizes, check_var_names
from mixlab.relabel._checks import check_methods, check_names, check_threshold
from mixlab.relabel._posterior import _label_vars, _perm_for, _permute, prepare

#: Default R-hat threshold of :func:`switching_report`.
_RHAT_OK = 1.01

#: Options of :func:`relabel` that :func:`switching_report` passes on to the methods.
_RELABEL_OPTIONS = ("p", "y", "z", "pivot", "by", "family")


def _rank_deviation(values):
    """Largest Kolmogorov-Smirnov distance between a chain's pooled ranks and the uniform.

    ``values`` has shape (chain, draw, E). Returns shape (E,).
    """
    from scipy.stats import rankdata

    n_chain, n_draw, n_el = values.shape
    total = n_chain * n_draw
    u = (rankdata(values.reshape(total, n_el), axis=0) - 0.5) / total
    u = np.sort(u.reshape(n_chain, n_draw, n_el), axis=1)
    i = np.arange(1, n_draw + 1)[None, :, None]
    dist = np.maximum(i / n_draw - u, u - (i - 1) / n_draw)
    return dist.max(axis=(0, 1))


def _chain_draw_values(da, *, dim, sample_dims):
    """Values of ``da`` arranged (chain, draw, K, *rest) and the names of the further dims.

    The first sample dim counts as the chain dim when there are two or more sample dims (the
    others are flattened into draws); with one sample dim, all draws form one chain.
    """
    rest = [d for d in da.dims if d not in (*sample_dims, dim)]
    t = da.transpose(*sample_dims, dim, *rest)
    vals = check_array(t.values, f"variable '{da.name}'" if da.name is not None else "da")
    n_chains = t.sizes[sample_dims[0]] if len(sample_dims) >= 2 else 1
    return vals.reshape(n_chains, -1, *vals.shape[len(sample_dims):]), rest


def _modal_order(order):
    """Most frequent row of ``order`` (S, K) and its count (ties: the smallest row)."""
    rows, counts = np.unique(order, axis=0, return_counts=True)
    best = int(np.argmax(counts))
    return rows[best], int(counts[best])


def switching_evidence(da, *, dim="component", sample_dims=("chain", "draw")):
    """Evidence of label switching in one component variable, without relabelling it.

    Parameters
    ----------
    da : xarray.DataArray
        One component variable with the ``sample_dims``, ``dim`` and possibly further dims, such
        as ``idata.posterior["mu"]``.
    dim : str, default "component"
        Component dimension.
    sample_dims : sequence of str, default ("chain", "draw")
        Dimensions indexing the draws. The first counts as the chain dim when there are two or
        more (the rest are flattened into draws); a single sample dim is one chain.

    Returns
    -------
    xarray.Dataset
        - ``rhat`` (dims ``(dim, *extra dims)``): rank-normalised split R-hat (``arviz.rhat``) of
          the values as labelled. Chains that settled in different labellings give values far
          above 1.01. NaN with one chain (R-hat compares chains) or too few draws;
        - ``rhat_sorted`` (same dims): R-hat after sorting every draw's values along ``dim``
          (separately for each coordinate of the extra dims), i.e. of the order statistics,
          which do not depend on the labels. NaN as ``rhat``;
        - ``rank_dev`` (same dims): the largest Kolmogorov-Smirnov distance, over chains, between
          a chain's ranks within all draws (scaled to (0, 1)) and the uniform -- what a rank plot
          shows. Well-mixed chains give values of order ``1/sqrt(draws)``; two chains stuck in
          different labellings give about 0.5;
        - ``off_modal`` (scalar): share of draws whose ordering of the components' values
          (argsort along ``dim``, of the first coordinate of the extra dims if any) differs from
          the most frequent ordering;
        - ``chains_disagree`` (scalar bool): the chains' most frequent orderings differ (False
          with one chain).

        Orderings are compared as rows of ``K`` indices, so any ``K`` works.

    Raises
    ------
    TypeError
        If ``da`` is not a DataArray, holds non-numeric values, or ``dim``/``sample_dims`` are not
        names.
    ValueError
        If ``dim`` is also a sample dim, a dim is missing or empty, or the values hold NaN/inf.

    Examples
    --------
    Four chains; the last two found the components in the opposite order:

    >>> import numpy as np, xarray as xr
    >>> from mixlab.relabel import switching_evidence
    >>> centres = np.array([[-3.0, 3.0], [-3.0, 3.0], [3.0, -3.0], [3.0, -3.0]])[:, None, :]
    >>> noise = 0.1 * np.random.default_rng(0).standard_normal((4, 500, 2))
    >>> ev = switching_evidence(xr.DataArray(centres + noise, dims=("chain", "draw", "component")))
    >>> ev["rhat"].round(1).values, ev["rhat_sorted"].round(2).values
    (array([1.7, 1.7]), array([1., 1.]))
    >>> ev["rank_dev"].round(2).values, float(ev["off_modal"]), bool(ev["chains_disagree"])
    (array([0.5, 0.5]), 0.5, True)
    """
    import arviz as az

    if not isinstance(da, xr.DataArray):
        raise TypeError(
            f"da must be an xarray.DataArray (one component variable, e.g. posterior['mu']), "
            f"got {type(da).__name__}"
        )
    dim, sample_dims, _ = check_dim_names(dim=dim, sample_dims=sample_dims)
    name = f"variable '{da.name}'" if da.name is not None else "da"
    check_dims(da, sample_dims, name=name, hint="pass sample_dims=... naming the draw dimensions")
    check_dims(da, dim, name=name, hint="pass dim=... naming the component dimension")
    check_sizes(da, (*sample_dims, dim), name=name)
    vals, rest = _chain_draw_values(da, dim=dim, sample_dims=sample_dims)
    n_chains, n_draws, k = vals.shape[:3]
    out_dims = (dim, *rest)
    coords = {d: da[d] for d in out_dims if d in da.coords}
    out_shape = vals.shape[2:]

    if n_chains >= 2:
        # temporary dim names that cannot collide with the user's
        tmp = xr.DataArray(
            np.stack([vals, np.sort(vals, axis=2)]),
            dims=("__which__", "__chain__", "__draw__", *out_dims),
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            r = az.rhat(tmp, sample_dims=["__chain__", "__draw__"])
        r = np.asarray(getattr(r, "values", r), dtype=float).reshape(2, *out_shape)
        rhat, rhat_sorted = r[0], r[1]
    else:
        rhat = rhat_sorted = np.full(out_shape, np.nan)

    rank_dev = _rank_deviation(vals.reshape(n_chains, n_draws, -1)).reshape(out_shape)

    first = vals[(slice(None), slice(None), slice(None)) + (0,) * len(rest)]
    order = np.argsort(first, axis=-1, kind="stable")  # (chain, draw, K)
    _, count = _modal_order(order.reshape(-1, k))
    off_modal = 1.0 - count / (n_chains * n_draws)
    disagree = False
    if n_chains >= 2:
        modes = {tuple(_modal_order(order[c])[0]) for c in range(n_chains)}
        disagree = len(modes) > 1

    def per_element(values):
        return xr.DataArray(values, dims=out_dims, coords=coords)

    return xr.Dataset({
        "rhat": per_element(rhat),
        "rhat_sorted": per_element(rhat_sorted),
        "rank_dev": per_element(rank_dev),
        "off_modal": float(off_modal),
        "chains_disagree": bool(disagree),
    })


def _row_labels(da, *, dim, sample_dims):
    """``(variable, component)`` row labels of one component variable, in (dim, *extra) order."""
    rest = [d for d in da.dims if d not in (*sample_dims, dim)]
    comp = da[dim].values if dim in da.coords else np.arange(da.sizes[dim])
    labels = []
    for index in np.ndindex(tuple(da.sizes[d] for d in (dim, *rest))):
        extra = [
            str(da[d].values[j]) if d in da.coords else str(j)
            for d, j in zip(rest, index[1:], strict=True)
        ]
        var = f"{da.name}[{', '.join(extra)}]" if extra else str(da.name)
        labels.append((var, comp[index[0]]))
    return labels


def _flat_rhat(ds, names, *, dim, sample_dims):
    import arviz as az

    rhat = az.rhat(ds[names], sample_dims=list(sample_dims))
    values = []
    for name in names:
        da = rhat[name]
        rest = [d for d in da.dims if d != dim]
        values.append(da.transpose(dim, *rest).values.reshape(-1))
    return np.concatenate(values)


def _share_moved(perm):
    """Share of draws whose permutation differs from the method's most frequent one."""
    _, counts = np.unique(perm, axis=0, return_counts=True)
    return 1.0 - counts.max() / perm.shape[0]


def switching_report(
    idata,
    var_names=None,
    *,
    methods=("sort", "stephens", "ecr"),
    rhat_threshold=_RHAT_OK,
    group="posterior",
    dim="component",
    obs_dim="obs",
    sample_dims=("chain", "draw"),
    **relabel_options,
):
    """Evidence of label switching per component variable, and what each relabelling does to it.

    For every element of every component variable (one row per component, and per coordinate of
    any further dim), the table gives

    - ``R-hat before``: rank-normalised split R-hat (``arviz.rhat``) of the draws as sampled.
      Chains that settled in different labellings give values far above 1.01;
    - ``rank dev``: the largest Kolmogorov-Smirnov distance, over chains, between the chain's
      ranks within all draws (scaled to (0, 1)) and the uniform distribution -- what a rank plot
      shows. Well-mixed chains give values of order ``1/sqrt(draws)``; two chains stuck in
      different labellings give about 0.5;
    - ``R-hat <method>``: R-hat after relabelling with each method;
    - ``moved <method>``: the share of draws whose permutation differs from the method's most
      frequent one (a relabelling that only renames the components globally moves no draw);
    - ``verdict``: ``"no switching"`` when R-hat before is below ``rhat_threshold``;
      ``"switching; fixed by ..."`` listing the methods that bring R-hat below it; and
      ``"not fixed by relabelling"`` otherwise (poor mixing, or components that overlap).

    Parameters
    ----------
    idata : xarray.DataTree or xarray.Dataset
        Posterior with at least two chains.
    var_names : str or list of str, optional
        Component variables to report. Default: every variable of ``group`` with ``dim`` and
        without ``obs_dim`` (per-observation quantities would give one row per observation),
        except ``relabel_perm``.
    methods : sequence of str, default ("sort", "stephens", "ecr")
        Methods of :func:`relabel` to compare. ``"stephens"`` (and ``"ecr"`` without sampled
        allocations) need assignment probabilities: ``p``, or ``y``/``observed_data`` to compute
        them.
    rhat_threshold : float, default 1.01
        R-hat below which a variable counts as converged in the verdict.
    group, dim, obs_dim, sample_dims
        As in :func:`relabel`; ``sample_dims`` must be ``(chain dim, draw dim)``.
    **relabel_options
        ``p``, ``y``, ``z``, ``pivot``, ``by`` and ``family``, passed to the methods as in
        :func:`relabel`; probabilities are computed once and shared by the methods.

    Returns
    -------
    pandas.DataFrame
        Index ``(variable, component)``; columns ``R-hat before``, ``rank dev``, ``R-hat <m>``
        and ``moved <m>`` for each method ``m``, and ``verdict``.

    Raises
    ------
    TypeError, ValueError
        As :func:`relabel`; also if ``methods`` is not a sequence, is empty or lists an unknown
        or repeated method; ``var_names`` is not a name or a list of distinct names;
        ``rhat_threshold`` is not a finite number; a reported variable holds NaN/inf; or the
        posterior has fewer than two chains or no component variable.

    Examples
    --------
    Two chains that found the two components in opposite orders:

    >>> import numpy as np, xarray as xr
    >>> from mixlab.relabel import switching_report
    >>> rng = np.random.default_rng(0)
    >>> mu = np.array([-3.0, 3.0]) + 0.1 * rng.standard_normal((2, 500, 2))
    >>> mu[1] = mu[1, :, ::-1]
    >>> post = xr.Dataset({"mu": (("chain", "draw", "component"), mu)})
    >>> table = switching_report(post, methods=["sort"])
    >>> print(table.round(2).to_string())
                        R-hat before  rank dev  R-hat sort  moved sort                   verdict
    variable component
    mu       0                  1.83       0.5         1.0         0.5  switching; fixed by sort
             1                  1.83       0.5         1.0         0.5  switching; fixed by sort
    """
    import pandas as pd

    methods = check_methods(methods)
    unknown = sorted(set(relabel_options) - set(_RELABEL_OPTIONS))
    if unknown:
        raise TypeError(
            f"switching_report() got unknown option(s) {unknown}; the relabelling options are "
            f"{_RELABEL_OPTIONS} (see relabel)"
        )
    opts = {"p": None, "y": None, "z": None, "pivot": None, "by": "mu", "family": None}
    opts.update(relabel_options)
    rhat_threshold = check_threshold(rhat_threshold, "rhat_threshold")
    var_names = check_names(var_names, "var_names")
    ds, dim, obs_dim, sample_dims = prepare(idata, group=group, dim=dim, obs_dim=obs_dim,
                                            sample_dims=sample_dims)
    if len(sample_dims) != 2:
        raise ValueError(
            f"sample_dims must name the chain and draw dims (two names), got {sample_dims}"
        )
    if ds.sizes[sample_dims[0]] < 2:
        raise ValueError(
            f"switching_report needs at least 2 chains to compare, got {ds.sizes[sample_dims[0]]};"
            " sample with chains >= 2"
        )
    if var_names is None:
        names = [
            v for v, da in ds.data_vars.items()
            if dim in da.dims and obs_dim not in da.dims and v != "relabel_perm"
            and all(d in da.dims for d in sample_dims)
        ]
        if not names:
            raise ValueError(f"{group} has no variable with dims {(*sample_dims, dim)} to report")
    else:
        names = check_var_names(ds, var_names, name=group)
        for v in names:
            check_dims(ds[v], (*sample_dims, dim), name=f"variable '{v}'",
                       hint="list only component variables in var_names")
    # allocation variables are not reported, but checked as relabel would check them
    _label_vars(ds, None, dim=dim, obs_dim=obs_dim, sample_dims=sample_dims, k=ds.sizes[dim],
                group=group)

    evidence = [switching_evidence(ds[v], dim=dim, sample_dims=sample_dims) for v in names]
    index = pd.MultiIndex.from_tuples(
        [lab for v in names for lab in _row_labels(ds[v], dim=dim, sample_dims=sample_dims)],
        names=["variable", "component"],
    )
    table = {
        "R-hat before": np.concatenate([ev["rhat"].values.reshape(-1) for ev in evidence]),
        "rank dev": np.concatenate([ev["rank_dev"].values.reshape(-1) for ev in evidence]),
    }
    cache = {}
    moved = {}
    for m in methods:
        perm = _perm_for(idata, ds, m, **opts, max_iter=100, dim=dim, obs_dim=obs_dim,
                         sample_dims=sample_dims, group=group, cache=cache)
        after = _permute(ds[names], perm, dim=dim, sample_dims=sample_dims, labels=[], method=m)
        table[f"R-hat {m}"] = _flat_rhat(after, names, dim=dim, sample_dims=sample_dims)
        moved[f"moved {m}"] = np.full(len(index), _share_moved(perm))
    table.update(moved)
    before = table["R-hat before"]
    verdict = []
    for r in range(len(index)):
        fixed = [m for m in methods if table[f"R-hat {m}"][r] < rhat_threshold]
        if not np.isfinite(before[r]):
            verdict.append("R-hat undefined")
        elif before[r] < rhat_threshold:
            verdict.append("no switching")
        elif fixed:
            verdict.append("switching; fixed by " + ", ".join(fixed))
        else:
            verdict.append("not fixed by relabelling")
    table["verdict"] = verdict
    return pd.DataFrame(table, index=index)
