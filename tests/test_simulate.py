"""Simulators: the data follow the mixture they were asked for, and bad input is explained."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixlab.simulate import simulate_gmm, simulate_mixture_regression


def test_gmm_recovers_its_parameters():
    w, mu, sd = np.array([0.2, 0.5, 0.3]), np.array([-5.0, 0.0, 6.0]), np.array([0.5, 1.0, 2.0])
    y, z = simulate_gmm(w, mu, sd, n=20_000, rng=0)
    # with 20,000 draws the standard error of a share is < 0.004 and of a mean < 0.04
    np.testing.assert_allclose(np.bincount(z, minlength=3) / z.size, w, atol=0.015)
    for k in range(3):
        assert y[z == k].mean() == pytest.approx(mu[k], abs=0.1)
        assert y[z == k].std() == pytest.approx(sd[k], rel=0.05)


def test_gmm_is_reproducible_with_a_seed_and_a_generator():
    a = simulate_gmm([0.5, 0.5], [0, 1], [1, 1], n=50, rng=7)
    b = simulate_gmm([0.5, 0.5], [0, 1], [1, 1], n=50, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_regression_recovers_its_lines():
    x, y, z = simulate_mixture_regression([0.5, 0.5], [1.0, 8.0], [2.0, -1.0], [0.2, 0.2], n=4000, rng=1)
    assert x.min() >= 0 and x.max() <= 10
    for k, (a, b) in enumerate([(1.0, 2.0), (8.0, -1.0)]):
        slope, intercept = np.polyfit(x[z == k], y[z == k], 1)
        assert slope == pytest.approx(b, abs=0.02) and intercept == pytest.approx(a, abs=0.1)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (dict(weights=[0.5, 0.6]), ValueError, r"weights must sum to 1 \(got 1.1\)"),
        (dict(weights=[1.5, -0.5]), ValueError, "weights must be non-negative"),
        (dict(sigmas=[1.0, 0.0]), ValueError, "sigmas must be positive, got 0"),
        (dict(means=[0.0, 1.0, 2.0]), ValueError, "means has 3 value.s. but weights has 2"),
        (dict(means=[0.0, np.nan]), ValueError, "means contains 1 NaN"),
        (dict(n=0), ValueError, "n must be >= 1, got 0"),
        (dict(n=2.5), TypeError, "n must be an integer"),
        (dict(rng="seed"), TypeError, "rng must be a numpy.random.Generator or an integer seed"),
        (dict(weights="ab"), TypeError, "weights must be numeric"),
    ],
)
def test_gmm_bad_input(kwargs, error, message):
    args = dict(weights=[0.5, 0.5], means=[0.0, 1.0], sigmas=[1.0, 1.0], n=10, rng=0) | kwargs
    with pytest.raises(error, match=message):
        simulate_gmm(**args)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(x_range=(5, 1)), "x_range must be .low, high. with low < high"),
        (dict(x_range=(0, 1, 2)), r"x_range must have shape \(2,\)"),
        (dict(slopes=[1.0]), "slopes has 1 value.s. but weights has 2"),
        (dict(sigmas=[-1.0, 1.0]), "sigmas must be positive"),
    ],
)
def test_regression_bad_input(kwargs, message):
    args = dict(weights=[0.5, 0.5], intercepts=[0, 1], slopes=[1, 2], sigmas=[1, 1], n=10, rng=0) | kwargs
    with pytest.raises(ValueError, match=message):
        simulate_mixture_regression(**args)


@settings(max_examples=40, deadline=None)
@given(
    k=st.integers(1, 5),
    n=st.integers(1, 200),
    seed=st.integers(0, 2**32 - 1),
)
def test_labels_and_shapes_for_any_valid_input(k, n, seed):
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.ones(k))
    y, z = simulate_gmm(w, rng.normal(size=k), rng.uniform(0.1, 2, size=k), n=n, rng=seed)
    assert y.shape == z.shape == (n,)
    assert z.min() >= 0 and z.max() < k
    assert np.all(np.isfinite(y))
