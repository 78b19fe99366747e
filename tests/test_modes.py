"""mixlab.modes: per-chain summaries and the grouping of chains by mode.

The posteriors are built by hand: chains of iid draws around planted centres (modes), with a
pointwise log-likelihood computed exactly for a small data set, so each test knows which chains
share a mode. Checks: the summaries against direct (slow) computations, the planted grouping
recovered for any chain counts and seeds, the coarsening of the grouping as rhat_max grows, a
hopping chain kept apart, relabelling, the R-hat matrix, and one-line errors for bad input.
"""

from __future__ import annotations

import math

import arviz as az
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from mixlab.modes import (
    RULE,
    agglomerate,
    chain_rhat_matrix,
    chain_summary,
    group_chains,
    lpd_per_chain,
    union_rhat,
)

SETTINGS = settings(max_examples=15, deadline=None)

#: Component means of each planted mode; mode 0 made the data (it has the highest density), mode 3
#: is far from every observation.
CENTRES = {0: (-1.0, 1.5), 1: (0.3, 3.5), 2: (-2.5, 0.2), 3: (5.0, 8.0)}
#: A chain listed as HOP spends its first half in mode 0 and its second half in mode 1.
HOP = "hop"


def make_tree(
    modes,
    seed,
    *,
    n_draw=200,
    n_obs=30,
    sd=0.1,
    offsets=None,
    lp_name="lp",
    chain_coord=None,
    swap=(),
):
    """A DataTree of chains around planted modes, with an exact log-likelihood.

    ``modes`` holds one entry per chain: a key of CENTRES or HOP. ``offsets`` shifts each chain's
    centre (both components); ``swap`` lists chains whose two component labels are swapped. The
    model: y_i ~ 0.5 N(mu_0, 1) + 0.5 N(mu_1, 1), flat prior (lp = log-likelihood).
    """
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(n_obs) < 0.5, CENTRES[0][0], CENTRES[0][1]) + rng.standard_normal(n_obs)
    n_chain = len(modes)
    mu = np.empty((n_chain, n_draw, 2))
    for c, m in enumerate(modes):
        if m == HOP:
            half = n_draw // 2
            centre = np.concatenate(
                [np.tile(CENTRES[0], (half, 1)), np.tile(CENTRES[1], (n_draw - half, 1))]
            )
        else:
            centre = np.tile(CENTRES[m], (n_draw, 1))
        if offsets is not None:
            centre = centre + offsets[c]
        mu[c] = centre + sd * rng.standard_normal((n_draw, 2))
        if c in swap:
            mu[c] = mu[c][:, ::-1]
    dens = np.exp(-0.5 * (y[None, None, :, None] - mu[:, :, None, :]) ** 2) / math.sqrt(2 * math.pi)
    ll = np.log(0.5 * dens.sum(-1))
    chain = np.arange(n_chain) if chain_coord is None else np.asarray(chain_coord)
    coords = {"chain": chain, "draw": np.arange(n_draw)}
    tree = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset({"mu": (("chain", "draw", "component"), mu)}, coords=coords),
            "log_likelihood": xr.Dataset({"y": (("chain", "draw", "obs"), ll)}, coords=coords),
            "sample_stats": xr.Dataset({lp_name: (("chain", "draw"), ll.sum(-1))}, coords=coords),
            "observed_data": xr.Dataset({"y": (("obs",), y)}),
        }
    )
    return tree


def same_partition(a, b):
    """Do two label vectors define the same partition (up to the names of the labels)?"""
    a, b = np.asarray(a), np.asarray(b)
    return all((a[i] == a[j]) == (b[i] == b[j]) for i in range(len(a)) for j in range(len(a)))


def refines(fine, coarse):
    """Is every group of ``fine`` inside one group of ``coarse``?"""
    fine, coarse = np.asarray(fine), np.asarray(coarse)
    return all(len(set(coarse[fine == g])) == 1 for g in np.unique(fine))


# ----------------------------------------------------------------------------------------------
# chain_summary
# ----------------------------------------------------------------------------------------------


def test_chain_summary_against_direct_computation():
    tree = make_tree([0, 1, 0], seed=1)
    summ = chain_summary(tree)
    post = tree["posterior"].to_dataset()
    assert summ["mu"].dims == ("chain", "component")
    np.testing.assert_allclose(summ["mu"], post["mu"].mean("draw"))
    np.testing.assert_allclose(summ["lp"], tree["sample_stats"]["lp"].mean("draw"))
    ll = tree["log_likelihood"]["y"].values
    naive = [
        sum(math.log(np.mean(np.exp(ll[c, :, i]))) for i in range(ll.shape[2]))
        for c in range(ll.shape[0])
    ]
    np.testing.assert_allclose(summ["lpd"], naive, rtol=1e-10)
    np.testing.assert_allclose(lpd_per_chain(ll), naive, rtol=1e-10)
    # the mode that made the data predicts it better
    assert summ["lpd"][0] > summ["lpd"][1] and summ["lpd"][2] > summ["lpd"][1]
    assert summ.attrs["n_draws"] == 200 and summ.attrs["var_name"] == "y"


def test_chain_summary_reads_nutpie_logp_keeps_coords_and_optional_parts():
    tree = make_tree([0, 1], seed=2, lp_name="logp", chain_coord=[7, 9])
    summ = chain_summary(tree)
    assert list(summ["chain"].values) == [7, 9]
    np.testing.assert_allclose(summ["lp"], tree["sample_stats"]["logp"].mean("draw"))
    # a Dataset is the posterior alone: no lp, no lpd
    only = chain_summary(tree["posterior"].to_dataset())
    assert sorted(only.data_vars) == ["mu"]
    # without log_likelihood or sample_stats, those parts are left out
    bare = xr.DataTree.from_dict({"posterior": tree["posterior"].to_dataset()})
    assert sorted(chain_summary(bare).data_vars) == ["mu"]


def test_chain_summary_relabel_makes_swapped_chains_agree():
    tree = make_tree([0, 0, 0], seed=3, swap=(1,))
    raw = chain_summary(tree)["mu"].values
    assert raw[1, 0] > raw[1, 1] and raw[0, 0] < raw[0, 1]
    fixed = chain_summary(tree, relabel="sort")
    assert fixed.attrs["relabel"] == "sort"
    assert "relabel_perm" not in fixed.data_vars
    np.testing.assert_allclose(fixed["mu"].values, np.tile(CENTRES[0], (3, 1)), atol=0.1)


def test_chain_summary_var_names_and_several_observed_variables():
    tree = make_tree([0, 1], seed=4)
    post = tree["posterior"].to_dataset()
    post["tau"] = post["mu"].sum("component")
    ll = tree["log_likelihood"].to_dataset()
    ll["y2"] = ll["y"] * 2
    tree2 = tree.copy()
    tree2["posterior"] = post
    tree2["log_likelihood"] = ll
    with pytest.raises(ValueError, match=r"holds 2 observed variables \(y, y2\); pass var_name"):
        chain_summary(tree2)
    summ = chain_summary(tree2, var_names=["tau"], var_name="y2")
    assert sorted(summ.data_vars) == ["lp", "lpd", "tau"]
    np.testing.assert_allclose(summ["lpd"], lpd_per_chain(2 * tree["log_likelihood"]["y"].values))


# ----------------------------------------------------------------------------------------------
# group_chains and chain_rhat_matrix
# ----------------------------------------------------------------------------------------------


@SETTINGS
@given(
    counts=st.tuples(st.integers(1, 3), st.integers(0, 3), st.integers(0, 2)),
    seed=st.integers(0, 2**31),
    order_seed=st.integers(0, 1000),
)
def test_group_chains_recovers_the_planted_modes(counts, seed, order_seed):
    planted = np.repeat([0, 1, 2], counts)
    planted = planted[np.random.default_rng(order_seed).permutation(planted.size)]
    if planted.size < 2:
        planted = np.array([0, 0])
    # 300 iid draws: the rank R-hat of two chains of one mode stays below 1.02 (99.9% quantile)
    tree = make_tree(planted.tolist(), seed=seed, n_draw=300)
    mode = group_chains(tree)
    assert same_partition(mode.values, planted)
    sizes = np.bincount(mode.values)
    assert np.all(np.diff(sizes) <= 0), "mode 0 holds the most chains"
    assert mode.attrs["n_modes"] == len(set(planted.tolist())) == sizes.size
    assert np.all(mode.attrs["mode_rhat"][sizes > 1] < 1.05)


def test_group_chains_ties_go_to_the_higher_log_density():
    # two modes of two chains each; mode 0 of CENTRES made the data, so its lp is higher
    mode = group_chains(make_tree([1, 1, 0, 0], seed=5))
    assert mode.values.tolist() == [1, 1, 0, 0]


@SETTINGS
@given(seed=st.integers(0, 2**31), low=st.floats(1.001, 1.2), gap=st.floats(0.0, 0.5))
def test_larger_rhat_max_only_merges(seed, low, gap):
    # chains whose centres drift apart a little: the grouping depends on the threshold
    rng = np.random.default_rng(seed)
    n = 5
    offsets = np.cumsum(rng.uniform(0, 0.06, n))[:, None]
    tree = make_tree([0] * n, seed=seed, n_draw=100, offsets=offsets)
    fine = group_chains(tree, rhat_max=low).values
    coarse = group_chains(tree, rhat_max=low + gap).values
    assert refines(fine, coarse)
    assert len(set(coarse.tolist())) <= len(set(fine.tolist()))


def test_a_hopping_chain_is_put_apart():
    planted = [0, 0, HOP, 1, 1, 0]
    tree = make_tree(planted, seed=6)
    mode = group_chains(tree)
    assert same_partition(mode.values, [0, 0, 2, 1, 1, 0])
    assert mode.values.tolist() == [0, 0, 2, 1, 1, 0]  # sizes 3, 2, 1
    r = chain_rhat_matrix(tree)
    # its own halves disagree: the diagonal shows it
    assert float(r.sel(chain=2, chain_other=2)) > 1.5
    assert float(r.sel(chain=0, chain_other=0)) < 1.05


def test_group_chains_relabel_merges_label_permutations():
    tree = make_tree([0, 0, 0, 0], seed=7, swap=(1, 3))
    assert group_chains(tree).attrs["n_modes"] == 2
    mode = group_chains(tree, relabel="sort")
    assert mode.values.tolist() == [0, 0, 0, 0]


def test_rhat_matrix_matches_az_rhat_and_the_attrs():
    tree = make_tree([0, 1, 0], seed=8, chain_coord=[3, 5, 8])
    r = chain_rhat_matrix(tree)
    assert r.dims == ("chain", "chain_other") and r.name == "rhat"
    assert list(r["chain"].values) == [3, 5, 8] == list(r["chain_other"].values)
    np.testing.assert_allclose(r.values, r.values.T)
    pair = tree.isel(chain=[0, 2])
    direct = max(
        float(az.rhat(pair["posterior"]["mu"]).max()), float(az.rhat(pair["sample_stats"]["lp"]))
    )
    np.testing.assert_allclose(float(r.sel(chain=3, chain_other=8)), direct, rtol=1e-10)
    mode = group_chains(tree)
    assert list(mode["chain"].values) == [3, 5, 8] and mode.name == "mode"
    assert mode.dtype == np.int64
    assert mode.attrs["rule"] == RULE and mode.attrs["rhat_max"] == 1.05
    np.testing.assert_allclose(mode.attrs["rhat_matrix"], r.values)
    # var_names: mu alone gives the same grouping here
    assert group_chains(tree, var_names="mu").values.tolist() == mode.values.tolist()


def test_array_layer():
    rng = np.random.default_rng(9)
    values = rng.standard_normal((4, 100, 3))
    values[3] += 5.0
    groups, cache = agglomerate(values, 1.05)
    assert groups == [(0, 1, 2), (3,)]
    assert cache[frozenset((0, 1, 2))] < 1.05
    assert union_rhat(values, [0, 3]) > 1.5  # rank-normalized R-hat saturates near 1.8
    # a quantity constant on the chains is skipped, not NaN
    values[..., 0] = 1.0
    assert np.isfinite(union_rhat(values, [0, 1]))


# ----------------------------------------------------------------------------------------------
# Errors: one line each, before any work
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_tree():
    return make_tree([0, 1], seed=10, n_draw=20)


@pytest.mark.parametrize("func", [group_chains, chain_rhat_matrix])
def test_one_chain_is_refused(func, small_tree):
    with pytest.raises(ValueError, match=r"needs at least 2 chains; idata has 1"):
        func(small_tree.isel(chain=[0]))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"rhat_max": 1.0}, ValueError, "rhat_max must be a finite number above 1"),
        ({"rhat_max": "1.05"}, TypeError, "rhat_max must be a number above 1"),
        ({"rhat_max": True}, TypeError, "rhat_max must be a number above 1"),
        ({"var_names": ["nu"]}, ValueError, r"has no variable\(s\) \['nu'\]"),
        ({"var_names": 3}, TypeError, "var_names must be a name or a list"),
        ({"relabel": "nope"}, ValueError, "relabel must be None or one of"),
        ({"relabel": 1}, TypeError, "relabel must be None or a method name"),
        ({"sample_dims": ("chain",)}, ValueError, "sample_dims must name two dims"),
        ({"sample_dims": ("chain", "sample")}, ValueError, "has no dimension 'sample'"),
        ({"dim": ""}, TypeError, "dim must be a non-empty string"),
    ],
)
def test_group_chains_bad_arguments(small_tree, kwargs, error, match):
    with pytest.raises(error, match=match) as info:
        group_chains(small_tree, **kwargs)
    assert "\n" not in str(info.value)


def test_bad_inputs(small_tree):
    with pytest.raises(TypeError, match="must be an xarray.DataTree"):
        chain_summary(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="has no group 'posterior'"):
        chain_summary(
            xr.DataTree.from_dict({"sample_stats": small_tree["sample_stats"].to_dataset()})
        )
    with pytest.raises(ValueError, match="has 3 draw"):
        group_chains(small_tree.isel(draw=slice(0, 3)))
    post = small_tree["posterior"].to_dataset()
    with pytest.raises(ValueError, match="clashes with the summary's own 'lp'"):
        chain_summary(post.assign(lp=post["mu"]))
    with pytest.raises(ValueError, match="no floating-point variable"):
        chain_summary(post.assign(mu=post["mu"].astype(int)))
    bad = post.copy()
    bad["mu"] = bad["mu"].where(bad["draw"] != 3)
    with pytest.raises(ValueError, match="holds NaN or infinite values; leave it out"):
        group_chains(bad)
    with pytest.raises(ValueError, match="every listed posterior quantity is constant"):
        group_chains(post.assign(mu=post["mu"] * 0))
    ll = small_tree["log_likelihood"].to_dataset()
    tree = small_tree.copy()
    tree["log_likelihood"] = ll.assign(y=ll["y"].where(ll["obs"] != 0, np.nan))
    with pytest.raises(ValueError, match="holds NaN or \\+inf values"):
        chain_summary(tree)
