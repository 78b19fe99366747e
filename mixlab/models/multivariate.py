"""Mixtures of multivariate normal distributions: :func:`mv_gmm`, its likelihood and the
:class:`OrderedFirstFeature` transform that orders its components."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from pymc.logprob.transforms import Transform

from mixlab.models._common import (
    _check_bool,
    _check_K,
    _check_y,
    _data_scales,
    _register,
    _resolve_priors,
    _Spec,
)

__all__ = ["OrderedFirstFeature", "mv_gmm"]


class OrderedFirstFeature(Transform):
    """Order the rows of a ``(component, feature)`` matrix by their first column.

    The means ``mu[k, 0]`` of the first feature increase with ``k``; the other features are free.
    On the unconstrained scale ``u[0, 0] = mu[0, 0]``, ``u[k, 0] = log(mu[k, 0] - mu[k-1, 0])``
    and ``u[:, 1:] = mu[:, 1:]``; the log-Jacobian of the inverse map is ``sum(u[1:, 0])``. This
    is PyMC's ordered transform applied to one column, which removes label switching between
    components whose first-feature means differ. :func:`mv_gmm` uses it when ``ordered=True``.

    Examples
    --------
    >>> import numpy as np, pytensor.tensor as pt
    >>> from mixlab.models import OrderedFirstFeature
    >>> tr = OrderedFirstFeature()
    >>> mu = np.array([[1.0, 50.0], [3.0, 80.0]])
    >>> u = tr.forward(pt.as_tensor(mu)).eval()
    >>> u.round(3)  # second row, first column: log(3 - 1)
    array([[ 1.   , 50.   ],
           [ 0.693, 80.   ]])
    >>> tr.backward(pt.as_tensor(u)).eval()
    array([[ 1., 50.],
           [ 3., 80.]])
    """

    name = "ordered-first"  # no underscore: PyMC parses value names as f"{name}_{transform}__"
    ndim_supp = 2

    def backward(self, value, *inputs):
        first = pt.concatenate([value[:1, 0], pt.exp(value[1:, 0])])
        return pt.set_subtensor(value[:, 0], pt.cumsum(first))

    def forward(self, value, *inputs):
        gaps = pt.log(value[1:, 0] - value[:-1, 0])
        return pt.set_subtensor(value[:, 0], pt.concatenate([value[:1, 0], gaps]))

    def log_jac_det(self, value, *inputs):
        return pt.sum(value[1:, 0])


def _check_feature_names(names, d):
    if names is None:
        return [f"x{j}" for j in range(d)]
    if isinstance(names, str) or not isinstance(names, list | tuple | np.ndarray) or not all(
        isinstance(n, str) for n in names
    ):
        raise TypeError(
            f"feature_names must be a list of {d} strings such as ['eruptions', 'waiting'], got {names!r}"
        )
    names = list(names)
    if len(names) != d or len(set(names)) != d:
        raise ValueError(f"feature_names must hold {d} distinct names (one per column of y), got {names}")
    return names


def _mixture_logp(value, w, mu, chol):
    """Log density of each row of ``value`` under the mixture (labels summed out).

    The normal log densities are written with elementwise operations only: forward substitution
    through the (small, static) Cholesky factor, then a log-sum-exp over components. PyTensor's
    batched ``MvNormal`` (triangular solves per component) is about five times slower to evaluate
    and differentiate for the few features such data have.
    """
    d = int(value.type.shape[-1]) if value.type.shape[-1] is not None else None
    if d is None:  # pragma: no cover - observed data always has a static shape
        raise ValueError("the number of features must be known when the model is built")
    diff = value[..., None, :] - mu  # (..., n, K, d)
    zs = []
    for j in range(d):
        acc = diff[..., j]
        for m in range(j):
            acc = acc - chol[..., j, m] * zs[m]
        zs.append(acc / chol[..., j, j])
    quad = sum(z**2 for z in zs)
    log_det = sum(pt.log(chol[..., j, j]) for j in range(d))
    comp = -0.5 * quad - log_det - 0.5 * d * np.log(2 * np.pi)
    return pt.logsumexp(pt.log(w) + comp, axis=-1)


def _mixture_random(w, mu, chol, rng=None, size=None):
    """Draw observations from the mixture (for prior and posterior predictive sampling)."""
    w = np.asarray(w)
    if size is None:
        size = w.shape[:-1]
    size = tuple(np.atleast_1d(size)) if np.ndim(size) else (int(size),)
    w = np.broadcast_to(w, (*size, w.shape[-1]))
    mu = np.broadcast_to(mu, (*size, *np.shape(mu)[-2:]))
    chol = np.broadcast_to(chol, (*size, *np.shape(chol)[-3:]))
    cum = np.cumsum(w, axis=-1)
    u = rng.uniform(size=(*size, 1)) * cum[..., -1:]
    z = np.minimum((u > cum).sum(axis=-1), w.shape[-1] - 1)
    mu_z = np.take_along_axis(mu, z[..., None, None], axis=-2)[..., 0, :]
    chol_z = np.take_along_axis(chol, z[..., None, None, None], axis=-3)[..., 0, :, :]
    eps = rng.standard_normal(size=mu_z.shape)
    return mu_z + np.einsum("...ij,...j->...i", chol_z, eps)


def mv_gmm(y, K, *, ordered=True, feature_names=None, priors=None):
    """Build a K-component mixture of multivariate normals with LKJ priors on the correlations.

    For each feature ``j`` with midpoint ``m_j``, range ``R_j`` and standard deviation ``s_j`` of
    ``y[:, j]`` the default priors are (as in :func:`gmm`, per feature):

    - ``w ~ Dirichlet(1, ..., 1)``;
    - ``mu[k, j] ~ Normal(m_j, R_j)``;
    - ``sigma[k, j] ~ HalfNormal(s_j)``;
    - correlation matrix of each component ``~ LKJ(eta=2)``: mild shrinkage towards independence
      (``eta=1`` is uniform over correlation matrices).

    Parameters
    ----------
    y : array_like, shape (n, d)
        Observations, one row each, ``d >= 2`` features; finite.
    K : int
        Number of components, at least 1.
    ordered : bool, default True
        Order the components by the mean of the first feature (:class:`OrderedFirstFeature`),
        which removes label switching. Ignored when ``K == 1``. Sample with
        ``initvals=initvals(model)``.
    feature_names : list of str, optional
        Coordinate values of the ``feature`` dim (default ``x0, x1, ...``).
    priors : dict, optional
        Overrides by key: ``w_alpha`` (Dirichlet concentration), ``mu_mu``, ``mu_sigma``,
        ``sigma_sigma`` (a number or one per feature), ``eta`` (LKJ shape, a number).

    Returns
    -------
    pymc.Model
        Coordinates ``component``, ``obs``, ``feature`` and ``feature_bis``; free variables ``w``,
        ``mu`` and ``chol_0 .. chol_{K-1}``; deterministics ``sigma`` and ``corr``; observed
        ``y`` (dims ``obs, feature``), a :class:`pymc.CustomDist` whose density is that of
        ``pm.Mixture(w=w, comp_dists=pm.MvNormal.dist(mu=mu, chol=chol))`` (tested to agree)
        and which can be sampled for predictive checks. ``pm.compute_log_likelihood`` gives one
        value per row of ``y``: the mixture density of the observation (the labels are summed
        out).

    Raises
    ------
    TypeError
        If ``y`` is not numeric, ``K`` is not an integer, ``ordered`` is not a bool, or
        ``feature_names`` / ``priors`` have the wrong type.
    ValueError
        If ``y`` is not 2-D with at least 2 columns and 2 rows or holds NaN/inf, a column's scale
        overflows float64 (rescale it), ``K < 1`` or ``K`` exceeds the number of rows, or
        ``priors`` has an unknown key or a bad value.

    References
    ----------
    Lewandowski, D., Kurowicka, D. and Joe, H. (2009). Generating random correlation matrices
    based on vines and extended onion method. *Journal of Multivariate Analysis* 100, 1989-2001.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.models import initvals, mv_gmm
    >>> rng = np.random.default_rng(0)
    >>> y = np.r_[rng.normal([0, 0], 1, (30, 2)), rng.normal([5, 5], 1, (30, 2))]
    >>> model = mv_gmm(y, K=2, feature_names=["a", "b"])
    >>> [v.name for v in model.free_RVs]
    ['w', 'mu', 'chol_0', 'chol_1']
    >>> model.named_vars_to_dims["corr"]
    ('component', 'feature', 'feature_bis')

    Start values (:func:`initvals`): group means of the data sorted by the first feature.

    >>> y = np.array([[1.0, 50], [1.2, 54], [1.1, 52], [4.0, 80], [4.4, 84], [4.2, 82]])
    >>> start = initvals(mv_gmm(y, K=2))
    >>> start["mu"]
    array([[ 1.1, 52. ],
           [ 4.2, 82. ]])
    >>> sorted(start)
    ['chol_0', 'chol_1', 'mu', 'w']
    """
    y = _check_y(y, multivariate=True)
    n, d = y.shape
    K = _check_K(K, n)
    ordered = _check_bool(ordered, "ordered")
    names = _check_feature_names(feature_names, d)
    mid, spread, sd = _data_scales(y)
    defaults = {
        "w_alpha": (1.0, "positive", "component"),
        "mu_mu": (mid, "real", "feature"),
        "mu_sigma": (spread, "positive", "feature"),
        "sigma_sigma": (sd, "positive", "feature"),
        "eta": (2.0, "positive", None),
    }
    pri = _resolve_priors(priors, defaults, {"component": K, "feature": d}, "mv_gmm")
    w_alpha, mu_mu, mu_sigma, sigma_sigma = (
        pri[k] for k in ("w_alpha", "mu_mu", "mu_sigma", "sigma_sigma")
    )
    eta = float(pri["eta"])

    coords = {
        "component": np.arange(K),
        "obs": np.arange(n),
        "feature": names,
        "feature_bis": names,
    }
    use_order = bool(ordered) and K >= 2
    with pm.Model(coords=coords) as model:
        w = pm.Dirichlet("w", a=w_alpha, dims="component")
        kwargs = {"transform": OrderedFirstFeature()} if use_order else {}
        mu = pm.Normal(
            "mu",
            mu=np.broadcast_to(mu_mu, (K, d)),
            sigma=np.broadcast_to(mu_sigma, (K, d)),
            dims=("component", "feature"),
            **kwargs,
        )
        chols = []
        for k in range(K):
            packed = pm.LKJCholeskyCov(
                f"chol_{k}",
                n=d,
                eta=eta,
                sd_dist=pm.HalfNormal.dist(sigma=sigma_sigma, shape=d),
                compute_corr=False,
            )
            chols.append(pm.math.expand_packed_triangular(d, packed, lower=True))
        chol = pt.stack(chols)
        # cov[k, i, j] = sum_l chol[k, i, l] chol[k, j, l], elementwise (a matmul would need BLAS)
        cov = (chol[:, :, None, :] * chol[:, None, :, :]).sum(axis=-1)
        sigma = pt.sqrt(pt.diagonal(cov, axis1=-2, axis2=-1))
        pm.Deterministic("sigma", sigma, dims=("component", "feature"))
        pm.Deterministic(
            "corr",
            cov / (sigma[:, :, None] * sigma[:, None, :]),
            dims=("component", "feature", "feature_bis"),
        )
        pm.CustomDist(
            "y",
            w,
            mu,
            chol,
            logp=_mixture_logp,
            random=_mixture_random,
            signature="(k),(k,d),(k,d,d)->(d)",
            observed=y,
            dims=("obs", "feature"),
        )
    return _register(model, _Spec("mv_gmm", y, K, ordered="mu" if use_order else None))


def _mv_start(spec):
    """Start values of a :func:`mv_gmm` model (see :func:`mixlab.models.initvals`).

    The observations are sorted by their first feature and cut into K groups of equal size;
    ``mu`` starts at the group means (increasing in the first feature, as the ordered transform
    needs; ties are nudged apart), each ``chol_k`` at a diagonal covariance with the group's
    standard deviations, and ``w`` at ``1/K``.
    """
    y, K = spec.y, spec.K
    n, d = y.shape
    order = np.argsort(y[:, 0], kind="stable")
    groups = np.array_split(order, K)
    overall_sd = np.where(y.std(axis=0) > 0, y.std(axis=0), 1.0)
    mu = np.empty((K, d))
    packed = []
    rows, cols = np.tril_indices(d)
    for k, g in enumerate(groups):
        mu[k] = y[g].mean(axis=0) if g.size else y.mean(axis=0)
        sd = y[g].std(axis=0) if g.size > 1 else overall_sd / K
        sd = np.where(sd > 0, sd, overall_sd / K)
        chol = np.diag(sd)
        packed.append(chol[rows, cols])
    scale = float(np.ptp(y[:, 0])) or 1.0
    for k in range(1, K):
        mu[k, 0] = max(mu[k, 0], mu[k - 1, 0] + 1e-3 * scale)
    start = {"w": np.full(K, 1.0 / K), "mu": mu}
    start.update({f"chol_{k}": packed[k] for k in range(K)})
    return start
