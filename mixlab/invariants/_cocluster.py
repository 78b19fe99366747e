"""Co-clustering: the posterior probability that two observations share a component."""

from __future__ import annotations

import numpy as np
import xarray as xr

from mixlab._validate import check_array
from mixlab.invariants._common import (
    check_method,
    check_output_bytes,
    chunks,
    dims_of,
    is_tree_like,
    labels_input,
    posterior_labels,
    probs_input,
)
from mixlab.spec import resolve_options

__all__ = ["coclustering"]


def coclustering(data, y=None, *, method="probs", rows=None, cols=None, x=None, **options):
    r"""Posterior probability that two observations belong to the same component.

    .. math:: C_{ij} = \Pr(z_i = z_j \mid y) \approx \frac1S \sum_s \sum_k p_{s,i,k}\, p_{s,j,k}
              \quad (i \ne j), \qquad C_{ii} = 1.

    Given a draw of the parameters the labels are independent, so the inner sum is the exact
    conditional probability; averaging it over draws (a Rao-Blackwellised estimate) has lower Monte
    Carlo error than counting how often sampled labels agree. Both are available. The matrix does not
    depend on how the components are labelled, so it can be computed before any relabelling.

    Parameters
    ----------
    data : xarray.DataTree, xarray.Dataset or xarray.DataArray
        Either a posterior (as for :func:`assignment_probs`), the output of
        :func:`assignment_probs` (a DataArray with ``dim``), or sampled labels (an integer
        DataArray with dims ``(*sample_dims, obs_dim)``).
    y : array_like, optional
        Observations, when ``data`` is a posterior and its observed data should not be used.
    method : {"probs", "labels"}, default "probs"
        For a posterior: ``"probs"`` averages assignment probabilities computed from the parameters
        (needs ``y``); ``"labels"`` counts agreement of the sampled labels ``z`` in the posterior
        (models with an explicit ``z ~ Categorical``). Ignored when ``data`` is a DataArray.
    rows, cols : array_like of int, optional
        Observation indices of one block of the matrix (default: every observation). A dense
        matrix holds ``8 n^2`` bytes: 80 GB at n = 100,000, more than any machine has, so
        beyond :data:`mixlab.spec.MAX_OUTPUT_BYTES` (2 GiB, n of about 16,000) the full matrix is refused
        with a message that says how much it needs. Ask for blocks instead (rows x cols, each
        streamed over draws), or pass the same random subset of observations as ``rows`` and
        ``cols`` for a sub-sampled matrix (symmetric, ones on the diagonal).
    x : array_like, optional
        Covariate of a mixture regression, as in :func:`assignment_probs`.
    **options
        How to read the posterior when ``data`` is not a :class:`mixlab.spec.PosteriorSpec`:
        ``family``, ``nu``, ``group``, ``dim``, ``obs_dim``, ``sample_dims``, ``var_names``, as
        in :func:`mixlab.spec.resolve`; ``dim``, ``obs_dim`` and ``sample_dims`` also name the dims of a DataArray ``data``.

    Returns
    -------
    xarray.DataArray
        ``coclustering`` with dims ``(obs_dim, obs_dim + "2")`` (``("obs", "obs2")`` by default):
        symmetric, entries in [0, 1], ones on the diagonal.

    Raises
    ------
    TypeError
        If ``data`` is of an unsupported type.
    ValueError
        For the reasons listed in :func:`assignment_probs`; if probabilities are not in [0, 1] or do
        not sum to 1; if labels are not non-negative integers; if ``method="labels"`` and the
        posterior has no ``z``.

    References
    ----------
    - Fritsch, A. and Ickstadt, K. (2009). Improved criteria for clustering based on the
      posterior similarity matrix. *Bayesian Analysis*, 4(2), 367-391.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from mixlab.invariants import coclustering
    >>> z = xr.DataArray([[[0, 0, 1], [1, 1, 0]]], dims=("chain", "draw", "obs"))
    >>> coclustering(z).values
    array([[1., 1., 0.],
           [1., 1., 0.],
           [0., 0., 1.]])
    """
    check_method(method, ("probs", "labels"))
    if isinstance(data, xr.DataArray):
        dim, sample_dims, obs_dim = dims_of(data, options)
        if dim in data.dims:
            p, coord = probs_input(data, dim=dim, obs_dim=obs_dim, sample_dims=sample_dims)
            r, c = _block(rows, cols, p.shape[1])
            total = _probs_total(lambda sl: p[sl], p.shape[0], p.shape[1:], r, c)
            n_samples = p.shape[0]
        else:
            z, coord, _ = labels_input(data, obs_dim=obs_dim, sample_dims=sample_dims)
            r, c = _block(rows, cols, z.shape[1])
            total, n_samples = _labels_total(z, r, c), z.shape[0]
    elif is_tree_like(data):
        spec = resolve_options(data, options, "coclustering", roles=method == "probs")
        dim, sample_dims, obs_dim = spec.dim, spec.sample_dims, spec.obs_dim
        if method == "labels":
            z, coord, _ = posterior_labels(spec)
            r, c = _block(rows, cols, z.shape[1])
            total, n_samples = _labels_total(z, r, c), z.shape[0]
        else:
            total, n_samples, coord, r, c = _from_posterior(spec, y, x, rows, cols)
    else:
        raise TypeError(
            "data must be a DataTree/Dataset posterior or a DataArray of assignment probabilities "
            f"or labels, got {type(data).__name__}"
        )
    same = None if (r is not None or c is not None) and not _same(r, c) else True
    out = _finish_coclustering(total, n_samples, same)
    other = f"{obs_dim}2"
    rc = coord if r is None else coord[r]
    cc = coord if c is None else coord[c]
    return xr.DataArray(out, dims=(obs_dim, other), coords={obs_dim: rc, other: cc},
                        name="coclustering")


def _from_posterior(spec, y, x, rows, cols):
    """Sum over draws of the co-assignment probabilities of a posterior (block rows x cols)."""
    y_arr, coord = spec.observations(y)
    x_arr = spec.covariate(x, y_arr.shape[0])
    draws = spec.draws()
    r, c = _block(rows, cols, y_arr.shape[0])
    points, xs, r_at, c_at = y_arr, x_arr, r, c
    if r is not None and c is not None and not (spec.transition or spec.per_obs_weights):
        # a block needs the probabilities of its rows and columns only (an HMM's states and
        # experts' weights depend on every observation, so they keep them all)
        used = np.unique(np.concatenate([r, c]))
        points = y_arr[used]
        xs = None if x_arr is None else x_arr[used]
        r_at, c_at = np.searchsorted(used, r), np.searchsorted(used, c)
    shape = (points.shape[0], draws.n_components)
    total = _probs_total(lambda sl: spec.probs(points, draws.take(sl), xs), draws.n_samples,
                         shape, r_at, c_at)
    return total, draws.n_samples, coord, r, c


def _block(rows, cols, n):
    """Checked index arrays of a block of the co-clustering matrix (None: every observation)."""
    out = []
    for name, idx in (("rows", rows), ("cols", cols)):
        if idx is None:
            out.append(None)
            continue
        arr = check_array(idx, name, ndim=1, dtype=int)
        if arr.min() < -n or arr.max() >= n:
            raise ValueError(f"{name} must index the {n} observations (0 to {n - 1}), got "
                             f"{int(arr.min())} to {int(arr.max())}")
        out.append(arr % n)
    return out


def _same(r, c):
    return r is not None and c is not None and r.shape == c.shape and bool(np.all(r == c))


def _check_block_size(n_rows, n_cols):
    check_output_bytes(8 * n_rows * n_cols, f"a dense {n_rows} x {n_cols} co-clustering matrix",
                       "pass rows=... and cols=... (observation indices) for one block of it, or a "
                       "random subset of observations as both")


def _probs_total(get, n_samples, shape, r, c):
    """Sum over draws of P_s[r] P_s[c]^T, streamed over chunks of draws."""
    n, k = shape
    r_idx = np.arange(n) if r is None else r
    c_idx = np.arange(n) if c is None else c
    _check_block_size(r_idx.size, c_idx.size)
    total = np.zeros((r_idx.size, c_idx.size))
    for sl in chunks(n_samples, n * k):
        p = get(sl)
        if r is None and c is None:
            total += _cocluster_probs(p)
        else:
            total += _cocluster_probs(p[:, r_idx], p[:, c_idx])
    return total


def _labels_total(z, r=None, c=None):
    """Sum over draws of label agreement, with labels remapped to 0..L-1 first."""
    _, inverse = np.unique(z, return_inverse=True)
    z = inverse.reshape(z.shape)
    n_labels = int(z.max()) + 1
    r_idx = np.arange(z.shape[1]) if r is None else r
    c_idx = np.arange(z.shape[1]) if c is None else c
    _check_block_size(r_idx.size, c_idx.size)
    total = np.zeros((r_idx.size, c_idx.size))
    for sl in chunks(z.shape[0], z.shape[1] * n_labels):
        if r is None and c is None:
            total += _cocluster_labels(z[sl], n_labels)
        else:
            total += _cocluster_labels(z[sl][:, r_idx], n_labels, z[sl][:, c_idx])
    return total


def _cocluster_probs(p, q=None):
    """Sum over draws of P_s Q_s^T for probabilities p (S, n, K), q (S, m, K): array (n, m)."""
    n_samples, n_obs, n_comp = p.shape
    m = np.ascontiguousarray(p.transpose(1, 0, 2)).reshape(n_obs, n_samples * n_comp)
    if q is None:
        return m @ m.T
    mq = np.ascontiguousarray(q.transpose(1, 0, 2)).reshape(q.shape[1], n_samples * n_comp)
    return m @ mq.T


def _cocluster_labels(z, n_labels, zq=None):
    """Sum over draws of 1[z_si == zq_sj] for integer labels in [0, n_labels)."""
    def onehot(a):
        out = np.zeros((*a.shape, n_labels))
        np.put_along_axis(out, a[..., None], 1.0, axis=-1)
        return out

    return _cocluster_probs(onehot(z), None if zq is None else onehot(zq))


def _finish_coclustering(total, n_samples, same):
    c = total / n_samples
    if same is not None:  # square block over the same observations: symmetric, ones on the diagonal
        c = 0.5 * (c + c.T)
        np.fill_diagonal(c, 1.0)
    np.clip(c, 0.0, 1.0, out=c)
    return c
