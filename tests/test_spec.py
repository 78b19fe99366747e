"""The posterior spec and the component-family seam: every family, and what the next chapters bring.

Point masses (zero-inflation), Poisson and negative-binomial components, per-observation weights
(mixtures of experts), hidden-Markov states and a number of components that varies between draws,
each checked against a direct computation; plus dask-backed posteriors and bounded outputs.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.special import logsumexp, softmax

import mixlab.spec
from mixlab.families import FAMILIES, Family, get_family, register
from mixlab.invariants import assignment_probs, coclustering, n_occupied, predictive_density
from mixlab.spec import PosteriorSpec, resolve

DIMS = ("chain", "draw", "component")


def _post(**vars_):
    return xr.Dataset({k: (v[0], np.asarray(v[1], dtype=float)) for k, v in vars_.items()})


def _direct_probs(log_terms):
    """Normalise log w_k + log f_k over the last axis (reference)."""
    return np.exp(log_terms - logsumexp(log_terms, axis=-1, keepdims=True))


# ----------------------------------------------------------------------------------------------
# families against scipy
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params", "y", "reference"),
    [
        ("normal", {"mu": 1.0, "sigma": 2.0}, [-1.0, 0.5, 4.0],
         lambda y: stats.norm.logpdf(y, 1.0, 2.0)),
        ("student_t", {"mu": 1.0, "sigma": 2.0, "nu": 3.0}, [-1.0, 0.5, 40.0],
         lambda y: stats.t.logpdf(y, 3.0, 1.0, 2.0)),
        ("poisson", {"mu": 2.5}, [0.0, 1.0, 7.0], lambda y: stats.poisson.logpmf(y, 2.5)),
        # PyMC's NegativeBinomial(mu, alpha) is scipy's nbinom(n=alpha, p=alpha / (alpha + mu))
        ("negative_binomial", {"mu": 4.0, "alpha": 1.5}, [0.0, 3.0, 20.0],
         lambda y: stats.nbinom.logpmf(y, 1.5, 1.5 / 5.5)),
        ("zero", {}, [0.0, 1.0, 2.0], lambda y: np.where(np.asarray(y) == 0, 0.0, -np.inf)),
    ],
)
def test_scalar_families_match_scipy(name, params, y, reference):
    fam = get_family(name)
    assert set(fam.roles) == set(params)
    yb = np.asarray(y)[None, :, None]
    got = fam.logpdf(yb, **{k: np.full((1, 1, 1), v) for k, v in params.items()})
    np.testing.assert_allclose(got[0, :, 0], reference(y), rtol=1e-12)


def test_mv_normal_family_matches_scipy():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(3, 3))
    cov = a @ a.T + np.eye(3)
    sd = np.sqrt(np.diag(cov))
    mu = rng.normal(size=3)
    y = rng.normal(size=(5, 3))
    got = get_family("mv_normal").logpdf(
        y[None, :, None, :], mu=mu[None, None, None], sigma=sd[None, None, None],
        corr=(cov / np.outer(sd, sd))[None, None, None])
    np.testing.assert_allclose(got[0, :, 0], stats.multivariate_normal.logpdf(y, mu, cov),
                               rtol=1e-10)


def test_registering_a_family_makes_it_usable_by_every_summary():
    fam = register(Family("laplace", ("mu", "sigma"),
                          lambda y, mu, sigma: -np.abs(y - mu) / sigma - np.log(2 * sigma),
                          positive=("sigma",), location="mu"))
    try:
        post = _post(w=(DIMS, [[[0.4, 0.6]]]), mu=(DIMS, [[[-1.0, 2.0]]]),
                     sigma=(DIMS, [[[1.0, 0.5]]]))
        y = np.array([-1.0, 0.4, 2.0])
        p = assignment_probs(post, y, family="laplace")
        lw = np.log([0.4, 0.6]) + stats.laplace.logpdf(y[:, None], [-1.0, 2.0], [1.0, 0.5])
        np.testing.assert_allclose(p.values[0, 0], _direct_probs(lw), rtol=1e-12)
        dens = predictive_density(post, np.linspace(-30, 30, 6001), family=fam)
        assert float(dens["mean"].integrate("grid")) == pytest.approx(1.0, abs=1e-3)
    finally:
        FAMILIES.pop("laplace")


def test_register_and_get_family_reject_bad_input():
    with pytest.raises(TypeError, match="must be a mixlab.families.Family"):
        register("normal")
    with pytest.raises(ValueError, match="unknown family 'gamma'"):
        get_family("gamma")
    with pytest.raises(TypeError, match="family must be a name"):
        get_family(3)


# ----------------------------------------------------------------------------------------------
# what the next chapters bring
# ----------------------------------------------------------------------------------------------


def test_zero_inflated_poisson_is_a_point_mass_plus_a_poisson():
    # w = (psi, 1 - psi); the rate mu has no component dim: shared, and ignored by the point mass
    psi, rate = np.array([0.3, 0.1]), np.array([2.0, 3.5])
    post = _post(w=(DIMS, np.stack([psi, 1 - psi], -1)[None]),
                 mu=(("chain", "draw"), rate[None]))
    y = np.array([0, 0, 1, 4])
    p = assignment_probs(post, y, family=["zero", "poisson"])
    zero_share = psi / (psi + (1 - psi) * np.exp(-rate))
    np.testing.assert_allclose(p.values[0, :, 0, 0], zero_share, rtol=1e-12)
    np.testing.assert_array_equal(p.values[0, :, 2:, 0], 0.0)  # counts > 0 are never structural
    # the predictive "density" of a count mixture is its pmf at the grid points
    pmf = predictive_density(post, np.arange(60.0), family=["zero", "poisson"])
    assert float(pmf["mean"].sum()) == pytest.approx(1.0, abs=1e-9)
    assert float(pmf["mean"][0]) == pytest.approx(
        np.mean(psi + (1 - psi) * np.exp(-rate)), rel=1e-12)


def test_negative_binomial_components():
    post = _post(w=(DIMS, [[[0.5, 0.5]]]), mu=(DIMS, [[[2.0, 30.0]]]),
                 alpha=(DIMS, [[[5.0, 2.0]]]))
    y = np.array([0, 3, 25, 80])
    p = assignment_probs(post, y, family="negative_binomial")
    alpha, mu = np.array([5.0, 2.0]), np.array([2.0, 30.0])
    lw = np.log(0.5) + stats.nbinom.logpmf(y[:, None], alpha, alpha / (alpha + mu))
    np.testing.assert_allclose(p.values[0, 0], _direct_probs(lw), rtol=1e-10)


def test_count_families_refuse_non_counts():
    post = _post(w=(DIMS, [[[0.5, 0.5]]]), mu=(DIMS, [[[2.0, 30.0]]]))
    with pytest.raises(ValueError, match=r"y must hold counts \(whole numbers >= 0\)"):
        assignment_probs(post, np.array([0.5, 2.0]), family="poisson")
    with pytest.raises(ValueError, match="y must hold counts"):
        assignment_probs(post, np.array([-1.0, 2.0]), family="poisson")


def test_experts_weights_per_observation_from_a_softmax_with_a_reference_category():
    rng = np.random.default_rng(3)
    n = 6
    x = rng.normal(size=n)
    gamma0, gamma1 = np.array([0.0, 0.5, -1.0]), np.array([0.0, 2.0, -1.5])  # category 0: ref.
    w = softmax(gamma0[None] + gamma1[None] * x[:, None], axis=-1)  # (obs, component)
    mu, sigma = np.array([-2.0, 0.0, 3.0]), np.array([1.0, 0.7, 1.5])
    post = _post(w=(("chain", "draw", "obs", "component"), w[None, None]),
                 mu=(DIMS, mu[None, None]), sigma=(DIMS, sigma[None, None]))
    y = rng.normal(size=n)
    p = assignment_probs(post, y)
    lw = np.log(w) + stats.norm.logpdf(y[:, None], mu, sigma)
    np.testing.assert_allclose(p.values[0, 0], _direct_probs(lw), rtol=1e-12)
    assert coclustering(post, y).shape == (n, n)
    with pytest.raises(ValueError, match="weights depend on the observation"):
        predictive_density(post, [0.0, 1.0])
    with pytest.raises(ValueError, match="the weights depend on the observation"):
        assignment_probs(post, y[:4])


def _hmm_direct(y, w0, P, mu, sigma):
    """Smoothed state probabilities by summing over every state path (tiny n only)."""
    import itertools

    n, k = len(y), len(w0)
    total = np.zeros((n, k))
    for path in itertools.product(range(k), repeat=n):
        lp = np.log(w0[path[0]]) + sum(np.log(P[a, b]) for a, b in zip(path, path[1:], strict=False))
        lp += sum(stats.norm.logpdf(y[t], mu[s], sigma[s]) for t, s in enumerate(path))
        for t, s in enumerate(path):
            total[t, s] += np.exp(lp)
    return total / total.sum(axis=1, keepdims=True)


def test_hidden_markov_states_are_the_assignment_probabilities():
    w0 = np.array([0.6, 0.4])
    P = np.array([[0.9, 0.1], [0.2, 0.8]])
    mu, sigma = np.array([0.0, 2.0]), np.array([1.0, 1.0])
    post = _post(w=(DIMS, w0[None, None]), mu=(DIMS, mu[None, None]),
                 sigma=(DIMS, sigma[None, None]),
                 P=(("chain", "draw", "component", "component_to"), P[None, None]))
    y = np.array([0.1, 1.2, 1.9, 0.8, -0.3])
    p = assignment_probs(post, y)
    np.testing.assert_allclose(p.values[0, 0], _hmm_direct(y, w0, P, mu, sigma), rtol=1e-10)
    # a transition matrix whose rows all equal w makes the states independent: a plain mixture
    mix = post.assign(P=(("chain", "draw", "component", "component_to"),
                         np.broadcast_to(w0, (1, 1, 2, 2))))
    plain = assignment_probs(post.drop_vars("P"), y)
    np.testing.assert_allclose(assignment_probs(mix, y).values, plain.values, rtol=1e-10)
    with pytest.raises(ValueError, match="hidden Markov model"):
        predictive_density(post, [0.0])
    with pytest.raises(ValueError, match="hidden Markov model"):
        n_occupied(post, y, rng=0)
    bad = post.assign(P=(("chain", "draw", "component", "component_to"), (P * 2)[None, None]))
    with pytest.raises(ValueError, match="rows are probabilities summing to 1"):
        assignment_probs(bad, y)


def test_components_absent_from_some_draws_are_padded_with_nan():
    # draw 0 has three components, draw 1 only two (the third padded with NaN)
    w = np.array([[0.2, 0.3, 0.5], [0.4, 0.6, np.nan]])
    mu = np.array([[-3.0, 0.0, 3.0], [-1.0, 2.0, np.nan]])
    sigma = np.array([[1.0, 1.0, 1.0], [1.0, 0.5, np.nan]])
    post = _post(w=(DIMS, w[None]), mu=(DIMS, mu[None]), sigma=(DIMS, sigma[None]))
    y = np.array([-2.0, 0.5, 2.5])
    p = assignment_probs(post, y).values[0]
    np.testing.assert_array_equal(p[1, :, 2], 0.0)
    two = _post(w=(DIMS, w[None, 1:, :2]), mu=(DIMS, mu[None, 1:, :2]),
                sigma=(DIMS, sigma[None, 1:, :2]))
    np.testing.assert_allclose(p[1, :, :2], assignment_probs(two, y).values[0, 0], rtol=1e-12)
    dens = predictive_density(post, np.linspace(-12, 12, 2401))
    assert float(dens["mean"].integrate("grid")) == pytest.approx(1.0, abs=1e-4)
    assert n_occupied(post, y, rng=0).values.max() <= 3
    with pytest.raises(ValueError, match="a draw with no weight at all"):
        assignment_probs(post.assign(w=(DIMS, np.full((1, 2, 3), np.nan))), y)
    nan_mu = post.assign(mu=(DIMS, np.where(np.isnan(mu), 0.0, mu)[None] * [[[1, np.nan, 1]]]))
    with pytest.raises(ValueError, match="where its component is present"):
        assignment_probs(nan_mu, y)


# ----------------------------------------------------------------------------------------------
# the spec itself
# ----------------------------------------------------------------------------------------------


def _simple():
    return _post(w=(DIMS, [[[0.3, 0.7], [0.5, 0.5]]]), mu=(DIMS, [[[0.0, 3.0], [0.1, 2.9]]]),
                 sigma=(DIMS, [[[1.0, 1.0], [1.0, 1.2]]]))


def test_a_spec_is_resolved_once_and_accepted_by_every_summary():
    post = _simple()
    spec = resolve(post)
    with pytest.raises(TypeError, match=r"got a PosteriorSpec and the options \['dim'\]"):
        assignment_probs(spec, [0.0], dim="component")
    with pytest.raises(TypeError, match=r"assignment_probs\(\) got unknown option\(s\) \['dims'\]"):
        assignment_probs(post, [0.0], dims="component")
    assert isinstance(spec, PosteriorSpec) and resolve(spec) is spec
    y = np.array([0.0, 1.5, 3.0])
    xr.testing.assert_identical(assignment_probs(spec, y), assignment_probs(post, y))
    xr.testing.assert_identical(coclustering(spec, y), coclustering(post, y))
    xr.testing.assert_identical(predictive_density(spec, [0.0, 1.0]),
                                predictive_density(post, [0.0, 1.0]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dim": "chain"}, r"dim 'chain' is also one of sample_dims"),
        ({"obs_dim": "chain"}, r"obs_dim 'chain' is also the component dim or a sample dim"),
        ({"obs_dim": "component"}, r"obs_dim 'component' is also the component dim"),
        ({"sample_dims": ("chain", "component")}, r"dim 'component' is also one of sample_dims"),
        ({"sample_dims": None}, r"sample_dims must be a non-empty sequence"),
        ({"var_names": 3}, r"var_names must be a dict mapping roles"),
    ],
)
def test_colliding_or_malformed_dims_are_explained(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message) as info:
        assignment_probs(_simple(), [0.0, 1.0], **kwargs)
    assert "\n" not in str(info.value)


def test_empty_posteriors_are_explained():
    empty = _post(w=(DIMS, np.zeros((1, 0, 2))), mu=(DIMS, np.zeros((1, 0, 2))),
                  sigma=(DIMS, np.ones((1, 0, 2))))
    with pytest.raises(ValueError, match="is empty"):
        assignment_probs(empty, [0.0])
    no_comp = _post(w=(DIMS, np.zeros((1, 2, 0))), mu=(DIMS, np.zeros((1, 2, 0))),
                    sigma=(DIMS, np.ones((1, 2, 0))))
    with pytest.raises(ValueError, match="is empty"):
        n_occupied(no_comp, [0.0], rng=0)


def test_labels_beyond_the_components_are_refused():
    post = _simple().assign(z=(("chain", "draw", "obs"), [[[0, 1, 5], [0, 0, 1]]]))
    with pytest.raises(ValueError, match="holds label 5 but the posterior has 2 components"):
        n_occupied(post, method="labels")


@settings(max_examples=40, deadline=None)
@given(role=st.sampled_from(["w", "mu", "sigma"]), value=st.sampled_from([np.nan, np.inf, -np.inf]),
       chain=st.integers(0, 0), draw=st.integers(0, 1), comp=st.integers(0, 1))
def test_non_finite_parameters_anywhere_are_explained_and_inputs_unchanged(role, value, chain,
                                                                           draw, comp):
    post = _simple()
    before = post.copy(deep=True)
    bad = post.copy(deep=True)
    bad[role].values[chain, draw, comp] = value
    snapshot = bad.copy(deep=True)
    with pytest.raises(ValueError) as info:
        assignment_probs(bad, [0.0, 1.0])
    assert "\n" not in str(info.value)
    assert "posterior variable" in str(info.value)
    xr.testing.assert_identical(bad, snapshot)
    xr.testing.assert_identical(post, before)


@settings(max_examples=25, deadline=None)
@given(y=st.lists(st.floats(-50, 50), min_size=1, max_size=8))
def test_summaries_do_not_mutate_their_inputs(y):
    post = _simple()
    before = post.copy(deep=True)
    y_arr = np.asarray(y)
    y_before = y_arr.copy()
    assignment_probs(post, y_arr)
    coclustering(post, y_arr)
    n_occupied(post, y_arr, rng=1)
    xr.testing.assert_identical(post, before)
    np.testing.assert_array_equal(y_arr, y_before)


# ----------------------------------------------------------------------------------------------
# dask-backed posteriors and outputs that cannot fit
# ----------------------------------------------------------------------------------------------


def _random_posterior(rng, chains=2, draws=40, k=3, n=30):
    w = rng.dirichlet(np.ones(k), size=(chains, draws))
    mu = rng.normal(0, 3, (chains, draws, k))
    sigma = rng.uniform(0.5, 2.0, (chains, draws, k))
    post = _post(w=(DIMS, w), mu=(DIMS, mu), sigma=(DIMS, sigma),
                 z=(("chain", "draw", "obs"), rng.integers(0, k, (chains, draws, n))))
    return post, rng.normal(0, 3, n)


def test_a_dask_backed_posterior_gives_the_same_summaries(tmp_path):
    pytest.importorskip("dask")
    rng = np.random.default_rng(11)
    post, y = _random_posterior(rng)
    path = tmp_path / "idata.zarr"
    tree = xr.DataTree.from_dict({"posterior": post, "observed_data": xr.Dataset({"y": ("obs", y)})})
    tree.chunk({"draw": 10}).to_zarr(path, consolidated=False)  # stored in chunks of 10 draws
    lazy_tree = xr.open_datatree(path, engine="zarr", consolidated=False, chunks={})
    lazy = lazy_tree["posterior"].to_dataset()
    assert lazy["z"].chunks is not None  # opened lazily
    xr.testing.assert_allclose(assignment_probs(lazy_tree).compute(), assignment_probs(post, y))
    p = assignment_probs(lazy, y)
    assert p.chunks is not None  # the result is lazy too: computed a chunk of draws at a time
    xr.testing.assert_allclose(p.compute(), assignment_probs(post, y), rtol=1e-12)
    xr.testing.assert_allclose(coclustering(lazy, y), coclustering(post, y), rtol=1e-12)
    xr.testing.assert_allclose(predictive_density(lazy, [0.0, 1.0]),
                               predictive_density(post, [0.0, 1.0]), rtol=1e-12)
    xr.testing.assert_identical(n_occupied(lazy, y, rng=4, method="sample"),
                                n_occupied(post, y, rng=4, method="sample"))
    # a mean over draws of the lazy probabilities streams on dask's scheduler
    mean = p.mean(("chain", "draw")).compute(scheduler="threads")
    np.testing.assert_allclose(mean.values, assignment_probs(post, y).mean(("chain", "draw")).values)
    lazy_tree.close()


def test_outputs_beyond_the_memory_limit_are_lazy_or_refused(monkeypatch):
    rng = np.random.default_rng(12)
    post, y = _random_posterior(rng)
    full = coclustering(post, y)
    monkeypatch.setattr(mixlab.spec, "MAX_OUTPUT_BYTES", 8 * 20 * 20)
    p = assignment_probs(post, y)
    assert p.chunks is not None
    with pytest.raises(ValueError, match=r"dense 30 x 30 co-clustering matrix needs .* GiB.*rows="):
        coclustering(post, y)
    rows, cols = np.arange(5), np.arange(10, 20)
    block = coclustering(post, y, rows=rows, cols=cols)
    np.testing.assert_allclose(block.values, full.values[np.ix_(rows, cols)], atol=1e-12)
    sub = coclustering(post, y, rows=rows, cols=rows)
    np.testing.assert_allclose(sub.values, full.values[np.ix_(rows, rows)], atol=1e-12)
    labels = coclustering(post["z"], rows=rows, cols=cols)
    assert labels.shape == (5, 10)
    with pytest.raises(ValueError, match="rows must index the 30 observations"):
        coclustering(post, y, rows=[0, 30], cols=[1])


def test_relabelling_a_hidden_markov_posterior_permutes_the_transition_matrix_on_both_axes():
    from mixlab.relabel import relabel

    rng = np.random.default_rng(5)
    k, draws = 3, 6
    mu = rng.normal(0, 3, (1, draws, k))
    P = rng.dirichlet(np.ones(k), size=(1, draws, k))
    post = _post(w=(DIMS, rng.dirichlet(np.ones(k), size=(1, draws))), mu=(DIMS, mu),
                 sigma=(DIMS, rng.uniform(0.5, 1.5, (1, draws, k))),
                 P=(("chain", "draw", "component", "component_to"), P))
    out = relabel(post, "sort", by="mu")
    perm = out["relabel_perm"].values[0]
    for s in range(draws):
        np.testing.assert_array_equal(out["P"].values[0, s], P[0, s][np.ix_(perm[s], perm[s])])
    # the smoothed states follow the labels: relabelling permutes them and nothing else
    y = rng.normal(0, 3, 7)
    before, after = assignment_probs(post, y).values[0], assignment_probs(out, y).values[0]
    for s in range(draws):
        np.testing.assert_allclose(after[s], before[s][:, perm[s]], rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(mu=st.floats(-1e3, 1e3), sigma=st.floats(1e-3, 1e3), nu=st.floats(0.5, 100),
       y=st.lists(st.floats(-1e4, 1e4), min_size=1, max_size=6))
def test_continuous_families_match_scipy_anywhere(mu, sigma, nu, y):
    yb = np.asarray(y)[None, :, None]
    par = {"mu": np.full((1, 1, 1), mu), "sigma": np.full((1, 1, 1), sigma)}
    np.testing.assert_allclose(get_family("normal").logpdf(yb, **par)[0, :, 0],
                               stats.norm.logpdf(y, mu, sigma), rtol=1e-9)
    np.testing.assert_allclose(
        get_family("student_t").logpdf(yb, **par, nu=np.full((1, 1, 1), nu))[0, :, 0],
        stats.t.logpdf(y, nu, mu, sigma), rtol=1e-9)
