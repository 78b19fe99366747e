"""mixlab.samplers: the two-mode target is the mixture it claims, and the comparison measures samplers."""

import numpy as np
import pytest
import xarray as xr
from _shared import evaluate_only, samples
from hypothesis import given, settings
from hypothesis import strategies as st

from mixlab.samplers import (
    METHODS,
    compare_samplers,
    exact_masses,
    mixture_logpdf,
    mode_of,
    run_sampler,
    two_mode_target,
)


def _mixture_draws(model, n, rng):
    """Exact draws from a two_mode_target's posterior, with the component each came from."""
    from mixlab.samplers._target import _TARGETS

    t = _TARGETS[model]
    comp = (rng.random(n) < t.weights[1]).astype(int)
    x = t.centres[comp] + t.scales[comp][:, None] * rng.standard_normal((n, t.dim))
    return x, comp


def _as_posterior(x):
    return xr.Dataset({"theta": (("chain", "draw", "dim"), x[None])})


@settings(max_examples=6, deadline=None)
@given(
    w1=st.floats(0.05, 0.95),
    sep=st.floats(0.5, 8.0),
    s1=st.floats(0.2, 2.0),
    s2=st.floats(0.2, 2.0),
    dim=st.integers(1, 3),
)
def test_model_density_is_the_mixture(w1, sep, s1, s2, dim):
    # prior + Potential = the mixture's log density exactly (the prior's term cancels)
    model = two_mode_target(weights=(w1, 1 - w1), separation=sep, scales=(s1, s2), dim=dim)
    x = np.random.default_rng(0).normal(0.0, sep, size=(20, dim))
    with evaluate_only():
        logp = model.compile_logp()
        got = np.array([logp({"theta": xi}) for xi in x])
    np.testing.assert_allclose(got, mixture_logpdf(model, x), rtol=1e-8, atol=1e-8)


@settings(max_examples=15, deadline=None)
@given(
    w1=st.floats(0.1, 0.9),
    sep=st.floats(0.5, 6.0),
    s1=st.floats(0.3, 2.0),
    s2=st.one_of(st.just(None), st.floats(0.3, 2.0)),
    dim=st.integers(1, 3),
)
def test_exact_masses_match_monte_carlo_labels(w1, sep, s1, s2, dim):
    # the mass of each label region, computed in closed form, is the share of exact draws so labelled
    s2 = s1 if s2 is None else s2  # equal scales: the regions are half-spaces
    model = two_mode_target(weights=(w1, 1 - w1), separation=sep, scales=(s1, s2), dim=dim)
    exact = exact_masses(model)
    assert exact.dims == ("mode",) and np.isclose(float(exact.sum()), 1.0)
    n = 20_000
    x, _ = _mixture_draws(model, n, np.random.default_rng(1))
    share = float(mode_of(_as_posterior(x), model).mean())
    se = np.sqrt(exact.values[1] * exact.values[0] / n)
    assert abs(share - exact.values[1]) < 5 * se + 1e-9


def test_mode_labels_are_the_components_on_separated_modes():
    model = two_mode_target()
    x, comp = _mixture_draws(model, 5000, np.random.default_rng(2))
    lab = mode_of(_as_posterior(x), model)
    assert lab.dims == ("chain", "draw") and lab.attrs["modes"] == ["heavy", "light"]
    # 6 apart at scales 1 and 0.3: the components' tails barely reach the other region
    assert (lab.values[0] != comp).mean() < 0.002
    np.testing.assert_allclose(exact_masses(model).values, [0.7, 0.3], atol=1e-4)


@pytest.fixture(scope="module")
@samples
def comparison():
    options = {
        "nuts_dispersed": {"chains": 4, "draws": 50, "tune": 100},
        "nutpie": {"chains": 2, "draws": 100, "tune": 100},
        "smc": {"chains": 4, "draws": 500},
        "pathfinder": {"num_paths": 4, "num_draws": 200, "num_draws_per_path": 100},
        "advi": {"n": 3000, "draws": 500},
    }
    return compare_samplers(two_mode_target(), random_seed=3, options=options)


def test_comparison_structure(comparison):
    res = comparison
    assert list(res["sampler"].values) == list(METHODS)
    assert list(res["mode"].values) == ["heavy", "light"]
    assert res["mass"].dims == ("sampler", "mode")
    np.testing.assert_allclose(res["mass"].sum("mode"), 1.0)
    np.testing.assert_allclose(res["abs_error"], np.abs(res["mass"] - res["reference"]))
    assert (res["seconds"] > 0).all()
    assert ((res["modes_visited"] >= 1) & (res["modes_visited"] <= 2)).all()
    assert res["n_chains"].sel(sampler="nuts_dispersed") == 4
    assert res["n_draws"].sel(sampler="smc") == 2000
    assert (res["chains_mixed"] <= res["n_chains"]).all()


def test_smc_gets_the_masses_within_monte_carlo_error(comparison):
    # SMC tempers from the prior to the mixture (the Potential counts as likelihood) and reweights
    res = comparison.sel(sampler="smc")
    p = res["reference"].values[1]
    # binomial standard error of 2000 draws, doubled for the correlation that resampling leaves
    se = 2 * np.sqrt(p * (1 - p) / int(res["n_draws"]))
    assert float(res["abs_error"].max()) < 5 * se
    assert int(res["modes_visited"]) == 2


def test_advi_sits_in_one_mode(comparison):
    # a mean-field Gaussian fitted by KL(q || p) cannot spread over two separated modes
    res = comparison.sel(sampler="advi")
    assert float(res["mass"].max()) > 0.95
    assert float(res["max_abs_error"]) > 0.25


def test_run_sampler_returns_draws_and_time(comparison):
    model = two_mode_target()  # the comparison's graph: compiled already
    draws, seconds = run_sampler(model, "advi", random_seed=4, n=200, draws=30)
    assert draws["posterior"]["theta"].sizes["draw"] == 30 and seconds > 0
    assert mode_of(draws, model).shape == (1, 30)


def _one_line(excinfo):
    msg = str(excinfo.value)
    assert "\n" not in msg and msg
    return msg


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"weights": (0.7, 0.4)}, ValueError, "sum to 1"),
        ({"weights": (1.0, 0.0)}, ValueError, "positive"),
        ({"weights": (0.2, 0.3, 0.5)}, ValueError, "shape"),
        ({"scales": (1.0, -1.0)}, ValueError, "positive"),
        ({"separation": 0.0}, ValueError, "positive"),
        ({"dim": 0}, ValueError, ">= 1"),
        ({"dim": 2.5}, TypeError, "integer"),
        ({"prior_sigma": -1.0}, ValueError, "positive"),
    ],
)
def test_two_mode_target_rejects_bad_input(kwargs, err, match):
    with pytest.raises(err, match=match) as excinfo:
        two_mode_target(**kwargs)
    _one_line(excinfo)


def test_bad_calls_are_refused_in_one_line():
    import pymc as pm

    model = two_mode_target()
    with pm.Model() as other:
        pm.Normal("x")
    post = _as_posterior(np.zeros((3, 2)))
    cases = [
        (lambda: run_sampler(model, "hmc", random_seed=1), ValueError, "unknown sampler"),
        (lambda: run_sampler(model, "smc", random_seed=-1), TypeError, "random_seed"),
        (
            lambda: run_sampler(model, "smc", random_seed=1, particles=3),
            ValueError,
            "unknown option",
        ),
        (lambda: run_sampler(model, "smc", random_seed=1, draws=0), ValueError, "draws"),
        (lambda: run_sampler("model", "smc", random_seed=1), TypeError, "pymc.Model"),
        (lambda: run_sampler(other, "nuts_dispersed", random_seed=1), ValueError, "initvals"),
        (
            lambda: run_sampler(model, "nuts_dispersed", random_seed=1, chains=2, initvals=[{}]),
            ValueError,
            "list of 2",
        ),
        (lambda: compare_samplers(model, [], random_seed=1), ValueError, "empty"),
        (lambda: compare_samplers(model, ["smc", "smc"], random_seed=1), ValueError, "repeated"),
        (lambda: compare_samplers(other, ["smc"], random_seed=1), ValueError, "mode_label_fn"),
        (
            lambda: compare_samplers(model, ["smc"], random_seed=1, reference_masses=[0.5, 0.6]),
            ValueError,
            "sum to 1",
        ),
        (
            lambda: compare_samplers(model, ["smc"], random_seed=1, mode_label_fn=3),
            TypeError,
            "callable",
        ),
        (
            lambda: compare_samplers(model, ["smc"], random_seed=1, options={"advi": {}}),
            ValueError,
            "options",
        ),
        (lambda: mode_of(post, other), ValueError, "two_mode_target"),
        (lambda: mode_of(post, model, var_name="x"), ValueError, "no variable"),
        (lambda: mode_of(_as_posterior(np.zeros((3, 3))), model), ValueError, "length 2"),
        (lambda: mode_of([1, 2], model), TypeError, "DataTree"),
        (lambda: mixture_logpdf(model, np.zeros((4, 3))), ValueError, "last axis"),
        (lambda: exact_masses("model"), TypeError, "pymc.Model"),
    ]
    for call, err, match in cases:
        with pytest.raises(err, match=match) as excinfo:
            call()
        _one_line(excinfo)
