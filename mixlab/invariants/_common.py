"""What the summaries share: chunking over draws, and checks of probabilities and labels."""

from __future__ import annotations

import numpy as np
import xarray as xr

from mixlab import spec as _spec
from mixlab._validate import check_array, check_dim_names, check_dims, check_probs
from mixlab.spec import PosteriorSpec
from mixlab.spec import chunk_slices as chunks  # noqa: F401 (the summaries import it from here)


def check_method(method, allowed):
    if method not in allowed:
        raise ValueError(f"method must be one of {allowed}, got {method!r}")
    return method


def is_tree_like(data):
    return isinstance(data, xr.DataTree | xr.Dataset | PosteriorSpec)


def gib(n_bytes):
    return f"{n_bytes / 2**30:.3g} GiB"


def check_output_bytes(need, what, fix):
    """Refuse an output of ``need`` bytes beyond ``mixlab.spec.MAX_OUTPUT_BYTES``: what it is,
    the memory it would take, and ``fix``."""
    limit = _spec.MAX_OUTPUT_BYTES  # read at call time: tests and users may lower it
    if need > limit:
        raise ValueError(f"{what} needs {gib(need)} (limit {gib(limit)}); {fix}")


def is_dask(da):
    return type(da.variable._data).__module__.startswith("dask")


def probs_input(da, *, dim, obs_dim, sample_dims):
    """Validate a DataArray of assignment probabilities; return (array (S, n, K), obs coord)."""
    check_dims(da, (*sample_dims, obs_dim, dim), name="data",
               hint="pass the output of assignment_probs or set sample_dims/obs_dim/dim")
    extra = [d for d in da.dims if d not in (*sample_dims, obs_dim, dim)]
    if extra:
        raise ValueError(f"data has unexpected dimension(s) {extra}; select them away with .sel(...)")
    arr = da.transpose(*sample_dims, obs_dim, dim)
    values = check_probs(arr.values.reshape(-1, da.sizes[obs_dim], da.sizes[dim]), "data")
    coord = da[obs_dim].values if obs_dim in da.coords else np.arange(da.sizes[obs_dim])
    return values, coord


def labels_input(da, *, obs_dim, sample_dims, name="data"):
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


def dims_of(data, options):
    """``(dim, sample_dims, obs_dim)`` of a DataArray input, from the options or the defaults."""
    unknown = sorted(set(options) - {"dim", "obs_dim", "sample_dims"})
    if unknown:
        raise TypeError(
            f"options {unknown} do not apply to a DataArray of probabilities or labels; pass only "
            "dim=..., obs_dim=... and sample_dims=..."
        )
    return check_dim_names(dim=options.get("dim", "component"),
                           sample_dims=options.get("sample_dims", ("chain", "draw")),
                           obs_dim=options.get("obs_dim", "obs"))


def posterior_labels(spec):
    """The posterior's sampled labels ``z``: (int array (S, n), obs coord, obs dim name)."""
    names, post = spec.names, spec.posterior
    if names["z"] not in post.data_vars:
        have = ", ".join(map(str, post.data_vars)) or "none"
        raise ValueError(
            f"method='labels' needs sampled labels '{names['z']}' in the posterior (variables: "
            f"{have}); use method='probs' or pass var_names={{'z': ...}}"
        )
    return labels_input(post[names["z"]], obs_dim=spec.obs_dim, sample_dims=spec.sample_dims,
                        name=f"posterior variable '{names['z']}'")
