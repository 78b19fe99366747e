"""The PyMC sampling wrapper that ArviZ's exact cross-validation (``loo_kfold``, ``reloo``) needs."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr
from arviz_stats.loo.wrapper import SamplingWrapper

from mixlab._labelled import extreme, varying
from mixlab._validate import check_array, check_group, optional_group

from ._checks import build, check_builder, check_fit_options, check_observed, start_values

__all__ = ["PyMCSamplingWrapper"]


def _observations(y, idata_orig, var_name):
    """``y`` as a checked array, taken from ``idata_orig['observed_data']`` when not given."""
    if y is None:
        if idata_orig is None:
            raise ValueError("pass the observations as y=..., or idata_orig=... with an observed_data group")
        obs = check_group(idata_orig, "observed_data", name="idata_orig")
        name = var_name
        if name is None:
            if len(obs.data_vars) != 1:
                raise ValueError("idata_orig['observed_data'] holds several variables; pass var_name=...")
            name = next(iter(obs.data_vars))
        if name not in obs.data_vars:
            raise ValueError(f"idata_orig['observed_data'] has no variable '{name}'; fix var_name or pass y")
        y = obs[name].values
    y = check_array(y, "y", ndim=(1, 2), min_size=2)
    if y.shape[0] < 2:
        raise ValueError(f"y must hold at least 2 observations (rows), got {y.shape[0]}")
    return y


def _rhat_max(idata):
    """Largest R-hat over the posterior's variables, leaving out those that are constant over the
    draws (a one-component fit's weight: R-hat 0/0), as :func:`mixlab.timing.efficiency_table` does."""
    ds = check_group(idata, "posterior")
    return extreme(az.rhat(ds[varying(ds)]), "max")[0]


class PyMCSamplingWrapper(SamplingWrapper):
    """Refit a PyMC model on subsets of the data, for ``az.loo_kfold`` and ``az.reloo``.

    ArviZ's exact cross-validation functions call four methods: :meth:`sel_observations` splits
    the data into training and held-out observations, :meth:`sample` rebuilds the model on the
    training observations with ``model_builder`` and samples it, :meth:`get_inference_data`
    returns the posterior, and :meth:`log_likelihood__i` evaluates the held-out observations'
    log density at every posterior draw. ArviZ then averages the density over draws on the log
    scale (log-mean-exp), which gives the held-out log predictive density.

    The held-out log density comes from the model built on *all* observations (once, when the
    wrapper is created), evaluated at the refitted posterior's draws by
    ``pm.compute_log_likelihood``. For a mixture built with
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
        :func:`mixlab.models.initvals` (needed for models with ordered means). The model's log
        density is checked at the start once, on all observations: a start where it is not
        finite (PyMC's default start of ordered means) is a ``ValueError`` here, not a sampling
        error inside ``az.loo_kfold``.
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
        observed variable or has discrete free variables, its log density is not finite at the
        start values, or ``sample_kwargs`` sets ``model``.

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
        self.model_builder = check_builder(model_builder)
        self.y = _observations(y, idata_orig, var_name)
        sample_kwargs = check_fit_options(initvals, sample_kwargs, "the wrapper builds the model")
        self.model = build(self.model_builder, (self.y,), "the full data")
        self.var_name, self.obs_dim = check_observed(self.model, var_name)
        start_values(self.model, initvals, "the full data")
        self.initvals = initvals
        super().__init__(model=self.model, idata_orig=idata_orig, sample_kwargs=sample_kwargs)
        self.fits: list[dict] = []

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
        model = build(self.model_builder, (y_train,), "the training data")
        start = self.initvals(model) if callable(self.initvals) else self.initvals
        tic = time.perf_counter()
        idata = pm.sample(model=model, initvals=start, **self.sample_kwargs)
        seconds = time.perf_counter() - tic
        stats = optional_group(idata, "sample_stats", name="the refit") or {}
        self.fits.append({
            "n_train": int(y_train.shape[0]),
            "seconds": seconds,
            "divergences": int(stats["diverging"].sum()) if "diverging" in stats else 0,
            "rhat_max": _rhat_max(idata),
        })
        return idata

    def get_inference_data(self, fitted_model):
        """Return the refit's posterior (``sample`` already returns a DataTree)."""
        return fitted_model

    def log_likelihood__i(self, excluded_obs, idata__i):
        """Log density of the held-out observations at every draw of the refitted posterior.

        ``pm.compute_log_likelihood`` with the model built on all observations, at the draws of
        ``idata__i``, restricted to the held-out positions.

        Returns
        -------
        xarray.DataArray
            Dims ``(chain, draw, obs)`` (the observed variable's dim), one entry per held-out
            observation, in the order of ``excluded_obs["index"]``.
        """
        index = np.atleast_1d(excluded_obs["index"])
        posterior = check_group(idata__i, "posterior", name="idata__i")
        free = [rv.name for rv in self.model.free_RVs]
        missing = [v for v in free if v not in posterior.data_vars]
        if missing:
            raise ValueError(
                f"the refitted posterior lacks {missing}; model_builder must build the same "
                "free variables for every subset of the data"
            )
        ll = pm.compute_log_likelihood(
            xr.DataTree.from_dict({"posterior": posterior[free]}), var_names=[self.var_name],
            model=self.model, extend_inferencedata=False, progressbar=False,
        )[self.var_name]
        if self.fits:
            self.fits[-1]["n_test"] = int(index.size)
        return ll.isel({self.obs_dim: index})

    def fit_report(self) -> pd.DataFrame:
        """Return the diagnostics of every refit so far as a DataFrame (one row per refit)."""
        return pd.DataFrame(self.fits, columns=["n_train", "n_test", "seconds", "divergences", "rhat_max"])
