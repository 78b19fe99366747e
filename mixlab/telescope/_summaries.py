"""Summaries of a telescoping run: the posterior of K and K+, and the draws with a given K+."""

from __future__ import annotations

import numbers

import numpy as np
import xarray as xr

from mixlab._validate import check_dims, check_group, check_var_names, optional_group

__all__ = ["at_k_plus", "k_posterior"]

_SAMPLE_DIMS = ("chain", "draw")


def _posterior(idata, needed):
    post = check_group(idata, "posterior")
    check_var_names(post, list(needed), fix="pass what mixlab.telescope.sample returns")
    for v in needed:
        check_dims(post[v], _SAMPLE_DIMS, name=f"posterior variable '{v}'",
                   hint="pass what mixlab.telescope.sample returns (dims chain, draw)")
    return post


def _batch_mcse(ind):
    """Batch-means standard error of the mean of ``ind`` (chain, draw, k) over chains and draws.

    Batches of ``floor(sqrt(draws))`` consecutive draws within each chain; NaN with fewer than two
    batches.
    """
    n_chain, n_draw = ind.shape[:2]
    size = max(1, int(np.sqrt(n_draw)))
    n_batch = n_draw // size
    if n_chain * n_batch < 2:
        return np.full(ind.shape[2], np.nan)
    means = ind[:, : n_batch * size].reshape(n_chain, n_batch, size, -1).mean(axis=2)
    means = means.reshape(n_chain * n_batch, -1)
    return means.std(axis=0, ddof=1) / np.sqrt(means.shape[0])


def k_posterior(idata):
    """Posterior probabilities of the number of components K and of clusters K+, with MC errors.

    Parameters
    ----------
    idata : xarray.DataTree or xarray.Dataset
        What :func:`mixlab.telescope.sample` returns (or its posterior group): ``K`` and ``K_plus``
        with dims ``(chain, draw)``.

    Returns
    -------
    xarray.Dataset
        ``p_K`` (dim ``K``, coords 1..K_max) and ``p_k_plus`` (dim ``k_plus``, same coords): the share
        of draws at each value; ``mcse_K``, ``mcse_k_plus``: their Monte Carlo standard errors by
        batch means (batches of ``floor(sqrt(draws))`` consecutive draws within each chain, so
        autocorrelation is accounted for); ``p_K_chain`` and ``p_k_plus_chain``: the shares per chain
        (dims ``chain`` and ``K`` or ``k_plus``), whose spread shows chains that disagree.

    Raises
    ------
    TypeError
        If ``idata`` is not a DataTree or Dataset.
    ValueError
        If ``K`` or ``K_plus`` is missing, lacks the dims ``(chain, draw)`` or holds values below 1
        or K+ above K.

    References
    ----------
    - Frühwirth-Schnatter, S., Malsiner-Walli, G. and Grün, B. (2021). Generalized mixtures of finite
      mixtures and telescoping sampling. *Bayesian Analysis*, 16(4), 1279-1307.
    - Flegal, J. M. and Jones, G. L. (2010). Batch means and spectral variance estimators in Markov
      chain Monte Carlo. *The Annals of Statistics*, 38(2), 1034-1070.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab import telescope
    >>> y = np.random.default_rng(0).normal(size=30)
    >>> idata = telescope.sample(y, chains=2, draws=100, tune=50, K_max=10, random_seed=2)
    >>> kp = telescope.k_posterior(idata)
    >>> list(kp["p_K"].dims), kp.sizes["K"]
    (['K'], 10)
    >>> float(kp["p_K"].sum()), float(kp["p_k_plus"].sum())
    (1.0, 1.0)
    """
    post = _posterior(idata, ("K", "K_plus"))
    K = post["K"].transpose(*_SAMPLE_DIMS).values
    kp = post["K_plus"].transpose(*_SAMPLE_DIMS).values
    for name, v in (("K", K), ("K_plus", kp)):
        if not np.all(np.isfinite(v)) or np.any(v < 1) or np.any(v != np.round(v)):
            raise ValueError(f"posterior variable '{name}' must hold whole numbers >= 1")
    if np.any(kp > K):
        raise ValueError("posterior variable 'K_plus' exceeds 'K' in some draws; K+ <= K in every draw")
    K, kp = K.astype(np.int64), kp.astype(np.int64)
    k_max = int(post.sizes.get("component", K.max()))
    k_max = max(k_max, int(K.max()))
    values = np.arange(1, k_max + 1)
    out = {}
    for name, arr, dim in (("K", K, "K"), ("k_plus", kp, "k_plus")):
        ind = (arr[..., None] == values).astype(float)
        out[f"p_{name}"] = ((dim,), ind.mean(axis=(0, 1)))
        out[f"mcse_{name}"] = ((dim,), _batch_mcse(ind))
        out[f"p_{name}_chain"] = (("chain", dim), ind.mean(axis=1))
    return xr.Dataset(out, coords={"K": values, "k_plus": values, "chain": post["chain"].values})


def at_k_plus(idata, k=None):
    """The draws with ``K+ == k`` and their ``k`` filled components, ready for relabelling.

    In a draw of :func:`mixlab.telescope.sample` the filled components come first, so the draws with
    ``k`` clusters share a mixture of ``k`` components: their first ``k`` components, with the weights
    renormalised over them (the empty components' weights dropped). Label switching remains among
    those ``k``; relabel with :func:`mixlab.relabel.relabel` (ECR from ``z``, or Stephens).

    Parameters
    ----------
    idata : xarray.DataTree
        What :func:`mixlab.telescope.sample` returns.
    k : int, optional
        Number of clusters; default the posterior mode of ``K_plus``.

    Returns
    -------
    xarray.DataTree
        ``posterior`` with dims ``chain`` (length 1) and ``draw`` (the selected draws of all chains,
        chain after chain; non-dim coords ``source_chain`` and ``source_draw`` say where each came
        from) and ``component`` (0..k-1): ``w`` (summing to 1), ``mu``, ``sigma``, ``z`` and the scalars
        ``K``, ``K_plus``, ``C0`` and ``alpha``/``gamma``; plus ``observed_data``. The draws are pooled
        into one chain because each chain holds a different number of them: R-hat across chains
        belongs to the full run (:func:`k_posterior`), not to this subset.

    Raises
    ------
    TypeError
        If ``idata`` is not a DataTree or ``k`` not an integer.
    ValueError
        If variables are missing, or no draw has ``K+ == k`` (the message lists the values seen).

    References
    ----------
    - Frühwirth-Schnatter, S., Malsiner-Walli, G. and Grün, B. (2021). Generalized mixtures of finite
      mixtures and telescoping sampling. *Bayesian Analysis*, 16(4), 1279-1307.
    - Papastamoulis, P. and Iliopoulos, G. (2010). An artificial allocations based solution to the
      label switching problem in Bayesian analysis of mixtures of distributions. *Journal of
      Computational and Graphical Statistics*, 19(2), 313-331.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab import telescope
    >>> rng = np.random.default_rng(0)
    >>> y = np.concatenate([rng.normal(-5, 1, 40), rng.normal(5, 1, 40)])
    >>> idata = telescope.sample(y, chains=2, draws=100, tune=100, random_seed=3)
    >>> sub = telescope.at_k_plus(idata, 2)
    >>> dict(sub.posterior["mu"].sizes)["component"]
    2
    >>> bool(np.allclose(sub.posterior["w"].sum("component"), 1))
    True
    """
    if not isinstance(idata, xr.DataTree):
        raise TypeError(
            f"idata must be the xarray.DataTree returned by mixlab.telescope.sample, got {type(idata).__name__}"
        )
    post = _posterior(idata, ("K_plus", "w", "mu", "sigma", "z"))
    kp = post["K_plus"].transpose(*_SAMPLE_DIMS).values
    if k is None:
        k = int(np.bincount(kp.ravel().astype(np.int64)).argmax())
    elif isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"k must be an integer number of clusters, got {k!r}")
    k = int(k)
    chain_idx, draw_idx = np.nonzero(kp == k)
    if chain_idx.size == 0:
        seen = ", ".join(str(v) for v in np.unique(kp))
        raise ValueError(f"no draw has K_plus == {k} (values seen: {seen}); pick one of those")
    sel = {"chain": xr.DataArray(chain_idx, dims="draw"), "draw": xr.DataArray(draw_idx, dims="draw")}
    sub = post.isel(sel).isel(component=slice(0, k))
    sub = sub.assign(w=sub["w"] / sub["w"].sum("component"))
    sub = sub.assign_coords(
        source_chain=("draw", post["chain"].values[chain_idx]),
        source_draw=("draw", post["draw"].values[draw_idx]),
        draw=np.arange(chain_idx.size),
    ).drop_vars("chain", errors="ignore").expand_dims(chain=[0]).transpose("chain", "draw", ...)
    tree = {"posterior": sub}
    observed = optional_group(idata, "observed_data")
    if observed is not None:
        tree["observed_data"] = observed
    return xr.DataTree.from_dict(tree)
