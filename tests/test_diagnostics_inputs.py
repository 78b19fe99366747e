"""Bad input to mixlab.diagnostics: every case raises one clear line, nothing is mutated."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from mixlab.diagnostics import component_overlap, diagnose

DIMS = ("chain", "draw", "component")
SETTINGS = settings(max_examples=30, deadline=None)


def _arrays(seed=0, shape=(2, 12), k=3):
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.full(k, 50.0), size=shape)
    mu = np.arange(k) * 5.0 + rng.normal(0, 0.1, (*shape, k))
    sigma = np.exp(rng.normal(0, 0.05, (*shape, k)))
    return {"w": w, "mu": mu, "sigma": sigma}


def _dataset(arrays):
    return xr.Dataset({name: (DIMS, value) for name, value in arrays.items()})


def _tree(arrays, stats):
    return az.from_dict({"posterior": arrays, "sample_stats": stats},
                        dims={name: ["component"] for name in arrays})


def _one_line_error(kind, func, *args, match=None, **kwargs):
    with pytest.raises(kind, match=match) as info:
        func(*args, **kwargs)
    message = str(info.value)
    assert message and "\n" not in message, message
    return message


BOTH = pytest.mark.parametrize("func", [diagnose, component_overlap],
                               ids=["diagnose", "component_overlap"])


# --------------------------------------------------------------------------- invalid mixtures


@BOTH
@SETTINGS
@given(role=st.sampled_from(["w", "mu", "sigma"]), chain=st.integers(0, 1),
       draw=st.integers(0, 11), comp=st.integers(0, 2),
       bad=st.sampled_from([np.nan, np.inf, -np.inf]))
def test_nan_or_inf_anywhere_in_the_mixture_is_rejected(func, role, chain, draw, comp, bad):
    """One NaN draw used to raise 'cannot convert float NaN to integer', an inf one to give
    negative overlaps; now the message names the variable."""
    arrays = _arrays()
    arrays[role][chain, draw, comp] = bad
    message = _one_line_error(ValueError, func, _dataset(arrays))
    assert f"'{role}'" in message


@BOTH
@SETTINGS
@given(draw=st.integers(0, 11), factor=st.one_of(st.floats(0.0, 0.99), st.floats(1.01, 10.0)))
def test_weights_off_the_simplex_are_rejected(func, draw, factor):
    arrays = _arrays()
    arrays["w"][0, draw] *= factor
    message = _one_line_error(ValueError, func, _dataset(arrays))
    assert "'w'" in message and "sum to 1" in message


@BOTH
def test_negative_weights_are_rejected(func):
    arrays = _arrays()
    arrays["w"][1, 3, :2] = [-0.1, 0.1 + arrays["w"][1, 3, 0] + arrays["w"][1, 3, 1]]
    message = _one_line_error(ValueError, func, _dataset(arrays))
    assert "'w'" in message


@BOTH
@SETTINGS
@given(draw=st.integers(0, 11), comp=st.integers(0, 2), value=st.floats(-10.0, 0.0))
def test_non_positive_scales_are_rejected(func, draw, comp, value):
    arrays = _arrays()
    arrays["sigma"][0, draw, comp] = value
    _one_line_error(ValueError, func, _dataset(arrays), match="'sigma' must be positive")


# --------------------------------------------------------------------------- layout


@BOTH
@pytest.mark.parametrize(("dim", "sample_dims"), [("chain", ("chain", "draw")),
                                                  ("component", ("chain", "component")),
                                                  ("draw", ("draw",))])
def test_component_dim_among_the_sample_dims_is_rejected(func, dim, sample_dims):
    _one_line_error(ValueError, func, _dataset(_arrays()), dim=dim, sample_dims=sample_dims,
                    match=f"dim '{dim}' is also one of sample_dims")


@BOTH
@pytest.mark.parametrize("empty", ["chain", "draw"])
def test_zero_draws_are_rejected(func, empty):
    ds = _dataset(_arrays()).isel({empty: slice(0, 0)})
    _one_line_error(ValueError, func, ds, match=f"no draws \\(dimension '{empty}' has length 0\\)")


@BOTH
def test_zero_components_are_rejected(func):
    ds = _dataset(_arrays()).isel(component=slice(0, 0))
    _one_line_error(ValueError, func, ds, match="no components")


# --------------------------------------------------------------------------- arguments


THRESHOLDS = ["rhat_max", "ess_per_chain", "bfmi_min", "min_weight", "scale_floor",
              "switch_tol", "overlap_max"]


@SETTINGS
@given(name=st.sampled_from(THRESHOLDS),
       value=st.one_of(st.sampled_from([np.nan, np.inf, -np.inf, True, False, None, "0.1", [0.1]]),
                       st.floats(-1e6, -1e-9)))
def test_bad_thresholds_are_rejected(name, value):
    kind = TypeError if isinstance(value, bool | str | list) or value is None else ValueError
    message = _one_line_error(kind, diagnose, _dataset(_arrays()), **{name: value})
    assert message.startswith(name)


@pytest.mark.parametrize("value", [3, 1.5, ["mu", 3], {"mu": "x"}, ("mu", None)])
def test_var_names_of_the_wrong_type_are_rejected(value):
    _one_line_error(TypeError, diagnose, _dataset(_arrays()), var_names=value,
                    match="var_names must be a variable name or a list of names")


@pytest.mark.parametrize("value", [3, ["w"], "mu"])
def test_component_overlap_var_names_must_be_a_dict(value):
    _one_line_error(TypeError, component_overlap, _dataset(_arrays()), var_names=value,
                    match="var_names must be a dict")


def test_diagnose_var_names_as_a_tuple_or_string_still_work():
    ds = _dataset(_arrays(shape=(4, 100)))
    for value in ("mu", ("mu", "sigma")):
        assert diagnose(ds, var_names=value).loc["R-hat", "status"] in ("pass", "fail")


# --------------------------------------------------------------------------- sample_stats flags


def _stats(shape=(2, 12)):
    return {"diverging": np.zeros(shape, bool), "reached_max_treedepth": np.zeros(shape, bool),
            "energy": np.random.default_rng(0).normal(size=shape)}


@SETTINGS
@given(flag=st.sampled_from(["diverging", "reached_max_treedepth"]),
       value=st.one_of(st.just(np.nan), st.floats(-5, 5).filter(lambda v: v not in (0.0, 1.0))))
def test_flags_that_are_not_booleans_are_rejected(flag, value):
    stats = _stats()
    stats[flag] = stats[flag].astype(float)
    stats[flag][1, 4] = value
    message = _one_line_error(ValueError, diagnose, _tree(_arrays(), stats))
    assert f"'{flag}'" in message


def test_flags_of_text_are_rejected():
    stats = {**_stats(), "diverging": np.full((2, 12), "no")}
    _one_line_error(TypeError, diagnose, _tree(_arrays(), stats),
                    match="'diverging' must hold booleans")


def test_flags_stored_as_zeros_and_ones_count_like_booleans():
    stats = _stats()
    stats["diverging"][0, :3] = True
    as_bool = diagnose(_tree(_arrays(), stats)).loc["divergences"]
    as_int = diagnose(_tree(_arrays(), {**stats, "diverging": stats["diverging"].astype(int)}))
    assert as_bool["value"] == as_int.loc["divergences", "value"] == 3.0
    assert as_bool["status"] == "fail"


# --------------------------------------------------------------------------- non-mutation


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_inputs_are_not_mutated(seed):
    arrays = _arrays(seed)
    tree = _tree(arrays, _stats())
    before = tree.copy(deep=True)
    diagnose(tree)
    component_overlap(tree)
    ds = _dataset(arrays)
    ds_before = ds.copy(deep=True)
    diagnose(ds)
    component_overlap(ds)
    xr.testing.assert_identical(tree, before)
    xr.testing.assert_identical(ds, ds_before)
