"""Assignment probabilities: the one path from log-densities to memberships."""

from __future__ import annotations

import numpy as np
import xarray as xr

from mixlab import spec as _spec
from mixlab.invariants._common import chunks as _chunks
from mixlab.invariants._common import is_dask as _is_dask
from mixlab.spec import resolve_options

__all__ = ["assignment_probs"]


def _lazy_probs(spec, draws, y, x, chunk):
    """Assignment probabilities as a dask array (S, n, K), computed a chunk of draws at a time."""
    import dask.array as dsa

    n, k = y.shape[0], draws.n_components
    index = dsa.arange(draws.n_samples, chunks=chunk)

    def block(idx):
        return spec.probs(y, draws.take(idx), x)

    return dsa.map_blocks(block, index, new_axis=[1, 2], chunks=(index.chunks[0], (n,), (k,)),
                          dtype=float, meta=np.empty((0, 0, 0)))


def assignment_probs(
    idata,
    y=None,
    *,
    x=None,
    **options,
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
    **options
        How to read the posterior when ``idata`` is not a :class:`mixlab.spec.PosteriorSpec`:
        ``family``, ``nu``, ``group``, ``dim``, ``obs_dim``, ``sample_dims``, ``var_names``, as
        in :func:`mixlab.spec.resolve`.

    Returns
    -------
    xarray.DataArray
        ``assignment_probs`` with dims ``(*sample_dims, obs_dim, dim)``; each row over ``dim``
        sums to 1. When the posterior is dask-backed (opened lazily from NetCDF/Zarr with
        ``chunks=``) or the result would exceed :data:`mixlab.spec.MAX_OUTPUT_BYTES` (2 GiB; 4,000 draws x
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
    spec = resolve_options(idata, options, "assignment_probs")
    y_arr, obs_coord = spec.observations(y)
    x_arr = spec.covariate(x, y_arr.shape[0])
    draws = spec.draws()
    n, k = y_arr.shape[0], draws.n_components
    coords = {spec.obs_dim: obs_coord, spec.dim: spec.component_coord}
    dims = (spec.obs_dim, spec.dim)
    lazy = _is_dask(spec.template) or 8 * draws.n_samples * n * k > _spec.MAX_OUTPUT_BYTES
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
