"""Tests for mixlab.models.mv_gmm (the MvNormal mixture builder), its start values, its memberships
through mixlab.invariants.assignment_probs (family "mv_normal") and mixlab.plots.ellipses."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest
import xarray as xr
from _checks import check_recovered
from _shared import evaluate_only, run_once, samples
from scipy import stats
from scipy.special import logsumexp

from mixlab.invariants import assignment_probs
from mixlab.models import OrderedFirstFeature, initvals, mv_gmm
from mixlab.models.multivariate import _mixture_logp
from mixlab.plots.core import component_colors
from mixlab.plots.ellipses import plot_ellipses


def _two_clusters(n=120, seed=0):
    rng = np.random.default_rng(seed)
    cov0 = np.array([[0.3, 0.2], [0.2, 1.0]])
    cov1 = np.array([[0.5, -0.3], [-0.3, 0.8]])
    z = rng.uniform(size=n) < 0.4
    y = np.where(
        z[:, None],
        rng.multivariate_normal([0.0, 0.0], cov0, n),
        rng.multivariate_normal([4.0, 3.0], cov1, n),
    )
    return y, z


@pytest.fixture(autouse=True)
def _evaluate_only():
    """Graphs that tests compile are only evaluated: no compile step (_shared). The fit fixture samples
    before this is entered (a module fixture is set up first)."""
    with evaluate_only():
        yield


def _posterior(w, mu, sigma, corr, features=("a", "b")):
    dims = ("chain", "draw", "component")
    return xr.Dataset(
        {
            "w": (dims, np.asarray(w, float)[None, None]),
            "mu": ((*dims, "feature"), np.asarray(mu, float)[None, None]),
            "sigma": ((*dims, "feature"), np.asarray(sigma, float)[None, None]),
            "corr": ((*dims, "feature", "feature_bis"), np.asarray(corr, float)[None, None]),
        },
        coords={"feature": list(features), "feature_bis": list(features)},
    )


# ----------------------------------------------------------------------------------------------
# the likelihood and the transform
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("d", [2, 3])
def test_likelihood_equals_pymc_mixture_of_mvnormals(d):
    rng = np.random.default_rng(d)
    K = 3
    y = rng.normal(size=(25, d)) * 3
    w = rng.dirichlet(np.ones(K))
    mu = rng.normal(size=(K, d))
    a = rng.normal(size=(K, d, d))
    chol = np.linalg.cholesky(a @ np.swapaxes(a, -1, -2) + np.eye(d))
    ref = pm.logp(pm.Mixture.dist(w=w, comp_dists=pm.MvNormal.dist(mu=mu, chol=chol)), y).eval()
    mine = _mixture_logp(pt.as_tensor(y), pt.as_tensor(w), pt.as_tensor(mu), pt.as_tensor(chol))
    np.testing.assert_allclose(mine.eval(), ref, rtol=1e-10)


def test_likelihood_is_finite_far_from_every_component():
    chol = np.broadcast_to(np.eye(2) * 0.1, (2, 2, 2))
    out = _mixture_logp(pt.as_tensor(np.array([[1e4, -1e4]])), pt.as_tensor(np.array([0.5, 0.5])),
                        pt.as_tensor(np.zeros((2, 2))), pt.as_tensor(chol)).eval()
    assert np.all(np.isfinite(out)) and out[0] < -1e9


def test_ordered_first_feature_round_trip_and_jacobian():
    tr = OrderedFirstFeature()
    x = np.array([[1.0, 5.0], [2.0, -1.0], [4.5, 3.0]])
    u = tr.forward(pt.as_tensor(x)).eval()
    np.testing.assert_allclose(u[:, 1], x[:, 1])
    np.testing.assert_allclose(tr.backward(pt.as_tensor(u)).eval(), x)
    uv = pt.matrix("u")
    jac = pytensor.gradient.jacobian(tr.backward(uv).ravel(), uv).reshape((6, 6)).eval({uv: u})
    assert float(tr.log_jac_det(pt.as_tensor(u)).eval()) == pytest.approx(
        np.log(abs(np.linalg.det(jac)))
    )


# ----------------------------------------------------------------------------------------------
# builder and start values
# ----------------------------------------------------------------------------------------------


def test_builder_coords_and_variables():
    y, _ = _two_clusters()
    model = mv_gmm(y, K=3, feature_names=["a", "b"])
    assert [v.name for v in model.free_RVs] == ["w", "mu", "chol_0", "chol_1", "chol_2"]
    assert model.named_vars_to_dims["mu"] == ("component", "feature")
    assert model.named_vars_to_dims["y"] == ("obs", "feature")
    assert tuple(model.coords["feature"]) == ("a", "b")
    assert len(model.coords["obs"]) == y.shape[0]


def test_initvals_are_valid_and_ordered():
    y, _ = _two_clusters()
    model = mv_gmm(y, K=3)
    start = initvals(model)
    assert np.all(np.diff(start["mu"][:, 0]) > 0)
    np.testing.assert_allclose(start["w"], 1 / 3)
    logps = model.point_logps(model.initial_point() | _transformed(model, start))
    assert all(np.isfinite(v) for v in logps.values())


def test_initvals_nudges_tied_first_feature():
    y = np.c_[np.ones(6), np.arange(6.0)]  # every first-feature value equal
    start = initvals(mv_gmm(y, K=2))
    assert start["mu"][1, 0] > start["mu"][0, 0]


def _transformed(model, start):
    from pymc.initial_point import make_initial_point_fn

    return make_initial_point_fn(model=model, overrides=start, jitter_rvs=set())(0)


def test_unordered_model_has_no_ordering_transform():
    y, _ = _two_clusters()
    model = mv_gmm(y, K=2, ordered=False)
    assert model.rvs_to_transforms[model["mu"]] is None


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        ((np.arange(5.0), 2), {}, ValueError, "must be 2-dimensional"),
        ((np.ones((5, 1)), 2), {}, ValueError, "at least 2 columns.*mixlab.models.gmm"),
        ((np.ones((1, 2)), 2), {}, ValueError, "at least 2 rows"),
        ((np.array([[1.0, np.nan], [2.0, 3.0]]), 2), {}, ValueError, "NaN or infinite"),
        ((np.ones((5, 2)), 0), {}, ValueError, "K must be >= 1"),
        ((np.ones((5, 2)), 2.0), {}, TypeError, "K must be an integer"),
        ((np.ones((5, 2)), 2), {"ordered": "yes"}, TypeError, "ordered must be True or False"),
        ((np.ones((5, 2)), 2), {"feature_names": ["a"]}, ValueError, "2 distinct names"),
        ((np.ones((5, 2)), 2), {"feature_names": "ab"}, TypeError, "feature_names must be a list"),
        ((np.ones((5, 2)), 2), {"priors": []}, TypeError, "priors must be a dict"),
        ((np.ones((5, 2)), 2), {"priors": {"nu": 1}}, ValueError, r"unknown key\(s\) \['nu'\]"),
        ((np.ones((5, 2)), 2), {"priors": {"eta": -1.0}}, ValueError, "eta'\\] must be positive"),
        ((np.ones((5, 2)), 2), {"priors": {"mu_sigma": [1, 2, 3]}}, ValueError,
         "one number per feature"),
        ((np.ones((5, 2)), 2), {"priors": {"w_alpha": [1, 2, 3]}}, ValueError,
         "one number per component"),
    ],
)
def test_builder_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        mv_gmm(*args, **kwargs)


def test_initvals_bad_input():
    with pytest.raises(TypeError, match="must be a pymc.Model"):
        initvals("model")
    with pytest.raises(ValueError, match="was not built by mixlab.models"):
        initvals(pm.Model())


# ----------------------------------------------------------------------------------------------
# sampling (small)
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
@samples
def fit():
    y, z = _two_clusters(n=150, seed=1)
    model = mv_gmm(y, K=2, feature_names=["a", "b"])

    def sample():
        idata = pm.sample(model=model, draws=200, tune=300, chains=2, nuts_sampler="pymc",
                          initvals=initvals(model), random_seed=5, progressbar=False,
                          compute_convergence_checks=False)
        with evaluate_only():
            pm.compute_log_likelihood(idata, model=model, progressbar=False)
        return idata

    return y, z, model, run_once("test_models_mv-fit", sample)


def test_fit_recovers_the_clusters(fit):
    y, z, _, idata = fit
    post = idata["posterior"]
    # 60 and 90 points per cluster: means within 5.5 posterior sds and the posterior concentrated
    # (_checks.check_recovered); a sample correlation from 60 points has sd (1 - rho^2) / sqrt(60) ~ 0.11
    draws = post.to_dataset().stack(sample=("chain", "draw"))
    check_recovered("mu", draws["mu"].transpose("sample", ...).values, [[0.0, 0.0], [4.0, 3.0]], 0.3)
    true = np.array([0.2 / np.sqrt(0.3), -0.3 / np.sqrt(0.4)])
    corr = draws["corr"].transpose("sample", ...).values[:, :, 0, 1]
    check_recovered("corr", corr, true, 0.25)
    # the ordering holds in every draw: no label switching
    assert np.all(post["mu"].values[..., 1, 0] > post["mu"].values[..., 0, 0])
    assert int(idata["sample_stats"]["diverging"].sum()) == 0


def test_log_likelihood_has_one_value_per_observation(fit):
    y, _, _, idata = fit
    ll = idata["log_likelihood"]["y"]
    assert ll.dims == ("chain", "draw", "obs") and ll.sizes["obs"] == y.shape[0]


def test_posterior_predictive_draws_have_the_data_shape(fit):
    y, _, model, idata = fit
    ppc = pm.sample_posterior_predictive(idata, model=model, random_seed=2, progressbar=False)
    sim = ppc["posterior_predictive"]["y"]
    assert sim.shape[-2:] == y.shape
    # simulated data cover both clusters
    assert abs(float(sim.mean()) - y.mean()) < 0.5


def test_assignment_probs_from_a_fit(fit):
    y, z, _, idata = fit
    p = assignment_probs(idata)
    assert p.dims == ("chain", "draw", "obs", "component")
    np.testing.assert_allclose(p.sum("component").values, 1.0)
    # component 0 (smaller first-feature mean) is the cluster at the origin
    hits = (p.mean(("chain", "draw")).values.argmax(axis=1) == 0) == z
    assert hits.mean() > 0.95


# ----------------------------------------------------------------------------------------------
# memberships and the plot on synthetic posteriors
# ----------------------------------------------------------------------------------------------


def test_assignment_probs_known_values_and_permutation():
    post = _posterior([0.5, 0.5], [[0, 0], [5, 5]], np.ones((2, 2)), np.broadcast_to(np.eye(2), (2, 2, 2)))
    y = np.array([[0.0, 0.0], [5.0, 5.0], [2.5, 2.5], [1e4, -1e4]])
    p = assignment_probs(post, y).isel(chain=0, draw=0).values
    np.testing.assert_allclose(p[2], [0.5, 0.5])
    assert p[0, 0] > 0.999 and p[1, 1] > 0.999
    assert np.all(np.isfinite(p))
    swapped = _posterior([0.5, 0.5], [[5, 5], [0, 0]], np.ones((2, 2)), np.broadcast_to(np.eye(2), (2, 2, 2)))
    q = assignment_probs(swapped, y).isel(chain=0, draw=0).values
    np.testing.assert_allclose(q, p[:, ::-1])


def _random_posterior(rng, chains=2, draws=5, K=3, d=3):
    w = rng.dirichlet(np.ones(K), size=(chains, draws))
    mu = rng.normal(size=(chains, draws, K, d)) * 2
    a = rng.normal(size=(chains, draws, K, d, d))
    cov = a @ np.swapaxes(a, -1, -2) + 0.5 * np.eye(d)
    sd = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    corr = cov / (sd[..., :, None] * sd[..., None, :])
    dims = ("chain", "draw", "component")
    post = xr.Dataset({"w": (dims, w), "mu": ((*dims, "feature"), mu),
                       "sigma": ((*dims, "feature"), sd),
                       "corr": ((*dims, "feature", "feature_bis"), corr)})
    return post, cov


def test_assignment_probs_match_an_independent_reference():
    """invariants.assignment_probs on a mv_gmm-shaped posterior (family "mv_normal", found from `corr`
    and mu's feature dim) equals w_k N(y | mu_k, Sigma_k) / sum_j ... computed with scipy, to 1e-12.
    (Before mixlab.multivariate.assignment_probs was removed, the two agreed to 3e-15.)"""
    rng = np.random.default_rng(3)
    post, cov = _random_posterior(rng)
    y = rng.normal(size=(30, 3)) * 3
    y[0] = [1e4, -1e4, 0.0]  # far from every component: still finite probabilities
    p = assignment_probs(post, y)
    assert p.dims == ("chain", "draw", "obs", "component")
    w, mu = post["w"].values, post["mu"].values
    logp = np.empty((*w.shape[:2], y.shape[0], w.shape[-1]))
    for c, s, k in np.ndindex(*w.shape):
        logp[c, s, :, k] = np.log(w[c, s, k]) + stats.multivariate_normal.logpdf(y, mu[c, s, k], cov[c, s, k])
    expected = np.exp(logp - logsumexp(logp, axis=-1, keepdims=True))
    np.testing.assert_allclose(p.values, expected, rtol=0, atol=1e-12)
    # observed data read from a DataTree give the same result
    tree = xr.DataTree.from_dict({"posterior": post,
                                  "observed_data": xr.Dataset({"y": (("obs", "feature"), y)})})
    np.testing.assert_allclose(assignment_probs(tree).values, p.values, rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"y": np.ones((3, 3))}, "3 columns but the posterior has 2 features"),
        ({"y": None}, "y was not given"),
        ({"sample_dims": ("sample",)}, "no dimension 'sample'"),
    ],
)
def test_assignment_probs_bad_input(kwargs, match):
    data = _posterior([0.5, 0.5], [[0, 0], [5, 5]], np.ones((2, 2)), np.broadcast_to(np.eye(2), (2, 2, 2)))
    args = {"y": np.zeros((2, 2))} | kwargs
    with pytest.raises(ValueError, match=match):
        assignment_probs(data, **args)


def test_plot_ellipses_draws_one_line_per_level_and_draw(fit):
    y, _, _, idata = fit
    ax = plot_ellipses(y, idata, levels=(0.5, 0.9), n_draws=5, rng=0)
    assert len(ax.lines) == 2 * 2 + 2 * 5
    assert ax.get_xlabel() == "a" and ax.get_ylabel() == "b"
    assert "probability ellipses" in ax.get_title()
    colors = component_colors(2)
    assert [matplotlib.colors.to_hex(c.get_facecolor()[0]) for c in ax.collections] == colors
    plt.close(ax.figure)


def test_plot_ellipses_level_contains_the_right_share_of_points():
    """For a single known component the 90% ellipse holds about 90% of simulated points."""
    rng = np.random.default_rng(8)
    cov = np.array([[1.0, 0.6], [0.6, 2.0]])
    y = rng.multivariate_normal([0, 0], cov, 4000)
    sd = np.sqrt(np.diag(cov))
    post = _posterior([1.0], [[0, 0]], [sd], [cov / np.outer(sd, sd)])
    ax = plot_ellipses(y, post, levels=0.9, n_draws=0)
    path = matplotlib.path.Path(ax.lines[0].get_xydata())
    # the share of 4000 points has sd sqrt(0.9 * 0.1 / 4000) = 0.0047: 0.025 is 5.3 of them
    assert path.contains_points(y).mean() == pytest.approx(0.9, abs=0.025)
    plt.close(ax.figure)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"idata": None}, TypeError, "idata is required"),
        ({"levels": (0.5, 1.5)}, ValueError, r"levels must be probabilities in \(0, 1\)"),
        ({"levels": "a"}, TypeError, "levels must be a sequence of probabilities"),
        ({"levels": ()}, ValueError, r"levels must be probabilities in \(0, 1\)"),
        ({"features": (0, 2)}, ValueError, r"two distinct column indices in \[0, 1\]"),
        ({"features": 0}, TypeError, "features must be a pair"),
        ({"rng": "seed"}, TypeError, "rng must be a numpy.random.Generator"),
        ({"n_draws": -1}, ValueError, "n_draws must be >= 0"),
        ({"features": (0, 0)}, ValueError, "two distinct column indices"),
        ({"features": "ab"}, TypeError, "features must be a pair"),
        ({"ax": "axes"}, TypeError, "ax must be a matplotlib Axes"),
    ],
)
def test_plot_ellipses_bad_input(kwargs, exc, match):
    post = _posterior([0.5, 0.5], [[0, 0], [5, 5]], np.ones((2, 2)), np.broadcast_to(np.eye(2), (2, 2, 2)))
    args = {"y": np.zeros((3, 2)), "idata": post}
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        plot_ellipses(args.pop("y"), args.pop("idata"), **args)
    plt.close("all")


def test_plot_ellipses_reads_observed_data_and_matches_explicit_y():
    rng = np.random.default_rng(4)
    post, _ = _random_posterior(rng, K=2, d=2)
    post = post.assign_coords(feature=["u", "v"])
    y = rng.normal(size=(25, 2)) * 2
    tree = xr.DataTree.from_dict({"posterior": post,
                                  "observed_data": xr.Dataset({"y": (("obs", "feature"), y)})})
    a = plot_ellipses(None, tree, n_draws=3, rng=1)
    b = plot_ellipses(y, post, n_draws=3, rng=1)
    assert (a.get_xlabel(), a.get_ylabel()) == ("u", "v")
    assert len(a.lines) == len(b.lines) == 2 * 2 + 2 * 3
    for la, lb in zip(a.lines, b.lines, strict=True):
        np.testing.assert_array_equal(la.get_xydata(), lb.get_xydata())
    # points are coloured by their posterior-mean most probable component
    labels = assignment_probs(post, y).mean(("chain", "draw")).values.argmax(axis=1)
    sizes = [len(c.get_offsets()) for c in b.collections]
    assert sizes == [int(np.sum(labels == k)) for k in range(2)]
    plt.close("all")


def test_plot_ellipses_swaps_axes_with_features():
    post = _posterior([1.0], [[1.0, 7.0]], [[1.0, 2.0]], [np.eye(2)])
    ax = plot_ellipses(np.array([[1.0, 7.0], [1.5, 6.0]]), post, levels=0.5, n_draws=0,
                       features=(1, 0))
    xy = ax.lines[0].get_xydata()
    # features=(1, 0): x axis is feature "b" (mean 7, sd 2), y axis is "a" (mean 1, sd 1)
    assert xy[:, 0].mean() == pytest.approx(7.0, abs=0.05) and xy[:, 1].mean() == pytest.approx(1.0, abs=0.05)
    assert np.ptp(xy[:, 0]) == pytest.approx(2 * np.ptp(xy[:, 1]), rel=1e-3)
    assert ax.get_xlabel() == "b"
    plt.close(ax.figure)


def test_plot_ellipses_rejects_a_non_positive_definite_correlation_without_a_figure():
    bad = np.array([[[1.0, 0.5], [0.5, 1.0]], [[1.0, 1.5], [1.5, 1.0]]])  # |corr| > 1 in component 1
    post = _posterior([0.5, 0.5], [[0, 0], [5, 5]], np.ones((2, 2)), bad)
    before = plt.get_fignums()
    with pytest.raises(ValueError, match="'corr' is not a positive-definite correlation matrix.*component 1"):
        plot_ellipses(np.zeros((3, 2)), post)
    assert plt.get_fignums() == before  # validation happens before a figure is made
