"""A PyMC model whose posterior is a known two-component Gaussian mixture, and its mode labels."""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy import stats

from mixlab._validate import check_array, check_group, check_int, check_positive, check_simplex

#: Names of the two modes (the ``mode`` coordinate of every result).
MODES = ("heavy", "light")


@dataclass(frozen=True)
class _Target:
    weights: np.ndarray  # (2,)
    centres: np.ndarray  # (2, dim)
    scales: np.ndarray  # (2,)
    prior_sigma: float

    @property
    def dim(self):
        return self.centres.shape[1]


#: Models built by two_mode_target, mapped to their parameters (weak keys: never keeps a model alive).
_TARGETS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def two_mode_target(
    *, weights=(0.7, 0.3), separation=6.0, scales=(1.0, 0.3), dim=2, prior_sigma=None
):
    r"""A PyMC model whose posterior is exactly a two-component Gaussian mixture.

    The free vector ``theta`` (dim ``dim``) has a broad prior
    :math:`\mathrm{Normal}(0, \tau^2 I)` and a ``pm.Potential`` named ``"mix"`` equal to
    :math:`\log\{w_1 N(\theta; m_1, s_1^2 I) + w_2 N(\theta; m_2, s_2^2 I)\} - \log
    N(\theta; 0, \tau^2 I)`, so the posterior *is* the mixture, with known mode masses. The
    centres are :math:`m_{1,2} = \mp (\text{separation}/2) e_1` (on the first axis).

    With the defaults the heavy mode (mass 0.7) is broad (scale 1) and the light one (mass 0.3)
    narrow (scale 0.3): in two dimensions the light mode's density peak is 4.8 times higher than
    the heavy one's. Height is not mass: an optimiser, or a sampler that reports where the
    density is high, favours the wrong mode.

    PyMC counts a Potential as likelihood, not prior (``Model.datalogp`` is observed plus
    potential terms, and :func:`pymc.sample_smc` tempers ``datalogp``), so sequential Monte Carlo
    moves from the broad prior (at inverse temperature 0) to the mixture (at 1) through the
    geometric bridge :math:`\text{prior}^{1 - \beta}\,\text{target}^{\beta}`, and its
    tempering is meaningful.

    Parameters
    ----------
    weights : pair of float, default (0.7, 0.3)
        Mixture weights (the masses of the modes), positive, summing to 1. The first is called
        the ``"heavy"`` mode and the second the ``"light"`` one whatever their values.
    separation : float, default 6.0
        Distance between the centres, positive.
    scales : pair of float, default (1.0, 0.3)
        Standard deviation of each component (the same on every axis), positive.
    dim : int, default 2
        Dimension of ``theta``, at least 1.
    prior_sigma : float, optional
        Prior scale :math:`\tau` (default ``separation``): it changes only what SMC starts from,
        never the posterior.

    Returns
    -------
    pymc.Model
        Free variable ``theta`` (dims ``dim``); :func:`mode_of` and :func:`exact_masses` read the
        target's parameters back from the model.

    Raises
    ------
    TypeError
        If ``dim`` is not an integer or a number is not numeric.
    ValueError
        If the weights are not two positive numbers summing to 1, the scales are not two positive
        numbers, or ``separation``, ``prior_sigma`` or ``dim`` is not positive.

    Examples
    --------
    >>> from mixlab.samplers import exact_masses, two_mode_target
    >>> model = two_mode_target()
    >>> model.named_vars_to_dims["theta"]
    ('dim',)
    >>> exact_masses(model).round(4).values.tolist()
    [0.7, 0.3]
    >>> two_mode_target(weights=(0.7, 0.4))
    Traceback (most recent call last):
    ...
    ValueError: weights must sum to 1 (got 1.1); pass normalized weights, e.g. w / w.sum()
    """
    w = check_array(weights, "weights", shape=(2,))
    if np.any(w <= 0):
        raise ValueError(f"weights must be positive, got {w.tolist()}; both modes need mass")
    w = check_simplex(w, "weights")
    s = check_array(scales, "scales", shape=(2,))
    check_positive(s, "scales")
    sep = float(check_positive(separation, "separation"))
    dim = check_int(dim, "dim", minimum=1)
    tau = sep if prior_sigma is None else float(check_positive(prior_sigma, "prior_sigma"))

    import pymc as pm
    import pytensor.tensor as pt

    centres = np.zeros((2, dim))
    centres[0, 0], centres[1, 0] = -sep / 2, sep / 2
    with pm.Model(coords={"dim": np.arange(dim)}) as model:
        theta = pm.Normal("theta", 0.0, tau, dims="dim")
        comps = [
            np.log(w[k]) + pm.logp(pm.Normal.dist(centres[k], s[k]), theta).sum() for k in range(2)
        ]
        log_prior = pm.logp(pm.Normal.dist(0.0, tau), theta).sum()
        pm.Potential("mix", pt.logsumexp(pt.stack(comps)) - log_prior)
    _TARGETS[model] = _Target(w, centres, s.astype(float), tau)
    return model


def _target_of(model, name="model"):
    import pymc as pm

    if not isinstance(model, pm.Model):
        raise TypeError(
            f"{name} must be a pymc.Model from two_mode_target, got {type(model).__name__}"
        )
    try:
        return _TARGETS[model]
    except KeyError:
        raise ValueError(
            f"{name} was not built by two_mode_target; pass mode_label_fn=... and "
            "reference_masses=... for other models"
        ) from None


def _log_comp(target, x):
    """log w_k + log N(x; m_k, s_k^2 I) up to a shared constant, shape (..., 2)."""
    d = target.dim
    out = [
        np.log(target.weights[k])
        - d * np.log(target.scales[k])
        - ((x - target.centres[k]) ** 2).sum(-1) / (2 * target.scales[k] ** 2)
        for k in range(2)
    ]
    return np.stack(out, axis=-1)


def mixture_logpdf(model, x):
    """The exact log density of the posterior of a :func:`two_mode_target` model at points ``x``.

    Parameters
    ----------
    model : pymc.Model
        Built by :func:`two_mode_target`.
    x : array_like, shape (..., dim)
        Points.

    Returns
    -------
    numpy.ndarray
        ``log(w_1 N(x; m_1, s_1^2 I) + w_2 N(x; m_2, s_2^2 I))``, shape ``x.shape[:-1]``.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.samplers import mixture_logpdf, two_mode_target
    >>> model = two_mode_target(dim=1, weights=(0.5, 0.5), scales=(1.0, 1.0))
    >>> np.round(mixture_logpdf(model, [[3.0]]), 4)  # log(0.5 N(0; 0, 1)), the far mode negligible
    array([-1.6121])
    """
    target = _target_of(model)
    x = check_array(x, "x", ndim=(1, 2, 3, 4))
    if x.shape[-1] != target.dim:
        raise ValueError(
            f"x must have {target.dim} entries on its last axis (the target's dim), "
            f"got shape {x.shape}"
        )
    lc = _log_comp(target, x) - target.dim / 2 * np.log(2 * np.pi)
    return np.logaddexp(lc[..., 0], lc[..., 1])


def exact_masses(model):
    """Exact posterior mass of each mode's region, as :func:`mode_of` labels draws.

    A draw belongs to the mode whose weighted component density is higher there (the Bayes
    classifier of the two components), so the region of a mode holds a little less than its
    weight whenever the components overlap. For unequal scales the narrower component's region is
    a ball and its mass under each component a non-central chi-square probability; for equal
    scales it is a half-space.

    Parameters
    ----------
    model : pymc.Model
        Built by :func:`two_mode_target`.

    Returns
    -------
    xarray.DataArray
        Dims ``mode`` (``"heavy"``, ``"light"``), summing to 1; ``attrs["weights"]``: the
        component weights.

    Examples
    --------
    >>> from mixlab.samplers import exact_masses, two_mode_target
    >>> m = exact_masses(two_mode_target(separation=2.0, scales=(1.0, 1.0), weights=(0.5, 0.5)))
    >>> m.round(3).values.tolist()  # equal components: the half-spaces hold half each
    [0.5, 0.5]
    """
    t = _target_of(model)
    w, m, s, d = t.weights, t.centres, t.scales, t.dim
    a = np.log(w) - d * np.log(s)
    if np.isclose(s[0], s[1], rtol=1e-12, atol=0):
        # l_1 > l_0  <=>  u . x > b with u = m_1 - m_0 (a half-space)
        u = m[1] - m[0]
        b = (a[0] - a[1]) * s[0] ** 2 + (m[1] @ m[1] - m[0] @ m[0]) / 2
        norm = np.sqrt(u @ u)
        p_light = [stats.norm.sf((b - u @ m[k]) / (norm * s[k])) for k in range(2)]
    else:
        n, b_ = (
            (1, 0) if s[1] < s[0] else (0, 1)
        )  # n: the narrower component, whose region is a ball
        cn, cb = 1 / (2 * s[n] ** 2), 1 / (2 * s[b_] ** 2)
        z = (cn * m[n] - cb * m[b_]) / (cn - cb)
        r2 = (a[n] - a[b_] - cn * m[n] @ m[n] + cb * m[b_] @ m[b_]) / (cn - cb) + z @ z
        p_ball = [
            0.0
            if r2 <= 0
            else stats.ncx2.cdf(r2 / s[k] ** 2, d, max((m[k] - z) @ (m[k] - z) / s[k] ** 2, 1e-300))
            for k in range(2)
        ]
        p_light = p_ball if n == 1 else [1 - p for p in p_ball]
    light = float(w[0] * p_light[0] + w[1] * p_light[1])
    return xr.DataArray(
        [1 - light, light],
        dims="mode",
        coords={"mode": list(MODES)},
        name="mass",
        attrs={"weights": w.tolist()},
    )


def mode_of(idata, model, *, var_name="theta"):
    """Label every draw with the mode it belongs to: 0 (``"heavy"``) or 1 (``"light"``).

    A draw goes to the component with the higher weighted density there, ``argmax_k w_k
    N(theta; m_k, s_k^2 I)``: the nearest centre once each distance is measured in its own
    component's scale (and the weights are counted). :func:`exact_masses` gives the exact mass of
    each label.

    Parameters
    ----------
    idata : xarray.DataTree or xarray.Dataset
        Draws of ``theta`` (what any sampler returns; a Dataset is taken to be the posterior).
    model : pymc.Model
        Built by :func:`two_mode_target`.
    var_name : str, default "theta"
        The variable holding the draws; its last dimension is the target's ``dim``.

    Returns
    -------
    xarray.DataArray
        Integer labels with the draws' other dims (e.g. ``chain``, ``draw``), named ``mode``;
        ``attrs["modes"]``: the names of labels 0 and 1.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from mixlab.samplers import mode_of, two_mode_target
    >>> model = two_mode_target(dim=1)
    >>> post = xr.Dataset({"theta": (("chain", "draw", "dim"), [[[-3.0], [2.9], [-0.5]]])})
    >>> mode_of(post, model).values.tolist()
    [[0, 1, 0]]
    """
    target = _target_of(model)
    post = check_group(idata, "posterior")
    if not isinstance(var_name, str) or var_name not in post.data_vars:
        have = ", ".join(map(str, post.data_vars)) or "none"
        raise ValueError(
            f"idata has no variable {var_name!r} (variables: {have}); pass var_name=..."
        )
    x = post[var_name]
    last = x.dims[-1] if x.ndim else None
    if last is None or x.sizes[last] != target.dim:
        raise ValueError(
            f"{var_name} must end in a dimension of length {target.dim} (the target's "
            f"dim), got dims {dict(x.sizes)}"
        )
    vals = check_array(x.values, var_name)
    lab = np.argmax(_log_comp(target, vals), axis=-1)
    return xr.DataArray(
        lab,
        dims=x.dims[:-1],
        coords={d: x.coords[d] for d in x.dims[:-1] if d in x.coords},
        name="mode",
        attrs={"modes": list(MODES)},
    )
