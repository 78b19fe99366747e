"""Tests for mixlab.cv: WAIC, the PyMC sampling wrapper for ArviZ's K-fold / reloo, and elpd_table."""

from __future__ import annotations

import warnings

import arviz as az
import hypothesis.extra.numpy as hnp
import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr
from _shared import evaluate_only
from arviz_stats.utils import ELPDData
from hypothesis import given, settings
from hypothesis import strategies as st
from pymc.distributions.transforms import Ordered
from scipy.special import logsumexp
from scipy.stats import norm

from mixlab.cv import ELPDDataWAIC, PyMCSamplingWrapper, elpd_table, fit_k_range, kfold, waic
from mixlab.cv._wrapper import _rhat_max
from mixlab.models import gmm, initvals, latent_gmm

SAMPLE = {"draws": 200, "tune": 200, "chains": 2, "random_seed": 11}


def _ll_dataset(values, obs_dim="obs"):
    return xr.Dataset({"y": (("chain", "draw", obs_dim), values)})


def _gmm_posterior(n_chain=2, n_draw=30, seed=0):
    """A synthetic K=2 posterior with mixlab's variable names."""
    rng = np.random.default_rng(seed)
    w0 = rng.uniform(0.3, 0.7, (n_chain, n_draw))
    w = np.stack([w0, 1 - w0], axis=-1)
    mu = np.stack([rng.normal(-2, 0.1, (n_chain, n_draw)), rng.normal(3, 0.1, (n_chain, n_draw))], -1)
    sigma = rng.uniform(0.8, 1.2, (n_chain, n_draw, 2))
    dims = ("chain", "draw", "component")
    post = xr.Dataset({"w": (dims, w), "mu": (dims, mu), "sigma": (dims, sigma)},
                      coords={"chain": np.arange(n_chain), "draw": np.arange(n_draw),
                              "component": [0, 1]})
    return xr.DataTree.from_dict({"posterior": post})


# ----------------------------------------------------------------------------------------------
# WAIC
# ----------------------------------------------------------------------------------------------


def test_waic_matches_the_formula():
    rng = np.random.default_rng(1)
    ll = -1.0 + 0.3 * rng.normal(size=(2, 40, 5))
    res = waic(_ll_dataset(ll))
    flat = ll.reshape(80, 5)
    lppd = logsumexp(flat, axis=0) - np.log(80)
    p = flat.var(axis=0, ddof=1)
    np.testing.assert_allclose(res["elpd_waic_i"].values, lppd - p)
    np.testing.assert_allclose(res["p_waic_i"].values, p)
    assert float(res["elpd_waic"]) == pytest.approx((lppd - p).sum())
    assert float(res["p_waic"]) == pytest.approx(p.sum())
    assert float(res["se"]) == pytest.approx(np.sqrt(5 * np.var(lppd - p, ddof=1)))
    assert res.attrs["n_samples"] == 80 and res.attrs["n_data_points"] == 5
    assert res.attrs["method"] == "waic" and res.attrs["var_name"] == "y"


def test_waic_constant_log_likelihood_has_no_penalty():
    ll = np.broadcast_to(np.array([-1.0, -2.0, -3.0]), (2, 10, 3)).copy()
    res = waic(_ll_dataset(ll))
    assert float(res["p_waic"]) == pytest.approx(0.0, abs=1e-12)
    assert float(res["elpd_waic"]) == pytest.approx(-6.0)


def test_waic_is_invariant_to_the_order_of_draws():
    rng = np.random.default_rng(2)
    ll = rng.normal(-2, 0.4, size=(2, 25, 7))
    shuffled = rng.permutation(ll.reshape(50, 7)).reshape(2, 25, 7)
    a, b = waic(_ll_dataset(ll)), waic(_ll_dataset(shuffled))
    np.testing.assert_allclose(a["elpd_waic_i"].values, b["elpd_waic_i"].values)


def test_waic_keeps_observation_dims_and_coords():
    rng = np.random.default_rng(3)
    ds = xr.Dataset(
        {"y": (("chain", "draw", "row", "col"), rng.normal(-1, 0.1, (2, 20, 3, 2)))},
        coords={"row": ["a", "b", "c"], "col": [10, 20]},
    )
    res = waic(ds)
    assert res["elpd_waic_i"].dims == ("row", "col")
    assert list(res.elpd_i["row"].values) == ["a", "b", "c"]
    assert res.p_waic_i.dims == ("row", "col") and list(res.p_waic_i["col"].values) == [10, 20]
    assert res.attrs["n_data_points"] == 6


def test_waic_warns_on_high_variance():
    rng = np.random.default_rng(4)
    ll = np.concatenate([rng.normal(-1, 0.1, (2, 50, 4)), rng.normal(-5, 2.0, (2, 50, 1))], axis=-1)
    with pytest.warns(UserWarning, match=r"1 of 5 observations .* exceeds 0.4"):
        res = waic(_ll_dataset(ll))
    assert res.attrs["warning"] is True and res.attrs["n_high_variance"] == 1


def test_waic_does_not_warn_when_variance_is_small():
    rng = np.random.default_rng(5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = waic(_ll_dataset(rng.normal(-1, 0.1, (2, 50, 4))))
    assert res.attrs["warning"] is False


def test_waic_agrees_with_loo_on_a_well_behaved_model():
    """Normal model, known scale, conjugate posterior draws: WAIC and PSIS-LOO nearly coincide."""
    rng = np.random.default_rng(6)
    y = rng.normal(1.0, 1.0, 100)
    post_mu = rng.normal(y.mean(), 1 / np.sqrt(y.size), size=(2, 500))
    ll = norm.logpdf(y[None, None, :], loc=post_mu[..., None], scale=1.0)
    tree = xr.DataTree.from_dict({
        "posterior": xr.Dataset({"mu": (("chain", "draw"), post_mu)}),
        "log_likelihood": _ll_dataset(ll),
    })
    res = waic(tree)
    loo = az.loo(tree)
    assert float(res["elpd_waic"]) == pytest.approx(loo.elpd, abs=0.2)
    # one parameter, but p_waic = sum_i Var_s log p(y_i | mu_s) = n Var_s(mu) * mean_i (y_i - mu)^2 + O(1/n):
    # about the sample variance of y (1 +- 0.14 for n = 100, so not 1 +- 0.3 for every seed); the draws'
    # variance carries a relative Monte Carlo error of sqrt(2 / S) = 0.045, and 0.2 is 4.5 of those
    assert float(res["p_waic"]) == pytest.approx(np.var(y), rel=0.2)


def test_waic_picks_var_name():
    rng = np.random.default_rng(7)
    ds = xr.Dataset({"a": (("chain", "draw", "obs"), rng.normal(size=(2, 10, 3))),
                     "b": (("chain", "draw", "obs"), rng.normal(-1, 0.1, (2, 10, 3)))})
    res = waic(ds, var_name="b")
    assert res.attrs["var_name"] == "b"


@pytest.mark.parametrize(
    ("data", "kwargs", "exc", "match"),
    [
        ([1, 2, 3], {}, TypeError, "must be an xarray.DataTree"),
        (xr.DataTree(), {}, ValueError, "has no group 'log_likelihood'"),
        (xr.Dataset({"a": (("chain", "draw", "obs"), np.zeros((2, 3, 4))),
                     "b": (("chain", "draw", "obs"), np.zeros((2, 3, 4)))}), {},
         ValueError, "holds 2 variables .* pass var_name"),
        (_ll_dataset(np.zeros((2, 3, 4))), {"var_name": "z"}, ValueError, "has no variable 'z'"),
        (_ll_dataset(np.zeros((2, 3, 4))), {"var_name": 3}, TypeError, "var_name must be"),
        (xr.Dataset({"y": (("draw", "obs"), np.zeros((3, 4)))}), {}, ValueError,
         r"no dimension\(s\) \['chain'\] .* pass sample_dims"),
        (xr.Dataset({"y": (("chain", "draw"), np.zeros((3, 4)))}), {}, ValueError,
         "has no observation dimension"),
        (_ll_dataset(np.zeros((1, 1, 4))), {}, ValueError, "has 1 draw"),
        (_ll_dataset(np.full((2, 3, 4), np.nan)), {}, ValueError, "NaN or \\+inf"),
        (_ll_dataset(np.zeros((2, 3, 4))), {"sample_dims": 5}, TypeError, "sample_dims must be"),
    ],
)
def test_waic_bad_input(data, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        waic(data, **kwargs)


# ----------------------------------------------------------------------------------------------
# The sampling wrapper (no sampling)
# ----------------------------------------------------------------------------------------------


def test_wrapper_is_an_arviz_sampling_wrapper():
    wrapper = PyMCSamplingWrapper(lambda y: gmm(y, K=2), np.linspace(-3, 3, 10), initvals=initvals)
    assert isinstance(wrapper, az.SamplingWrapper)
    assert wrapper.check_implemented_methods(
        ["sel_observations", "sample", "get_inference_data", "log_likelihood__i"]
    ) == []
    assert wrapper.var_name == "y" and wrapper.obs_dim == "obs"


def test_sel_observations_splits_rows():
    y = np.arange(10.0)
    wrapper = PyMCSamplingWrapper(lambda y: gmm(y, K=2), y, initvals=initvals)
    train, test = wrapper.sel_observations(np.array([2, 7]))
    np.testing.assert_array_equal(test["y"], [2.0, 7.0])
    np.testing.assert_array_equal(train["index"], [0, 1, 3, 4, 5, 6, 8, 9])
    # reloo passes one integer position
    train, test = wrapper.sel_observations(np.int64(4))
    assert test["index"].tolist() == [4] and train["y"].size == 9


def test_held_out_log_density_is_the_marginal_mixture():
    """log_likelihood__i returns log sum_k w_k N(y | mu_k, sigma_k) at every draw, stably."""
    y = np.array([-2.0, 0.5, 3.0, 1e3])  # the last point is far from every component
    wrapper = PyMCSamplingWrapper(lambda y: gmm(y, K=2), y, initvals=initvals)
    tree = _gmm_posterior()
    _, test = wrapper.sel_observations(np.array([1, 3]))
    with evaluate_only():
        ll = wrapper.log_likelihood__i(test, tree)
    assert ll.dims == ("chain", "draw", "obs") and ll.sizes["obs"] == 2
    assert ll["obs"].values.tolist() == [1, 3]
    post = tree["posterior"]
    w, mu, sigma = (post[v].values for v in ("w", "mu", "sigma"))
    expected = logsumexp(
        np.log(w)[..., None, :] + norm.logpdf(y[[1, 3]][:, None], mu[..., None, :], sigma[..., None, :]),
        axis=-1,
    )
    np.testing.assert_allclose(ll.values, expected, rtol=1e-10)
    assert np.all(np.isfinite(ll.values))


def test_wrapper_takes_y_from_idata_orig():
    y = np.linspace(0, 1, 6)
    tree = xr.DataTree.from_dict({"observed_data": xr.Dataset({"y": ("obs", y)})})
    wrapper = PyMCSamplingWrapper(lambda y: gmm(y, K=1), idata_orig=tree)
    np.testing.assert_array_equal(wrapper.y, y)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"model_builder": 3}, TypeError, "model_builder must be a callable"),
        ({"model_builder": lambda y: "model"}, TypeError, "must return a pymc.Model, got str"),
        ({"y": None}, ValueError, "pass the observations as y="),
        ({"y": [1.0]}, ValueError, "at least 2 element"),
        ({"y": [1.0, np.nan, 2.0]}, ValueError, "NaN or infinite"),
        ({"var_name": "x"}, ValueError, "no observed variable 'x'"),
        ({"sample_kwargs": [1]}, TypeError, "sample_kwargs must be a dict"),
        ({"sample_kwargs": {"initvals": {}}}, ValueError, "must not set model or initvals"),
        ({"initvals": 3}, TypeError, "initvals must be a dict"),
        ({"model_builder": lambda y: latent_gmm(y, K=2)}, ValueError,
         r"discrete free variables \['z'\].*marginalize"),
    ],
)
def test_wrapper_bad_input(kwargs, exc, match):
    args = {"model_builder": lambda y: gmm(y, K=2), "y": np.linspace(-2, 2, 8), "initvals": initvals}
    args.update(kwargs)
    builder = args.pop("model_builder")
    with pytest.raises(exc, match=match):
        PyMCSamplingWrapper(builder, **args)


@pytest.mark.parametrize(
    ("idx", "exc", "match"),
    [
        (np.array([0.5]), TypeError, "idx must be an integer position"),
        (np.array([9]), ValueError, r"positions in \[0, 7\]"),
        (np.arange(8), ValueError, "holds out every observation"),
    ],
)
def test_sel_observations_bad_input(idx, exc, match):
    wrapper = PyMCSamplingWrapper(lambda y: gmm(y, K=2), np.linspace(-2, 2, 8), initvals=initvals)
    with pytest.raises(exc, match=match):
        wrapper.sel_observations(idx)


def test_log_likelihood_rejects_a_posterior_of_another_model():
    wrapper = PyMCSamplingWrapper(lambda y: gmm(y, K=2), np.linspace(-2, 2, 8), initvals=initvals)
    tree = xr.DataTree.from_dict({"posterior": xr.Dataset({"theta": (("chain", "draw"), np.zeros((1, 2)))})})
    with pytest.raises(ValueError, match=r"lacks \['w', 'mu', 'sigma'\]"):
        wrapper.log_likelihood__i({"index": np.array([0])}, tree)


# ----------------------------------------------------------------------------------------------
# K-fold and reloo with real (tiny) refits
# ----------------------------------------------------------------------------------------------


def _gmm_on_data(y, K=2):
    """``mixlab.models.gmm(y, K)`` with the observations and the data-scaled prior constants in
    ``pm.Data``: the model of every refit has the same graph, so the sampler that PyMC compiles
    (and caches on disk) for the first one serves the others; with ``gmm`` itself each fold's data
    are constants of a new graph, compiled anew (about 5 s per refit with a cold cache, against
    1.5 s). test_data_builder_is_gmm checks that it is the same model."""
    lo, hi, sd = float(np.min(y)), float(np.max(y)), float(np.std(y))
    with pm.Model(coords={"component": list(range(K)), "obs": list(range(y.size))}) as model:
        y_obs = pm.Data("y_obs", y, dims="obs")
        mu_mu = pm.Data("mu_mu", np.full(K, 0.5 * (lo + hi)))
        mu_sigma = pm.Data("mu_sigma", np.full(K, hi - lo if hi > lo else 1.0))
        sigma_sigma = pm.Data("sigma_sigma", np.full(K, sd if sd > 0 else 1.0))
        w = pm.Dirichlet("w", a=np.ones(K), dims="component")
        mu = pm.Normal("mu", mu=mu_mu, sigma=mu_sigma, dims="component", transform=Ordered())
        sigma = pm.HalfNormal("sigma", sigma=sigma_sigma, dims="component")
        pm.NormalMixture("y", w=w, mu=mu, sigma=sigma, observed=y_obs, dims="obs")
    return model


def _data_initvals(model):
    """mixlab.models.initvals of the gmm that ``_gmm_on_data`` mirrors."""
    return initvals(gmm(model["y_obs"].get_value(), K=2))


def test_data_builder_is_gmm(gmm_fit):
    """Same free variables, same log density (priors and likelihood) at a posterior draw."""
    data_model = _gmm_on_data(gmm_fit.y)
    assert [v.name for v in data_model.free_RVs] == [v.name for v in gmm_fit.model.free_RVs]
    post = gmm_fit.idata["posterior"]
    point = {v: post[v].values[0, 0] for v in ("w", "mu", "sigma")}
    from pymc.model.transform.conditioning import remove_value_transforms

    with evaluate_only():
        logps = [remove_value_transforms(m).compile_logp()(point)
                 for m in (data_model, gmm_fit.model)]
    assert logps[0] == pytest.approx(logps[1], rel=1e-12)
    np.testing.assert_allclose(_data_initvals(data_model)["mu"], initvals(gmm_fit.model)["mu"])


@pytest.fixture(scope="module")
def small_fit(gmm_fit):
    """conftest.gmm_fit: gmm(y, K=2) on 120 points, 2 x 300 draws, with the pointwise log-likelihood."""
    return gmm_fit.y, gmm_fit.idata


def test_kfold_runs_through_arviz_and_agrees_with_loo(small_fit):
    y, idata = small_fit
    res = kfold(idata, _gmm_on_data, k=2, initvals=_data_initvals, sample_kwargs=SAMPLE, seed=1)
    loo = az.loo(idata, pointwise=True)
    assert res.kind == "loo_kfold" and res.n_folds == 2
    assert res.elpd_i.dims == ("obs",) and res.elpd_i.sizes["obs"] == y.size
    assert np.all(np.isfinite(res.elpd_i.values))
    # Tolerances from the paired standard error of the difference (same observations), 4.5 of them:
    # 2-fold CV trains on half the data, so it is not optimistic beyond that noise, and it is pessimistic
    # by about the cost of halving the training data, of the order of the effective number of parameters
    # (observed gaps 2-6 with p_loo about 5 for 40 points; the gap does not grow with n).
    d = res.elpd_i.values - loo.elpd_i.values
    se_d = float(np.sqrt(d.size) * d.std(ddof=1))
    assert res.elpd - loo.elpd < 4.5 * se_d, (res.elpd, loo.elpd, se_d)
    assert loo.elpd - res.elpd < 2 * loo.p + 4.5 * se_d, (res.elpd, loo.elpd, loo.p, se_d)
    assert res.se > 0


def test_reloo_refits_the_flagged_observation(small_fit):
    y, idata = small_fit
    loo = az.loo(idata, pointwise=True)
    k = loo.pareto_k.values
    worst = int(np.argmax(k))
    wrapper = PyMCSamplingWrapper(
        _gmm_on_data, idata_orig=idata, initvals=_data_initvals, sample_kwargs=SAMPLE
    )
    threshold = float(np.sort(k)[-2])  # only the largest k exceeds it: one refit
    res = az.reloo(wrapper, loo_orig=loo, k_threshold=threshold, pointwise=True)
    assert len(wrapper.fits) == 1
    report = wrapper.fit_report()
    assert list(report.columns) == ["n_train", "n_test", "seconds", "divergences", "rhat_max"]
    assert report.loc[0, "n_train"] == y.size - 1 and report.loc[0, "n_test"] == 1
    assert float(res.pareto_k.values[worst]) == 0.0
    # exact LOO of one point and its PSIS estimate agree when k is small (it is, for 120 points)
    # exact refit vs PSIS for the point with the largest k: both carry Monte Carlo error (a log-mean-exp over
    # one refit's 2 x 200 draws; importance sampling); gaps up to 0.4 seen across seed shifts, so 1.0
    assert float(res.elpd_i.values[worst]) == pytest.approx(float(loo.elpd_i.values[worst]), abs=1.0)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"idata": "fit"}, TypeError, "must be the xarray.DataTree"),
        ({"k": 1}, ValueError, "k must be >= 2"),
        ({"k": 500}, ValueError, "k must be <= 120"),
        ({"k": 2.5}, TypeError, "k must be an integer"),
        ({"folds": [1, 2]}, ValueError, r"folds must have shape \(120,\)"),
        ({"seed": "a"}, TypeError, "seed must be an integer"),
    ],
)
def test_kfold_bad_input(small_fit, kwargs, exc, match):
    _, idata = small_fit
    args = {"idata": idata, "model_builder": lambda y: gmm(y, K=2)}
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        kfold(args.pop("idata"), args.pop("model_builder"), **args)


def test_kfold_needs_a_log_likelihood():
    tree = xr.DataTree.from_dict({"posterior": xr.Dataset()})
    with pytest.raises(ValueError, match="run pm.compute_log_likelihood"):
        kfold(tree, lambda y: gmm(y, K=2))


# ----------------------------------------------------------------------------------------------
# elpd_table
# ----------------------------------------------------------------------------------------------


def test_elpd_table_rows_and_columns(small_fit):
    _, idata = small_fit
    loo = az.loo(idata, pointwise=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # p_waic_i may exceed 0.4 for an edge point
        w = waic(idata)
    table = elpd_table({"LOO": loo, "WAIC": w})
    assert isinstance(table, pd.DataFrame)
    assert list(table.index) == ["LOO", "WAIC"]
    assert table.loc["LOO", "method"] == "loo" and table.loc["WAIC", "method"] == "waic"
    assert table.loc["LOO", "elpd"] == pytest.approx(loo.elpd)
    assert table.loc["WAIC", "p"] == pytest.approx(float(w["p_waic"]))
    assert table.loc["LOO", "max_pareto_k"] == pytest.approx(float(loo.pareto_k.max()))
    assert np.isnan(table.loc["WAIC", "max_pareto_k"])


@pytest.mark.parametrize(
    ("results", "exc", "match"),
    [
        ([1], TypeError, "results must be a dict"),
        ({}, ValueError, "results is empty"),
        ({"a": 1.0}, TypeError, r"results\['a'\] must be an az.loo"),
        ({"a": xr.Dataset()}, TypeError, r"results\['a'\] must be"),
    ],
)
def test_elpd_table_bad_input(results, exc, match):
    with pytest.raises(exc, match=match):
        elpd_table(results)


# ----------------------------------------------------------------------------------------------
# fit_k_range
# ----------------------------------------------------------------------------------------------


def test_fit_k_range_fits_each_k_with_a_log_likelihood(gmm_fit):
    # the data of conftest.gmm_fit: its K=2 model is the same graph, so PyMC's compiled sampler and
    # log-likelihood are reused from the disk cache; only K=1 is compiled here
    y = gmm_fit.y
    fits = fit_k_range(y, [2, 1], sample_kwargs={"draws": 100, "tune": 150, "random_seed": 3})
    assert list(fits) == [2, 1]
    for K, idata in fits.items():
        assert idata["posterior"].sizes["component"] == K
        ll = idata["log_likelihood"]["y"]
        assert ll.dims == ("chain", "draw", "obs") and ll.sizes["obs"] == y.size
    # two well-separated clusters: two components predict better than one, by more than 2 standard
    # errors of the difference (for 30 points 3 sds apart the gap was about 6-10 across seeds with a
    # standard error about 2; these 120 points are 5 pooled sds apart, a far larger gap)
    cmp = az.compare({"K=2": az.loo(fits[2]), "K=1": az.loo(fits[1])})
    assert cmp.index[0] == "K=2" and -cmp.loc["K=1", "elpd_diff"] > 2 * cmp.loc["K=1", "dse"], cmp


@pytest.mark.parametrize(
    ("ks", "kwargs", "exc", "match"),
    [
        (3, {}, TypeError, "ks must be a sequence"),
        ([], {}, ValueError, "ks is empty"),
        ([1, 1], {}, ValueError, "must not repeat"),
        ([0, 1], {}, ValueError, "each K in ks must be >= 1"),
        ([1.5], {}, TypeError, "each K in ks must be an integer"),
        ([1], {"model_builder": "gmm"}, TypeError, "model_builder must be a callable"),
        ([1], {"initvals": 2}, TypeError, "initvals must be a dict"),
        ([1], {"sample_kwargs": 1}, TypeError, "sample_kwargs must be a dict"),
        ([1], {"sample_kwargs": {"model": None}}, ValueError, "must not set model"),
        ([1], {"model_builder": lambda y, K: None}, TypeError, "must return a pymc.Model, got NoneType"),
    ],
)
def test_fit_k_range_bad_input(ks, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fit_k_range(np.linspace(0, 1, 10), ks, **kwargs)


def test_rhat_max_leaves_out_constant_elements_without_warning():
    # a one-component fit's weight is 1 at every draw: R-hat 0/0, which is no convergence signal
    rng = np.random.default_rng(3)
    posterior = {"w": np.ones((2, 100, 1)), "mu": rng.normal(size=(2, 100, 1))}
    idata = az.from_dict({"posterior": posterior}, dims={"w": ["component"], "mu": ["component"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = _rhat_max(idata)
    assert np.isfinite(value) and value < 1.1, value  # independent normal draws: R-hat near 1
    # chains that disagree are still seen
    posterior["mu"][1] += 5.0
    shifted = az.from_dict({"posterior": posterior}, dims={"w": ["component"], "mu": ["component"]})
    assert _rhat_max(shifted) > 1.5  # rank-normalized: fully separated chains give about 1.8 here


# ----------------------------------------------------------------------------------------------
# issue 13: WAIC as ELPDData, compute_log_likelihood in the wrapper, start check, bad input
# ----------------------------------------------------------------------------------------------


def test_waic_is_an_arviz_elpddata_that_compare_accepts():
    rng = np.random.default_rng(8)
    good = _ll_dataset(rng.normal(-1.0, 0.05, (2, 50, 6)))
    bad = _ll_dataset(rng.normal(-1.6, 0.05, (2, 50, 6)))
    a, b = waic(good), waic(bad)
    assert isinstance(a, ELPDData) and isinstance(a, ELPDDataWAIC) and a.kind == "waic"
    assert a.good_k is None and a.pareto_k is None and a.scale == "log"
    assert a.elpd_i.dims == ("obs",) and a.n_samples == 100 and a.n_data_points == 6
    assert "elpd_waic" in str(a) and "p_waic" in str(a)
    cmp = az.compare({"good": a, "bad": b})
    assert list(cmp.index) == ["good", "bad"]
    assert cmp.loc["bad", "elpd_diff"] == pytest.approx(b.elpd - a.elpd, abs=0.01)  # rounded
    # the Dataset-era spellings of chapter 05 keep working
    assert float(a["elpd_waic"]) == a.elpd and float(a["p_waic"]) == a.p and float(a["se"]) == a.se
    assert a.attrs["n_high_variance"] == a.n_high_variance == 0


def test_waic_refuses_minus_infinity_with_the_position():
    ll = np.full((2, 10, 4), -1.0) + np.linspace(0, 0.1, 10)[None, :, None]
    ll[1, 3, 2] = -np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"is -inf at 1 value\(s\) \(observation\(s\) at flat position "
                                             r"\[2\]\).*zero density"):
            waic(_ll_dataset(ll))


def test_waic_of_one_observation_has_nan_se():
    res = waic(_ll_dataset(np.random.default_rng(9).normal(-1, 0.1, (2, 20, 1))))
    assert res.n_data_points == 1 and np.isfinite(res.elpd) and np.isnan(res.se)


@settings(max_examples=30, deadline=None)
@given(
    values=hnp.arrays(np.float64, (2, 6, 3), elements=st.floats(-5, 0)),
    where=st.tuples(st.integers(0, 1), st.integers(0, 5), st.integers(0, 2)),
    bad=st.sampled_from([np.nan, np.inf, -np.inf]),
)
def test_waic_any_non_finite_value_is_a_one_line_error(values, where, bad):
    values = values.copy()
    values[where] = bad
    ds = _ll_dataset(values)
    before = ds.copy(deep=True)
    with pytest.raises(ValueError, match="NaN or \\+inf|is -inf") as err:
        waic(ds)
    assert "\n" not in str(err.value)
    xr.testing.assert_identical(ds, before)  # the input is not modified


@settings(max_examples=25, deadline=None)
@given(sample_dims=st.one_of(
    st.just(()), st.just(("chain", "chain")), st.integers(), st.just(("chain", 3)), st.just(("chain", "draw", "obs")), st.just(("chain", "sample")),
))
def test_waic_bad_sample_dims(sample_dims):
    with pytest.raises((TypeError, ValueError)) as err:
        waic(_ll_dataset(np.zeros((2, 3, 4))), sample_dims=sample_dims)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("ds", "kwargs", "exc", "match"),
    [
        (_ll_dataset(np.zeros((2, 3, 0))), {}, ValueError, "has no observations"),
        (xr.Dataset({"y": (("chain", "draw", "obs"), np.full((2, 3, 2), "a"))}), {}, TypeError,
         "must be real-valued"),
        (_ll_dataset(np.zeros((2, 3, 4))), {"group": 3}, TypeError, "group must be a non-empty string"),
    ],
)
def test_waic_more_bad_input(ds, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        waic(ds, **kwargs)


def test_elpd_table_takes_any_elpddata_without_special_cases():
    rng = np.random.default_rng(10)
    res = waic(_ll_dataset(rng.normal(-1, 0.1, (2, 30, 5))))
    table = elpd_table({"w": res})
    assert table.loc["w", "method"] == "waic" and table.loc["w", "elpd"] == res.elpd
    assert table.loc["w", "n_data_points"] == 5 and np.isnan(table.loc["w", "n_high_k"])


def _loop_log_lik(model, posterior, var_name="y"):
    """The per-draw loop the wrapper used before pm.compute_log_likelihood (the reference)."""
    from pymc.model.transform.conditioning import remove_value_transforms

    umodel = remove_value_transforms(model)
    fn = umodel.compile_fn(inputs=umodel.value_vars,
                           outs=umodel.logp(vars=[umodel[var_name]], sum=False)[0],
                           on_unused_input="ignore")
    names = [rv.name for rv in model.free_RVs]
    arrays = {v: posterior[v].transpose("chain", "draw", ...).values for v in names}
    n_chain, n_draw = posterior.sizes["chain"], posterior.sizes["draw"]
    return np.stack([np.stack([fn({v: a[c, d] for v, a in arrays.items()}) for d in range(n_draw)])
                     for c in range(n_chain)])


def test_held_out_log_density_equals_the_replaced_loop():
    y = np.array([-2.0, 0.5, 3.0, 1e3, 1.2, -0.4])
    wrapper = PyMCSamplingWrapper(lambda y: gmm(y, K=2), y, initvals=initvals)
    tree = _gmm_posterior(n_draw=7, seed=4)
    with evaluate_only():
        new = wrapper.log_likelihood__i({"index": np.arange(6)}, tree)
        old = _loop_log_lik(wrapper.model, tree["posterior"])
    np.testing.assert_array_equal(new.values, old)
    assert new.dims == ("chain", "draw", "obs")


def test_held_out_log_density_of_a_model_without_dims():
    def builder(y):
        with pm.Model() as model:
            mu = pm.Normal("mu", 0.0, 10.0)
            pm.Normal("y", mu=mu, sigma=1.0, observed=y)
        return model

    y = np.array([0.1, -0.3, 2.0, 0.7])
    wrapper = PyMCSamplingWrapper(builder, y)
    assert wrapper.obs_dim == "y_dim_0"
    mu = np.array([[0.0, 0.5, 1.0]])
    tree = xr.DataTree.from_dict({"posterior": xr.Dataset({"mu": (("chain", "draw"), mu)})})
    with evaluate_only():
        ll = wrapper.log_likelihood__i({"index": np.array([3, 0])}, tree)
    assert ll.dims == ("chain", "draw", "y_dim_0")
    np.testing.assert_allclose(ll.values, norm.logpdf(y[[3, 0]], mu[..., None], 1.0), rtol=1e-12)


def test_a_start_with_infinite_log_density_is_refused_before_sampling(small_fit):
    """gmm's ordered means are all equal at PyMC's default start: said in one line, up front."""
    _, idata = small_fit
    match = r"log density of \['mu'\] is not finite at PyMC's default start.*initvals=mixlab.models.initvals"
    with pytest.raises(ValueError, match=match):
        kfold(idata, lambda y: gmm(y, K=2), k=2)
    with pytest.raises(ValueError, match=match):
        PyMCSamplingWrapper(lambda y: gmm(y, K=2), np.linspace(-2, 2, 8))
    with pytest.raises(ValueError, match=r"at the start values from initvals .*fix initvals"):
        PyMCSamplingWrapper(lambda y: gmm(y, K=2), np.linspace(-2, 2, 8),
                            initvals={"mu": np.array([0.0, 0.0])})
    with pytest.raises(ValueError, match=r"not finite .* for K=2; pass initvals"):
        fit_k_range(np.linspace(0, 1, 10), [2], model_builder=gmm, initvals=None)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"folds": np.ones(120, int)}, ValueError, "puts every observation in fold 1"),
        ({"folds": np.full(120, 0.5)}, ValueError, "whole numbers"),
        ({"seed": -1}, ValueError, "seed must be >= 0"),
        ({"seed": True}, TypeError, "seed must be an integer"),
        ({"pointwise": "yes"}, TypeError, "pointwise must be True or False"),
        ({"var_name": 3}, TypeError, "var_name must be"),
    ],
)
def test_kfold_more_bad_input(small_fit, kwargs, exc, match):
    _, idata = small_fit
    with pytest.raises(exc, match=match):
        kfold(idata, lambda y: gmm(y, K=2), initvals=initvals, **kwargs)


@settings(max_examples=25, deadline=None)
@given(ks=st.one_of(st.text(max_size=3), st.floats(), st.just({1: 2}), st.just([1, "2"]),
                    st.just([True]), st.lists(st.integers(-3, 0), min_size=1, max_size=3)))
def test_fit_k_range_rejects_bad_ks_before_sampling(ks):
    with pytest.raises((TypeError, ValueError)) as err:
        fit_k_range(np.linspace(0, 1, 10), ks)
    assert "\n" not in str(err.value)
