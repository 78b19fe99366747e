"""The labelled layer: :func:`relabel` applies one permutation per draw to a whole posterior.

xarray in, xarray out. The permutations come from the array layer (:mod:`._stephens`,
:mod:`._ecr`; the methods ``pra``, ``data_based``, ``sjw`` and ``user`` through
:mod:`._dispatch`); the inputs (probabilities, allocations, pivot draw) are read by
:mod:`._inputs`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from mixlab._validate import check_dim_names, check_dims, check_group, check_name, check_sizes
from mixlab.relabel import _dispatch
from mixlab.relabel._checks import ALL_METHODS, check_labels, check_method
from mixlab.relabel._ecr import ecr, ecr_iterative
from mixlab.relabel._inputs import (
    _as_tree,
    _default_pivot,
    _labels_from,
    _probs_from,
    _sample_values,
)
from mixlab.relabel._stephens import sort, stephens


def _perm_for(idata, ds, method, *, p, y, z, pivot, by, family, max_iter, dim, obs_dim,
              sample_dims, group, cache=None, perm=None, variant=None, params=None):
    """Permutations (S, K) for one method."""

    k = ds.sizes[dim]
    cache = {} if cache is None else cache

    def probs():
        if "p" not in cache:
            cache["p"] = _probs_from(idata, ds, p=p, y=y, family=family, group=group, dim=dim,
                                     obs_dim=obs_dim, sample_dims=sample_dims)
        return cache["p"]

    def labels():
        out = _labels_from(ds, z=z, p_getter=probs, dim=dim, obs_dim=obs_dim,
                           sample_dims=sample_dims, group=group)
        return check_labels(out, "z", k, ndim=2)

    if method in ("sort", "aic"):
        if isinstance(by, str):
            if by not in ds.data_vars:
                have = ", ".join(map(str, ds.data_vars)) or "none"
                raise ValueError(
                    f"method='{method}' sorts by variable '{by}', which the {group} does not have "
                    f"(variables: {have}); pass by=... naming a variable with dim '{dim}'"
                )
            by_da, name = ds[by], f"by='{by}'"
        elif isinstance(by, xr.DataArray):
            by_da, name = by, "by"
        else:
            raise TypeError(f"by must be a variable name or an xarray.DataArray, got {type(by).__name__}")
        values = _sample_values(by_da, name, sample_dims=sample_dims, inner=(dim,),
                                sizes={d: ds.sizes[d] for d in (*sample_dims, dim)})
        return sort(values.reshape(-1, k))
    if method == "stephens":
        return stephens(probs(), max_iter=max_iter)
    if method == "ecr_iterative" and _dispatch.ecr_variant(
            variant, p=p, z=z, pivot=pivot, ds=ds, obs_dim=obs_dim) == 2:
        piv = pivot.values if isinstance(pivot, xr.DataArray) else pivot
        return ecr_iterative(labels(), k, max_iter=max_iter, pivot=piv, variant=2, p=probs())
    if method in ("ecr", "ecr_iterative"):
        z_arr = labels()
        if pivot is not None:
            piv = pivot.values if isinstance(pivot, xr.DataArray) else pivot
        elif method == "ecr":
            piv = _default_pivot(idata, z_arr, sample_dims=sample_dims)
        else:
            piv = None
        if method == "ecr":
            return ecr(z_arr, piv, k)
        return ecr_iterative(z_arr, k, max_iter=max_iter, pivot=piv)
    if method in ALL_METHODS:
        return _dispatch.perm_extra(idata, ds, method, labels=labels, y=y, pivot=pivot,
                                    params=params, perm=perm, family=family, max_iter=max_iter,
                                    dim=dim, obs_dim=obs_dim, sample_dims=sample_dims, group=group)
    raise ValueError(f"method must be one of {ALL_METHODS}, got {method!r}")


def _label_vars(ds, label_vars, *, dim, obs_dim, sample_dims, k, group="posterior"):
    """Names of allocation variables to relabel (values checked to lie in [0, k))."""
    if label_vars is None:
        names = [
            v for v, da in ds.data_vars.items()
            if dim not in da.dims and obs_dim in da.dims and da.dtype.kind in "iu"
            and all(d in da.dims for d in sample_dims)
        ]
        how = f"looks like an allocation (integer values, dims include '{obs_dim}')"
    else:
        if isinstance(label_vars, str) or not isinstance(label_vars, Sequence):
            raise TypeError(
                f"label_vars must be a list of variable names (or [] for none), got {label_vars!r}"
            )
        names = list(label_vars)
        for v in names:
            if not isinstance(v, str):
                raise TypeError(f"label_vars must hold variable names (strings), got {v!r}")
            if v not in ds.data_vars:
                have = ", ".join(map(str, ds.data_vars)) or "none"
                raise ValueError(
                    f"label_vars lists '{v}', which the {group} does not have (variables: {have})"
                )
        how = "is listed in label_vars"
    for v in names:
        da = ds[v]
        if dim in da.dims:
            raise ValueError(
                f"label_vars lists '{v}', which has dim '{dim}' and is permuted as a component "
                "variable; list only allocation variables (dims without the component dim)"
            )
        check_dims(da, sample_dims, name=f"allocation variable '{v}'",
                   hint="pass sample_dims=... naming the draw dimensions")
        vals = da.values
        if vals.dtype.kind not in "biuf":
            raise TypeError(f"allocation variable '{v}' must hold integer labels, got {vals.dtype}")
        if vals.dtype.kind == "f" and not np.all(vals == np.round(vals)):
            raise ValueError(
                f"allocation variable '{v}' must hold whole-number labels (no NaN/inf), got "
                "non-integer values; pass label_vars=[...] without it"
            )
        if vals.size == 0:  # no observations: nothing to relabel
            continue
        lo, hi = vals.min(), vals.max()
        if lo < 0 or hi >= k:
            raise ValueError(
                f"variable '{v}' {how} but holds values from {lo} to {hi}, outside [0, {k}); "
                "pass label_vars=[...] listing only the allocation variables (or [] for none)"
            )
    return names


def _gather(source, index, *, dim, sample_dims, shape):
    """``source.isel({dim: index})`` draw by draw (pointwise over the sample dims), as values.

    ``source`` has the sample dims and ``dim``; ``index`` has the sample dims and possibly
    others. Returns a bare DataArray (no coordinates) with the dims of ``index`` and the further
    dims of ``source``.
    """
    draws = {d: xr.DataArray(np.arange(n), dims=d) for d, n in zip(sample_dims, shape, strict=True)}
    return xr.DataArray(source.variable).isel({dim: index, **draws})


def _permute(ds, perm, *, dim, sample_dims, labels, method):
    """Apply one permutation per draw to every variable with ``dim`` and to the label variables.

    Component variables: ``new[..., j] = old[..., perm[..., j]]``; allocations:
    ``new = inverse[..., old]`` with ``inverse = argsort(perm)`` (the new name of each old label).
    """
    shape = tuple(ds.sizes[d] for d in sample_dims)
    k = ds.sizes[dim]
    perm = perm.reshape(*shape, k)
    perm_da = xr.DataArray(perm, dims=(*sample_dims, dim))
    inverse = xr.DataArray(np.argsort(perm, axis=-1), dims=(*sample_dims, dim))
    new = {}
    for name, da in ds.data_vars.items():
        if dim in da.dims:
            missing = [d for d in sample_dims if d not in da.dims]
            if missing:
                raise ValueError(
                    f"variable '{name}' has dim '{dim}' but not the sample dim(s) {missing}, so "
                    "it cannot be permuted draw by draw; drop it or broadcast it over the draws"
                )
            out = _gather(da, perm_da, dim=dim, sample_dims=sample_dims, shape=shape)
            to = f"{dim}_to"
            if to in da.dims:  # a transition matrix: its columns name components too
                out = _gather(out, perm_da.rename({dim: to}), dim=to, sample_dims=sample_dims,
                              shape=shape)
            new[name] = da.copy(data=out.transpose(*da.dims).values)  # keeps coords and attrs
        elif name in labels:
            old = xr.DataArray(da.variable.astype(np.int64))
            out = _gather(inverse, old, dim=dim, sample_dims=sample_dims, shape=shape)
            new[name] = da.copy(data=out.transpose(*da.dims).values.astype(da.dtype))
    out = ds.assign(new)
    if "relabel_perm" in ds.data_vars:  # already composed with the new permutation above
        previous = ds["relabel_perm"].attrs.get("method", "?")
        out["relabel_perm"].attrs = {**ds["relabel_perm"].attrs, "method": f"{previous} -> {method}"}
    else:
        coords = {d: ds[d] for d in (*sample_dims, dim) if d in ds.coords}
        out["relabel_perm"] = xr.DataArray(
            perm, dims=(*sample_dims, dim), coords=coords,
            attrs={
                "method": method,
                "description": "relabeled[..., j] = original[..., relabel_perm[..., j]] along "
                f"'{dim}'",
            },
        )
    return out


def prepare(idata, *, group, dim, obs_dim, sample_dims):
    """Check the group and dim arguments; return ``(ds, dim, obs_dim, sample_dims)``."""
    dim, sample_dims, obs_dim = check_dim_names(dim=dim, sample_dims=sample_dims, obs_dim=obs_dim)
    group = check_name(group, "group")
    ds = check_group(idata, group)
    check_dims(ds, sample_dims, name=group, hint="pass sample_dims=... naming the draw dimensions")
    check_dims(ds, dim, name=group, hint="pass dim=... naming the component dimension")
    check_sizes(ds, (*sample_dims, dim), name=group)
    return ds, dim, obs_dim, sample_dims


def relabel(
    idata,
    method="stephens",
    *,
    p=None,
    y=None,
    z=None,
    pivot=None,
    by="mu",
    family=None,
    label_vars=None,
    max_iter=100,
    perm=None,
    variant=None,
    params=None,
    group="posterior",
    dim="component",
    obs_dim="obs",
    sample_dims=("chain", "draw"),
):
    """Relabel a mixture posterior: one permutation per draw, applied to every component variable.

    Computes a permutation of the components for every (chain, draw) with one of the methods of
    the array layer, then applies it to **every** variable of ``group`` that has the ``dim``
    dimension -- weights, means, scales, slopes, derived quantities, including variables with
    further dims -- and relabels allocation variables (integer variables with ``obs_dim``, such
    as ``z``) so that they name the new components. Variables without ``dim`` are unchanged. A
    variable that also has the dim ``f"{dim}_to"`` (the transition matrix ``P`` of a hidden Markov
    model, rows and columns both states) is permuted along both.

    Parameters
    ----------
    idata : xarray.DataTree or xarray.Dataset
        The posterior (what ``pm.sample`` returns). A Dataset is taken to be ``group`` itself.
    method : str, default "stephens"
        One of :data:`ALL_METHODS`: ``"sort"`` (or its ``label.switching`` name ``"aic"``) orders
        the components by ``by`` in every draw (:func:`sort`); ``"stephens"`` uses assignment
        probabilities (:func:`stephens`); ``"ecr"`` and ``"ecr_iterative"`` use allocations
        (:func:`ecr`, :func:`ecr_iterative`); ``"pra"`` matches the component variables
        ``params`` to a pivot draw (:func:`pra`, each variable divided by its standard
        deviation); ``"data_based"`` and ``"sjw"`` use the observations and allocations
        (:func:`data_based`, :func:`sjw`); ``"user"`` applies ``perm`` (:func:`user_perm`).
    p : xarray.DataArray, array_like or str, optional
        Assignment probabilities for ``"stephens"`` (and for ``"ecr"`` when no allocations are
        available): a DataArray with dims ``(*sample_dims, obs_dim, dim)`` (any order), an array
        of that shape, or the name of such a variable of ``group``. Default: computed with
        :func:`mixlab.invariants.assignment_probs` from ``y``.
    y : array_like or xarray.DataArray, optional
        Observations passed to :func:`mixlab.invariants.assignment_probs` when ``p`` is not given
        (which itself defaults to ``observed_data["y"]`` of a DataTree).
    z : xarray.DataArray, array_like or str, optional
        Allocations for the ECR methods, dims ``(*sample_dims, obs_dim)``, or the name of a
        variable of ``group``. If not given, the variable ``z`` of ``group`` is used when
        present; otherwise the most probable component of each observation in each draw,
        ``argmax(p)``, computed as for ``"stephens"``.
    pivot : array_like of int, shape (n_obs,), or int, optional
        Pivot allocation for ``"ecr"`` (starting pivot for ``"ecr_iterative"``). Default for
        ``"ecr"``: the allocation of the draw with the highest log posterior density (``lp`` in
        ``sample_stats``), or of the first draw when that is not available. For ``"pra"``,
        ``"data_based"`` and ``"sjw"``: the index of the pivot (starting) draw, counted over the
        flattened sample dims; default the draw with the highest ``lp``, else
        :func:`central_draw` of the component variables.
    by : str or xarray.DataArray, default "mu"
        Quantity to sort by for ``"sort"``: a variable of ``group`` or a DataArray with dims
        ``(*sample_dims, dim)``.
    family : optional
        Passed to :func:`mixlab.invariants.assignment_probs` when ``p`` is computed.
    label_vars : list of str, optional
        Allocation variables to relabel. Default: every integer variable of ``group`` with
        ``obs_dim`` and without ``dim``; pass ``[]`` to relabel none.
    max_iter : int, default 100
        Iteration limit of ``"stephens"``, ``"ecr_iterative"``, ``"data_based"`` and ``"sjw"``.
    perm : xarray.DataArray or array_like of int, optional
        For ``"user"``: one permutation per draw, dims ``(*sample_dims, dim)`` or shape
        ``(draws, K)``.
    variant : {1, 2}, optional
        For ``"ecr_iterative"``: the pivot from allocations (1) or from ``p`` (2). Default: 2 when
        ``p`` is given and there are no allocations (no ``z``, no ``z`` in ``group``) and no
        ``pivot``, else 1.
    params : list of str, optional
        Component variables stacked for ``"pra"`` (and the central draw). Default: every numeric
        variable with the sample dims and ``dim`` and without ``obs_dim``.
    group : str, default "posterior"
        Group to relabel.
    dim : str, default "component"
        Component dimension.
    obs_dim : str, default "obs"
        Observation dimension.
    sample_dims : sequence of str, default ("chain", "draw")
        Dimensions indexing the draws; one permutation is computed per combination.

    Returns
    -------
    xarray.DataTree or xarray.Dataset
        A new object of the input's kind whose ``group`` is
        relabelled and holds ``relabel_perm`` (int64, dims ``(*sample_dims, dim)``) with
        ``relabeled[..., j] = original[..., relabel_perm[..., j]]``. Relabelling an already
        relabelled posterior composes the permutations, so ``relabel_perm`` always refers to the
        labels as sampled. Other groups are carried over unchanged (a shallow copy that shares
        their data with the input); the input is not modified.

    Raises
    ------
    TypeError
        If ``idata`` is not a DataTree/Dataset or an argument has the wrong type.
    ValueError
        If ``method`` is unknown; a dimension or variable is missing; ``dim``, ``obs_dim`` and
        the ``sample_dims`` are not all different; a sample dim or ``dim`` has size 0; ``p``,
        ``z``, ``pivot`` or ``by`` have wrong shapes or invalid values such as NaN/inf,
        probabilities whose rows do not sum to 1 or labels outside ``[0, K)`` (see the array
        functions); an allocation variable holds values outside ``[0, K)``; ``K`` is too large
        for the per-draw ``K x K`` tables to fit in memory; ``perm``, ``variant`` or ``params``
        is given to a method it does not apply to; ``"sjw"`` with ``K > 8``.

    See Also
    --------
    switching_report : whether the posterior needs relabelling, and which method works.

    References
    ----------
    - Papastamoulis, P. (2016). label.switching: An R package for dealing with the label
      switching problem in MCMC outputs. *Journal of Statistical Software*, 69(1), 1-24.

    Examples
    --------
    A posterior whose second draw has its two components swapped:

    >>> import numpy as np, xarray as xr
    >>> from mixlab.relabel import relabel
    >>> dims = ("chain", "draw", "component")
    >>> post = xr.Dataset({
    ...     "mu": (dims, [[[-2.0, 3.0], [3.1, -1.9]]]),
    ...     "w": (dims, [[[0.3, 0.7], [0.72, 0.28]]]),
    ...     "z": (("chain", "draw", "obs"), [[[0, 1, 1], [1, 0, 0]]]),
    ... })
    >>> out = relabel(post, "sort", by="mu")
    >>> out["mu"].values[0]
    array([[-2. ,  3. ],
           [-1.9,  3.1]])
    >>> out["w"].values[0]
    array([[0.3 , 0.7 ],
           [0.28, 0.72]])
    >>> out["z"].values[0]
    array([[0, 1, 1],
           [0, 1, 1]])
    >>> out["relabel_perm"].values[0]
    array([[0, 1],
           [1, 0]])
    """
    method = check_method(method)
    for arg, value, users in (("perm", perm, ("user",)), ("variant", variant, ("ecr_iterative",)),
                              ("params", params, ("pra", "data_based"))):
        if value is not None and method not in users:
            raise ValueError(f"{arg}=... applies to method {' or '.join(users)}, not {method!r}")
    ds, dim, obs_dim, sample_dims = prepare(idata, group=group, dim=dim, obs_dim=obs_dim,
                                            sample_dims=sample_dims)
    k = ds.sizes[dim]
    labels = _label_vars(ds, label_vars, dim=dim, obs_dim=obs_dim, sample_dims=sample_dims, k=k,
                         group=group)
    perm = _perm_for(idata, ds, method, p=p, y=y, z=z, pivot=pivot, by=by, family=family,
                     max_iter=max_iter, dim=dim, obs_dim=obs_dim, sample_dims=sample_dims,
                     group=group, perm=perm, variant=variant, params=params)
    new = _permute(ds, perm, dim=dim, sample_dims=sample_dims, labels=labels, method=method)
    if isinstance(idata, xr.Dataset):
        return new
    out = _as_tree(idata).copy(deep=False)
    out[group] = new
    return out
