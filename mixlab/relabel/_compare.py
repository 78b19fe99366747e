"""How much relabelling methods agree: :func:`same_permutation`, :func:`compare_methods`."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np
import xarray as xr

from mixlab._validate import check_array
from mixlab.partitions import adjusted_rand
from mixlab.relabel._checks import ALL_METHODS, check_labels, check_methods, shape_str
from mixlab.relabel._ecr import _mode_allocation
from mixlab.relabel._inputs import _labels_from, _probs_from
from mixlab.relabel._posterior import _perm_for, prepare
from mixlab.relabel._pra import check_perm, user_perm

#: Methods compared by default (those that need nothing but the posterior and its observations).
_DEFAULT = ("sort", "stephens", "ecr", "ecr_iterative", "pra")

#: Options of :func:`relabel` that apply to one method only.
_ONLY = {"perm": ("user",), "variant": ("ecr_iterative",), "params": ("pra", "data_based")}


def _flat_perms(perm, name):
    """Permutations with the components on the last axis, as (draws, K) int64, checked."""
    arr = check_array(perm, name, dtype=int)
    if arr.ndim < 2:
        raise ValueError(
            f"{name} must hold one permutation per draw, shape (draws, K) or (chain, draw, K), got "
            f"shape {shape_str(arr.shape)}"
        )
    return check_perm(arr.reshape(-1, arr.shape[-1]), name)


def same_permutation(perm_a, perm_b):
    r"""Share of draws on which two relabellings agree, once their names for the components match.

    Two relabelling methods may agree about which components go together in every draw and
    still number them differently (method a's component 0 is method b's component 2, say).
    Writing :math:`m_t = \sigma^b_t{}^{-1} \circ \sigma^a_t` for the label that b gives, in draw
    :math:`t`, to the component that a calls :math:`j`, the two methods agree on draw :math:`t`
    up to one global renaming :math:`m` when :math:`m_t = m`; the result is the share of draws
    on which :math:`m_t` equals its most frequent value. It is 1 when the methods differ only
    by a global renaming (or not at all), and ``1 - same_permutation(a, b)`` is the share of
    draws they label differently.

    Parameters
    ----------
    perm_a, perm_b : array_like of int, shape (draws, K) or (chain, draw, K)
        Permutations of two relabellings of the same draws, in mixlab's convention
        ``relabeled[t, j] = original[t, perm[t, j]]`` (what the array methods return, or the
        ``relabel_perm`` variable that :func:`relabel` stores); leading axes are flattened.

    Returns
    -------
    float
        In ``[1 / draws, 1]``: the share of draws on which the two agree up to the most frequent
        renaming of the components.

    Raises
    ------
    TypeError
        If a permutation array is not numeric.
    ValueError
        If a row is not a permutation of ``0..K-1``, an array has fewer than 2 dimensions, or the
        two arrays do not have the same number of draws and components.

    See Also
    --------
    compare_methods : this share for every pair of several methods, with the adjusted Rand index
        of their clusterings.

    References
    ----------
    - Jasra, A., Holmes, C. C. and Stephens, D. A. (2005). Markov chain Monte Carlo methods and
      the label switching problem in Bayesian mixture modeling. *Statistical Science*, 20(1),
      50-67.

    Examples
    --------
    Method b calls the components by the other names in every draw but the last:

    >>> from mixlab.relabel import same_permutation
    >>> a = [[0, 1], [1, 0], [0, 1], [1, 0]]
    >>> b = [[1, 0], [0, 1], [1, 0], [1, 0]]
    >>> same_permutation(a, b)
    0.75
    >>> same_permutation(a, a)
    1.0
    """
    a, b = _flat_perms(perm_a, "perm_a"), _flat_perms(perm_b, "perm_b")
    if a.shape != b.shape:
        raise ValueError(
            f"perm_a has shape {shape_str(a.shape)} and perm_b {shape_str(b.shape)} (draws, K); "
            "pass two relabellings of the same draws"
        )
    # match[t, j]: the label that b gives to the component that a calls j in draw t
    match = np.take_along_axis(np.argsort(b, axis=1), a, axis=1)
    _, counts = np.unique(match, axis=0, return_counts=True)
    return float(counts.max() / match.shape[0])


def _table(perms, z, k):
    """One row per pair of methods: share of agreeing permutations, ARI of modal clusterings."""
    import pandas as pd

    names = list(perms)
    clusters = {m: _mode_allocation(z, perms[m], k)[0] for m in names}
    rows = list(itertools.combinations(names, 2))
    return pd.DataFrame(
        {
            "same permutation": [same_permutation(perms[a], perms[b]) for a, b in rows],
            "adjusted Rand": [adjusted_rand(clusters[a], clusters[b]) for a, b in rows],
        },
        index=pd.MultiIndex.from_tuples(rows, names=["method", "other"]),
    )


def _from_arrays(data, methods, z):
    names = list(data) if methods is None else list(check_methods(methods, allowed=tuple(data)))
    if len(names) < 2:
        raise ValueError(f"compare_methods needs at least 2 methods to compare, got {names}")
    perms = {m: user_perm(data[m]) for m in names}
    shapes = {m: p.shape for m, p in perms.items()}
    if len(set(shapes.values())) > 1:
        raise ValueError(f"the permutations must all have the same shape (draws, K), got {shapes}")
    n_draws, k = shapes[names[0]]
    if z is None:
        raise ValueError("pass z=... (allocations, draws x n) to compare the methods' clusterings")
    z = check_labels(z, "z", k, ndim=2)
    if z.shape[0] != n_draws:
        raise ValueError(
            f"z has shape {shape_str(z.shape)} but the permutations have {n_draws} draw(s); pass "
            "one allocation per draw"
        )
    return _table(perms, z, k)


def compare_methods(
    data,
    methods=None,
    *,
    z=None,
    p=None,
    y=None,
    pivot=None,
    by="mu",
    family=None,
    perm=None,
    variant=None,
    params=None,
    max_iter=100,
    group="posterior",
    dim="component",
    obs_dim="obs",
    sample_dims=("chain", "draw"),
):
    """Agreement of several relabelling methods: same permutations, and same clustering.

    For every pair of methods, the share of draws on which they choose the same permutation (once
    the two methods' names for the components are matched: two methods that differ only by one
    global renaming agree on every draw), and
    the adjusted Rand index (Hubert & Arabie 1985) of their single-best clusterings: the modal
    relabelled allocation of every observation (1 when the two partitions are the same up to
    the names of the clusters, about 0 for chance agreement). Methods that agree on few draws but
    give the same clustering differ only where the draws are ambiguous; methods whose
    clusterings differ disagree about the components themselves (see Papastamoulis 2016,
    ``compare.clust``).

    Parameters
    ----------
    data : xarray.DataTree, xarray.Dataset or dict
        A posterior, relabelled by each method as :func:`relabel` would (probabilities and
        allocations computed once); or a dict ``{name: perm}`` of permutations ``(draws, K)``
        already computed, compared as given (then ``z`` is required).
    methods : sequence of str, optional
        Methods to compare, from :data:`ALL_METHODS` (or keys of ``data``). Default:
        ``("sort", "stephens", "ecr", "ecr_iterative", "pra")``, or every key of ``data``.
    z : xarray.DataArray, array_like or str, optional
        Allocations, as in :func:`relabel`; they give the clusterings (default: ``z`` of the
        posterior, else the most probable label ``argmax(p)`` of every draw).
    p, y, pivot, by, family, perm, variant, params, max_iter
        As in :func:`relabel`; ``perm``, ``variant`` and ``params`` reach only the methods they
        apply to.
    group, dim, obs_dim, sample_dims
        As in :func:`relabel`.

    Returns
    -------
    pandas.DataFrame
        One row per pair of methods (index ``method``, ``other``, in the order of ``methods``),
        columns ``"same permutation"`` (share of draws, in [0, 1]) and ``"adjusted Rand"``.

    Raises
    ------
    TypeError, ValueError
        As :func:`relabel` for each method; also if fewer than two methods are listed, a method
        is listed twice or is unknown, or (dict input) the permutations differ in shape or ``z``
        is missing or does not match them.

    See Also
    --------
    mixlab.partitions.adjusted_rand : the similarity of the clusterings.

    References
    ----------
    - Hubert, L. and Arabie, P. (1985). Comparing partitions. *Journal of Classification*,
      2(1), 193-218.
    - Papastamoulis, P. (2016). label.switching: An R package for dealing with the label
      switching problem in MCMC outputs. *Journal of Statistical Software*, 69(1), 1-24.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.relabel import compare_methods
    >>> z = np.array([[0, 0, 1, 1], [1, 1, 0, 0], [0, 1, 1, 1]])
    >>> perms = {"a": [[0, 1], [1, 0], [0, 1]], "b": [[0, 1], [0, 1], [0, 1]]}
    >>> compare_methods(perms, z=z).round(3)
                 same permutation  adjusted Rand
    method other
    a      b                0.667            0.0
    """
    if isinstance(data, Mapping) and not isinstance(data, xr.DataTree | xr.Dataset):
        return _from_arrays(data, methods, z)
    if not isinstance(data, xr.DataTree | xr.Dataset):
        raise TypeError(
            "data must be a posterior (DataTree or Dataset) or a dict {method: permutations}, got "
            f"{type(data).__name__}"
        )
    methods = check_methods(_DEFAULT if methods is None else methods, allowed=ALL_METHODS)
    if len(methods) < 2:
        raise ValueError(f"compare_methods needs at least 2 methods to compare, got {methods}")
    ds, dim, obs_dim, sample_dims = prepare(data, group=group, dim=dim, obs_dim=obs_dim,
                                            sample_dims=sample_dims)
    cache = {}
    extra = {"perm": perm, "variant": variant, "params": params}
    perms = {}
    for m in methods:
        only = {a: (v if m in _ONLY[a] else None) for a, v in extra.items()}
        perms[m] = _perm_for(data, ds, m, p=p, y=y, z=z, pivot=pivot, by=by, family=family,
                             max_iter=max_iter, dim=dim, obs_dim=obs_dim, sample_dims=sample_dims,
                             group=group, cache=cache, **only)

    def probs():
        if "p" not in cache:
            cache["p"] = _probs_from(data, ds, p=p, y=y, family=family, group=group, dim=dim,
                                     obs_dim=obs_dim, sample_dims=sample_dims)
        return cache["p"]

    k = ds.sizes[dim]
    labels = _labels_from(ds, z=z, p_getter=probs, dim=dim, obs_dim=obs_dim,
                          sample_dims=sample_dims, group=group)
    return _table(perms, check_labels(labels, "z", k, ndim=2), k)
