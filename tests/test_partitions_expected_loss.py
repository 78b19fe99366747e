"""expected_loss against the loop over vi_distance / binder_distance, its agreement with
point_estimate, every input point_estimate takes; and the labelled partition point_estimate
returns for xarray input."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from mixlab.invariants import coclustering
from mixlab.partitions import (
    binder_distance,
    credible_ball,
    expected_loss,
    point_estimate,
    vi_distance,
)

SETTINGS = settings(max_examples=40, deadline=None)
DIST = {"vi": vi_distance, "binder": binder_distance}


@st.composite
def draws_and_candidate(draw):
    n = draw(st.integers(1, 9))
    s = draw(st.integers(1, 10))
    flat = draw(st.lists(st.integers(-2, 4), min_size=n * (s + 1), max_size=n * (s + 1)))
    arr = np.array(flat).reshape(s + 1, n)
    return arr[1:], arr[0]


def loop(candidate, draws, loss):
    """The chapter's reference: a Python loop over the draws."""
    return float(np.mean([DIST[loss](candidate, row) for row in draws]))


@pytest.mark.parametrize("loss", ["vi", "binder"])
@SETTINGS
@given(case=draws_and_candidate())
def test_equals_the_loop_over_the_distances(loss, case):
    draws, candidate = case
    got = expected_loss(candidate, draws, loss=loss)
    assert got == pytest.approx(loop(candidate, draws, loss), abs=1e-10)
    assert got >= 0.0
    # labels are arbitrary: renaming the candidate's clusters changes nothing
    assert expected_loss(candidate * 3 + 7, draws, loss=loss) == pytest.approx(got, abs=1e-12)


def test_hand_example():
    # one cluster against the singletons of n = 3, in 2 of 3 draws: E[VI] = (1/3) log 3,
    # E[Binder] = 1/3 (every pair discordant in one draw)
    draws = [[4, 4, 4], [0, 0, 0], [2, 0, 1]]
    assert expected_loss([1, 1, 1], draws) == pytest.approx(np.log(3) / 3)
    assert expected_loss([1, 1, 1], draws, loss="binder") == pytest.approx(1 / 3)
    assert expected_loss([0, 1, 2], draws) == pytest.approx(2 * np.log(3) / 3)


@pytest.mark.parametrize("loss", ["vi", "binder"])
@pytest.mark.parametrize("method", ["exact", "search"])
def test_is_what_point_estimate_minimises(loss, method):
    rng = np.random.default_rng(11)
    truth = np.repeat([0, 1, 2], 3)
    draws = np.where(rng.random((60, 9)) < 0.8, truth, rng.integers(0, 3, (60, 9)))
    est = point_estimate(draws, loss=loss, method=method, rng=0)
    assert expected_loss(est, draws, loss=loss) == est.expected_loss
    assert expected_loss(est.partition, draws, loss=loss) == est.expected_loss
    exact = point_estimate(draws, loss=loss, method="exact")
    for candidate in (truth, np.zeros(9, int), np.arange(9), draws[0]):
        assert expected_loss(candidate, draws, loss=loss) >= exact.expected_loss - 1e-12


def test_takes_every_input_point_estimate_takes():
    rng = np.random.default_rng(12)
    draws = rng.integers(0, 3, size=(12, 7))
    candidate = draws[3]
    z = xr.DataArray(draws.reshape(3, 4, 7), dims=("chain", "draw", "obs"))
    tree = xr.DataTree.from_dict({"posterior": xr.Dataset({"z": z, "labels": z})})
    for loss in ("vi", "binder"):
        want = loop(candidate, draws, loss)
        for data in (draws, z, tree, tree["posterior"].to_dataset()):
            assert expected_loss(candidate, data, loss=loss) == pytest.approx(want, abs=1e-12)
        assert expected_loss(candidate, tree, loss, var_name="labels") == pytest.approx(want)
    psm = coclustering(z)
    assert expected_loss(candidate, psm, loss="binder") == pytest.approx(loop(candidate, draws,
                                                                               "binder"))
    before = draws.copy()
    expected_loss(candidate, draws)
    np.testing.assert_array_equal(draws, before)


def test_bad_input_is_explained():
    draws = np.array([[0, 0, 1], [0, 1, 1]])
    with pytest.raises(ValueError, match="partition labels 2 observations but the draws label 3"):
        expected_loss([0, 1], draws)
    with pytest.raises(ValueError, match="loss must be 'vi' or 'binder', got 'rand'"):
        expected_loss([0, 1, 1], draws, loss="rand")
    with pytest.raises(ValueError, match="co-clustering matrix holds too little"):
        expected_loss([0, 1, 1], coclustering(xr.DataArray(draws[None], dims=("chain", "draw", "obs"))))
    with pytest.raises(ValueError, match="partition must"):
        expected_loss([0.5, 1, 1], draws)
    with pytest.raises(TypeError, match="partition must be a 1-D array of integer labels"):
        expected_loss(xr.Dataset(), draws)
    with pytest.raises(ValueError, match="draws must be 2-dimensional"):
        expected_loss([0, 1, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="no sampled labels 'z'"):
        expected_loss([0, 1, 1], xr.DataTree.from_dict({"posterior": xr.Dataset({"w": ("x", [1.0])})}))


# ----------------------------------------------------------------------------------------------
# point_estimate: labelled in, labelled out
# ----------------------------------------------------------------------------------------------


def test_point_estimate_of_labelled_draws_is_a_dataarray():
    draws = np.array([[0, 0, 1, 1, 2], [1, 1, 0, 0, 2], [0, 0, 1, 2, 2]] * 3)
    names = ["a", "b", "c", "d", "e"]
    z = xr.DataArray(draws.reshape(3, 3, 5), dims=("chain", "draw", "obs"), coords={"obs": names})
    tree = xr.DataTree.from_dict({"posterior": xr.Dataset({"z": z})})
    plain = point_estimate(draws)
    assert isinstance(plain.partition, np.ndarray)  # numpy in, numpy out
    for loss in ("vi", "binder"):
        want = point_estimate(draws, loss=loss)
        for data in (z, tree, tree["posterior"].to_dataset()):
            est = point_estimate(data, loss=loss)
            part = est.partition
            assert isinstance(part, xr.DataArray) and part.dims == ("obs",) and part.name == "partition"
            assert list(part["obs"].values) == names
            np.testing.assert_array_equal(part.values, want.partition)
            assert part.attrs == {"loss": loss, "expected_loss": est.expected_loss}
            assert est.expected_loss == want.expected_loss
    # from the co-clustering matrix (Binder), with its coordinate
    est = point_estimate(coclustering(z), loss="binder")
    assert list(est.partition["obs"].values) == names
    # without a coordinate: dim obs, no coordinate
    bare = point_estimate(xr.DataArray(draws, dims=("draw", "obs")), sample_dims=("draw",))
    assert bare.partition.dims == ("obs",) and "obs" not in bare.partition.coords
    # a labelled estimate is accepted wherever a partition is
    ball = credible_ball(z, point_estimate(z), prob=0.5)
    assert ball.radius == pytest.approx(credible_ball(draws, plain, prob=0.5).radius)
    assert vi_distance(point_estimate(z).partition, plain.partition) == 0.0
