"""Stacking of non-mixing chains (Yao, Vehtari & Gelman 2022): split, weigh, resample."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import logsumexp

from mixlab._loo import relative_eff
from mixlab._validate import check_group, check_int, check_rng, check_simplex
from mixlab.modes._inputs import check_tree, log_likelihood

__all__ = [
    "MIN_DRAWS",
    "SPLIT_GROUPS",
    "StackingResult",
    "split_chains",
    "stack_chains",
    "stacked_elpd",
    "stacked_predictive",
]

#: Groups that :func:`split_chains` carries into each piece (those present); groups with a chain
#: dim are cut to the piece's chains, the others copied whole.
SPLIT_GROUPS = (
    "posterior",
    "posterior_predictive",
    "log_likelihood",
    "sample_stats",
    "observed_data",
    "constant_data",
)

#: Fewest draws a chain (or mode) needs for its PSIS-LOO in :func:`stack_chains` (ArviZ fits the
#: Pareto tail to at least 5 draws, a fifth of them).
MIN_DRAWS = 25

_CHAIN = "chain"


# ----------------------------------------------------------------------------------------------
# Array layer
# ----------------------------------------------------------------------------------------------


def stacked_elpd(elpd_i, weights):
    """Array layer: pointwise log predictive density of the stacked mixture.

    Parameters
    ----------
    elpd_i : numpy.ndarray of shape (n, K)
        Pointwise PSIS-LOO log predictive densities :math:`\\log p_k(y_i \\mid y_{-i})` of ``K``
        chains (or groups of chains).
    weights : numpy.ndarray of shape (K,)
        Stacking weights (non-negative, summing to 1).

    Returns
    -------
    numpy.ndarray of shape (n,)
        :math:`\\log \\sum_k w_k \\, p_k(y_i \\mid y_{-i})`, computed with log-sum-exp.
    """
    elpd_i = np.asarray(elpd_i, dtype=float)
    w = np.asarray(weights, dtype=float)
    with np.errstate(divide="ignore"):
        log_w = np.log(w)
    return logsumexp(elpd_i + log_w[None, :], axis=1)


def _se(values):
    """``sqrt(n) * sd`` (ddof=1) of pointwise values, as ``az.loo`` computes its standard error."""
    n = values.size
    return float(math.sqrt(n * np.var(values, ddof=1))) if n > 1 else float("nan")


# ----------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------


def _chain_info(idata, who):
    """The posterior's chain coordinate (values), checked."""
    post = check_group(idata, "posterior")
    if _CHAIN not in post.dims:
        have = ", ".join(map(str, post.dims)) or "none"
        raise ValueError(
            f"idata['posterior'] has no dimension 'chain' (dims: {have}); {who} "
            "splits the posterior by chain"
        )
    coord = post[_CHAIN].values if _CHAIN in post.coords else np.arange(post.sizes[_CHAIN])
    return coord


def _check_groups(groups, coord):
    """Mode label of each chain, in the order of ``coord``, from a DataArray or a 1-D array."""
    if isinstance(groups, xr.DataArray):
        if groups.dims != (_CHAIN,):
            raise ValueError(
                f"groups must be a DataArray over the one dim 'chain' (what group_chains returns), "
                f"got dims {groups.dims}"
            )
        have = groups[_CHAIN].values if _CHAIN in groups.coords else np.arange(groups.size)
        if len(have) != len(coord) or set(have.tolist()) != set(coord.tolist()):
            raise ValueError(
                f"groups covers chains {have.tolist()} but idata has chains {coord.tolist()}; "
                "pass group_chains(idata) of this idata"
            )
        if _CHAIN in groups.coords:
            groups = groups.sel({_CHAIN: coord})
        raw = groups.values
    elif isinstance(groups, xr.Dataset | xr.DataTree | dict | str):
        raise TypeError(
            f"groups must be an integer DataArray over 'chain' (what group_chains returns), got "
            f"{type(groups).__name__}"
        )
    else:
        raw = np.asarray(groups)
        if raw.ndim != 1 or raw.size != len(coord):
            raise ValueError(
                f"groups must hold one mode label per chain ({len(coord)}), got shape {raw.shape}"
            )
    if raw.dtype.kind not in "iu":
        raise TypeError(f"groups must hold integer mode labels, got dtype {raw.dtype}")
    return raw.astype(np.int64)


def _pieces(coord, groups):
    """``{key: chain positions}``: one per chain, or one per mode label (sorted)."""
    if groups is None:
        return {f"chain {c}": [i] for i, c in enumerate(coord)}
    labels = _check_groups(groups, coord)
    return {f"mode {m}": np.flatnonzero(labels == m).tolist() for m in np.unique(labels)}


def _subtree(idata, positions, n_chain):
    nodes = {}
    for g in SPLIT_GROUPS:
        if g not in idata.children:
            continue
        ds = idata[g].to_dataset()
        if _CHAIN in ds.dims:
            if ds.sizes[_CHAIN] != n_chain:
                raise ValueError(
                    f"idata['{g}'] has {ds.sizes[_CHAIN]} chains but the posterior has {n_chain}; "
                    "pass a DataTree whose groups come from the same run"
                )
            ds = ds.isel({_CHAIN: positions})
        nodes[g] = ds
    tree = xr.DataTree.from_dict(nodes)
    tree.attrs = dict(idata.attrs)
    return tree


# ----------------------------------------------------------------------------------------------
# Public functions
# ----------------------------------------------------------------------------------------------


def split_chains(idata, groups=None):
    """Split a posterior into one DataTree per chain, or per group of chains.

    Parameters
    ----------
    idata : xarray.DataTree
        What ``pm.sample`` returns.
    groups : xarray.DataArray or array_like of int, optional
        A mode label per chain: the output of :func:`group_chains`, any integer DataArray over
        ``chain`` (covering the chains of ``idata``), or a sequence of labels in chain order.
        Default: one piece per chain.

    Returns
    -------
    dict of str to xarray.DataTree
        Keyed ``"chain 0"``, ``"chain 1"``, ... (by the chain coordinate) or, with ``groups``,
        ``"mode 0"``, ``"mode 1"``, ... (by label, in increasing order). Each DataTree holds the
        groups of :data:`SPLIT_GROUPS` that ``idata`` has -- ``posterior``, ``posterior_predictive``,
        ``log_likelihood`` and ``sample_stats`` cut to the piece's chains, ``observed_data`` and
        ``constant_data`` whole. The chain coordinate keeps its values (ArviZ does not need it
        renumbered), so a piece's chains can be traced back. ``az.loo``, ``az.compare`` and
        ``az.summary`` accept the pieces.

    Raises
    ------
    TypeError
        If ``idata`` is not a DataTree, or ``groups`` is not integer labels.
    ValueError
        If the posterior has no ``chain`` dim, ``groups`` does not cover the chains of ``idata``,
        or a group has another number of chains than the posterior.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from mixlab.modes import split_chains
    >>> post = xr.Dataset({"mu": (("chain", "draw"), np.zeros((3, 5)))})
    >>> tree = xr.DataTree.from_dict({"posterior": post})
    >>> list(split_chains(tree))
    ['chain 0', 'chain 1', 'chain 2']
    >>> pieces = split_chains(tree, groups=[0, 1, 0])
    >>> pieces["mode 0"]["posterior"].sizes["chain"]
    2
    """
    check_tree(idata, "split_chains")
    coord = _chain_info(idata, "split_chains")
    pieces = _pieces(coord, groups)
    return {key: _subtree(idata, pos, len(coord)) for key, pos in pieces.items()}


def psis_loo(tree, var_name=None, sample_dims=("chain", "draw")):
    """``az.loo(tree, pointwise=True)``, also where ArviZ cannot fit a Pareto tail.

    When the largest importance ratios of an observation are all equal (its log-likelihood is the
    same at every draw of the tail, e.g. a mode in which no component reaches it), ArviZ 1.3 raises
    "All tail values are the same" for the whole data set. The ratios are then bounded and need
    no smoothing: that observation gets its plain self-normalised importance weights and a
    Pareto k of ``-inf``; every other observation gets ArviZ's PSIS weights and k, and
    ``az.loo`` finishes with these.
    """
    try:
        return az.loo(tree, pointwise=True, var_name=var_name)
    except ValueError as err:
        if "All tail values are the same" not in str(err):
            raise
    ll_ds = (
        tree["log_likelihood"].to_dataset()
        if isinstance(tree, xr.DataTree)
        else tree["log_likelihood"]
    )
    name = var_name if var_name is not None else next(iter(ll_ds.data_vars))
    log_lik = ll_ds[name]
    dims = list(sample_dims)
    n_samples = int(np.prod([log_lik.sizes[d] for d in dims]))
    post = tree["posterior"].to_dataset() if isinstance(tree, xr.DataTree) else tree["posterior"]
    r_eff = relative_eff(post, n_samples)
    obs_dims = [d for d in log_lik.dims if d not in dims]
    log_weights = xr.zeros_like(log_lik.transpose(*dims, *obs_dims))
    pareto_k = xr.zeros_like(log_weights.isel({d: 0 for d in dims}, drop=True))
    for idx in np.ndindex(*pareto_k.shape):
        where = dict(zip(obs_dims, idx, strict=True))
        ll_i = log_lik.isel(where)
        try:
            lw, k = ll_i.azstats.psislw(r_eff=r_eff, dim=dims)  # it takes log-likelihoods
            k = float(k)
        except ValueError as err:
            if "All tail values are the same" not in str(err):
                raise
            lw, k = -ll_i - logsumexp(-ll_i.values), -np.inf
        log_weights[where] = lw.transpose(*dims).values
        pareto_k[where] = k
    return az.loo(tree, pointwise=True, var_name=name, log_weights=log_weights, pareto_k=pareto_k)


@dataclass(repr=False)
class StackingResult:
    """What :func:`stack_chains` returns.

    Attributes
    ----------
    weights : xarray.DataArray
        Stacking weight of each chain (dim ``chain``, the chain coordinate of ``idata``) or each
        mode (dim ``mode``, the mode labels); non-negative, summing to 1.
    compare : pandas.DataFrame
        ``az.compare`` of the per-chain (or per-mode) PSIS-LOO results with
        ``method="stacking"`` and ``round_to="none"``: rows ``"chain 0"``, ... or ``"mode 0"``,
        ..., sorted by ``elpd``; its ``weight`` column holds ``weights``.
    elpd_stacked, se_stacked : float
        LOO log score of the stacked mixture, :math:`\\sum_i \\log \\sum_k w_k \\exp
        (\\mathrm{elpd}_{k,i})`, and its standard error :math:`\\sqrt{n}\\,\\mathrm{sd}_i`.
    elpd_pooled, se_pooled : float
        PSIS-LOO of all chains pooled (``az.loo`` of ``idata``) and its standard error.
    elpd_i : xarray.DataArray
        Pointwise stacked log score, with the observation dims of the log-likelihood.
    loo : dict of str to ELPDData
        The per-chain (or per-mode) ``az.loo(..., pointwise=True)`` results, keyed as ``compare``.
    pooled : ELPDData
        ``az.loo`` of all chains pooled.
    groups : xarray.DataArray or None
        The ``groups`` passed to :func:`stack_chains` (mode of each chain), or None.
    """

    weights: xr.DataArray
    compare: pd.DataFrame
    elpd_stacked: float
    se_stacked: float
    elpd_pooled: float
    se_pooled: float
    elpd_i: xr.DataArray
    loo: dict = field(default_factory=dict)
    pooled: object = None
    groups: xr.DataArray | None = None

    def __repr__(self):
        dim = self.weights.dims[0]
        w = ", ".join(
            f"{c}: {v:.3f}"
            for c, v in zip(self.weights[dim].values, self.weights.values, strict=True)
        )
        return (
            f"StackingResult(weights by {dim} {{{w}}}, "
            f"elpd_stacked={self.elpd_stacked:.2f} (se {self.se_stacked:.2f}), "
            f"elpd_pooled={self.elpd_pooled:.2f} (se {self.se_pooled:.2f}))"
        )


def stack_chains(idata, *, groups=None, var_name=None):
    """Weight non-mixing chains (or modes) by stacking their leave-one-out predictive densities.

    When chains do not mix, pooling them weights each mode by the number of chains that happened
    to land there. Yao, Vehtari & Gelman (2022) instead treat each chain (or each group of chains
    that agree, from :func:`group_chains`) as its own approximation to the posterior, compute its
    pointwise PSIS-LOO predictive density :math:`p_k(y_i \\mid y_{-i})`, and choose weights on
    the simplex that maximize the LOO log score of the mixture,
    :math:`\\sum_i \\log \\sum_k w_k \\, p_k(y_i \\mid y_{-i})` -- ``az.compare`` with
    ``method="stacking"`` does this optimization. Predictions then draw from chain ``k`` with
    probability :math:`w_k` (:func:`stacked_predictive`).

    Because stacking maximizes the LOO score over the simplex, which contains each single chain,
    ``elpd_stacked`` is at least the best single chain's ``elpd_loo`` (up to the optimizer's
    tolerance). Each chain's LOO uses its own relative efficiency.

    Parameters
    ----------
    idata : xarray.DataTree
        What ``pm.sample`` returns, with at least 2 chains and a ``log_likelihood`` group
        (``pm.compute_log_likelihood(idata, model=model)`` adds it).
    groups : xarray.DataArray or array_like of int, optional
        Mode of each chain (:func:`group_chains`); weights are then one per mode. Default: one
        weight per chain.
    var_name : str, optional
        Observed variable of the ``log_likelihood`` group; required when it holds several.

    Returns
    -------
    StackingResult
        ``weights``, ``compare``, ``elpd_stacked``, ``se_stacked``, ``elpd_pooled``,
        ``se_pooled``, ``elpd_i``, ``loo``, ``pooled`` and ``groups``; see
        :class:`StackingResult`.

    Raises
    ------
    TypeError
        If ``idata`` is not a DataTree, or ``groups`` is not integer labels.
    ValueError
        If there is no ``log_likelihood`` group, it holds several variables and ``var_name`` is
        not given, it holds NaN or +inf, there are fewer than 2 chains, a chain (or mode) has
        fewer than :data:`MIN_DRAWS` draws, or ``groups`` does not cover the chains of ``idata``.

    See Also
    --------
    split_chains : the per-chain (per-mode) DataTrees that are compared.
    stacked_predictive : draws from the stacked mixture.

    References
    ----------
    - Yao, Y., Vehtari, A. and Gelman, A. (2022). Stacking for non-mixing Bayesian computations:
      the curse and blessing of multimodal posteriors. *Journal of Machine Learning Research*,
      23(79), 1-45.

    Examples
    --------
    Two chains of a normal-mean posterior for ten observations near 0: one chain sits at 0, the
    other at 3 (a poor "mode"); stacking gives the first chain the weight.

    >>> import numpy as np, xarray as xr
    >>> from mixlab.modes import stack_chains
    >>> rng = np.random.default_rng(3)
    >>> y = rng.normal(0, 1, 10)
    >>> mu = rng.normal(0, 0.3, (2, 100)) + np.array([[0.0], [3.0]])
    >>> ll = -0.5 * (y - mu[..., None]) ** 2 - 0.5 * np.log(2 * np.pi)
    >>> tree = xr.DataTree.from_dict({
    ...     "posterior": xr.Dataset({"mu": (("chain", "draw"), mu)}),
    ...     "log_likelihood": xr.Dataset({"y": (("chain", "draw", "obs"), ll)}),
    ... })
    >>> res = stack_chains(tree)
    >>> res.weights.round(2).values
    array([1., 0.])
    >>> bool(res.elpd_stacked > res.elpd_pooled)
    True
    """
    check_tree(idata, "stack_chains")
    coord = _chain_info(idata, "stack_chains")
    ll = log_likelihood(idata, var_name, sample_dims=(_CHAIN, "draw"), who="stack_chains")
    var_name = str(ll.name)
    if len(coord) < 2:
        raise ValueError(
            f"stack_chains needs at least 2 chains; idata has {len(coord)}: sample with chains=4 or more"
        )
    if ll.sizes[_CHAIN] != len(coord):
        raise ValueError(
            f"idata['log_likelihood'] has {ll.sizes[_CHAIN]} chains but the posterior has "
            f"{len(coord)}; recompute it with pm.compute_log_likelihood(idata, model=model)"
        )
    pieces = _pieces(coord, groups)
    short = [k for k, pos in pieces.items() if len(pos) * ll.sizes["draw"] < MIN_DRAWS]
    if short:
        raise ValueError(
            f"{short[0]} has {len(pieces[short[0]]) * ll.sizes['draw']} draws; PSIS-LOO of each "
            f"chain (or mode) needs at least {MIN_DRAWS}: sample more draws"
        )
    split = split_chains(idata, groups)
    loo = {key: psis_loo(tree, var_name) for key, tree in split.items()}
    compare = az.compare(loo, method="stacking", round_to="none")
    names = list(pieces)
    w = np.clip(compare.loc[names, "weight"].to_numpy(dtype=float), 0.0, None)
    w = w / w.sum()
    if groups is None:
        weights = xr.DataArray(w, dims=(_CHAIN,), coords={_CHAIN: coord}, name="weight")
        groups_da = None
    else:
        modes = np.array([int(k.split()[1]) for k in names])
        weights = xr.DataArray(w, dims=("mode",), coords={"mode": modes}, name="weight")
        labels = _check_groups(groups, coord)
        groups_da = xr.DataArray(labels, dims=(_CHAIN,), coords={_CHAIN: coord}, name="mode")
    first = loo[names[0]].elpd_i
    elpd_matrix = np.stack(
        [np.asarray(loo[k].elpd_i.values, dtype=float).ravel() for k in names], axis=1
    )
    pointwise = stacked_elpd(elpd_matrix, w)
    elpd_i = first.copy(data=pointwise.reshape(first.shape)).rename("elpd_i")
    pooled = psis_loo(idata, var_name)
    return StackingResult(
        weights=weights,
        compare=compare,
        elpd_stacked=float(pointwise.sum()),
        se_stacked=_se(pointwise),
        elpd_pooled=float(pooled.elpd),
        se_pooled=_se(np.asarray(pooled.elpd_i.values, dtype=float).ravel()),
        elpd_i=elpd_i,
        loo=loo,
        pooled=pooled,
        groups=groups_da,
    )


def _weights_per_source(weights, groups, coord):
    """``(w, source_of_chain, source_dim, source_coord)`` from the weights and groups, checked."""
    if isinstance(weights, StackingResult):
        if groups is None:
            groups = weights.groups
        weights = weights.weights
    if isinstance(weights, xr.DataArray):
        if weights.ndim != 1 or weights.dims[0] not in (_CHAIN, "mode"):
            raise ValueError(
                f"weights must be a DataArray over 'chain' or 'mode' (stack_chains(...).weights), "
                f"got dims {weights.dims}"
            )
        dim = weights.dims[0]
        w_coord = weights[dim].values if dim in weights.coords else np.arange(weights.size)
        w = check_simplex(weights.values, "weights")
    elif isinstance(weights, xr.Dataset | xr.DataTree | dict | str | numbers.Number):
        raise TypeError(
            f"weights must be stack_chains(...) or its .weights (a DataArray over 'chain' or "
            f"'mode'), got {type(weights).__name__}"
        )
    else:
        w = check_simplex(np.asarray(weights), "weights")
        if w.ndim != 1:
            raise ValueError(f"weights must be 1-dimensional (one per chain), got shape {w.shape}")
        dim, w_coord = _CHAIN, coord
        if w.size != len(coord):
            raise ValueError(
                f"weights has {w.size} values but idata has {len(coord)} chains; pass one weight "
                "per chain"
            )
    if dim == _CHAIN:
        if len(w_coord) != len(coord) or set(w_coord.tolist()) != set(coord.tolist()):
            raise ValueError(
                f"weights are for chains {w_coord.tolist()} but idata has chains {coord.tolist()}; "
                "pass stack_chains(idata).weights of this idata"
            )
        position = {c: i for i, c in enumerate(w_coord.tolist())}
        source = np.array([position[c] for c in coord.tolist()])
        return w, source, _CHAIN, w_coord
    if groups is None:
        raise ValueError(
            "weights are per mode; pass groups=... (the group_chains output used by stack_chains) "
            "so that each chain's mode is known"
        )
    labels = _check_groups(groups, coord)
    if len(w_coord) != len(set(labels.tolist())) or set(w_coord.tolist()) != set(labels.tolist()):
        raise ValueError(
            f"weights are for modes {w_coord.tolist()} but groups has modes "
            f"{sorted(set(labels.tolist()))}; pass the groups used by stack_chains"
        )
    position = {m: i for i, m in enumerate(w_coord.tolist())}
    source = np.array([position[m] for m in labels.tolist()])
    return w, source, "mode", w_coord


def stacked_predictive(
    idata, weights, *, groups=None, n_draws=None, random_seed, group="posterior_predictive"
):
    """Draws from the stacked mixture: each from chain (or mode) ``k`` with probability ``w_k``.

    Each output draw first picks a source -- a chain, or a mode of :func:`group_chains` -- with
    probability equal to its stacking weight, then one of that source's draws uniformly at
    random (with replacement). Draws of the posterior predictive so taken are draws from the
    stacked predictive distribution of Yao, Vehtari & Gelman (2022); with ``group="posterior"``
    they are draws of the parameters from the stacked mixture of the chains' posteriors.

    Parameters
    ----------
    idata : xarray.DataTree or xarray.Dataset
        Holds ``group`` (a Dataset is taken to be the group itself) with dims ``chain`` and
        ``draw``.
    weights : StackingResult, xarray.DataArray or array_like
        :func:`stack_chains`' result, its ``weights`` (over ``chain`` or ``mode``), or one weight
        per chain in chain order. Non-negative and summing to 1; a DataArray's coordinate must
        match the chains (or the modes of ``groups``) of ``idata``.
    groups : xarray.DataArray or array_like of int, optional
        Mode of each chain; needed when ``weights`` are per mode (a :class:`StackingResult`
        carries its own).
    n_draws : int, optional
        Number of draws to return. Default: as many as ``group`` holds (chains x draws).
    random_seed : int, numpy.random.Generator or None
        Seed or generator for the resampling (keyword, required: pass None for a fresh one).
    group : str, default "posterior_predictive"
        Group to resample, e.g. ``"posterior"``.

    Returns
    -------
    xarray.Dataset
        Every variable of ``group`` with dims ``("chain", "draw", ...)``: one chain (coordinate 0)
        of ``n_draws`` draws, so it goes straight into ArviZ functions. Non-dim coordinates
        ``source_chain`` and ``source_draw`` (dims ``chain, draw``) say where each draw was taken
        from, and with per-mode weights ``source_mode`` its mode. ``attrs["weights"]`` holds the
        weights used, in the order of ``attrs["sources"]``.

    Raises
    ------
    TypeError
        If ``idata`` or ``weights`` has the wrong type.
    ValueError
        If ``group`` is missing or has no ``chain``/``draw`` dims, the weights are negative, do
        not sum to 1 or do not match the chains (modes) of ``idata``, per-mode weights come
        without ``groups``, or ``n_draws`` is not a positive integer.

    Examples
    --------
    Two chains; all weight on the second, so every draw comes from it:

    >>> import numpy as np, xarray as xr
    >>> from mixlab.modes import stacked_predictive
    >>> post = xr.Dataset({"mu": (("chain", "draw"), [[0.0, 0.1, 0.2], [5.0, 5.1, 5.2]])})
    >>> out = stacked_predictive(post, [0.0, 1.0], n_draws=4, random_seed=0)
    >>> out["mu"].dims, out.sizes["draw"]
    (('chain', 'draw'), 4)
    >>> out["source_chain"].values
    array([[1, 1, 1, 1]])
    """
    if not isinstance(group, str) or not group:
        raise TypeError(f"group must be a group name such as 'posterior_predictive', got {group!r}")
    ds = check_group(idata, group)
    for d in (_CHAIN, "draw"):
        if d not in ds.dims:
            have = ", ".join(map(str, ds.dims)) or "none"
            raise ValueError(
                f"idata['{group}'] has no dimension '{d}' (dims: {have}); "
                "stacked_predictive resamples (chain, draw) draws"
            )
    coord = ds[_CHAIN].values if _CHAIN in ds.coords else np.arange(ds.sizes[_CHAIN])
    w, source, source_dim, source_coord = _weights_per_source(weights, groups, coord)
    n_chain, n_draw = ds.sizes[_CHAIN], ds.sizes["draw"]
    n_draws = n_chain * n_draw if n_draws is None else check_int(n_draws, "n_draws", minimum=1)
    rng = check_rng(random_seed, "random_seed")

    picked = rng.choice(len(w), size=n_draws, p=w / w.sum())
    chains_of = [np.flatnonzero(source == k) for k in range(len(w))]
    empty = [source_coord[k] for k in range(len(w)) if len(chains_of[k]) == 0 and w[k] > 0]
    if empty:  # pragma: no cover - prevented by the coordinate checks above
        raise ValueError(f"weights give {source_dim} {empty} positive weight but it has no chains")
    chain_idx = np.empty(n_draws, dtype=np.int64)
    for k in np.unique(picked):
        at = np.flatnonzero(picked == k)
        chain_idx[at] = rng.choice(chains_of[k], size=at.size)
    draw_idx = rng.integers(0, n_draw, size=n_draws)

    draw_coord = ds["draw"].values if "draw" in ds.coords else np.arange(n_draw)
    base = ds.drop_vars([c for c in (_CHAIN, "draw") if c in ds.coords])
    out = base.isel(
        {_CHAIN: xr.DataArray(chain_idx, dims="draw"), "draw": xr.DataArray(draw_idx, dims="draw")}
    )
    out = out.expand_dims({_CHAIN: 1}).assign_coords(
        {
            _CHAIN: [0],
            "draw": np.arange(n_draws),
            "source_chain": ((_CHAIN, "draw"), coord[chain_idx][None, :]),
            "source_draw": ((_CHAIN, "draw"), draw_coord[draw_idx][None, :]),
        }
    )
    if source_dim == "mode":
        out = out.assign_coords(source_mode=((_CHAIN, "draw"), source_coord[picked][None, :]))
    order = [_CHAIN, "draw"]
    out = out.transpose(*order, ...)
    out.attrs = {"weights": w.tolist(), "sources": [f"{source_dim} {c}" for c in source_coord]}
    return out
