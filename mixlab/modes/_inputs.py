"""What the functions of :mod:`mixlab.modes` read from a posterior, checked at the door.

Every public function of the package resolves its input here: the chain and draw dims, the posterior
variables (optionally relabelled first), the log posterior density of ``sample_stats`` and the
pointwise log-likelihood. Each helper raises a one-line error naming what was wrong and how to fix it.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from mixlab._validate import (
    check_dims,
    check_group,
    check_name,
    check_sample_dims,
    check_var_names,
    optional_group,
    pick_variable,
)
from mixlab.relabel import DATA_METHODS, METHODS

#: Relabelling methods that ``relabel=...`` accepts (those of :func:`mixlab.relabel.relabel` that
#: need no permutations from the caller).
RELABEL_METHODS = (*METHODS, *DATA_METHODS)

#: Names of the log posterior density in ``sample_stats``: PyMC's NUTS writes ``lp``, nutpie ``logp``.
LP_NAMES = ("lp", "logp")

#: Fix suggested when the log-likelihood group is missing.
LOG_LIK_FIX = "run pm.compute_log_likelihood(idata, model=model) first"


def chain_draw_dims(sample_dims):
    """``(chain_dim, draw_dim)`` from ``sample_dims``, which must name exactly two dims."""
    sample_dims = check_sample_dims(sample_dims)
    if len(sample_dims) != 2:
        raise ValueError(
            f"sample_dims must name two dims, the chain dim first, e.g. ('chain', 'draw'), got "
            f"{sample_dims}; per-chain summaries need the chains apart"
        )
    return sample_dims


def check_relabel(relabel):
    """``relabel`` is None or the name of a method of :func:`mixlab.relabel.relabel`."""
    if relabel is None:
        return None
    if not isinstance(relabel, str):
        raise TypeError(
            f"relabel must be None or a method name of mixlab.relabel.relabel such as 'ecr', got "
            f"{relabel!r}; for other options call mixlab.relabel.relabel yourself and pass its output"
        )
    if relabel not in RELABEL_METHODS:
        raise ValueError(f"relabel must be None or one of {RELABEL_METHODS}, got {relabel!r}")
    return relabel


def check_tree(idata, who):
    """``idata`` must be a DataTree (what ``pm.sample`` returns)."""
    if isinstance(idata, xr.DataTree):
        return idata
    if getattr(idata, "_groups", None) is not None:  # arviz.InferenceData, from ArviZ < 1
        raise TypeError(
            f"{who} needs an xarray.DataTree; idata is an arviz.InferenceData (ArviZ < 1): convert it "
            "with arviz_base.convert_to_datatree(...)"
        )
    raise TypeError(
        f"{who} needs an xarray.DataTree (what pm.sample returns), got {type(idata).__name__}"
    )


def _default_names(post, sample_dims):
    """Every floating-point variable with both sample dims (no allocations, no ``relabel_perm``)."""
    return [
        str(v)
        for v, da in post.data_vars.items()
        if da.dtype.kind == "f" and all(d in da.dims for d in sample_dims)
    ]


def posterior_vars(idata, *, var_names, dim, relabel, sample_dims, min_chains=1, who):
    """The posterior variables to summarize, relabelled when asked, as a Dataset.

    Returns ``(post, relabelled_idata)``: ``post`` holds the listed (default: every floating-point)
    variables, each with both sample dims; ``relabelled_idata`` is ``idata`` after relabelling (or
    ``idata`` itself).
    """
    sample_dims = chain_draw_dims(sample_dims)
    check_name(dim, "dim")
    relabel = check_relabel(relabel)
    post = check_group(idata, "posterior")
    check_dims(
        post,
        sample_dims,
        name="idata['posterior']",
        hint="pass sample_dims=(chain_dim, draw_dim) naming the dims of the draws",
    )
    chain_dim, draw_dim = sample_dims
    n_chain = post.sizes[chain_dim]
    if n_chain < min_chains:
        raise ValueError(
            f"{who} needs at least {min_chains} chains; idata has {n_chain}: sample with "
            f"chains={max(min_chains, 4)} or more"
        )
    if post.sizes[draw_dim] < 4:
        raise ValueError(
            f"idata['posterior'] has {post.sizes[draw_dim]} draw(s) per chain; {who} needs at least 4"
        )
    if var_names is None:
        names = _default_names(post, sample_dims)
        if not names:
            raise ValueError(
                "idata['posterior'] has no floating-point variable with dims "
                f"{sample_dims}; pass var_names=..."
            )
    else:
        if not isinstance(var_names, str | list | tuple):
            raise TypeError(f"var_names must be a name or a list of names, got {var_names!r}")
        names = check_var_names(post, var_names, name="idata['posterior']", fix="fix var_names")
        for v in names:
            da = post[v]
            if da.dtype.kind not in "biuf":
                raise TypeError(f"posterior variable '{v}' must be numeric, got dtype {da.dtype}")
            check_dims(
                da,
                sample_dims,
                name=f"posterior variable '{v}'",
                hint="list only variables with both sample dims in var_names",
            )
    out = idata
    if relabel is not None:
        from mixlab.relabel import relabel as _relabel

        out = _relabel(idata, relabel, dim=dim, sample_dims=sample_dims)
        post = check_group(out, "posterior")
    return post[names], out


def log_density(idata, sample_dims):
    """The log posterior density of ``sample_stats`` (``lp`` or nutpie's ``logp``), or None."""
    stats = optional_group(idata, "sample_stats")
    if stats is None:
        return None
    for name in LP_NAMES:
        if name in stats.data_vars and all(d in stats[name].dims for d in sample_dims):
            da = stats[name]
            if da.ndim == 2 and da.dtype.kind in "biuf":
                return da.astype(float).rename("lp")
    return None


def log_likelihood(idata, var_name, *, sample_dims, who):
    """The pointwise log-likelihood of one observed variable: DataArray (chain, draw, *obs_dims)."""
    if not isinstance(idata, xr.DataTree) or "log_likelihood" not in idata.children:
        raise ValueError(f"idata has no log_likelihood group, which {who} needs; {LOG_LIK_FIX}")
    ds = idata["log_likelihood"].to_dataset()
    name = pick_variable(
        var_name,
        ds.data_vars,
        where="idata['log_likelihood']",
        kind="observed variables",
        fix=f"fix var_name, or {LOG_LIK_FIX}",
    )
    da = ds[name]
    check_dims(
        da,
        sample_dims,
        name=f"log-likelihood '{name}'",
        hint="pass sample_dims=... naming the dims of the draws",
    )
    if da.dtype.kind not in "biuf":
        raise TypeError(f"log-likelihood '{name}' must be real-valued, got dtype {da.dtype}")
    obs_dims = [d for d in da.dims if d not in sample_dims]
    if not obs_dims:
        raise ValueError(
            f"log-likelihood '{name}' has no observation dimension (dims: {', '.join(map(str, da.dims))}); "
            "it needs one value per observation and draw"
        )
    values = np.asarray(da.values, dtype=float)
    if np.isnan(values).any() or np.isposinf(values).any():
        raise ValueError(
            f"log-likelihood '{name}' holds NaN or +inf values; recompute it with "
            "pm.compute_log_likelihood"
        )
    return da.transpose(*sample_dims, *obs_dims).astype(float)


def chain_coord(ds, chain_dim):
    """The chain coordinate values of ``ds`` (0, 1, ... when it has no coordinate)."""
    if chain_dim in ds.coords:
        return ds[chain_dim].values
    return np.arange(ds.sizes[chain_dim])
