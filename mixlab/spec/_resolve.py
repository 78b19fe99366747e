"""From what a user passes to a :class:`PosteriorSpec`: every check, once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mixlab._validate import check_dim_names, check_dims, check_group, check_positive
from mixlab.families import FAMILIES, Family, get_family
from mixlab.spec import OPTIONS, ROLES
from mixlab.spec._posterior import PosteriorSpec

__all__ = ["resolve", "resolve_options"]


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
    _roles=True,
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
    if not _roles:  # only dims and names: for sampled labels, which need no parameters
        return PosteriorSpec(posterior=post, source=data, names=names, families=(), dim=dim,
                             obs_dim=obs_dim, sample_dims=sample_dims, feature_dim=None)
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
        hint = ""
        if role == "sigma" and family is None:
            # the default family is "normal"; a count model (Poisson rates, no scales) is the usual cause
            hint = "family='poisson' or 'negative_binomial' for count components, or "
        raise ValueError(
            f"posterior has no variable '{names[role]}' for the {role} of the components "
            f"(variables: {have}); pass {hint}var_names={{'{role}': ...}}"
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


def resolve_options(data, options, who, *, roles=True):
    """:func:`resolve` for a function that takes the posterior options as ``**options``.

    A spec passed as ``data`` is used as it is; options next to it would be ignored, so they
    are refused. Unknown options get a message that lists the known ones.
    """
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise TypeError(
            f"{who}() got unknown option(s) {unknown}; the posterior options are {OPTIONS} "
            "(see mixlab.spec.resolve)"
        )
    if isinstance(data, PosteriorSpec) and options:
        raise TypeError(
            f"{who}() got a PosteriorSpec and the options {sorted(options)}; they are part of the "
            "spec already: pass them to mixlab.spec.resolve instead"
        )
    return resolve(data, **options, _roles=roles)
