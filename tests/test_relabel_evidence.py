"""switching_evidence: label-switching evidence of one component variable, for any K."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from mixlab.relabel import switching_evidence

DIMS = ("chain", "draw", "component")


def separated(k, chains=2, draws=400, seed=0, sd=1.0):
    rng = np.random.default_rng(seed)
    mu = 5.0 * np.arange(k) + sd * rng.standard_normal((chains, draws, k))
    return xr.DataArray(mu, dims=DIMS, name="mu")


def test_k32_chains_in_opposite_labellings_are_detected():
    da = separated(32)
    da.values[1] = da.values[1][:, ::-1]
    ev = switching_evidence(da)
    assert bool(ev["chains_disagree"])
    assert float(ev["off_modal"]) == pytest.approx(0.5, abs=0.02)
    assert float(ev["rank_dev"].min()) > 0.45
    assert float(ev["rhat"].min()) > 1.5
    # sorted, the chains agree: the largest of 32 R-hats of (nearly) iid draws, 2 chains x 400, had
    # mean 1.007 and maximum 1.022 over 300 simulated sets (above 1.01 in 11% of them)
    assert float(ev["rhat_sorted"].max()) < 1.05


@pytest.mark.parametrize("k", [2, 17, 40])
def test_consistent_labelling_shows_no_switching(k):
    ev = switching_evidence(separated(k, chains=3, sd=0.3))
    assert not bool(ev["chains_disagree"])
    assert float(ev["off_modal"]) == 0.0
    assert float(ev["rhat"].max()) < 1.02


def test_well_mixed_draws_give_rank_dev_of_order_one_over_sqrt_draws():
    draws = 1000
    ev = switching_evidence(separated(3, chains=4, draws=draws, seed=3))
    dev = ev["rank_dev"].values
    assert dev.max() < 3.0 / np.sqrt(draws)
    assert dev.max() > 0.2 / np.sqrt(draws)


def test_rhat_is_arviz_rank_normalised_split_rhat_with_extra_dims_and_coords():
    rng = np.random.default_rng(1)
    da = xr.DataArray(
        rng.standard_normal((2, 200, 3, 2)) + np.array([0.0, 4.0, 8.0])[:, None],
        dims=(*DIMS, "x"), coords={"component": [10, 20, 30], "x": ["a", "b"]}, name="beta",
    ).transpose("x", "component", "draw", "chain")
    ev = switching_evidence(da)
    assert ev["rhat"].dims == ("component", "x")
    expected = az.rhat(da, sample_dims=["chain", "draw"]).transpose("component", "x")
    np.testing.assert_allclose(ev["rhat"].values, expected.values)
    assert list(ev["rhat"]["component"].values) == [10, 20, 30]
    sorted_da = da.transpose("chain", "draw", "component", "x").copy()
    sorted_da.values = np.sort(sorted_da.values, axis=2)
    np.testing.assert_allclose(
        ev["rhat_sorted"].values,
        az.rhat(sorted_da, sample_dims=["chain", "draw"]).transpose("component", "x").values,
    )


def test_orderings_use_the_first_extra_coordinate():
    da = separated(3, chains=2, draws=50)
    two = xr.concat([da, -da], dim="x").transpose(*DIMS, "x")  # x=1 has the reversed order
    two.values[1, :, :, 1] = two.values[1, :, ::-1, 1]  # scramble chain 1 of x=1 only
    ev = switching_evidence(two)
    assert float(ev["off_modal"]) == 0.0 and not bool(ev["chains_disagree"])


def test_one_chain_gives_nan_rhat_not_an_error():
    da = separated(3, chains=1, draws=100)
    ev = switching_evidence(da)
    assert np.isnan(ev["rhat"].values).all() and np.isnan(ev["rhat_sorted"].values).all()
    assert not bool(ev["chains_disagree"])
    ev = switching_evidence(da.isel(chain=0), sample_dims=("draw",))
    assert np.isnan(ev["rhat"].values).all()
    assert float(ev["off_modal"]) == 0.0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda da: switching_evidence(da.values), TypeError, "must be an xarray.DataArray"),
        (lambda da: switching_evidence(da, dim="chain"), ValueError, "also one of sample_dims"),
        (lambda da: switching_evidence(da, dim="k"), ValueError, "no dimension 'k'"),
        (lambda da: switching_evidence(da, sample_dims=None), TypeError, "sample_dims must be"),
        (lambda da: switching_evidence(da, sample_dims=("chain", "d")), ValueError, "'d'"),
        (lambda da: switching_evidence(da, dim=3), TypeError, "dim must be a non-empty string"),
        (lambda da: switching_evidence(da.isel(component=[])), ValueError, "no entries along"),
        (lambda da: switching_evidence(da.isel(draw=[])), ValueError, "no entries along"),
        (lambda da: switching_evidence(da.where(da > 1.0)), ValueError, "NaN or infinite"),
        (lambda da: switching_evidence(da.astype(str)), TypeError, "numeric"),
    ],
)
def test_bad_input_is_explained_in_one_line(call, error, message):
    with pytest.raises(error, match=message) as info:
        call(separated(3, draws=20))
    assert "\n" not in str(info.value)


@settings(max_examples=30, deadline=None)
@given(
    chains=st.integers(1, 3), draws=st.integers(1, 30), k=st.integers(1, 20),
    seed=st.integers(0, 2**16), bad=st.sampled_from([None, np.nan, np.inf, -np.inf]),
)
def test_any_shape_gives_an_answer_or_a_clear_error_and_leaves_input_alone(
    chains, draws, k, seed, bad
):
    da = separated(k, chains=chains, draws=draws, seed=seed)
    if bad is not None:
        da.values[0, draws // 2, k // 2] = bad
    before = da.copy(deep=True)
    if bad is not None:
        with pytest.raises(ValueError, match="NaN or infinite"):
            switching_evidence(da)
    else:
        ev = switching_evidence(da)
        assert ev["rank_dev"].shape == (k,)
        assert 0.0 <= float(ev["off_modal"]) < 1.0
        assert ((ev["rank_dev"] >= 0) & (ev["rank_dev"] <= 1)).all()
    xr.testing.assert_identical(da, before)
