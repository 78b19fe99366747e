"""Tests for mixlab.diagnostics: the diagnose checklist and component_overlap."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mixlab.diagnostics import STATUSES, _bfmi, _hdi, component_overlap, diagnose

CHECKS = ["chains", "R-hat", "bulk ESS", "tail ESS", "divergences", "tree depth", "E-BFMI",
          "empty components", "collapsing scales", "label switching", "component overlap"]
DIMS = {"w": ["component"], "mu": ["component"], "sigma": ["component"]}


def _good_parts(n_chain=4, n_draw=400, seed=0):
    """Independent draws from a well separated 3-component posterior: every check should pass."""
    rng = np.random.default_rng(seed)
    shape = (n_chain, n_draw)
    w = rng.dirichlet([300, 200, 100], size=shape)
    mu = np.stack([rng.normal(m, 0.1, shape) for m in (-4.0, 0.0, 5.0)], axis=-1)
    sigma = np.stack([rng.normal(s, 0.05, shape) for s in (1.0, 0.8, 1.2)], axis=-1)
    posterior = {"w": w, "mu": mu, "sigma": sigma}
    stats = {"diverging": np.zeros(shape, bool),
             "reached_max_treedepth": np.zeros(shape, bool),
             "energy": rng.normal(size=shape)}
    y = np.concatenate([rng.normal(m, s, n) for m, s, n in ((-4, 1, 150), (0, .8, 100), (5, 1.2, 50))])
    return posterior, stats, y


def _tree(posterior, stats=None, y=None):
    groups = {"posterior": posterior}
    if stats is not None:
        groups["sample_stats"] = stats
    if y is not None:
        groups["observed_data"] = {"y": y}
    return az.from_dict(groups, dims={**DIMS, "y": ["obs"]})


def _status(table):
    return table["status"].to_dict()


@pytest.fixture(scope="module")
def good():
    return _good_parts()


# --------------------------------------------------------------------------- the good posterior

def test_good_posterior_passes_every_check(good):
    table = diagnose(_tree(*good))
    assert isinstance(table, pd.DataFrame)
    assert list(table.index) == CHECKS
    assert table.index.name == "check"
    assert list(table.columns) == ["status", "value", "threshold", "explanation", "reference"]
    assert set(_status(table).values()) == {"pass"}, table[["status", "explanation"]]
    assert table.loc["R-hat", "value"] < 1.01
    assert table.loc["bulk ESS", "value"] > 1000
    assert table.loc["chains", "value"] == 4
    assert "Vehtari" in table.loc["R-hat", "reference"]
    assert "sd(y)" in table.loc["collapsing scales", "threshold"]


def test_statuses_are_from_the_documented_set(good):
    for data in (_tree(*good), _tree(*_bad_parts()), _tree(good[0])):
        assert set(diagnose(data)["status"]) <= set(STATUSES)


# --------------------------------------------------------------------------- the bad posterior

def _bad_parts(seed=1):
    """Two chains, switched labels, a near-empty component with a collapsing scale, overlapping
    means, divergences, saturated trees and a random-walk energy: the checklist must see it all."""
    rng = np.random.default_rng(seed)
    shape = (2, 400)
    w = rng.dirichlet([500, 495, 5], size=shape)
    mu = np.stack([rng.normal(0.0, 0.3, shape), rng.normal(0.2, 0.3, shape),
                   rng.normal(3.0, 2.0, shape)], axis=-1)
    sigma = np.stack([rng.normal(1.0, 0.05, shape), rng.normal(1.0, 0.05, shape),
                      np.exp(rng.normal(-7.0, 1.0, shape))], axis=-1)
    # chain 1 has components 0 and 2 swapped (label switching between chains)
    for arr in (w, mu, sigma):
        arr[1] = arr[1][:, [2, 1, 0]]
    stats = {"diverging": rng.random(shape) < 0.05,
             "reached_max_treedepth": rng.random(shape) < 0.2,
             "energy": np.cumsum(rng.normal(size=shape), axis=1)}
    return {"w": w, "mu": mu, "sigma": sigma}, stats, rng.normal(0, 1, 200)


def test_bad_posterior_is_flagged_on_every_count():
    table = diagnose(_tree(*_bad_parts()))
    assert _status(table) == {
        "chains": "warn", "R-hat": "fail", "bulk ESS": "warn", "tail ESS": "warn",
        "divergences": "fail", "tree depth": "warn", "E-BFMI": "warn",
        "empty components": "warn", "collapsing scales": "warn", "label switching": "fail",
        "component overlap": "warn",
    }, table[["status", "explanation"]]
    assert table.loc["divergences", "value"] > 0
    assert table.loc["E-BFMI", "value"] < 0.3
    assert table.loc["empty components", "value"] < 0.02
    assert "relabel" in table.loc["label switching", "explanation"]
    assert "fewer components" in table.loc["component overlap", "explanation"]


@pytest.mark.parametrize(
    ("check", "status", "breaker"),
    [
        ("divergences", "fail", lambda p, s, y: s["diverging"].__setitem__((0, 5), True)),
        ("tree depth", "warn", lambda p, s, y: s["reached_max_treedepth"].__setitem__((1, 7), True)),
        ("E-BFMI", "warn", lambda p, s, y: s.__setitem__("energy", np.cumsum(s["energy"], axis=1))),
        ("empty components", "warn",
         lambda p, s, y: p.__setitem__("w", p["w"][..., [0, 1, 2]] * [1, 1, 0.01]
                                       / (p["w"][..., [0, 1, 2]] * [1, 1, 0.01]).sum(-1, keepdims=True))),
        ("collapsing scales", "warn", lambda p, s, y: p["sigma"].__setitem__((..., 2), 1e-3)),
        ("component overlap", "warn",
         lambda p, s, y: p["mu"].__setitem__((..., 1), p["mu"][..., 0] + 0.05)),
    ],
)
def test_breaking_one_thing_flips_exactly_that_check(check, status, breaker):
    posterior, stats, y = _good_parts(seed=3)
    posterior = {k: v.copy() for k, v in posterior.items()}
    stats = {k: v.copy() for k, v in stats.items()}
    breaker(posterior, stats, y)
    table = diagnose(_tree(posterior, stats, y))
    flipped = {c: s for c, s in _status(table).items() if s != "pass"}
    if check == "component overlap":  # two means 0.05 apart also trade places in some draws
        flipped.pop("label switching", None)
    assert flipped == {check: status}, table[["status", "explanation"]]


def test_switching_within_chains_warns_and_between_chains_fails():
    posterior, stats, y = _good_parts(seed=4)
    within = {k: v.copy() for k, v in posterior.items()}
    for v in within.values():  # 5% of draws of every chain have components 0 and 1 swapped
        v[:, ::20] = v[:, ::20][..., [1, 0, 2]]
    table = diagnose(_tree(within, stats, y))
    assert table.loc["label switching", "status"] == "warn"
    assert table.loc["label switching", "value"] == pytest.approx(0.05)
    between = {k: v.copy() for k, v in posterior.items()}
    for v in between.values():
        v[2:] = v[2:][..., [1, 0, 2]]
    table = diagnose(_tree(between, stats, y))
    assert table.loc["label switching", "status"] == "fail"
    assert table.loc["R-hat", "status"] == "fail"
    # sorting each draw repairs R-hat: the explanation says so
    assert "after sorting each draw" in table.loc["label switching", "explanation"]


def test_few_draws_warn_on_ess_and_correlated_chains_fail_rhat(good):
    posterior, stats, y = good
    rng = np.random.default_rng(9)
    walk = {k: v.copy() for k, v in posterior.items()}
    walk["mu"] = walk["mu"] + np.cumsum(rng.normal(0, 0.2, walk["mu"].shape), axis=1)
    table = diagnose(_tree(walk, stats, y), var_names=["mu"])
    assert table.loc["bulk ESS", "status"] == "warn"
    assert table.loc["R-hat", "status"] == "fail"
    assert table.loc["R-hat", "explanation"].startswith("largest R-hat")
    assert "mu[" in table.loc["R-hat", "explanation"]


# --------------------------------------------------------------------------- skips and options

def test_dataset_input_skips_the_sampler_checks(good):
    posterior = xr.Dataset({k: (("chain", "draw", "component"), v) for k, v in good[0].items()})
    table = diagnose(posterior)
    for check in ("divergences", "tree depth", "E-BFMI"):
        assert table.loc[check, "status"] == "skip"
        assert "sample_stats" in table.loc[check, "explanation"]
    assert table.loc["R-hat", "status"] == "pass"
    assert "median scale" in table.loc["collapsing scales", "threshold"]


def test_missing_component_variables_skip_their_checks(good):
    posterior, stats, y = good
    table = diagnose(_tree({"w": posterior["w"], "mu": posterior["mu"]}, stats, y))
    assert table.loc["collapsing scales", "status"] == "skip"
    assert "no scales variable 'sigma'" in table.loc["collapsing scales", "explanation"]
    one = {k: v[..., :1] for k, v in posterior.items()}
    one["w"] = np.ones_like(one["w"])
    table = diagnose(_tree(one, stats, y))
    assert table.loc["label switching", "status"] == "skip"
    assert table.loc["component overlap", "status"] == "skip"


def test_other_names_and_thresholds(good):
    posterior, stats, y = good
    renamed = {"pi": posterior["w"], "loc": posterior["mu"], "scale": posterior["sigma"]}
    tree = az.from_dict({"posterior": renamed, "sample_stats": stats},
                        dims={"pi": ["k"], "loc": ["k"], "scale": ["k"]})
    table = diagnose(tree, weights="pi", means="loc", scales="scale", dim="k")
    assert set(table["status"]) == {"pass"}
    strict = diagnose(tree, weights="pi", means="loc", scales="scale", dim="k",
                      min_weight=0.2, ess_per_chain=1e5)
    assert strict.loc["empty components", "status"] == "warn"
    assert strict.loc["bulk ESS", "status"] == "warn"


def test_constant_draws_skip_rhat(good):
    """R-hat of constant draws is undefined (ArviZ returns nan): the row is skipped, not failed."""
    posterior, stats, y = good
    table = diagnose(_tree({**posterior, "c": np.ones((4, 400))}, stats, y), var_names=["c"])
    assert table.loc["R-hat", "status"] == "skip"
    assert "constant" in table.loc["R-hat", "explanation"]


def test_labels_and_per_observation_variables_are_left_out_of_rhat(good):
    posterior, stats, y = good
    with_z = dict(posterior)
    with_z["z"] = np.random.default_rng(0).integers(0, 3, size=(4, 400, 5))
    tree = az.from_dict({"posterior": with_z, "sample_stats": stats},
                        dims={**DIMS, "z": ["obs"]})
    table = diagnose(tree)
    assert table.loc["R-hat", "status"] == "pass"


def test_bfmi_and_hdi_agree_with_arviz():
    rng = np.random.default_rng(5)
    energy = np.cumsum(rng.normal(size=(3, 500)), axis=1) * 0.1 + rng.normal(size=(3, 500))
    expected = np.asarray(az.bfmi(az.from_dict({"sample_stats": {"energy": energy}}))["energy"])
    np.testing.assert_allclose(_bfmi(energy), expected.ravel(), rtol=1e-10)
    x = rng.gamma(2.0, 1.0, size=2000)
    ours = _hdi(x, 0.9)
    theirs = np.asarray(az.hdi(xr.DataArray(x, dims=["draw"]), prob=0.9, dim="draw"))
    np.testing.assert_allclose(ours, theirs.ravel(), rtol=1e-12)


# --------------------------------------------------------------------------- component_overlap

def _mu_dataset(*columns):
    return xr.Dataset({"mu": (("chain", "draw", "component"), np.stack(columns, axis=-1))},
                      coords={"component": ["a", "b", "c"][: len(columns)]})


def test_component_overlap_extremes_and_symmetry():
    rng = np.random.default_rng(2)
    a = rng.normal(0, 1, (2, 1000))
    post = _mu_dataset(a, a.copy(), rng.normal(20, 1, (2, 1000)))
    for method in ("ovl", "hdi"):
        m = component_overlap(post, method=method)
        assert m.dims == ("component", "component2")
        assert list(m.coords["component2"].values) == ["a", "b", "c"]
        np.testing.assert_allclose(m.values, m.values.T)
        np.testing.assert_allclose(np.diag(m.values), 1.0)
        assert m.sel(component="a", component2="b") == pytest.approx(1.0)  # identical draws
        assert m.sel(component="a", component2="c") == 0.0
        assert m.attrs["method"] == method


def test_component_overlap_tracks_the_true_overlap_of_two_normals():
    """OVL of N(0,1) and N(d,1) is 2 * Phi(-d/2): 0.617 at d = 1; the estimate is within 0.05."""
    from scipy.stats import norm

    rng = np.random.default_rng(3)
    post = _mu_dataset(rng.normal(0, 1, (4, 2000)), rng.normal(1, 1, (4, 2000)))
    est = float(component_overlap(post)[0, 1])
    assert est == pytest.approx(2 * norm.cdf(-0.5), abs=0.05)


def test_component_overlap_permuting_components_permutes_the_matrix():
    rng = np.random.default_rng(4)
    cols = [rng.normal(m, 1, (2, 500)) for m in (0.0, 1.0, 2.5)]
    m = component_overlap(_mu_dataset(*cols)).values
    perm = [2, 0, 1]
    mp = component_overlap(_mu_dataset(*[cols[i] for i in perm])).values
    np.testing.assert_allclose(mp, m[np.ix_(perm, perm)])


# --------------------------------------------------------------------------- bad input

def test_diagnose_bad_input(good):
    tree = _tree(*good)
    with pytest.raises(TypeError, match="idata must be an xarray.DataTree"):
        diagnose(np.zeros((4, 100)))
    with pytest.raises(ValueError, match="has no group 'prior'"):
        diagnose(tree, group="prior")
    with pytest.raises(ValueError, match=r"no variable\(s\) \['theta'\]"):
        diagnose(tree, var_names=["theta"])
    with pytest.raises(ValueError, match="has no dimension 'draw'"):
        diagnose(tree.posterior.to_dataset().isel(draw=0))
    with pytest.raises(ValueError, match="rhat_max must be >= 1.0, got 0.9"):
        diagnose(tree, rhat_max=0.9)
    with pytest.raises(TypeError, match="min_weight must be a number"):
        diagnose(tree, min_weight="small")
    with pytest.raises(ValueError, match=r"switch_tol must be in \[0, 1\]"):
        diagnose(tree, switch_tol=2.0)
    with pytest.raises(TypeError, match="sample_dims must be a non-empty sequence of dimension names"):
        diagnose(tree, sample_dims=3)
    with pytest.raises(TypeError, match="means must be a non-empty string naming a dimension or variable"):
        diagnose(tree, means=None)
    with pytest.raises(ValueError, match=r"'w' \(weights\) has no dimension 'k'.*pass dim=\.\.\. or weights="):
        diagnose(tree, dim="k")


def test_component_overlap_bad_input(good):
    tree = _tree(*good)
    with pytest.raises(ValueError, match="method must be 'ovl' or 'hdi', got 'kl'"):
        component_overlap(tree, method="kl")
    with pytest.raises(ValueError, match=r"ci_prob must be in \(0, 1\), got 1.0"):
        component_overlap(tree, method="hdi", ci_prob=1.0)
    with pytest.raises(ValueError, match=r"no variable\(s\) \['nu'\]"):
        component_overlap(tree, "nu")
    with pytest.raises(ValueError, match="has no dimension 'k'"):
        component_overlap(tree, dim="k")
    extra = xr.Dataset({"mu": (("chain", "draw", "component", "dim2"), np.zeros((2, 10, 2, 3)))})
    with pytest.raises(ValueError, match=r"extra dimension\(s\) \['dim2'\]; select them first"):
        component_overlap(extra)
    with pytest.raises(TypeError, match="var_name must be a non-empty string naming a dimension or variable"):
        component_overlap(tree, var_name=1)
