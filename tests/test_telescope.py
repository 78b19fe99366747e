"""The telescoping sampler (mixlab.telescope): checked against exact prior and posterior distributions of
the number of clusters computed by brute force, on separated groups and the galaxy data, for the layout
the rest of mixlab reads, and for clear errors.

Every Monte Carlo comparison allows 5 standard errors, each the larger of a batch-means error (which
accounts for autocorrelation) and the binomial error of the exact probability for the same number of
draws (a floor for probabilities so small that few batches see them): with 40 batches a correct sampler
fails one such comparison with probability of the order of 1e-5 under any seed.
"""

from __future__ import annotations

import itertools

import arviz as az
import numpy as np
import pytest
import scipy.stats as st
import xarray as xr
from _checks import check_recovered
from hypothesis import given, settings
from hypothesis import strategies as st_h
from scipy import integrate
from scipy.special import gammaln, logsumexp

from mixlab import telescope
from mixlab.datasets import load_galaxy
from mixlab.invariants import assignment_probs, n_occupied
from mixlab.relabel import relabel
from mixlab.spec import resolve

MC_SDS = 5.0
K_MAX_SMALL = 6


def bnb_pmf(k_max):
    """The default prior of K (K - 1 ~ BNB(1, 4, 3)) truncated at k_max, for K = 1..k_max."""
    pmf = st.betanbinom(1, 4, 3).pmf(np.arange(k_max))
    return pmf / pmf.sum()


# ----------------------------------------------------------------------------------------------
# Exact references by brute force
# ----------------------------------------------------------------------------------------------


def count_patterns(n, K):
    """Every allocation of n observations to K labelled components, grouped: (counts (P, K), multiplicity)."""
    z = np.array(list(itertools.product(range(K), repeat=n)))
    counts = np.stack([(z == k).sum(axis=1) for k in range(K)], axis=1)
    uniq, mult = np.unique(counts, axis=0, return_counts=True)
    return uniq, mult


def exact_kplus_prior(n, pmf, e, dynamic):
    """p(K+ = k), k = 0..n: sum over K of p(K) times the Dirichlet-multinomial probability of all K^n
    allocations, counted by their number of occupied components."""
    out = np.zeros(n + 1)
    for K in range(1, pmf.size + 1):
        ek = e / K if dynamic else e
        counts, mult = count_patterns(n, K)
        log_dm = (gammaln(K * ek) - gammaln(n + K * ek) + (gammaln(counts + ek) - gammaln(ek)).sum(axis=1))
        np.add.at(out, (counts > 0).sum(axis=1), pmf[K - 1] * mult * np.exp(log_dm))
    return out


def exact_kplus_prior_random(n, pmf, e_dist, dynamic):
    """p(K+ = k) with the Dirichlet parameter integrated over its prior: quadrature over the prior's
    quantiles (e = F^-1(u), u uniform on (0, 1)), which needs no knowledge of where its mass lies."""
    patterns = {K: count_patterns(n, K) for K in range(1, pmf.size + 1)}

    def at(e):
        out = np.zeros(n + 1)
        for K, (counts, mult) in patterns.items():
            ek = e / K if dynamic else e
            log_dm = (gammaln(K * ek) - gammaln(n + K * ek)
                      + (gammaln(counts + ek) - gammaln(ek)).sum(axis=1))
            np.add.at(out, (counts > 0).sum(axis=1), pmf[K - 1] * mult * np.exp(log_dm))
        return out

    val, _ = integrate.quad_vec(lambda u: at(float(e_dist.ppf(u))), 0.0, 1.0, epsabs=1e-10)
    return val


def set_partitions(n):
    """All set partitions of range(n), as lists of blocks."""
    if n == 0:
        yield []
        return
    for p in set_partitions(n - 1):
        for i in range(len(p)):
            yield p[:i] + [p[i] + [n - 1]] + p[i + 1:]
        yield p + [[n - 1]]


def log_block_marginal(yb, b0, B0, c0, C0):
    """log of the marginal likelihood of one cluster: mu ~ N(b0, B0) integrated in closed form
    (y_b ~ N(b0 1, s2 I + B0 1 1')), s2 ~ InvGamma(c0, C0) by quadrature over log s2 (the density
    of log s2 is c0 log C0 - log Gamma(c0) - c0 log s2 - C0 / s2)."""
    d = yb - b0
    m, s1, s2sum = d.size, d.sum(), d @ d

    def f(log_s2):
        s2 = np.exp(log_s2)
        logdet = (m - 1) * np.log(s2) + np.log(s2 + m * B0)
        quad = (s2sum - B0 * s1**2 / (s2 + m * B0)) / s2
        return np.exp(-0.5 * (m * np.log(2 * np.pi) + logdet + quad)
                      + c0 * np.log(C0) - gammaln(c0) - c0 * log_s2 - C0 / s2)

    val, _ = integrate.quad(f, -30, 30, limit=200, epsabs=0)
    return np.log(val)


def exact_kplus_posterior(y, pmf, e, dynamic, b0, B0, c0, C0):
    """p(K+ = k | y), k = 0..n, with C0 fixed: a sum over every set partition of y of the
    partition's prior (the EPPF summed over K) times its clusters' marginal likelihoods."""
    n = y.size
    out = np.full(n + 1, -np.inf)
    for part in set_partitions(n):
        k, sizes = len(part), np.array([len(b) for b in part])
        log_prior = []
        for K in range(k, pmf.size + 1):
            ek = e / K if dynamic else e
            log_prior.append(np.log(pmf[K - 1]) + gammaln(K + 1) - gammaln(K - k + 1) + gammaln(K * ek)
                             - gammaln(n + K * ek) + (gammaln(sizes + ek) - gammaln(ek)).sum())
        lp = logsumexp(log_prior) + sum(log_block_marginal(y[b], b0, B0, c0, C0) for b in part)
        out[k] = np.logaddexp(out[k], lp)
    return np.exp(out - logsumexp(out))


def batch_se(values, k_values, batches_per_chain=10):
    """Batch-means standard errors of the shares of ``values`` (chain, draw) equal to each of
    ``k_values``: 10 batches per chain, each far longer than the integrated autocorrelation times
    seen here (up to about 70 sweeps for K+ = 1 in the posterior check), so the errors are not
    underestimated; with 40 batches a 5-error deviation has probability about 1e-5 (Student t, 39
    degrees of freedom)."""
    n_chain, n_draw = values.shape
    size = n_draw // batches_per_chain
    ind = values[:, : size * batches_per_chain, None] == np.asarray(k_values)
    means = ind.reshape(n_chain * batches_per_chain, size, -1).mean(axis=1)
    return means.std(axis=0, ddof=1) / np.sqrt(means.shape[0])


def assert_matches(idata, exact, var, what):
    """Every probability within MC_SDS standard errors (batch means, floored by the binomial error of
    the exact probability, for values so rare that no batch sees them), and k_posterior's shares
    equal to the raw shares."""
    values = idata.posterior[var].values
    ks = np.arange(1, exact.size + 1)
    kp = telescope.k_posterior(idata)
    est = kp[f"p_{what}"].sel({what: ks}).values
    np.testing.assert_allclose(est, (values[..., None] == ks).mean(axis=(0, 1)))
    se = np.maximum(batch_se(values, ks), np.sqrt(exact * (1 - exact) / values.size))
    assert np.all(np.abs(est - exact) <= MC_SDS * se + 1e-12), (what, est, exact, se)


def test_exact_references_agree():
    """The two prior references agree where they overlap (a fixed e is the limit of a narrow prior),
    and the prior of K+ for n = 1 is a point mass at 1."""
    pmf = bnb_pmf(4)
    fixed = exact_kplus_prior(4, pmf, 0.7, dynamic=True)
    assert fixed.sum() == pytest.approx(1.0)
    narrow = exact_kplus_prior_random(4, pmf, st.norm(0.7, 1e-4), dynamic=True)
    np.testing.assert_allclose(narrow, fixed, atol=1e-5)
    np.testing.assert_allclose(exact_kplus_prior(1, pmf, 0.3, dynamic=False), [0.0, 1.0])


# ----------------------------------------------------------------------------------------------
# Prior-only mode: the induced prior of K+ (and K) exactly
# ----------------------------------------------------------------------------------------------


@pytest.mark.integration  # runs the telescoping sampler to convergence
@pytest.mark.parametrize(
    ("weights", "e", "n"),
    [("static", 0.7, 5), ("dynamic", 1.5, 5), ("dynamic", None, 4), ("static", None, 4),
     ("dynamic", st.gamma(2.0, scale=0.5), 4)],
    ids=["static-fixed", "dynamic-fixed", "dynamic-F(6,3)", "static-F(6,3)", "dynamic-gamma(2,0.5)"],
)
def test_prior_mode_reproduces_exact_kplus_prior(weights, e, n):
    pmf = bnb_pmf(K_MAX_SMALL)
    dynamic = weights == "dynamic"
    key = "gamma" if dynamic else "alpha"
    if e is None or not isinstance(e, float):  # a prior: the Metropolis-Hastings step is checked too
        exact = exact_kplus_prior_random(n, pmf, st.f(6, 3) if e is None else e, dynamic)
    else:
        exact = exact_kplus_prior(n, pmf, e, dynamic)
    assert exact.sum() == pytest.approx(1.0, abs=1e-6)
    chains, draws = 4, 4000
    idata = telescope.sample(np.linspace(0.0, 1.0, n), chains=chains, draws=draws, tune=200,
                             weights=weights, K_max=K_MAX_SMALL, likelihood=False, random_seed=11,
                             **{key: e})
    assert_matches(idata, exact[1:], "K_plus", "k_plus")
    # K's marginal is its prior: the sampler targets the joint prior of (K, w, z, ...)
    assert_matches(idata, pmf, "K", "K")
    assert idata.posterior["K_plus"].values.max() <= n  # never more clusters than observations


def test_prior_mode_matches_mixlab_priors_if_present():
    """Cross-check of the exact references (which the sampler matches above) with
    mixlab.priors.mfm_kplus_prior, written separately (skipped where absent)."""
    priors = pytest.importorskip("mixlab.priors")
    if not hasattr(priors, "mfm_kplus_prior"):
        pytest.skip("mixlab.priors has no mfm_kplus_prior")
    n, pmf = 5, bnb_pmf(K_MAX_SMALL)
    ks = np.arange(1, n + 1)
    for dynamic, e in ((False, 0.7), (True, 1.5), (True, st.f(6, 3))):
        if isinstance(e, float):
            ours = exact_kplus_prior(n, pmf, e, dynamic)[1:]
        else:
            ours = exact_kplus_prior_random(n, pmf, e, dynamic)[1:]
        theirs = priors.mfm_kplus_prior(n, pmf, **({"gamma": e} if dynamic else {"alpha": e}))
        np.testing.assert_allclose(np.asarray(theirs.sel(k_plus=ks), dtype=float), ours, atol=1e-6)


# ----------------------------------------------------------------------------------------------
# The full sampler against the exact posterior of K+ on five observations
# ----------------------------------------------------------------------------------------------


@pytest.mark.integration  # runs the telescoping sampler to convergence
@pytest.mark.parametrize("weights", ["static", "dynamic"])
def test_posterior_of_kplus_matches_brute_force(weights):
    """Allocations, component updates, K and weights together: on 5 observations the exact posterior
    of K+ is a sum over the 52 set partitions. C0 is held at 0.3 by a prior with g0 = 1e7 (its sd
    is 1e-4 relative), since the reference integrates mu and sigma2 but not C0."""
    y = np.array([-2.0, -1.6, 0.1, 1.7, 2.3])
    pmf = bnb_pmf(K_MAX_SMALL)
    b0, B0, c0, C0 = float(np.median(y)), float(np.ptp(y)) ** 2, 2.0, 0.3
    dynamic = weights == "dynamic"
    exact = exact_kplus_posterior(y, pmf, 0.8, dynamic, b0, B0, c0, C0)
    assert exact[1:4].min() > 0.1  # a posterior that is spread out, so the check has teeth
    chains, draws = 4, 4000
    idata = telescope.sample(y, chains=chains, draws=draws, tune=300, K_max=K_MAX_SMALL,
                             weights=weights, g0=1e7, G0=1e7 / C0, random_seed=12,
                             **({"gamma": 0.8} if dynamic else {"alpha": 0.8}))
    np.testing.assert_allclose(idata.posterior["C0"].values, C0, rtol=1e-2)
    assert_matches(idata, exact[1:], "K_plus", "k_plus")


# ----------------------------------------------------------------------------------------------
# Separated groups and the galaxy data
# ----------------------------------------------------------------------------------------------


def normal_groups(means, n_each=100):
    """Groups shaped exactly like N(m, 1) samples (normal quantiles), so that what is checked is the
    model and the sampler, not a chance skew of one simulated sample (a skewed group of 100 gets a
    real posterior mass of 0.3 on a split into two components: seen with simulated data)."""
    q = st.norm.ppf((np.arange(n_each) + 0.5) / n_each)
    return np.concatenate([m + q for m in means])


@pytest.mark.integration  # runs the telescoping sampler to convergence
def test_separated_groups_recovered():
    """Three groups 6 sds apart: K+ = 3 is the posterior mode with mass above 0.8 (about 0.92 in runs
    of 2 x 20,000 draws; the rest is mostly a singleton cluster taken from a tail), and after
    at_k_plus and ECR relabelling the means are recovered. The Gibbs sampler sometimes keeps a
    group split in two for a few hundred sweeps, so the mass is compared with 0.8 within 5 batch-means
    errors, which see those episodes."""
    means = np.array([-6.0, 0.0, 6.0])
    y = normal_groups(means)
    idata = telescope.sample(y, chains=4, draws=1000, tune=500, random_seed=21)
    kp = telescope.k_posterior(idata)
    p3, se3 = float(kp["p_k_plus"].sel(k_plus=3)), float(kp["mcse_k_plus"].sel(k_plus=3))
    assert int(kp["p_k_plus"].idxmax()) == 3, kp["p_k_plus"].values[:8]
    assert p3 > 0.8 - MC_SDS * se3 and p3 > 0.5, (p3, se3)
    sub = telescope.at_k_plus(idata)
    assert sub.posterior.sizes["component"] == 3
    relabelled = relabel(sub, method="ecr")
    mu = relabelled.posterior["mu"].values.reshape(-1, 3)
    order = np.argsort(mu.mean(axis=0))
    check_recovered("mu", mu[:, order], means, max_sd=0.25)
    sigma = relabelled.posterior["sigma"].values.reshape(-1, 3)[:, order]
    check_recovered("sigma", sigma, np.ones(3), max_sd=0.2)
    w = relabelled.posterior["w"].values.reshape(-1, 3)[:, order]
    check_recovered("w", w, np.full(3, 1 / 3), max_sd=0.06)
    # Stephens' method reads assignment probabilities computed from the same sub-posterior
    p = assignment_probs(sub)
    assert p.sizes["component"] == 3
    np.testing.assert_allclose(p.sum("component"), 1.0, atol=1e-9)
    by_stephens = relabel(sub, method="stephens").posterior["mu"].values.reshape(-1, 3)
    np.testing.assert_allclose(np.sort(by_stephens.mean(axis=0)), np.sort(mu.mean(axis=0)), atol=0.3)


@pytest.mark.integration  # runs the telescoping sampler to convergence
def test_galaxy_with_the_papers_defaults():
    """Galaxy velocities, dynamic MFM, BNB(1, 4, 3) and F(6, 3) priors: the posterior of K+ is spread
    over 3..7 (the paper's and Richardson & Green's analyses find 3 to 6 clusters, depending on the
    prior), and the chains move between K+ values slowly, so only loose claims are made: the mode is
    one of 3..6 and at least 80% of the draws have 3..7 clusters (about 0.99 in long runs)."""
    y = load_galaxy()
    idata = telescope.sample(y, chains=4, draws=1000, tune=500, random_seed=31)
    kp = telescope.k_posterior(idata)
    mode = int(kp["p_k_plus"].idxmax())
    assert mode in (3, 4, 5, 6), kp["p_k_plus"].values[:10]
    assert float(kp["p_k_plus"].sel(k_plus=slice(3, 7)).sum()) > 0.8
    assert float(kp["p_k_plus"].sel(k_plus=slice(1, 2)).sum()) < 0.05  # one or two clusters misfit
    acc = float(np.nanmean(idata.sample_stats["acceptance"]))
    assert 0.05 < acc < 0.95


# ----------------------------------------------------------------------------------------------
# Output layout, reproducibility and the rest of mixlab reading it
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_run():
    y = np.concatenate([np.linspace(-3, -1, 15), np.linspace(2, 4, 15)])
    y_in = y.copy()
    idata = telescope.sample(y_in, chains=2, draws=60, tune=20, K_max=12, K_init=6, random_seed=41)
    np.testing.assert_array_equal(y_in, y)  # input not mutated
    return y, idata


def test_output_layout(small_run):
    y, idata = small_run
    post = idata.posterior
    assert set(idata.children) == {"posterior", "sample_stats", "observed_data"}
    assert post["w"].dims == ("chain", "draw", "component")
    assert post["z"].dims == ("chain", "draw", "obs")
    assert post["K"].dims == post["K_plus"].dims == post["gamma"].dims == ("chain", "draw")
    assert "alpha" not in post
    np.testing.assert_array_equal(post["component"], np.arange(12))
    np.testing.assert_array_equal(post["obs"], np.arange(y.size))
    np.testing.assert_array_equal(idata.observed_data["y"], y)
    K, kp = post["K"].values, post["K_plus"].values
    absent = np.arange(12) >= K[..., None]
    for v in ("w", "mu", "sigma"):
        np.testing.assert_array_equal(np.isnan(post[v].values), absent)
    np.testing.assert_allclose(np.nansum(post["w"].values, axis=-1), 1.0, atol=1e-12)
    assert np.all(post["sigma"].values[~absent] > 0)
    z = post["z"].values
    assert np.issubdtype(z.dtype, np.integer)
    assert np.all(z.max(axis=-1) < kp) and np.all(z.min(axis=-1) >= 0)
    # the filled components come first: every label below K+ is used in its draw
    used = np.array([[np.unique(zz).size for zz in chain] for chain in z])
    np.testing.assert_array_equal(used, kp)
    assert np.all((kp >= 1) & (kp <= K))
    assert np.all(post["gamma"].values > 0) and np.all(post["C0"].values > 0)
    acc = idata.sample_stats["acceptance"].values
    assert acc.shape == (2, 60) and np.all((acc >= 0) & (acc <= 1))


@settings(max_examples=25, deadline=None)
@given(
    y=st_h.lists(st_h.floats(-1e3, 1e3), min_size=2, max_size=15).filter(lambda v: np.ptp(v) > 1e-6),
    weights=st_h.sampled_from(["dynamic", "static"]),
    k_max=st_h.integers(1, 7),
    likelihood=st_h.booleans(),
    seed=st_h.integers(0, 2**16),
)
def test_layout_invariants_hold_for_any_input(y, weights, k_max, likelihood, seed):
    """Whatever the data and settings: K+ <= K <= K_max, the labels are exactly 0..K+ - 1, weights on
    the simplex over the K present components and NaN beyond, positive scales, finite means."""
    idata = telescope.sample(y, chains=1, draws=8, tune=3, weights=weights, K_max=k_max,
                             likelihood=likelihood, random_seed=seed)
    post = idata.posterior
    K, kp, z = post["K"].values[0], post["K_plus"].values[0], post["z"].values[0]
    assert np.all((1 <= kp) & (kp <= K) & (K <= k_max))
    np.testing.assert_array_equal([np.unique(zz).size for zz in z], kp)
    assert np.all(z.max(axis=1) == kp - 1)
    w = post["w"].values[0]
    absent = np.arange(k_max) >= K[:, None]
    np.testing.assert_array_equal(np.isnan(w), absent)
    np.testing.assert_allclose(np.nansum(w, axis=1), 1.0, atol=1e-12)
    assert np.all(post["sigma"].values[0][~absent] > 0)
    assert np.all(np.isfinite(post["mu"].values[0][~absent]))


def test_mixlab_and_arviz_read_the_output(small_run):
    _, idata = small_run
    spec = resolve(idata)
    assert spec.family_names[0] == "normal" and spec.n_components == 12
    p = assignment_probs(idata)
    np.testing.assert_allclose(p.sum("component"), 1.0, atol=1e-9)
    np.testing.assert_array_equal(n_occupied(idata).values, idata.posterior["K_plus"].values)
    rhat = az.rhat(idata, var_names=["K_plus", "mu"])
    ess = az.ess(idata, var_names=["K_plus", "mu"])
    assert rhat["K_plus"].shape == () and ess["mu"].sizes["component"] == 12


def test_same_seed_same_draws_and_chains_differ():
    y = np.linspace(-2, 2, 12)
    a = telescope.sample(y, chains=2, draws=30, tune=5, K_max=8, random_seed=7)
    b = telescope.sample(y, chains=2, draws=30, tune=5, K_max=8, random_seed=7)
    xr.testing.assert_identical(a.posterior, b.posterior)
    z = a.posterior["z"].values
    assert not np.array_equal(z[0], z[1])


def test_k_init_per_chain():
    """One start per chain: with no sweep to forget it (tune=0, thin=1), the first draw's K+ cannot
    exceed the chain's start."""
    y = np.linspace(-2, 2, 40)
    idata = telescope.sample(y, chains=3, draws=1, tune=0, K_init=[1, 2, 9], K_max=10, random_seed=4)
    kp = idata.posterior["K_plus"].values[:, 0]
    assert kp[0] == 1 and kp[1] <= 2 and kp[2] <= 9


def test_static_weights_fixed_alpha_and_thinning():
    y = np.linspace(-2, 2, 12)
    idata = telescope.sample(y, chains=1, draws=25, tune=0, thin=3, weights="static", alpha=0.5,
                             K_max=5, random_seed=8)
    post = idata.posterior
    assert post.sizes["draw"] == 25 and "alpha" in post and "gamma" not in post
    np.testing.assert_array_equal(post["alpha"].values, 0.5)
    assert np.all(np.isnan(idata.sample_stats["acceptance"].values))  # no MH step when fixed
    assert post["K"].values.max() <= 5


def test_user_pmf_restricts_k():
    """A pmf with mass on K = 2, 3 only: every draw has K in {2, 3}."""
    y = np.linspace(-2, 2, 10)
    idata = telescope.sample(y, chains=1, draws=40, tune=5, K_prior=[0, 0.5, 0.5], K_max=4,
                             random_seed=9)
    assert set(np.unique(idata.posterior["K"].values)) <= {2, 3}
    assert idata.posterior.sizes["component"] == 4
    np.testing.assert_allclose(idata.posterior.attrs["K_prior_pmf"], [0, 0.5, 0.5, 0])


def test_at_k_plus_layout(small_run):
    _, idata = small_run
    kp = idata.posterior["K_plus"].values
    k = int(np.bincount(kp.ravel()).argmax())
    sub = telescope.at_k_plus(idata)
    post = sub.posterior
    assert dict(post["w"].sizes) == {"chain": 1, "draw": int((kp == k).sum()), "component": k}
    assert np.all(post["K_plus"].values == k)
    np.testing.assert_allclose(post["w"].sum("component"), 1.0, atol=1e-12)
    assert not np.isnan(post["mu"].values).any()
    # the source coords point back at the draws, whose first k means they carry
    src = idata.posterior["mu"].values[post["source_chain"].values, post["source_draw"].values, :k]
    np.testing.assert_array_equal(post["mu"].values[0], src)
    assert "observed_data" in sub.children
    resolve(sub)
    relabel(sub, method="ecr")


def test_k_posterior_layout(small_run):
    _, idata = small_run
    kp = telescope.k_posterior(idata)
    assert kp["p_K"].dims == ("K",) and kp["p_k_plus"].dims == ("k_plus",)
    np.testing.assert_array_equal(kp["K"], np.arange(1, 13))
    assert float(kp["p_K"].sum()) == pytest.approx(1.0)
    np.testing.assert_allclose(kp["p_k_plus_chain"].mean("chain"), kp["p_k_plus"])
    assert np.all(kp["mcse_K"].values >= 0)
    # K+ <= K in every draw, so K+'s distribution is stochastically smaller
    assert np.all(np.cumsum(kp["p_k_plus"].values) >= np.cumsum(kp["p_K"].values) - 1e-12)


# ----------------------------------------------------------------------------------------------
# Bad inputs: one-line errors
# ----------------------------------------------------------------------------------------------

Y = np.linspace(0, 1, 8)


@pytest.mark.parametrize(
    ("y", "kwargs", "exc", "match"),
    [
        (np.ones((3, 2)), {}, ValueError, "1-dimensional"),
        ([1.0, np.nan, 2.0], {}, ValueError, "NaN"),
        ([1.0], {}, ValueError, "at least 2"),
        ([2.0, 2.0, 2.0], {}, ValueError, "distinct"),
        (["a", "b"], {}, TypeError, "numeric"),
        (Y, {"chains": 0}, ValueError, "chains"),
        (Y, {"draws": 2.5}, TypeError, "draws"),
        (Y, {"tune": -1}, ValueError, "tune"),
        (Y, {"thin": 0}, ValueError, "thin"),
        (Y, {"weights": "sparse"}, ValueError, "weights"),
        (Y, {"K_max": 0}, ValueError, "K_max"),
        (Y, {"K_prior": [0.5, 0.2]}, ValueError, "sum to 1"),
        (Y, {"K_prior": [1.5, -0.5]}, ValueError, "non-negative"),
        (Y, {"K_prior": np.full(40, 1 / 40)}, ValueError, "K_max"),
        (Y, {"K_prior": st.norm(3, 1)}, TypeError, "discrete"),
        (Y, {"gamma": -1.0}, ValueError, "positive"),
        (Y, {"gamma": "big"}, TypeError, "gamma"),
        (Y, {"alpha": 1.0}, ValueError, "static"),
        (Y, {"weights": "static", "gamma": 1.0}, ValueError, "dynamic"),
        (Y, {"gamma": st.norm(0, 1)}, ValueError, "positive half-line"),
        (Y, {"K_init": 40}, ValueError, "K_init"),
        (Y, {"K_init": [2, 3], "chains": 1}, ValueError, "one per chain"),
        (Y, {"K_init": 2.0}, TypeError, "K_init"),
        (Y, {"K_prior": [0, 1.0], "K_init": 1}, ValueError, "prior probability 0"),
        (Y, {"B0": -1.0}, ValueError, "B0"),
        (Y, {"b0": np.inf}, TypeError, "b0"),
        (Y, {"mu0": 1.0}, TypeError, "unknown keyword"),
        (Y, {"likelihood": "no"}, TypeError, "likelihood"),
        (Y, {"random_seed": "x"}, TypeError, "random_seed"),
    ],
)
def test_bad_inputs_one_line_errors(y, kwargs, exc, match):
    with pytest.raises(exc, match=match) as info:
        telescope.sample(y, **{"draws": 2, "tune": 0, "chains": 1, **kwargs})
    assert "\n" not in str(info.value)


def test_summaries_bad_inputs(small_run):
    _, idata = small_run
    with pytest.raises(ValueError, match="no draw has K_plus == 11") as info:
        telescope.at_k_plus(idata, 11)
    assert "\n" not in str(info.value)
    with pytest.raises(TypeError, match="integer"):
        telescope.at_k_plus(idata, 2.5)
    with pytest.raises(TypeError, match="DataTree"):
        telescope.at_k_plus(idata.posterior.to_dataset())
    with pytest.raises(ValueError, match="K_plus"):
        telescope.k_posterior(idata.posterior.to_dataset().drop_vars("K_plus"))
    with pytest.raises(TypeError, match="DataTree"):
        telescope.k_posterior(np.zeros(3))
