"""Property-based checks of the plots' inputs: NaN/inf anywhere, sizes that cannot be drawn, empty axes,
colliding dims, and inputs left unchanged."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from mixlab.plots import (
    component_colors,
    plot_assignment,
    plot_coclustering,
    plot_ellipses,
    plot_mixture_fit,
)

DIMS = ("chain", "draw", "component")


def _post():
    return xr.Dataset({"w": (DIMS, [[[0.4, 0.6], [0.5, 0.5]]]),
                       "mu": (DIMS, [[[-2.0, 2.0], [-2.1, 2.2]]]),
                       "sigma": (DIMS, [[[1.0, 0.8], [0.9, 1.0]]])})


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@settings(max_examples=30, deadline=None)
@given(y=st.lists(st.floats(-20, 20), min_size=2, max_size=12),
       where=st.integers(0, 11), bad=st.sampled_from([np.nan, np.inf, -np.inf]))
def test_non_finite_observations_are_refused_by_every_plot(y, where, bad):
    y = np.array(y)
    y[where % y.size] = bad
    y_before = y.copy()
    for call in (lambda: plot_mixture_fit(y, _post()), lambda: plot_assignment(_post(), y),
                 lambda: plot_coclustering(_post(), y)):
        with pytest.raises(ValueError, match="NaN or infinite") as info:
            call()
        assert "\n" not in str(info.value)
    plt.close("all")
    np.testing.assert_array_equal(y, y_before)


@settings(max_examples=25, deadline=None)
@given(bins=st.one_of(st.integers(-5, 0), st.integers(100_001, 10**12), st.booleans(),
                      st.just("no-such-rule"), st.just([3.0, 1.0])))
def test_bins_that_cannot_be_drawn_are_refused(bins):
    with pytest.raises((ValueError, TypeError)) as info:
        plot_mixture_fit(np.linspace(-3, 3, 20), _post(), bins=bins)
    assert "\n" not in str(info.value)


@settings(max_examples=20, deadline=None)
@given(y=st.lists(st.floats(-10, 10), min_size=1, max_size=10))
def test_plots_leave_their_inputs_unchanged(y):
    y = np.array(y)
    post = _post()
    before, y_before = post.copy(deep=True), y.copy()
    plot_mixture_fit(y, post)
    plot_assignment(post, y)
    plt.close("all")
    xr.testing.assert_identical(post, before)
    np.testing.assert_array_equal(y, y_before)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: plot_assignment(_post(), [0.0], dim="chain"), "dim 'chain' is also one of"),
        (lambda: plot_assignment(_post(), [0.0], obs_dim="draw"), "obs_dim 'draw' is also"),
        (lambda: plot_mixture_fit([], _post()), "y must have at least 1 element"),
        (lambda: plot_mixture_fit([0.0], _post(), dims="component"), "unknown option"),
        (lambda: component_colors(0), "n_components must be >= 1"),
        (lambda: plot_ellipses(np.zeros((3, 2)), _post()), "mv_normal|corr|feature"),
    ],
)
def test_colliding_or_empty_inputs_are_explained(call, message):
    with pytest.raises((ValueError, TypeError), match=message) as info:
        call()
    assert "\n" not in str(info.value)
