"""Tests for mixlab.timing: timers, recorded sampling time and the efficiency table."""

from __future__ import annotations

import time
import warnings

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from mixlab.timing import TABLE_COLUMNS, Timer, efficiency_table, sampling_time, timed


def _run(values, *, diverging=None, sampling_seconds=None):
    """A DataTree like pm.sample's, with mu (chain, draw, component) and sample_stats.diverging."""
    values = np.asarray(values, dtype=float)
    chains, draws = values.shape[:2]
    if diverging is None:
        diverging = np.zeros((chains, draws), dtype=bool)
    dt = az.from_dict(
        {"posterior": {"mu": values}, "sample_stats": {"diverging": diverging}},
        dims={"mu": ["component"]},
    )
    if sampling_seconds is not None:
        dt["posterior"].attrs["sampling_time"] = sampling_seconds
    return dt


@pytest.fixture
def iid_and_walk():
    rng = np.random.default_rng(42)
    iid = _run(rng.normal(size=(4, 500, 2)), sampling_seconds=2.0)
    walk = _run(np.cumsum(rng.normal(size=(4, 500, 2)), axis=1), sampling_seconds=0.5)
    return iid, walk


# ---------------------------------------------------------------- timers


def test_timer_measures_a_sleep():
    with Timer() as t:
        time.sleep(0.05)
    assert 0.045 <= t.seconds < 1.0
    assert "Timer(seconds=" in repr(t)


def test_timer_is_nan_before_exit_and_records_on_exception():
    t = Timer()
    assert np.isnan(t.seconds)
    with pytest.raises(RuntimeError), t:
        time.sleep(0.01)
        raise RuntimeError("boom")
    assert t.seconds >= 0.009


def test_timed_returns_result_and_seconds():
    result, seconds = timed(lambda a, b=0: (time.sleep(0.02), a + b)[1], 2, b=3)
    assert result == 5
    assert 0.015 <= seconds < 1.0


def test_timed_rejects_non_callable():
    with pytest.raises(TypeError, match="func must be callable, got int"):
        timed(3)


# ---------------------------------------------------------------- sampling_time


def test_sampling_time_from_datatree_and_dataset(iid_and_walk):
    iid, _ = iid_and_walk
    assert sampling_time(iid) == 2.0
    assert sampling_time(iid["posterior"].to_dataset()) == 2.0


def test_sampling_time_missing_attribute():
    dt = _run(np.zeros((2, 10, 2)))
    with pytest.raises(ValueError, match="no 'sampling_time' attribute.*Timer"):
        sampling_time(dt)


def test_sampling_time_missing_group():
    dt = _run(np.zeros((2, 10, 2)))
    with pytest.raises(ValueError, match="no group 'prior'"):
        sampling_time(dt, group="prior")


# ---------------------------------------------------------------- efficiency_table


def test_table_columns_index_and_recorded_seconds(iid_and_walk):
    iid, walk = iid_and_walk
    table = efficiency_table({"iid": iid, "walk": walk}, var_names=["mu"])
    assert isinstance(table, pd.DataFrame)
    assert tuple(table.columns) == TABLE_COLUMNS
    assert list(table.index) == ["iid", "walk"] and table.index.name == "run"
    # seconds default to the recorded sampling time
    assert table.loc["iid", "seconds"] == 2.0 and table.loc["walk", "seconds"] == 0.5


def test_table_ess_is_minimum_over_elements_and_rate_divides(iid_and_walk):
    iid, walk = iid_and_walk
    table = efficiency_table({"iid": iid, "walk": walk}, "mu")
    expected_bulk = float(az.ess(iid, var_names=["mu"], method="bulk")["mu"].min())
    expected_tail = float(az.ess(iid, var_names=["mu"], method="tail")["mu"].min())
    assert table.loc["iid", "ess_bulk"] == pytest.approx(expected_bulk)
    assert table.loc["iid", "ess_tail"] == pytest.approx(expected_tail)
    assert table.loc["iid", "ess_bulk_per_s"] == pytest.approx(expected_bulk / 2.0)
    assert table.loc["iid", "ess_tail_per_s"] == pytest.approx(expected_tail / 2.0)
    # independent draws mix; a random walk does not, even though it "sampled" 4x faster
    assert table.loc["iid", "ess_bulk"] > 1000
    assert table.loc["walk", "ess_bulk"] < 100
    assert table.loc["iid", "ess_bulk_per_s"] > table.loc["walk", "ess_bulk_per_s"]
    assert table.loc["iid", "rhat_max"] < 1.01 < table.loc["walk", "rhat_max"]


def test_table_minimum_picks_worst_element():
    rng = np.random.default_rng(1)
    values = rng.normal(size=(4, 400, 2))
    values[..., 1] = np.cumsum(values[..., 1], axis=1)  # component 1 mixes badly
    one = efficiency_table({"a": _run(values)}, "mu", seconds={"a": 1.0})
    only_good = efficiency_table({"a": _run(values[..., :1])}, "mu", seconds={"a": 1.0})
    assert one.loc["a", "ess_bulk"] < 0.2 * only_good.loc["a", "ess_bulk"]


def test_table_explicit_seconds_override_recorded(iid_and_walk):
    iid, walk = iid_and_walk
    table = efficiency_table({"iid": iid, "walk": walk}, "mu", seconds={"iid": 4.0, "walk": 1.0})
    assert table.loc["iid", "seconds"] == 4.0
    assert table.loc["iid", "ess_bulk_per_s"] == pytest.approx(table.loc["iid", "ess_bulk"] / 4.0)


def test_table_counts_divergences():
    rng = np.random.default_rng(3)
    div = np.zeros((2, 100), dtype=bool)
    div[0, [3, 7, 9]] = True
    div[1, 50] = True
    table = efficiency_table({"a": _run(rng.normal(size=(2, 100, 2)), diverging=div)}, "mu",
                             seconds={"a": 1.0})
    assert table.loc["a", "divergences"] == 4


def test_table_wall_seconds_adds_setup_columns(iid_and_walk):
    iid, walk = iid_and_walk
    table = efficiency_table({"iid": iid, "walk": walk}, "mu", wall_seconds={"iid": 5.0, "walk": 0.75})
    assert tuple(table.columns) == (*TABLE_COLUMNS, "setup_seconds", "ess_bulk_per_wall_s")
    assert table.loc["iid", "setup_seconds"] == pytest.approx(3.0)
    assert table.loc["walk", "setup_seconds"] == pytest.approx(0.25)
    assert table.loc["iid", "ess_bulk_per_wall_s"] == pytest.approx(table.loc["iid", "ess_bulk"] / 5.0)


def test_table_accepts_dataset_with_nan_divergences(iid_and_walk):
    iid, _ = iid_and_walk
    ds = iid["posterior"].to_dataset()
    table = efficiency_table({"iid": ds}, "mu")
    assert table.loc["iid", "seconds"] == 2.0
    assert np.isnan(table.loc["iid", "divergences"])


def test_table_default_var_names_uses_all_variables():
    rng = np.random.default_rng(5)
    dt = az.from_dict({"posterior": {"mu": rng.normal(size=(2, 200, 2)),
                                     "bad": np.cumsum(rng.normal(size=(2, 200)), axis=1)}},
                      dims={"mu": ["component"]})
    all_vars = efficiency_table({"a": dt}, seconds={"a": 1.0})
    mu_only = efficiency_table({"a": dt}, "mu", seconds={"a": 1.0})
    assert all_vars.loc["a", "ess_bulk"] < mu_only.loc["a", "ess_bulk"]


def test_table_leaves_out_constant_variables_without_warning():
    # the weight of a one-component mixture is the constant 1: no ESS, no R-hat, no 0/0 warning
    rng = np.random.default_rng(6)
    dt = az.from_dict({"posterior": {"mu": rng.normal(size=(2, 200, 1)), "w": np.ones((2, 200, 1))}},
                      dims={"mu": ["component"], "w": ["component"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        both = efficiency_table({"a": dt}, ["w", "mu"], seconds={"a": 1.0})
    mu_only = efficiency_table({"a": dt}, "mu", seconds={"a": 1.0})
    pd.testing.assert_frame_equal(both, mu_only)
    with pytest.raises(ValueError, match="constant over the draws; pass var_names that vary"):
        efficiency_table({"a": dt}, "w", seconds={"a": 1.0})


def test_table_unaffected_by_arviz_accessor_state():
    """arviz-stats caches a Dataset accessor whose filter_vars keeps the last var_names; the table
    must still see every variable after a caller filtered the same Dataset."""
    rng = np.random.default_rng(8)
    ds = xr.Dataset({"mu": (("chain", "draw", "component"), rng.normal(size=(2, 200, 2))),
                     "w": (("chain", "draw"), np.cumsum(rng.normal(size=(2, 200)), axis=1))},
                    attrs={"sampling_time": 1.0})
    az.rhat(ds, var_names=["mu"])  # leaves ds.azstats filtered to mu
    only_w = efficiency_table({"a": ds}, "w")
    both = efficiency_table({"a": ds})
    assert only_w.loc["a", "ess_bulk"] == pytest.approx(both.loc["a", "ess_bulk"])  # w is the worst
    assert both.loc["a", "ess_bulk"] < 50


def test_table_custom_sample_dims():
    rng = np.random.default_rng(6)
    ds = xr.Dataset({"mu": (("c", "d", "component"), rng.normal(size=(2, 300, 2)))},
                    attrs={"sampling_time": 1.0})
    table = efficiency_table({"a": ds}, "mu", sample_dims=("c", "d"))
    assert table.loc["a", "ess_bulk"] > 300
    with pytest.raises(ValueError, match="has no dimension 'chain'"):
        efficiency_table({"a": ds}, "mu")


@pytest.mark.integration
def test_table_on_a_real_pymc_run():
    """pm.sample records sampling_time in the posterior attrs; the table reads it."""
    rng = np.random.default_rng(11)
    y = rng.normal(1.0, 2.0, size=50)
    with pm.Model(coords={"obs": np.arange(50)}):
        m = pm.Normal("m", 0, 10)
        s = pm.HalfNormal("s", 5)
        pm.Normal("y", m, s, observed=y, dims="obs")
        with Timer() as t:
            idata = pm.sample(draws=200, tune=200, chains=2, nuts_sampler="pymc", random_seed=1,
                              progressbar=False, compute_convergence_checks=False)
    recorded = sampling_time(idata)
    assert 0 < recorded < t.seconds
    table = efficiency_table({"pymc": idata}, ["m", "s"], wall_seconds={"pymc": t.seconds})
    assert table.loc["pymc", "seconds"] == pytest.approx(recorded)
    assert table.loc["pymc", "setup_seconds"] > 0
    assert table.loc["pymc", "ess_bulk"] > 50
    assert table.loc["pymc", "divergences"] == 0
    assert table.loc["pymc", "rhat_max"] < 1.05


# ---------------------------------------------------------------- bad input


def test_bad_runs():
    with pytest.raises(TypeError, match="runs must be a dict mapping a label"):
        efficiency_table([1, 2])
    with pytest.raises(ValueError, match="runs is empty"):
        efficiency_table({})
    with pytest.raises(TypeError, match=r"runs\['a'\] must be an xarray.DataTree"):
        efficiency_table({"a": np.zeros((2, 10))}, seconds={"a": 1.0})


def test_bad_seconds(iid_and_walk):
    iid, walk = iid_and_walk
    runs = {"iid": iid, "walk": walk}
    with pytest.raises(TypeError, match="seconds must be a dict"):
        efficiency_table(runs, seconds=1.0)
    with pytest.raises(ValueError, match=r"same labels as runs \(missing: \['walk'\], unknown: \['x'\]\)"):
        efficiency_table(runs, seconds={"iid": 1.0, "x": 2.0})
    with pytest.raises(ValueError, match=r"seconds\['walk'\] must be a positive number of seconds, got 0"):
        efficiency_table(runs, seconds={"iid": 1.0, "walk": 0})
    with pytest.raises(TypeError, match=r"wall_seconds\['iid'\] must be a number of seconds"):
        efficiency_table(runs, wall_seconds={"iid": "fast", "walk": 1.0})


def test_missing_recorded_time_says_how_to_fix():
    dt = _run(np.random.default_rng(0).normal(size=(2, 50, 2)))
    with pytest.raises(ValueError, match=r"runs\['a'\] has no recorded sampling_time; pass seconds="):
        efficiency_table({"a": dt}, "mu")


def test_bad_var_names(iid_and_walk):
    iid, _ = iid_and_walk
    with pytest.raises(ValueError, match=r"has no variable\(s\) \['sigma'\].*fix var_names"):
        efficiency_table({"iid": iid}, ["sigma"])


# ---------------------------------------------------------------- issue 13: times that cannot divide


_BAD_TIMES = st.one_of(st.floats(max_value=0.0), st.just(float("nan")), st.just(float("inf")),
                       st.just(-float("inf")))


@settings(max_examples=30, deadline=None)
@given(value=_BAD_TIMES)
def test_recorded_sampling_time_that_is_not_positive_is_refused(value):
    dt = _run(np.random.default_rng(0).normal(size=(2, 50, 2)), sampling_seconds=value)
    with pytest.raises(ValueError, match=r"'sampling_time' attribute must be a positive number of seconds"):
        sampling_time(dt)
    with pytest.raises(ValueError, match=r"runs\['a'\]\.posterior\.attrs\['sampling_time'\] must be a positive"
                                         r".*pass seconds=\{'a': \.\.\.\}"):
        efficiency_table({"a": dt}, "mu")


@settings(max_examples=30, deadline=None)
@given(value=_BAD_TIMES, which=st.sampled_from(["seconds", "wall_seconds"]))
def test_given_seconds_that_are_not_positive_are_refused(value, which):
    dt = _run(np.random.default_rng(0).normal(size=(2, 50, 2)), sampling_seconds=1.0)
    with pytest.raises(ValueError, match=rf"{which}\['a'\] must be a positive number of seconds") as err:
        efficiency_table({"a": dt}, "mu", **{which: {"a": value}})
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("value", ["1.0", None, True, [1.0]])
def test_recorded_sampling_time_of_the_wrong_type_is_refused(value):
    ds = xr.Dataset({"mu": (("chain", "draw"), np.zeros((2, 10)))}, attrs={"sampling_time": value})
    if value is None:
        with pytest.raises(ValueError, match="has no 'sampling_time' attribute"):
            sampling_time(ds)
    else:
        with pytest.raises(TypeError, match="'sampling_time' attribute must be a number of seconds"):
            sampling_time(ds)


def test_numpy_scalar_times_are_accepted(iid_and_walk):
    iid, _ = iid_and_walk
    iid["posterior"].attrs["sampling_time"] = np.float32(2.0)
    assert sampling_time(iid) == 2.0
    table = efficiency_table({"iid": iid}, "mu", seconds={"iid": np.int64(4)})
    assert table.loc["iid", "seconds"] == 4.0


def test_table_reductions_match_the_shared_helpers(iid_and_walk):
    """rhat_max / ess minima come from mixlab._labelled.extreme over the varying variables."""
    from mixlab._labelled import extreme

    iid, _ = iid_and_walk
    table = efficiency_table({"iid": iid}, "mu")
    post = iid["posterior"].to_dataset()
    assert table.loc["iid", "rhat_max"] == extreme(az.rhat(post), "max")[0]
    assert table.loc["iid", "ess_bulk"] == extreme(az.ess(post, method="bulk"), "min")[0]


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"sample_dims": ("chain", "chain")}, ValueError, "sample_dims has repeated names"),
        ({"sample_dims": 3}, TypeError, "sample_dims must be a non-empty sequence"),
        ({"sample_dims": ()}, TypeError, "sample_dims must be a non-empty sequence"),
        ({"group": 1}, TypeError, "group must be a non-empty string"),
        ({"var_names": ["mu", "nope"]}, ValueError, r"has no variable\(s\) \['nope'\]"),
    ],
)
def test_table_bad_dims_and_group(iid_and_walk, kwargs, exc, match):
    iid, _ = iid_and_walk
    with pytest.raises(exc, match=match):
        efficiency_table({"iid": iid}, **kwargs)


def test_timer_exit_without_enter():
    with pytest.raises(RuntimeError, match="before __enter__"):
        Timer().__exit__(None, None, None)


def test_sampling_time_bad_group():
    ds = xr.Dataset(attrs={"sampling_time": 1.0})
    with pytest.raises(TypeError, match="group must be a non-empty string"):
        sampling_time(xr.DataTree.from_dict({"posterior": ds}), group=None)


def test_wall_time_shorter_than_the_recorded_sampling_time_is_refused(iid_and_walk):
    iid, walk = iid_and_walk  # recorded 2.0 s and 0.5 s
    with pytest.raises(ValueError, match=r"wall_seconds\['iid'\] \(1 s\) is shorter than the sampling time "
                                         r"recorded for that run \(2 s\)"):
        efficiency_table({"iid": iid, "walk": walk}, "mu", wall_seconds={"iid": 1.0, "walk": 3.0})
