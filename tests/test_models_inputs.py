"""Bad input for every builder of mixlab.models and for initvals: one-line errors that say what was
wrong and how to fix it, from the one shared set of checks (mixlab/models/_common.py).

No sampling here: models are built (and their start values computed), never sampled.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytensor.compile.sharedvalue import SharedVariable
from pytensor.graph.basic import Constant
from pytensor.graph.traversal import graph_inputs

from mixlab.models import (
    gmm,
    initvals,
    latent_gmm,
    mixture_regression,
    mv_gmm,
    normal_t_mixture,
    sparse_gmm,
    student_t_mixture,
)
from mixlab.models._common import _resolve_priors

Y = np.array([-2.0, -1.0, 0.5, 1.0, 3.0, 3.5])
X = np.arange(6.0)
Y2 = np.c_[Y, Y**2]

#: Every builder as f(y, K, **kwargs) on univariate data (mixture_regression gets x = 0, 1, ...).
UNIVARIATE = {
    "gmm": lambda y, K=2, **kw: gmm(y, K, **kw),
    "student_t_mixture": lambda y, K=2, **kw: student_t_mixture(y, K, **kw),
    "latent_gmm": lambda y, K=2, **kw: latent_gmm(y, K, **kw),
    "sparse_gmm": lambda y, K=2, **kw: sparse_gmm(y, K, **kw),
    "mixture_regression": lambda y, K=2, **kw: mixture_regression(
        np.arange(np.size(y), dtype=float), y, K, **kw),
}
K_NAME = {"sparse_gmm": "K_max"}
MIN_K = {"latent_gmm": 2, "sparse_gmm": 2}
ALL = {**UNIVARIATE, "normal_t_mixture": lambda y, K=2, **kw: normal_t_mixture(y, **kw),
       "mv_gmm": lambda y, K=2, **kw: mv_gmm(y, K, **kw)}


def _data(name, y):
    """``y`` as the builder ``name`` wants it: 2-D (two features) for mv_gmm."""
    y = np.asarray(y, dtype=float)
    return np.c_[y, np.cos(y) + 0.1 * y] if name == "mv_gmm" else y


# --------------------------------------------------------------------------------------------
# K
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*UNIVARIATE, "mv_gmm"])
@pytest.mark.parametrize(
    ("K", "error", "message"),
    [
        (0, ValueError, "must be >= "),
        (-3, ValueError, "must be >= "),
        (True, TypeError, "must be an integer, got True"),
        (2.0, TypeError, "must be an integer, got 2.0"),
        ("2", TypeError, "must be an integer, got '2'"),
        (None, TypeError, "must be an integer, got None"),
        (7, ValueError, r"=7 is larger than the number of observations \(6\).*pass \w+ <= 6"),
        (10**12, ValueError, "is larger than the number of observations"),
    ],
)
def test_bad_K_is_named_and_explained(name, K, error, message):
    with pytest.raises(error, match=message) as info:
        ALL[name](_data(name, Y), K)
    assert str(info.value).startswith(K_NAME.get(name, "K"))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", [*UNIVARIATE, "mv_gmm"])
def test_K_equal_to_n_is_accepted(name):
    y = _data(name, Y)
    model = ALL[name](y, len(y))
    assert len(model.coords["component"]) == len(y)
    assert initvals(model)["w"].shape == (len(y),)


def test_normal_t_mixture_needs_two_observations():
    with pytest.raises(ValueError, match="normal_t_mixture has 2 components and needs at least 2"):
        normal_t_mixture([1.0])


# --------------------------------------------------------------------------------------------
# y: rank, size, values
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*UNIVARIATE, "normal_t_mixture"])
def test_univariate_builders_reject_2d_y_and_point_to_mv_gmm(name):
    with pytest.raises(ValueError, match=r"y must be 1-dimensional, got shape \(6, 2\).*mv_gmm"):
        ALL[name](Y2)


def test_mv_gmm_rejects_1d_y_and_points_to_gmm():
    with pytest.raises(ValueError, match=r"y must be 2-dimensional, got shape \(6,\).*mixlab.models.gmm"):
        mv_gmm(Y, 2)


@pytest.mark.parametrize("name", list(ALL))
@pytest.mark.parametrize(
    ("y", "error", "message"),
    [
        ([], ValueError, "at least 1 element|must be 2-dimensional"),
        (["a", "b", "c"], TypeError, "y must be numeric"),
        ([1 + 1j, 2.0, 3.0], TypeError, "y must be real-valued"),
    ],
)
def test_empty_or_non_numeric_y(name, y, error, message):
    with pytest.raises(error, match=message):
        ALL[name](y if name != "mv_gmm" or error is TypeError else np.empty((0, 2)))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(list(ALL)),
    where=st.integers(0, 11),
    bad=st.sampled_from([np.nan, np.inf, -np.inf]),
)
def test_nan_or_inf_anywhere_in_y_is_rejected(name, where, bad):
    y = _data(name, Y).copy()
    y.flat[where % y.size] = bad
    with pytest.raises(ValueError, match=r"y contains 1 NaN or infinite value\(s\)"):
        ALL[name](y)


def test_nan_in_x_is_rejected():
    with pytest.raises(ValueError, match="x contains 1 NaN"):
        mixture_regression(np.r_[X[:5], np.nan], Y, 2)


# --------------------------------------------------------------------------------------------
# scale: data that float64 cannot square
# --------------------------------------------------------------------------------------------


def test_overflowing_scale_blames_y_not_the_priors():
    # before: "priors['mu_sigma'] contains 1 NaN or infinite value(s)", a key the user never passed
    with pytest.raises(ValueError, match=r"y's scale overflows float64.*rescale y, e.g. divide it by 1e\+200") as info:
        gmm(Y * 1e200, 2)
    assert "priors" not in str(info.value)
    with pytest.raises(ValueError, match=r"y's spread .* underflows float64.*multiply it by 1e\+200"):
        gmm(Y * 1e-200, 2)
    with pytest.raises(ValueError, match=r"y\[:, 1\]'s scale overflows"):
        mv_gmm(np.c_[Y, Y * 1e300], 2)
    with pytest.raises(ValueError, match=r"x's scale overflows float64.*rescale x"):
        mixture_regression(X * 1e200, Y, 2)


def test_a_non_finite_default_prior_is_not_reported_as_the_users_mistake():
    defaults = {"mu_sigma": (np.inf, "positive", "component")}
    with pytest.raises(ValueError, match=r"the default priors\['mu_sigma'\] of gmm, computed from the data, "
                                         r"is not finite; rescale the data or pass priors="):
        _resolve_priors(None, defaults, {"component": 2}, "gmm")
    # a user value replaces the bad default
    out = _resolve_priors({"mu_sigma": 2.0}, defaults, {"component": 2}, "gmm")
    np.testing.assert_array_equal(out["mu_sigma"], [2.0, 2.0])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(list(ALL)),
    exponent=st.integers(-320, 300),
    spread=st.sampled_from([0.0, 1e-6, 1.0]),
)
def test_any_scale_builds_a_valid_model_or_says_to_rescale(name, exponent, spread):
    """Either the model is built with finite priors and finite start values, or a ValueError says to
    rescale; never a traceback or a silently non-finite prior."""
    with np.errstate(over="ignore", under="ignore"):
        y = _data(name, (Y * (1.0 + spread * X)) * 10.0**exponent)
    if not np.all(np.isfinite(y)):
        return
    try:
        model = ALL[name](y)
    except ValueError as err:
        assert "rescale" in str(err), err
        return
    # every prior parameter that is a constant expression (not, e.g., the mixture's weights; random
    # draws of a nested distribution such as LKJ's sd_dist included), evaluated
    # in one function compiled without optimisation: each example has new constants, so compiling
    # every parameter on its own with the default mode dominated this test's time
    params = [(rv.name, param) for rv in model.free_RVs for param in rv.owner.inputs[2:]
              if all(isinstance(i, Constant | SharedVariable) for i in graph_inputs([param]))]
    values = pytensor.function([], [p for _, p in params], mode="FAST_COMPILE")() if params else []
    for (rv_name, _), value in zip(params, values, strict=True):
        assert np.all(np.isfinite(value)), (rv_name, value)
    start = initvals(model)
    assert all(np.all(np.isfinite(v)) for v in start.values()), start
    assert np.all(np.diff(start["mu"] if start["mu"].ndim == 1 else start["mu"][:, 0]) >= 0)


# --------------------------------------------------------------------------------------------
# priors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ALL))
@pytest.mark.parametrize(
    ("priors", "error", "message"),
    [
        ({"mu_sd": 1.0}, ValueError, r"priors has unknown key\(s\) \['mu_sd'\] for {name}; known keys: w_alpha"),
        ({1: 1.0}, ValueError, r"priors has unknown key\(s\) \[1\]"),
        ([("mu_sigma", 1.0)], TypeError, "priors must be a dict such as"),
        ({"mu_sigma": [1.0, 2.0, 3.0, 4.0, 5.0]}, ValueError,
         r"priors\['mu_sigma'\] must be a number or one number per (component|feature)"),
        ({"mu_sigma": np.nan}, ValueError, r"priors\['mu_sigma'\] contains 1 NaN or infinite"),
        ({"mu_mu": np.inf}, ValueError, r"priors\['mu_mu'\] contains 1 NaN or infinite"),
        ({"sigma_sigma": -1.0}, ValueError, r"priors\['sigma_sigma'\] must be positive, got -1"),
        ({"sigma_sigma": 0.0}, ValueError, r"priors\['sigma_sigma'\] must be positive, got 0"),
        ({"sigma_sigma": True}, TypeError, r"priors\['sigma_sigma'\] must be a positive number, got True"),
        ({"mu_mu": np.array([True, False])}, TypeError, r"priors\['mu_mu'\] must be a number"),
        ({"mu_mu": "centre"}, TypeError, r"priors\['mu_mu'\] must be numeric"),
        ({"mu_sigma": [[1.0, 2.0]]}, ValueError, r"priors\['mu_sigma'\] must be a number or one number per"),
    ],
)
def test_bad_priors(name, priors, error, message):
    with pytest.raises(error, match=message.format(name=name)) as info:
        ALL[name](_data(name, Y), priors=priors)
    assert "\n" not in str(info.value)


def test_scalar_prior_keys_reject_arrays():
    with pytest.raises(ValueError, match=r"priors\['eta'\] must be a single number, got shape \(2,\)"):
        mv_gmm(Y2, 2, priors={"eta": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"priors\['nu_beta'\] must be a single number"):
        normal_t_mixture(Y, priors={"nu_beta": [0.1, 0.2]})


def test_mv_gmm_prior_lengths_follow_their_axis():
    model = mv_gmm(Y2, 3, priors={"w_alpha": [1.0, 2.0, 3.0], "mu_sigma": [4.0, 5.0], "eta": 1.0})
    np.testing.assert_array_equal(model["w"].owner.inputs[-1].eval(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(model["mu"].owner.inputs[-1].eval(), [[4.0, 5.0]] * 3)
    with pytest.raises(ValueError, match=r"priors\['mu_sigma'\] must be a number or one number per feature \(length 2\)"):
        mv_gmm(Y2, 3, priors={"mu_sigma": [4.0, 5.0, 6.0]})
    with pytest.raises(ValueError, match=r"priors\['w_alpha'\] must be a number or one number per component \(length 3\)"):
        mv_gmm(Y2, 3, priors={"w_alpha": [1.0, 2.0]})


# --------------------------------------------------------------------------------------------
# other arguments
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: mv_gmm(Y2, 2, feature_names=(n for n in "ab")), TypeError, "feature_names must be a list"),
        (lambda: mv_gmm(Y2, 2, feature_names=["a", "a"]), ValueError, "2 distinct names"),
        (lambda: mv_gmm(Y2, 2, feature_names=["a", 1]), TypeError, "feature_names must be a list of 2 strings"),
        (lambda: mv_gmm(Y2, 2, ordered=1), TypeError, "ordered must be True or False, got 1"),
        (lambda: gmm(Y, 2, ordered=np.array([True, False])), TypeError, "ordered must be True or False"),
        (lambda: student_t_mixture(Y, 2, nu=[3.0, np.nan]), ValueError, "nu contains 1 NaN"),
        (lambda: sparse_gmm(Y, 3, alpha=np.inf), ValueError, "alpha contains 1 NaN or infinite"),
        (lambda: sparse_gmm(Y, 3, alpha=True), TypeError, "alpha must be a positive number"),
    ],
)
def test_other_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --------------------------------------------------------------------------------------------
# initvals
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: initvals(None), TypeError, "model must be a pymc.Model built by mixlab.models, got NoneType"),
        (lambda: initvals(pm.Model()), ValueError, "model was not built by mixlab.models"),
        (lambda: initvals(mv_gmm(Y2, 2), var_names=[]), ValueError, "var_names is empty"),
        (lambda: initvals(mv_gmm(Y2, 2), var_names={"w": 1}), TypeError, "var_names must be a list"),
        (lambda: initvals(mv_gmm(Y2, 2), var_names=["w", 3]), TypeError, "var_names must be a list"),
        (lambda: initvals(mv_gmm(Y2, 2), var_names=["sigma"]), ValueError,
         r"var_names has no start value for \['sigma'\]; this model has start values for w, mu, chol_0, chol_1"),
    ],
)
def test_initvals_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_initvals_one_function_for_every_builder():
    expected = {
        "gmm": ["w", "mu", "sigma"],
        "student_t_mixture": ["w", "mu", "sigma", "nu"],
        "latent_gmm": ["w", "mu", "sigma", "z"],
        "sparse_gmm": ["w", "mu", "sigma"],
        "mixture_regression": ["w", "mu", "beta", "sigma"],
        "normal_t_mixture": ["w", "mu", "sigma", "nu"],
        "mv_gmm": ["w", "mu", "chol_0", "chol_1"],
    }
    for name, keys in expected.items():
        model = ALL[name](_data(name, Y))
        assert list(initvals(model)) == keys, name
        assert list(initvals(model, var_names=("mu", "w"))) == ["mu", "w"], name


# --------------------------------------------------------------------------------------------
# y is never modified, and the model does not see later changes to it
# --------------------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(list(ALL)),
    values=st.lists(st.integers(-10**6, 10**6).map(lambda v: v / 1000), min_size=6, max_size=12,
                    unique=True),
)
def test_builders_and_initvals_do_not_mutate_y(name, values):
    y = _data(name, values)
    kept = y.copy()
    model = ALL[name](y)
    start = initvals(model)
    np.testing.assert_array_equal(y, kept)
    y[...] = 0.0  # the caller reuses the array: the model and its start values keep the data
    again = initvals(model)
    assert start.keys() == again.keys()
    for key in start:
        np.testing.assert_array_equal(start[key], again[key])
    observed = model.rvs_to_values[model["y"]]
    np.testing.assert_array_equal(observed.data if hasattr(observed, "data") else observed.eval(), kept)
