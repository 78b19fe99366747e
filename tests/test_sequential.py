"""One-step-ahead predictive densities (mixlab.invariants._sequential) against direct computations.

The forward filter is checked against a sum over every state path (tiny n), against the log
density of the marginalized PyMC hidden Markov model at a point, and, without a transition matrix,
against the plain mixture density; no sampler runs here.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import xarray as xr
from _shared import evaluate_only
from pymc.initial_point import make_initial_point_fn
from scipy import stats
from scipy.special import logsumexp, softmax

from mixlab.invariants._sequential import one_step_ahead, sequential_elpd
from mixlab.models.dynamic import hmm

DIMS = ("chain", "draw", "component")
PDIMS = (*DIMS, "component_to")


def _hmm_post(w, P, **roles):
    """A posterior with one chain and draws along the first axis of every array."""
    data = {"w": (DIMS, np.asarray(w)[None]), "P": (PDIMS, np.asarray(P)[None])}
    data |= {k: (DIMS, np.asarray(v)[None]) for k, v in roles.items()}
    return xr.Dataset(data)


def _paths_loglik(y, w0, P, logf):
    """log p(y_1..y_n) by summing over every state path; ``logf(t, k)`` = log f_k(y_t)."""
    n, k = len(y), len(w0)
    terms = []
    for path in itertools.product(range(k), repeat=n):
        lp = np.log(w0[path[0]]) + sum(np.log(P[a, b]) for a, b in itertools.pairwise(path))
        terms.append(lp + sum(logf(t, s) for t, s in enumerate(path)))
    return logsumexp(terms)


def _random_draws(rng, draws, k):
    w = rng.dirichlet(np.ones(k), size=draws)
    P = rng.dirichlet(np.ones(k) * 2, size=(draws, k))
    return w, P


def test_prefix_sums_are_the_log_likelihoods_of_every_prefix_over_state_paths():
    rng = np.random.default_rng(11)
    k, draws = 3, 2
    w, P = _random_draws(rng, draws, k)
    mu = np.sort(rng.normal(0, 2, (draws, k)), axis=1)
    sigma = rng.uniform(0.5, 1.5, (draws, k))
    y = rng.normal(0, 2, 5)
    lp = one_step_ahead(_hmm_post(w, P, mu=mu, sigma=sigma), y)
    assert lp.dims == ("chain", "draw", "obs") and lp.shape == (1, draws, 5)
    for s in range(draws):
        for t in range(1, 6):  # sum_{u <= t} log p(y_u | y_{<u}) = log p(y_{1:t})
            ref = _paths_loglik(
                y[:t], w[s], P[s], lambda u, j, s=s: stats.norm.logpdf(y[u], mu[s, j], sigma[s, j])
            )
            np.testing.assert_allclose(lp.values[0, s, :t].sum(), ref, rtol=1e-10)


def test_poisson_and_negative_binomial_emissions_match_the_path_sum():
    rng = np.random.default_rng(12)
    w, P = _random_draws(rng, 1, 2)
    mu, alpha = np.array([[0.5, 4.0]]), np.array([[2.0, 0.7]])
    y = np.array([0, 1, 6, 3, 0])
    pois = one_step_ahead(_hmm_post(w, P, mu=mu), y, family="poisson")
    ref = _paths_loglik(y, w[0], P[0], lambda t, j: stats.poisson.logpmf(y[t], mu[0, j]))
    np.testing.assert_allclose(pois.values.sum(), ref, rtol=1e-10)
    nb = one_step_ahead(_hmm_post(w, P, mu=mu, alpha=alpha), y, family="negative_binomial")
    ref = _paths_loglik(
        y,
        w[0],
        P[0],
        lambda t, j: stats.nbinom.logpmf(y[t], alpha[0, j], alpha[0, j] / (alpha[0, j] + mu[0, j])),
    )
    np.testing.assert_allclose(nb.values.sum(), ref, rtol=1e-10)


def test_the_sum_equals_the_marginalized_pymc_model_log_likelihood_at_a_point():
    rng = np.random.default_rng(13)
    y = rng.poisson(np.repeat([1.0, 7.0, 1.0], 6))
    model = hmm(y, 2)
    values = {
        "w": np.array([0.7, 0.3]),
        "P": np.array([[0.8, 0.2], [0.3, 0.7]]),
        "mu": np.array([0.9, 6.5]),
    }
    with evaluate_only():
        point = make_initial_point_fn(
            model=model, overrides=values, jitter_rvs=set(), return_transformed=True
        )(0)
        pymc_ll = model.compile_logp(vars=model.observed_RVs)(point)
    post = _hmm_post(values["w"][None], values["P"][None], mu=values["mu"][None])
    ours = one_step_ahead(post, y, family="poisson").values.sum()
    np.testing.assert_allclose(ours, pymc_ll, rtol=1e-10)


def test_without_a_transition_matrix_it_is_the_mixture_density():
    rng = np.random.default_rng(14)
    w = rng.dirichlet(np.ones(2), size=3)
    mu, sigma = rng.normal(0, 2, (3, 2)), rng.uniform(0.5, 1.5, (3, 2))
    y = rng.normal(0, 2, 7)
    post = xr.Dataset({"w": (DIMS, w[None]), "mu": (DIMS, mu[None]), "sigma": (DIMS, sigma[None])})
    lp = one_step_ahead(post, y)
    ref = logsumexp(
        np.log(w)[:, None, :] + stats.norm.logpdf(y[None, :, None], mu[:, None], sigma[:, None]),
        axis=-1,
    )
    np.testing.assert_allclose(lp.values[0], ref, rtol=1e-10)
    # rows of P equal to w: the states are independent draws from w, the same densities
    mix = post.assign(P=(PDIMS, np.repeat(w[:, None, :], 2, axis=1)[None]))
    np.testing.assert_allclose(one_step_ahead(mix, y).values, lp.values, rtol=1e-10)


def test_experts_weights_per_observation():
    rng = np.random.default_rng(15)
    n = 6
    x = rng.normal(size=n)
    w = softmax(np.array([0.0, 0.7]) + np.array([0.0, 2.0]) * x[:, None], axis=-1)
    mu, sigma = np.array([-1.0, 2.0]), np.array([1.0, 0.5])
    post = xr.Dataset(
        {
            "w": (("chain", "draw", "obs", "component"), w[None, None]),
            "mu": (DIMS, mu[None, None]),
            "sigma": (DIMS, sigma[None, None]),
        }
    )
    y = rng.normal(size=n)
    ref = logsumexp(np.log(w) + stats.norm.logpdf(y[:, None], mu, sigma), axis=-1)
    np.testing.assert_allclose(one_step_ahead(post, y).values[0, 0], ref, rtol=1e-12)


def test_sequential_elpd_is_the_log_mean_density_summed_with_its_se():
    rng = np.random.default_rng(16)
    draws = 4
    w, P = _random_draws(rng, draws, 2)
    mu = np.sort(rng.gamma(2.0, 2.0, (draws, 2)), axis=1)
    y = rng.poisson(3.0, 9)
    post = _hmm_post(w, P, mu=mu)
    lp = one_step_ahead(post, y, family="poisson").values[0]  # (draws, n)
    point = logsumexp(lp, axis=0) - np.log(draws)
    out = sequential_elpd(post, y, family="poisson")
    np.testing.assert_allclose(out["pointwise"].values, point, rtol=1e-12)
    np.testing.assert_allclose(float(out["elpd"]), point.sum(), rtol=1e-12)
    np.testing.assert_allclose(float(out["se"]), np.sqrt(y.size * np.var(point)), rtol=1e-12)


def test_observed_data_of_a_datatree_is_the_default_y():
    rng = np.random.default_rng(17)
    w, P = _random_draws(rng, 2, 2)
    mu = np.array([[1.0, 5.0], [0.8, 4.0]])
    y = np.array([0, 2, 5, 7, 1])
    post = _hmm_post(w, P, mu=mu)
    tree = xr.DataTree.from_dict(
        {"posterior": post, "observed_data": xr.Dataset({"y": ("obs", y)})}
    )
    xr.testing.assert_allclose(
        one_step_ahead(tree, family="poisson"), one_step_ahead(post, y, family="poisson")
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"y": [0.0, 1.5]}, ValueError, "must hold counts"),
        ({"y": [[0, 1]]}, ValueError, "1-dimensional"),
        ({"y": [0, 1], "colour": "red"}, TypeError, "unknown option"),
        ({"y": None}, ValueError, "y was not given"),
    ],
)
def test_bad_input_is_explained(kwargs, error, match):
    post = _hmm_post([[0.5, 0.5]], [[[0.9, 0.1], [0.2, 0.8]]], mu=[[1.0, 5.0]])
    with pytest.raises(error, match=match):
        one_step_ahead(post, family="poisson", **kwargs)


def test_bad_posteriors_are_explained():
    post = _hmm_post([[0.5, 0.5]], [[[0.9, 0.3], [0.2, 0.8]]], mu=[[1.0, 5.0]])
    with pytest.raises(ValueError, match="rows are probabilities summing to 1"):
        one_step_ahead(post, [0, 1], family="poisson")
    with pytest.raises(ValueError, match="no variable 'mu'"):
        sequential_elpd(post.drop_vars("mu"), [0, 1], family="poisson")
