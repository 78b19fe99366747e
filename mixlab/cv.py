"""Predictive model comparison for mixtures: WAIC, and K-fold cross-validation for PyMC models.

ArviZ 1.x computes PSIS-LOO (``az.loo``), compares models (``az.compare``) and runs exact K-fold
cross-validation (``az.loo_kfold``) or refits the points where PSIS fails (``az.reloo``) -- but the
last two need a *sampling wrapper* that knows how to refit the model, and PyMC does not ship one.
This module provides it, plus the WAIC that ArviZ 1.x dropped:

- :class:`PyMCSamplingWrapper` -- an ``arviz.SamplingWrapper`` that rebuilds a PyMC model on the
  training observations with a *model builder* (e.g. ``lambda y: mixlab.models.gmm(y, K=3)``),
  samples it, and evaluates the held-out observations' log density under the refitted posterior;
  pass it to ``az.loo_kfold`` or ``az.reloo``;
- :func:`kfold` -- K-fold cross-validation in one call (builds the wrapper, runs ``az.loo_kfold``);
- :func:`waic` -- the widely applicable information criterion from the pointwise log-likelihood,
  with its standard error and the variance check of Vehtari, Gelman and Gabry (2017);
- :func:`elpd_table` -- one pandas table of LOO, K-fold and WAIC estimates side by side;
- :func:`fit_k_range` -- fit one model per number of components, with the pointwise
  log-likelihood that ``az.loo`` and ``az.compare`` need.

**The log-likelihood must be the marginal mixture density.** Every estimate here averages the
*predictive* density of an observation, :math:`p(y_i \\mid \\theta) = \\sum_k w_k f(y_i \\mid
\\theta_k)`, over posterior draws. A model with explicit labels ``z`` has the conditional density
:math:`f(y_i \\mid \\theta_{z_i})` as its likelihood; a held-out point has no label, and the
conditional density of a training point rewards the label it was fitted with, so it cannot serve
for prediction. Build models with :class:`pymc.NormalMixture` / :class:`pymc.Mixture` (as
:mod:`mixlab.models` does), or marginalize the labels first
(``pymc_extras.marginal.marginalize(model, ["z"])``). The wrapper refuses models with discrete free
variables.
"""

from __future__ import annotations

import math
import numbers
import time
import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr
from arviz_stats import loo_kfold
from arviz_stats.loo.wrapper import SamplingWrapper
from arviz_stats.utils import ELPDData
from pymc.model.transform.conditioning import remove_value_transforms
from scipy.special import logsumexp

from mixlab._validate import check_array, check_group, check_int
from mixlab._validate import check_sample_dims as _check_sample_dims

__all__ = ["PyMCSamplingWrapper", "elpd_table", "fit_k_range", "kfold", "waic"]

#: Threshold on the posterior variance of an observation's log-likelihood above which WAIC is
#: unreliable (Vehtari, Gelman and Gabry, 2017, section 2.4).
WAIC_VARIANCE_THRESHOLD = 0.4

#: Sampler settings a :class:`PyMCSamplingWrapper` uses unless told otherwise.
DEFAULT_SAMPLE_KWARGS = {
    "draws": 500,
    "tune": 500,
    "chains": 2,
    "nuts_sampler": "pymc",
    "progressbar": False,
    "compute_convergence_checks": False,
}


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def _log_likelihood_var(data, group, var_name, *, name="idata"):
    """Return the DataArray of the pointwise log-likelihood named ``var_name`` (or the only one)."""
    ds = check_group(data, group, name=name)
    names = list(ds.data_vars)
    if var_name is None:
        if len(names) != 1:
            have = ", ".join(map(str, names)) or "none"
            raise ValueError(
                f"{name}['{group}'] holds {len(names)} variables ({have}); pass var_name=... to pick "
                "the observed variable"
            )
        var_name = names[0]
    elif not isinstance(var_name, str):
        raise TypeError(f"var_name must be a variable name (str) or None, got {var_name!r}")
    elif var_name not in ds.data_vars:
        have = ", ".join(map(str, names)) or "none"
        raise ValueError(
            f"{name}['{group}'] has no variable '{var_name}' (variables: {have}); fix var_name, or "
            "run pm.compute_log_likelihood(idata, model=model) first"
        )
    return ds[var_name]


# ----------------------------------------------------------------------------------------------
# WAIC
# ----------------------------------------------------------------------------------------------


def _waic_arrays(log_lik):
    """Array layer of :func:`waic`: ``log_lik`` has shape (samples, points).

    Returns ``(elpd_i, p_i)``, each of shape (points,).
    """
    n_samples = log_lik.shape[0]
    lppd_i = logsumexp(log_lik, axis=0) - math.log(n_samples)
    p_i = np.var(log_lik, axis=0, ddof=1)
    return lppd_i - p_i, p_i


def waic(data, *, group="log_likelihood", var_name=None, sample_dims=("chain", "draw")):
    """Compute the widely applicable information criterion (WAIC) from the pointwise log-likelihood.

    With :math:`S` posterior draws :math:`\\theta^{(s)}` and the log-likelihood
    :math:`\\ell_{si} = \\log p(y_i \\mid \\theta^{(s)})` of each observation,

    .. math::

        \\widehat{\\mathrm{elpd}}_{\\mathrm{waic}, i} = \\log \\frac{1}{S} \\sum_s e^{\\ell_{si}}
        - \\widehat{p}_{\\mathrm{waic}, i}, \\qquad
        \\widehat{p}_{\\mathrm{waic}, i} = \\mathrm{Var}_s(\\ell_{si}),

    summed over observations, with standard error :math:`\\sqrt{n \\, \\mathrm{Var}_i
    (\\widehat{\\mathrm{elpd}}_{\\mathrm{waic}, i})}` (sample variances, ``ddof=1``). When
    :math:`\\widehat{p}_{\\mathrm{waic}, i} > 0.4` for some observation the estimate is unreliable
    (Vehtari, Gelman and Gabry, 2017): a ``UserWarning`` says so and the ``warning`` attribute is
    True. PSIS-LOO (``az.loo``) is the better estimate of the same quantity and comes with its own
    diagnostic (Pareto :math:`\\hat k`), so use WAIC for comparison with the literature.

    For a mixture the log-likelihood must be the marginal density of each observation (see the
    module docstring); ``pm.compute_log_likelihood`` gives it for models built with
    ``pm.NormalMixture`` or ``pm.Mixture``.

    Parameters
    ----------
    data : xarray.DataTree, arviz.InferenceData or xarray.Dataset
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
    xarray.Dataset
        Scalars ``elpd_waic``, ``se`` and ``p_waic``; pointwise ``elpd_waic_i`` and ``p_waic_i``
        with the observation dims and coords of the log-likelihood. Attributes: ``method``
        ("waic"), ``var_name``, ``n_samples``, ``n_data_points``, ``warning`` (bool) and
        ``n_high_variance`` (observations with ``p_waic_i > 0.4``).

    Raises
    ------
    TypeError
        If ``data`` is not a DataTree, InferenceData or Dataset, or ``var_name`` /
        ``sample_dims`` have the wrong type.
    ValueError
        If the group or variable is missing, a sample dim is missing, there are fewer than two
        draws or no observation dim, or the log-likelihood holds NaN or +inf.

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
    >>> round(float(res["elpd_waic"]), 2), round(float(res["p_waic"]), 3), bool(res.attrs["warning"])
    (-3.03, 0.031, False)
    >>> res["elpd_waic_i"].dims
    ('obs',)
    """
    sample_dims = _check_sample_dims(sample_dims)
    da = _log_likelihood_var(data, group, var_name, name="data")
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
    stacked = da.stack(__sample__=sample_dims).transpose("__sample__", *obs_dims)
    values = np.asarray(stacked.values, dtype=float)
    if values.shape[0] < 2:
        raise ValueError(
            f"log-likelihood '{da.name}' has {values.shape[0]} draw(s); WAIC needs at least 2"
        )
    if np.isnan(values).any() or np.isposinf(values).any():
        raise ValueError(
            f"log-likelihood '{da.name}' holds NaN or +inf values; check the model and "
            "recompute it with pm.compute_log_likelihood"
        )
    obs_shape = values.shape[1:]
    elpd_i, p_i = _waic_arrays(values.reshape(values.shape[0], -1))
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
    res = xr.Dataset(
        {
            "elpd_waic": ((), float(elpd_i.sum())),
            "se": ((), se),
            "p_waic": ((), float(p_i.sum())),
            "elpd_waic_i": (obs_dims, elpd_i.reshape(obs_shape)),
            "p_waic_i": (obs_dims, p_i.reshape(obs_shape)),
        },
        coords=coords,
        attrs={
            "method": "waic",
            "var_name": str(da.name),
            "n_samples": int(values.shape[0]),
            "n_data_points": int(n),
            "warning": bool(n_high),
            "n_high_variance": n_high,
        },
    )
    return res


# ----------------------------------------------------------------------------------------------
# K-fold cross-validation
# ----------------------------------------------------------------------------------------------


def _check_fit_options(initvals, sample_kwargs, who):
    """Validate the start values and pm.sample arguments of a refitting routine; return the kwargs."""
    if initvals is not None and not (isinstance(initvals, Mapping) or callable(initvals)):
        raise TypeError(
            "initvals must be a dict of start values or a callable model -> dict such as "
            f"mixlab.models.initvals, got {type(initvals).__name__}"
        )
    if sample_kwargs is None:
        sample_kwargs = {}
    if not isinstance(sample_kwargs, Mapping):
        raise TypeError(
            f"sample_kwargs must be a dict of pm.sample arguments, got {type(sample_kwargs).__name__}"
        )
    if "model" in sample_kwargs or "initvals" in sample_kwargs:
        raise ValueError(
            f"sample_kwargs must not set model or initvals; {who} and takes start values from "
            "initvals=..."
        )
    return sample_kwargs


def _check_builder(model_builder):
    if not callable(model_builder):
        raise TypeError(
            "model_builder must be a callable that takes the training data and returns a "
            f"pymc.Model, e.g. lambda y: mixlab.models.gmm(y, K=3); got {type(model_builder).__name__}"
        )
    return model_builder


def _build(model_builder, y, what):
    model = model_builder(y)
    if not isinstance(model, pm.Model):
        raise TypeError(
            f"model_builder must return a pymc.Model, got {type(model).__name__} for the {what}; "
            "return the model, e.g. lambda y: mixlab.models.gmm(y, K=3)"
        )
    return model


def _check_observed(model, var_name):
    """Return the observed variable's name and first dim; refuse latent-label models."""
    observed = [rv.name for rv in model.observed_RVs]
    if var_name is None:
        if len(observed) != 1:
            raise ValueError(
                f"the model has {len(observed)} observed variables ({', '.join(observed) or 'none'}); "
                "pass var_name=... to pick one"
            )
        var_name = observed[0]
    elif not isinstance(var_name, str):
        raise TypeError(f"var_name must be a variable name (str) or None, got {var_name!r}")
    elif var_name not in observed:
        raise ValueError(
            f"the model has no observed variable '{var_name}' (observed: "
            f"{', '.join(observed) or 'none'}); fix var_name"
        )
    discrete = [rv.name for rv in model.free_RVs if rv.type.dtype.startswith(("int", "uint", "bool"))]
    if discrete:
        raise ValueError(
            f"the model has discrete free variables {discrete}: its likelihood is conditional on "
            "the labels, not the mixture density a held-out point needs; marginalize them with "
            "pymc_extras.marginal.marginalize(model, [...]) or use pm.NormalMixture / pm.Mixture"
        )
    dims = model.named_vars_to_dims.get(var_name)
    obs_dim = dims[0] if dims else f"{var_name}_dim_0"
    return var_name, obs_dim


class PyMCSamplingWrapper(SamplingWrapper):
    """Refit a PyMC model on subsets of the data, for ``az.loo_kfold`` and ``az.reloo``.

    ArviZ's exact cross-validation functions call four methods: :meth:`sel_observations` splits
    the data into training and held-out observations, :meth:`sample` rebuilds the model on the
    training observations with ``model_builder`` and samples it, :meth:`get_inference_data`
    returns the posterior, and :meth:`log_likelihood__i` evaluates the held-out observations'
    log density at every posterior draw. ArviZ then averages the density over draws on the log
    scale (log-mean-exp), which gives the held-out log predictive density.

    The held-out log density comes from the model built on *all* observations (once, when the
    wrapper is created), evaluated at the refitted posterior's draws. For a mixture built with
    ``pm.NormalMixture`` or ``pm.Mixture`` this is the marginal density
    :math:`\\log \\sum_k w_k f(y_i \\mid \\theta_k)`, computed by PyMC with a log-sum-exp over
    components, so far-out points do not underflow. Priors do not enter it, so a builder whose
    priors depend on the data (as :mod:`mixlab.models`' do) is fine; the *likelihood* must depend
    on the data only through the observed values.

    Parameters
    ----------
    model_builder : callable
        ``model_builder(y_train) -> pymc.Model``; called with a subset of the rows of ``y``.
        The model's free variables must not depend on the number of observations (no
        per-observation latent variables; see the module docstring).
    y : array_like, optional
        All observations, one row per observation (shape ``(n,)`` or ``(n, d)``). Default: the
        observed variable in ``idata_orig["observed_data"]``.
    idata_orig : xarray.DataTree, optional
        The fit on all observations (with a ``log_likelihood`` group for ``az.reloo``, which
        reads its Pareto k values; ``az.loo_kfold`` takes it as its own argument).
    var_name : str, optional
        Observed variable; default the model's only one.
    initvals : dict or callable, optional
        Start values for every refit: a dict, or ``initvals(model) -> dict`` such as
        :func:`mixlab.models.initvals` (needed for models with ordered means).
    sample_kwargs : dict, optional
        Passed to :func:`pymc.sample` on top of :data:`DEFAULT_SAMPLE_KWARGS` (500 draws, 500
        tuning steps, 2 chains, PyMC's NUTS, no progress bar, no convergence warnings -- the
        wrapper records the diagnostics of every refit in :attr:`fits` instead). Include
        ``random_seed`` for reproducible refits; every refit uses the same seed.

    Attributes
    ----------
    model : pymc.Model
        The model built on all observations, used to evaluate held-out log densities.
    fits : list of dict
        One entry per refit: ``n_train``, ``n_test``, ``seconds``, ``divergences``, ``rhat_max``.

    Raises
    ------
    TypeError
        If ``model_builder`` is not callable or does not return a ``pymc.Model``,
        ``sample_kwargs`` is not a dict or ``initvals`` is neither a dict nor callable.
    ValueError
        If neither ``y`` nor ``idata_orig`` gives the observations, the model has no such
        observed variable or has discrete free variables, or ``sample_kwargs`` sets ``model``.

    See Also
    --------
    kfold : K-fold cross-validation in one call.

    References
    ----------
    Vehtari, A., Gelman, A. and Gabry, J. (2017). Practical Bayesian model evaluation using
    leave-one-out cross-validation and WAIC. *Statistics and Computing* 27, 1413-1432.

    Examples
    --------
    Splitting needs no sampling:

    >>> import numpy as np
    >>> from mixlab.cv import PyMCSamplingWrapper
    >>> from mixlab.models import gmm, initvals
    >>> y = np.array([-2.1, -1.9, -2.4, 2.8, 3.1, 3.3, 2.9, -2.0])
    >>> wrapper = PyMCSamplingWrapper(lambda y: gmm(y, K=2), y, initvals=initvals)
    >>> train, test = wrapper.sel_observations(np.array([0, 3]))
    >>> train["y"].shape, test["y"]
    ((6,), array([-2.1,  2.8]))

    With a fit ``idata`` of the same model on ``y`` (not run here: it samples once per fold)::

        import arviz as az
        result = az.loo_kfold(idata, wrapper, k=4, pointwise=True)
    """

    def __init__(
        self,
        model_builder: Callable,
        y=None,
        idata_orig=None,
        *,
        var_name: str | None = None,
        initvals=None,
        sample_kwargs: Mapping | None = None,
    ):
        self.model_builder = _check_builder(model_builder)
        if y is None:
            if idata_orig is None:
                raise ValueError(
                    "pass the observations as y=..., or idata_orig=... with an observed_data group"
                )
            obs = check_group(idata_orig, "observed_data", name="idata_orig")
            name = var_name
            if name is None:
                if len(obs.data_vars) != 1:
                    raise ValueError(
                        "idata_orig['observed_data'] holds several variables; pass var_name=..."
                    )
                name = next(iter(obs.data_vars))
            if name not in obs.data_vars:
                raise ValueError(
                    f"idata_orig['observed_data'] has no variable '{name}'; fix var_name or pass y"
                )
            y = obs[name].values
        y = check_array(y, "y", ndim=(1, 2), min_size=2)
        if y.shape[0] < 2:
            raise ValueError(f"y must hold at least 2 observations (rows), got {y.shape[0]}")
        sample_kwargs = _check_fit_options(initvals, sample_kwargs, "the wrapper builds the model")
        model = _build(self.model_builder, y, "full data")
        self.var_name, self.obs_dim = _check_observed(model, var_name)
        self.y = y
        self.model = model
        self.initvals = initvals
        super().__init__(
            model=model,
            idata_orig=idata_orig,
            sample_kwargs={**DEFAULT_SAMPLE_KWARGS, **dict(sample_kwargs)},
        )
        self.fits: list[dict] = []
        self._loglik_fn = None

    # -- the four methods ArviZ calls ----------------------------------------------------------

    def sel_observations(self, idx):
        """Split the observations into training data and the held-out ones at ``idx``.

        Parameters
        ----------
        idx : int or array_like of int
            Positions (0-based) of the held-out observations.

        Returns
        -------
        train, test : dict
            ``{"y": rows of y, "index": their positions}`` for the training and held-out sets.
        """
        n = self.y.shape[0]
        test = np.atleast_1d(np.asarray(idx))
        if test.dtype.kind not in "iu" or test.ndim != 1:
            raise TypeError(f"idx must be an integer position or 1-D array of positions, got {idx!r}")
        if test.size == 0 or test.min() < 0 or test.max() >= n:
            raise ValueError(f"idx must hold positions in [0, {n - 1}], got {test.tolist()}")
        train = np.setdiff1d(np.arange(n), test)
        if train.size == 0:
            raise ValueError("idx holds out every observation; nothing is left to fit the model to")
        return {"y": self.y[train], "index": train}, {"y": self.y[test], "index": test}

    def sample(self, modified_observed_data):
        """Build the model on the training data and sample it; returns the DataTree."""
        y_train = modified_observed_data["y"]
        model = _build(self.model_builder, y_train, "training data")
        start = self.initvals(model) if callable(self.initvals) else self.initvals
        tic = time.perf_counter()
        idata = pm.sample(model=model, initvals=start, **self.sample_kwargs)
        seconds = time.perf_counter() - tic
        self.fits.append(
            {
                "n_train": int(y_train.shape[0]),
                "seconds": seconds,
                "divergences": int(idata["sample_stats"]["diverging"].sum())
                if "sample_stats" in idata.children
                else 0,
                "rhat_max": _rhat_max(idata),
            }
        )
        return idata

    def get_inference_data(self, fitted_model):
        """Return the refit's posterior (``sample`` already returns a DataTree)."""
        return fitted_model

    def log_likelihood__i(self, excluded_obs, idata__i):
        """Log density of the held-out observations at every draw of the refitted posterior.

        Returns
        -------
        xarray.DataArray
            Dims ``(chain, draw, obs)`` (the observed variable's dim), one entry per held-out
            observation, in the order of ``excluded_obs["index"]``.
        """
        index = np.atleast_1d(excluded_obs["index"])
        full = self._pointwise_log_lik(idata__i)
        if self.fits:
            self.fits[-1]["n_test"] = int(index.size)
        return full.isel({self.obs_dim: index})

    # -- helpers ---------------------------------------------------------------------------------

    def _pointwise_log_lik(self, idata):
        """Log-likelihood of every observation of ``self.y`` at every draw of ``idata``."""
        posterior = check_group(idata, "posterior", name="idata")
        if self._loglik_fn is None:
            umodel = remove_value_transforms(self.model)
            out = umodel.logp(vars=[umodel[self.var_name]], sum=False)[0]
            self._loglik_fn = umodel.compile_fn(
                inputs=umodel.value_vars, outs=out, on_unused_input="ignore"
            )
            self._free_names = [rv.name for rv in self.model.free_RVs]
        missing = [v for v in self._free_names if v not in posterior.data_vars]
        if missing:
            raise ValueError(
                f"the refitted posterior lacks {missing}; model_builder must build the same "
                "free variables for every subset of the data"
            )
        n_chain, n_draw = posterior.sizes["chain"], posterior.sizes["draw"]
        arrays = {v: posterior[v].transpose("chain", "draw", ...).values for v in self._free_names}
        n = self.y.shape[0]
        out = np.empty((n_chain, n_draw, n))
        for c in range(n_chain):
            for d in range(n_draw):
                out[c, d] = self._loglik_fn({v: a[c, d] for v, a in arrays.items()})
        obs_coords = self.model.coords.get(self.obs_dim)
        coords = {
            "chain": posterior["chain"].values,
            "draw": posterior["draw"].values,
            self.obs_dim: np.asarray(obs_coords) if obs_coords is not None else np.arange(n),
        }
        return xr.DataArray(out, dims=("chain", "draw", self.obs_dim), coords=coords, name=self.var_name)

    def fit_report(self) -> pd.DataFrame:
        """Return the diagnostics of every refit so far as a DataFrame (one row per refit)."""
        return pd.DataFrame(self.fits, columns=["n_train", "n_test", "seconds", "divergences", "rhat_max"])


def _rhat_max(idata):
    """Largest R-hat over the posterior's variables, leaving out those that are constant over the
    draws (a one-component fit's weight: R-hat 0/0), as :func:`mixlab.timing.efficiency_table` does."""
    import arviz as az

    from mixlab.timing import _reduce, _varying

    ds = check_group(idata, "posterior")
    return _reduce(az.rhat(ds[_varying(ds)]), np.max)


def kfold(
    idata,
    model_builder,
    *,
    k=10,
    folds=None,
    var_name=None,
    initvals=None,
    sample_kwargs=None,
    seed=0,
    pointwise=True,
):
    """Estimate the expected log predictive density by exact K-fold cross-validation.

    Splits the observations into ``k`` folds at random (or as ``folds`` says), refits the model
    on all folds but one with ``model_builder`` and evaluates the held-out fold's marginal log
    predictive density, :math:`\\log \\frac1S \\sum_s p(y_i \\mid \\theta^{(s)}_{-\\mathrm{fold}})`.
    A thin front end to ``az.loo_kfold`` with a :class:`PyMCSamplingWrapper`; it costs ``k``
    refits, so use few folds with a slow model.

    Parameters
    ----------
    idata : xarray.DataTree
        The fit of the same model on all observations, with ``observed_data`` and
        ``log_likelihood`` groups (``pm.compute_log_likelihood``); ArviZ uses the latter for the
        effective number of parameters ``p_kfold``.
    model_builder : callable
        ``model_builder(y_train) -> pymc.Model``, e.g. ``lambda y: mixlab.models.gmm(y, K=3)``.
    k : int, default 10
        Number of folds, between 2 and the number of observations.
    folds : array_like of int, optional
        Fold of every observation (values 1..k); overrides ``k`` and ``seed``.
    var_name : str, optional
        Observed variable; default the only one.
    initvals : dict or callable, optional
        Start values for each refit, e.g. :func:`mixlab.models.initvals`.
    sample_kwargs : dict, optional
        Extra :func:`pymc.sample` arguments for each refit (see :class:`PyMCSamplingWrapper`).
    seed : int, default 0
        Seed of the random split into folds.
    pointwise : bool, default True
        Keep the pointwise values ``elpd_i`` and ``p_kfold_i``.

    Returns
    -------
    arviz_stats.utils.ELPDDataLOOKFold
        ArviZ's K-fold result: ``elpd``, ``se``, ``p``, ``n_folds`` and, when ``pointwise``,
        ``elpd_i`` (dims ``obs``). It prints as a table and ``az.compare`` accepts it.

    Raises
    ------
    TypeError
        If ``k`` is not an integer, or as :class:`PyMCSamplingWrapper`.
    ValueError
        If ``idata`` lacks the ``observed_data`` or ``log_likelihood`` group, ``k`` is outside
        ``[2, n]``, or as :class:`PyMCSamplingWrapper`.

    References
    ----------
    Vehtari, A., Gelman, A. and Gabry, J. (2017). Practical Bayesian model evaluation using
    leave-one-out cross-validation and WAIC. *Statistics and Computing* 27, 1413-1432.

    Examples
    --------
    Refitting is too slow for a doctest; a typical call is::

        from mixlab.models import gmm, initvals
        res = kfold(idata, lambda y: gmm(y, K=3), k=5, initvals=initvals,
                    sample_kwargs={"random_seed": 1})
        res.elpd, res.se, res.elpd_i.sizes

    Input errors are reported before anything is sampled:

    >>> import numpy as np, xarray as xr
    >>> from mixlab.cv import kfold
    >>> kfold(xr.DataTree(), lambda y: None, k=3)
    Traceback (most recent call last):
    ...
    ValueError: idata has no group 'log_likelihood' (groups: none); run pm.compute_log_likelihood(idata, model=model) first
    """
    if not isinstance(idata, xr.DataTree) or "log_likelihood" not in idata.children:
        have = ", ".join(sorted(idata.children)) if isinstance(idata, xr.DataTree) else None
        if have is None:
            raise TypeError(
                f"idata must be the xarray.DataTree of the full-data fit, got {type(idata).__name__}"
            )
        raise ValueError(
            f"idata has no group 'log_likelihood' (groups: {have or 'none'}); run "
            "pm.compute_log_likelihood(idata, model=model) first"
        )
    ll = _log_likelihood_var(idata, "log_likelihood", var_name)
    n = int(np.prod([ll.sizes[d] for d in ll.dims if d not in ("chain", "draw")]))
    if folds is None:
        k = check_int(k, "k", minimum=2, maximum=n)
    else:
        folds = check_array(folds, "folds", ndim=1, dtype=int, shape=(n,))
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    wrapper = PyMCSamplingWrapper(
        model_builder,
        idata_orig=idata,
        var_name=var_name,
        initvals=initvals,
        sample_kwargs=sample_kwargs,
    )
    return loo_kfold(
        idata,
        wrapper,
        pointwise=pointwise,
        var_name=wrapper.var_name,
        k=k,
        folds=folds,
        seed=int(seed),
    )


# ----------------------------------------------------------------------------------------------
# one fit per K
# ----------------------------------------------------------------------------------------------


def fit_k_range(y, ks, *, model_builder=None, initvals=None, sample_kwargs=None):
    """Fit one mixture per number of components and add each fit's pointwise log-likelihood.

    The loop behind a comparison over K: for each ``K`` build the model, sample it, and run
    ``pm.compute_log_likelihood`` so that ``az.loo`` / ``az.compare`` / :func:`waic` can use the
    fit::

        for K in ks:
            model = model_builder(y, K)
            idata = pm.sample(model=model, initvals=initvals(model), **sample_kwargs)
            pm.compute_log_likelihood(idata, model=model, progressbar=False)

    Parameters
    ----------
    y : array_like
        Observations (as the builder expects them; 1-D for :func:`mixlab.models.gmm`).
    ks : sequence of int
        Numbers of components, each at least 1, without repeats.
    model_builder : callable, optional
        ``model_builder(y, K) -> pymc.Model``; default :func:`mixlab.models.gmm`.
    initvals : dict, callable or None, optional
        Start values: a callable ``initvals(model) -> dict``, a dict, or None. Default
        :func:`mixlab.models.initvals` when ``model_builder`` is the default, else None.
    sample_kwargs : dict, optional
        :func:`pymc.sample` arguments on top of :data:`DEFAULT_SAMPLE_KWARGS`; include
        ``random_seed`` for reproducible fits.

    Returns
    -------
    dict of int to xarray.DataTree
        One fit per K, in the order of ``ks``, each with a ``log_likelihood`` group.

    Raises
    ------
    TypeError
        If ``ks`` holds non-integers, ``model_builder`` is not callable or does not return a
        ``pymc.Model``, ``initvals`` has the wrong type or ``sample_kwargs`` is not a dict.
    ValueError
        If ``ks`` is empty, has repeats or a value below 1, or ``sample_kwargs`` sets ``model``
        or ``initvals``.

    Examples
    --------
    Fitting is too slow for a doctest; a typical call is::

        fits = fit_k_range(y, [1, 2, 3], sample_kwargs={"random_seed": 1})
        az.compare({f"K={K}": idata for K, idata in fits.items()}, round_to=2)

    Input errors are reported before anything is sampled:

    >>> from mixlab.cv import fit_k_range
    >>> fit_k_range([0.1, 0.5, 2.0], [2, 2])
    Traceback (most recent call last):
    ...
    ValueError: ks must not repeat a value, got [2, 2]
    """
    if isinstance(ks, numbers.Integral) or not isinstance(ks, Sequence | np.ndarray):
        raise TypeError(f"ks must be a sequence of numbers of components such as [1, 2, 3], got {ks!r}")
    ks = [check_int(k, "each K in ks", minimum=1) for k in ks]
    if not ks:
        raise ValueError("ks is empty; pass the numbers of components to fit, e.g. [1, 2, 3]")
    if len(set(ks)) != len(ks):
        raise ValueError(f"ks must not repeat a value, got {ks}")
    if model_builder is None:
        from mixlab import models

        model_builder = models.gmm
        if initvals is None:
            initvals = models.initvals
    elif not callable(model_builder):
        raise TypeError(
            f"model_builder must be a callable (y, K) -> pymc.Model, got {type(model_builder).__name__}"
        )
    sample_kwargs = _check_fit_options(initvals, sample_kwargs, "fit_k_range builds the models")
    kwargs = {**DEFAULT_SAMPLE_KWARGS, **dict(sample_kwargs)}
    fits = {}
    for K in ks:
        model = model_builder(y, K)
        if not isinstance(model, pm.Model):
            raise TypeError(
                f"model_builder must return a pymc.Model, got {type(model).__name__} for K={K}"
            )
        start = initvals(model) if callable(initvals) else initvals
        idata = pm.sample(model=model, initvals=start, **kwargs)
        pm.compute_log_likelihood(idata, model=model, progressbar=False)
        fits[K] = idata
    return fits


# ----------------------------------------------------------------------------------------------
# tables
# ----------------------------------------------------------------------------------------------


def elpd_table(results):
    """Put LOO, K-fold and WAIC estimates of several models in one table.

    Parameters
    ----------
    results : dict of str to ELPDData or xarray.Dataset
        Labels mapped to ``az.loo`` / ``az.loo_kfold`` / :func:`kfold` results (ArviZ ``ELPDData``)
        or :func:`waic` results.

    Returns
    -------
    pandas.DataFrame
        One row per label, in the given order; columns ``method`` ("loo", "kfold" or "waic"),
        ``elpd``, ``se``, ``p``, ``n_data_points``, ``warning`` and, for LOO rows,
        ``max_pareto_k`` and ``n_high_k`` (observations with :math:`\\hat k` above ArviZ's
        threshold ``good_k``; NaN for other methods).

    Raises
    ------
    TypeError
        If ``results`` is not a dict or holds anything but ELPDData and :func:`waic` results.
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
        if isinstance(res, xr.Dataset) and res.attrs.get("method") == "waic":
            rows[label] = {
                "method": "waic",
                "elpd": float(res["elpd_waic"]),
                "se": float(res["se"]),
                "p": float(res["p_waic"]),
                "n_data_points": int(res.attrs["n_data_points"]),
                "warning": bool(res.attrs["warning"]),
                "max_pareto_k": np.nan,
                "n_high_k": np.nan,
            }
        elif isinstance(res, ELPDData):
            kind = "kfold" if res.kind == "loo_kfold" else str(res.kind)
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
        else:
            raise TypeError(
                f"results['{label}'] must be an az.loo / az.loo_kfold result or a mixlab.cv.waic "
                f"Dataset, got {type(res).__name__}"
            )
    return pd.DataFrame.from_dict(rows, orient="index")
