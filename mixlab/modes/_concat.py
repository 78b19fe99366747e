"""Runs from different starts joined into one posterior with more chains."""

from __future__ import annotations

import numpy as np
import xarray as xr

from mixlab._validate import check_group

#: Groups indexed by draw: concatenated along ``chain``. Every other group (``observed_data``,
#: ``constant_data``, ...) describes the data and must be the same in every run.
_SAMPLED = (
    "posterior",
    "posterior_predictive",
    "log_likelihood",
    "sample_stats",
    "prior",
    "prior_predictive",
    "unconstrained_posterior",
    "warmup_posterior",
    "warmup_sample_stats",
)


def concat_chains(idatas, *, chain_dim="chain"):
    """Join several runs of the same model into one DataTree whose chains are all of theirs.

    Chains started from different points (dispersed starts, or one run per suspected mode) are
    sampled as separate ``pm.sample`` calls when the sampler takes one start for all its chains
    (nutpie does). ArviZ 1.x has no ``concat``; this joins the draw-indexed groups (posterior,
    sample_stats, log_likelihood, posterior_predictive, ...) along ``chain`` and renumbers the chains
    ``0, 1, ...`` in the order given. The data groups (``observed_data``, ``constant_data``) must agree
    and are kept once.

    Parameters
    ----------
    idatas : sequence of xarray.DataTree
        Two or more results of ``pm.sample`` (or anything with a ``posterior`` group) of the same
        model, with the same number of draws.
    chain_dim : str, default "chain"
        The name of the chain dimension.

    Returns
    -------
    xarray.DataTree
        One tree with the groups present in every run; ``attrs["runs"]`` lists, for each chain of the
        result, the position of the run it came from.

    Raises
    ------
    TypeError
        If ``idatas`` is not a list or tuple of DataTrees.
    ValueError
        If fewer than two runs are given, a group is missing from some runs, the runs have
        different draws or variables, or their observed data differ.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> def run(seed):
    ...     post = xr.Dataset({"mu": (("chain", "draw"), np.random.default_rng(seed).normal(size=(2, 5)))})
    ...     return xr.DataTree.from_dict({"posterior": post})
    >>> both = concat_chains([run(0), run(1)])
    >>> both.posterior.sizes["chain"], both.attrs["runs"]
    (4, [0, 0, 1, 1])
    """
    if not isinstance(idatas, list | tuple) or not all(isinstance(t, xr.DataTree) for t in idatas):
        raise TypeError(
            "concat_chains takes a list of DataTrees (the results of pm.sample), got "
            f"{type(idatas).__name__}; pass [idata_1, idata_2, ...]"
        )
    if len(idatas) < 2:
        raise ValueError(
            f"concat_chains needs at least two runs, got {len(idatas)}; pass [idata_1, idata_2, ...]"
        )
    for i, tree in enumerate(idatas):
        check_group(tree, "posterior", name=f"run {i}")
    groups = [set(tree.children) for tree in idatas]
    common = set.intersection(*groups)
    if any(g != common for g in groups):
        odd = sorted(set.union(*groups) - common)
        raise ValueError(
            f"the runs do not have the same groups (missing from some: {odd}); add them to "
            "every run (e.g. pm.compute_log_likelihood) or drop them"
        )
    out, runs = {}, []
    for name in sorted(common):
        parts = [tree[name].to_dataset() for tree in idatas]
        if name in _SAMPLED or chain_dim in parts[0].dims:
            _check_alike(parts, name, chain_dim)
            if name == "posterior":
                runs = [i for i, p in enumerate(parts) for _ in range(p.sizes[chain_dim])]
            joined = xr.concat(
                parts,
                dim=chain_dim,
                data_vars="all",
                coords="minimal",
                compat="override",
                join="exact",
                combine_attrs="drop_conflicts",
            )
            out[name] = joined.assign_coords({chain_dim: np.arange(joined.sizes[chain_dim])})
        else:
            if any(not p.equals(parts[0]) for p in parts[1:]):
                raise ValueError(
                    f"the runs' {name} differ; concat_chains joins runs of one model on one data set"
                )
            out[name] = parts[0]
    tree = xr.DataTree.from_dict(out)
    tree.attrs["runs"] = runs
    return tree


def _check_alike(parts, name, chain_dim):
    first = parts[0]
    if chain_dim not in first.dims:
        raise ValueError(
            f"the runs' {name} has no dimension '{chain_dim}'; pass chain_dim=... naming it"
        )
    for i, p in enumerate(parts[1:], start=1):
        if set(p.data_vars) != set(first.data_vars):
            raise ValueError(
                f"run {i}'s {name} has variables {sorted(p.data_vars)}, run 0's "
                f"{sorted(first.data_vars)}; pass runs of the same model"
            )
        other = {d: s for d, s in p.sizes.items() if d != chain_dim}
        mine = {d: s for d, s in first.sizes.items() if d != chain_dim}
        if other != mine:
            raise ValueError(
                f"run {i}'s {name} has sizes {other}, run 0's {mine}; sample every run with "
                "the same draws"
            )
