"""WAIC as an ArviZ ``ELPDData`` result, and one table of LOO / K-fold / WAIC estimates."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import xarray as xr
from arviz_stats.utils import ELPDData
from scipy.special import logsumexp

from mixlab._validate import check_group, check_name, pick_variable
from mixlab._validate import check_sample_dims as _check_sample_dims

__all__ = ["WAIC_VARIANCE_THRESHOLD", "ELPDDataWAIC", "elpd_table", "waic"]

#: Threshold on the posterior variance of an observation's log-likelihood above which WAIC is
#: unreliable (Vehtari, Gelman and Gabry, 2017, section 2.4).
WAIC_VARIANCE_THRESHOLD = 0.4


@dataclass(kw_only=True, repr=False)
class ELPDDataWAIC(ELPDData):
    """WAIC results returned by :func:`waic`: an ArviZ ``ELPDData`` of kind ``"waic"``.

    Prints as ArviZ's LOO results do and ``az.compare`` accepts it (compare WAIC with WAIC:
    ArviZ refuses to mix kinds other than LOO and K-fold). Inherits ``elpd``, ``se``, ``p``,
    ``n_samples``, ``n_data_points``, ``scale``, ``warning`` and ``elpd_i``; ``good_k`` and
    ``pareto_k`` are None (WAIC does no importance sampling).

    Attributes
    ----------
    var_name : str
        Observed variable whose log-likelihood was used.
    p_waic_i : xarray.DataArray
        Pointwise effective number of parameters (posterior variance of the log-likelihood).
    n_high_variance : int
        Observations with ``p_waic_i`` above :data:`WAIC_VARIANCE_THRESHOLD`; ``warning`` is
        True when there is any.

    ``elpd_waic``, ``p_waic`` and ``elpd_waic_i`` are aliases of ``elpd``, ``p`` and ``elpd_i``,
    and ``attrs`` a dict of the scalars, so ``res["elpd_waic"]`` and
    ``res.attrs["n_high_variance"]`` work as they did when :func:`waic` returned a Dataset.
    """

    _kind: ClassVar[str] = "waic"

    var_name: str = None
    p_waic_i: xr.DataArray = None
    n_high_variance: int = 0

    @property
    def elpd_waic(self):
        """Alias of ``elpd``."""
        return self.elpd

    @property
    def p_waic(self):
        """Alias of ``p``."""
        return self.p

    @property
    def elpd_waic_i(self):
        """Alias of ``elpd_i``."""
        return self.elpd_i

    @property
    def attrs(self):
        """The scalar descriptors as a dict (``method``, ``var_name``, counts and ``warning``)."""
        return {
            "method": "waic",
            "var_name": self.var_name,
            "n_samples": self.n_samples,
            "n_data_points": self.n_data_points,
            "warning": self.warning,
            "n_high_variance": self.n_high_variance,
        }


def _log_likelihood_var(data, group, var_name, *, name="idata"):
    """Return the DataArray of the pointwise log-likelihood named ``var_name`` (or the only one)."""
    ds = check_group(data, check_name(group, "group"), name=name)
    var_name = pick_variable(
        var_name, ds.data_vars, where=f"{name}['{group}']",
        fix="fix var_name, or run pm.compute_log_likelihood(idata, model=model) first")
    return ds[var_name]


def _waic_arrays(log_lik):
    """Array layer of :func:`waic`: ``log_lik`` has shape (samples, points).

    Returns ``(elpd_i, p_i)``, each of shape (points,).
    """
    n_samples = log_lik.shape[0]
    lppd_i = logsumexp(log_lik, axis=0) - math.log(n_samples)
    p_i = np.var(log_lik, axis=0, ddof=1)
    return lppd_i - p_i, p_i


def _checked_values(da, sample_dims):
    """``(values (samples, points), obs_dims)`` of a log-likelihood, or a one-line error."""
    missing = [d for d in sample_dims if d not in da.dims]
    if missing:
        have = ", ".join(map(str, da.dims)) or "none"
        raise ValueError(
            f"log-likelihood '{da.name}' has no dimension(s) {missing} (dims: {have}); "
            "pass sample_dims=..."
        )
    obs_dims = [d for d in da.dims if d not in sample_dims]
    if not obs_dims:
        raise ValueError(
            f"log-likelihood '{da.name}' has no observation dimension (dims: {', '.join(da.dims)}); "
            "WAIC needs one log-likelihood value per observation and draw"
        )
    if da.dtype.kind not in "biuf":
        raise TypeError(f"log-likelihood '{da.name}' must be real-valued, got dtype {da.dtype}")
    empty = [d for d in obs_dims if da.sizes[d] == 0]
    if empty:
        raise ValueError(f"log-likelihood '{da.name}' has no observations (dimension {empty[0]!r} is empty)")
    stacked = da.stack(__sample__=sample_dims).transpose("__sample__", *obs_dims)
    values = np.asarray(stacked.values, dtype=float)
    if values.shape[0] < 2:
        raise ValueError(
            f"log-likelihood '{da.name}' has {values.shape[0]} draw(s); WAIC needs at least 2"
        )
    values = values.reshape(values.shape[0], -1)
    if np.isnan(values).any() or np.isposinf(values).any():
        raise ValueError(
            f"log-likelihood '{da.name}' holds NaN or +inf values; check the model and "
            "recompute it with pm.compute_log_likelihood"
        )
    neginf = np.isneginf(values)
    if neginf.any():
        points = np.flatnonzero(neginf.any(axis=0))
        raise ValueError(
            f"log-likelihood '{da.name}' is -inf at {int(neginf.sum())} value(s) (observation(s) at "
            f"flat position {points[:5].tolist()}): a draw gives the observation zero density, so "
            "WAIC's variance penalty is infinite; check the model, or use az.loo"
        )
    return values, obs_dims


def waic(data, *, group="log_likelihood", var_name=None, sample_dims=("chain", "draw")):
    """Compute the widely applicable information criterion (WAIC) from the pointwise log-likelihood.

    With :math:`S` posterior draws :math:`\\theta^{(s)}` and the log-likelihood
    :math:`\\ell_{si} = \\log p(y_i \\mid \\theta^{(s)})` of each observation,

    .. math::

        \\widehat{\\mathrm{elpd}}_{\\mathrm{waic}, i} = \\log \\frac{1}{S} \\sum_s e^{\\ell_{si}}
        - \\widehat{p}_{\\mathrm{waic}, i}, \\qquad
        \\widehat{p}_{\\mathrm{waic}, i} = \\mathrm{Var}_s(\\ell_{si}),

    summed over observations, with standard error :math:`\\sqrt{n \\, \\mathrm{Var}_i
    (\\widehat{\\mathrm{elpd}}_{\\mathrm{waic}, i})}` (sample variances, ``ddof=1``; NaN for a
    single observation, which has no spread to estimate it from). When
    :math:`\\widehat{p}_{\\mathrm{waic}, i} > 0.4` for some observation the estimate is unreliable
    (Vehtari, Gelman and Gabry, 2017): a ``UserWarning`` says so and ``warning`` is True. PSIS-LOO
    (``az.loo``) is the better estimate of the same quantity and comes with its own diagnostic
    (Pareto :math:`\\hat k`), so use WAIC for comparison with the literature.

    For a mixture the log-likelihood must be the marginal density of each observation (see
    :mod:`mixlab.cv`); ``pm.compute_log_likelihood`` gives it for models built with
    ``pm.NormalMixture`` or ``pm.Mixture``.

    Parameters
    ----------
    data : xarray.DataTree or xarray.Dataset
        Holds the pointwise log-likelihood (``pm.compute_log_likelihood(idata, model=model)``
        adds it). A Dataset is taken to be the log-likelihood group itself.
    group : str, default "log_likelihood"
        Group holding the pointwise log-likelihood.
    var_name : str, optional
        Observed variable to use; required when the group holds more than one.
    sample_dims : sequence of str, default ("chain", "draw")
        Dimensions that index posterior draws; every other dimension indexes observations.

    Returns
    -------
    ELPDDataWAIC
        An ArviZ ``ELPDData`` of kind ``"waic"``: ``elpd``, ``se``, ``p``, ``n_samples``,
        ``n_data_points``, ``warning``, pointwise ``elpd_i`` and ``p_waic_i`` (with the
        observation dims and coords of the log-likelihood), ``var_name`` and ``n_high_variance``
        (observations with ``p_waic_i > 0.4``). ``az.compare`` accepts a dict of them.

    Raises
    ------
    TypeError
        If ``data`` is not a DataTree or Dataset, the log-likelihood is not
        real-valued, or ``var_name`` / ``sample_dims`` / ``group`` have the wrong type.
    ValueError
        If the group or variable is missing, a sample dim is missing, there are fewer than two
        draws or no observation, or the log-likelihood holds NaN, +inf or -inf (an observation
        with zero density at some draw: its variance penalty would be infinite).

    Warns
    -----
    UserWarning
        If any ``p_waic_i`` exceeds 0.4.

    References
    ----------
    Watanabe, S. (2010). Asymptotic equivalence of Bayes cross validation and widely applicable
    information criterion in singular learning theory. *JMLR* 11, 3571-3594.

    Vehtari, A., Gelman, A. and Gabry, J. (2017). Practical Bayesian model evaluation using
    leave-one-out cross-validation and WAIC. *Statistics and Computing* 27, 1413-1432.

    Examples
    --------
    A log-likelihood for 3 observations and 2 x 50 draws, built by hand:

    >>> import numpy as np, xarray as xr
    >>> from mixlab.cv import waic
    >>> rng = np.random.default_rng(0)
    >>> ll = xr.Dataset({"y": (("chain", "draw", "obs"), -1.0 + 0.1 * rng.normal(size=(2, 50, 3)))})
    >>> res = waic(ll)
    >>> round(res.elpd, 2), round(res.p, 3), res.warning, res.kind
    (-3.03, 0.031, False, 'waic')
    >>> res.elpd_i.dims
    ('obs',)
    """
    sample_dims = _check_sample_dims(sample_dims)
    da = _log_likelihood_var(data, group, var_name, name="data")
    values, obs_dims = _checked_values(da, sample_dims)
    obs_shape = tuple(da.sizes[d] for d in obs_dims)
    elpd_i, p_i = _waic_arrays(values)
    n = elpd_i.size
    se = float(np.sqrt(n * np.var(elpd_i, ddof=1))) if n > 1 else float("nan")
    n_high = int(np.sum(p_i > WAIC_VARIANCE_THRESHOLD))
    if n_high:
        warnings.warn(
            f"for {n_high} of {n} observations the posterior variance of the log-likelihood "
            f"exceeds {WAIC_VARIANCE_THRESHOLD} (max {p_i.max():.2f}); WAIC may be unreliable, "
            "use PSIS-LOO (az.loo) instead",
            UserWarning,
            stacklevel=2,
        )
    coords = {d: da.coords[d] for d in obs_dims if d in da.coords}

    def pointwise(arr, name):
        return xr.DataArray(arr.reshape(obs_shape), dims=obs_dims, coords=coords, name=name)

    return ELPDDataWAIC(
        elpd=float(elpd_i.sum()),
        se=se,
        p=float(p_i.sum()),
        n_samples=int(values.shape[0]),
        n_data_points=int(n),
        scale="log",
        warning=bool(n_high),
        good_k=None,
        elpd_i=pointwise(elpd_i, "elpd_i"),
        var_name=str(da.name),
        p_waic_i=pointwise(p_i, "p_waic_i"),
        n_high_variance=n_high,
    )


def elpd_table(results):
    """Put LOO, K-fold and WAIC estimates of several models in one table.

    Parameters
    ----------
    results : dict of str to ELPDData
        Labels mapped to ``az.loo`` / ``az.loo_kfold`` / :func:`kfold` / :func:`waic` results
        (all ArviZ ``ELPDData``).

    Returns
    -------
    pandas.DataFrame
        One row per label, in the given order; columns ``method`` ("loo", "kfold", "waic", or the
        result's ``kind``), ``elpd``, ``se``, ``p``, ``n_data_points``, ``warning`` and, for LOO
        rows, ``max_pareto_k`` and ``n_high_k`` (observations with :math:`\\hat k` above ArviZ's
        threshold ``good_k``; NaN for other methods).

    Raises
    ------
    TypeError
        If ``results`` is not a dict or holds anything but ELPDData.
    ValueError
        If ``results`` is empty.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from mixlab.cv import elpd_table, waic
    >>> rng = np.random.default_rng(0)
    >>> ll = xr.Dataset({"y": (("chain", "draw", "obs"), -1.0 + 0.1 * rng.normal(size=(2, 50, 3)))})
    >>> elpd_table({"K=1": waic(ll)})[["method", "elpd", "p"]].round(2)
        method  elpd     p
    K=1   waic -3.03  0.03
    """
    if not isinstance(results, Mapping):
        raise TypeError(
            f"results must be a dict mapping labels to az.loo / kfold / waic results, "
            f"got {type(results).__name__}"
        )
    if not results:
        raise ValueError("results is empty; pass at least one result, e.g. {'K=2': az.loo(idata)}")
    rows = {}
    for label, res in results.items():
        if not isinstance(res, ELPDData):
            raise TypeError(
                f"results['{label}'] must be an az.loo / az.loo_kfold / mixlab.cv.waic result "
                f"(an ELPDData), got {type(res).__name__}"
            )
        kind = {"loo_kfold": "kfold", None: "elpd"}.get(res.kind, str(res.kind))
        row = {
            "method": kind,
            "elpd": float(res.elpd),
            "se": float(res.se),
            "p": float(res.p),
            "n_data_points": int(res.n_data_points),
            "warning": bool(res.warning),
            "max_pareto_k": np.nan,
            "n_high_k": np.nan,
        }
        if res.pareto_k is not None and res.good_k is not None:
            k_values = np.asarray(res.pareto_k.values)
            row["max_pareto_k"] = float(np.max(k_values))
            row["n_high_k"] = int(np.sum(k_values > res.good_k))
        rows[label] = row
    return pd.DataFrame.from_dict(rows, orient="index")
