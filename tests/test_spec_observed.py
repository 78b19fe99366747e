"""observed_variable: the one lookup of the observed data, shared by the spec and the plots; and
PosteriorSpec.draws without a selection argument."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr

from mixlab.invariants import coclustering
from mixlab.plots import plot_assignment, plot_coclustering
from mixlab.spec import observed_variable, resolve

DIMS = ("chain", "draw", "component")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _tree(y_name="y", y=(2.0, -1.0, 0.5, -3.0)):
    post = xr.Dataset({"w": (DIMS, np.full((1, 3, 2), 0.5)),
                       "mu": (DIMS, np.tile([-2.0, 2.0], (1, 3, 1))),
                       "sigma": (DIMS, np.ones((1, 3, 2)))})
    obs = xr.Dataset({y_name: ("obs", np.asarray(y))}, coords={"obs": [10, 11, 12, 13]})
    return xr.DataTree.from_dict({"posterior": post, "observed_data": obs})


def test_observed_variable_finds_the_data_or_says_none():
    tree = _tree()
    y = observed_variable(tree)
    assert isinstance(y, xr.DataArray) and list(y["obs"].values) == [10, 11, 12, 13]
    np.testing.assert_array_equal(y.values, [2.0, -1.0, 0.5, -3.0])
    assert observed_variable(tree, "other") is None
    assert observed_variable(tree["posterior"].to_dataset()) is None  # a Dataset: no groups
    assert observed_variable(xr.DataTree.from_dict({"posterior": tree["posterior"].to_dataset()})) is None
    assert observed_variable(np.zeros(3)) is None
    # a spec reads its source, under its own name for the role y
    renamed = _tree("velocity")
    spec = resolve(renamed, var_names={"y": "velocity"})
    np.testing.assert_array_equal(observed_variable(spec).values, [2.0, -1.0, 0.5, -3.0])
    assert observed_variable(resolve(tree)).equals(y)
    with pytest.raises(TypeError, match="name must be the name of an observed variable"):
        observed_variable(tree, 3)


def test_the_spec_and_the_plots_read_the_same_observations():
    renamed = _tree("velocity")
    spec = resolve(renamed, var_names={"y": "velocity"})
    y_arr, coord = spec.observations()
    np.testing.assert_array_equal(y_arr, [2.0, -1.0, 0.5, -3.0])
    np.testing.assert_array_equal(coord, [10, 11, 12, 13])
    with pytest.raises(ValueError, match="no observed_data variable 'y'"):
        resolve(renamed).observations()
    with pytest.raises(ValueError, match="a Dataset carries no observed data"):
        resolve(renamed["posterior"].to_dataset()).observations()
    # the co-clustering is sorted by the observed y, read under var_names or through the spec
    order = np.argsort([2.0, -1.0, 0.5, -3.0])
    for data, opts in ((renamed, {"var_names": {"y": "velocity"}}), (spec, {})):
        ax = plot_coclustering(data, **opts)
        assert ax.get_xlabel() == "observation (sorted by y)"
        c = coclustering(data, **opts).values
        np.testing.assert_allclose(ax.get_images()[0].get_array(), c[np.ix_(order, order)])
        ax = plot_assignment(data, **opts)
        assert ax.get_xlabel() == "y"
        np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), np.sort([2.0, -1.0, 0.5, -3.0]))
    # without observed data, the observations are placed by their index
    z = xr.DataArray([[[0, 0, 1, 1], [1, 1, 0, 0]]], dims=("chain", "draw", "obs"))
    assert plot_coclustering(z).get_xlabel() == "observation"
    ax = plot_coclustering(z, y=[2.0, -1.0, 0.5, -3.0])
    assert ax.get_xlabel() == "observation (sorted by y)"


def test_draws_takes_no_selection():
    spec = resolve(_tree())
    draws = spec.draws()
    assert draws.n_samples == 3 and draws.take(slice(0, 2)).n_samples == 2
    with pytest.raises(TypeError):
        spec.draws(slice(0, 1))
