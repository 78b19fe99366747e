"""The number of occupied components in each draw (overfitted mixtures)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from mixlab._validate import check_rng
from mixlab.invariants._allocations import allocation_chunks, check_independent
from mixlab.invariants._common import check_method, posterior_labels
from mixlab.spec import resolve_options

__all__ = ["n_occupied"]


def _count_distinct(z):
    """Number of distinct labels in each row of an integer array (S, n)."""
    s = np.sort(z, axis=1)
    return 1 + np.count_nonzero(np.diff(s, axis=1), axis=1)


def n_occupied(
    idata,
    y=None,
    *,
    rng=None,
    method="auto",
    x=None,
    **options,
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
        ``"sample"`` draws one allocation per observation and draw from :func:`assignment_probs`
        (as :func:`sample_allocations` does, from the same stream of uniforms);
        ``"auto"`` uses ``"labels"`` if the posterior has ``z`` and ``"sample"`` otherwise.
    x : array_like, optional
        Covariate of a mixture regression, as in :func:`assignment_probs`.
    **options
        Posterior options (``family``, ``dim``, ...), as in :func:`assignment_probs`.

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
    check_method(method, ("auto", "labels", "sample"))
    labels_only = resolve_options(idata, options, "n_occupied", roles=False)
    names, post = labels_only.names, labels_only.posterior
    if method == "auto":
        method = "labels" if names["z"] in post.data_vars else "sample"
    if method == "labels":
        return _count_labels(labels_only)
    spec = resolve_options(idata, options, "n_occupied")
    check_independent(spec, "method='sample'", "sample the states in the model and use "
                      "method='labels'")
    gen = check_rng(rng)
    y_arr, _ = spec.observations(y)
    x_arr = spec.covariate(x, y_arr.shape[0])
    counts = np.empty(spec.n_samples, dtype=np.int64)
    for sl, z in allocation_chunks(spec, y_arr, x_arr, gen):
        counts[sl] = _count_distinct(z)
    return spec.wrap(counts, (), {}, "n_occupied")


def _count_labels(spec):
    """Distinct sampled labels per draw; labels beyond the posterior's components are refused."""
    z, _, _ = posterior_labels(spec)
    names, post = spec.names, spec.posterior
    k = post.sizes.get(spec.dim)
    if k is not None and z.max() >= k:
        raise ValueError(
            f"posterior variable '{names['z']}' holds label {int(z.max())} but the posterior "
            f"has {k} components (labels 0 to {k - 1}); pass the labels of this posterior"
        )
    template = post[names["z"]]
    shape = tuple(template.sizes[d] for d in spec.sample_dims)
    coords = {d: template[d].values for d in spec.sample_dims if d in template.coords}
    return xr.DataArray(_count_distinct(z).reshape(shape), dims=spec.sample_dims, coords=coords,
                        name="n_occupied")
