"""mixlab.evidence: SMC start particles, evidence estimates, the ordered transform's log K!, p(K | y)."""

import math

import numpy as np
import pymc as pm
import pytest
import xarray as xr
from _shared import samples
from pymc.distributions.transforms import Ordered
from scipy.special import logsumexp
from scipy.stats import norm

from mixlab import datasets, models
from mixlab.evidence import (
    importance_log_evidence,
    log_evidence,
    posterior_over_k,
    sample_smc,
    smc_start,
)

# A two-component mixture with known weights (1/2) and scale (1): only the two means are unknown,
# so the evidence is a 2-D integral that a grid computes to high accuracy.
PRIOR_SD = 3.0


def _toy_data():
    rng = np.random.default_rng(11)
    return np.concatenate([rng.normal(-2.0, 1.0, 15), rng.normal(2.0, 1.0, 15)])


def _toy_model(y, ordered):
    kwargs = {"transform": Ordered()} if ordered else {}
    with pm.Model(coords={"component": [0, 1], "obs": np.arange(len(y))}) as model:
        mu = pm.Normal("mu", 0.0, PRIOR_SD, dims="component", **kwargs)
        pm.NormalMixture("y", w=np.array([0.5, 0.5]), mu=mu, sigma=1.0, observed=y, dims="obs")
    return model


def _grid_log_evidence(y):
    """log p(y) of the symmetric model: the integral over the whole plane of the two means."""
    grid = np.linspace(-15.0, 15.0, 601)
    step = grid[1] - grid[0]
    a, b = np.meshgrid(grid, grid, indexing="ij")
    comp = np.logaddexp(norm.logpdf(y[:, None, None], a), norm.logpdf(y[:, None, None], b))
    loglik = (comp + np.log(0.5)).sum(axis=0)
    logprior = norm.logpdf(a, 0, PRIOR_SD) + norm.logpdf(b, 0, PRIOR_SD)
    return float(logsumexp(loglik + logprior) + 2 * np.log(step))


@pytest.fixture(scope="module")
@samples
def toy():
    y = _toy_data()
    model = _toy_model(y, ordered=True)
    idata = sample_smc(model, 1000, chains=4, random_seed=3)
    return y, model, idata


def test_start_particles_are_ordered_order_statistics():
    with pm.Model(coords={"component": [0, 1]}) as model:
        pm.Normal("mu", 0.0, 1.0, dims="component", transform=Ordered())
    start = smc_start(model, 1500, random_seed=0)
    mu = np.asarray(Ordered().backward(start["mu_ordered__"]).eval())
    assert np.all(np.diff(mu, axis=1) > 0)
    # the smaller of two standard normals has mean -1/sqrt(pi) and sd sqrt(1 - 1/pi)
    se = math.sqrt(1 - 1 / math.pi) / math.sqrt(len(mu))
    assert abs(mu[:, 0].mean() + 1 / math.sqrt(math.pi)) < 5 * se


def test_start_particles_have_finite_density_for_a_mixlab_model():
    model = models.gmm(datasets.load_galaxy(), 4)
    starts = smc_start(model, 25, chains=2, random_seed=1)
    assert len(starts) == 2
    logp = model.compile_logp()
    for start in starts:
        vals = [logp({k: v[i] for k, v in start.items()}) for i in range(25)]
        assert np.all(np.isfinite(vals))
    assert not np.allclose(starts[0]["mu_ordered__"], starts[1]["mu_ordered__"])


def test_smc_from_sorted_particles_needs_no_log_k_factorial(toy):
    y, _, idata = toy
    exact = _grid_log_evidence(y)
    runs = log_evidence(idata)
    assert runs.sizes["chain"] == 4
    se = float(runs.std(ddof=1)) / 2.0 + 0.02
    # the estimate is the symmetric model's evidence: within Monte Carlo error of the grid, and
    # log 2 away from the ordered cone's integral
    assert abs(float(runs.mean()) - exact) < 5 * se
    assert abs(float(runs.mean()) - (exact - math.log(2))) > 5 * se


def test_importance_sampling_of_pymc_density_needs_log_k_factorial(toy):
    y, model, idata = toy
    exact = _grid_log_evidence(y)
    est = importance_log_evidence(model, idata, draws=8000, random_seed=5)
    mcse = float(est["mcse"]) + 0.01
    assert float(est["correction"]) == pytest.approx(math.log(2))
    assert abs(float(est["log_evidence_raw"]) - (exact - math.log(2))) < 5 * mcse
    assert abs(float(est["log_evidence"]) - exact) < 5 * mcse
    no_fix = importance_log_evidence(model, idata, draws=500, ordered_correction=False,
                                     random_seed=5)
    assert float(no_fix["correction"]) == 0.0
    assert float(no_fix["log_evidence"]) == float(no_fix["log_evidence_raw"])


def test_posterior_over_k_by_hand():
    lz = xr.DataArray([[-10.0, -10.2], [-9.0, -9.1]], dims=("K", "chain"), coords={"K": [1, 2]})
    post = posterior_over_k(lz, prior=[0.75, 0.25])
    z = np.exp(lz.values).mean(axis=1) * np.array([0.75, 0.25])
    np.testing.assert_allclose(post["p"].values, z / z.sum())
    per = np.exp(lz.values.T) * np.array([0.75, 0.25])
    np.testing.assert_allclose(post["p_run"].values, per / per.sum(axis=1, keepdims=True))
    assert post["sd"].dims == ("K",)
    # a dict of per-chain estimates gives the same answer
    same = posterior_over_k({1: lz.sel(K=1, drop=True), 2: lz.sel(K=2, drop=True)}, [3, 1])
    np.testing.assert_allclose(same["p"].values, post["p"].values)
    # the prior can be a DataArray over a wider range of K
    prior = xr.DataArray([0.5, 0.3, 0.2], dims=("K",), coords={"K": [1, 2, 3]})
    np.testing.assert_allclose(posterior_over_k(lz, prior)["prior"].values, [0.625, 0.375])


@pytest.mark.parametrize("call, match", [
    (lambda: smc_start("model", 10), "pymc.Model"),
    (lambda: smc_start(models.gmm(datasets.load_galaxy(), 2), 1), "draws must be >= 2"),
    (lambda: posterior_over_k({}), "empty"),
    (lambda: posterior_over_k({0: -1.0}), "integers >= 1"),
    (lambda: posterior_over_k({1: -1.0, 2: np.nan}), "NaN"),
    (lambda: posterior_over_k({1: -1.0, 2: -2.0}, prior=[1.0]), "one value per K"),
    (lambda: posterior_over_k({1: -1.0, 2: -2.0}, prior=[-1.0, 2.0]), "non-negative"),
    (lambda: posterior_over_k(xr.DataArray([1.0], dims=("k",))), "no dimension 'K'"),
    (lambda: posterior_over_k([1.0]), "dict"),
    (lambda: log_evidence(xr.DataTree()), "sample_stats"),
])
def test_bad_input_is_one_clear_line(call, match):
    with pytest.raises((TypeError, ValueError), match=match) as info:
        call()
    assert "\n" not in str(info.value)


def test_importance_refuses_a_posterior_of_another_model(toy):
    _, _, idata = toy
    other = models.gmm(datasets.load_galaxy(), 2)
    with pytest.raises(ValueError, match="has no"):
        importance_log_evidence(other, idata)
