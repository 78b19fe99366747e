"""mixlab.modes: stacking of non-mixing chains (Yao, Vehtari & Gelman 2022).

Hand-built posteriors (tests/test_modes.make_tree: chains around planted modes, exact pointwise
log-likelihood). Checks: split_chains' pieces; stacking weights on the simplex and equal to
az.compare's; the stacked LOO score at least the best single chain's; exact copies of a chain
weighted alike; a chain far from the data weighted out; draws of stacked_predictive taken from each
chain (mode) as often as its weight says, within 5 standard errors; one real pm.sample fit through
every function; one-line errors for bad input.
"""

from __future__ import annotations

import math
import warnings

import arviz as az
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from test_modes import make_tree

from mixlab.modes import (
    SPLIT_GROUPS,
    StackingResult,
    chain_rhat_matrix,
    chain_summary,
    group_chains,
    split_chains,
    stack_chains,
    stacked_elpd,
    stacked_predictive,
)

SETTINGS = settings(max_examples=8, deadline=None)

# PSIS-LOO of one short chain often warns about Pareto k; the values are what is tested here
pytestmark = pytest.mark.filterwarnings("ignore:Estimated shape parameter of Pareto:UserWarning")


def with_predictive(tree, seed):
    """Add a posterior_predictive group (one replicate per draw and observation)."""
    rng = np.random.default_rng(seed)
    mu = tree["posterior"]["mu"]
    obs = tree["observed_data"]["y"]["obs"]
    pick = xr.DataArray(
        rng.integers(0, 2, (*mu.shape[:2], obs.size)), dims=("chain", "draw", "obs")
    )
    y_rep = mu.isel(component=pick) + rng.standard_normal(pick.shape)
    out = tree.copy()
    out["posterior_predictive"] = xr.Dataset({"y": y_rep.drop_vars("component", errors="ignore")})
    return out


@pytest.fixture(scope="module")
def three_modes():
    """Chains 0, 2, 4 at the mode that made the data, 1 and 3 at a worse one, 5 far from the data."""
    return with_predictive(make_tree([0, 1, 0, 1, 0, 3], seed=21, n_draw=200, sd=0.2), seed=22)


# ----------------------------------------------------------------------------------------------
# split_chains
# ----------------------------------------------------------------------------------------------


def test_split_chains_pieces(three_modes):
    tree = three_modes.copy()
    tree["constant_data"] = xr.Dataset({"x": ("obs", np.arange(30.0))})
    pieces = split_chains(tree)
    assert list(pieces) == [f"chain {c}" for c in range(6)]
    one = pieces["chain 3"]
    present = {"posterior", "posterior_predictive", "log_likelihood", "sample_stats"}
    present |= {"observed_data", "constant_data"}
    assert set(one.children) == present and present <= set(SPLIT_GROUPS)
    for g in ("posterior", "posterior_predictive", "log_likelihood", "sample_stats"):
        assert one[g]["chain"].values.tolist() == [3]
        xr.testing.assert_identical(one[g].to_dataset(), tree[g].to_dataset().isel(chain=[3]))
    xr.testing.assert_identical(
        one["observed_data"].to_dataset(), tree["observed_data"].to_dataset()
    )
    by_mode = split_chains(tree, groups=[1, 0, 1, 0, 1, 2])
    assert list(by_mode) == ["mode 0", "mode 1", "mode 2"]
    assert by_mode["mode 1"]["posterior"]["chain"].values.tolist() == [0, 2, 4]
    # a DataArray over chain is matched by coordinate, not by position
    labels = xr.DataArray([2, 1, 0, 1, 0, 1], dims="chain", coords={"chain": [5, 4, 3, 2, 1, 0]})
    assert split_chains(tree, labels)["mode 0"]["posterior"]["chain"].values.tolist() == [1, 3]
    assert az.loo(by_mode["mode 1"], pointwise=True).elpd_i.sizes["obs"] == 30


# ----------------------------------------------------------------------------------------------
# stack_chains
# ----------------------------------------------------------------------------------------------


def test_stacking_against_az_compare_and_direct_sums(three_modes):
    res = stack_chains(three_modes)
    assert isinstance(res, StackingResult) and "weights by chain" in repr(res)
    w = res.weights
    assert w.dims == ("chain",) and w["chain"].values.tolist() == list(range(6))
    assert np.all(w >= 0) and math.isclose(float(w.sum()), 1.0, abs_tol=1e-9)
    # the same weights as az.compare on the split DataTrees
    cmp = az.compare(split_chains(three_modes), method="stacking", round_to="none")
    np.testing.assert_allclose(
        w.values, cmp.loc[[f"chain {c}" for c in range(6)], "weight"], atol=1e-8
    )
    np.testing.assert_allclose(res.compare.loc[cmp.index, "elpd"], cmp["elpd"])
    # elpd_stacked: log sum_k w_k exp(elpd_loo_k,i), summed; se = sqrt(n) sd
    elpd_k = np.stack([res.loo[f"chain {c}"].elpd_i.values for c in range(6)], axis=1)
    direct = np.log(np.exp(elpd_k) @ w.values)
    np.testing.assert_allclose(res.elpd_i.values, direct, rtol=1e-10)
    np.testing.assert_allclose(stacked_elpd(elpd_k, w.values), direct, rtol=1e-10)
    assert res.elpd_i.dims == ("obs",)
    assert math.isclose(res.elpd_stacked, direct.sum(), rel_tol=1e-10)
    assert math.isclose(res.se_stacked, math.sqrt(30) * np.std(direct, ddof=1), rel_tol=1e-10)
    pooled = az.loo(three_modes, pointwise=True)
    assert math.isclose(res.elpd_pooled, pooled.elpd, rel_tol=1e-10)
    assert math.isclose(res.se_pooled, pooled.se, rel_tol=1e-8)
    # the chain far from every observation gets (practically) no weight, and pooling it in costs
    assert float(w.sel(chain=5)) < 1e-3
    assert res.elpd_stacked > res.elpd_pooled
    assert res.groups is None


def test_stacking_by_mode(three_modes):
    mode = group_chains(three_modes)
    assert mode.values.tolist() == [0, 1, 0, 1, 0, 2]
    res = stack_chains(three_modes, groups=mode)
    assert res.weights.dims == ("mode",) and res.weights["mode"].values.tolist() == [0, 1, 2]
    assert math.isclose(float(res.weights.sum()), 1.0, abs_tol=1e-9)
    cmp = az.compare(split_chains(three_modes, mode), method="stacking", round_to="none")
    np.testing.assert_allclose(
        res.weights.values, cmp.loc[["mode 0", "mode 1", "mode 2"], "weight"], atol=1e-8
    )
    assert float(res.weights.sel(mode=2)) < 1e-3
    assert res.groups.values.tolist() == mode.values.tolist()
    assert res.elpd_stacked >= max(v.elpd for v in res.loo.values()) - 1e-4


@SETTINGS
@given(
    modes=st.lists(st.sampled_from([0, 1, 2, 3]), min_size=2, max_size=4),
    seed=st.integers(0, 2**31),
)
def test_stacked_score_beats_every_single_chain(modes, seed):
    # stacking maximises the LOO score over the simplex, whose corners are the single chains
    res = stack_chains(make_tree(modes, seed=seed, n_draw=60, n_obs=20, sd=0.3))
    assert np.all(res.weights >= 0)
    assert math.isclose(float(res.weights.sum()), 1.0, abs_tol=1e-9)
    best = max(v.elpd for v in res.loo.values())
    assert res.elpd_stacked >= best - 1e-4


@settings(max_examples=5, deadline=None)
@given(n_chain=st.integers(2, 4), seed=st.integers(0, 2**31), perm_seed=st.integers(0, 99))
def test_copies_of_one_chain_are_exchangeable(n_chain, seed, perm_seed):
    tree = make_tree([0] * n_chain, seed=seed, n_draw=60, n_obs=20)
    copies = tree.copy()
    for g in ("posterior", "log_likelihood", "sample_stats"):
        ds = tree[g].to_dataset()
        copies[g] = ds.isel(chain=[0] * n_chain).assign_coords(chain=ds["chain"].values)
    res = stack_chains(copies)
    np.testing.assert_allclose(res.weights.values, 1 / n_chain, atol=1e-6)
    single = res.loo["chain 0"]
    assert math.isclose(res.elpd_stacked, single.elpd, rel_tol=1e-9)
    # and distinct chains: relabelling the chains relabels the weights
    perm = np.random.default_rng(perm_seed).permutation(n_chain)
    mixed = make_tree([0, 1, 2, 3][:n_chain], seed=seed, n_draw=60, n_obs=20, sd=0.3)
    a = stack_chains(mixed).weights.values
    b = stack_chains(mixed.isel(chain=perm)).weights
    np.testing.assert_allclose(b.values, a[perm], atol=1e-3)
    assert b["chain"].values.tolist() == perm.tolist()


# ----------------------------------------------------------------------------------------------
# stacked_predictive
# ----------------------------------------------------------------------------------------------


def within_5se(counts, w):
    n = counts.sum()
    se = np.sqrt(w * (1 - w) / n)
    return np.all(np.abs(counts / n - w) <= 5 * se + 1e-12)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31), n_zero=st.integers(0, 2))
def test_predictive_frequencies_follow_the_weights(three_modes, seed, n_zero):
    rng = np.random.default_rng(seed)
    w = rng.dirichlet(np.ones(6))
    w[:n_zero] = 0.0
    w /= w.sum()
    weights = xr.DataArray(w, dims="chain", coords={"chain": np.arange(6)})
    out = stacked_predictive(three_modes, weights, n_draws=3000, random_seed=seed)
    assert out["y"].dims == ("chain", "draw", "obs") and out.sizes["draw"] == 3000
    counts = np.bincount(out["source_chain"].values.ravel(), minlength=6)
    assert within_5se(counts, w)
    assert np.all(counts[w == 0] == 0)
    # draws within a chain are taken uniformly: both halves of the chains as often
    first_half = out["source_draw"].values.ravel() < 100
    assert abs(first_half.mean() - 0.5) <= 5 * math.sqrt(0.25 / 3000)


def test_predictive_by_mode_and_of_the_posterior(three_modes):
    mode = group_chains(three_modes)
    res = stack_chains(three_modes, groups=mode)
    w = xr.DataArray([0.5, 0.3, 0.2], dims="mode", coords={"mode": [0, 1, 2]})
    out = stacked_predictive(
        three_modes, w, groups=mode, n_draws=3000, random_seed=4, group="posterior"
    )
    assert set(out.data_vars) == {"mu"}
    modes = out["source_mode"].values.ravel()
    assert within_5se(np.bincount(modes, minlength=3), w.values)
    # mode 0 holds chains 0, 2 and 4: each as often
    chains = out["source_chain"].values.ravel()[modes == 0]
    assert within_5se(np.bincount(chains, minlength=6)[[0, 2, 4]], np.full(3, 1 / 3))
    # every draw is the draw it says it came from
    post = three_modes["posterior"]["mu"]
    src = post.sel(
        chain=xr.DataArray(out["source_chain"].values[0], dims="draw"),
        draw=xr.DataArray(out["source_draw"].values[0], dims="draw"),
    )
    np.testing.assert_array_equal(out["mu"].values[0], src.values)
    # the result object carries its groups; default size: all draws
    full = stacked_predictive(three_modes, res, random_seed=5)
    assert full.sizes["draw"] == 1200 and "source_mode" in full.coords
    assert full.attrs["sources"] == ["mode 0", "mode 1", "mode 2"]
    # a plain list is one weight per chain
    assert stacked_predictive(three_modes, [0, 0, 1, 0, 0, 0], n_draws=5, random_seed=6)[
        "source_chain"
    ].values.tolist() == [[2] * 5]


# ----------------------------------------------------------------------------------------------
# One real fit: what pm.sample and pm.compute_log_likelihood return goes through every function
# ----------------------------------------------------------------------------------------------


def test_real_fit_goes_through(gmm_fit):
    idata = gmm_fit.idata
    n_chain = idata["posterior"].sizes["chain"]
    summ = chain_summary(idata)
    assert {"w", "mu", "sigma", "lp", "lpd"} <= set(summ.data_vars)
    assert summ["lpd"].sizes["chain"] == n_chain and np.all(np.isfinite(summ["lpd"]))
    r = chain_rhat_matrix(idata)
    assert r.shape == (n_chain, n_chain) and np.all(r.values > 0.9)
    mode = group_chains(idata)
    relabelled = group_chains(idata, relabel="stephens")
    assert relabelled.attrs["n_modes"] <= n_chain
    assert mode.sizes["chain"] == n_chain and set(mode.values.tolist()) <= set(range(n_chain))
    assert len(split_chains(idata, mode)) == mode.attrs["n_modes"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = stack_chains(idata)
        by_mode = stack_chains(idata, groups=mode)
    for out in (res, by_mode):
        assert math.isclose(float(out.weights.sum()), 1.0, abs_tol=1e-9)
        assert out.elpd_stacked >= max(v.elpd for v in out.loo.values()) - 1e-4
    draws = stacked_predictive(idata, res, n_draws=50, random_seed=1, group="posterior")
    assert draws["mu"].dims == ("chain", "draw", "component")


# ----------------------------------------------------------------------------------------------
# Errors: one line each, before any work
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    return make_tree([0, 1, 0], seed=23, n_draw=20, n_obs=10)


def test_stacking_errors(small):
    no_ll = xr.DataTree.from_dict({g: small[g].to_dataset() for g in ("posterior", "sample_stats")})
    with pytest.raises(
        ValueError,
        match=r"no log_likelihood group.*pm.compute_log_likelihood\(idata, model=model\) first",
    ):
        stack_chains(no_ll)
    two = small.copy()
    ll = small["log_likelihood"].to_dataset()
    two["log_likelihood"] = ll.assign(z=ll["y"])
    with pytest.raises(ValueError, match=r"holds 2 observed variables \(y, z\); pass var_name"):
        stack_chains(two)
    with pytest.raises(ValueError, match="has no observed variable 'q'"):
        stack_chains(small, var_name="q")
    with pytest.raises(
        ValueError, match="chain 0 has 20 draws; PSIS-LOO of each chain .* at least 25"
    ):
        stack_chains(two, var_name="z")
    assert stack_chains(two, var_name="z", groups=[0, 0, 0]).weights.sizes["mode"] == 1
    with pytest.raises(ValueError, match="stack_chains needs at least 2 chains; idata has 1"):
        stack_chains(small.isel(chain=[0]))
    with pytest.raises(TypeError, match="needs an xarray.DataTree"):
        stack_chains(small["posterior"].to_dataset())
    with pytest.raises(TypeError, match="needs an xarray.DataTree"):
        split_chains({"posterior": 1})
    with pytest.raises(
        ValueError, match=r"groups covers chains \[0, 1\] but idata has chains \[0, 1, 2\]"
    ):
        stack_chains(small, groups=xr.DataArray([0, 1], dims="chain", coords={"chain": [0, 1]}))
    with pytest.raises(ValueError, match="groups must hold one mode label per chain"):
        split_chains(small, groups=[0, 1])
    with pytest.raises(TypeError, match="groups must hold integer mode labels"):
        split_chains(small, groups=[0.5, 1, 0])
    with pytest.raises(ValueError, match="groups must be a DataArray over the one dim 'chain'"):
        split_chains(small, groups=xr.DataArray([0, 1, 0], dims="mode"))
    with pytest.raises(TypeError, match="groups must be an integer DataArray"):
        split_chains(small, groups=small["posterior"].to_dataset())
    bad = small.copy()
    bad["sample_stats"] = small["sample_stats"].to_dataset().isel(chain=[0, 1])
    with pytest.raises(
        ValueError, match=r"idata\['sample_stats'\] has 2 chains but the posterior has 3"
    ):
        split_chains(bad)


@pytest.mark.parametrize(
    ("weights", "kwargs", "error", "match"),
    [
        ([0.5, 0.6, 0.0], {}, ValueError, r"weights must sum to 1 \(got 1.1\)"),
        ([1.5, -0.5, 0.0], {}, ValueError, "weights must be non-negative"),
        ([0.5, 0.5], {}, ValueError, "weights has 2 values but idata has 3 chains"),
        (
            xr.DataArray([0.5, 0.5, 0.0], dims="chain", coords={"chain": [0, 1, 7]}),
            {},
            ValueError,
            r"weights are for chains \[0, 1, 7\] but idata has chains \[0, 1, 2\]",
        ),
        (
            xr.DataArray([0.5, 0.5], dims="mode"),
            {},
            ValueError,
            "weights are per mode; pass groups",
        ),
        (
            xr.DataArray([0.5, 0.5], dims="mode", coords={"mode": [0, 3]}),
            {"groups": [0, 1, 0]},
            ValueError,
            r"weights are for modes \[0, 3\] but groups has modes \[0, 1\]",
        ),
        (xr.DataArray([0.5, 0.5], dims="component"), {}, ValueError, "over 'chain' or 'mode'"),
        ("0.5", {}, TypeError, "weights must be stack_chains"),
        ([1, 0, 0], {"n_draws": 0}, ValueError, "n_draws must be >= 1"),
        ([1, 0, 0], {"n_draws": 2.5}, TypeError, "n_draws must be an integer"),
        ([1, 0, 0], {"group": "prior"}, ValueError, "has no group 'prior'"),
        (
            [1, 0, 0],
            {"group": "observed_data"},
            ValueError,
            r"idata\['observed_data'\] has no dimension 'chain'",
        ),
        (
            [1, 0, 0],
            {"random_seed": "x"},
            TypeError,
            "random_seed must be a numpy.random.Generator",
        ),
    ],
)
def test_predictive_errors(small, weights, kwargs, error, match):
    kwargs = {"random_seed": 0, "group": "posterior", **kwargs}
    with pytest.raises(error, match=match) as info:
        stacked_predictive(small, weights, **kwargs)
    assert "\n" not in str(info.value)


def test_psis_loo_handles_a_tail_arviz_cannot_fit():
    """A constant log-likelihood column makes ArviZ raise "All tail values are the same"; psis_loo
    gives that observation its plain importance weights (the constant itself) and k = -inf, and every
    other observation exactly ArviZ's PSIS value."""
    from mixlab.modes._stacking import psis_loo

    rng = np.random.default_rng(0)
    chains, draws, n = 2, 200, 12
    ll = rng.normal(-1.0, 0.3, size=(chains, draws, n))
    post = xr.Dataset({"mu": (("chain", "draw"), rng.normal(size=(chains, draws)))},
                      coords={"chain": np.arange(chains), "draw": np.arange(draws)})

    def tree_of(values):
        return xr.DataTree.from_dict({
            "posterior": post,
            "log_likelihood": xr.Dataset({"y": (("chain", "draw", "obs"), values)}),
            "observed_data": xr.Dataset({"y": ("obs", np.zeros(n))}),
        })

    flat = ll.copy()
    flat[:, :, 3] = -2.5
    with pytest.raises(ValueError, match="All tail values are the same"):
        az.loo(tree_of(flat), pointwise=True)
    res = psis_loo(tree_of(flat))
    ref = az.loo(tree_of(ll), pointwise=True)
    assert float(res.elpd_i[3]) == pytest.approx(-2.5)
    assert float(res.pareto_k[3]) == -np.inf
    others = np.arange(n) != 3
    np.testing.assert_allclose(res.elpd_i.values[others], ref.elpd_i.values[others], rtol=1e-12)
    np.testing.assert_allclose(res.pareto_k.values[others], ref.pareto_k.values[others], rtol=1e-12)
    stacked = stack_chains(tree_of(flat))  # goes through where az.loo alone would stop
    assert np.isclose(float(stacked.weights.sum()), 1.0)
    # one chain (what stack_chains passes per chain): ArviZ takes r_eff = 1 there, and so does psis_loo
    one = psis_loo(tree_of(flat).sel(chain=[0]))
    ref_one = az.loo(tree_of(ll).sel(chain=[0]), pointwise=True)
    np.testing.assert_allclose(one.elpd_i.values[others], ref_one.elpd_i.values[others], rtol=1e-12)
    np.testing.assert_allclose(one.pareto_k.values[others], ref_one.pareto_k.values[others], rtol=1e-12)
