"""Relabelling: every bad input gets a one-line error, inputs are never modified, and the
xarray permutation (vectorised indexing) agrees with a numpy reference."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixlab.relabel import (
    METHODS,
    ecr,
    ecr_iterative,
    relabel,
    sort,
    stephens,
    switching_evidence,
    switching_report,
)

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def posterior(chains=2, draws=20, k=3, n=5, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.integers(0, k, (chains, draws, n))
    logits = rng.standard_normal((chains, draws, n, k)) + 3.0 * np.eye(k)[z]
    p = np.exp(logits)
    p /= p.sum(-1, keepdims=True)
    return xr.Dataset(
        {
            "mu": (("chain", "draw", "component"), rng.standard_normal((chains, draws, k))),
            "beta": (("x", "component", "draw", "chain"), rng.standard_normal((2, k, draws, chains))),
            "z": (("chain", "draw", "obs"), z),
            "p": (("chain", "draw", "obs", "component"), p),
            "tau": (("chain", "draw"), rng.standard_normal((chains, draws))),
        },
        coords={"component": [f"c{j}" for j in range(k)], "x": ["a", "b"]},
    )


DS = posterior()

BAD_LABELLED = [
    (lambda: switching_report(DS, methods=None), TypeError, "methods must be a sequence"),
    (lambda: switching_report(DS, methods=3), TypeError, "methods must be a sequence"),
    (lambda: switching_report(DS, methods=["sort", "sort"]), ValueError, "more than once"),
    (lambda: switching_report(DS, var_names=3, methods=["sort"]), TypeError,
     "var_names must be a variable name or a list"),
    (lambda: switching_report(DS, var_names=[3], methods=["sort"]), TypeError,
     r"var_names must hold variable names \(strings\)"),
    (lambda: switching_report(DS, var_names=["mu", "mu"], methods=["sort"]), ValueError,
     "var_names lists a variable more than once"),
    (lambda: switching_report(DS, sample_dims=None, methods=["sort"]), TypeError,
     "sample_dims must be a non-empty sequence"),
    (lambda: relabel(DS, "sort", sample_dims=None), TypeError, "sample_dims must be a non-empty"),
    (lambda: switching_report(DS, methods=["sort"], rhat_threshold=np.nan), ValueError,
     "rhat_threshold must be a finite number"),
    (lambda: switching_report(DS, methods=["sort"], rhat_threshold="1.01"), TypeError,
     "rhat_threshold must be a number"),
    (lambda: relabel(DS, ["sort"]), ValueError, "method must be one of"),
    (lambda: relabel(DS, "sort", group=3), TypeError, "group must be a non-empty string"),
    (lambda: relabel(DS.isel(component=[]), "sort"), ValueError,
     r"posterior has no entries along 'component' \(size 0\)"),
    (lambda: switching_report(DS.isel(component=[]), methods=["sort"]), ValueError,
     "no entries along 'component'"),
    (lambda: relabel(DS.isel(draw=[]), "ecr"), ValueError, "no entries along 'draw'"),
    (lambda: switching_report(DS.isel(draw=[]), methods=["sort"]), ValueError,
     "no entries along 'draw'"),
    (lambda: relabel(DS.isel(obs=[]), "ecr"), ValueError, r"z must not be empty, got shape \(40, 0\)"),
    (lambda: relabel(DS, "sort", dim="chain"), ValueError, "dim 'chain' is also one of sample_dims"),
    (lambda: relabel(DS, "sort", sample_dims=("chain", "component")), ValueError,
     "dim 'component' is also one of sample_dims"),
    (lambda: switching_report(DS, methods=["sort"], dim="draw"), ValueError,
     "dim 'draw' is also one of sample_dims"),
    (lambda: relabel(DS, "ecr", obs_dim="draw"), ValueError,
     "obs_dim 'draw' is also the component dim or a sample dim"),
    (lambda: relabel(DS, "stephens", obs_dim="component"), ValueError,
     "obs_dim 'component' is also the component dim"),
    (lambda: switching_report(DS, methods=["sort"], obs_dim="chain"), ValueError, "obs_dim 'chain'"),
    (lambda: relabel(DS.assign(mu=DS["mu"].where(DS["mu"] > 0)), "sort"), ValueError,
     "values contains .* NaN or infinite"),
    (lambda: switching_report(DS.assign(mu=DS["mu"].where(DS["mu"] > 0)), methods=["ecr"]),
     ValueError, "variable 'mu' contains .* NaN or infinite"),
    (lambda: relabel(DS, "stephens", p=DS["p"].where(DS["p"] > 0.1)), ValueError,
     "p contains NaN or infinite values"),
    (lambda: relabel(DS, "stephens", p=DS["p"] * 0.9), ValueError, "p rows must sum to 1"),
    (lambda: relabel(DS, "ecr", z=DS["z"] + 3, label_vars=[]), ValueError,
     r"z holds label .* outside \[0, K\) = \[0, 3\)"),
    (lambda: relabel(DS, "ecr", z=DS["z"] - 1, label_vars=[]), ValueError, "z holds label -1"),
    (lambda: relabel(DS, "ecr", pivot=np.full(5, 3)), ValueError, "pivot holds label 3 outside"),
    (lambda: relabel(DS.assign(z=DS["z"] + 1), "sort"), ValueError,
     r"variable 'z' looks like an allocation .* outside \[0, 3\)"),
    (lambda: relabel(DS.assign(z=DS["z"].astype(float).where(DS["z"] > 0)), "sort", label_vars=["z"]),
     ValueError,
     "allocation variable 'z' must hold whole-number labels"),
    (lambda: relabel(DS, "sort", label_vars=[3]), TypeError, "label_vars must hold variable names"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD_LABELLED)
def test_labelled_layer_explains_bad_input_in_one_line(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (lambda: ecr(np.zeros((4000, 50), int), np.zeros(50, int), 10**5), "ecr with K=100000"),
        (lambda: ecr_iterative(np.zeros((4000, 50), int), 10**5), "ecr_iterative with K=100000"),
        (lambda: stephens(np.full((1, 1, 9000), 1 / 9000)), "stephens with K=9000"),
    ],
)
def test_a_k_whose_tables_cannot_fit_is_refused_with_the_memory_it_would_need(call, what):
    with pytest.raises(ValueError, match=what) as info:
        call()
    text = str(info.value)
    assert "iB for each draw's K x K assignment table" in text and "allowed" in text and "\n" not in text
    if what.startswith("ecr"):
        assert "291 TiB for all 4000 draw(s)" in text
        assert "only 1 distinct label(s) occur, so K is probably not the number of components" in text


def test_a_large_but_feasible_k_still_works():
    z = np.array([[0, 1, 2], [2, 1, 0]])
    perm = ecr(z, z[0], 300)  # 300 x 300 tables: fine
    assert perm.shape == (2, 300)
    np.testing.assert_array_equal(np.argsort(perm[1])[z[1]], z[0])


# ----------------------------------------------------------------------------------------------
# hypothesis: bad values anywhere, empty axes, non-mutation
# ----------------------------------------------------------------------------------------------


@FAST
@given(
    draws=st.integers(1, 6), n=st.integers(1, 5), k=st.integers(1, 5),
    where=st.integers(0, 10**6), bad=st.sampled_from([np.nan, np.inf, -np.inf, 1.5, -0.2]),
)
def test_stephens_rejects_bad_probabilities_anywhere(draws, n, k, where, bad):
    p = np.full((draws, n, k), 1.0 / k)
    p.flat[where % p.size] = bad
    with pytest.raises(ValueError, match=r"^p (contains NaN|must hold probabilities|rows must sum)"):
        stephens(p)


@FAST
@given(shape=st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3)))
def test_empty_axes_are_refused_not_crashed_on(shape):
    if 0 not in shape:
        return
    with pytest.raises(ValueError, match="at least one"):
        stephens(np.ones(shape))
    if 0 not in shape[:2]:
        return
    with pytest.raises(ValueError, match=r"must not be empty|at least 1 element"):
        ecr(np.zeros(shape[:2], int), np.zeros(shape[1], int), 2)
    with pytest.raises(ValueError, match=r"must not be empty|at least 1 element"):
        ecr_iterative(np.zeros(shape[:2], int), 2)
    with pytest.raises(ValueError, match="at least 1 element"):
        sort(np.zeros(shape[:2]))


@FAST
@given(
    dim=st.sampled_from(["chain", "draw", "component", "obs"]),
    obs_dim=st.sampled_from(["chain", "draw", "component", "obs"]),
    sample_dims=st.permutations(["chain", "draw", "component", "obs"]).map(lambda d: tuple(d[:2])),
    method=st.sampled_from(METHODS),
)
def test_colliding_dim_names_are_explained(dim, obs_dim, sample_dims, method):
    names = [dim, obs_dim, *sample_dims]
    if len(set(names)) == len(names):
        return
    with pytest.raises(ValueError, match="(dim|obs_dim) '.*' is also"):
        relabel(DS, method, p="p", dim=dim, obs_dim=obs_dim, sample_dims=sample_dims)
    with pytest.raises(ValueError, match="(dim|obs_dim) '.*' is also"):
        switching_report(DS, methods=[method], p="p", dim=dim, obs_dim=obs_dim,
                         sample_dims=sample_dims)


@FAST
@given(sample_dims=st.one_of(st.none(), st.integers(), st.just(()), st.just([1, 2]),
                             st.just(("chain", "chain"))),
       which=st.sampled_from(["relabel", "report", "evidence"]))
def test_non_sequences_where_sequences_are_expected(sample_dims, which):
    with pytest.raises((TypeError, ValueError), match="sample_dims") as info:
        if which == "relabel":
            relabel(DS, "sort", sample_dims=sample_dims)
        elif which == "report":
            switching_report(DS, methods=["sort"], sample_dims=sample_dims)
        else:
            switching_evidence(DS["mu"], sample_dims=sample_dims)
    assert "\n" not in str(info.value)


@FAST
@given(seed=st.integers(0, 2**16), method=st.sampled_from(METHODS), k=st.integers(1, 6))
def test_relabel_and_the_report_leave_their_inputs_unchanged(seed, method, k):
    ds = posterior(k=k, seed=seed)
    p = ds["p"].copy(deep=True)
    before, p_before = ds.copy(deep=True), p.copy(deep=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        relabel(ds, method, p=p, sample_dims=["chain", "draw"])
        switching_report(ds, methods=[method], p=p)
    xr.testing.assert_identical(ds, before)
    xr.testing.assert_identical(p, p_before)


@FAST
@given(seed=st.integers(0, 2**16), k=st.integers(1, 6), draws=st.integers(1, 8), n=st.integers(1, 6))
def test_array_functions_leave_their_inputs_unchanged(seed, k, draws, n):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(k), size=(draws, n))
    z = rng.integers(0, k, (draws, n))
    v = rng.standard_normal((draws, k))
    copies = [x.copy() for x in (p, z, v)]
    stephens(p)
    ecr(z, z[0], k)
    ecr_iterative(z, k)
    ecr_iterative(z, k, pivot=z[-1])
    sort(v)
    for x, c in zip((p, z, v), copies, strict=True):
        np.testing.assert_array_equal(x, c)


# ----------------------------------------------------------------------------------------------
# the xarray permutation against a numpy reference
# ----------------------------------------------------------------------------------------------


@FAST
@given(seed=st.integers(0, 2**16), k=st.integers(1, 5), chains=st.integers(1, 3),
       draws=st.integers(1, 6))
def test_permutation_by_vectorised_indexing_matches_take_along_axis(seed, k, chains, draws):
    rng = np.random.default_rng(seed)
    ds = posterior(chains=chains, draws=draws, k=k, seed=seed)
    perm = np.argsort(rng.random((chains * draws, k)), axis=1)
    by = xr.DataArray(np.take_along_axis(np.tile(np.arange(k, dtype=float), (chains * draws, 1)),
                                         np.argsort(perm, axis=1), axis=1)
                      .reshape(chains, draws, k), dims=("chain", "draw", "component"))
    # sorting by `by` recovers exactly `perm`
    out = relabel(ds, "sort", by=by)
    np.testing.assert_array_equal(out["relabel_perm"].values.reshape(-1, k), perm)
    pr = perm.reshape(chains, draws, k)
    mu = np.take_along_axis(ds["mu"].values, pr, axis=2)
    np.testing.assert_array_equal(out["mu"].values, mu)
    beta = ds["beta"].transpose("chain", "draw", "component", "x").values
    beta = np.take_along_axis(beta, pr[..., None], axis=2)
    np.testing.assert_array_equal(out["beta"].transpose("chain", "draw", "component", "x").values,
                                  beta)
    z = np.take_along_axis(np.argsort(pr, axis=-1), ds["z"].values, axis=-1)
    np.testing.assert_array_equal(out["z"].values, z)
    assert out["beta"].dims == ds["beta"].dims and out["z"].dtype == ds["z"].dtype
    xr.testing.assert_identical(out["tau"], ds["tau"])
    assert list(out["component"].values) == list(ds["component"].values)


@FAST
@given(k=st.integers(8193, 10**7), draws=st.integers(1, 5), n=st.integers(1, 5),
       which=st.sampled_from(["ecr", "ecr_iterative"]))
def test_any_k_too_large_for_memory_is_refused_before_allocating(k, draws, n, which):
    z = np.zeros((draws, n), dtype=int)
    with pytest.raises(ValueError, match=rf"{which} with K={k} would need .* allowed"):
        ecr(z, z[0], k) if which == "ecr" else ecr_iterative(z, k)
