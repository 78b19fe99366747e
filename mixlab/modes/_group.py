"""Which chains share a mode: pairwise R-hat (:func:`chain_rhat_matrix`) and :func:`group_chains`."""

from __future__ import annotations

import numbers
from itertools import combinations

import arviz as az
import numpy as np
import xarray as xr

from mixlab.modes._inputs import chain_coord, chain_draw_dims, log_density, posterior_vars

__all__ = ["RULE", "agglomerate", "chain_rhat_matrix", "group_chains", "union_rhat"]

#: The grouping rule of :func:`group_chains`, in one sentence (stored as the result's ``rule``).
RULE = (
    "Agglomerative grouping of chains: starting from one group per chain, the two groups whose union "
    "has the smallest maximum rank-normalized split R-hat (over every element of the listed posterior "
    "variables and the log density lp) merge while that R-hat is below rhat_max."
)


# ----------------------------------------------------------------------------------------------
# Array layer
# ----------------------------------------------------------------------------------------------


def union_rhat(values, chains):
    """Maximum rank-normalized split R-hat over quantities, on a subset of the chains.

    Parameters
    ----------
    values : numpy.ndarray of shape (chains, draws, quantities)
        The draws of every scalar quantity.
    chains : sequence of int
        Positions of the chains to pool (at least 2; with one chain its two halves are taken as
        two chains, so the value is that chain's own split R-hat).

    Returns
    -------
    float
        ``max`` over quantities of ``az.rhat`` on those chains, ignoring quantities that are
        constant on them (NaN when every quantity is).
    """
    chains = sorted(chains)
    sub = values[chains]
    if len(chains) == 1:
        half = sub.shape[1] // 2
        sub = np.stack([sub[0, :half], sub[0, half : 2 * half]])
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant quantity: 0 / 0
        rhat = np.asarray(az.rhat(sub, chain_axis=0, draw_axis=1), dtype=float)
    rhat = rhat[~np.isnan(rhat)]
    return float(np.max(rhat)) if rhat.size else float("nan")


def agglomerate(values, rhat_max):
    """Array layer of :func:`group_chains`: the groups of chains, by repeated merging.

    Parameters
    ----------
    values : numpy.ndarray of shape (chains, draws, quantities)
    rhat_max : float
        Two groups may merge when :func:`union_rhat` of their union is below it.

    Returns
    -------
    groups : list of tuple of int
        The final groups (chain positions, each sorted), in order of their smallest chain.
    cache : dict
        :func:`union_rhat` of every union evaluated, keyed by the frozenset of its chains.
    """
    cache = {}

    def rhat_of(chains):
        key = frozenset(chains)
        if key not in cache:
            cache[key] = union_rhat(values, key)
        return cache[key]

    groups = [(c,) for c in range(values.shape[0])]
    while len(groups) > 1:
        best = None
        for a, b in combinations(range(len(groups)), 2):
            r = rhat_of(groups[a] + groups[b])
            # ties: the first pair in order of smallest chains (deterministic)
            if np.isfinite(r) and r < rhat_max and (best is None or r < best[0]):
                best = (r, a, b)
        if best is None:
            break
        _, a, b = best
        merged = tuple(sorted(groups[a] + groups[b]))
        groups = [g for i, g in enumerate(groups) if i not in (a, b)] + [merged]
        groups.sort(key=min)
    return groups, cache


# ----------------------------------------------------------------------------------------------
# Labelled layer
# ----------------------------------------------------------------------------------------------


def _check_rhat_max(rhat_max):
    if isinstance(rhat_max, bool) or not isinstance(rhat_max, numbers.Real):
        raise TypeError(f"rhat_max must be a number above 1 such as 1.05, got {rhat_max!r}")
    rhat_max = float(rhat_max)
    if not np.isfinite(rhat_max) or rhat_max <= 1:
        raise ValueError(f"rhat_max must be a finite number above 1 such as 1.05, got {rhat_max}")
    return rhat_max


def _quantities(idata, *, var_names, dim, relabel, sample_dims, who):
    """Draws of every scalar quantity, shape (chains, draws, quantities), the lp and the chain coord."""
    post, _ = posterior_vars(
        idata,
        var_names=var_names,
        dim=dim,
        relabel=relabel,
        sample_dims=sample_dims,
        min_chains=2,
        who=who,
    )
    chain_dim, draw_dim = sample_dims
    n_chain, n_draw = post.sizes[chain_dim], post.sizes[draw_dim]
    blocks = []
    for v, da in post.data_vars.items():
        other = [d for d in da.dims if d not in sample_dims]
        arr = np.asarray(da.transpose(chain_dim, draw_dim, *other).values, dtype=float)
        if not np.all(np.isfinite(arr)):
            raise ValueError(
                f"posterior variable '{v}' holds NaN or infinite values; leave it out with var_names=..."
            )
        blocks.append(arr.reshape(n_chain, n_draw, -1))
    lp = log_density(idata, sample_dims)
    if lp is not None:
        lp_arr = np.asarray(lp.transpose(chain_dim, draw_dim).values, dtype=float)
        if np.all(np.isfinite(lp_arr)):
            blocks.append(lp_arr[..., None])
        else:
            lp = None
    values = np.concatenate(blocks, axis=-1)
    flat = values.reshape(-1, values.shape[-1])
    values = values[..., np.ptp(flat, axis=0) > 0]  # constants have no R-hat
    if values.shape[-1] == 0:
        raise ValueError(
            "every listed posterior quantity is constant; pass var_names=... naming "
            "the parameters that vary"
        )
    lp_arr = (
        None if lp is None else np.asarray(lp.transpose(chain_dim, draw_dim).values, dtype=float)
    )
    return values, lp_arr, chain_coord(post, chain_dim)


def _matrix(values, cache=None):
    n = values.shape[0]
    cache = {} if cache is None else cache
    out = np.empty((n, n))
    for a in range(n):
        for b in range(a, n):
            key = frozenset((a, b))
            if key not in cache:
                cache[key] = union_rhat(values, key)
            out[a, b] = out[b, a] = cache[key]
    return out


def _rhat_da(matrix, coord, chain_dim):
    return xr.DataArray(
        matrix,
        dims=(chain_dim, f"{chain_dim}_other"),
        coords={chain_dim: coord, f"{chain_dim}_other": coord},
        name="rhat",
        attrs={
            "description": "maximum rank-normalized split R-hat over the listed quantities on "
            "the two chains (on the diagonal: the chain's two halves)"
        },
    )


def chain_rhat_matrix(
    idata, *, var_names=None, dim="component", relabel=None, sample_dims=("chain", "draw")
):
    """R-hat of every pair of chains: do two chains sample the same mode?

    Entry ``(a, b)`` is the maximum rank-normalized split R-hat (``az.rhat``) over every element
    of the listed posterior variables (after relabelling) and the log posterior density ``lp``
    (when ``sample_stats`` has it), computed on chains ``a`` and ``b`` together. The diagonal
    holds each chain's own split R-hat: its first and second halves taken as two chains, so a
    chain that hops between modes stands out there. This is the matrix whose entries
    :func:`group_chains` compares with ``rhat_max``.

    Parameters
    ----------
    idata : xarray.DataTree or xarray.Dataset
        What ``pm.sample`` returns, with at least 2 chains (a Dataset is taken to be the
        posterior).
    var_names : str or list of str, optional
        Posterior variables to compare. Default: every floating-point variable with both sample
        dims. Quantities constant over all draws are skipped.
    dim : str, default "component"
        Component dimension, passed to :func:`mixlab.relabel.relabel`.
    relabel : str, optional
        A method of :func:`mixlab.relabel.relabel` applied to the whole posterior first
        (``"ecr"``, ``"stephens"``, ``"sort"``, ...). Default: none.
    sample_dims : pair of str, default ("chain", "draw")
        The chain dim and the draw dim, in that order.

    Returns
    -------
    xarray.DataArray
        Named ``"rhat"``, dims ``(chain, chain_other)`` with the chain coordinate of ``idata`` on
        both; symmetric.

    Raises
    ------
    TypeError
        If ``idata`` is not a DataTree or Dataset, or an argument has the wrong type.
    ValueError
        If there are fewer than 2 chains or 4 draws per chain, a dim or variable is missing, a
        listed variable holds NaN or infinite values, or every quantity is constant.

    Examples
    --------
    Three chains: two around 0, one around 3.

    >>> import numpy as np, xarray as xr
    >>> from mixlab.modes import chain_rhat_matrix
    >>> rng = np.random.default_rng(1)
    >>> mu = rng.normal(0, 1, (3, 200)) + np.array([[0.0], [0.0], [3.0]])
    >>> post = xr.Dataset({"mu": (("chain", "draw"), mu)})
    >>> r = chain_rhat_matrix(post)
    >>> r.dims
    ('chain', 'chain_other')
    >>> bool(r[0, 1] < 1.05), bool(r[0, 2] > 1.5)
    (True, True)
    """
    sample_dims = chain_draw_dims(sample_dims)
    values, _, coord = _quantities(
        idata,
        var_names=var_names,
        dim=dim,
        relabel=relabel,
        sample_dims=sample_dims,
        who="chain_rhat_matrix",
    )
    return _rhat_da(_matrix(values), coord, sample_dims[0])


def group_chains(
    idata,
    *,
    var_names=None,
    rhat_max=1.05,
    dim="component",
    relabel=None,
    sample_dims=("chain", "draw"),
):
    """Group the chains by the mode of the posterior they sample.

    A mixture posterior can have modes that are not label permutations of each other; chains
    that settle in different ones make R-hat fail for a reason that relabelling cannot fix. This
    function says which chains agree.

    **Rule.** Agglomerative grouping: start with one group per chain; two groups may merge when
    their union passes R-hat, that is, the maximum rank-normalized split R-hat (``az.rhat``) over
    all listed scalar quantities -- every element of the listed posterior variables after
    relabelling, plus the log posterior density ``lp`` when ``sample_stats`` has it -- computed on
    the chains of the union is below ``rhat_max``. Repeatedly merge the pair of groups whose union
    has the smallest such R-hat, until no union passes. Every final group of two or more chains
    thus passes R-hat as a whole (as in complete linkage, not merely chain by chain). A chain that
    spends a good part of its run in each of two modes has halves that disagree, so it fails
    R-hat with any chain that stays in one mode and ends up on its own, or with other hoppers.
    R-hat on many chains weighs one chain less, though: a chain that stays in a mode but for a
    short excursion can pass with a large group of that mode while failing with each of its
    chains alone (compare the group's ``mode_rhat`` with :func:`chain_rhat_matrix`). Since the
    order of merges does not depend on ``rhat_max``, a larger ``rhat_max`` only merges further:
    it never gives more groups, and each of its groups is a union of groups at the smaller one.

    Modes are numbered by size: mode 0 holds the most chains; ties go to the higher mean ``lp``
    first (when ``lp`` is available), then to the group of the first chain.

    Parameters
    ----------
    idata : xarray.DataTree or xarray.Dataset
        What ``pm.sample`` returns, with at least 2 chains (a Dataset is taken to be the
        posterior).
    var_names : str or list of str, optional
        Posterior variables to compare. Default: every floating-point variable with both sample
        dims. Quantities constant over all draws are skipped.
    rhat_max : float, default 1.05
        Threshold on the union's R-hat (above 1).
    dim : str, default "component"
        Component dimension, passed to :func:`mixlab.relabel.relabel`.
    relabel : str, optional
        A method of :func:`mixlab.relabel.relabel` applied to the whole posterior first
        (``"ecr"``, ``"stephens"``, ``"sort"``, ...), so that chains that differ only by a
        permutation of the labels share a mode. Default: none (a model with ordered means needs
        none).
    sample_dims : pair of str, default ("chain", "draw")
        The chain dim and the draw dim, in that order.

    Returns
    -------
    xarray.DataArray
        Named ``"mode"``, int64, dim ``chain`` with the chain coordinate of ``idata``: the mode of
        each chain, ``0, 1, ...``. ``attrs``: ``rule`` (the rule in one sentence, :data:`RULE`),
        ``rhat_max``, ``n_modes``, ``mode_rhat`` (R-hat of each mode's chains together, in mode
        order; for a single chain its own split R-hat) and ``rhat_matrix`` (the pairwise R-hat
        of :func:`chain_rhat_matrix` as a numpy array, rows and columns in chain order).

    Raises
    ------
    TypeError
        If ``idata`` is not a DataTree or Dataset, or an argument has the wrong type.
    ValueError
        If there are fewer than 2 chains ("group_chains needs at least 2 chains; ...") or 4 draws
        per chain, ``rhat_max`` is not above 1, a dim or variable is missing, a listed variable
        holds NaN or infinite values, or every quantity is constant.

    See Also
    --------
    chain_rhat_matrix : the pairwise R-hat behind the grouping.
    chain_summary : where each chain sits.
    stack_chains : weight the modes by their predictive performance.

    References
    ----------
    - Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. and Bürkner, P.-C. (2021).
      Rank-normalization, folding, and localization: an improved R-hat for assessing convergence
      of MCMC. *Bayesian Analysis*, 16(2), 667-718.
    - Yao, Y., Vehtari, A. and Gelman, A. (2022). Stacking for non-mixing Bayesian computations:
      the curse and blessing of multimodal posteriors. *Journal of Machine Learning Research*,
      23(79), 1-45.

    Examples
    --------
    Four chains: three around 0, one around 3.

    >>> import numpy as np, xarray as xr
    >>> from mixlab.modes import group_chains
    >>> rng = np.random.default_rng(2)
    >>> mu = rng.normal(0, 1, (4, 200)) + np.array([[0.0], [3.0], [0.0], [0.0]])
    >>> post = xr.Dataset({"mu": (("chain", "draw"), mu)})
    >>> mode = group_chains(post)
    >>> mode.values
    array([0, 1, 0, 0])
    >>> mode.attrs["n_modes"]
    2
    """
    rhat_max = _check_rhat_max(rhat_max)
    sample_dims = chain_draw_dims(sample_dims)
    values, lp, coord = _quantities(
        idata,
        var_names=var_names,
        dim=dim,
        relabel=relabel,
        sample_dims=sample_dims,
        who="group_chains",
    )
    groups, cache = agglomerate(values, rhat_max)
    matrix = _matrix(values, cache)

    def order(group):
        mean_lp = float(lp[list(group)].mean()) if lp is not None else 0.0
        return (-len(group), -mean_lp, min(group))

    groups = sorted(groups, key=order)
    labels = np.empty(values.shape[0], dtype=np.int64)
    for m, g in enumerate(groups):
        labels[list(g)] = m
    mode_rhat = np.array(
        [cache[frozenset(g)] if frozenset(g) in cache else union_rhat(values, g) for g in groups]
    )
    chain_dim = sample_dims[0]
    return xr.DataArray(
        labels,
        dims=(chain_dim,),
        coords={chain_dim: coord},
        name="mode",
        attrs={
            "rule": RULE,
            "rhat_max": rhat_max,
            "n_modes": len(groups),
            "mode_rhat": mode_rhat,
            "rhat_matrix": matrix,
        },
    )
