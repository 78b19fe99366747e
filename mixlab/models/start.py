"""Valid start values for every model built by :mod:`mixlab.models`: :func:`initvals`."""

from __future__ import annotations

import numpy as np
import pymc as pm

from mixlab.models._common import _REGISTRY, _data_scales, _strictly_increasing
from mixlab.models.multivariate import _mv_start
from mixlab.models.regression import _regression_start

__all__ = ["initvals"]

#: Start value of every free degrees-of-freedom parameter: heavy enough tails to matter, far
#: enough from 0 that the Student-t has a finite variance.
_NU_START = 10.0

#: Share of the outlier component at the start of :func:`normal_t_mixture`.
_OUTLIER_START = 0.1


def _spread_means(y, K, scale):
    """Means at evenly spaced quantiles of ``y`` (the centres of K equal-count bins)."""
    return _strictly_increasing(np.quantile(y, (np.arange(K) + 0.5) / K), scale)


def _robust_sd(y, fallback):
    mad = 1.4826 * float(np.median(np.abs(y - np.median(y))))
    return mad if mad > 0 else fallback


def _location_start(spec):
    """``gmm``, ``student_t_mixture``, ``sparse_gmm`` and ``latent_gmm``: quantile means."""
    y, K = spec.y, spec.K
    _, _, sd = _data_scales(y)
    start = {"w": np.full(K, 1.0 / K), "mu": _spread_means(y, K, sd), "sigma": np.full(K, sd / K)}
    if spec.free_nu:
        start["nu"] = np.full(K, _NU_START)
    if spec.kind == "latent":
        start["z"] = np.argmin(np.abs(y[:, None] - start["mu"][None, :]), axis=1)
    return start


def _rg_start(spec):
    """``rg_gmm`` and ``dp_gmm``: quantile means, variances ``(sd / K)**2``, their scale ``C0``."""
    start = _location_start(spec)
    sigma2 = start.pop("sigma") ** 2
    start.update(sigma2=sigma2, C0=np.asarray(float(sigma2[0])))
    if spec.kind == "dp":
        w = 0.5 ** np.arange(1, spec.K + 1)
        w[-1] = 1.0 - w[:-1].sum()
        start.update(w=w, alpha=np.asarray(1.0))
    return start


def _normal_t_start(spec):
    y = spec.y
    _, _, sd = _data_scales(y)
    bulk = _robust_sd(y, sd)
    return {
        "w": np.array([1.0 - _OUTLIER_START, _OUTLIER_START]),
        "mu": np.full(2, float(np.median(y))),
        "sigma": np.array([bulk, max(sd, 2.0 * bulk)]),
        "nu": np.array(_NU_START),
    }


#: Start-value rule of each kind of model (the ``kind`` of its registry entry).
_STARTS = {
    "gmm": _location_start,
    "student_t": _location_start,
    "sparse": _location_start,
    "latent": _location_start,
    "normal_t": _normal_t_start,
    "rg": _rg_start,
    "dp": _rg_start,
    "regression": _regression_start,
    "mv_gmm": _mv_start,
}


def initvals(model, var_names=None):
    """Return valid start values for a model built by :mod:`mixlab.models`.

    Pass the result as ``pm.sample(model=model, initvals=initvals(model))``. The values are
    deterministic functions of the data, on the constrained scale (weights, not their log-ratios),
    and respect every ordered transform, so the model's log density is finite there:

    - ``w``: uniform ``1/K`` (:func:`normal_t_mixture`: 0.9 bulk, 0.1 outliers);
    - ``mu``: ``y``'s quantiles at ``(k + 1/2) / K``, i.e. the centres of K equal-count bins, sorted
      and nudged apart where the data have ties (:func:`normal_t_mixture`: both at the median);
    - ``sigma``: ``sd(y) / K`` (:func:`normal_t_mixture`: a robust sd of ``y`` for the bulk and a
      larger value for the outlier component);
    - ``nu``: 10 when it is a free parameter;
    - :func:`mixture_regression`: ``w``, ``mu``, ``beta`` and ``sigma`` from a short
      expectation-maximization (EM) fit of the K lines, the best of a few deterministic starts
      (parallel lines through the residual quantiles, and fixed pseudo-random splits). Parallel
      lines alone start *crossing* lines in the basin of a wrong mode (two near-identical lines
      with an inflated scale), where NUTS chains stay;
    - ``z`` (:func:`latent_gmm` only): the component whose start mean is nearest to each point;
    - :func:`mv_gmm`: the rows sorted by their first feature and cut into K equal groups; ``mu``
      at the group means (increasing in the first feature, ties nudged apart), each ``chol_k`` at
      the packed Cholesky factor of a diagonal covariance with the group's standard deviations.

    Both PyMC's NUTS (``init="jitter+adapt_diag"``, the default) and nutpie add a ``U(-1, 1)``
    jitter to the start on the unconstrained scale, so the chains do not start at exactly these
    values. For :func:`mixture_regression` that jitter is large compared with typical slopes:
    in a check with two crossing lines, 4 of 8 PyMC chains and 2 of 6 nutpie chains jittered
    away from the EM start ended in the wrong mode, and none did without jitter. Ordered Gaussian
    mixtures suffer too when the quantile starts fall between clusters of unequal size: with three
    clusters of 150 points (weights 0.5, 0.3, 0.2), 2 of 8 jittered two-chain PyMC runs had a chain
    with two components on one cluster, and none of 8 without jitter. Sample such models with
    ``init="adapt_diag"`` (PyMC's NUTS) or ``compile_kwargs={"jitter_rvs": set()}`` (nutpie).

    Parameters
    ----------
    model : pymc.Model
        A model returned by one of the builders of :mod:`mixlab.models`.
    var_names : list of str, optional
        Keep only these variables. Use it for a model derived from a built one, e.g.
        ``initvals(latent, var_names=["w", "mu", "sigma"])`` for
        ``pymc_extras.marginal.marginalize(latent, ["z"])``, which has no ``z`` (``pm.sample``
        rejects start values for variables a model does not have).

    Returns
    -------
    dict of str to numpy.ndarray
        Start values keyed by variable name.

    Raises
    ------
    TypeError
        If ``model`` is not a ``pymc.Model`` or ``var_names`` is not a list of names.
    ValueError
        If ``model`` was not built by :mod:`mixlab.models`, or ``var_names`` is empty or names a
        variable that has no start value.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.models import gmm, initvals
    >>> y = np.array([-2.1, -1.9, -2.4, 2.8, 3.1, 3.3, 2.9])
    >>> start = initvals(gmm(y, K=2))
    >>> sorted(start)
    ['mu', 'sigma', 'w']
    >>> start["mu"]  # quantiles 0.25 and 0.75 of y: increasing, as the ordered transform needs
    array([-2.,  3.])
    >>> import pymc as pm
    >>> initvals(pm.Model())
    Traceback (most recent call last):
    ...
    ValueError: model was not built by mixlab.models; pass your own initvals to pm.sample
    """
    if not isinstance(model, pm.Model):
        raise TypeError(f"model must be a pymc.Model built by mixlab.models, got {type(model).__name__}")
    spec = _REGISTRY.get(model)
    if spec is None:
        raise ValueError("model was not built by mixlab.models; pass your own initvals to pm.sample")
    start = (spec.start or _STARTS[spec.kind])(spec)
    if var_names is None:
        return start
    if isinstance(var_names, str):
        var_names = [var_names]
    if not isinstance(var_names, list | tuple) or not all(isinstance(v, str) for v in var_names):
        raise TypeError(f"var_names must be a list of variable names, got {var_names!r}")
    if not var_names:
        raise ValueError(
            "var_names is empty; pass None for every start value or a list such as ['w', 'mu']"
        )
    unknown = [v for v in var_names if v not in start]
    if unknown:
        raise ValueError(
            f"var_names has no start value for {unknown}; this model has start values for "
            f"{', '.join(start)}"
        )
    return {v: start[v] for v in var_names}
