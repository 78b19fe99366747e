"""Per-chain summaries: where each chain sits (:func:`chain_summary`)."""

from __future__ import annotations

import math

import numpy as np
import xarray as xr
from scipy.special import logsumexp

from mixlab.modes._inputs import chain_draw_dims, log_density, log_likelihood, posterior_vars

__all__ = ["chain_summary", "lpd_per_chain"]


def lpd_per_chain(log_lik):
    """Array layer: per-chain log pointwise predictive density.

    Parameters
    ----------
    log_lik : numpy.ndarray of shape (chains, draws, n)
        Pointwise log-likelihood :math:`\\log p(y_i \\mid \\theta^{(c,s)})`.

    Returns
    -------
    numpy.ndarray of shape (chains,)
        :math:`\\sum_i \\log \\frac{1}{S} \\sum_s p(y_i \\mid \\theta^{(c,s)})` for each chain ``c``.
    """
    log_lik = np.asarray(log_lik, dtype=float)
    n_draws = log_lik.shape[1]
    return (logsumexp(log_lik, axis=1) - math.log(n_draws)).sum(axis=-1)


def chain_summary(
    idata,
    *,
    var_names=None,
    dim="component",
    relabel=None,
    sample_dims=("chain", "draw"),
    var_name=None,
):
    """Summarize each chain by its posterior means, its mean log density and its predictive density.

    When chains settle in different modes of a mixture posterior -- modes that are not label
    permutations of each other -- pooled summaries and R-hat mix them. One row per chain shows
    where each chain sits: the posterior mean of every listed variable over that chain's draws,
    the chain's mean log posterior density ``lp`` and its log pointwise predictive density ``lpd``.

    Parameters
    ----------
    idata : xarray.DataTree or xarray.Dataset
        What ``pm.sample`` returns (a Dataset is taken to be the posterior; it has no ``lp`` or
        ``lpd``).
    var_names : str or list of str, optional
        Posterior variables to summarize. Default: every floating-point variable with both sample
        dims (integer allocations and ``relabel_perm`` are left out).
    dim : str, default "component"
        Component dimension, passed to :func:`mixlab.relabel.relabel`.
    relabel : str, optional
        A method of :func:`mixlab.relabel.relabel` (``"ecr"``, ``"stephens"``, ``"sort"``, ...)
        applied to the whole posterior (all chains together) before the means are taken. Default:
        none. For other relabelling options call :func:`mixlab.relabel.relabel` yourself and pass
        its output.
    sample_dims : pair of str, default ("chain", "draw")
        The chain dim and the draw dim, in that order.
    var_name : str, optional
        Observed variable of the ``log_likelihood`` group used for ``lpd``; required when the
        group holds more than one.

    Returns
    -------
    xarray.Dataset
        With the chain dim (and the chain coordinate of ``idata``): every listed variable averaged
        over the draws of each chain (its other dims kept), plus

        - ``lp``: the chain's mean log posterior density (``sample_stats`` ``lp`` from PyMC's NUTS,
          ``logp`` from nutpie); left out when ``sample_stats`` has neither;
        - ``lpd``: :math:`\\sum_i \\log \\frac{1}{S} \\sum_{s} p(y_i \\mid \\theta^{(c,s)})` over
          the :math:`S` draws of chain :math:`c` (computed with log-sum-exp); left out when there
          is no ``log_likelihood`` group.

        ``attrs`` record ``n_draws`` (per chain), ``relabel`` and the ``var_name`` used for
        ``lpd``.

    Raises
    ------
    TypeError
        If ``idata`` is not a DataTree or Dataset, or an argument has the wrong type.
    ValueError
        If a dim or variable is missing, ``sample_dims`` does not name two dims, a chain has
        fewer than 4 draws, a listed variable is called ``lp`` or ``lpd``, the log-likelihood holds
        several variables and ``var_name`` is not given, or it holds NaN or +inf.

    See Also
    --------
    group_chains : which chains share a mode.

    Examples
    --------
    Two chains of a one-parameter posterior, one near 0 and one near 3:

    >>> import numpy as np, xarray as xr
    >>> from mixlab.modes import chain_summary
    >>> rng = np.random.default_rng(0)
    >>> mu = np.stack([rng.normal(0, 0.1, 50), rng.normal(3, 0.1, 50)])
    >>> tree = xr.DataTree.from_dict({
    ...     "posterior": xr.Dataset({"mu": (("chain", "draw"), mu)}),
    ...     "sample_stats": xr.Dataset({"lp": (("chain", "draw"), -0.5 * mu**2)}),
    ... })
    >>> summ = chain_summary(tree)
    >>> summ["mu"].round(1).values
    array([0., 3.])
    >>> sorted(summ.data_vars)
    ['lp', 'mu']
    """
    sample_dims = chain_draw_dims(sample_dims)
    post, _ = posterior_vars(
        idata,
        var_names=var_names,
        dim=dim,
        relabel=relabel,
        sample_dims=sample_dims,
        who="chain_summary",
    )
    chain_dim, draw_dim = sample_dims
    for reserved in ("lp", "lpd"):
        if reserved in post.data_vars:
            raise ValueError(
                f"posterior variable '{reserved}' clashes with the summary's own '{reserved}'; "
                "pass var_names=... without it"
            )
    ll = None
    if isinstance(idata, xr.DataTree) and "log_likelihood" in idata.children:
        ll = log_likelihood(idata, var_name, sample_dims=sample_dims, who="chain_summary")
    out = post.mean(draw_dim)
    lp = log_density(idata, sample_dims)
    if lp is not None:
        out["lp"] = lp.mean(draw_dim)
    if ll is not None:
        values = ll.values.reshape(ll.sizes[chain_dim], ll.sizes[draw_dim], -1)
        out["lpd"] = xr.DataArray(
            lpd_per_chain(values),
            dims=(chain_dim,),
            coords={chain_dim: ll[chain_dim]} if chain_dim in ll.coords else {},
        )
    out.attrs = {
        "n_draws": int(post.sizes[draw_dim]),
        "relabel": "none" if relabel is None else relabel,
        "var_name": "" if ll is None else str(ll.name),
    }
    return out
