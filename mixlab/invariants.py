"""Label-invariant summaries of a mixture posterior.

The component labels of a mixture posterior are arbitrary: relabelling the components of one draw
gives the same likelihood. Summaries that do not depend on the labels are therefore safe to compute
from any posterior, relabelled or not:

- :func:`assignment_probs` -- :math:`p_{s,i,k} = \\Pr(z_i = k \\mid \\theta^{(s)}, y_i)` for every
  draw ``s`` (this one follows the labels of each draw, so summaries of it over draws are invariant
  only when they do not single out a component);
- :func:`coclustering` -- :math:`\\Pr(z_i = z_j \\mid y)`, the posterior probability that two
  observations share a component;
- :func:`predictive_density` -- the posterior of the mixture density on a grid, with a credible band;
- :func:`n_occupied` -- the number of non-empty components per draw (for overfitted mixtures).

All functions work from the posterior variables alone (mixlab's names, see ``CONTRIBUTING.md``):
``w``, ``mu``, ``sigma`` with dims ``(chain, draw, component)``, optionally ``nu`` (Student-t degrees
of freedom; dims ``component`` or none besides the sample dims), ``beta`` (regression slopes) and ``z``
(sampled labels, dims ``(chain, draw, obs)``). They are vectorised over draws with numpy
broadcasting; large posteriors are processed in chunks of draws so that no
``(draw, obs, component)`` array larger than a few tens of megabytes is held at once (except the
output of :func:`assignment_probs`, which is that array).

The module has two layers: private array functions (numpy in, numpy out; ``_log_weighted``,
``_probs``, ``_cocluster_probs``, ...) and the public labelled functions that find the variables and
dims by name, validate them and wrap the result in xarray objects.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from mixlab import spec as _spec_module
from mixlab._validate import (
    check_array,
    check_dim_names,
    check_dims,
    check_group,
    check_probability,
    check_rng,
)
from mixlab.spec import PosteriorSpec, resolve
from mixlab.spec import _check_roles as _check_roles  # noqa: PLC0414 (plots reads the role names)

__all__ = ["assignment_probs", "coclustering", "n_occupied", "predictive_density"]

#: Outputs larger than this many bytes are returned lazily (dask) or refused (dense co-clustering).
MAX_OUTPUT_BYTES = 2**31


def _check_method(method, allowed):
    if method not in allowed:
        raise ValueError(f"method must be one of {allowed}, got {method!r}")
    return method


def _is_tree_like(data):
    return isinstance(data, xr.DataTree | xr.Dataset | PosteriorSpec)


def _chunks(n_samples, per_draw):
    """Slices over draws such that each chunk holds at most ``spec.CHUNK_ELEMENTS`` elements."""
    size = max(1, _spec_module.CHUNK_ELEMENTS // max(1, per_draw))
    return [slice(start, min(start + size, n_samples)) for start in range(0, n_samples, size)]


def _gib(n_bytes):
    return f"{n_bytes / 2**30:.3g} GiB"


def _setup(idata, *, group, dim, sample_dims, var_names, family, nu):
    """(posterior Dataset, all draws, role names): the spec's draws for callers outside the module."""
    spec = resolve(idata, group=group, dim=dim, sample_dims=sample_dims, var_names=var_names,
                   family=family, nu=nu)
    return spec.posterior, _Legacy(spec, spec.draws()), spec.names


class _Legacy:
    """The draws with the spec's shape attributes (w, mu, sigma, is_t, dim, sample_dims, ...)."""

    def __init__(self, spec, draws):
        self._spec, self._draws = spec, draws
        self.w, self.n_samples, self.n_components = draws.w, draws.n_samples, draws.n_components
        self.is_t = np.broadcast_to([f.name == "student_t" for f in spec.families], draws.w.shape)
        self.beta = draws.values.get("beta")
        self.nu = draws.values.get("nu")
        self.dim, self.sample_dims = spec.dim, spec.sample_dims
        self.sample_shape, self.sample_coords = spec.sample_shape, spec.sample_coords
        self.component_coord = spec.component_coord

    def __getattr__(self, role):
        return getattr(self.__dict__["_draws"], role)


# ----------------------------------------------------------------------------------------------
# Array layer
# ----------------------------------------------------------------------------------------------


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


def _count_distinct(z):
    """Number of distinct labels in each row of an integer array (S, n)."""
    s = np.sort(z, axis=1)
    return 1 + np.count_nonzero(np.diff(s, axis=1), axis=1)


def _sample_labels(p, u):
    """Inverse-CDF draws of labels from probabilities p (S, n, K) given uniforms u (S, n)."""
    cum = np.cumsum(p, axis=-1)
    return np.count_nonzero(cum[..., :-1] <= u[..., None], axis=-1)


def _lazy_probs(spec, draws, y, x, chunk):
    """Assignment probabilities as a dask array (S, n, K), computed a chunk of draws at a time."""
    import dask.array as dsa

    n, k = y.shape[0], draws.n_components
    index = dsa.arange(draws.n_samples, chunks=chunk)

    def block(idx):
        return spec.probs(y, draws.take(idx), x)

    return dsa.map_blocks(block, index, new_axis=[1, 2], chunks=(index.chunks[0], (n,), (k,)),
                          dtype=float, meta=np.empty((0, 0, 0)))


# ----------------------------------------------------------------------------------------------
# Labelled layer
# ----------------------------------------------------------------------------------------------


def assignment_probs(
    idata,
    y=None,
    *,
    x=None,
    family=None,
    nu=None,
    group="posterior",
    dim="component",
    obs_dim="obs",
    sample_dims=("chain", "draw"),
    var_names=None,
):
    r"""Probability that each observation belongs to each component, for every posterior draw.

    For draw :math:`s` with weights :math:`w^{(s)}` and component densities :math:`f_k`,

    .. math:: p_{s,i,k} = \frac{w_k^{(s)} f_k(y_i \mid \theta_k^{(s)})}
              {\sum_{j} w_j^{(s)} f_j(y_i \mid \theta_j^{(s)})},

    computed on the log scale with a log-sum-exp so that points far in the tails (where every
    density underflows to 0 in linear scale) still get finite probabilities that sum to 1.
    The result follows the labels of each draw: relabelling the components of a draw permutes its
    ``component`` axis the same way.

    Parameters
    ----------
    idata : xarray.DataTree, xarray.Dataset or mixlab.spec.PosteriorSpec
        Posterior with ``w``, ``mu`` and ``sigma`` (dims ``(*sample_dims, dim)``), and optionally
        ``nu`` (Student-t degrees of freedom, dims ``dim`` and/or the sample dims) and ``beta``
        (slopes of a mixture regression). A Dataset is taken to be the posterior group itself.
    y : array_like or xarray.DataArray, optional
        The observations, 1-D. Default: ``observed_data["y"]`` of ``idata``.
    x : array_like, optional
        Covariate of a mixture regression (one value per observation); the mean of component k is
        then ``mu_k + beta_k * x``. Default: ``constant_data["x"]`` when the posterior has ``beta``.
    family : str or list of str, optional
        Family of every component (a name from :data:`mixlab.families.FAMILIES`: ``"normal"``,
        ``"student_t"``, ``"mv_normal"``, ``"poisson"``, ``"negative_binomial"``, ``"zero"``),
        or one per component (e.g. ``["normal", "student_t"]``, or ``["zero", "poisson"]`` for a
        zero-inflated Poisson). Default: ``"mv_normal"`` for a posterior with ``corr``,
        ``"student_t"`` if it has ``nu``, otherwise ``"normal"``.
    nu : float or array_like, optional
        Fixed degrees of freedom (scalar or one per component) for models where ``nu`` is not
        sampled; overrides the posterior's ``nu``.
    group : str, default "posterior"
        Group of ``idata`` holding the draws.
    dim : str, default "component"
        Name of the component dimension.
    obs_dim : str, default "obs"
        Name given to the observation dimension of the result.
    sample_dims : sequence of str, default ("chain", "draw")
        Dimensions that index the draws.
    var_names : dict, optional
        Variable names for the roles ``"w"``, ``"mu"``, ``"sigma"``, ``"nu"``, ``"beta"``,
        ``"y"``, ``"x"`` when they differ from mixlab's, e.g. ``{"w": "pi"}``.

    Returns
    -------
    xarray.DataArray
        ``assignment_probs`` with dims ``(*sample_dims, obs_dim, dim)``; each row over ``dim``
        sums to 1. When the posterior is dask-backed (opened lazily from NetCDF/Zarr with
        ``chunks=``) or the result would exceed :data:`MAX_OUTPUT_BYTES` (2 GiB; 4,000 draws x
        100,000 observations x 10 components is 32 GB), the result is a lazy dask array computed
        a chunk of draws at a time: reduce it (``.mean(("chain", "draw"))``) before ``.compute()``.
        For a hidden Markov model (a transition matrix ``P`` in the posterior) these are the
        smoothed state probabilities; see :mod:`mixlab.spec`.

    Raises
    ------
    TypeError
        If ``idata`` is not a DataTree/Dataset, or an argument has the wrong type.
    ValueError
        If a variable or dimension is missing, ``y`` is not 1-D or holds NaN/inf, the weights are
        not on the simplex, scales are not positive, or ``x`` does not match ``y``.

    See Also
    --------
    coclustering : label-invariant pairwise summary of these probabilities.

    References
    ----------
    - Stephens, M. (2000). Dealing with label switching in mixture models. *Journal of the
      Royal Statistical Society B*, 62(4), 795-809.

    Examples
    --------
    One draw of a two-component mixture, three observations:

    >>> import numpy as np, xarray as xr
    >>> from mixlab.invariants import assignment_probs
    >>> dims = ("chain", "draw", "component")
    >>> post = xr.Dataset({"w": (dims, [[[0.5, 0.5]]]), "mu": (dims, [[[-2.0, 2.0]]]),
    ...                    "sigma": (dims, [[[1.0, 1.0]]])})
    >>> p = assignment_probs(post, y=np.array([-1.0, 0.0, 1e4]))
    >>> p.dims
    ('chain', 'draw', 'obs', 'component')
    >>> p.isel(chain=0, draw=0).round(3).values
    array([[0.982, 0.018],
           [0.5  , 0.5  ],
           [0.   , 1.   ]])
    """
    spec = resolve(idata, family=family, nu=nu, group=group, dim=dim, obs_dim=obs_dim,
                   sample_dims=sample_dims, var_names=var_names)
    y_arr, obs_coord = spec.observations(y)
    x_arr = spec.covariate(x, y_arr.shape[0])
    draws = spec.draws()
    n, k = y_arr.shape[0], draws.n_components
    coords = {spec.obs_dim: obs_coord, spec.dim: spec.component_coord}
    dims = (spec.obs_dim, spec.dim)
    lazy = _is_dask(spec.template) or 8 * draws.n_samples * n * k > MAX_OUTPUT_BYTES
    if lazy:
        chunk = _chunks(draws.n_samples, n * k)[0].stop
        values = _lazy_probs(spec, draws, y_arr, x_arr, chunk)
        values = values.reshape(*spec.sample_shape, n, k)
        return xr.DataArray(values, dims=(*spec.sample_dims, *dims),
                            coords={**spec.sample_coords, **coords}, name="assignment_probs")
    out = np.empty((draws.n_samples, n, k))
    for sl in _chunks(draws.n_samples, n * k):
        out[sl] = spec.probs(y_arr, draws.take(sl), x_arr)
    return spec.wrap(out, dims, coords, "assignment_probs")


def _is_dask(da):
    return type(da.variable._data).__module__.startswith("dask")


def _probs_input(da, *, dim, obs_dim, sample_dims):
    """Validate a DataArray of assignment probabilities; return (array (S, n, K), obs coord)."""
    check_dims(da, (*sample_dims, obs_dim, dim), name="data",
               hint="pass the output of assignment_probs or set sample_dims/obs_dim/dim")
    extra = [d for d in da.dims if d not in (*sample_dims, obs_dim, dim)]
    if extra:
        raise ValueError(f"data has unexpected dimension(s) {extra}; select them away with .sel(...)")
    arr = da.transpose(*sample_dims, obs_dim, dim)
    values = check_array(arr.values, "data")
    values = values.reshape(-1, da.sizes[obs_dim], da.sizes[dim])
    if np.any(values < 0) or np.any(values > 1):
        raise ValueError("data must hold probabilities in [0, 1]; pass the output of assignment_probs")
    if not np.allclose(values.sum(axis=-1), 1.0, atol=1e-6):
        raise ValueError(
            f"data rows must sum to 1 over '{dim}'; pass the output of assignment_probs"
        )
    coord = da[obs_dim].values if obs_dim in da.coords else np.arange(da.sizes[obs_dim])
    return values, coord


def _labels_input(da, *, obs_dim, sample_dims, name="data"):
    """Validate a DataArray of sampled labels; return (int array (S, n), obs coord, obs dim name)."""
    check_dims(da, sample_dims, name=name, hint="pass sample_dims=... naming the draw dimensions")
    rest = [d for d in da.dims if d not in sample_dims]
    if len(rest) != 1:
        raise ValueError(
            f"{name} must have one observation dimension besides {sample_dims}, got dims {da.dims}"
        )
    od = rest[0]
    arr = da.transpose(*sample_dims, od)
    values = check_array(arr.values, name, dtype=int).reshape(-1, da.sizes[od])
    if np.any(values < 0):
        raise ValueError(f"{name} must hold non-negative component labels, got {values.min()}")
    coord = da[od].values if od in da.coords else np.arange(da.sizes[od])
    return values, coord, (od if od == obs_dim else obs_dim)


def _posterior_labels(idata, *, group, sample_dims, names, obs_dim):
    post = idata.posterior if isinstance(idata, PosteriorSpec) else check_group(idata, group)
    if names["z"] not in post.data_vars:
        have = ", ".join(map(str, post.data_vars)) or "none"
        raise ValueError(
            f"method='labels' needs sampled labels '{names['z']}' in the posterior (variables: "
            f"{have}); use method='probs' or pass var_names={{'z': ...}}"
        )
    return _labels_input(post[names["z"]], obs_dim=obs_dim, sample_dims=sample_dims,
                         name=f"posterior variable '{names['z']}'")


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


def coclustering(
    data,
    y=None,
    *,
    method="probs",
    rows=None,
    cols=None,
    x=None,
    family=None,
    nu=None,
    group="posterior",
    dim="component",
    obs_dim="obs",
    sample_dims=("chain", "draw"),
    var_names=None,
):
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
        beyond :data:`MAX_OUTPUT_BYTES` (2 GiB, n of about 16,000) the full matrix is refused
        with a message that says how much it needs. Ask for blocks instead (rows x cols, each
        streamed over draws), or pass the same random subset of observations as ``rows`` and
        ``cols`` for a sub-sampled matrix (symmetric, ones on the diagonal).
    x, family, nu, group, dim, obs_dim, sample_dims, var_names
        As in :func:`assignment_probs`.

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
    dim, sample_dims, obs_dim = check_dim_names(dim=dim, sample_dims=sample_dims, obs_dim=obs_dim)
    _check_method(method, ("probs", "labels"))
    if isinstance(data, xr.DataArray):
        if dim in data.dims:
            p, coord = _probs_input(data, dim=dim, obs_dim=obs_dim, sample_dims=sample_dims)
            r, c = _block(rows, cols, p.shape[1])
            total, n_samples = _probs_total(lambda sl: p[sl], p.shape[0], p.shape[1:], r, c)
        else:
            z, coord, _ = _labels_input(data, obs_dim=obs_dim, sample_dims=sample_dims)
            r, c = _block(rows, cols, z.shape[1])
            total, n_samples = _labels_total(z, r, c), z.shape[0]
    elif _is_tree_like(data):
        kw = {"group": group, "dim": dim, "obs_dim": obs_dim, "sample_dims": sample_dims,
              "var_names": var_names}
        if method == "labels":
            names = data.names if isinstance(data, PosteriorSpec) else _check_roles(var_names)
            z, coord, _ = _posterior_labels(data, group=group, sample_dims=sample_dims,
                                            names=names, obs_dim=obs_dim)
            r, c = _block(rows, cols, z.shape[1])
            total, n_samples = _labels_total(z, r, c), z.shape[0]
        else:
            spec = resolve(data, family=family, nu=nu, **kw)
            y_arr, coord = spec.observations(y)
            x_arr = spec.covariate(x, y_arr.shape[0])
            draws = spec.draws()
            r, c = _block(rows, cols, y_arr.shape[0])
            points, xs, r_at, c_at = y_arr, x_arr, r, c
            if (r is not None or c is not None) and not (spec.transition or spec.per_obs_weights):
                # a block needs the probabilities of its rows and columns only (an HMM's states
                # and experts' weights depend on every observation, so they keep them all)
                used = np.unique(np.concatenate([a for a in (r, c) if a is not None]))
                if r is not None and c is not None:
                    points = y_arr[used]
                    xs = None if x_arr is None else x_arr[used]
                    r_at, c_at = np.searchsorted(used, r), np.searchsorted(used, c)
            shape = (points.shape[0], draws.n_components)
            total, n_samples = _probs_total(
                lambda sl: spec.probs(points, draws.take(sl), xs), draws.n_samples, shape, r_at,
                c_at)
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


def _same(r, c):
    return r is not None and c is not None and r.shape == c.shape and bool(np.all(r == c))


def _check_block_size(n_rows, n_cols):
    need = 8 * n_rows * n_cols
    if need > MAX_OUTPUT_BYTES:
        raise ValueError(
            f"a dense {n_rows} x {n_cols} co-clustering matrix needs {_gib(need)} (limit "
            f"{_gib(MAX_OUTPUT_BYTES)}); pass rows=... and cols=... (observation indices) for one "
            "block of it, or a random subset of observations as both"
        )


def _probs_total(get, n_samples, shape, r, c):
    """Sum over draws of P_s[r] P_s[c]^T, streamed over chunks of draws."""
    n, k = shape
    r_idx = np.arange(n) if r is None else r
    c_idx = np.arange(n) if c is None else c
    _check_block_size(r_idx.size, c_idx.size)
    total = np.zeros((r_idx.size, c_idx.size))
    for sl in _chunks(n_samples, n * k):
        p = get(sl)
        if r is None and c is None:
            total += _cocluster_probs(p)
        else:
            total += _cocluster_probs(p[:, r_idx], p[:, c_idx])
    return total, n_samples


def _labels_total(z, r=None, c=None):
    """Sum over draws of label agreement, with labels remapped to 0..L-1 first."""
    _, inverse = np.unique(z, return_inverse=True)
    z = inverse.reshape(z.shape)
    n_labels = int(z.max()) + 1
    r_idx = np.arange(z.shape[1]) if r is None else r
    c_idx = np.arange(z.shape[1]) if c is None else c
    _check_block_size(r_idx.size, c_idx.size)
    total = np.zeros((r_idx.size, c_idx.size))
    for sl in _chunks(z.shape[0], z.shape[1] * n_labels):
        if r is None and c is None:
            total += _cocluster_labels(z[sl], n_labels)
        else:
            total += _cocluster_labels(z[sl][:, r_idx], n_labels, z[sl][:, c_idx])
    return total


def predictive_density(
    idata,
    grid,
    *,
    ci_prob=0.94,
    components=False,
    x=None,
    family=None,
    nu=None,
    group="posterior",
    dim="component",
    sample_dims=("chain", "draw"),
    var_names=None,
):
    r"""Posterior of the mixture density on a grid: mean and equal-tailed credible band.

    For every draw :math:`s` the density :math:`f^{(s)}(t) = \sum_k w_k^{(s)} f_k(t \mid
    \theta_k^{(s)})` is evaluated at each grid point :math:`t`; the result summarises these curves
    over draws. The sum over components makes ``mean``, ``lower`` and ``upper`` label-invariant.

    Parameters
    ----------
    idata : xarray.DataTree or xarray.Dataset
        Posterior as in :func:`assignment_probs`.
    grid : array_like
        1-D array of points at which to evaluate the density.
    ci_prob : float, default 0.94
        Probability mass of the equal-tailed credible band, in (0, 1).
    components : bool, default False
        Also return ``components``: the posterior mean of each weighted component density
        :math:`w_k f_k(t)` (dims ``grid, dim``). These sum over ``dim`` to ``mean``, but unlike
        ``mean`` they depend on the labels: read them only for a posterior whose labels are
        identified (ordered means, or after :mod:`mixlab.relabel`).
    x : float, optional
        For a mixture regression (posterior with ``beta``): the covariate value at which the
        conditional density of y given x is evaluated. Required then.
    family, nu, group, dim, sample_dims, var_names
        As in :func:`assignment_probs`.

    Returns
    -------
    xarray.Dataset
        Variables ``mean``, ``lower``, ``upper`` over dim ``grid`` (coordinate: the grid values)
        and, if ``components=True``, ``components`` over ``(grid, dim)``. Attributes ``ci_prob``
        and ``ci_kind = "eti"``.

    Raises
    ------
    TypeError
        If ``components`` is not a bool or another argument has the wrong type.
    ValueError
        If ``grid`` is not 1-D, empty, or holds NaN/inf, ``ci_prob`` is not in (0, 1), or for the
        reasons listed in :func:`assignment_probs`.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from mixlab.invariants import predictive_density
    >>> dims = ("chain", "draw", "component")
    >>> post = xr.Dataset({"w": (dims, [[[0.5, 0.5], [0.5, 0.5]]]),
    ...                    "mu": (dims, [[[-2.0, 2.0], [-1.0, 1.0]]]),
    ...                    "sigma": (dims, [[[1.0, 1.0], [1.0, 1.0]]])})
    >>> dens = predictive_density(post, np.linspace(-10, 10, 2001))
    >>> sorted(dens.data_vars)
    ['lower', 'mean', 'upper']
    >>> round(float(dens["mean"].integrate("grid")), 4)
    1.0
    """
    if not isinstance(components, bool | np.bool_):
        raise TypeError(f"components must be True or False, got {components!r}")
    ci_prob = check_probability(ci_prob, "ci_prob", low_open=True, high_open=True)
    spec = resolve(idata, family=family, nu=nu, group=group, dim=dim, sample_dims=sample_dims,
                   var_names=var_names)
    if spec.per_obs_weights:
        raise ValueError(
            "the weights depend on the observation (a mixture of experts): the density of y "
            "differs at every observation; take the weights of one observation with "
            f".isel({spec.obs_dim}=i) first"
        )
    if spec.transition:
        raise ValueError(
            "the posterior is a hidden Markov model: the density of y_t depends on the states "
            "before it; simulate from the model (pm.sample_posterior_predictive) instead"
        )
    if spec.event_ndim:
        raise ValueError(
            f"predictive_density evaluates 1-D densities on a grid; the families "
            f"{spec.family_names} model vectors: evaluate assignment_probs or plot the ellipses"
        )
    grid_arr = check_array(grid, "grid", ndim=1)
    x_val = spec.covariate(x, grid_arr.size, scalar=True)
    draws = spec.draws()
    n, k = grid_arr.size, draws.n_components
    dens = np.empty((draws.n_samples, n))
    comp = np.zeros((n, k))
    for sl in _chunks(draws.n_samples, n * k):
        weighted = np.exp(spec.log_weighted(grid_arr, draws.take(sl), x_val))
        dens[sl] = weighted.sum(axis=-1)
        if components:
            comp += weighted.sum(axis=0)
    lower, upper = np.quantile(dens, [(1.0 - ci_prob) / 2.0, (1.0 + ci_prob) / 2.0], axis=0)
    out = xr.Dataset(
        {"mean": ("grid", dens.mean(axis=0)), "lower": ("grid", lower), "upper": ("grid", upper)},
        coords={"grid": grid_arr},
        attrs={"ci_prob": ci_prob, "ci_kind": "eti"},
    )
    if components:
        out["components"] = xr.DataArray(
            comp / draws.n_samples, dims=("grid", spec.dim),
            coords={"grid": grid_arr, spec.dim: spec.component_coord},
        )
    return out


def n_occupied(
    idata,
    y=None,
    *,
    rng=None,
    method="auto",
    x=None,
    family=None,
    nu=None,
    group="posterior",
    dim="component",
    obs_dim="obs",
    sample_dims=("chain", "draw"),
    var_names=None,
):
    """Number of non-empty components in each posterior draw.

    In an overfitted ("sparse") mixture with a small Dirichlet concentration, superfluous
    components get weights near 0 and no observations; the posterior of the number of occupied
    components estimates the number of clusters (Rousseau and Mengersen, 2011). A component is
    occupied in a draw when at least one observation is allocated to it.

    Parameters
    ----------
    idata : xarray.DataTree or xarray.Dataset
        Posterior as in :func:`assignment_probs`, possibly with sampled labels ``z``.
    y : array_like, optional
        Observations (default: ``observed_data["y"]``); used only when allocations are drawn.
    rng : numpy.random.Generator or int, optional
        Source of randomness for drawing allocations. Pass a seed or Generator for reproducible
        results. The draw does not depend on the labels: the components of each draw are put in an
        order determined by their parameter values before labels are drawn, so relabelling a
        posterior and calling again with the same seed gives the same counts.
    method : {"auto", "labels", "sample"}, default "auto"
        ``"labels"`` counts the distinct values of the posterior's sampled labels ``z``;
        ``"sample"`` draws one allocation per observation and draw from :func:`assignment_probs`;
        ``"auto"`` uses ``"labels"`` if the posterior has ``z`` and ``"sample"`` otherwise.
    x, family, nu, group, dim, obs_dim, sample_dims, var_names
        As in :func:`assignment_probs`.

    Returns
    -------
    xarray.DataArray
        ``n_occupied``, integers with dims ``sample_dims``.

    Raises
    ------
    TypeError
        If ``rng`` is not a Generator or seed, or ``idata`` has the wrong type.
    ValueError
        If ``method`` is unknown, ``method="labels"`` without ``z``, or for the reasons listed in
        :func:`assignment_probs`.

    References
    ----------
    - Rousseau, J. and Mengersen, K. (2011). Asymptotic behaviour of the posterior distribution
      in overfitted mixture models. *Journal of the Royal Statistical Society B*, 73(5), 689-710.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from mixlab.invariants import n_occupied
    >>> dims = ("chain", "draw", "component")
    >>> post = xr.Dataset({"w": (dims, [[[0.5, 0.5, 0.0]]]), "mu": (dims, [[[-5.0, 5.0, 0.0]]]),
    ...                    "sigma": (dims, [[[1.0, 1.0, 1.0]]])})
    >>> n_occupied(post, y=np.array([-5.0, -4.0, 5.0]), rng=0).values
    array([[2]])
    """
    _check_method(method, ("auto", "labels", "sample"))
    spec = resolve(idata, family=family, nu=nu, group=group, dim=dim, obs_dim=obs_dim,
                   sample_dims=sample_dims, var_names=var_names)
    names, post = spec.names, spec.posterior
    if method == "auto":
        method = "labels" if names["z"] in post.data_vars else "sample"
    if method == "labels":
        z, _, _ = _posterior_labels(spec, group=group, sample_dims=spec.sample_dims, names=names,
                                    obs_dim=spec.obs_dim)
        template = post[names["z"]]
        k = spec.n_components
        if z.max() >= k:
            raise ValueError(
                f"posterior variable '{names['z']}' holds label {int(z.max())} but the posterior "
                f"has {k} components (labels 0 to {k - 1}); pass the labels of this posterior"
            )
        counts = _count_distinct(z)
        shape = tuple(template.sizes[d] for d in spec.sample_dims)
        coords = {d: template[d].values for d in spec.sample_dims if d in template.coords}
        return xr.DataArray(counts.reshape(shape), dims=spec.sample_dims, coords=coords,
                            name="n_occupied")
    if spec.transition:
        raise ValueError(
            "method='sample' draws each observation's label independently, which the states of a "
            "hidden Markov model are not; sample the states in the model and use method='labels'"
        )
    gen = check_rng(rng)
    y_arr, _ = spec.observations(y)
    x_arr = spec.covariate(x, y_arr.shape[0])
    canon, _ = spec.draws().sorted_by_values(spec.family_index)
    # the family index is the first sort key: after sorting, every draw has its families in the
    # order of the sorted index
    sorted_spec = spec.with_family([spec.used_families[i] for i in np.sort(spec.family_index)])
    n, k = y_arr.shape[0], canon.n_components
    counts = np.empty(canon.n_samples, dtype=np.int64)
    for sl in _chunks(canon.n_samples, n * k):
        p = sorted_spec.probs(y_arr, canon.take(sl), x_arr)
        u = gen.random((p.shape[0], n))
        counts[sl] = _count_distinct(_sample_labels(p, u))
    return spec.wrap(counts, (), {}, "n_occupied")
