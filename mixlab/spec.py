r"""The posterior spec: what a user passes, resolved once.

Every summary, relabelling and plot of a mixture posterior needs the same things: the group of draws,
the sample dims, the component dim, which variable plays which role (weights, locations, scales, ...),
the family of each component and the observed data. :func:`resolve` finds and checks all of them in one
place and returns a :class:`PosteriorSpec`; the functions of :mod:`mixlab.invariants` and
:mod:`mixlab.plots` accept either a spec or a posterior plus the keywords below (which they pass to
:func:`resolve`).

The spec reads only the role variables, and only when asked (:meth:`PosteriorSpec.draws`), so a
posterior opened lazily from NetCDF/Zarr (dask-backed) is never loaded whole: per-observation
variables (sampled labels, log-likelihoods) stay on disk.

Conventions of the posterior (mixlab's builders follow them):

- weights ``w`` with dims ``(*sample_dims, component)``, or ``(*sample_dims, obs, component)`` when
  the weights depend on the observation (mixtures of experts);
- a component whose weight is NaN in a draw is absent from that draw: posteriors whose number of
  components varies between draws are padded to the largest K with NaN;
- other roles with dims ``(*sample_dims, component)`` or without ``component`` (shared by every
  component), plus feature dims for vector families;
- a hidden Markov model has a transition matrix ``P`` with dims ``(*sample_dims, component,
  component_to)`` (row: state at t, column: state at t + 1) and ``w`` as the distribution of the first
  state; its assignment probabilities are the smoothed state probabilities
  :math:`\Pr(z_t = k \mid y_{1:n}, \theta)` (forward-backward), so every summary built on them
  (co-clustering, plots of memberships) works for HMMs as for mixtures.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import xarray as xr

from mixlab._validate import (
    check_array,
    check_dim_names,
    check_dims,
    check_group,
    check_positive,
    optional_group,
)
from mixlab.families import FAMILIES, Family, get_family

__all__ = ["ROLES", "Draws", "PosteriorSpec", "resolve"]

#: Roles whose variable names can be changed with ``var_names={role: name}``.
ROLES = ("w", "mu", "sigma", "nu", "alpha", "corr", "beta", "P", "z", "y", "x")

#: Largest number of float64 elements of one (draw, point, component) chunk (16 MiB).
CHUNK_ELEMENTS = 2**21


def _check_roles(var_names):
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


def _family_list(family, default, n_components):
    if family is None:
        family = default
    if isinstance(family, str | Family):
        return [get_family(family)] * n_components
    if isinstance(family, Sequence) and all(isinstance(f, str | Family) for f in family):
        if len(family) != n_components:
            raise ValueError(
                f"family lists {len(family)} families but the posterior has {n_components} "
                "components; give one family per component or a single string"
            )
        return [get_family(f) for f in family]
    raise TypeError(
        f"family must be None, a family name from {tuple(FAMILIES)} or a list of those per "
        f"component, got {family!r}"
    )


@dataclass(frozen=True)
class Draws:
    """Parameters of some draws as numpy arrays, first axis = draw (flattened sample dims).

    ``w`` is ``(S, K)`` (or ``(S, n, K)`` for per-observation weights); every other role is
    ``(S, K, *feature)``. Roles are attributes (``draws.mu``); ``present`` is False where a
    component is absent from a draw (NaN weight).
    """

    w: np.ndarray
    values: dict
    present: np.ndarray

    def __getattr__(self, role):
        values = self.__dict__.get("values", {})
        if role in values:
            return values[role]
        raise AttributeError(role)

    @property
    def n_samples(self):
        return self.w.shape[0]

    @property
    def n_components(self):
        return self.w.shape[-1]

    def take(self, sl):
        """The draws ``sl`` (a slice or an index array)."""
        return Draws(self.w[sl], {r: v[sl] for r, v in self.values.items()}, self.present[sl])

    def sorted_by_values(self, family_index):
        """Components of each draw put in an order fixed by their parameter values (label-free).

        Relabelling a draw permutes its components; sorting by the values undoes it, so anything
        computed afterwards (labels drawn with a fixed stream of uniforms, say) ignores the labels.
        """
        w = self.w if self.w.ndim == 2 else self.w.mean(axis=1)
        keys = [np.broadcast_to(family_index, w.shape).astype(float), np.nan_to_num(w, nan=-1.0)]
        for role in sorted(self.values):
            v = np.nan_to_num(self.values[role])
            keys.extend(np.moveaxis(v.reshape(*v.shape[:2], -1), -1, 0))
        order = np.lexsort(keys[::-1], axis=-1)

        def take(a, axis):
            idx = order.reshape(order.shape[:1] + (1,) * (axis - 1) + order.shape[1:]
                                + (1,) * (a.ndim - axis - 1))
            return np.take_along_axis(a, idx, axis=axis)

        w_axis = self.w.ndim - 1
        return Draws(take(self.w, w_axis), {r: take(v, 1) for r, v in self.values.items()},
                     take(self.present, 1)), take(np.broadcast_to(family_index, w.shape), 1)


@dataclass(frozen=True)
class PosteriorSpec:
    """A mixture posterior resolved once: group, dims, roles, families and data sources.

    Build one with :func:`resolve`. Attributes are read-only; the draws are read on demand by
    :meth:`draws`.
    """

    posterior: xr.Dataset
    source: object
    names: dict
    families: tuple  # one Family per component
    dim: str
    obs_dim: str
    sample_dims: tuple
    feature_dim: str | None
    fixed: dict = field(default_factory=dict)
    per_obs_weights: bool = False
    has_beta: bool = False
    transition: bool = False

    # -- shape ---------------------------------------------------------------------------------
    @property
    def template(self):
        return self.posterior[self.names["w"]]

    @property
    def sample_shape(self):
        return tuple(self.template.sizes[d] for d in self.sample_dims)

    @property
    def n_samples(self):
        return int(np.prod(self.sample_shape))

    @property
    def n_components(self):
        return self.template.sizes[self.dim]

    @property
    def sample_coords(self):
        t = self.template
        return {d: t[d].values for d in self.sample_dims if d in t.coords}

    @property
    def component_coord(self):
        t = self.template
        return t[self.dim].values if self.dim in t.coords else np.arange(self.n_components)

    @property
    def family_names(self):
        return tuple(f.name for f in self.families)

    @property
    def used_families(self):
        return tuple(dict.fromkeys(self.families))

    @property
    def family_index(self):
        """Index into :attr:`used_families` of every component, shape (K,)."""
        used = self.used_families
        return np.array([used.index(f) for f in self.families])

    @property
    def roles(self):
        """Parameter roles read from the posterior (or fixed), besides ``w``."""
        out = [r for f in self.used_families for r in f.roles]
        if self.has_beta:
            out.append("beta")
        if self.transition:
            out.append("P")
        return tuple(dict.fromkeys(out))

    @property
    def event_ndim(self):
        return max(f.event_ndim for f in self.families)

    # -- draws ---------------------------------------------------------------------------------
    def chunks(self, per_draw):
        """Slices over draws such that each chunk holds at most ``CHUNK_ELEMENTS`` elements."""
        size = max(1, CHUNK_ELEMENTS // max(1, per_draw))
        n = self.n_samples
        return [slice(s, min(s + size, n)) for s in range(0, n, size)]

    def _role_array(self, role, template):
        name = self.names[role]
        if role in self.fixed:
            return self.fixed[role]
        da = self.posterior[name]
        if role in ("beta", "P"):
            fam_event = 1 if role == "P" else 0
        else:
            fam_event = max(f.event_dims_of(role) for f in self.families if role in f.roles)
        allowed = (*self.sample_dims, self.dim)
        extra = [d for d in da.dims if d not in allowed]
        if len(extra) != fam_event:
            want = f"{fam_event} feature dim(s)" if fam_event else f"only {allowed}"
            raise ValueError(
                f"posterior variable '{name}' ({role}) has unexpected dimension(s) {extra}; "
                f"expected {want} -- select one value with .sel(...) first"
            )
        da = da.broadcast_like(template).transpose(*self.sample_dims, self.dim, *extra)
        values = np.asarray(da.values, dtype=float)
        return values.reshape(-1, *values.shape[len(self.sample_dims):])

    def draws(self, sl=None):
        """The parameters of the draws ``sl`` (default: all) as a checked :class:`Draws`."""
        w_name = self.names["w"]
        t = self.template.transpose(*self.sample_dims, ..., self.dim)
        w = check_array(t.values, f"posterior variable '{w_name}'", finite=False)
        w = w.reshape(-1, *w.shape[len(self.sample_dims):])
        template = t if not self.per_obs_weights else t.isel({self.obs_dim: 0}, drop=True)
        values = {}
        for role in self.roles:
            values[role] = self._role_array(role, template) if role not in self.fixed else None
        if sl is not None:
            w = w[sl]
            values = {r: (v[sl] if v is not None else None) for r, v in values.items()}
        present = self._check_weights(w)
        s = w.shape[0]
        for role in self.roles:
            if role in self.fixed:
                values[role] = np.broadcast_to(self.fixed[role], (s, self.n_components)).copy()
            values[role] = self._check_role(role, values[role], present)
        return Draws(w, values, present)

    def _check_weights(self, w):
        name = f"posterior variable '{self.names['w']}'"
        if np.isinf(w).any():
            raise ValueError(f"{name} contains infinite values; weights must lie on the simplex")
        absent = np.isnan(w)
        present_k = ~absent if w.ndim == 2 else ~absent.any(axis=1)
        if absent.any():
            if (absent.all(axis=-1)).any():
                raise ValueError(
                    f"{name} contains {int(absent.sum())} NaN value(s) and a draw with no weight at "
                    "all; NaN marks an absent component, at least one must be present"
                )
        ww = np.where(absent, 0.0, w)
        if np.any(ww < 0) or not np.allclose(ww.sum(axis=-1), 1.0, atol=1e-6):
            raise ValueError(
                f"{name} must sum to 1 over '{self.dim}' with entries >= 0 (weights on the simplex);"
                " pass the mixture weights as var_names={'w': ...}"
            )
        return present_k

    def _check_role(self, role, values, present):
        name = f"posterior variable '{self.names[role]}'" if role not in self.fixed else role
        if role == "P":
            return _check_transition(values, name)
        users = np.array([role in f.roles or role == "beta" for f in self.families])
        need = present & users[None, :]
        sel = values[need]
        bad = ~np.isfinite(sel)
        if bad.any():
            raise ValueError(
                f"{name} contains {int(bad.sum())} NaN or infinite value(s) where its component is "
                "present; drop those draws or mark absent components with a NaN weight"
            )
        positive = need & np.array([role in f.positive for f in self.families])[None, :]
        if positive.any():
            check_positive(values[positive], name)
        return values

    # -- observations --------------------------------------------------------------------------
    def observations(self, y=None):
        """``(y, obs coord)``: the observations as an array ``(n,)`` or ``(n, d)``, checked."""
        if y is None:
            if isinstance(self.source, xr.Dataset):
                raise ValueError(
                    "y was not given and a Dataset carries no observed data; pass y=... "
                    "(the observations) or the DataTree returned by pm.sample"
                )
            obs = optional_group(self.source, "observed_data")
            if obs is None or self.names["y"] not in obs.data_vars:
                raise ValueError(
                    f"y was not given and idata has no observed_data variable '{self.names['y']}'; "
                    "pass y=... or var_names={'y': ...}"
                )
            y = obs[self.names["y"]]
        ndim = 1 + self.event_ndim
        if isinstance(y, xr.DataArray):
            values = check_array(y.values, "y", ndim=ndim)
            first = y.dims[0]
            coord = y[first].values if first in y.coords else np.arange(values.shape[0])
        else:
            values = check_array(y, "y", ndim=ndim)
            coord = np.arange(values.shape[0])
        if self.event_ndim:
            d = self._n_features()
            if values.shape[1] != d:
                raise ValueError(
                    f"y has {values.shape[1]} columns but the posterior has {d} features; pass the "
                    "data the model was fitted to"
                )
        if any(f.discrete for f in self.families) and (
            np.any(values < 0) or np.any(values != np.round(values))
        ):
            raise ValueError(
                f"y must hold counts (whole numbers >= 0) for the families {self.family_names}"
            )
        if self.per_obs_weights and values.shape[0] != self.template.sizes[self.obs_dim]:
            raise ValueError(
                f"the weights depend on the observation ({self.template.sizes[self.obs_dim]} of "
                f"them) but y has {values.shape[0]}; pass the observations the weights belong to"
            )
        return values, coord

    def _n_features(self):
        mu = self.posterior[self.names["mu"]]
        extra = [d for d in mu.dims if d not in (*self.sample_dims, self.dim)]
        return mu.sizes[extra[0]]

    def covariate(self, x, n, *, scalar=False):
        """The covariate of a mixture regression (None when the posterior has no slopes)."""
        if not self.has_beta:
            if x is not None:
                raise ValueError(
                    f"x was given but the posterior has no slopes '{self.names['beta']}'; drop x= "
                    "for a mixture without covariates or pass var_names={'beta': ...}"
                )
            return None
        if x is None:
            const = None if scalar else optional_group(self.source, "constant_data")
            if const is None or self.names["x"] not in const.data_vars:
                what = ("a single covariate value x=..." if scalar
                        else "the covariate x=... (one per obs)")
                raise ValueError(
                    f"the posterior has slopes '{self.names['beta']}' (mixture regression); "
                    f"pass {what}"
                )
            x = const[self.names["x"]].values
        if scalar:
            if not isinstance(x, numbers.Real) and np.ndim(x) != 0:
                raise ValueError(
                    "x must be a single covariate value for the density of y given x, got shape "
                    f"{np.shape(x)}; call once per value of x"
                )
            return check_array(x, "x").reshape(())
        return check_array(x, "x", ndim=1, shape=(n,))

    # -- the one path: log w_k + log f_k -------------------------------------------------------
    def log_weighted(self, points, draws, x=None):
        """``log w_k + log f_k(points)`` for every draw: array ``(S, n, K)``."""
        out = self.log_density(points, draws, x)
        with np.errstate(divide="ignore", invalid="ignore"):
            logw = np.log(draws.w)
        out += logw[:, None, :] if draws.w.ndim == 2 else logw
        absent = ~draws.present
        if absent.any():
            out = np.where(absent[:, None, :], -np.inf, out)
        return out

    def log_density(self, points, draws, x=None):
        """``log f_k(points)`` of every component in every draw: array ``(S, n, K)``."""
        s, k = draws.n_samples, draws.n_components
        n = points.shape[0]
        yb = points[None, :, None] if points.ndim == 1 else points[None, :, None, :]
        out = np.empty((s, n, k))
        index = self.family_index
        for i, fam in enumerate(self.used_families):
            cols = index == i
            params = {r: draws.values[r][:, None][:, :, cols] for r in fam.roles}
            if self.has_beta and fam.location is not None:
                xx = np.asarray(x, dtype=float)
                shift = draws.values["beta"][:, None][:, :, cols]
                params[fam.location] = params[fam.location] + shift * (
                    xx[None, :, None] if xx.ndim else xx)
            with np.errstate(invalid="ignore"):
                out[..., cols] = np.broadcast_to(fam.logpdf(yb, **params), (s, n, int(cols.sum())))
        return out

    def probs(self, points, draws, x=None):
        """Assignment probabilities ``(S, n, K)`` by a log-sum-exp over components.

        For a hidden Markov model (``P`` in the posterior): the smoothed state probabilities.
        """
        if self.transition:
            return _smoothed_states(self.log_density(points, draws, x), draws)
        lw = self.log_weighted(points, draws, x)
        top = lw.max(axis=-1, keepdims=True)
        if not np.all(np.isfinite(top)):
            raise ValueError(
                "y holds values that no component can produce (a density of 0 or, for continuous "
                "families, |y - mu| / sigma > 1e150) so they are far from every component; check "
                "the family and the data, or rescale y"
            )
        p = np.exp(lw - top)
        p /= p.sum(axis=-1, keepdims=True)
        return p

    # -- wrapping ------------------------------------------------------------------------------
    def wrap(self, values, extra_dims, extra_coords, name):
        """An array ``(S, ...)`` as a DataArray with the posterior's sample dims and coords."""
        values = values.reshape(*self.sample_shape, *values.shape[1:])
        coords = dict(self.sample_coords)
        coords.update(extra_coords)
        return xr.DataArray(values, dims=(*self.sample_dims, *extra_dims), coords=coords,
                            name=name)

    def with_family(self, family):
        """The same spec with other families (one name, or one per component)."""
        return replace(self, families=tuple(_family_list(family, None, self.n_components)))


def resolve(
    data,
    *,
    family=None,
    nu=None,
    group="posterior",
    dim="component",
    obs_dim="obs",
    sample_dims=("chain", "draw"),
    var_names=None,
):
    """Resolve a mixture posterior into a :class:`PosteriorSpec`, checking everything once.

    Parameters
    ----------
    data : xarray.DataTree, xarray.Dataset or PosteriorSpec
        What ``pm.sample`` returns, or its posterior group as a Dataset (then observed data must be
        passed where needed). A spec is returned as it is.
    family : str, Family or list of those (one per component), optional
        Component families from :data:`mixlab.families.FAMILIES`. Default: ``"mv_normal"`` when
        ``mu`` has a feature dim and the posterior has ``corr``; ``"student_t"`` when the posterior
        has ``nu`` (or ``nu`` is given); otherwise ``"normal"``.
    nu : float or array_like, optional
        Fixed Student-t degrees of freedom (one value, or one per component).
    group, dim, obs_dim, sample_dims
        Group holding the draws, component dim, observation dim, sample dims.
    var_names : dict, optional
        Variable names for roles (:data:`ROLES`) that differ from mixlab's, e.g. ``{"w": "pi"}``.

    Returns
    -------
    PosteriorSpec

    Examples
    --------
    >>> import xarray as xr
    >>> from mixlab.spec import resolve
    >>> dims = ("chain", "draw", "component")
    >>> post = xr.Dataset({"w": (dims, [[[0.3, 0.7]]]), "mu": (dims, [[[0.0, 3.0]]]),
    ...                    "sigma": (dims, [[[1.0, 1.0]]])})
    >>> spec = resolve(post)
    >>> spec.family_names, spec.n_components, spec.sample_shape
    (('normal', 'normal'), 2, (1, 1))
    """
    if isinstance(data, PosteriorSpec):
        return data
    dim, sample_dims, obs_dim = check_dim_names(dim=dim, sample_dims=sample_dims, obs_dim=obs_dim)
    names = _check_roles(var_names)
    post = check_group(data, group)
    w_name = names["w"]
    if w_name not in post.data_vars:
        have = ", ".join(map(str, post.data_vars)) or "none"
        raise ValueError(
            f"posterior has no variable '{w_name}' for the w of the components "
            f"(variables: {have}); pass var_names={{'w': ...}}"
        )
    w_da = post[w_name]
    label = f"posterior variable '{w_name}'"
    check_dims(w_da, sample_dims, name=label, hint="pass sample_dims=... naming the draw dimensions")
    check_dims(w_da, dim, name=label, hint="pass dim=... naming the component dimension")
    extra = [d for d in w_da.dims if d not in (*sample_dims, dim)]
    per_obs = extra == [obs_dim]
    if extra and not per_obs:
        raise ValueError(
            f"posterior variable '{w_name}' (w) has unexpected dimension(s) {extra}; "
            f"expected only {(*sample_dims, dim)} (or also '{obs_dim}' for weights per "
            "observation) -- select one value with .sel(...) first"
        )
    k = w_da.sizes[dim]
    if k == 0 or any(w_da.sizes[d] == 0 for d in sample_dims):
        raise ValueError(
            f"posterior variable '{w_name}' is empty (sizes {dict(w_da.sizes)}); "
            "pass a posterior with at least one draw and one component"
        )
    has_nu = nu is not None or names["nu"] in post.data_vars
    mu_name = names["mu"]
    is_mv = (names["corr"] in post.data_vars and mu_name in post.data_vars
             and any(d not in (*sample_dims, dim) for d in post[mu_name].dims))
    mu_features = mu_name in post.data_vars and any(
        d not in (*sample_dims, dim) for d in post[mu_name].dims)
    if mu_features and not is_mv and family is None:
        extra_mu = [d for d in post[mu_name].dims if d not in (*sample_dims, dim)]
        raise ValueError(
            f"posterior variable '{mu_name}' (mu) has unexpected dimension(s) {extra_mu} and the "
            f"posterior has no correlations '{names['corr']}' of a multivariate normal mixture; "
            "select one value with .sel(...) first, or pass var_names={'corr': ...}"
        )
    default = "mv_normal" if is_mv else ("student_t" if has_nu else "normal")
    families = tuple(_family_list(family, default, k))
    fixed = {}
    if nu is not None:
        nu_arr = check_positive(nu, "nu")
        if nu_arr.ndim > 1 or nu_arr.size not in (1, k):
            raise ValueError(
                f"nu must be a number or one value per component ({k}), got shape {nu_arr.shape}"
            )
        fixed["nu"] = np.broadcast_to(nu_arr.reshape(-1), (k,)).astype(float)
    needed = dict.fromkeys(r for f in families for r in f.roles)
    for role in needed:
        if role in fixed or names[role] in post.data_vars:
            continue
        if role == "nu":
            raise ValueError(
                f"family asks for Student-t components but the posterior has no variable "
                f"'{names['nu']}'; pass nu=... (fixed degrees of freedom) or var_names={{'nu': ...}}"
            )
        have = ", ".join(map(str, post.data_vars)) or "none"
        raise ValueError(
            f"posterior has no variable '{names[role]}' for the {role} of the components "
            f"(variables: {have}); pass var_names={{'{role}': ...}}"
        )
    feature_dim = None
    if any(f.event_ndim for f in families):
        mu_extra = [d for d in post[mu_name].dims if d not in (*sample_dims, dim)]
        if len(mu_extra) != 1:
            raise ValueError(
                f"posterior variable '{mu_name}' must have exactly one feature dimension besides "
                f"{sample_dims} and '{dim}', got dims {post[mu_name].dims}"
            )
        feature_dim = mu_extra[0]
    has_beta = names["beta"] in post.data_vars
    transition = names["P"] in post.data_vars
    if transition:
        p_da = post[names["P"]]
        other = [d for d in p_da.dims if d not in (*sample_dims, dim)]
        if dim not in p_da.dims or len(other) != 1 or p_da.sizes[other[0]] != k or per_obs:
            raise ValueError(
                f"posterior variable '{names['P']}' (transition matrix) must have dims "
                f"{(*sample_dims, dim, dim + '_to')} with {k} states on both, got {p_da.dims}; "
                "rename it with var_names={'P': ...} if it is something else"
            )
    spec = PosteriorSpec(
        posterior=post, source=data, names=names, families=families, dim=dim, obs_dim=obs_dim,
        sample_dims=sample_dims, feature_dim=feature_dim, fixed=fixed, per_obs_weights=per_obs,
        has_beta=has_beta, transition=transition,
    )
    return spec


def _check_transition(values, name):
    """Rows of transition matrices (S, K, K) must lie on the simplex."""
    if not np.all(np.isfinite(values)) or np.any(values < 0) or not np.allclose(
        values.sum(axis=-1), 1.0, atol=1e-6
    ):
        raise ValueError(
            f"{name} must hold transition matrices whose rows are probabilities summing to 1 "
            "(finite, >= 0); pass the transition matrix as var_names={'P': ...}"
        )
    return values


def _logsumexp(a, axis):
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(top, axis=axis) + np.log(np.sum(np.exp(a - top), axis=axis))


def _smoothed_states(log_emission, draws):
    """Forward-backward in log space, vectorised over draws: Pr(z_t = k | y, theta), (S, n, K).

    ``draws.w`` is the distribution of the first state, ``draws.P`` the transition matrices.
    """
    s, n, k = log_emission.shape
    with np.errstate(divide="ignore"):
        log_p = np.log(draws.P)  # (S, K, K)
        log_init = np.log(draws.w)
    alpha = np.empty((s, n, k))
    alpha[:, 0] = log_init + log_emission[:, 0]
    for t in range(1, n):
        alpha[:, t] = _logsumexp(alpha[:, t - 1, :, None] + log_p, axis=1) + log_emission[:, t]
    beta = np.zeros((s, n, k))
    for t in range(n - 2, -1, -1):
        beta[:, t] = _logsumexp(log_p + (log_emission[:, t + 1] + beta[:, t + 1])[:, None, :],
                                axis=2)
    log_gamma = alpha + beta
    top = log_gamma.max(axis=-1, keepdims=True)
    if not np.all(np.isfinite(top)):
        raise ValueError(
            "the observations have probability 0 under every state sequence of some draw; check "
            "the family, the transition matrix and the data"
        )
    gamma = np.exp(log_gamma - top)
    return gamma / gamma.sum(axis=-1, keepdims=True)
