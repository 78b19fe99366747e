"""Allocations drawn from the assignment probabilities: one path for every sampled label."""

from __future__ import annotations

import numpy as np
import xarray as xr

from mixlab._validate import check_rng
from mixlab.invariants._common import (
    check_output_bytes,
    chunks,
    dims_of,
    is_tree_like,
    probs_input,
)
from mixlab.spec import resolve_options

__all__ = ["sample_allocations"]


def sample_labels(p, u):
    """Inverse-CDF draws of labels from probabilities p (S, n, K) given uniforms u (S, n).

    Label k is drawn when ``cum[k - 1] <= u < cum[k]``; a label of probability 0 is never drawn
    (rounding could otherwise hand ``u`` close to 1 to trailing empty components).
    """
    cum = np.cumsum(p, axis=-1)
    labels = np.count_nonzero(cum[..., :-1] <= u[..., None], axis=-1)
    last = p.shape[-1] - 1 - np.argmax(p[..., ::-1] > 0, axis=-1)  # last label with p > 0
    return np.minimum(labels, last)


def check_independent(spec, what, fix):
    """Refuse a hidden Markov model, whose states cannot be drawn one observation at a time."""
    if spec.transition:
        raise ValueError(
            f"{what} draws each observation's label independently, which the states of a hidden "
            f"Markov model are not; {fix}"
        )


def allocation_chunks(spec, y, x, gen):
    """Yield ``(slice of draws, labels (s, n))``: one allocation per draw, a chunk at a time.

    The components of each draw are put in an order fixed by their parameter values before the
    labels are drawn and the labels are mapped back afterwards, so a relabelled posterior gives
    the same partitions (with its own labels) for the same stream of uniforms. Call
    :func:`check_independent` first.
    """
    draws = spec.draws()
    order = draws.value_order(spec.family_index)
    canon = draws.permuted(order)
    # the family index is the first sort key: after sorting, every draw has its families in the
    # order of the sorted index
    sorted_spec = spec.with_family([spec.used_families[i] for i in np.sort(spec.family_index)])
    n, k = y.shape[0], canon.n_components
    for sl in chunks(canon.n_samples, n * k):
        p = sorted_spec.probs(y, canon.take(sl), x)
        z = sample_labels(p, gen.random((p.shape[0], n)))
        yield sl, np.take_along_axis(order[sl], z, axis=1)


def _check_size(n_samples, n):
    check_output_bytes(8 * n_samples * n, f"sample_allocations of {n_samples:,} draws x {n:,} "
                       "observations", "thin the posterior first, e.g. "
                       "idata.isel(draw=slice(None, None, 10))")


def sample_allocations(idata, y=None, *, x=None, random_seed=None, **options):
    r"""Draw one allocation of every observation for every posterior draw.

    For draw :math:`s`, each label is drawn independently from the assignment probabilities,
    :math:`z_i^{(s)} \sim \mathrm{Categorical}(p_{s,i,\cdot})` (:func:`assignment_probs`), by the
    inverse of the cumulative distribution at one uniform per observation. Together with the
    parameters, :math:`(\theta^{(s)}, z^{(s)})` is then a draw from the joint posterior of a
    model whose labels were summed out (the data augmentation of Diebolt and Robert 1994), and
    each row of the result is a posterior draw of the partition, the input of
    :func:`mixlab.partitions.point_estimate` and :func:`mixlab.partitions.credible_ball`.

    The draws are computed a chunk of draws at a time (:data:`mixlab.spec.CHUNK_ELEMENTS`), so
    the probabilities are never held whole. For a posterior, the uniforms are used with the
    components of each draw in an order fixed by their parameter values: relabelling the
    posterior and calling again with the same seed gives the same partitions, with the labels
    permuted as the components were (:func:`n_occupied` draws its counts from the same stream).

    Parameters
    ----------
    idata : xarray.DataTree, xarray.Dataset, mixlab.spec.PosteriorSpec or xarray.DataArray
        A posterior, as in :func:`assignment_probs`; or its output (a DataArray of assignment
        probabilities with dims ``(*sample_dims, obs_dim, dim)``), whose labels are drawn as
        given.
    y : array_like, optional
        Observations (default: ``observed_data["y"]``); not for a DataArray of probabilities.
    x : array_like, optional
        Covariate of a mixture regression, as in :func:`assignment_probs`.
    random_seed : int or numpy.random.Generator, optional
        Source of the uniforms. The same seed gives the same allocations.
    **options
        Posterior options (``family``, ``dim``, ``sample_dims``, ...), as in
        :func:`mixlab.spec.resolve`; for a DataArray only ``dim``, ``obs_dim`` and
        ``sample_dims``.

    Returns
    -------
    xarray.DataArray
        ``z``, int64 labels in ``0..K-1`` with dims ``(*sample_dims, obs_dim)`` and the sample
        and observation coordinates; a label whose probability is 0 (an absent or empty
        component) is never drawn.

    Raises
    ------
    TypeError
        If ``idata`` has an unsupported type, ``random_seed`` is neither an integer nor a
        Generator, or ``y``/``x`` is given with a DataArray of probabilities.
    ValueError
        If the posterior is a hidden Markov model (its states are not independent: sample them
        in the model), the result would exceed :data:`mixlab.spec.MAX_OUTPUT_BYTES`, the
        probabilities are not rows on the simplex, or for the reasons listed in
        :func:`assignment_probs`.

    See Also
    --------
    n_occupied : the number of distinct labels of these allocations, per draw.

    References
    ----------
    - Diebolt, J. and Robert, C. P. (1994). Estimation of finite mixture distributions through
      Bayesian sampling. *Journal of the Royal Statistical Society B*, 56(2), 363-375.
    - Wade, S. and Ghahramani, Z. (2018). Bayesian cluster analysis: point estimation and
      credible balls. *Bayesian Analysis*, 13(2), 559-626.

    Examples
    --------
    Two well separated components: the allocations follow the data.

    >>> import numpy as np, xarray as xr
    >>> from mixlab.invariants import sample_allocations
    >>> dims = ("chain", "draw", "component")
    >>> post = xr.Dataset({"w": (dims, [[[0.5, 0.5]] * 2]), "mu": (dims, [[[-5.0, 5.0]] * 2]),
    ...                    "sigma": (dims, [[[1.0, 1.0]] * 2])})
    >>> z = sample_allocations(post, y=np.array([-5.0, -4.0, 5.0]), random_seed=0)
    >>> z.dims
    ('chain', 'draw', 'obs')
    >>> z.values
    array([[[0, 0, 1],
            [0, 0, 1]]])
    """
    gen = check_rng(random_seed, "random_seed")
    if isinstance(idata, xr.DataArray):
        return _from_probs(idata, y, x, gen, options)
    if not is_tree_like(idata):
        raise TypeError(
            "idata must be a posterior (DataTree, Dataset or PosteriorSpec) or the DataArray "
            f"returned by assignment_probs, got {type(idata).__name__}"
        )
    spec = resolve_options(idata, options, "sample_allocations")
    check_independent(spec, "sample_allocations", "sample the states in the model and read its 'z'")
    y_arr, obs_coord = spec.observations(y)
    x_arr = spec.covariate(x, y_arr.shape[0])
    _check_size(spec.n_samples, y_arr.shape[0])
    out = np.empty((spec.n_samples, y_arr.shape[0]), dtype=np.int64)
    for sl, z in allocation_chunks(spec, y_arr, x_arr, gen):
        out[sl] = z
    return spec.wrap(out, (spec.obs_dim,), {spec.obs_dim: obs_coord}, "z")


def _from_probs(da, y, x, gen, options):
    """Allocations drawn from a DataArray of assignment probabilities, labels as given."""
    if y is not None or x is not None:
        raise TypeError(
            "y and x do not apply to a DataArray of assignment probabilities (they were used when "
            "it was computed); drop them"
        )
    dim, sample_dims, obs_dim = dims_of(da, options)
    values, obs_coord = probs_input(da, dim=dim, obs_dim=obs_dim, sample_dims=sample_dims)
    n_samples, n, k = values.shape
    _check_size(n_samples, n)
    out = np.empty((n_samples, n), dtype=np.int64)
    for sl in chunks(n_samples, n * k):
        out[sl] = sample_labels(values[sl], gen.random((values[sl].shape[0], n)))
    shape = tuple(da.sizes[d] for d in sample_dims)
    coords = {d: da[d].values for d in sample_dims if d in da.coords}
    coords[obs_dim] = obs_coord
    return xr.DataArray(out.reshape(*shape, n), dims=(*sample_dims, obs_dim), coords=coords,
                        name="z")
