"""K-fold cross-validation in one call, and one fit per number of components."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
import pymc as pm
import xarray as xr
from arviz_stats import loo_kfold

from mixlab._validate import check_array, check_int

from ._checks import build, check_builder, check_fit_options, start_values
from ._waic import _log_likelihood_var
from ._wrapper import PyMCSamplingWrapper

__all__ = ["fit_k_range", "kfold"]


def _check_folds(folds, n):
    """``folds`` as an int array of length ``n`` with at least two distinct fold labels."""
    folds = check_array(folds, "folds", ndim=1, dtype=int, shape=(n,))
    labels = np.unique(folds)
    if labels.size < 2:
        raise ValueError(
            f"folds puts every observation in fold {labels[0]}; give at least 2 folds, e.g. 1..k"
        )
    return folds


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
        Start values for each refit, e.g. :func:`mixlab.models.initvals`. Without them PyMC
        starts at its default point, where the ordered means of :mod:`mixlab.models` are
        invalid: the start is checked once on all observations, before any refit, and a start
        with a non-finite log density is a ``ValueError``.
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
        ``[2, n]``, ``folds`` has the wrong length or one fold only, the log density is not finite at
        the start values, or as :class:`PyMCSamplingWrapper`.

    References
    ----------
    Vehtari, Gelman and Gabry (2017), as in :class:`PyMCSamplingWrapper`: K-fold
    cross-validation is their recommendation where importance sampling fails.

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
        folds = _check_folds(folds, n)
    seed = check_int(seed, "seed", minimum=0)
    if not isinstance(pointwise, bool | np.bool_):
        raise TypeError(f"pointwise must be True or False, got {pointwise!r}")
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
        If ``ks`` is empty, has repeats or a value below 1, ``sample_kwargs`` sets ``model`` or ``initvals``, or a
        model's log density is not finite at its start values (checked for every K before
        anything is sampled).

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
    else:
        check_builder(model_builder, "y, K")
    kwargs = check_fit_options(initvals, sample_kwargs, "fit_k_range builds the models")
    built = {K: build(model_builder, (y, K), f"K={K}") for K in ks}
    starts = {K: start_values(model, initvals, f"K={K}") for K, model in built.items()}
    fits = {}
    for K, model in built.items():
        idata = pm.sample(model=model, initvals=starts[K], **kwargs)
        pm.compute_log_likelihood(idata, model=model, progressbar=False)
        fits[K] = idata
    return fits
