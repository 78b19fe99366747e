"""Priors on the number of clusters K+: checked against brute-force enumeration of allocations and set
partitions, closed-form means and extreme probabilities, a coupling bound to the Dirichlet-process limit,
Monte Carlo (with tolerances from standard errors), and clear errors for bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.stats
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import betaln, gammaln

from mixlab.partitions._estimate import all_partitions
from mixlab.priors import bnb_pmf, choose_alpha, kplus_prior, mfm_kplus_prior

SETTINGS = settings(max_examples=30, deadline=None)
alphas = st.floats(-3, 2).map(lambda x: 10.0**x)  # 1e-3 .. 1e2, log-uniform


# ----------------------------------------------------------------------------------------------
# brute force
# ----------------------------------------------------------------------------------------------


def enumerate_finite(n, alpha, K):
    """P(K+ = k), k = 1..min(n, K), summing the Dirichlet-multinomial probability of every labelled
    allocation z in {0..K-1}^n."""
    z = np.array(list(itertools.product(range(K), repeat=n)))
    counts = (z[:, :, None] == np.arange(K)).sum(axis=1)
    logp = (gammaln(K * alpha) - gammaln(K * alpha + n)
            + (gammaln(counts + alpha) - gammaln(alpha)).sum(axis=1))
    return np.bincount((counts > 0).sum(axis=1), weights=np.exp(logp), minlength=K + 1)[1:min(n, K) + 1]


def enumerate_crp(n, alpha):
    """P(K+ = k) under the Chinese restaurant process, over every set partition of n items:
    alpha^k prod_j (n_j - 1)! Gamma(alpha) / Gamma(alpha + n)."""
    rgs = all_partitions(n).astype(int)
    sizes = (rgs[:, :, None] == np.arange(n)).sum(axis=1)
    k = (sizes > 0).sum(axis=1)
    logp = (k * np.log(alpha) + np.where(sizes > 0, gammaln(np.maximum(sizes, 1)), 0.0).sum(axis=1)
            + gammaln(alpha) - gammaln(alpha + n))
    return np.bincount(k, weights=np.exp(logp), minlength=n + 1)[1:]


@pytest.mark.parametrize(("n", "alpha", "K"), [(1, 0.5, 3), (6, 1e-3, 4), (6, 0.3, 4), (5, 7.0, 3),
                                                (4, 1.0, 1), (3, 0.01, 6), (6, 2.0, 2)])
def test_finite_equals_enumeration_of_allocations(n, alpha, K):
    p = kplus_prior(n, alpha, K=K)
    assert p.dims == ("k_plus",)
    np.testing.assert_array_equal(p.k_plus, np.arange(1, min(n, K) + 1))
    np.testing.assert_allclose(p.values, enumerate_finite(n, alpha, K), rtol=0, atol=1e-12)


@SETTINGS
@given(n=st.integers(1, 5), K=st.integers(1, 4), alpha=alphas)
def test_finite_equals_enumeration_property(n, K, alpha):
    np.testing.assert_allclose(kplus_prior(n, alpha, K=K).values, enumerate_finite(n, alpha, K),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 4, 6])
@pytest.mark.parametrize("alpha", [1e-3, 0.4, 1.0, 25.0])
def test_dirichlet_process_equals_crp_over_set_partitions(n, alpha):
    p = kplus_prior(n, alpha)
    np.testing.assert_array_equal(p.k_plus, np.arange(1, n + 1))
    np.testing.assert_allclose(p.values, enumerate_crp(n, alpha), rtol=0, atol=1e-12)


def test_hand_derived_values():
    # n = 2: the second observation joins the first with probability 1/(1 + alpha) (DP) or
    # (1 + alpha)/(1 + K alpha) (K components)
    np.testing.assert_allclose(kplus_prior(2, 3.0).values, [0.25, 0.75], atol=1e-15)
    np.testing.assert_allclose(kplus_prior(2, 0.5, K=4).values, [0.5, 0.5], atol=1e-15)
    assert kplus_prior(1, 2.0).values.tolist() == [1.0]


@pytest.mark.parametrize(("n", "alpha", "K"), [(6, 1.0, 10**6), (30, 0.7, 10**6), (30, 5.0, 10**7)])
def test_finite_with_alpha_over_K_tends_to_the_dirichlet_process(n, alpha, K):
    # The urns differ, from k clusters after m draws, by k (alpha/K) / (alpha + m) <= alpha / K in total
    # variation per step, so sum |P_K - P_DP| <= 2 (n - 1) alpha / K (coupling the two chains)
    finite, dp = kplus_prior(n, alpha / K, K=K).values, kplus_prior(n, alpha).values
    assert np.abs(finite - dp).sum() <= 2 * (n - 1) * alpha / K + 1e-12


# ----------------------------------------------------------------------------------------------
# closed forms, large n and extreme alpha
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "alpha"), [(1000, 1.0), (2000, 1e-3), (2000, 1e3), (50, 0.05)])
def test_dirichlet_process_mean_and_extremes(n, alpha):
    p = kplus_prior(n, alpha)
    assert np.all(p.values >= 0) and abs(float(p.sum()) - 1) < 1e-10
    mean = float((p * p.k_plus).sum())
    np.testing.assert_allclose(mean, np.sum(alpha / (alpha + np.arange(n))), rtol=1e-10)
    # one cluster: alpha (n-1)! Gamma(alpha) / Gamma(alpha + n)
    log_one = gammaln(n) + gammaln(alpha + 1) - gammaln(alpha + n)
    np.testing.assert_allclose(float(p.sel(k_plus=1)), np.exp(log_one), rtol=1e-9, atol=1e-300)


@pytest.mark.parametrize(("n", "alpha", "K"), [(1000, 0.01, 10), (2000, 1e-3, 50), (2000, 1e3, 50),
                                                (40, 0.5, 100), (7, 2.0, 3)])
def test_finite_mean_and_extremes(n, alpha, K):
    p = kplus_prior(n, alpha, K=K)
    assert p.sizes["k_plus"] == min(n, K) and abs(float(p.sum()) - 1) < 1e-10
    # E[K+] = K (1 - P(component 1 empty)), P(empty) from the Dirichlet-multinomial
    log_empty = gammaln(K * alpha) + gammaln((K - 1) * alpha + n) - gammaln((K - 1) * alpha) \
        - gammaln(K * alpha + n)
    mean = float((p * p.k_plus).sum())
    np.testing.assert_allclose(mean, K * (1 - np.exp(log_empty)), rtol=1e-8)
    # all in one cluster: K Gamma(K alpha) Gamma(alpha + n) / (Gamma(alpha) Gamma(K alpha + n))
    log_one = np.log(K) + gammaln(K * alpha) + gammaln(alpha + n) - gammaln(alpha) - gammaln(K * alpha + n)
    np.testing.assert_allclose(float(p.sel(k_plus=1)), np.exp(log_one), rtol=1e-8, atol=1e-300)


@SETTINGS
@given(n=st.integers(1, 60), K=st.one_of(st.none(), st.integers(1, 20)), a=alphas,
       ratio=st.floats(1.001, 100.0))
def test_prior_on_kplus_increases_stochastically_in_alpha(n, K, a, ratio):
    low, high = kplus_prior(n, a, K=K), kplus_prior(n, a * ratio, K=K)
    cdf_low, cdf_high = np.cumsum(low.values), np.cumsum(high.values)
    assert np.all(cdf_high <= cdf_low + 1e-12)
    if min(n, K or n) > 1:  # and strictly so for the mean
        assert float((high * high.k_plus).sum()) > float((low * low.k_plus).sum())


# ----------------------------------------------------------------------------------------------
# mixtures of finite mixtures and the BNB prior on K
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("K", [1, 3, 8])
def test_mfm_with_a_point_mass_is_the_finite_mixture(K):
    one_hot = np.eye(10)[K - 1]
    static = mfm_kplus_prior(25, one_hot, alpha=0.3)
    dynamic = mfm_kplus_prior(25, one_hot, gamma=1.5)
    assert static.sizes["k_plus"] == 10  # coordinate 1..min(n, len(K_prior)), zero beyond K
    np.testing.assert_allclose(static.values[:K], kplus_prior(25, 0.3, K=K).values, rtol=0, atol=1e-13)
    np.testing.assert_allclose(dynamic.values[:K], kplus_prior(25, 1.5 / K, K=K).values, rtol=0, atol=1e-13)
    assert np.all(static.values[K:] == 0) and np.all(dynamic.values[K:] == 0)


@pytest.mark.parametrize("kind", ["alpha", "gamma"])
def test_mfm_is_the_pk_weighted_sum_and_the_joint_adds_up(kind):
    pK = bnb_pmf(40)
    pK = pK / pK.sum()
    n = 12
    got = mfm_kplus_prior(n, pK, **{kind: 2.0})
    joint = mfm_kplus_prior(n, pK, joint=True, **{kind: 2.0})
    want = np.zeros((40, n))
    for K in range(1, 41):
        e = 2.0 if kind == "alpha" else 2.0 / K
        want[K - 1, :min(n, K)] = float(pK[K - 1]) * kplus_prior(n, e, K=K).values
    assert joint.dims == ("K", "k_plus") and joint.sizes == {"K": 40, "k_plus": 12}
    np.testing.assert_allclose(joint.values, want, rtol=0, atol=1e-13)
    np.testing.assert_allclose(got.values, want.sum(axis=0), rtol=0, atol=1e-12)
    xr.testing.assert_allclose(joint.sum("K"), got.drop_attrs(), atol=1e-15)
    static = "static" if kind == "alpha" else "dynamic"
    assert got.attrs["prior"] == f"mixture of finite mixtures ({static})" and got.attrs["missing_mass"] < 1e-12


def test_mfm_brute_force_with_two_values_of_K():
    # K = 2 or 3 with probability 0.25 / 0.75, static alpha: enumerate allocations for each K
    got = mfm_kplus_prior(5, [0.0, 0.25, 0.75], alpha=0.4).values
    want = 0.25 * np.pad(enumerate_finite(5, 0.4, 2), (0, 1)) + 0.75 * enumerate_finite(5, 0.4, 3)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_mfm_truncated_k_prior_reports_its_missing_mass():
    pK = bnb_pmf(300)
    p = mfm_kplus_prior(30, pK, alpha=0.5)
    assert p.attrs["missing_mass"] == pytest.approx(pK.attrs["tail_mass"], rel=1e-6)
    assert float(p.sum()) == pytest.approx(1 - pK.attrs["tail_mass"], abs=1e-12)


@pytest.mark.parametrize("a_l", [1.0, 2.0, 1.5])
def test_bnb_pmf_matches_the_formula_and_scipy(a_l):
    a_p, b_p = 4.0, 3.0
    p = bnb_pmf(60, a_lambda=a_l, a_pi=a_p, b_pi=b_p)
    j = np.arange(60)
    formula = np.exp(gammaln(a_l + j) - gammaln(a_l) - gammaln(j + 1)
                     + betaln(a_l + a_p, j + b_p) - betaln(a_p, b_p))
    assert p.dims == ("K",) and p.K.values.tolist() == list(range(1, 61))
    np.testing.assert_allclose(p.values, formula, rtol=1e-10)
    if a_l.is_integer():  # scipy >= 1.12 has the BNB, for a whole number a_lambda only
        np.testing.assert_allclose(p.values, scipy.stats.betanbinom(n=a_l, a=a_p, b=b_p).pmf(j), rtol=1e-12)
    # not renormalised: the tail beyond k_max is reported, and (far out) the formula's tail agrees
    far = np.arange(60, 200_000)
    tail = np.exp(gammaln(a_l + far) - gammaln(a_l) - gammaln(far + 1)
                  + betaln(a_l + a_p, far + b_p) - betaln(a_p, b_p)).sum()
    assert p.attrs["tail_mass"] == pytest.approx(tail, rel=1e-6)
    assert float(p.sum()) + p.attrs["tail_mass"] == pytest.approx(1.0, abs=1e-12)
    assert float(bnb_pmf(1).item()) == pytest.approx(np.exp(betaln(5, 3) - betaln(4, 3)))  # 4/7


# ----------------------------------------------------------------------------------------------
# hyperpriors: quadrature against Monte Carlo and the point-mass limit
# ----------------------------------------------------------------------------------------------


def test_dp_hyperprior_matches_monte_carlo_average_of_conditionals():
    n, draws = 30, 3000
    hyper = scipy.stats.gamma(2.0, scale=1.0)
    got = kplus_prior(n, hyper)
    a = hyper.rvs(size=draws, random_state=np.random.default_rng(11))
    rows = np.array([kplus_prior(n, float(x)).values for x in a])
    # where P(k | alpha) is not a rare-event variable (the tail k are driven by a few large alpha,
    # so their sample means are too skewed for a normal tolerance), and the mean of K+
    bulk = got.values >= 0.01
    assert bulk.sum() >= 10
    se = rows.std(axis=0, ddof=1) / np.sqrt(draws)
    assert np.all(np.abs(got.values - rows.mean(axis=0))[bulk] <= 5 * se[bulk])
    k = np.arange(1, n + 1)
    means = rows @ k
    assert abs(float(got @ got.k_plus) - means.mean()) <= 5 * means.std(ddof=1) / np.sqrt(draws)
    assert got.attrs["hyperprior"] == "gamma(2, scale=1)" and got.attrs["quadrature_error"] < 1e-8
    assert abs(float(got.sum()) - 1) < 1e-10


def test_sparse_finite_hyperprior_matches_simulated_allocations():
    # Malsiner-Walli et al. (2016): alpha ~ Gamma(10, rate 10 K); simulate alpha, weights and counts
    n, K, draws = 50, 10, 20_000
    hyper = scipy.stats.gamma(10, scale=1 / (10 * K))
    got = kplus_prior(n, hyper, K=K).values
    rng = np.random.default_rng(5)
    a = hyper.rvs(size=draws, random_state=rng)
    g = rng.gamma(a[:, None], size=(draws, K))
    counts = rng.multinomial(n, g / g.sum(axis=1, keepdims=True))
    kplus = (counts > 0).sum(axis=1)
    k = np.arange(1, K + 1)
    mean, sd = float(got @ k), np.sqrt(float(got @ k**2) - float(got @ k) ** 2)
    assert abs(kplus.mean() - mean) <= 5 * sd / np.sqrt(draws)
    freq = np.bincount(kplus, minlength=K + 1)[1:] / draws
    common = draws * np.minimum(got, 1 - got) >= 25  # where the normal approximation holds
    assert common.sum() >= 3
    se = np.sqrt(got * (1 - got) / draws)
    assert np.all(np.abs(freq - got)[common] <= 5 * se[common])


@pytest.mark.parametrize(("alpha0", "K"), [(0.8, None), (0.05, 10)])
def test_narrow_hyperprior_tends_to_the_point_mass(alpha0, K):
    # alpha ~ Gamma(a, scale alpha0 / a), a = 1e6: E[P(alpha)] = P(alpha0) + P''(alpha0) Var / 2 + O(a^-2)
    a = 1e6
    got = kplus_prior(40, scipy.stats.gamma(a, scale=alpha0 / a), K=K).values
    h = alpha0 * 1e-3
    at = [kplus_prior(40, alpha0 + d, K=K).values for d in (-h, 0.0, h)]
    second = (at[0] - 2 * at[1] + at[2]) / h**2
    np.testing.assert_allclose(got, at[1] + second * alpha0**2 / a / 2, rtol=0, atol=1e-9)
    assert np.max(np.abs(got - at[1])) > 1e-8  # the variance term is seen, not only the point


@pytest.mark.parametrize(("hyper", "K"), [(scipy.stats.uniform(0.5, 1.0), None),
                                          (scipy.stats.invgamma(3, scale=2), 5),
                                          (scipy.stats.lognorm(1.0), None)])
def test_hyperprior_matches_adaptive_quadrature_on_the_alpha_scale(hyper, K):
    # an independent rule (scipy's quad_vec, on alpha itself rather than log alpha)
    from scipy.integrate import quad_vec

    n = 15
    lo, hi = hyper.support()
    want, _ = quad_vec(lambda a: kplus_prior(n, a, K=K).values * hyper.pdf(a), lo, hi,
                       epsabs=1e-12, epsrel=1e-10)
    np.testing.assert_allclose(kplus_prior(n, hyper, K=K).values, want, rtol=0, atol=1e-8)


def test_quadrature_that_cannot_converge_warns(monkeypatch):
    from mixlab.priors import _hyper

    monkeypatch.setattr(_hyper, "MAX_PANELS", _hyper.START_PANELS)
    monkeypatch.setattr(_hyper, "TOL", 1e-30)
    with pytest.warns(RuntimeWarning, match="reached only"):
        p = kplus_prior(20, scipy.stats.gamma(2.0))
    assert abs(float(p.sum()) - 1) < 1e-6


def test_mfm_hyperprior_is_the_pk_weighted_sum_of_hyperprior_results():
    pK = np.array([0.2, 0.3, 0.5])
    hyper = scipy.stats.lognorm(0.5, scale=0.5)
    got = mfm_kplus_prior(20, pK, alpha=hyper)
    want = sum(pK[K - 1] * np.pad(kplus_prior(20, hyper, K=K).values, (0, 3 - K)) for K in (1, 2, 3))
    np.testing.assert_allclose(got.values, want, rtol=0, atol=1e-9)
    assert got.attrs["alpha"] == "lognorm(0.5, scale=0.5)"
    # dynamic: gamma ~ Gamma(2, scale 1.5) makes e_K = gamma / K ~ Gamma(2, scale 1.5 / K)
    got = mfm_kplus_prior(20, pK, gamma=scipy.stats.gamma(2.0, scale=1.5))
    want = sum(pK[K - 1] * np.pad(kplus_prior(20, scipy.stats.gamma(2.0, scale=1.5 / K), K=K).values,
                                  (0, 3 - K)) for K in (1, 2, 3))
    np.testing.assert_allclose(got.values, want, rtol=0, atol=1e-9)


# ----------------------------------------------------------------------------------------------
# choose_alpha
# ----------------------------------------------------------------------------------------------


@SETTINGS
@given(n=st.integers(2, 300), K=st.one_of(st.none(), st.integers(2, 30)), u=st.floats(0.01, 0.99))
def test_choose_alpha_reaches_the_mean(n, K, u):
    upper = n if K is None else K * (1 - (1 - 1 / K) ** n)
    target = 1 + u * (upper - 1)
    p = kplus_prior(n, choose_alpha(n, target, K=K), K=K)
    assert float((p * p.k_plus).sum()) == pytest.approx(target, rel=1e-9)


# ----------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------

BAD = [
    (lambda: kplus_prior(0, 1.0), "n must be >= 1"),
    (lambda: kplus_prior(2.5, 1.0), "n must be a whole number"),
    (lambda: kplus_prior(10, 0.0), "alpha must be positive"),
    (lambda: kplus_prior(10, -1), "alpha must be positive"),
    (lambda: kplus_prior(10, np.nan), "alpha must be positive and finite"),
    (lambda: kplus_prior(10, scipy.stats.norm()), "alpha's hyperprior norm"),
    (lambda: kplus_prior(10, 1.0, K=0), "K must be >= 1"),
    (lambda: kplus_prior(10, 1.0, K=2.5), "K must be a whole number"),
    (lambda: mfm_kplus_prior(10, [0.5, -0.1, 0.6], alpha=1.0), "K_prior must be a pmf"),
    (lambda: mfm_kplus_prior(10, [0.2, 0.3], alpha=1.0), "K_prior must sum to 1"),
    (lambda: mfm_kplus_prior(10, [0.8, 0.3], gamma=1.0), "K_prior must sum to 1"),
    (lambda: mfm_kplus_prior(10, np.ones((2, 2)) / 4, gamma=1.0), "K_prior must be 1-dimensional"),
    (lambda: mfm_kplus_prior(10, xr.DataArray([0.5, 0.5], coords={"K": [0, 1]}), gamma=1.0),
     "K_prior's coordinate 'K' must be 1, 2"),
    (lambda: mfm_kplus_prior(10, [1.0], alpha=1.0, gamma=1.0), "exactly one of alpha"),
    (lambda: mfm_kplus_prior(10, [1.0]), "exactly one of alpha"),
    (lambda: mfm_kplus_prior(10, [1.0], gamma=-2.0), "gamma must be positive"),
    (lambda: choose_alpha(10, 1.0), "mean_kplus must lie in"),
    (lambda: choose_alpha(10, 10.0), "mean_kplus must lie in"),
    (lambda: choose_alpha(20, 9.0, K=10), r"mean_kplus must lie in \(1, 8\.78"),
    (lambda: choose_alpha(20, 1.5, K=1), "cannot be reached with K=1"),
    (lambda: choose_alpha(20, np.nan), "mean_kplus must lie in"),
    (lambda: bnb_pmf(0), "k_max must be >= 1"),
    (lambda: bnb_pmf(10, a_pi=0.0), "a_pi must be positive"),
    (lambda: bnb_pmf(10, b_pi=np.inf), "b_pi must be positive and finite"),
]


@pytest.mark.parametrize(("call", "match"), BAD)
def test_bad_input_raises_one_line_value_error_with_a_fix(call, match):
    with pytest.raises(ValueError, match=match) as err:
        call()
    message = str(err.value)
    assert "\n" not in message and any(word in message for word in ("pass", "use", "ask", "reindex"))


@pytest.mark.parametrize(("call", "match"), [
    (lambda: kplus_prior("10", 1.0), "n must be an integer"),
    (lambda: kplus_prior(10, "1"), "alpha must be a number"),
    (lambda: kplus_prior(10, scipy.stats.poisson(3)), "alpha is a discrete distribution"),
    (lambda: mfm_kplus_prior(10, [1.0], alpha=1.0, joint="yes"), "joint must be True or False"),
    (lambda: bnb_pmf(10, a_lambda=scipy.stats.gamma(2)), "a_lambda is a distribution"),
])
def test_wrong_kinds_raise_type_error(call, match):
    with pytest.raises(TypeError, match=match):
        call()


def test_inputs_are_not_mutated():
    pK = bnb_pmf(50)
    arr = pK.values.copy()
    before, before_arr = pK.copy(deep=True), arr.copy()
    mfm_kplus_prior(20, pK, alpha=0.5, joint=True)
    mfm_kplus_prior(20, arr, gamma=1.0)
    xr.testing.assert_identical(pK, before)
    np.testing.assert_array_equal(arr, before_arr)
