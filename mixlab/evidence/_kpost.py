"""Evidence estimates read from SMC runs and combined with a prior on K into ``p(K | y)``."""

from __future__ import annotations

import numbers

import numpy as np
import xarray as xr
from scipy.special import logsumexp

from mixlab._validate import check_group

__all__ = ["log_evidence", "posterior_over_k"]


def log_evidence(idata):
    """Per-chain log marginal likelihood ``log p(y)`` estimated by ``pm.sample_smc``.

    Parameters
    ----------
    idata : xarray.DataTree
        What ``pm.sample_smc`` (or :func:`mixlab.evidence.sample_smc`) returns: its
        ``sample_stats`` holds ``log_marginal_likelihood`` per chain and stage, NaN until the last
        stage.

    Returns
    -------
    xarray.DataArray
        Dims ``(chain,)``: each chain's final estimate. Chains are independent runs, so their
        spread is the Monte Carlo error of one run.

    Raises
    ------
    TypeError
        If ``idata`` is not a DataTree.
    ValueError
        If it has no ``sample_stats`` with ``log_marginal_likelihood`` (not an SMC run), or a chain
        never reached its last stage.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from mixlab.evidence import log_evidence
    >>> stages = np.empty((2, 3), dtype=object)
    >>> stages[0] = [np.nan, np.nan, -10.5]
    >>> stages[1] = [np.nan, np.nan, -10.7]
    >>> tree = xr.DataTree.from_dict({"sample_stats": xr.Dataset(
    ...     {"log_marginal_likelihood": (("chain", "stage"), stages)})})
    >>> log_evidence(tree).values
    array([-10.5, -10.7])
    """
    stats = check_group(idata, "sample_stats")
    if "log_marginal_likelihood" not in stats:
        raise ValueError("sample_stats has no 'log_marginal_likelihood'; pass the result of "
                         "pm.sample_smc or mixlab.evidence.sample_smc")
    da = stats["log_marginal_likelihood"]
    if "chain" not in da.dims:
        raise ValueError("log_marginal_likelihood has no 'chain' dimension; pass the DataTree "
                         "that pm.sample_smc returned")
    rows = np.asarray(da.transpose("chain", ...).values, dtype=object).reshape(da.sizes["chain"], -1)
    out = []
    for c, row in enumerate(rows):
        flat = np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in row])
        flat = flat[np.isfinite(flat)]
        if flat.size == 0:
            raise ValueError(f"chain {c} has no finite log marginal likelihood; the SMC run did "
                             "not finish (rerun it, e.g. with more draws)")
        out.append(flat[-1])
    coords = {"chain": da["chain"].values} if "chain" in da.coords else {}
    return xr.DataArray(np.array(out), dims=("chain",), coords=coords,
                        attrs={"long_name": "log marginal likelihood (SMC)"})


def _as_table(log_z):
    if isinstance(log_z, dict):
        if not log_z:
            raise ValueError("log_z is empty; pass {K: log evidence} for at least one K")
        keys = list(log_z)
        if not all(isinstance(k, numbers.Integral) and not isinstance(k, bool) and k >= 1
                   for k in keys):
            raise ValueError(f"log_z's keys must be the numbers of components (integers >= 1), "
                             f"got {keys}")
        parts = [v if isinstance(v, xr.DataArray) else xr.DataArray(np.asarray(v, dtype=float))
                 for v in log_z.values()]
        try:
            table = xr.concat(parts, dim="K", join="exact")
        except ValueError as err:
            raise ValueError("every entry of log_z must have the same runs (dims and coords); "
                             f"got {[p.dims for p in parts]}") from err
        table = table.assign_coords(K=np.asarray(keys, dtype=int))
    elif isinstance(log_z, xr.DataArray):
        if "K" not in log_z.dims:
            raise ValueError(f"log_z has no dimension 'K' (dims {log_z.dims}); label the "
                             "number of components K, or pass a dict {K: estimates}")
        table = log_z
        if "K" not in table.coords:
            raise ValueError("log_z's dimension 'K' needs integer coordinates (the numbers of "
                             "components); add them with .assign_coords(K=[...])")
    else:
        raise TypeError(f"log_z must be a dict {{K: estimates}} or an xarray.DataArray with dim "
                        f"'K', got {type(log_z).__name__}")
    extra = [d for d in table.dims if d != "K"]
    if len(extra) > 1:
        raise ValueError(f"log_z may have one dimension of repeated runs besides 'K', got "
                         f"{extra}; reduce the others first")
    values = np.asarray(table.values, dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError("log_z contains NaN or infinite values; rerun the failed estimates")
    return table.astype(float), (extra[0] if extra else None)


def _prior_on(ks, prior):
    if prior is None:
        return xr.DataArray(np.full(len(ks), 1.0 / len(ks)), dims=("K",), coords={"K": ks})
    if isinstance(prior, xr.DataArray):
        if "K" not in prior.dims:
            raise ValueError("prior has no dimension 'K'; pass a DataArray over K (e.g. "
                             "mixlab.priors.bnb_pmf) or an array aligned with log_z's K")
        missing = sorted(set(ks.tolist()) - set(prior["K"].values.tolist()))
        if missing:
            raise ValueError(f"prior has no mass given for K = {missing}; give a prior for "
                             "every K in log_z")
        p = prior.sel(K=ks)
    else:
        arr = np.asarray(prior, dtype=float)
        if arr.shape != (len(ks),):
            raise ValueError(f"prior must have one value per K ({len(ks)}), got shape "
                             f"{arr.shape}")
        p = xr.DataArray(arr, dims=("K",), coords={"K": ks})
    vals = np.asarray(p.values, dtype=float)
    if np.any(~np.isfinite(vals)) or np.any(vals < 0) or vals.sum() <= 0:
        raise ValueError("prior must be non-negative with positive total; pass prior masses")
    return p / p.sum()


def posterior_over_k(log_z, prior=None):
    """``p(K | y)`` from evidence estimates ``log p(y | K)`` and a prior over K.

    ``p(K | y) = p(K) p(y | K) / sum_K' p(K') p(y | K')``, restricted to the K given. Each run's
    estimate of ``p(y | K)`` (not of its log) is unbiased for SMC, so runs are pooled by averaging
    ``p(y | K)``; the posterior is also computed from each run alone, whose spread is the Monte
    Carlo error of one run.

    Parameters
    ----------
    log_z : dict or xarray.DataArray
        ``{K: estimates}`` (a float, an array of runs or a DataArray such as
        :func:`log_evidence` returns), or a DataArray with dim ``K`` (integer coords) and at most
        one other dim of repeated runs (e.g. ``chain``), aligned across K.
    prior : array-like or xarray.DataArray, optional
        Prior masses over the K of ``log_z`` (renormalised over them); uniform when omitted.

    Returns
    -------
    xarray.Dataset
        ``p`` (dim ``K``): the posterior from the pooled runs; ``log_evidence`` (``K``): the pooled
        estimate; ``prior`` (``K``); and, when there are runs, ``p_run`` (run dim, ``K``) and ``sd``
        (``K``): the posterior from each run and its standard deviation over runs.

    Raises
    ------
    TypeError
        If ``log_z`` is neither a dict nor a DataArray.
    ValueError
        If K is missing or not an integer, runs are misaligned, values are not finite, or the
        prior does not match.

    References
    ----------
    Kass & Raftery (1995), "Bayes factors", JASA 90(430):773-795.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.evidence import posterior_over_k
    >>> post = posterior_over_k({1: -12.0, 2: -11.0, 3: -11.0 - np.log(2)})
    >>> post["p"].round(3).values
    array([0.197, 0.535, 0.268])
    """
    table, run_dim = _as_table(log_z)
    ks = table["K"].values
    if len(set(ks.tolist())) != len(ks):
        raise ValueError(f"log_z repeats a K: {ks.tolist()}; give each K once")
    p_k = _prior_on(ks, prior)
    log_prior = np.log(p_k)
    if run_dim is None:
        pooled = table
    else:
        n = table.sizes[run_dim]
        pooled = xr.apply_ufunc(lambda a: logsumexp(a, axis=-1) - np.log(n), table,
                                input_core_dims=[[run_dim]])

    def normalise(lz):
        lp = lz + log_prior
        return np.exp(lp - xr.apply_ufunc(lambda a: logsumexp(a, axis=-1), lp,
                                          input_core_dims=[["K"]]))

    out = xr.Dataset({"p": normalise(pooled), "log_evidence": pooled, "prior": p_k})
    if run_dim is not None:
        per_run = normalise(table).transpose(run_dim, "K")
        out["p_run"] = per_run
        out["sd"] = per_run.std(run_dim, ddof=1) if table.sizes[run_dim] > 1 else per_run.std(
            run_dim)
    out["p"].attrs["long_name"] = "p(K | y)"
    return out
