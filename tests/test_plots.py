"""Plots: what they draw matches the summaries, they are labelled, and bad input is explained."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr

from mixlab.invariants import assignment_probs, coclustering, predictive_density
from mixlab.plots import component_colors, plot_assignment, plot_coclustering, plot_mixture_fit
from mixlab.plots.core import HIGHLIGHT_COLOR, MIXTURE_COLOR, OKABE_ITO

DIMS = ("chain", "draw", "component")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def make_idata(k=2, n=60, seed=0, draws=40):
    """A posterior scattered around a k-component truth, with the data it was 'fitted' to."""
    rng = np.random.default_rng(seed)
    true_mu = np.linspace(-4.0, 4.0, k)
    z = rng.integers(0, k, n)
    y = rng.normal(true_mu[z], 1.0)
    shape = (2, draws, k)
    post = xr.Dataset(
        {
            "w": (DIMS, rng.dirichlet(np.full(k, 50.0), size=shape[:2])),
            "mu": (DIMS, true_mu + rng.normal(0, 0.2, shape)),
            "sigma": (DIMS, rng.uniform(0.8, 1.2, shape)),
        },
        coords={"component": np.arange(k)},
    )
    obs = xr.Dataset({"y": ("obs", y)}, coords={"obs": np.arange(n)})
    return y, xr.DataTree.from_dict({"posterior": post, "observed_data": obs})


def labels_of(ax):
    return [line.get_label() for line in ax.get_lines()]


def assert_labelled(ax):
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


# ----------------------------------------------------------------------------------------------
# component_colors
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 3, 7, 8, 9, 10, 11, 20, 21, 40])
def test_component_colors_are_distinct_hex_strings(k):
    colors = component_colors(k)
    assert len(colors) == k and len(set(colors)) == k
    assert all(c.startswith("#") and len(c) == 7 for c in colors)


def test_component_colors_are_stable_across_k():
    # component k keeps its colour when more components are added within a palette
    assert component_colors(7)[:4] == component_colors(4)
    assert component_colors(9)[:8] == component_colors(8)
    # Okabe-Ito without black (black is the mixture's colour), component 0 blue, 1 orange
    assert component_colors(2) == ["#0072b2", "#e69f00"]
    assert component_colors(9)[:2] == ["#cc6677", "#332288"]  # Paul Tol's 'muted'
    # beyond 9: cividis from its dark blue end, light end cut off
    assert component_colors(10)[0] == mpl.colors.to_hex(mpl.colormaps["cividis"](0.0))


# Machado, Oliveira and Fernandes (2009) simulation of dichromacy (severity 1), on linear RGB
CVD_MATRICES = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}


def min_color_distance(colors, matrix=None):
    """Smallest CIELAB distance (Delta E 1976) between two of ``colors``, as seen through ``matrix``."""
    srgb = np.array([mpl.colors.to_rgb(c) for c in colors])
    rgb = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    if matrix is not None:
        rgb = np.clip(rgb @ np.array(matrix).T, 0.0, 1.0)
    to_xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = rgb @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    lab = np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)
    dist = np.linalg.norm(lab[:, None] - lab[None], axis=-1)
    return dist[np.triu_indices(len(colors), 1)].min()


@pytest.mark.parametrize("deficiency", [None, *CVD_MATRICES])
@pytest.mark.parametrize("k", [2, 4, 7, 8, 9])
def test_component_colors_stay_apart_for_colour_blind_readers(k, deficiency):
    """Up to 9 components, every pair of colours (and the black mixture line) differs by Delta E > 12
    for normal vision and simulated protanopia, deuteranopia and tritanopia (tab10 fails: 4.6)."""
    colors = [*component_colors(k), MIXTURE_COLOR]
    assert min_color_distance(colors, CVD_MATRICES.get(deficiency)) > 12


@pytest.mark.parametrize("deficiency", [None, *CVD_MATRICES])
def test_highlight_colour_stands_out_from_grey_for_colour_blind_readers(deficiency):
    """The chapters draw HIGHLIGHT_COLOR points among grey ones (0.4 to 0.6) and beside the palette's green."""
    matrix = CVD_MATRICES.get(deficiency)
    for grey in ("0.4", "0.5", "0.6", MIXTURE_COLOR):
        assert min_color_distance([HIGHLIGHT_COLOR, grey], matrix) > 12, grey
    assert min_color_distance([HIGHLIGHT_COLOR, OKABE_ITO[2]], matrix) > 12


def test_colour_blind_check_rejects_tab10():
    tab10 = [mpl.colors.to_hex(c) for c in mpl.colormaps["tab10"].colors[:4]]
    assert min_color_distance(tab10) > 12
    assert min_color_distance(tab10, CVD_MATRICES["protanopia"]) < 6


@pytest.mark.parametrize(("k", "error", "message"), [
    (0, ValueError, r"n_components must be >= 1, got 0"),
    (2.5, TypeError, r"n_components must be an integer"),
])
def test_component_colors_rejects_bad_k(k, error, message):
    with pytest.raises(error, match=message):
        component_colors(k)


# ----------------------------------------------------------------------------------------------
# plot_mixture_fit
# ----------------------------------------------------------------------------------------------


def test_mixture_fit_draws_the_posterior_density():
    y, idata = make_idata(k=3)
    ax = plot_mixture_fit(y, idata, components=True, ci_prob=0.8)
    assert isinstance(ax, mpl.axes.Axes)
    assert ax.get_title() == "Posterior mixture density"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("y", "density")
    assert labels_of(ax) == ["posterior mean density", "component 0", "component 1", "component 2"]
    grid = ax.get_lines()[0].get_xdata()
    dens = predictive_density(idata, grid, ci_prob=0.8, components=True)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), dens["mean"])
    for k, line in enumerate(ax.get_lines()[1:]):
        np.testing.assert_allclose(line.get_ydata(), dens["components"].isel(component=k))
        assert line.get_color() == component_colors(3)[k] and line.get_linestyle() == "--"
    # default grid spans the data with a margin
    assert grid.min() < y.min() and grid.max() > y.max() and grid.size == 400
    # one histogram patch (step-filled) and one credible band
    assert len(ax.patches) == 1 and len(ax.collections) == 1
    band = ax.collections[0]
    assert band.get_label() == "80% credible band"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "data" and "80% credible band" in legend


def test_mixture_fit_quickstart_call_and_options():
    y, idata = make_idata()
    ax = plot_mixture_fit(y, idata, components=True)  # the call in book/00_quickstart.ipynb
    assert len(ax.get_lines()) == 3
    assert_labelled(ax)
    _, ax2 = plt.subplots()
    out = plot_mixture_fit(None, idata, bins=None, rug=True, grid=np.linspace(-9, 9, 50), ax=ax2)
    assert out is ax2
    assert len(out.patches) == 0  # no histogram
    assert labels_of(out) == ["observations", "posterior mean density"]
    np.testing.assert_array_equal(out.get_lines()[0].get_xdata(), y)  # rug ticks at the data
    assert len(out.get_lines()[1].get_xdata()) == 50
    edges = plot_mixture_fit(y, idata, bins=[-10, 0, 10]).patches[0].get_path().vertices[:, 0]
    assert edges.min() == -10 and edges.max() == 10


def test_mixture_fit_of_student_t_posterior():
    y, idata = make_idata()
    post = idata.posterior.to_dataset().assign(nu=(DIMS, np.full((2, 40, 2), 3.0)))
    ax = plot_mixture_fit(y, post)
    grid = ax.get_lines()[0].get_xdata()
    expected = predictive_density(post, grid, family="student_t")["mean"]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), expected)
    assert not np.allclose(expected, predictive_density(post, grid, family="normal")["mean"])


# ----------------------------------------------------------------------------------------------
# plot_coclustering
# ----------------------------------------------------------------------------------------------


def test_coclustering_heatmap_is_sorted_by_y():
    y, idata = make_idata(n=30)
    ax = plot_coclustering(idata)
    assert isinstance(ax, mpl.axes.Axes)
    assert ax.get_title() == "Posterior co-clustering"
    assert ax.get_xlabel() == ax.get_ylabel() == "observation (sorted by y)"
    image = ax.get_images()[0].get_array()
    order = np.argsort(y, kind="stable")
    c = coclustering(idata).values
    np.testing.assert_allclose(image, c[np.ix_(order, order)])
    assert len(ax.figure.axes) == 2  # heatmap and colour bar
    assert ax.figure.axes[1].get_ylabel() == "Pr(same component)"


def test_coclustering_heatmap_accepts_a_matrix_and_an_order():
    y, idata = make_idata(n=12)
    c = coclustering(idata)
    order = np.arange(12)[::-1]
    ax = plot_coclustering(c, order=order)
    np.testing.assert_allclose(ax.get_images()[0].get_array(), c.values[::-1, ::-1])
    assert ax.get_xlabel() == "observation (given order)"
    unsorted = plot_coclustering(c)
    np.testing.assert_allclose(unsorted.get_images()[0].get_array(), c.values)
    assert unsorted.get_xlabel() == "observation"
    by_y = plot_coclustering(assignment_probs(idata), y=y)
    order = np.argsort(y, kind="stable")
    np.testing.assert_allclose(by_y.get_images()[0].get_array(), c.values[np.ix_(order, order)])


# ----------------------------------------------------------------------------------------------
# plot_assignment
# ----------------------------------------------------------------------------------------------


def test_assignment_plot_shows_mean_membership_against_y():
    y, idata = make_idata(k=3, n=40)
    ax = plot_assignment(idata, threshold=0.95)
    assert isinstance(ax, mpl.axes.Axes)
    assert ax.get_title() == "Posterior membership probabilities"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("y", "membership probability")
    assert labels_of(ax) == ["component 0", "component 1", "component 2"]
    pbar = assignment_probs(idata).mean(("chain", "draw")).values
    order = np.argsort(y, kind="stable")
    for k, line in enumerate(ax.get_lines()):
        np.testing.assert_allclose(line.get_xdata(), y[order])
        np.testing.assert_allclose(line.get_ydata(), pbar[order, k])
        assert line.get_color() == component_colors(3)[k]
    n_unsure = int((pbar.max(1) < 0.95).sum())
    assert 0 < n_unsure < 40
    circles = ax.collections[0]
    assert len(circles.get_offsets()) == n_unsure
    assert circles.get_label().endswith(f"({n_unsure})")


def test_assignment_plot_from_probabilities_without_y_uses_the_index():
    _, idata = make_idata(n=10)
    p = assignment_probs(idata)
    ax = plot_assignment(p, threshold=1.0)
    assert ax.get_xlabel() == "observation"
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), np.arange(10))
    assert len(ax.collections) == 1  # every point is below probability 1 somewhere
    confident = plot_assignment(p, threshold=1e-9)
    assert len(confident.collections) == 0


# ----------------------------------------------------------------------------------------------
# Validation at the door
# ----------------------------------------------------------------------------------------------


def _y_idata():
    return make_idata(n=8)


def _regression_idata():
    _, idata = make_idata(n=8)
    post = idata.posterior.to_dataset()
    idata["posterior"] = post.assign(beta=xr.ones_like(post["mu"]))
    return idata


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: plot_mixture_fit(*_y_idata(), ax="left"), TypeError,
         r"ax must be a matplotlib Axes or None, got str"),
        (lambda: plot_mixture_fit(*_y_idata(), bins="bogus"), ValueError,
         r"bins='bogus' is not a numpy binning rule"),
        (lambda: plot_mixture_fit(*_y_idata(), bins=0), ValueError, r"bins must be >= 1"),
        (lambda: plot_mixture_fit(*_y_idata(), bins=[3.0, 1.0]), ValueError,
         r"bins edges must increase strictly"),
        (lambda: plot_mixture_fit(*_y_idata(), bins=True), TypeError, r"bins must be None"),
        (lambda: plot_mixture_fit(*_y_idata(), components="yes"), TypeError,
         r"components must be True or False"),
        (lambda: plot_mixture_fit(*_y_idata(), rug=1), TypeError, r"rug must be True or False"),
        (lambda: plot_mixture_fit(np.array([0.0, np.nan]), _y_idata()[1]), ValueError,
         r"y contains 1 NaN or infinite value"),
        (lambda: plot_mixture_fit(np.ones((2, 2)), _y_idata()[1]), ValueError,
         r"y must be 1-dimensional"),
        (lambda: plot_mixture_fit(*_y_idata(), ci_prob=0.0), ValueError,
         r"ci_prob must be in \(0, 1\)"),
        (lambda: plot_mixture_fit(*_y_idata(), grid=np.ones((2, 2))), ValueError,
         r"grid must be 1-dimensional"),
        (lambda: plot_mixture_fit(*_y_idata(), var_names={"mu": "means"}), ValueError,
         r"posterior has no variable 'means'"),
        (lambda: plot_mixture_fit(None, _y_idata()[1].posterior.to_dataset()), ValueError,
         r"y was not given and a Dataset carries no observed data"),
        (lambda: plot_mixture_fit(None, _regression_idata()), ValueError,
         r"the posterior has slopes 'beta' \(mixture regression\)"),
        (lambda: plot_coclustering(_y_idata()[1], order=[0, 0, 1]), ValueError,
         r"order must be a permutation of 0..7"),
        (lambda: plot_coclustering(_y_idata()[1], y=np.ones(3), method="labels"), ValueError,
         r"method='labels' needs sampled labels 'z'"),
        (lambda: plot_coclustering(xr.DataArray(np.full((3, 3), 2.0), dims=("obs", "obs2"))),
         ValueError, r"data must be a square co-clustering matrix with entries in \[0, 1\]"),
        (lambda: plot_coclustering(coclustering(_y_idata()[1]), y=np.ones(5)), ValueError,
         r"y has 5 value\(s\) but there are 8 observations"),
        (lambda: plot_coclustering([[1.0]]), TypeError, r"data must be a DataTree/Dataset"),
        (lambda: plot_coclustering(_y_idata()[1], ax=plt.figure()), TypeError,
         r"ax must be a matplotlib Axes or None, got Figure"),
        (lambda: plot_assignment(_y_idata()[1], threshold=0.0), ValueError,
         r"threshold must be in \(0, 1\], got 0.0"),
        (lambda: plot_assignment(np.ones((2, 3))), TypeError,
         r"data must be a DataTree/Dataset posterior or the DataArray from assignment_probs"),
        (lambda: plot_assignment(assignment_probs(_y_idata()[1]), y=np.ones(4)), ValueError,
         r"y has 4 value\(s\) but there are 8 observations"),
        (lambda: plot_assignment(xr.DataArray(np.ones((1, 2, 3)), dims=("chain", "draw", "obs"))),
         ValueError, r"data has no dimension 'component'"),
        (lambda: plot_assignment(_y_idata()[1], family="cauchy"), ValueError,
         r"unknown family"),
    ],
)
def test_bad_input_is_explained(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert "\n" not in str(info.value)
