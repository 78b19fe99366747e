"""Tests for mixlab.cv.mixture_loo: mixture importance-sampling LOO (Silva & Zanella, 2023)."""

from __future__ import annotations

from dataclasses import dataclass

import arviz as az
import numpy as np
import pymc as pm
import pytest
import xarray as xr
from _shared import evaluate_only, samples
from hypothesis import given, settings
from hypothesis import strategies as st
from pymc.initial_point import make_initial_point_fn
from scipy.special import logsumexp
from scipy.stats import norm

from mixlab.cv import MIXTURE_POTENTIAL, MixtureLOO, mixture_loo, mixture_proposal
from mixlab.cv._mixture import _kish_ess, _mixture_elpd
from mixlab.models import (
    gmm,
    initvals,
    latent_gmm,
    mixture_regression,
    mv_gmm,
    student_t_mixture,
)

# A normal model with known scale and a conjugate prior: every leave-one-out posterior, the LOO
# predictive densities and the mixture proposal (a Gaussian mixture) are known in closed form.
SIGMA, PRIOR_MU, PRIOR_SD = 1.0, 0.0, 10.0
N_BULK, OUTLIER = 15, 6.0
SAMPLE = {"draws": 300, "tune": 300, "chains": 4, "nuts_sampler": "pymc"}


def _normal_model(y):
    with pm.Model(coords={"obs": np.arange(y.size)}) as model:
        mu = pm.Normal("mu", PRIOR_MU, PRIOR_SD)
        pm.Normal("y", mu, SIGMA, observed=y, dims="obs")
    return model


def _posterior(y):
    """Mean and variance of mu given the observations y."""
    precision = 1 / PRIOR_SD**2 + y.size / SIGMA**2
    return (PRIOR_MU / PRIOR_SD**2 + y.sum() / SIGMA**2) / precision, 1 / precision


def _exact_loo(y):
    """Means and variances of the n LOO posteriors, and the exact elpd_i."""
    m, v = np.transpose([_posterior(np.delete(y, i)) for i in range(y.size)])
    elpd_i = norm.logpdf(y, m, np.sqrt(v + SIGMA**2))
    return m, v, elpd_i


@dataclass
class Fit:
    y: np.ndarray
    model: pm.Model
    res: MixtureLOO


@pytest.fixture(scope="module")
@samples
def normal_fit():
    rng = np.random.default_rng(5)
    y = np.append(rng.normal(0.0, SIGMA, N_BULK), OUTLIER)
    model = _normal_model(y)
    return Fit(y, model, mixture_loo(model, random_seed=3, **SAMPLE))


def _mcse_elpd_i(ll):
    """Monte Carlo standard errors of the mixture estimates of elpd_i (delta method).

    elpd_i = log(mean a) - log(mean b_i), a_s = 1/sum_j p(y_j|theta_s), b_is = a_s / p(y_i|theta_s):
    its error is that of the mean of a/mean(a) - b_i/mean(b_i), whose MCSE (with the draws'
    autocorrelation) ArviZ computes.
    """
    log_a = -logsumexp(-ll, axis=-1)
    a = np.exp(log_a - log_a.max())
    out = []
    for i in range(ll.shape[-1]):
        log_b = log_a - ll[..., i]
        b = np.exp(log_b - log_b.max())
        u = xr.DataArray(a / a.mean() - b / b.mean(), dims=("chain", "draw"))
        out.append(float(az.mcse(u, method="mean")))
    return np.array(out)


# ----------------------------------------------------------------------------------------------
# the estimate against the closed form
# ----------------------------------------------------------------------------------------------


def test_mixture_loo_matches_the_exact_loo(normal_fit):
    _, _, exact = _exact_loo(normal_fit.y)
    res = normal_fit.res.loo
    ll = normal_fit.res.idata.log_likelihood["y"].transpose("chain", "draw", "obs").values
    se = _mcse_elpd_i(ll)
    est = res.elpd_i.values
    # 5 Monte Carlo SEs per point, plus 0.01 nats for the delta method's own error
    assert np.all(np.abs(est - exact) < 5 * se + 0.01), np.c_[est, exact, se]
    assert res.elpd == pytest.approx(est.sum())
    # the sum's errors are correlated across points (same draws): bound it by the sum of the SEs
    assert abs(res.elpd - exact.sum()) < 5 * se.sum() + 0.05


# ----------------------------------------------------------------------------------------------
# the proposal
# ----------------------------------------------------------------------------------------------


def test_proposal_is_the_mixture_of_loo_posteriors(normal_fit):
    """q = sum_i p(theta | y_-i) / p(y_i | y_-i), normalized: a Gaussian mixture here."""
    m, v, elpd_i = _exact_loo(normal_fit.y)
    pi = np.exp(-elpd_i - logsumexp(-elpd_i))
    mean_q = pi @ m
    sd_q = np.sqrt(pi @ (v + m**2) - mean_q**2)
    draws = normal_fit.res.idata.posterior["mu"]
    mcse_mean = float(az.mcse(draws, method="mean"))
    mcse_sd = float(az.mcse(draws, method="sd"))
    assert abs(float(draws.mean()) - mean_q) < 5 * mcse_mean
    assert abs(float(draws.std()) - sd_q) < 5 * mcse_sd


def test_proposal_moves_towards_the_influential_points_loo_posterior(normal_fit):
    y = normal_fit.y
    post_mean, post_var = _posterior(y)
    loo_mean, _ = _posterior(y[:-1])
    _, _, elpd_i = _exact_loo(y)
    draws = normal_fit.res.idata.posterior["mu"]
    mcse = float(az.mcse(draws, method="mean"))
    # the outlier's LOO posterior gets the largest weight in q ...
    assert np.argmin(elpd_i) == y.size - 1
    # ... so q's draws sit away from the outlier, nearer its LOO posterior than the posterior is,
    assert abs(float(draws.mean()) - loo_mean) + 5 * mcse < abs(post_mean - loo_mean)
    ll_out = norm.logpdf(y[-1], draws.values, SIGMA)
    assert ll_out.mean() < norm.logpdf(y[-1], post_mean, SIGMA) - post_var / 2


def test_result_structure(normal_fit):
    res = normal_fit.res
    assert isinstance(res, MixtureLOO) and res.seconds > 0
    assert res.ess_i.dims == ("obs",) and np.all(
        (res.ess_i >= 1 - 1e-9) & (res.ess_i <= 1200 + 1e-6)
    )
    # the proposal spends its draws on the influential point
    assert np.argmax(res.ess_i.values) == normal_fit.y.size - 1
    assert res.loo.elpd_i.dims == ("obs",) and res.loo.pareto_k.dims == ("obs",)
    assert res.loo.n_data_points == normal_fit.y.size and res.loo.n_samples == 1200
    assert {"posterior", "log_likelihood", "observed_data"} <= set(res.idata.children)
    assert res.idata.log_likelihood["y"].sizes["obs"] == normal_fit.y.size
    assert [p.name for p in res.proposal.potentials] == [MIXTURE_POTENTIAL]
    assert normal_fit.model.potentials == []  # the model was copied, not changed


# ----------------------------------------------------------------------------------------------
# the potential, for any data (no sampling)
# ----------------------------------------------------------------------------------------------


@settings(max_examples=10, deadline=None)
@given(
    y=st.lists(st.floats(-20, 20), min_size=2, max_size=12).map(np.array),
    mu=st.floats(-5, 5),
)
def test_potential_is_logsumexp_of_minus_loglik(y, mu):
    proposal, var_name, obs_dim = mixture_proposal(_normal_model(y))
    assert (var_name, obs_dim) == ("y", "obs")
    with evaluate_only():
        logps = proposal.point_logps({"mu": mu}, round_vals=12)
    expected = logsumexp(-norm.logpdf(y, mu, SIGMA))
    assert logps[MIXTURE_POTENTIAL] == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_proposal_of_a_gaussian_mixture_uses_the_marginal_density():
    y = np.array([-2.1, -1.9, -2.4, 2.8, 3.1, 3.3, 2.9, -2.0])
    model = gmm(y, K=2)
    proposal, _, _ = mixture_proposal(model)
    start = initvals(model)
    with evaluate_only():
        point = make_initial_point_fn(model=proposal, overrides=start, jitter_rvs=set())(0)
        logps = proposal.point_logps(point, round_vals=12)
    ll = logsumexp(
        np.log(start["w"])[None, :] + norm.logpdf(y[:, None], start["mu"], start["sigma"]), axis=1
    )
    assert logps[MIXTURE_POTENTIAL] == pytest.approx(logsumexp(-ll), rel=1e-9)


_RNG_Y = np.r_[np.linspace(-3.0, -1.0, 10), np.linspace(2.0, 4.0, 10)]


@pytest.mark.parametrize(
    "build",
    [
        lambda: student_t_mixture(_RNG_Y, 2),
        lambda: mixture_regression(np.linspace(0.0, 10.0, 20), _RNG_Y, 2),
        lambda: mv_gmm(np.c_[_RNG_Y, _RNG_Y[::-1]], 2),
    ],
    ids=["student_t_mixture", "mixture_regression", "mv_gmm"],
)
def test_proposal_of_every_builder(build):
    """The copy keeps custom transforms (mv_gmm's OrderedFirstFeature) and the row-wise density."""
    model = build()
    with evaluate_only():
        proposal, var_name, _ = mixture_proposal(model)
        point = make_initial_point_fn(model=proposal, overrides=initvals(model), jitter_rvs=set())(
            0
        )
        logps = proposal.point_logps(point, round_vals=12)
        (loglik,) = model.logp(vars=[model[var_name]], sum=False)
        ll = model.compile_fn(loglik, inputs=model.value_vars, on_unused_input="ignore")(point)
    assert np.shape(ll) == (20,)
    assert logps[MIXTURE_POTENTIAL] == pytest.approx(logsumexp(-np.asarray(ll)), rel=1e-9)


# ----------------------------------------------------------------------------------------------
# bad input: one-line errors before any sampling
# ----------------------------------------------------------------------------------------------

_Y = np.array([-2.1, -1.9, -2.4, 2.8, 3.1, 3.3, 2.9, -2.0])


@pytest.mark.parametrize(
    ("make", "kwargs", "error", "match"),
    [
        (lambda: "model", {}, TypeError, "model must be a pymc.Model, got str"),
        (lambda: latent_gmm(_Y, K=2), {}, ValueError, "discrete free variables"),
        (lambda: _normal_model(_Y), {"var_name": "x"}, ValueError, "has no observed variable 'x'"),
        (lambda: mixture_proposal(_normal_model(_Y))[0], {}, ValueError, "already has a variable"),
        (lambda: gmm(_Y, K=2), {}, ValueError, "not finite at PyMC's default start"),
        (lambda: _normal_model(_Y), {"draws": 1.5}, TypeError, "draws must be an integer"),
        (lambda: _normal_model(_Y), {"chains": 0}, ValueError, "chains must be >= 1"),
        (lambda: _normal_model(_Y), {"initvals": 3}, TypeError, "initvals must be a dict"),
        (lambda: _normal_model(_Y), {"pointwise": "yes"}, TypeError, "pointwise must be True"),
        (
            lambda: _normal_model(_Y),
            {"var_names": ["mu"]},
            ValueError,
            r"must not set \['var_names'\]",
        ),
    ],
)
def test_bad_input(make, kwargs, error, match):
    with evaluate_only(), pytest.raises(error, match=match) as info:
        mixture_loo(make(), random_seed=1, **kwargs)
    assert "\n" not in str(info.value)


def test_random_seed_is_required():
    with pytest.raises(TypeError, match="random_seed"):
        mixture_loo(_normal_model(_Y))


# ----------------------------------------------------------------------------------------------
# the estimate from a hand-made log-likelihood (no sampling)
# ----------------------------------------------------------------------------------------------


def _tree(ll):
    rng = np.random.default_rng(2)
    dims = ("chain", "draw", "obs")
    return xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset({"mu": (dims[:2], rng.normal(size=ll.shape[:2]))}),
            "log_likelihood": xr.Dataset({"y": (dims, ll)}, coords={"obs": np.arange(ll.shape[2])}),
        }
    )


def _formula(ll):
    """Silva & Zanella's estimate: log sum_s 1/S_s - log sum_s e^{-l_is}/S_s, S_s = sum_j e^{-l_js}."""
    flat = ll.reshape(-1, ll.shape[-1])
    log_s = logsumexp(-flat, axis=1)
    return logsumexp(-log_s) - logsumexp(-flat - log_s[:, None], axis=0)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), spread=st.floats(0.1, 3.0), far=st.floats(0.0, 2000.0))
def test_estimate_is_silva_and_zanellas_formula(seed, spread, far):
    # far: how much less likely one point is than the others; from ~2000 on its weights are 1 to
    # double precision, where ArviZ's own Pareto k fails ("All tail values are the same")
    rng = np.random.default_rng(seed)
    ll = -1.0 - spread * rng.random((2, 50, 6))
    ll[..., -1] -= far * (1 + 0.01 * rng.random((2, 50)))
    tree = _tree(ll)
    res = _mixture_elpd(tree, "y", pointwise=True)
    np.testing.assert_allclose(res.elpd_i.values, _formula(ll), rtol=1e-9, atol=1e-9)
    flat = ll.reshape(100, 6)
    log_w = -flat - logsumexp(-flat, axis=1, keepdims=True)
    w = np.exp(log_w - log_w.max(axis=0))  # each observation's weights, up to a constant
    ess = _kish_ess(tree.log_likelihood["y"])
    np.testing.assert_allclose(ess.values, w.sum(0) ** 2 / (w**2).sum(0), rtol=1e-9)
    assert ess.dims == ("obs",)
    assert res.elpd == pytest.approx(res.elpd_i.values.sum())
    assert res.elpd_i.dims == res.pareto_k.dims == ("obs",)
    assert not np.isnan(res.pareto_k.values).any()
