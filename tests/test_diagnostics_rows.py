"""The rows of diagnose one by one, and the label-switching row for many components."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from mixlab.diagnostics import STATUSES, _rows, component_overlap, diagnose

DIMS = ("chain", "draw", "component")


def _separated(k, shape=(4, 200), seed=0):
    """Well separated components (means 10 apart, unit scales, nearly equal weights)."""
    rng = np.random.default_rng(seed)
    return {"w": rng.dirichlet(np.full(k, 200.0), size=shape),
            "mu": np.arange(k) * 10.0 + rng.normal(0, 0.1, (*shape, k)),
            "sigma": np.exp(rng.normal(0, 0.05, (*shape, k)))}


def _dataset(arrays):
    return xr.Dataset({name: (DIMS, value) for name, value in arrays.items()})


# --------------------------------------------------------------------------- label switching, any K


def test_k32_chains_with_swapped_labels_fail():
    """The ordering used to be coded as one int64 per draw, which overflowed for K >= 17: with the
    last two of 32 components swapped in two chains, diagnose said "pass" next to R-hat 1.74."""
    k = 32
    arrays = _separated(k)
    for value in arrays.values():
        value[2:] = value[2:][..., [*range(k - 2), k - 1, k - 2]]
    table = diagnose(_dataset(arrays))
    row = table.loc["label switching"]
    assert row["status"] == "fail", row["explanation"]
    assert row["value"] == pytest.approx(0.5)
    assert "as labelled" in row["explanation"] and "after sorting each draw" in row["explanation"]
    assert table.loc["R-hat", "status"] == "fail"


def test_k32_switching_within_chains_warns():
    k = 32
    arrays = _separated(k, seed=1)
    for value in arrays.values():  # 5% of the draws of every chain swap the last two components
        value[:, ::20] = value[:, ::20][..., [*range(k - 2), k - 1, k - 2]]
    row = diagnose(_dataset(arrays)).loc["label switching"]
    assert row["status"] == "warn"
    assert row["value"] == pytest.approx(0.05)


def test_k32_well_mixed_posterior_passes():
    row = diagnose(_dataset(_separated(32, seed=2))).loc["label switching"]
    assert row["status"] == "pass" and row["value"] == 0.0


def test_without_a_chain_dim_all_draws_form_one_chain():
    arrays = _separated(3, shape=(1, 300))
    ds = _dataset(arrays).isel(chain=0)
    table = diagnose(ds, sample_dims=("draw",))
    assert table.loc["label switching", "status"] == "pass"
    assert "R-hat" not in table.loc["label switching", "explanation"]  # one chain: no R-hat
    # R-hat needs chains and draws: skipped with the reason, not an ArviZ error
    assert table.loc["R-hat", "status"] == "skip"
    assert "two sample dims" in table.loc["R-hat", "explanation"]
    flat = _dataset(_separated(3, shape=(2, 150))).stack(sample=("chain", "draw"))
    flat = flat.drop_vars(["sample", "chain", "draw"]).transpose("sample", "component")
    assert diagnose(flat, sample_dims=("sample",)).loc["label switching", "status"] == "pass"


# --------------------------------------------------------------------------- single rows


def test_every_row_function_returns_one_row_with_a_documented_status():
    rng = np.random.default_rng(0)
    w = rng.dirichlet([5, 5], size=50)
    sigma = np.exp(rng.normal(size=(50, 2)))
    rows = [_rows.chains_row(3), _rows.divergences_row(None, 10), _rows.treedepth_row(None),
            _rows.bfmi_row(None, 0.3), _rows.empty_row(w, "w", 0.02), _rows.empty_row(None, "w", 0.02),
            _rows.scales_row(sigma, "sigma", None, 0.02), _rows.scales_row(None, "sigma", None, 0.02),
            *_rows.mixture_skip_rows("one component", 0.01, 0.1),
            _rows.overlap_row(w, rng.normal(size=(50, 2)), sigma, missing=[], other="nu",
                              overlap_max=0.1)]
    for row in rows:
        assert isinstance(row, _rows.Row)
        assert row.status in STATUSES
    assert rows[0].status == "warn" and rows[0].value == 3.0
    assert [r.status for r in rows[1:4]] == ["skip"] * 3
    assert rows[-1].status == "skip" and "'nu'" in rows[-1].explanation


def test_empty_row_measures_the_mean_smallest_weight():
    w = np.array([[0.99, 0.01], [0.5, 0.5]])
    row = _rows.empty_row(w, "w", 0.02)
    assert row.value == pytest.approx(0.255) and row.status == "pass"
    assert _rows.empty_row(w, "w", 0.3).status == "warn"


def test_switching_row_thresholds():
    def evidence(off_modal, disagree):
        return xr.Dataset({"rhat": ("component", [np.nan, np.nan]),
                           "rhat_sorted": ("component", [np.nan, np.nan]),
                           "off_modal": off_modal, "chains_disagree": disagree})

    assert _rows.switching_row(evidence(0.01, False), "mu", 0.01).status == "pass"
    assert _rows.switching_row(evidence(0.02, False), "mu", 0.01).status == "warn"
    assert _rows.switching_row(evidence(0.0, True), "mu", 0.01).status == "fail"


def test_component_overlap_rejects_absent_components():
    """A NaN weight marks an absent component; the overlap of such a pair is undefined."""
    arrays = _separated(3, shape=(2, 10))
    arrays["w"][0, 0] = [0.5, 0.5, np.nan]
    for name in ("mu", "sigma"):
        arrays[name][0, 0, 2] = np.nan
    with pytest.raises(ValueError, match="'w'") as info:
        component_overlap(_dataset(arrays))
    assert "\n" not in str(info.value)
