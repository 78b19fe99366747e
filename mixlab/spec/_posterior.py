"""The resolved posterior: shape, draws, observations and the one path to log-densities."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field, replace

import numpy as np
import xarray as xr

from mixlab._validate import check_array, check_positive, optional_group
from mixlab.spec._draws import Draws, check_transition, smoothed_states

__all__ = ["PosteriorSpec", "observed_variable"]


def observed_variable(data, name=None):
    """The observed data ``name`` of a posterior, or None when it carries none.

    The one lookup of the observations behind every ``y=None`` default: the summaries (through
    :meth:`PosteriorSpec.observations`, which refuses a missing ``y``) and the plots (which then
    place observations by their index) both read it here.

    Parameters
    ----------
    data : xarray.DataTree, xarray.Dataset, PosteriorSpec or other
        What ``pm.sample`` returns, or a spec resolved from it. A Dataset (taken to be the
        posterior group alone) and any other object carry no observed data.
    name : str, optional
        The observed variable. Default: the spec's name for the role ``y`` (``var_names``), or
        ``"y"``.

    Returns
    -------
    xarray.DataArray or None
        ``observed_data[name]`` (with its coordinates), or None when there is no such group or
        variable.

    Raises
    ------
    TypeError
        If ``name`` is not a string.

    References
    ----------
    - Kumar, R., Carroll, C., Hartikainen, A. and Martin, O. (2019). ArviZ a unified library for
      exploratory analysis of Bayesian models in Python. *Journal of Open Source Software*, 4(33),
      1143 (the ``observed_data`` group).

    Examples
    --------
    >>> import xarray as xr
    >>> from mixlab.spec import observed_variable
    >>> tree = xr.DataTree.from_dict({"observed_data": xr.Dataset({"y": ("obs", [0.5, 1.5])})})
    >>> observed_variable(tree).values
    array([0.5, 1.5])
    >>> observed_variable(tree["observed_data"].to_dataset()) is None  # a Dataset alone
    True
    """
    if isinstance(data, PosteriorSpec):
        name = data.names["y"] if name is None else name
        data = data.source
    name = "y" if name is None else name
    if not isinstance(name, str):
        raise TypeError(f"name must be the name of an observed variable (str), got {name!r}")
    if not isinstance(data, xr.DataTree):
        return None
    obs = optional_group(data, "observed_data")
    return None if obs is None or name not in obs.data_vars else obs[name]


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
        """Slices over the draws, ``per_draw`` elements each, at most ``CHUNK_ELEMENTS`` a chunk."""
        from mixlab.spec import chunk_slices

        return chunk_slices(self.n_samples, per_draw)

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

    def draws(self):
        """The parameters of every draw as a checked :class:`Draws` (``.take(sl)`` selects some)."""
        w_name = self.names["w"]
        t = self.template.transpose(*self.sample_dims, ..., self.dim)
        w = check_array(t.values, f"posterior variable '{w_name}'", finite=False)
        w = w.reshape(-1, *w.shape[len(self.sample_dims):])
        template = t if not self.per_obs_weights else t.isel({self.obs_dim: 0}, drop=True)
        values = {}
        for role in self.roles:
            values[role] = self._role_array(role, template) if role not in self.fixed else None
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
            return check_transition(values, name)
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
            y = observed_variable(self.source, self.names["y"])
            if y is None:
                raise ValueError(
                    f"y was not given and idata has no observed_data variable '{self.names['y']}'; "
                    "pass y=... or var_names={'y': ...}"
                )
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
            return smoothed_states(self.log_density(points, draws, x), draws)
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
        from mixlab.spec._resolve import _family_list

        return replace(self, families=tuple(_family_list(family, None, self.n_components)))
