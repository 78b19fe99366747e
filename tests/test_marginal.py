"""Tests for mixlab.marginal: marginalize_labels and label_probs."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest
import xarray as xr
from _shared import evaluate_only
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import logsumexp

from mixlab.marginal import label_probs, marginalize_labels

Y = np.array([-3.1, -2.2, -1.0, -0.2, 0.4, 1.5, 2.8, 3.3, 9.0, -40.0])
K = 3


def _latent(y=Y, k=K):
    """An explicit-label Gaussian mixture (the shape of mixlab.models.latent_gmm), built inline."""
    coords = {"component": [f"c{j}" for j in range(k)], "obs": np.arange(y.size)}
    with pm.Model(coords=coords) as model:
        w = pm.Dirichlet("w", np.ones(k), dims="component")
        mu = pm.Normal("mu", 0.0, 5.0, dims="component",
                       transform=pm.distributions.transforms.ordered)
        sigma = pm.HalfNormal("sigma", 2.0, dims="component")
        z = pm.Categorical("z", p=w, dims="obs")
        pm.Normal("y", mu=mu[z], sigma=sigma[z], observed=y, dims="obs")
    return model


def _posterior(n_chain=2, n_draw=4, k=K, seed=0):
    rng = np.random.default_rng(seed)
    shape = (n_chain, n_draw, k)
    w = rng.dirichlet(np.ones(k), size=(n_chain, n_draw))
    mu = np.sort(rng.normal(0.0, 3.0, size=shape), axis=-1)
    sigma = rng.gamma(4.0, 0.3, size=shape)
    dims = ("chain", "draw", "component")
    return xr.Dataset(
        {"w": (dims, w), "mu": (dims, mu), "sigma": (dims, sigma)},
        coords={"chain": np.arange(n_chain), "draw": np.arange(n_draw),
                "component": [f"c{j}" for j in range(k)]},
    )


def _by_hand(post, y=Y):
    w, mu, sigma = (post[v].values[..., None, :] for v in ("w", "mu", "sigma"))
    logw = np.log(w) + stats.norm.logpdf(y[:, None], mu, sigma)
    return np.exp(logw - logsumexp(logw, axis=-1, keepdims=True))


@pytest.fixture(autouse=True)
def _evaluate_only():
    """Every graph here is compiled to be evaluated, not sampled: no compile step (_shared)."""
    with evaluate_only():
        yield


@pytest.fixture(scope="module")
def marginal():
    return marginalize_labels(_latent(), "z")


# --------------------------------------------------------------------------- marginalize_labels

def test_marginalize_labels_removes_the_labels_and_keeps_the_rest(marginal):
    assert sorted(rv.name for rv in marginal.free_RVs) == ["mu", "sigma", "w"]
    assert [rv.name for rv in marginal.observed_RVs] == ["y"]


def test_marginalize_labels_gives_the_mixture_likelihood(marginal):
    """log p(y | theta) of the marginal model equals sum_i log sum_k w_k N(y_i | mu_k, sigma_k)."""
    post = _posterior(1, 1)
    point = {v: post[v].values[0, 0] for v in ("w", "mu", "sigma")}
    from pymc.model.transform.conditioning import remove_value_transforms

    untransformed = remove_value_transforms(marginal)
    logp = untransformed.compile_logp(vars=untransformed.observed_RVs)(point)
    logw = np.log(point["w"]) + stats.norm.logpdf(Y[:, None], point["mu"], point["sigma"])
    assert logp == pytest.approx(logsumexp(logw, axis=1).sum(), rel=1e-10)


def test_marginalize_labels_leaves_the_input_model_alone():
    latent = _latent()
    marginalize_labels(latent)
    assert "z" in [rv.name for rv in latent.free_RVs]


def test_marginalize_labels_bad_input(marginal):
    with pytest.raises(TypeError, match="model must be a pymc.Model, got dict"):
        marginalize_labels({"z": 1})
    with pytest.raises(TypeError, match="var_name must be the name of a model variable"):
        marginalize_labels(_latent(), 3)
    with pytest.raises(ValueError, match=r"model has no free variable 'labels' .*pass var_name"):
        marginalize_labels(_latent(), "labels")
    with pytest.raises(ValueError, match="'z' is already marginalized"):
        marginalize_labels(marginal, "z")
    with pytest.raises(ValueError, match="'mu' is a Normal variable; only finite discrete"):
        marginalize_labels(_latent(), "mu")


# --------------------------------------------------------------------------- label_probs

def test_label_probs_match_the_formula(marginal):
    post = _posterior()
    p = label_probs(marginal, post)
    assert p.dims == ("chain", "draw", "obs", "component")
    assert p.shape == (2, 4, Y.size, K)
    assert list(p.coords["component"].values) == ["c0", "c1", "c2"]
    np.testing.assert_array_equal(p.coords["obs"].values, np.arange(Y.size))
    np.testing.assert_allclose(p.values, _by_hand(post), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(p.sum("component").values, 1.0, rtol=1e-12)


def test_label_probs_far_out_points_are_finite(marginal):
    """-40 is thousands of sds from every component: probabilities still finite and sum to 1."""
    p = label_probs(marginal, _posterior())
    far = p.sel(obs=9)
    assert np.all(np.isfinite(far.values))
    np.testing.assert_allclose(far.sum("component").values, 1.0)


def test_label_probs_log_scale(marginal):
    post = _posterior()
    logp = label_probs(marginal, post, log=True)
    assert logp.name == "z_logp"
    np.testing.assert_allclose(np.exp(logp.values), label_probs(marginal, post).values, rtol=1e-12)


def test_label_probs_follow_each_draw_labels(marginal):
    """Swapping two components' parameters in one draw swaps that draw's probabilities only."""
    post = _posterior()
    p = label_probs(marginal, post).values
    swapped = post.copy(deep=True)
    for v in ("w", "mu", "sigma"):
        swapped[v].values[1, 2] = swapped[v].values[1, 2][[1, 0, 2]]
    q = label_probs(marginal, swapped).values
    np.testing.assert_allclose(q[1, 2], p[1, 2][:, [1, 0, 2]], rtol=1e-10)
    mask = np.ones((2, 4), bool)
    mask[1, 2] = False
    np.testing.assert_allclose(q[mask], p[mask], rtol=1e-12)


def test_label_probs_accepts_the_latent_model_and_a_datatree():
    """A model with z still free is marginalized first; a DataTree works like its posterior."""
    post = _posterior()
    tree = xr.DataTree.from_dict({"posterior": post})
    p = label_probs(_latent(), tree)
    np.testing.assert_allclose(p.values, _by_hand(post), rtol=1e-9, atol=1e-12)


def test_label_probs_other_names_and_sample_dims():
    """A Bernoulli label with other dim names; sample_dims=('sample',) and a custom output dim."""
    y = np.array([0.1, 2.9, 1.4])
    with pm.Model(coords={"unit": ["a", "b", "c"]}) as model:
        p_hi = pm.Beta("p_hi", 1.0, 1.0)
        hi = pm.Bernoulli("hi", p=p_hi, dims="unit")
        pm.Normal("y", mu=3.0 * hi, sigma=1.0, observed=y, dims="unit")
    marg = marginalize_labels(model, "hi")
    post = xr.Dataset({"p_hi": (("sample",), np.array([0.2, 0.5, 0.9]))})
    p = label_probs(marg, post, var_name="hi", sample_dims=("sample",), dim="state")
    assert p.dims == ("sample", "unit", "state")
    assert list(p.coords["unit"].values) == ["a", "b", "c"]
    assert list(p.coords["state"].values) == [0, 1]
    pi = post["p_hi"].values[:, None]
    lik1 = pi * stats.norm.pdf(y, 3.0, 1.0)
    lik0 = (1 - pi) * stats.norm.pdf(y, 0.0, 1.0)
    np.testing.assert_allclose(p.sel(state=1).values, lik1 / (lik0 + lik1), rtol=1e-10)


def test_label_probs_agree_with_assignment_probs_on_a_sampled_gmm(gmm_fit):
    """NUTS draws of mixlab.models.gmm (pm.NormalMixture; conftest.gmm_fit) fed to the marginalized
    latent_gmm (same priors, same variables): label_probs and mixlab.invariants.assignment_probs agree
    draw by draw."""
    from mixlab.invariants import assignment_probs
    from mixlab.models import latent_gmm

    y, idata = gmm_fit.y, gmm_fit.idata
    p = label_probs(marginalize_labels(latent_gmm(y, 2)), idata)
    q = assignment_probs(idata, y)
    assert p.dims == q.dims
    assert p.shape == (2, idata["posterior"].sizes["draw"], y.size, 2)
    np.testing.assert_allclose(p.values, q.values, rtol=1e-8, atol=1e-12)


def test_label_probs_rejects_labels_without_a_categorical_conditional():
    with pm.Model() as model:
        level = pm.DiscreteUniform("level", 0, 2, shape=2)
        pm.Normal("y", mu=level, sigma=1.0, observed=[0.0, 2.0])
    marg = marginalize_labels(model, "level")
    post = xr.Dataset({"dummy": (("chain", "draw"), np.zeros((1, 2)))})
    with pytest.raises(ValueError, match="the conditional of 'level' is of type Elemwise: draw it with "
                                         "pymc_extras.marginal.recover"):
        label_probs(marg, post, var_name="level")


def test_label_probs_bad_input(marginal):
    post = _posterior()
    with pytest.raises(TypeError, match="model must be a pymc.Model"):
        label_probs(post, post)
    with pytest.raises(TypeError, match="idata must be an xarray.DataTree"):
        label_probs(marginal, post["mu"].values)
    with pytest.raises(ValueError, match=r"no marginalized variable 'k' .*marginalize_labels"):
        label_probs(marginal, post, var_name="k")
    with pytest.raises(ValueError, match=r"has no variable\(s\) \['sigma'\] that the model needs"):
        label_probs(marginal, post.drop_vars("sigma"))
    with pytest.raises(ValueError, match=r"'mu' has shape \(2,\) per draw but the model expects \(3,\)"):
        label_probs(marginal, post.isel(component=[0, 1]))
    with pytest.raises(ValueError, match="has no dimension 'chain'"):
        label_probs(marginal, post.isel(chain=0))
    with pytest.raises(ValueError, match="has no group 'prior'"):
        label_probs(marginal, xr.DataTree.from_dict({"posterior": post}), group="prior")
    with pytest.raises(TypeError, match="log must be True or False"):
        label_probs(marginal, post, log="yes")
    with pytest.raises(ValueError, match="dim='obs' is already a dimension of 'z'"):
        label_probs(marginal, post, dim="obs")


# --------------------------------------------------------------------------- issue 13


def _loop_label_probs(model, post, var_name="z"):
    """The per-draw, per-value loop label_probs replaced (compile_logp of the conditional)."""
    from pymc.model.transform.conditioning import remove_value_transforms
    from pymc_extras.marginal import conditional

    cond = remove_value_transforms(conditional(model, var_name))
    logp_fn = cond.compile_logp(vars=[cond[var_name]], sum=False)
    names = [v.name for v in cond.value_vars if v.name != var_name]
    arrays = {v: post[v].transpose("chain", "draw", ...).values for v in names}
    n_chain, n_draw = post.sizes["chain"], post.sizes["draw"]
    out = np.empty((n_chain, n_draw, Y.size, K))
    for c in range(n_chain):
        for d in range(n_draw):
            for k in range(K):
                point = {v: a[c, d] for v, a in arrays.items()} | {var_name: np.full(Y.size, k)}
                out[c, d, :, k] = logp_fn(point)[0]
    return np.exp(out)


def test_label_probs_equal_the_replaced_loop(marginal):
    post = _posterior(n_draw=5, seed=3)
    np.testing.assert_allclose(label_probs(marginal, post).values, _loop_label_probs(marginal, post),
                               rtol=1e-12, atol=1e-300)


def test_label_probs_log_scale_is_finite_far_out(marginal):
    """A log-softmax: the point at -40 gets a finite log-probability for every component."""
    logp = label_probs(marginal, _posterior(), log=True)
    assert np.all(np.isfinite(logp.values))
    np.testing.assert_allclose(np.exp(logp).sum("component").values, 1.0, rtol=1e-12)


def test_marginal_uses_only_public_pymc_extras_names():
    import inspect

    import mixlab.marginal as module

    source = inspect.getsource(module)
    assert "pymc_extras.model" not in source and "_walk_marginal_ops" not in source
    assert "get_domain_of_finite_discrete_rv" not in source


def test_marginalized_names_from_unmarginalize(marginal):
    from mixlab.marginal import _marginalized_names

    assert _marginalized_names(marginal) == ["z"]
    assert _marginalized_names(_latent()) == []


def test_label_probs_more_bad_input(marginal):
    post = _posterior()
    with pytest.raises(ValueError, match="dim='draw' is one of sample_dims"):
        label_probs(marginal, post, dim="draw")
    with pytest.raises(TypeError, match="dim must be a non-empty string"):
        label_probs(marginal, post, dim=3)
    with pytest.raises(ValueError, match="sample_dims has repeated names"):
        label_probs(marginal, post, sample_dims=("chain", "chain"))
    with pytest.raises(ValueError, match="has no draws"):
        label_probs(marginal, post.isel(draw=slice(0, 0)))
    bad_w = post.copy(deep=True)
    bad_w["w"].values[0, 0] = [0.9, 0.9, 0.9]
    with pytest.raises(ValueError, match=r"the model cannot evaluate the draws of posterior \(.*\); pass") as err:
        label_probs(marginal, bad_w)
    assert "\n" not in str(err.value)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(var=st.sampled_from(["w", "mu", "sigma"]), chain=st.integers(0, 1), draw=st.integers(0, 3),
       comp=st.integers(0, K - 1), bad=st.sampled_from([np.nan, np.inf, -np.inf]))
def test_label_probs_non_finite_draws_are_refused(marginal, var, chain, draw, comp, bad):
    post = _posterior()
    post[var].values[chain, draw, comp] = bad
    with pytest.raises(ValueError, match=rf"variable '{var}' holds NaN, infinite"):
        label_probs(marginal, post)


@settings(max_examples=30, deadline=None)
@given(x=st.lists(st.floats(-5, 5) | st.just(np.nan), min_size=1, max_size=6),
       lo=st.floats(-3, 3), hi=st.floats(-3, 3))
def test_numpy_clips_is_clip_even_when_min_exceeds_max(x, lo, hi):
    import pytensor
    import pytensor.tensor as pt

    from mixlab.marginal import _numpy_clips

    xs, los, his = pt.vector("x"), pt.scalar("lo"), pt.scalar("hi")
    clipped = pt.clip(xs, los, his) * 2.0
    f_ref = pytensor.function([xs, los, his], clipped)
    rewritten = _numpy_clips(clipped)
    from pytensor.graph.traversal import io_toposort

    assert "Clip" not in str(io_toposort([xs, los, his], [rewritten]))
    f_new = pytensor.function([xs, los, his], rewritten)
    np.testing.assert_array_equal(f_new(x, lo, hi), f_ref(x, lo, hi))


def test_label_probs_in_chunks_equal_one_call(marginal, monkeypatch):
    import mixlab.marginal as module

    post = _posterior(n_draw=7)
    whole = label_probs(marginal, post).values
    monkeypatch.setattr(module, "_CHUNK_SIZE", 2 * Y.size * K)  # two draws per call
    np.testing.assert_array_equal(label_probs(marginal, post).values, whole)


def test_label_probs_refuses_an_output_that_cannot_fit(marginal, monkeypatch):
    import mixlab.marginal as module

    monkeypatch.setattr(module, "MAX_OUTPUT_SIZE", 100)
    with pytest.raises(ValueError, match=r"would return 8 draws x 30 values = .* GiB; thin the posterior"):
        label_probs(marginal, _posterior())
