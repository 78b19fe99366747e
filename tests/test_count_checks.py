"""Posterior summaries of count models, without sampling: the zero-truncated families that let
mixlab's posterior spec read a hurdle model, count_frequencies on hand-made predictive draws, and
the rootogram drawn from them."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from scipy import stats

from mixlab.families import get_family
from mixlab.invariants import assignment_probs, count_frequencies, predictive_density
from mixlab.plots import plot_rootogram

GRID = np.arange(0, 400)


def _nb(mu, alpha):
    return stats.nbinom(alpha, alpha / (alpha + mu))


# --------------------------------------------------------------------------------------------
# zero-truncated families
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mu", [1e-6, 0.3, 2.0, 40.0])
def test_poisson_positive_is_the_zero_truncated_poisson(mu):
    y = np.arange(0, 200.0)[None, :, None]
    got = get_family("poisson_positive").logpdf(y, mu=np.full((1, 1, 1), mu))[0, :, 0]
    assert got[0] == -np.inf
    expected = stats.poisson.logpmf(y[0, 1:, 0], mu) - np.log(stats.poisson.sf(0, mu))
    np.testing.assert_allclose(got[1:], expected, rtol=1e-9, atol=1e-12)
    assert np.exp(got).sum() == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize(("mu", "alpha"), [(0.4, 0.5), (3.0, 2.0), (10.0, 50.0)])
def test_negative_binomial_positive_is_the_zero_truncated_nb(mu, alpha):
    y = np.arange(0, 3000.0)[None, :, None]
    params = {"mu": np.full((1, 1, 1), mu), "alpha": np.full((1, 1, 1), alpha)}
    got = get_family("negative_binomial_positive").logpdf(y, **params)[0, :, 0]
    assert got[0] == -np.inf
    dist = _nb(mu, alpha)
    expected = dist.logpmf(y[0, 1:, 0]) - np.log(dist.sf(0))
    np.testing.assert_allclose(got[1:], expected, rtol=1e-9, atol=1e-12)
    assert np.exp(got).sum() == pytest.approx(1.0, abs=1e-9)


# --------------------------------------------------------------------------------------------
# the posterior spec reads zero-inflated and hurdle posteriors
# --------------------------------------------------------------------------------------------

W = np.array([[[0.3, 0.7], [0.6, 0.4], [0.1, 0.9]]])  # (chain, draw, component)
MU = np.array([[2.5, 0.8, 6.0]])
ALPHA = np.array([[1.5, 4.0, 0.7]])


def _posterior(nb=False):
    dims = ("chain", "draw")
    data = {"w": ((*dims, "component"), W), "mu": (dims, MU)}
    if nb:
        data["alpha"] = (dims, ALPHA)
    return xr.Dataset(data, coords={"component": [0, 1]})


def _count_pmf(k, s, nb):
    return _nb(MU[0, s], ALPHA[0, s]).pmf(k) if nb else stats.poisson.pmf(k, MU[0, s])


@pytest.mark.parametrize("nb", [False, True])
def test_hurdle_predictive_pmf_sums_to_one_and_matches_scipy(nb):
    family = ["zero", "negative_binomial_positive" if nb else "poisson_positive"]
    dens = predictive_density(_posterior(nb), GRID, family=family)
    expected = np.zeros(GRID.size)
    for s in range(3):
        f = _count_pmf(GRID, s, nb)
        expected += np.where(GRID == 0, W[0, s, 0], W[0, s, 1] * f / (1.0 - f[0])) / 3
    np.testing.assert_allclose(dens["mean"].values, expected, rtol=1e-9, atol=1e-300)
    assert float(dens["mean"].sum()) == pytest.approx(1.0, abs=1e-9)
    assert float(dens["mean"][0]) == pytest.approx(W[0, :, 0].mean())


@pytest.mark.parametrize("nb", [False, True])
def test_zero_inflated_predictive_pmf_and_structural_zero_probability(nb):
    family = ["zero", "negative_binomial" if nb else "poisson"]
    post = _posterior(nb)
    dens = predictive_density(post, GRID, family=family)
    expected = np.mean(
        [(GRID == 0) * W[0, s, 0] + W[0, s, 1] * _count_pmf(GRID, s, nb) for s in range(3)], axis=0
    )
    np.testing.assert_allclose(dens["mean"].values, expected, rtol=1e-9, atol=1e-300)
    assert float(dens["mean"].sum()) == pytest.approx(1.0, abs=1e-9)
    probs = assignment_probs(post, y=np.array([0, 2, 5]), family=family).isel(chain=0)
    f0 = np.array([_count_pmf(0, s, nb) for s in range(3)])
    structural = W[0, :, 0] / (W[0, :, 0] + W[0, :, 1] * f0)
    np.testing.assert_allclose(probs.sel(obs=0, component=0).values, structural, rtol=1e-12)
    np.testing.assert_array_equal(probs.sel(obs=[1, 2], component=1).values, 1.0)


def test_hurdle_assignment_is_certain():
    probs = assignment_probs(
        _posterior(), y=np.array([0, 1, 3, 0]), family=["zero", "poisson_positive"]
    )
    expected = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(probs.values, np.broadcast_to(expected, (1, 3, 4, 2)))


# --------------------------------------------------------------------------------------------
# count_frequencies
# --------------------------------------------------------------------------------------------

Y_OBS = np.array([0, 0, 1, 4, 0])
DRAWS = np.array(
    [
        [[0, 1, 1, 2, 0], [0, 0, 0, 0, 9], [3, 0, 1, 1, 0]],
        [[0, 0, 0, 0, 0], [1, 1, 2, 5, 0], [0, 2, 0, 4, 6]],
    ]
)


def _tree(draws=DRAWS, y=Y_OBS, group="posterior_predictive"):
    obs = np.arange(np.shape(draws)[-1])
    return xr.DataTree.from_dict(
        {
            group: xr.Dataset({"y": (("chain", "draw", "obs"), draws)}, coords={"obs": obs}),
            "observed_data": xr.Dataset({"y": ("obs", y)}, coords={"obs": obs}),
        }
    )


def _by_hand(draws, y, max_count):
    rep = np.array(
        [
            np.bincount(np.minimum(d, max_count), minlength=max_count + 1)
            for d in draws.reshape(-1, draws.shape[-1])
        ]
    )
    obs = np.bincount(np.minimum(y, max_count), minlength=max_count + 1)
    return rep, obs


def test_count_frequencies_exact_on_a_hand_made_tree():
    freqs = count_frequencies(_tree())
    assert freqs.attrs["max_count"] == 5  # max(y) + 1
    rep, obs = _by_hand(DRAWS, Y_OBS, 5)
    np.testing.assert_array_equal(freqs["count"].values, np.arange(6))
    np.testing.assert_array_equal(freqs["observed"].values, [3, 1, 0, 0, 1, 0])
    np.testing.assert_array_equal(freqs["observed"].values, obs)
    np.testing.assert_allclose(freqs["mean"].values, rep.mean(axis=0))
    np.testing.assert_allclose(freqs["lower"].values, np.quantile(rep, 0.05, axis=0))
    np.testing.assert_allclose(freqs["upper"].values, np.quantile(rep, 0.95, axis=0))
    np.testing.assert_allclose(freqs["p_value"].values, (rep >= obs).mean(axis=0))
    assert float(freqs["mean"][-1]) == pytest.approx(3 / 6)  # the 9, 5 and 6 of the draws
    assert (freqs.attrs["n_obs"], freqs.attrs["n_draws"]) == (5, 6)
    assert float(freqs["mean"].sum()) == pytest.approx(5.0)


def test_count_frequencies_options():
    tree = _tree(group="prior_predictive")
    freqs = count_frequencies(
        tree, y=Y_OBS[::-1], max_count=2, ci_prob=0.5, group="prior_predictive"
    )
    rep, obs = _by_hand(DRAWS, Y_OBS, 2)
    np.testing.assert_array_equal(freqs["observed"].values, obs)
    np.testing.assert_allclose(freqs["lower"].values, np.quantile(rep, 0.25, axis=0))
    dataset = count_frequencies(
        tree["prior_predictive"].to_dataset(), y=Y_OBS, max_count=2, group="prior_predictive"
    )
    np.testing.assert_allclose(dataset["mean"].values, rep.mean(axis=0))
    whole_floats = count_frequencies(_tree(draws=DRAWS.astype(float)))
    np.testing.assert_allclose(whole_floats["mean"].values, count_frequencies(_tree())["mean"])


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: count_frequencies(_tree(), group="posterior"),
            ValueError,
            r"no group 'posterior' \(groups: observed_data, posterior_predictive\)",
        ),
        (
            lambda: count_frequencies(_tree(), var_name="z"),
            ValueError,
            "has no variable 'z' .*pass var_name",
        ),
        (lambda: count_frequencies(_tree(draws=DRAWS + 0.5)), ValueError, "must hold counts"),
        (lambda: count_frequencies(_tree(draws=-DRAWS)), ValueError, "must hold counts"),
        (
            lambda: count_frequencies(_tree(), ci_prob=1.5),
            ValueError,
            r"ci_prob must be in \(0, 1\)",
        ),
        (lambda: count_frequencies(_tree(), ci_prob=True), TypeError, "ci_prob must be a number"),
        (
            lambda: count_frequencies(_tree(), y=[0, 1, 2, 3]),
            ValueError,
            r"y has 4 value\(s\) but each predictive draw has 5",
        ),
        (lambda: count_frequencies(_tree(), y=[0, 1, 2, 3, 0.5]), ValueError, "y must hold counts"),
        (
            lambda: count_frequencies(_tree()["posterior_predictive"].to_dataset()),
            ValueError,
            "y was not given",
        ),
        (lambda: count_frequencies(_tree(), max_count=0), ValueError, "max_count must be >= 1"),
        (lambda: count_frequencies(_tree(), var_name=3), TypeError, "var_name must be"),
        (lambda: count_frequencies(DRAWS), TypeError, "must be an xarray.DataTree"),
        (
            lambda: count_frequencies(xr.Dataset({"y": (("draw", "obs"), DRAWS[0])}), y=Y_OBS),
            ValueError,
            r"no dimension\(s\) \['chain'\]",
        ),
    ],
)
def test_count_frequencies_rejects_bad_input_in_one_line(call, error, match):
    with pytest.raises(error, match=match) as info:
        call()
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------------------------
# plot_rootogram
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hanging", [True, False])
def test_rootogram_bars_hang_from_the_expected_curve(hanging):
    freqs = count_frequencies(_tree())
    fig, ax = plt.subplots()
    try:
        out = plot_rootogram(freqs, ax=ax, hanging=hanging)
        assert out is ax and isinstance(out, mpl.axes.Axes)
        bars = ax.patches
        assert len(bars) == freqs.sizes["count"]
        sqrt_obs, sqrt_exp = np.sqrt(freqs["observed"].values), np.sqrt(freqs["mean"].values)
        np.testing.assert_allclose([b.get_height() for b in bars], sqrt_obs)
        bottoms = sqrt_exp - sqrt_obs if hanging else np.zeros_like(sqrt_obs)
        np.testing.assert_allclose([b.get_y() for b in bars], bottoms)
        np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), sqrt_exp)
        assert ax.get_xticklabels()[-1].get_text() == ">= 5"
        assert ax.get_title() == ("Hanging rootogram" if hanging else "Standing rootogram")
    finally:
        plt.close(fig)


def test_rootogram_new_axes():
    ax = plot_rootogram(count_frequencies(_tree()))
    try:
        assert isinstance(ax, mpl.axes.Axes) and ax.get_ylabel() == "sqrt(frequency)"
    finally:
        plt.close(ax.figure)


@pytest.mark.parametrize(
    ("freqs", "kwargs", "error", "match"),
    [
        ({"observed": [1, 2]}, {}, TypeError, "freqs must be the xarray.Dataset"),
        (xr.Dataset({"observed": ("count", [1, 2])}), {}, ValueError, r"missing: \['mean'\]"),
        (
            xr.Dataset({"observed": ("count", [1, 2]), "mean": ("count", [1.0, -2.0])}),
            {},
            ValueError,
            "finite frequencies >= 0",
        ),
        (
            xr.Dataset({"observed": ("count", [1, 2]), "mean": ("count", [1.0, 2.0])}),
            {"hanging": "yes"},
            TypeError,
            "hanging must be True or False",
        ),
        (
            xr.Dataset({"observed": ("count", [1, 2]), "mean": ("count", [1.0, 2.0])}),
            {"ax": "axes"},
            TypeError,
            "ax must be a matplotlib Axes",
        ),
    ],
)
def test_rootogram_rejects_bad_input(freqs, kwargs, error, match):
    with pytest.raises(error, match=match) as info:
        plot_rootogram(freqs, **kwargs)
    assert "\n" not in str(info.value)
