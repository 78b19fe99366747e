"""Tests for mixlab.diagnostics: the diagnose checklist and component_overlap."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from mixlab.diagnostics import STATUSES, component_overlap, diagnose
from mixlab.diagnostics._overlap import _pair_mass

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
        # a narrow peak on a wide base: close means, distinct components -> still "pass"
        ("component overlap", "pass",
         lambda p, s, y: (p["mu"].__setitem__((..., 1), p["mu"][..., 0] + 0.05),
                          p["sigma"].__setitem__((..., 0), 4.0 * p["sigma"][..., 0]),
                          p["sigma"].__setitem__((..., 1), 0.25 * p["sigma"][..., 1]))),
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
    assert flipped == ({check: status} if status != "pass" else {}), \
        table[["status", "explanation"]]


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
    # Student-t components: the Gaussian overlap does not apply
    nu = np.full(posterior["w"].shape, 5.0)
    tree = az.from_dict({"posterior": {**posterior, "nu": nu}, "sample_stats": stats},
                        dims={**DIMS, "nu": ["component"]})
    row = diagnose(tree).loc["component overlap"]
    assert row["status"] == "skip" and "'nu'" in row["explanation"]


def test_overlap_check_ignores_the_labels(good):
    """Permuting the components of each draw at random leaves the overlap row unchanged."""
    posterior, stats, y = good
    rng = np.random.default_rng(6)
    order = np.argsort(rng.random(posterior["w"].shape), axis=-1)
    permuted = {k: np.take_along_axis(v, order, axis=-1) for k, v in posterior.items()}
    before = diagnose(_tree(posterior, stats, y)).loc["component overlap", "value"]
    after = diagnose(_tree(permuted, stats, y)).loc["component overlap", "value"]
    assert after == pytest.approx(before, rel=1e-12)
    assert 0 < before < 0.05  # means 4 and 5 apart, scales about 1: a few percent at most


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


def test_bfmi_row_is_the_smallest_arviz_bfmi():
    rng = np.random.default_rng(5)
    energy = np.cumsum(rng.normal(size=(3, 500)), axis=1) * 0.1 + rng.normal(size=(3, 500))
    expected = np.asarray(az.bfmi(az.from_dict({"sample_stats": {"energy": energy}}))["energy"])
    # the per-chain formula mixlab used before arviz-stats: sum of squared differences / variance
    by_hand = np.sum(np.diff(energy, axis=1) ** 2, axis=1) / np.sum(
        (energy - energy.mean(axis=1, keepdims=True)) ** 2, axis=1)
    np.testing.assert_allclose(expected.ravel(), by_hand, rtol=1e-10)
    posterior, stats, y = _good_parts(n_chain=3, n_draw=500)
    table = diagnose(_tree(posterior, {**stats, "energy": energy}, y))
    assert table.loc["E-BFMI", "value"] == pytest.approx(by_hand.min(), rel=1e-10)


# --------------------------------------------------------------------------- component_overlap

def _posterior(w, mu, sigma, **extra):
    """A posterior Dataset from arrays (chain, draw, component)."""
    dims = ("chain", "draw", "component")
    data = {"w": (dims, np.asarray(w, float)), "mu": (dims, np.asarray(mu, float)),
            "sigma": (dims, np.asarray(sigma, float))}
    data.update({k: (dims, np.asarray(v, float)) for k, v in extra.items()})
    k = data["w"][1].shape[-1]
    return xr.Dataset(data, coords={"component": ["a", "b", "c", "d"][:k]})


def _one_draw(w, mu, sigma):
    return _posterior(*([[list(map(float, v))]] for v in (w, mu, sigma)))


def _numeric_mass(wa, ma, sa, wb, mb, sb, n=20_001):
    """Trapezoid rule on the union of two grids, each fine on the scale of one component."""
    t = np.linspace(-12, 12, n)
    g = np.sort(np.concatenate([ma + sa * t, mb + sb * t]))
    return np.trapezoid(np.minimum(wa * norm.pdf(g, ma, sa), wb * norm.pdf(g, mb, sb)), g)


@pytest.mark.parametrize("d", [0.0, 0.5, 1.0, 2.0, 4.0])
def test_component_overlap_matches_the_closed_form_of_equal_gaussians(d):
    """Equal weights and scales, means d sd apart: misclassification Phi(-d/2), OVL 2 Phi(-d/2)."""
    post = _one_draw([0.5, 0.5], [1.0, 1.0 + 2.0 * d], [2.0, 2.0])
    mis = component_overlap(post)
    ovl = component_overlap(post, method="ovl")
    assert float(mis["mean"][0, 1]) == pytest.approx(norm.cdf(-d / 2), abs=1e-12)
    assert float(ovl["mean"][0, 1]) == pytest.approx(2 * norm.cdf(-d / 2), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.02, 0.98), st.floats(-5, 5), st.floats(-5, 5),
       st.floats(-3, 3), st.floats(-3, 3))
def test_pair_mass_agrees_with_numerical_integration(wa, ma, mb, log_sa, log_sb):
    sa, sb = np.exp(log_sa), np.exp(log_sb)
    exact = float(_pair_mass(*(np.array(v) for v in (wa, ma, sa, 1 - wa, mb, sb))))
    assert exact == pytest.approx(_numeric_mass(wa, ma, sa, 1 - wa, mb, sb), abs=1e-6)


def test_pair_mass_handles_equal_scales_and_identical_components():
    """Equal scales make the crossing equation linear; identical components never cross."""
    args = [np.array(v) for v in (0.3, 0.0, 1.0, 0.7, 1.5, 1.0)]
    assert float(_pair_mass(*args)) == pytest.approx(_numeric_mass(0.3, 0, 1, 0.7, 1.5, 1), abs=1e-7)
    same = [np.array(v) for v in (0.3, 2.0, 0.5, 0.7, 2.0, 0.5)]
    assert float(_pair_mass(*same)) == pytest.approx(0.3, abs=1e-12)  # the smaller weight
    nested = [np.array(v) for v in (0.5, 0.0, 1.0, 0.5, 0.0, 3.0)]  # same mean, two crossings
    assert float(_pair_mass(*nested)) == pytest.approx(_numeric_mass(0.5, 0, 1, 0.5, 0, 3), abs=1e-7)


def test_close_means_can_be_distinct_components_and_far_means_need_not_be():
    """Separation is a property of the densities: a narrow peak on a wide base is distinct,
    two wide components with means further apart are not."""
    peak_on_base = component_overlap(_one_draw([0.5, 0.5], [0.0, 0.1], [0.3, 3.0]))
    wide_pair = component_overlap(_one_draw([0.5, 0.5], [0.0, 1.0], [3.0, 3.0]))
    assert float(peak_on_base["mean"][0, 1]) < 0.11 < 0.4 < float(wide_pair["mean"][0, 1])


def test_component_overlap_is_invariant_to_the_data_scale_and_symmetric_in_the_pair():
    rng = np.random.default_rng(7)
    shape = (2, 50)
    w = rng.dirichlet([3, 2, 1], size=shape)
    mu = rng.normal(0, 2, (*shape, 3))
    sigma = np.exp(rng.normal(0, 0.5, (*shape, 3)))
    base = component_overlap(_posterior(w, mu, sigma))["overlap"].values
    moved = component_overlap(_posterior(w, 10.0 - 3.0 * mu, 3.0 * sigma))["overlap"].values
    np.testing.assert_allclose(moved, base, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(base, np.swapaxes(base, -1, -2))
    assert np.isnan(np.diagonal(base, axis1=-2, axis2=-1)).all()
    perm = [2, 0, 1]
    permuted = component_overlap(_posterior(w[..., perm], mu[..., perm], sigma[..., perm]))
    np.testing.assert_allclose(permuted["overlap"].values, base[..., perm, :][..., perm])


def test_component_overlap_summaries():
    """mean, mcse and interval of the per-draw overlap, with ArviZ's default interval."""
    rng = np.random.default_rng(8)
    shape = (4, 250)
    mu = np.stack([np.zeros(shape), rng.normal(2.0, 0.3, shape)], axis=-1)
    post = _posterior(np.full((*shape, 2), 0.5), mu, np.ones((*shape, 2)))
    ov = component_overlap(post)
    per_draw = norm.cdf(-mu[..., 1] / 2)
    np.testing.assert_allclose(ov["overlap"].values[..., 0, 1], per_draw, rtol=1e-12)
    assert float(ov["mean"][0, 1]) == pytest.approx(per_draw.mean(), rel=1e-12)
    assert ov.attrs == {"method": "misclassification", "ci_prob": az.rcParams["stats.ci_prob"],
                        "ci_kind": az.rcParams["stats.ci_kind"]}
    lo, hi = np.quantile(per_draw, [(1 - ov.attrs["ci_prob"]) / 2, (1 + ov.attrs["ci_prob"]) / 2])
    assert float(ov["lower"][0, 1]) == pytest.approx(lo, rel=1e-6)
    assert float(ov["upper"][0, 1]) == pytest.approx(hi, rel=1e-6)
    # independent draws: the mcse is about the sd over the square root of the number of draws (the
    # ratio's spread over seeds is about 0.04, with a longer upper tail: 0.3 is 7 of those)
    assert float(ov["mcse"][0, 1]) == pytest.approx(per_draw.std() / np.sqrt(per_draw.size), rel=0.3)
    # the mean estimates E[Phi(-d/2)], d ~ N(2, 0.3): within 4.5 Monte Carlo standard errors
    d = np.linspace(2.0 - 3.0, 2.0 + 3.0, 20_001)
    truth = np.trapezoid(norm.cdf(-d / 2) * norm.pdf(d, 2.0, 0.3), d)
    assert abs(float(ov["mean"][0, 1]) - truth) < 4.5 * float(ov["mcse"][0, 1])
    hdi = component_overlap(post, ci_kind="hdi", ci_prob=0.5)
    assert hdi.attrs["ci_kind"] == "hdi" and hdi.attrs["ci_prob"] == 0.5
    width = float(hdi["upper"][0, 1] - hdi["lower"][0, 1])
    assert width < float(ov["upper"][0, 1] - ov["lower"][0, 1])


def test_component_overlap_other_names_and_dims():
    post = _one_draw([0.5, 0.5], [0.0, 1.0], [1.0, 1.0]).rename(
        {"w": "pi", "component": "k", "draw": "sample"})
    ov = component_overlap(post, var_names={"w": "pi"}, dim="k", sample_dims=("chain", "sample"))
    assert ov["overlap"].dims == ("chain", "sample", "k", "k2")
    assert float(ov["mean"][0, 1]) == pytest.approx(norm.cdf(-0.5))


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
    with pytest.raises(ValueError, match=r"overlap_max must be in \[0, 1\], got -0.1"):
        diagnose(tree, overlap_max=-0.1)
    with pytest.raises(TypeError, match="sample_dims must be a non-empty sequence of dimension names"):
        diagnose(tree, sample_dims=3)
    with pytest.raises(TypeError, match="means must be a non-empty string naming a dimension or variable"):
        diagnose(tree, means=None)
    with pytest.raises(ValueError, match=r"'w' \(weights\) has no dimension 'k'.*pass dim=\.\.\. or weights="):
        diagnose(tree, dim="k")


def test_component_overlap_bad_input(good):
    tree = _tree(*good)
    with pytest.raises(ValueError, match=r"method must be one of \('misclassification', 'ovl'\), got 'hdi'"):
        component_overlap(tree, method="hdi")
    with pytest.raises(ValueError, match=r"ci_prob must be in \(0, 1\), got 1.0"):
        component_overlap(tree, ci_prob=1.0)
    with pytest.raises(ValueError, match="ci_kind must be 'eti' or 'hdi', got 'hpd'"):
        component_overlap(tree, ci_kind="hpd")
    with pytest.raises(ValueError, match="posterior has no variable 'sigma' for the sigma"):
        component_overlap(_tree({"w": good[0]["w"], "mu": good[0]["mu"]}))
    with pytest.raises(ValueError, match="has no dimension 'k'"):
        component_overlap(tree, dim="k")
    with pytest.raises(ValueError, match="must sum to 1"):
        component_overlap(_posterior(np.full((1, 2, 2), 0.7), np.zeros((1, 2, 2)),
                                     np.ones((1, 2, 2))))
    with pytest.raises(ValueError, match="must be positive"):
        component_overlap(_one_draw([0.5, 0.5], [0.0, 1.0], [1.0, -1.0]))
    with pytest.raises(ValueError, match="1 component along 'component'; an overlap needs at least two"):
        component_overlap(_one_draw([1.0], [0.0], [1.0]))
    extra = xr.Dataset({v: (("chain", "draw", "component", "dim2"), np.full((2, 10, 2, 3), 0.5))
                        for v in ("w", "mu", "sigma")})
    with pytest.raises(ValueError, match=r"unexpected dimension\(s\) \['dim2'\]"):
        component_overlap(extra)
    with pytest.raises(NotImplementedError, match="Student-t degrees of freedom 'nu'"):
        component_overlap(_posterior(*(np.full((1, 2, 2), v) for v in (0.5, 0.0, 1.0)),
                                     nu=np.full((1, 2, 2), 4.0)))
    with pytest.raises(NotImplementedError, match="regression slopes 'beta'"):
        component_overlap(_posterior(*(np.full((1, 2, 2), v) for v in (0.5, 0.0, 1.0)),
                                     beta=np.ones((1, 2, 2))))
    with pytest.raises(TypeError, match="var_names must be a dict"):
        component_overlap(tree, var_names="mu")
    with pytest.raises(TypeError, match="idata must be an xarray.DataTree"):
        component_overlap(np.zeros((4, 100, 2)))
