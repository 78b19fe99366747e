"""Count builders of mixlab.models.counts: exact log densities against scipy, start values, input
checks, and the zero-inflated mixture against PyMC's built-in zero-inflated distributions.

One sampling fit (module-scoped): the same simulated zero-inflated Poisson data fitted as a
two-component mixture and with pm.ZeroInflatedPoisson, whose posteriors must agree.
"""

from __future__ import annotations

import arviz as az
import numpy as np
import pymc as pm
import pytest
from _shared import evaluate_only, run_once, samples
from pymc.initial_point import make_initial_point_fn
from pymc.model.transform.conditioning import remove_value_transforms
from scipy import stats
from scipy.special import logsumexp

from mixlab.datasets import load_lamb
from mixlab.models import initvals
from mixlab.models.counts import negative_binomial_mixture, poisson_mixture, zero_inflated

LAMB = load_lamb()

#: Every builder as f(y, K): the zero-inflated ones ignore K (they have two components).
BUILDERS = {
    "poisson": lambda y, K: poisson_mixture(y, K),
    "nb": lambda y, K: negative_binomial_mixture(y, K),
    "zip": lambda y, K: zero_inflated(y),
    "zip_builtin": lambda y, K: zero_inflated(y, kind="builtin"),
    "zip_hurdle": lambda y, K: zero_inflated(y, kind="hurdle"),
    "zinb": lambda y, K: zero_inflated(y, family="negative_binomial"),
    "zinb_builtin": lambda y, K: zero_inflated(y, family="negative_binomial", kind="builtin"),
    "zinb_hurdle": lambda y, K: zero_inflated(y, family="negative_binomial", kind="hurdle"),
}


def _count_logpmf(y, mu, alpha=None):
    """log f(y) of a Poisson (alpha None) or PyMC's NegativeBinomial(mu, alpha); y (n, 1)."""
    if alpha is None:
        return stats.poisson.logpmf(y, mu)
    return stats.nbinom.logpmf(y, alpha, alpha / (alpha + mu))


def _scipy_loglik(name, y, point):
    """The log-likelihood of ``name`` at a point of constrained values, with scipy."""
    w, mu, alpha = point["w"], point["mu"], point.get("alpha")
    yy = y[:, None].astype(float)
    if name in ("poisson", "nb"):
        return logsumexp(np.log(w) + _count_logpmf(yy, mu, alpha), axis=1).sum()
    f = np.exp(_count_logpmf(y.astype(float), mu, alpha))
    f0 = float(np.exp(_count_logpmf(0.0, mu, alpha)))
    if name.endswith("hurdle"):
        return np.where(y == 0, np.log(w[0]), np.log(w[1]) + np.log(f) - np.log1p(-f0)).sum()
    return np.log(np.where(y == 0, w[0], 0.0) + w[1] * f).sum()


def _value_point(model, start):
    return make_initial_point_fn(model=model, overrides=start, jitter_rvs=set())(0)


def _scipy_logprior(point, priors):
    """log Dirichlet(w) + log Gamma(mu) (+ log Gamma(alpha)) with the documented defaults."""
    k = point["w"].size
    rate = 1.0 / (LAMB.mean() + 0.5 * (LAMB.max() - LAMB.min()))
    out = stats.dirichlet.logpdf(point["w"], np.full(k, priors.get("w_alpha", 1.0)))
    out += stats.gamma.logpdf(
        point["mu"],
        priors.get("mu_alpha", 1.0),
        scale=1.0 / np.asarray(priors.get("mu_beta", rate)),
    ).sum()
    if "alpha" in point:
        out += stats.gamma.logpdf(
            point["alpha"],
            priors.get("alpha_alpha", 1.0),
            scale=1.0 / np.asarray(priors.get("alpha_beta", 0.1)),
        ).sum()
    return out


# --------------------------------------------------------------------------------------------
# exact log densities
# --------------------------------------------------------------------------------------------

CASES = [
    ("poisson", 1),
    ("poisson", 2),
    ("poisson", 3),
    ("nb", 1),
    ("nb", 2),
    ("zip", 2),
    ("zip_builtin", 2),
    ("zip_hurdle", 2),
    ("zinb", 2),
    ("zinb_builtin", 2),
    ("zinb_hurdle", 2),
]


@pytest.mark.parametrize(("name", "K"), CASES)
def test_log_density_equals_scipy_at_start_and_elsewhere(name, K):
    """Likelihood plus the documented default priors (Dirichlet(1) weights, Gamma(1, 1 / (mean +
    range / 2)) rates, Gamma(1, 0.1) dispersions), on the constrained scale, against scipy."""
    model = BUILDERS[name](LAMB, K)
    start = initvals(model)
    other = {k: np.asarray(v, dtype=float) for k, v in start.items()}
    other["mu"] = other["mu"] * 1.7 + 0.05
    other["w"] = other["w"][::-1].copy()
    if "alpha" in other:
        other["alpha"] = other["alpha"] * 0.3
    with evaluate_only():
        logp = remove_value_transforms(model).compile_logp(jacobian=False)
        for point in (start, other):
            expected = _scipy_loglik(name, LAMB, point) + _scipy_logprior(point, {})
            assert logp(point) == pytest.approx(expected, rel=1e-10, abs=1e-8)


def test_priors_override_is_used():
    priors = {"w_alpha": [2.0, 0.5], "mu_alpha": 2.0, "mu_beta": [1.0, 0.5], "alpha_beta": 0.3}
    model = negative_binomial_mixture(LAMB, 2, priors=priors)
    point = initvals(model)
    with evaluate_only():
        got = remove_value_transforms(model).compile_logp(jacobian=False)(point)
    expected = _scipy_loglik("nb", LAMB, point) + _scipy_logprior(point, priors)
    assert got == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("family", ["poisson", "negative_binomial"])
def test_zero_inflated_mixture_and_builtin_have_the_same_log_density(family):
    """Same free variables and priors: the same log density (with Jacobians) at any point."""
    mix = zero_inflated(LAMB, family=family)
    builtin = zero_inflated(LAMB, family=family, kind="builtin")
    assert [v.name for v in mix.value_vars] == [v.name for v in builtin.value_vars]
    rng = np.random.default_rng(3)
    with evaluate_only():
        f_mix, f_builtin = mix.compile_logp(), builtin.compile_logp()
        for _ in range(5):
            point = {v.name: rng.normal(size=v.type.shape) * 1.5 for v in mix.value_vars}
            assert f_mix(point) == pytest.approx(f_builtin(point), abs=1e-8)


def test_names_and_dims():
    model = negative_binomial_mixture(LAMB, 3)
    assert [v.name for v in model.free_RVs] == ["w", "mu", "alpha"]
    for v in ("w", "mu", "alpha"):
        assert model.named_vars_to_dims[v] == ("component",)
    assert model.named_vars_to_dims["y"] == ("obs",)
    for kind in ("mixture", "builtin", "hurdle"):
        zi = zero_inflated(LAMB, kind=kind, family="negative_binomial")
        assert zi.named_vars_to_dims["w"] == ("component",)
        assert "mu" not in zi.named_vars_to_dims and "alpha" not in zi.named_vars_to_dims
        assert list(zi.coords["component"]) == [0, 1]


def test_unordered_rates_have_no_ordered_transform():
    ordered, free = poisson_mixture(LAMB, 2), poisson_mixture(LAMB, 2, ordered=False)
    assert [v.name for v in ordered.value_vars] == ["w_simplex__", "mu_chain__"]
    assert [v.name for v in free.value_vars] == ["w_simplex__", "mu_log__"]
    assert [v.name for v in poisson_mixture(LAMB, 1).value_vars] == ["w_simplex__", "mu_log__"]


# --------------------------------------------------------------------------------------------
# start values
# --------------------------------------------------------------------------------------------

DATA = {
    "lamb": LAMB,
    "few-distinct": np.array([0, 0, 0, 0, 1, 0]),
    "all-zero": np.zeros(5, dtype=int),
    "no-zero": np.array([4, 4, 4, 9]),
}


@pytest.mark.parametrize(
    ("name", "data"),
    [(name, data) for name in ("poisson", "nb") for data in DATA]
    + [(name, data) for name in list(BUILDERS)[2:] for data in ("lamb", "all-zero")],
)
def test_initvals_are_valid_for_K_1_to_4(name, data):
    """Weights inside the simplex, rates positive and (mixtures) strictly increasing, dispersions
    positive: what makes every log density term and the ordered transform finite."""
    y = DATA[data]
    for K in range(1, 5) if name in ("poisson", "nb") else [2]:
        model = BUILDERS[name](y, K)
        start = initvals(model)
        assert sorted(start) == sorted(v.name for v in model.free_RVs)
        k = len(model.coords["component"])
        assert start["w"].shape == (k,) and np.isclose(start["w"].sum(), 1.0)
        assert np.all(start["w"] > 0)
        assert np.all(start["mu"] > 0) and np.all(np.isfinite(start["mu"]))
        if name in ("poisson", "nb"):
            assert start["mu"].shape == (K,) and np.all(np.diff(start["mu"]) > 0)
        if "alpha" in start:
            assert np.all(start["alpha"] > 0)


@pytest.mark.parametrize(
    ("name", "data", "K"),
    [
        ("poisson", "lamb", 4),
        ("nb", "few-distinct", 4),
        ("poisson", "all-zero", 3),
        ("zinb_hurdle", "all-zero", 2),
    ],
)
def test_initvals_give_a_finite_log_density(name, data, K):
    """On the sampler's (transformed) scale, including K above the number of distinct counts."""
    model = BUILDERS[name](DATA[data], K)
    with evaluate_only():
        assert np.isfinite(model.compile_logp()(_value_point(model, initvals(model))))


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(BUILDERS))
@pytest.mark.parametrize(
    ("y", "error", "match"),
    [
        ([0, 1, 2.5], ValueError, "non-integer value 2.5"),
        ([0, -1, 2], ValueError, "negative value -1"),
        ([0, np.nan, 2], ValueError, "NaN or infinite"),
        ([[0, 1], [2, 3]], ValueError, "1-D array"),
        (["a", "b"], TypeError, "numeric"),
        ([], ValueError, "at least 1 element"),
    ],
)
def test_builders_reject_non_counts(name, y, error, match):
    with pytest.raises(error, match=match):
        BUILDERS[name](y, 1)


@pytest.mark.parametrize("builder", [poisson_mixture, negative_binomial_mixture])
def test_mixtures_check_K_and_ordered(builder):
    with pytest.raises(ValueError, match="K=5 is larger than the number of observations"):
        builder([0, 1, 2, 3], 5)
    with pytest.raises(ValueError, match="K must be >= 1"):
        builder([0, 1, 2, 3], 0)
    with pytest.raises(TypeError, match="K must be an integer"):
        builder([0, 1, 2, 3], 2.0)
    with pytest.raises(TypeError, match="ordered must be True or False"):
        builder([0, 1, 2, 3], 2, ordered="yes")


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: poisson_mixture(LAMB, 2, priors={"alpha_alpha": 1.0}), "unknown key"),
        (lambda: poisson_mixture(LAMB, 2, priors={"mu_sigma": 1.0}), "known keys: w_alpha"),
        (lambda: negative_binomial_mixture(LAMB, 2, priors={"mu_beta": -1.0}), "positive"),
        (lambda: negative_binomial_mixture(LAMB, 2, priors={"alpha_beta": [1, 2, 3]}), "length"),
        (lambda: zero_inflated(LAMB, priors={"alpha_alpha": 1.0}), "unknown key"),
        (lambda: zero_inflated(LAMB, priors={"mu_beta": [1.0, 2.0]}), "single number"),
        (lambda: zero_inflated(LAMB, family="normal"), "family must be one of"),
        (lambda: zero_inflated(LAMB, kind="truncated"), "kind must be one of"),
    ],
)
def test_bad_priors_family_kind(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# --------------------------------------------------------------------------------------------
# one fit: the zero-inflated mixture and PyMC's ZeroInflatedPoisson have the same posterior
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
@samples
def zip_fits():
    rng = np.random.default_rng(17)
    n = 150
    y = np.where(rng.random(n) < 0.3, 0, rng.poisson(3.0, size=n))

    def fit(kind, seed):
        model = zero_inflated(y, kind=kind)
        return pm.sample(
            model=model,
            initvals=initvals(model),
            draws=250,
            tune=250,
            chains=2,
            cores=1,
            nuts_sampler="pymc",
            random_seed=seed,
            progressbar=False,
            compute_convergence_checks=False,
        )

    return run_once(
        "zip-mixture-vs-builtin",
        lambda: {kind: fit(kind, s) for kind, s in (("mixture", 5), ("builtin", 6))},
    )


def test_zero_inflated_mixture_and_builtin_posteriors_agree(zip_fits):
    """Different seeds: the posterior means of w[0] and mu agree within 5 combined MCSEs."""
    a, b = zip_fits["mixture"], zip_fits["builtin"]
    for var, sel in (("w", {"component": 0}), ("mu", {})):
        da, db = a.posterior[var].sel(sel), b.posterior[var].sel(sel)
        se = np.hypot(float(az.mcse(da)), float(az.mcse(db)))
        assert abs(float(da.mean()) - float(db.mean())) < 5 * se, var


# --------------------------------------------------------------------------------------------
# relabelling and the checklist on a count-mixture posterior (hand-built: no sampler)
# --------------------------------------------------------------------------------------------


def test_relabel_and_diagnose_read_a_poisson_mixture_posterior():
    import xarray as xr

    from mixlab.diagnostics import diagnose
    from mixlab.relabel import relabel

    rng = np.random.default_rng(41)
    chains, draws, n = 2, 40, 120
    z = rng.random(n) < 0.3
    y = rng.poisson(np.where(z, 6.0, 0.5))
    mu = np.stack([rng.normal(0.5, 0.05, (chains, draws)), rng.normal(6.0, 0.3, (chains, draws))], -1)
    w0 = rng.beta(70, 30, (chains, draws))
    w = np.stack([w0, 1 - w0], -1)
    flip = rng.random((chains, draws)) < 0.4  # label switching in 40% of the draws
    flip[0, 0] = False
    post = xr.Dataset(
        {
            "w": (("chain", "draw", "component"), np.where(flip[..., None], w[..., ::-1], w)),
            "mu": (("chain", "draw", "component"), np.where(flip[..., None], mu[..., ::-1], mu)),
        },
        coords={"chain": np.arange(chains), "draw": np.arange(draws), "component": [0, 1]},
    )
    # the default family is the normal: the error names the count families as the fix
    with pytest.raises(ValueError, match="family='poisson' or 'negative_binomial' for count components"):
        relabel(post, "stephens", y=y)
    out = relabel(post, "stephens", y=y, family="poisson")
    order = np.argsort(out["mu"].values[0, 0])
    np.testing.assert_allclose(out["mu"].values[..., order], mu, rtol=1e-12)
    np.testing.assert_allclose(out["w"].values[..., order], w, rtol=1e-12)
    tree = xr.DataTree.from_dict({"posterior": post, "observed_data": xr.Dataset({"y": ("obs", y)})})
    table = diagnose(tree)
    assert table.loc["collapsing scales", "status"] == "skip"  # a Poisson component has no scale
    assert table.loc["label switching", "status"] in ("fail", "warn")  # 40% of draws swapped
    assert diagnose(out).loc["label switching", "status"] == "pass"
