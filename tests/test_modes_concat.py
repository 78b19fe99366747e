"""mixlab.modes.concat_chains: runs joined along chain, data groups kept once, bad input refused."""

import numpy as np
import pytest
import xarray as xr

from mixlab.modes import concat_chains


def _run(seed, chains=2, draws=6, with_ll=True, y=None):
    rng = np.random.default_rng(seed)
    y = np.arange(3.0) if y is None else y
    groups = {
        "posterior": xr.Dataset(
            {"mu": (("chain", "draw", "component"), rng.normal(size=(chains, draws, 2)))},
            coords={"chain": np.arange(chains), "draw": np.arange(draws), "component": [0, 1]},
        ),
        "observed_data": xr.Dataset({"y": ("obs", y)}, coords={"obs": np.arange(y.size)}),
    }
    if with_ll:
        groups["log_likelihood"] = xr.Dataset(
            {"y": (("chain", "draw", "obs"), rng.normal(size=(chains, draws, y.size)))}
        )
    return xr.DataTree.from_dict(groups)


def test_chains_are_joined_in_order_and_renumbered():
    runs = [_run(0, chains=2), _run(1, chains=3), _run(2, chains=1)]
    tree = concat_chains(runs)
    assert tree.posterior.sizes["chain"] == 6
    np.testing.assert_array_equal(tree.posterior["chain"], np.arange(6))
    assert tree.attrs["runs"] == [0, 0, 1, 1, 1, 2]
    for group in ("posterior", "log_likelihood"):
        got = tree[group]["mu" if group == "posterior" else "y"].values
        want = np.concatenate(
            [r[group]["mu" if group == "posterior" else "y"].values for r in runs]
        )
        np.testing.assert_array_equal(got, want)
    xr.testing.assert_equal(tree.observed_data.to_dataset(), runs[0].observed_data.to_dataset())


@pytest.mark.parametrize(
    ("runs", "exc", "match"),
    [
        ("not a list", TypeError, "takes a list of DataTrees"),
        ([_run(0)], ValueError, "at least two runs"),
        ([_run(0), _run(1, with_ll=False)], ValueError, r"same groups .*log_likelihood"),
        ([_run(0), _run(1, draws=7)], ValueError, "same draws"),
        ([_run(0), _run(1, y=np.arange(3.0) + 1)], ValueError, "observed_data differ"),
        ([_run(0), xr.DataTree()], ValueError, "posterior"),
    ],
)
def test_bad_input_is_refused_in_one_line(runs, exc, match):
    with pytest.raises(exc, match=match) as info:
        concat_chains(runs)
    assert "\n" not in str(info.value)
