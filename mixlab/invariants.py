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

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import xarray as xr
from scipy.special import gammaln

from mixlab._validate import (
    check_array,
    check_dims,
    check_group,
    check_positive,
    check_probability,
    check_rng,
    check_simplex,
)
from mixlab._validate import check_name as _check_name
from mixlab._validate import check_sample_dims as _check_sample_dims

__all__ = ["assignment_probs", "coclustering", "n_occupied", "predictive_density"]

#: Component families understood by the density functions.
FAMILIES = ("normal", "student_t")

#: Roles whose variable names can be changed with ``var_names={role: name}``.
ROLES = ("w", "mu", "sigma", "nu", "beta", "z", "y", "x")

#: Upper bound on the number of float64 elements of one (draw, point, component) chunk.
_CHUNK_ELEMENTS = 2**21

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


# ----------------------------------------------------------------------------------------------
# Validation helpers specific to posterior summaries
# ----------------------------------------------------------------------------------------------


def _check_roles(var_names):
    """Return the mapping role -> variable name, with mixlab's defaults filled in."""
    names = {role: role for role in ROLES}
    if var_names is None:
        return names
    if not isinstance(var_names, Mapping):
        raise TypeError(
            "var_names must be a dict mapping roles "
            f"{ROLES} to variable names, e.g. {{'w': 'pi'}}; got {type(var_names).__name__}"
        )
    for role, name in var_names.items():
        if role not in ROLES:
            raise ValueError(f"var_names has unknown role {role!r}; use roles from {ROLES}")
        if not isinstance(name, str) or not name:
            raise TypeError(f"var_names[{role!r}] must be a variable name (str), got {name!r}")
        names[role] = name
    return names


def _check_family(family, has_nu, n_components):
    """Return a boolean array (component,) that is True where the component is Student-t."""
    if family is None:
        family = "student_t" if has_nu else "normal"
    if isinstance(family, str):
        family = [family] * n_components
    elif isinstance(family, Sequence) and all(isinstance(f, str) for f in family):
        family = list(family)
        if len(family) != n_components:
            raise ValueError(
                f"family lists {len(family)} families but the posterior has {n_components} "
                "components; give one family per component or a single string"
            )
    else:
        raise TypeError(
            f"family must be None, 'normal', 'student_t' or a list of those per component, got {family!r}"
        )
    bad = [f for f in family if f not in FAMILIES]
    if bad:
        raise ValueError(f"family must be one of {FAMILIES} (per component), got {bad[0]!r}")
    return np.array([f == "student_t" for f in family])


def _check_method(method, allowed):
    if method not in allowed:
        raise ValueError(f"method must be one of {allowed}, got {method!r}")
    return method


def _is_tree_like(data):
    return isinstance(data, xr.DataTree | xr.Dataset) or hasattr(data, "_groups")


def _optional_group(data, group):
    """Return a group's Dataset, or None when ``data`` has no such group (or is a Dataset)."""
    if isinstance(data, xr.DataTree):
        return data[group].to_dataset() if group in data.children else None
    groups = getattr(data, "_groups", None)
    if groups is not None and group in groups:
        return getattr(data, group)
    return None


# ----------------------------------------------------------------------------------------------
# Parameters of the posterior, flattened to (sample, component) numpy arrays
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Params:
    """Posterior parameters as numpy arrays of shape (S, K), S = number of draws."""

    w: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    nu: np.ndarray | None
    beta: np.ndarray | None
    is_t: np.ndarray  # bool, (S, K)
    sample_dims: tuple
    sample_shape: tuple
    sample_coords: dict
    dim: str
    component_coord: np.ndarray

    @property
    def n_samples(self):
        return self.w.shape[0]

    @property
    def n_components(self):
        return self.w.shape[1]

    def take(self, sl):
        """Parameters of the draws in ``sl`` (a slice or index array)."""
        def cut(a):
            return None if a is None else a[sl]

        return replace(
            self, w=self.w[sl], mu=self.mu[sl], sigma=self.sigma[sl], nu=cut(self.nu),
            beta=cut(self.beta), is_t=self.is_t[sl],
        )


def _flatten(da, template, *, role, name, sample_dims, dim):
    """Broadcast a posterior variable to the template's dims and reshape it to (S, K)."""
    extra = [d for d in da.dims if d not in (*sample_dims, dim)]
    if extra:
        raise ValueError(
            f"posterior variable '{name}' ({role}) has unexpected dimension(s) {extra}; "
            f"expected only {(*sample_dims, dim)} -- select one value with .sel(...) first"
        )
    da = da.broadcast_like(template).transpose(*sample_dims, dim)
    values = check_array(da.values, f"posterior variable '{name}'")
    return values.reshape(-1, template.sizes[dim])


def _params(post, *, dim, sample_dims, names, family, nu):
    """Collect w, mu, sigma (and nu, beta) from a posterior Dataset as (S, K) arrays."""
    for role in ("w", "mu", "sigma"):
        if names[role] not in post.data_vars:
            have = ", ".join(map(str, post.data_vars)) or "none"
            raise ValueError(
                f"posterior has no variable '{names[role]}' for the {role} of the components "
                f"(variables: {have}); pass var_names={{'{role}': ...}}"
            )
    w_da = post[names["w"]]
    check_dims(w_da, sample_dims, name=f"posterior variable '{names['w']}'",
               hint="pass sample_dims=... naming the draw dimensions")
    check_dims(w_da, dim, name=f"posterior variable '{names['w']}'",
               hint="pass dim=... naming the component dimension")
    template = w_da.transpose(*sample_dims, dim, ...)
    if template.ndim != len(sample_dims) + 1:
        extra = [d for d in template.dims if d not in (*sample_dims, dim)]
        raise ValueError(
            f"posterior variable '{names['w']}' (w) has unexpected dimension(s) {extra}; "
            f"expected only {(*sample_dims, dim)} -- select one value with .sel(...) first"
        )
    kw = {"template": template, "sample_dims": sample_dims, "dim": dim}
    w = check_simplex(
        _flatten(w_da, role="w", name=names["w"], **kw), f"posterior variable '{names['w']}'"
    )
    mu = _flatten(post[names["mu"]], role="mu", name=names["mu"], **kw)
    sigma = check_positive(
        _flatten(post[names["sigma"]], role="sigma", name=names["sigma"], **kw),
        f"posterior variable '{names['sigma']}'",
    )
    n_components = template.sizes[dim]
    has_nu = nu is not None or names["nu"] in post.data_vars
    is_t = _check_family(family, has_nu, n_components)
    nu_arr = None
    if nu is not None:
        nu_arr = check_positive(nu, "nu")
        if nu_arr.ndim > 1 or nu_arr.size not in (1, n_components):
            raise ValueError(
                f"nu must be a number or one value per component ({n_components}), "
                f"got shape {nu_arr.shape}"
            )
        nu_arr = np.broadcast_to(nu_arr.reshape(1, -1), w.shape).copy()
    elif names["nu"] in post.data_vars:
        nu_arr = check_positive(
            _flatten(post[names["nu"]], role="nu", name=names["nu"], **kw),
            f"posterior variable '{names['nu']}'",
        )
    elif is_t.any():
        raise ValueError(
            f"family asks for Student-t components but the posterior has no variable "
            f"'{names['nu']}'; pass nu=... (fixed degrees of freedom) or var_names={{'nu': ...}}"
        )
    beta = None
    if names["beta"] in post.data_vars:
        beta = _flatten(post[names["beta"]], role="beta", name=names["beta"], **kw)
    return _Params(
        w=w, mu=mu, sigma=sigma, nu=nu_arr, beta=beta,
        is_t=np.broadcast_to(is_t, w.shape).copy(),
        sample_dims=sample_dims,
        sample_shape=tuple(template.sizes[d] for d in sample_dims),
        sample_coords={d: template[d].values for d in sample_dims if d in template.coords},
        dim=dim,
        component_coord=(template[dim].values if dim in template.coords
                         else np.arange(n_components)),
    )


def _observed_y(data, y, *, names, obs_dim):
    """Return (y as a 1-D float array, obs coordinate values)."""
    if y is None:
        if isinstance(data, xr.Dataset):
            raise ValueError(
                "y was not given and a Dataset carries no observed data; pass y=... "
                "(the observations) or the DataTree returned by pm.sample"
            )
        obs = _optional_group(data, "observed_data")
        if obs is None or names["y"] not in obs.data_vars:
            raise ValueError(
                f"y was not given and idata has no observed_data variable '{names['y']}'; "
                "pass y=... or var_names={'y': ...}"
            )
        y = obs[names["y"]]
    if isinstance(y, xr.DataArray):
        values = check_array(y.values, "y", ndim=1)
        only = y.dims[0]
        coord = y[only].values if only in y.coords else np.arange(values.size)
        return values, coord
    values = check_array(y, "y", ndim=1)
    return values, np.arange(values.size)


def _covariate(data, x, *, params, names, n, scalar=False):
    """Return the covariate for a mixture regression, or None when the posterior has no slopes."""
    if params.beta is None:
        if x is not None:
            raise ValueError(
                f"x was given but the posterior has no slopes '{names['beta']}'; drop x= for a "
                "mixture without covariates or pass var_names={'beta': ...}"
            )
        return None
    if x is None:
        const = None if scalar else _optional_group(data, "constant_data")
        if const is None or names["x"] not in const.data_vars:
            what = "a single covariate value x=..." if scalar else "the covariate x=... (one per obs)"
            raise ValueError(
                f"the posterior has slopes '{names['beta']}' (mixture regression); pass {what}"
            )
        x = const[names["x"]].values
    if scalar:
        if not isinstance(x, numbers.Real) and np.ndim(x) != 0:
            raise ValueError(
                f"x must be a single covariate value for the density of y given x, got shape "
                f"{np.shape(x)}; call once per value of x"
            )
        return check_array(x, "x").reshape(())
    return check_array(x, "x", ndim=1, shape=(n,))


# ----------------------------------------------------------------------------------------------
# Array layer
# ----------------------------------------------------------------------------------------------


def _chunks(n_samples, per_draw):
    """Slices over draws such that each chunk holds at most ``_CHUNK_ELEMENTS`` elements."""
    size = max(1, _CHUNK_ELEMENTS // max(1, per_draw))
    return [slice(start, min(start + size, n_samples)) for start in range(0, n_samples, size)]


def _log_weighted(points, params, x=None):
    """log w_k + log f_k(points) for every draw of ``params``: array (S, n, K).

    ``points`` has shape (n,); ``x`` is None, a scalar or an array (n,) of covariates.
    """
    loc = params.mu[:, None, :]
    if params.beta is not None:
        xx = np.asarray(x, dtype=float)
        loc = loc + params.beta[:, None, :] * (xx[None, :, None] if xx.ndim else xx)
    scale = params.sigma[:, None, :]
    # points beyond ~1e154 scales overflow z**2 to inf, i.e. a log density of -inf (callers check)
    with np.errstate(over="ignore", divide="ignore"):
        z = (points[None, :, None] - loc) / scale
        zsq = z * z
        log_scale = np.log(scale)
        out = -0.5 * zsq - log_scale - _LOG_SQRT_2PI
        if params.is_t.any():
            nu = params.nu[:, None, :]
            log_t = (
                gammaln(0.5 * (nu + 1.0))
                - gammaln(0.5 * nu)
                - 0.5 * np.log(nu * np.pi)
                - log_scale
                - 0.5 * (nu + 1.0) * np.log1p(zsq / nu)
            )
            out = np.where(params.is_t[:, None, :], log_t, out)
        out = out + np.log(params.w)[:, None, :]
    return out


def _probs(points, params, x=None):
    """Assignment probabilities (S, n, K) by a log-sum-exp normalisation over components."""
    lw = _log_weighted(points, params, x)
    top = lw.max(axis=-1, keepdims=True)
    if not np.all(np.isfinite(top)):
        raise ValueError(
            "y holds values so far from every component (|y - mu| / sigma > 1e150) that their "
            "densities underflow; rescale y or drop those points"
        )
    p = np.exp(lw - top)
    p /= p.sum(axis=-1, keepdims=True)
    return p


def _cocluster_probs(p):
    """Sum over draws of P_s P_s^T for probabilities p (S, n, K): array (n, n)."""
    n_samples, n_obs, n_comp = p.shape
    m = np.ascontiguousarray(p.transpose(1, 0, 2)).reshape(n_obs, n_samples * n_comp)
    return m @ m.T


def _cocluster_labels(z, n_labels):
    """Sum over draws of 1[z_si == z_sj] for integer labels z (S, n) in [0, n_labels)."""
    onehot = np.zeros((*z.shape, n_labels))
    np.put_along_axis(onehot, z[..., None], 1.0, axis=-1)
    return _cocluster_probs(onehot)


def _finish_coclustering(total, n_samples):
    c = total / n_samples
    c = 0.5 * (c + c.T)
    np.clip(c, 0.0, 1.0, out=c)
    np.fill_diagonal(c, 1.0)
    return c


def _count_distinct(z):
    """Number of distinct labels in each row of an integer array (S, n)."""
    s = np.sort(z, axis=1)
    return 1 + np.count_nonzero(np.diff(s, axis=1), axis=1)


def _sample_labels(p, u):
    """Inverse-CDF draws of labels from probabilities p (S, n, K) given uniforms u (S, n)."""
    cum = np.cumsum(p, axis=-1)
    return np.count_nonzero(cum[..., :-1] <= u[..., None], axis=-1)


def _canonical(params):
    """Reorder the components of each draw by their parameter values (label-free order).

    Relabelling the components of a draw permutes the rows of its parameters; sorting by the values
    undoes that permutation, so anything computed after this step (for example labels drawn with a
    fixed stream of uniforms) does not depend on the labels. Components with identical parameters
    are interchangeable, so ties do not matter.
    """
    keys = [params.is_t.astype(float), params.w, params.mu, params.sigma]
    if params.nu is not None:
        keys.append(params.nu)
    if params.beta is not None:
        keys.append(params.beta)
    order = np.lexsort(keys[::-1], axis=-1)

    def take(a):
        return None if a is None else np.take_along_axis(a, order, axis=-1)

    return replace(
        params, w=take(params.w), mu=take(params.mu), sigma=take(params.sigma),
        nu=take(params.nu), beta=take(params.beta), is_t=take(params.is_t),
    )


# ----------------------------------------------------------------------------------------------
# Labelled layer
# ----------------------------------------------------------------------------------------------


def _setup(idata, *, group, dim, sample_dims, var_names, family, nu):
    dim = _check_name(dim, "dim")
    sample_dims = _check_sample_dims(sample_dims)
    names = _check_roles(var_names)
    post = check_group(idata, group)
    params = _params(post, dim=dim, sample_dims=sample_dims, names=names, family=family, nu=nu)
    return post, params, names


def _sample_da(values, params, extra_dims, extra_coords, name):
    """Wrap an array (S, ...) into a DataArray with the posterior's sample dims."""
    values = values.reshape(*params.sample_shape, *values.shape[1:])
    coords = dict(params.sample_coords)
    coords.update(extra_coords)
    return xr.DataArray(values, dims=(*params.sample_dims, *extra_dims), coords=coords, name=name)


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
    idata : xarray.DataTree, arviz.InferenceData or xarray.Dataset
        Posterior with ``w``, ``mu`` and ``sigma`` (dims ``(*sample_dims, dim)``), and optionally
        ``nu`` (Student-t degrees of freedom, dims ``dim`` and/or the sample dims) and ``beta``
        (slopes of a mixture regression). A Dataset is taken to be the posterior group itself.
    y : array_like or xarray.DataArray, optional
        The observations, 1-D. Default: ``observed_data["y"]`` of ``idata``.
    x : array_like, optional
        Covariate of a mixture regression (one value per observation); the mean of component k is
        then ``mu_k + beta_k * x``. Default: ``constant_data["x"]`` when the posterior has ``beta``.
    family : {None, "normal", "student_t"} or list of those, optional
        Family of every component, or one per component (e.g. ``["normal", "student_t"]`` for a
        heterogeneous mixture). Default: ``"student_t"`` if the posterior has ``nu``, otherwise
        ``"normal"``.
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
        sums to 1.

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
    obs_dim = _check_name(obs_dim, "obs_dim")
    _, params, names = _setup(idata, group=group, dim=dim, sample_dims=sample_dims,
                              var_names=var_names, family=family, nu=nu)
    y_arr, obs_coord = _observed_y(idata, y, names=names, obs_dim=obs_dim)
    x_arr = _covariate(idata, x, params=params, names=names, n=y_arr.size)
    n, k = y_arr.size, params.n_components
    out = np.empty((params.n_samples, n, k))
    for sl in _chunks(params.n_samples, n * k):
        out[sl] = _probs(y_arr, params.take(sl), x_arr)
    return _sample_da(out, params, (obs_dim, dim),
                      {obs_dim: obs_coord, dim: params.component_coord}, "assignment_probs")


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
    post = check_group(idata, group)
    if names["z"] not in post.data_vars:
        have = ", ".join(map(str, post.data_vars)) or "none"
        raise ValueError(
            f"method='labels' needs sampled labels '{names['z']}' in the posterior (variables: "
            f"{have}); use method='probs' or pass var_names={{'z': ...}}"
        )
    return _labels_input(post[names["z"]], obs_dim=obs_dim, sample_dims=sample_dims,
                         name=f"posterior variable '{names['z']}'")


def coclustering(
    data,
    y=None,
    *,
    method="probs",
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
    obs_dim = _check_name(obs_dim, "obs_dim")
    dim = _check_name(dim, "dim")
    sample_dims = _check_sample_dims(sample_dims)
    _check_method(method, ("probs", "labels"))
    if isinstance(data, xr.DataArray):
        if dim in data.dims:
            p, coord = _probs_input(data, dim=dim, obs_dim=obs_dim, sample_dims=sample_dims)
            total = np.zeros((p.shape[1], p.shape[1]))
            for sl in _chunks(p.shape[0], p.shape[1] * p.shape[2]):
                total += _cocluster_probs(p[sl])
            n_samples = p.shape[0]
        else:
            z, coord, _ = _labels_input(data, obs_dim=obs_dim, sample_dims=sample_dims)
            total, n_samples = _labels_total(z), z.shape[0]
    elif _is_tree_like(data):
        names = _check_roles(var_names)
        if method == "labels":
            z, coord, _ = _posterior_labels(data, group=group, sample_dims=sample_dims,
                                            names=names, obs_dim=obs_dim)
            total, n_samples = _labels_total(z), z.shape[0]
        else:
            _, params, names = _setup(data, group=group, dim=dim, sample_dims=sample_dims,
                                      var_names=var_names, family=family, nu=nu)
            y_arr, coord = _observed_y(data, y, names=names, obs_dim=obs_dim)
            x_arr = _covariate(data, x, params=params, names=names, n=y_arr.size)
            n, k = y_arr.size, params.n_components
            total = np.zeros((n, n))
            for sl in _chunks(params.n_samples, n * k):
                total += _cocluster_probs(_probs(y_arr, params.take(sl), x_arr))
            n_samples = params.n_samples
    else:
        raise TypeError(
            "data must be a DataTree/Dataset posterior or a DataArray of assignment probabilities "
            f"or labels, got {type(data).__name__}"
        )
    c = _finish_coclustering(total, n_samples)
    other = f"{obs_dim}2"
    return xr.DataArray(c, dims=(obs_dim, other), coords={obs_dim: coord, other: coord},
                        name="coclustering")


def _labels_total(z):
    """Sum over draws of label agreement, with labels remapped to 0..L-1 first."""
    _, inverse = np.unique(z, return_inverse=True)
    z = inverse.reshape(z.shape)
    n_labels = int(z.max()) + 1
    total = np.zeros((z.shape[1], z.shape[1]))
    for sl in _chunks(z.shape[0], z.shape[1] * n_labels):
        total += _cocluster_labels(z[sl], n_labels)
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
    idata : xarray.DataTree, arviz.InferenceData or xarray.Dataset
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
    grid_arr = check_array(grid, "grid", ndim=1)
    _, params, names = _setup(idata, group=group, dim=dim, sample_dims=sample_dims,
                              var_names=var_names, family=family, nu=nu)
    x_val = _covariate(idata, x, params=params, names=names, n=grid_arr.size, scalar=True)
    n, k = grid_arr.size, params.n_components
    dens = np.empty((params.n_samples, n))
    comp = np.zeros((n, k))
    for sl in _chunks(params.n_samples, n * k):
        weighted = np.exp(_log_weighted(grid_arr, params.take(sl), x_val))
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
            comp / params.n_samples, dims=("grid", params.dim),
            coords={"grid": grid_arr, params.dim: params.component_coord},
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
    idata : xarray.DataTree, arviz.InferenceData or xarray.Dataset
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
    obs_dim = _check_name(obs_dim, "obs_dim")
    sample_dims = _check_sample_dims(sample_dims)
    names = _check_roles(var_names)
    post = check_group(idata, group)
    if method == "auto":
        method = "labels" if names["z"] in post.data_vars else "sample"
    if method == "labels":
        z, _, _ = _posterior_labels(idata, group=group, sample_dims=sample_dims, names=names,
                                    obs_dim=obs_dim)
        template = post[names["z"]]
        counts = _count_distinct(z)
        shape = tuple(template.sizes[d] for d in sample_dims)
        coords = {d: template[d].values for d in sample_dims if d in template.coords}
        return xr.DataArray(counts.reshape(shape), dims=sample_dims, coords=coords,
                            name="n_occupied")
    gen = check_rng(rng)
    _, params, names = _setup(idata, group=group, dim=dim, sample_dims=sample_dims,
                              var_names=var_names, family=family, nu=nu)
    y_arr, _ = _observed_y(idata, y, names=names, obs_dim=obs_dim)
    x_arr = _covariate(idata, x, params=params, names=names, n=y_arr.size)
    canon = _canonical(params)
    n, k = y_arr.size, params.n_components
    counts = np.empty(params.n_samples, dtype=np.int64)
    for sl in _chunks(params.n_samples, n * k):
        p = _probs(y_arr, canon.take(sl), x_arr)
        u = gen.random((p.shape[0], n))
        counts[sl] = _count_distinct(_sample_labels(p, u))
    return _sample_da(counts, params, (), {}, "n_occupied")
