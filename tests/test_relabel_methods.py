"""The relabelling methods added after stephens/ecr: ECR-ITERATIVE-2, PRA, AIC, data-based, SJW,
user permutations and compare_methods.

Hand-derivable toy cases (two well-separated components, half of the draws swapped: every method
must undo the swap), agreement with plain per-draw loop implementations of each algorithm,
properties (outputs are permutations, relabelling is equivariant under a random renaming of each
draw's labels and idempotent) and one-line errors for bad input.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixlab.relabel import (
    ALL_METHODS,
    DATA_METHODS,
    METHODS,
    RelabelInfo,
    central_draw,
    compare_methods,
    data_based,
    ecr_iterative,
    pra,
    relabel,
    sjw,
    sort,
    switching_report,
    user_perm,
)

PROPS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def apply(x, perm):
    """``relabeled[t, j] = x[t, perm[t, j]]`` for arrays (draws, K, ...)."""
    return np.take_along_axis(x, perm.reshape(perm.shape + (1,) * (x.ndim - 2)), axis=1)


def apply_p(p, perm):
    """The same for probabilities (draws, n, K): the component axis is the last."""
    return np.take_along_axis(p, perm[:, None, :], axis=2)


def relabel_z(z, perm):
    return np.take_along_axis(np.argsort(perm, axis=1), z, axis=1)


def is_perm(perm, k):
    return perm.dtype == np.int64 and np.array_equal(
        np.sort(perm, axis=1), np.broadcast_to(np.arange(k), perm.shape))


def undone(scramble, perm):
    """Whether relabelling by ``perm`` undoes ``scramble`` up to one global renaming."""
    return len(np.unique(np.take_along_axis(scramble, perm, axis=1), axis=0)) == 1


def globals_between(first, second):
    """Distinct global permutations g with ``second[t] = first[t][g]`` (one row: consistent)."""
    return np.unique(np.take_along_axis(np.argsort(first, axis=1), second, axis=1), axis=0)


def normal_log_weighted(y):
    """``log w + log N(y | mu, sigma)`` for values laid out as (w, mu, sigma)."""

    def log_weighted(theta):
        w, mu, sigma = theta[:, 0], theta[:, 1], theta[:, 2]
        return np.log(w) - np.log(sigma) - 0.5 * ((y[:, None] - mu) / sigma) ** 2

    return log_weighted


def toy(draws=40, n=12, every=2):
    """Two well-separated components, every second (``every``-th) draw with its labels swapped.


    Returns (y, values (draws, 2, 3) as (w, mu, sigma), z, the swap permutations).
    """
    t = np.arange(draws)
    y = np.r_[np.linspace(-3.3, -2.7, n // 2), np.linspace(2.7, 3.3, n - n // 2)]
    truth = (np.arange(n) >= n // 2).astype(np.int64)
    w = np.stack([0.45 + 0.01 * np.sin(t), 0.55 - 0.01 * np.sin(t)], axis=1)
    mu = np.stack([-3.0 + 0.05 * np.sin(t), 3.0 + 0.05 * np.cos(t)], axis=1)
    sigma = np.stack([0.5 + 0.02 * np.cos(t), 0.6 + 0.02 * np.sin(t)], axis=1)
    values = np.stack([w, mu, sigma], axis=2)
    swap = np.where((t % every == 1)[:, None], [1, 0], [0, 1]).astype(np.int64)
    return y, apply(values, swap), relabel_z(np.tile(truth, (draws, 1)), swap), swap


def toy_tree(chains=2, draws=20, n=12, lp=True, every=2):
    """The toy posterior as pm.sample returns it (DataTree), with the swap permutations."""
    y, values, z, swap = toy(chains * draws, n, every)
    comp = ("chain", "draw", "component")
    post = xr.Dataset(
        {name: (comp, values[:, :, i].reshape(chains, draws, 2))
         for i, name in enumerate(("w", "mu", "sigma"))}
        | {"z": (("chain", "draw", "obs"), z.reshape(chains, draws, n))},
        coords={"component": [0, 1]},
    )
    groups = {"posterior": post, "observed_data": xr.Dataset({"y": ("obs", y)})}
    if lp:  # the highest lp is a swapped draw: the result must not depend on it
        score = -np.abs(np.arange(chains * draws) - 7.0).reshape(chains, draws)
        groups["sample_stats"] = xr.Dataset({"lp": (("chain", "draw"), score)})
    return xr.DataTree.from_dict(groups), swap


def separated(seed, draws, n, k, noise=0.05):
    """Random well-separated mixture draws (every label with >= 2 observations in every draw),
    scrambled per draw. Returns (y, values (w, mu, sigma), z, p, scramble)."""
    rng = np.random.default_rng(seed)
    centres = 6.0 * np.arange(k)
    truth = np.arange(n) % k
    y = centres[truth] + rng.normal(0.0, 0.5, n)
    w = rng.dirichlet(50 * np.ones(k), size=draws)
    mu = centres + noise * rng.standard_normal((draws, k))
    sigma = 0.5 * np.exp(noise * rng.standard_normal((draws, k)))
    values = np.stack([w, mu, sigma], axis=2)
    logits = normal_log_weighted(y)
    p = np.stack([np.exp(logits(values[t]) - logits(values[t]).max(1, keepdims=True))
                  for t in range(draws)])
    p /= p.sum(axis=2, keepdims=True)
    z = np.tile(truth, (draws, 1))
    scramble = np.argsort(rng.random((draws, k)), axis=1)
    return (y, apply(values, scramble), relabel_z(z, scramble), apply_p(p, scramble), scramble)


def run(method, y, values, z, p, **kw):
    """One array-layer method on the inputs of :func:`separated`/:func:`toy`."""
    k = values.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "pra":
            return pra(values, **kw)
        if method == "data_based":
            return data_based(y, k, z, **kw)
        if method == "sjw":
            return sjw(values, z, normal_log_weighted(y), **kw)
        if method == "ecr_iterative-2":
            return ecr_iterative(z, k, variant=2, p=p, **kw)
        if method == "sort":
            return sort(values[:, :, 1])
    raise AssertionError(method)


NEW_ARRAY = ["pra", "data_based", "sjw", "ecr_iterative-2"]


# ----------------------------------------------------------------------------------------------
# hand-derivable toy: half of the draws swapped, every method must undo the swap
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", [*NEW_ARRAY, "sort"])
def test_every_array_method_undoes_the_swap_of_half_the_draws(method):
    y, values, z, swap = toy()
    p = np.exp(np.stack([normal_log_weighted(y)(v) for v in values]))
    p /= p.sum(axis=2, keepdims=True)
    perm = run(method, y, values, z, p)
    assert is_perm(perm, 2)
    # relabelled, every draw is the same labelling: perm[t] is the swap of draw t, or its opposite
    assert undone(swap, perm)
    relabelled = apply(values, perm)
    assert (np.diff(np.sign(relabelled[:, :, 1]), axis=0) == 0).all()


@pytest.mark.parametrize("method", ALL_METHODS)
def test_relabel_undoes_the_swap_with_every_method(method):
    # Stephens' algorithm starts from the identity, a fixed point when exactly half of the draws
    # are swapped (the average classification is flat): a property of the algorithm, which is
    # left as it is; it gets a third of the draws swapped
    tree, swap = toy_tree(every=3 if method == "stephens" else 2)
    kwargs = {"perm": swap} if method == "user" else {}
    out = relabel(tree, method, **kwargs)["posterior"]
    mu = out["mu"].values.reshape(-1, 2)
    assert (mu[:, 0] < 0).all() or (mu[:, 0] > 0).all(), method
    z = out["z"].values.reshape(-1, 12)
    assert (z == z[0]).all()
    assert out["relabel_perm"].attrs["method"] == method
    if method in ("sort", "aic", "user"):
        np.testing.assert_array_equal(out["relabel_perm"].values.reshape(-1, 2), swap)


def test_aic_is_sort_under_its_label_switching_name():
    tree, _ = toy_tree()
    a = relabel(tree, "aic", by="sigma")["posterior"].to_dataset()
    b = relabel(tree, "sort", by="sigma")["posterior"].to_dataset()
    xr.testing.assert_equal(a.drop_vars("relabel_perm"), b.drop_vars("relabel_perm"))
    np.testing.assert_array_equal(a["relabel_perm"], b["relabel_perm"])


def test_pra_by_hand():
    # pivot (-2, 3); draw 1 holds (3.1, -1.9): inner products 3.1*-2 + -1.9*3 = -11.9 (identity)
    # and -1.9*-2 + 3.1*3 = 13.1 (swap), so the swap
    values = np.array([[-2.0, 3.0], [3.1, -1.9]])
    np.testing.assert_array_equal(pra(values, pivot=0), [[0, 1], [1, 0]])
    np.testing.assert_array_equal(pra(values, pivot=[3.0, -2.0]), [[1, 0], [0, 1]])
    # scale=True: the units of each parameter do not matter; the central draw ignores labels
    rng = np.random.default_rng(3)
    v = rng.standard_normal((20, 3, 2))
    np.testing.assert_array_equal(pra(v * [1.0, 1e3], scale=True), pra(v, scale=True))
    assert central_draw(v[:, ::-1]) == central_draw(v)


def test_data_based_by_hand():
    y = np.array([0.0, 0.2, 0.1, 10.0, 10.2, 10.1])
    z = np.array([[0, 0, 0, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 1, 1, 0, 0, 0]])
    info = data_based(y, 2, z, return_info=True)
    np.testing.assert_array_equal(info.perm, [[0, 1], [1, 0], [1, 0]])
    np.testing.assert_allclose(info.details["centre"][:, 0], [0.1, 10.1])
    np.testing.assert_allclose(info.details["scale"][:, 0], np.full(2, np.sqrt(0.02 / 3)))
    assert info.converged and info.iterations == 1 and info.method == "data_based"
    # from the swapped draw the centres come out in the other order, the partition is the same
    np.testing.assert_array_equal(data_based(y, 2, z, start=1), [[1, 0], [0, 1], [0, 1]])


def test_sjw_by_hand_probabilities():
    # theta fixed at the truth: the swapped draw's labels have probability ~1 of being swapped
    y = np.array([-2.0, 2.0])
    values = np.array([[[0.5, -2.0, 1.0], [0.5, 2.0, 1.0]], [[0.5, 2.0, 1.0], [0.5, -2.0, 1.0]]])
    z = np.array([[0, 1], [1, 0]])
    info = sjw(values, z, normal_log_weighted(y), init=0, return_info=True)
    np.testing.assert_array_equal(info.perm, [[0, 1], [1, 0]])
    np.testing.assert_allclose(info.details["theta"], values[0], atol=1e-6)  # e^-16 of the swap
    # log-likelihood gap of the two permutations: 2 * 0.5 * 4^2 = 16, so Pr = 1 / (1 + e^-16)
    np.testing.assert_allclose(info.details["prob"], 1 / (1 + np.exp(-16.0)))
    assert info.converged and info.iterations == 1


def test_ecr_iterative_variant_2_by_hand_and_the_default_return_is_unchanged():
    a = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7]])
    p = np.stack([a, a, a[:, ::-1]])
    z = np.array([[0, 0, 1], [0, 1, 1], [1, 1, 0]])  # sampled, the second draw off the mode
    perm = ecr_iterative(z, 2, variant=2, p=p)
    assert isinstance(perm, np.ndarray)
    np.testing.assert_array_equal(perm, [[0, 1], [0, 1], [1, 0]])
    info = ecr_iterative(z, 2, variant=2, p=p, return_info=True)
    assert isinstance(info, RelabelInfo) and info.method == "ecr_iterative-2"
    np.testing.assert_array_equal(info.perm, perm)
    assert (info.iterations, info.converged) == (2, True)
    np.testing.assert_array_equal(ecr_iterative(z, 2), ecr_iterative(z, 2, return_info=True).perm)


def test_iterative_methods_report_when_they_stop_early():
    y, values, z, p, _ = separated(0, 30, 12, 3)
    with pytest.warns(RuntimeWarning, match="did not converge in max_iter=1"):
        info = sjw(values, z, normal_log_weighted(y), max_iter=1, tol=0.0, return_info=True)
    assert (info.iterations, info.converged) == (1, False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sjw(values, z, normal_log_weighted(y), return_info=True).converged


# ----------------------------------------------------------------------------------------------
# agreement with plain per-draw loops (direct ports of the published algorithms)
# ----------------------------------------------------------------------------------------------


def loop_pra(values, target):
    k = values.shape[1]
    return np.array([max(itertools.permutations(range(k)),
                         key=lambda pm, v=v: float((v[list(pm)] * target).sum())) for v in values])


def loop_ecr2(z, p, k, max_iter=100):
    """ECR-ITERATIVE-2 from the identity and from the first draw's MAP allocation as pivot."""
    perms = list(itertools.permutations(range(k)))

    def q_pivot(perm):
        return np.mean([p[t][:, perm[t]] for t in range(len(z))], axis=0).argmax(axis=1)

    def agree(t, pm, pivot):
        return int((np.argsort(pm)[z[t]] == pivot).sum())

    runs = []
    for first in (None, p[0].argmax(axis=1)):
        perm = np.tile(np.arange(k), (len(z), 1))
        pivot = q_pivot(perm) if first is None else first
        for _ in range(max_iter):
            new = perm.copy()
            for t in range(len(z)):
                for pm in perms:
                    if agree(t, pm, pivot) > agree(t, new[t], pivot):
                        new[t] = pm
            if (new == perm).all():
                break
            perm = new
            pivot = q_pivot(perm)
        runs.append((sum(agree(t, perm[t], pivot) for t in range(len(z))), perm))
    return max(runs, key=lambda run: run[0])[1]  # the first start wins ties


def loop_sjw(values, z, log_weighted, init, max_iter=100, tol=1e-6):
    k = values.shape[1]
    perms = [np.array(pm) for pm in itertools.permutations(range(k))]
    theta = values[init]

    def probs(t, table):
        s = np.array([table[np.arange(z.shape[1]), np.argsort(pm)[z[t]]].sum() for pm in perms])
        e = np.exp(s - s.max())
        return e / e.sum()

    for _ in range(max_iter):
        table = log_weighted(theta)
        new = sum(pr * values[t][pm] for t in range(len(z))
                  for pr, pm in zip(probs(t, table), perms, strict=True)) / len(z)
        done = np.abs(new - theta).max() <= tol * (1 + np.abs(new).max())
        theta = new
        if done:
            break
    table = log_weighted(theta)
    return np.array([perms[int(np.argmax(probs(t, table)))] for t in range(len(z))]), theta


@PROPS
@given(seed=st.integers(0, 2**16), k=st.integers(2, 4), draws=st.integers(2, 8),
       p_dim=st.integers(1, 3))
def test_pra_matches_enumerating_every_permutation(seed, k, draws, p_dim):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal((draws, k, p_dim))
    np.testing.assert_array_equal(pra(values, pivot=0), loop_pra(values, values[0]))


@PROPS
@given(seed=st.integers(0, 2**16), k=st.integers(2, 4), draws=st.integers(2, 12),
       n=st.integers(2, 10))
def test_ecr_iterative_2_matches_a_loop_over_draws(seed, k, draws, n):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(k), size=(draws, n))
    z = rng.integers(0, k, (draws, n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_array_equal(ecr_iterative(z, k, variant=2, p=p), loop_ecr2(z, p, k))


@PROPS
@given(seed=st.integers(0, 2**16), k=st.integers(2, 3), draws=st.integers(2, 6),
       noise=st.sampled_from([0.05, 1.0, 3.0]))
def test_sjw_matches_a_loop_over_draws_and_permutations(seed, k, draws, noise):
    y, values, z, _, _ = separated(seed, draws, 3 * k, k, noise=noise)
    lw = normal_log_weighted(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        info = sjw(values, z, lw, init=0, return_info=True)
        perm, theta = loop_sjw(values, z, lw, init=0)
    np.testing.assert_allclose(info.details["theta"], theta, rtol=1e-9, atol=1e-9)
    if noise < 3.0:
        # at noise 3 two permutations of a draw can be equally probable to rounding, and the loop and the
        # vectorised code may pick different ones of them (seen with seed 2283, k = 3, draws = 6)
        np.testing.assert_array_equal(info.perm, perm)


@PROPS
@given(seed=st.integers(0, 2**16), k=st.integers(2, 4), draws=st.integers(1, 8), d=st.integers(1, 2))
def test_data_based_cost_is_minimal_in_every_draw(seed, k, draws, d):
    # at the returned centres and scales, no draw has a permutation of lower loss (brute force)
    rng = np.random.default_rng(seed)
    n = 3 * k
    y = rng.standard_normal((n, d))
    z = np.stack([rng.permutation(np.arange(n) % k) for _ in range(draws)])
    info = data_based(y, k, z, return_info=True)
    c, s2 = info.details["centre"], info.details["scale"] ** 2

    def loss(t, pm):
        new = np.argsort(pm)[z[t]]
        return float((((y - c[new]) ** 2) / s2[new] + np.log(s2[new])).sum())

    for t in range(draws):
        best = min(loss(t, pm) for pm in itertools.permutations(range(k)))
        assert loss(t, info.perm[t]) <= best + 1e-9 * (1 + abs(best))


# ----------------------------------------------------------------------------------------------
# properties: permutations out; equivariant under renaming each draw's labels; idempotent
# ----------------------------------------------------------------------------------------------


@PROPS
@given(seed=st.integers(0, 2**16), k=st.integers(1, 4), draws=st.integers(1, 6),
       n=st.integers(1, 8), method=st.sampled_from(NEW_ARRAY))
def test_outputs_are_permutations_for_arbitrary_inputs(seed, k, draws, n, method):
    rng = np.random.default_rng(seed)
    values = np.stack([rng.dirichlet(np.ones(k), size=draws), rng.standard_normal((draws, k)),
                       np.exp(rng.standard_normal((draws, k)))], axis=2)
    p = rng.dirichlet(np.ones(k), size=(draws, n))
    z = rng.integers(0, k, (draws, n))
    y = rng.standard_normal(n)
    copies = [a.copy() for a in (values, p, z, y)]
    assert is_perm(run(method, y, values, z, p), k)
    for a, c in zip((values, p, z, y), copies, strict=True):
        np.testing.assert_array_equal(a, c)  # inputs untouched
    perms = np.argsort(rng.random((draws, k)), axis=1)
    np.testing.assert_array_equal(user_perm(perms), perms)


@PROPS
@given(seed=st.integers(0, 2**16), k=st.integers(2, 4), draws=st.integers(2, 10),
       method=st.sampled_from(["pra", "data_based", "sjw"]))
def test_renaming_each_draws_labels_changes_nothing_but_one_global_renaming(seed, k, draws, method):
    # continuous random draws (no ties), every label with >= 2 observations in every draw
    y, values, z, p, _ = separated(seed, draws, 3 * k, k, noise=2.0)
    rename = np.argsort(np.random.default_rng(seed + 1).random((draws, k)), axis=1)
    first = run(method, y, values, z, p)
    second = run(method, y, apply(values, rename), relabel_z(z, rename), apply_p(p, rename))
    # both map the original labels to relabelled ones: the same up to one global permutation
    assert len(globals_between(first, np.take_along_axis(rename, second, axis=1))) == 1


@PROPS
@given(seed=st.integers(0, 2**16), k=st.integers(2, 4), draws=st.integers(2, 10),
       method=st.sampled_from(["pra", "data_based", "sjw"]))
def test_relabelling_a_relabelled_posterior_is_idempotent(seed, k, draws, method):
    # not ecr_iterative-2: its pivot iteration stops at a local optimum that depends on the start, and a
    # relabelled posterior is another start (3 of 300 data sets here gave a second labelling, found by
    # hypothesis under the seed shift 1155039914); pra, data_based and sjw: 0 of 300
    y, values, z, p, _ = separated(seed, draws, 3 * k, k, noise=2.0)
    first = run(method, y, values, z, p)
    again = run(method, y, apply(values, first), relabel_z(z, first), apply_p(p, first))
    assert len(globals_between(first, np.take_along_axis(first, again, axis=1))) == 1
    if method == "pra":  # same pivot draw, matched to itself: exactly the identity
        np.testing.assert_array_equal(again, np.tile(np.arange(k), (draws, 1)))


@PROPS
@given(seed=st.integers(0, 2**16), k=st.integers(2, 5), method=st.sampled_from(NEW_ARRAY))
def test_well_separated_scrambled_draws_are_all_unscrambled(seed, k, method):
    y, values, z, p, scramble = separated(seed, 30, 4 * k, k)
    perm = run(method, y, values, z, p)
    assert undone(scramble, perm)


# ----------------------------------------------------------------------------------------------
# the labelled layer: relabel, switching_report, compare_methods
# ----------------------------------------------------------------------------------------------


def test_relabel_picks_ecr_iterative_variant_2_when_given_p_and_no_allocations():
    tree, _ = toy_tree()
    post = tree["posterior"].to_dataset().drop_vars("z")
    y = tree["observed_data"]["y"].values
    values = np.stack([post[v].values.reshape(-1, 2) for v in ("w", "mu", "sigma")], axis=2)
    p = np.exp(np.stack([normal_log_weighted(y)(v) for v in values]))
    p /= p.sum(axis=2, keepdims=True)
    p_da = xr.DataArray(p.reshape(2, 20, 12, 2), dims=("chain", "draw", "obs", "component"))
    by_p = relabel(post, "ecr_iterative", p=p_da)["relabel_perm"].values.reshape(-1, 2)
    np.testing.assert_array_equal(by_p, ecr_iterative(None, 2, variant=2, p=p))
    one = relabel(post, "ecr_iterative", p=p_da, variant=1)["relabel_perm"].values.reshape(-1, 2)
    np.testing.assert_array_equal(one, ecr_iterative(p.argmax(axis=2), 2))


def test_relabel_sjw_reads_the_families_through_the_spec():
    tree, swap = toy_tree()
    out = relabel(tree, "sjw", pivot=0)["posterior"]
    np.testing.assert_array_equal(out["relabel_perm"].values.reshape(-1, 2), swap)
    # the same with the array layer and the spec's log w + log f
    post = tree["posterior"]
    values = np.stack([post[v].values.reshape(-1, 2) for v in ("w", "mu", "sigma")], axis=2)
    y = tree["observed_data"]["y"].values
    np.testing.assert_array_equal(
        sjw(values, post["z"].values.reshape(-1, 12), normal_log_weighted(y), init=0), swap)


def test_relabel_pra_uses_the_listed_variables_and_the_pivot_index():
    tree, swap = toy_tree(lp=False)
    out = relabel(tree, "pra", params=["mu"], pivot=1)["posterior"]
    np.testing.assert_array_equal(out["relabel_perm"].values.reshape(-1, 2), 1 - swap)


def test_switching_report_runs_the_new_methods_and_keeps_its_defaults():
    tree, _ = toy_tree()
    table = switching_report(tree, methods=["aic", "pra", "data_based", "sjw"])
    for m in ("aic", "pra", "data_based", "sjw"):
        assert (table[f"moved {m}"] == 0.5).all()  # each method swaps back every second draw
    default = switching_report(tree)
    assert [c for c in default.columns if c.startswith("R-hat ")] == [
        "R-hat before", "R-hat sort", "R-hat stephens", "R-hat ecr"]


def test_compare_methods_on_a_posterior_and_on_arrays():
    tree, swap = toy_tree()
    table = compare_methods(tree, ["sort", "pra", "data_based", "user"], perm=swap)
    assert list(table.index) == [("sort", "pra"), ("sort", "data_based"), ("sort", "user"),
                                 ("pra", "data_based"), ("pra", "user"), ("data_based", "user")]
    np.testing.assert_allclose(table["adjusted Rand"], 1.0)
    assert table.loc[("sort", "user"), "same permutation"] == 1.0
    z = tree["posterior"]["z"].values.reshape(-1, 12)
    identity = np.tile([0, 1], (40, 1))
    arrays = compare_methods({"swap": swap, "none": identity}, z=z)
    assert arrays.loc[("swap", "none"), "same permutation"] == 0.5
    # unrelabelled, half of the draws call the groups by the other names: modal labels are ties
    assert arrays.loc[("swap", "none"), "adjusted Rand"] < 1.0


def test_the_method_lists():
    assert set(METHODS) | set(DATA_METHODS) | {"user"} == set(ALL_METHODS)
    assert METHODS[:4] == ("sort", "stephens", "ecr", "ecr_iterative")


# ----------------------------------------------------------------------------------------------
# bad input: one-line errors
# ----------------------------------------------------------------------------------------------

Z = np.array([[0, 1, 1], [1, 0, 0]])
P = np.full((2, 3, 2), 0.5)
V = np.ones((2, 2, 3))
LW = normal_log_weighted(np.zeros(3))
TREE, SWAP = toy_tree()

BAD = [
    (lambda: ecr_iterative(Z, 2, variant=3), ValueError, "variant must be 1"),
    (lambda: ecr_iterative(Z, 2, p=P), ValueError, "p is used by variant=2 only"),
    (lambda: ecr_iterative(Z, 2, variant=2), ValueError, "variant=2 needs the assignment"),
    (lambda: ecr_iterative(Z, 2, variant=2, p=P, pivot=[0, 1, 1]), ValueError,
     "pivot applies to variant=1 only"),
    (lambda: ecr_iterative(Z, 3, variant=2, p=P), ValueError, "p has 2 component"),
    (lambda: ecr_iterative(Z[:, :2], 2, variant=2, p=P), ValueError, r"z has shape \(2, 2\)"),
    (lambda: ecr_iterative(None, 2), ValueError, "z is required by variant=1"),
    (lambda: ecr_iterative(Z, 2, variant=2, p=P * 2), ValueError, "sum to 1"),
    (lambda: pra(np.ones(3)), ValueError, "values must be 2 or 3-dimensional"),
    (lambda: pra(V, pivot=5), ValueError, r"pivot must be the index of a draw in \[0, 2\)"),
    (lambda: pra(V, pivot=np.ones((3, 3))), ValueError, r"pivot has shape \(3, 3\)"),
    (lambda: pra(V, pivot=True), TypeError, "pivot must be a draw index"),
    (lambda: pra(V, pivot=1.5), TypeError, "pivot must be a draw index"),
    (lambda: pra(np.full((2, 2), np.nan)), ValueError, "NaN or infinite"),
    (lambda: data_based(np.zeros(4), 2, Z), ValueError, "z has 3 column"),
    (lambda: data_based(np.zeros(3), 2, Z + 1), ValueError, "z holds label 2 outside"),
    (lambda: data_based(np.zeros((3, 1, 1)), 2, Z), ValueError, "y must be 1 or 2-dimensional"),
    (lambda: data_based(np.zeros(3), 2, Z, start=2), ValueError, "start must be the index"),
    (lambda: data_based([0, np.inf, 0], 2, Z), ValueError, "y contains 1 NaN or infinite"),
    (lambda: sjw(V, Z, "lw"), TypeError, "log_weighted must be a function"),
    (lambda: sjw(np.ones((2, 9)), np.zeros((2, 3), int), LW), ValueError,
     "K=9 has 362,880.*K <= 8: use stephens or ecr_iterative"),
    (lambda: sjw(V, Z[:1], LW), ValueError, "z has 1 draw"),
    (lambda: sjw(V, Z, lambda th: np.zeros((2, 2))), ValueError, r"log_weighted must return .* \(3, 2\)"),
    (lambda: sjw(V, Z, lambda th: np.full((3, 2), np.nan)), ValueError, "returned NaN or \\+inf"),
    (lambda: sjw(V, Z, LW, init=-1), ValueError, "init must be the index"),
    (lambda: sjw(V, Z, LW, tol=np.nan), ValueError, "tol must be a finite number"),
    (lambda: user_perm([[0, 0], [1, 0]]), ValueError, r"row 0 = \[0, 0\]"),
    (lambda: user_perm([[1, 2], [2, 1]]), ValueError, r"1-based\? pass perm - 1"),
    (lambda: user_perm([[0.5, 1]]), ValueError, "whole numbers"),
    (lambda: user_perm([0, 1]), ValueError, "perm must be 2-dimensional"),
    (lambda: user_perm([[0, 1, 2]], K=2), ValueError, "perm has 3 column"),
    (lambda: relabel(TREE, "user"), ValueError, "method='user' applies permutations you pass"),
    (lambda: relabel(TREE, "user", perm=SWAP[:3]), ValueError, r"perm must have shape \(2, 20, 2\)"),
    (lambda: relabel(TREE, "sort", perm=SWAP), ValueError, "perm=... applies to method user"),
    (lambda: relabel(TREE, "ecr", variant=2), ValueError, "variant=... applies to method ecr_iter"),
    (lambda: relabel(TREE, "stephens", params=["mu"]), ValueError, "params=... applies to method"),
    (lambda: relabel(TREE, "ecr_iterative", variant=0), ValueError, "variant must be 1"),
    (lambda: relabel(TREE, "pra", params=["nope"]), ValueError, "nope"),
    (lambda: relabel(TREE, "pra", pivot=[0, 1]), TypeError, "pivot must be the index of a draw"),
    (lambda: relabel(TREE, "pra", pivot=40), ValueError, r"pivot must be the index of a draw in"),
    (lambda: relabel(TREE["posterior"].to_dataset(), "data_based"), ValueError,
     "method='data_based' needs the observations"),
    (lambda: relabel(TREE["posterior"].to_dataset(), "sjw"), ValueError, "y was not given"),
    (lambda: relabel(TREE, "nope"), ValueError, "method must be one of"),
    (lambda: compare_methods(TREE, ["sort"]), ValueError, "at least 2 methods"),
    (lambda: compare_methods(TREE, ["sort", "nope"]), ValueError, "methods must be taken from"),
    (lambda: compare_methods([SWAP]), TypeError, "data must be a posterior"),
    (lambda: compare_methods({"a": SWAP, "b": SWAP}), ValueError, "pass z="),
    (lambda: compare_methods({"a": SWAP, "b": SWAP[:3]}, z=Z), ValueError, "same shape"),
    (lambda: compare_methods({"a": SWAP, "b": SWAP}, z=Z), ValueError, "z has shape"),
    (lambda: switching_report(TREE, methods=["user"]), ValueError, "methods must be taken from"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD)
def test_bad_input_gets_a_one_line_error(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_sjw_refuses_a_large_k_posterior_before_any_work():
    k = 9
    comp = ("chain", "draw", "component")
    post = xr.Dataset({"w": (comp, np.full((1, 2, k), 1 / k)), "mu": (comp, np.zeros((1, 2, k))),
                       "sigma": (comp, np.ones((1, 2, k)))})
    with pytest.raises(ValueError, match="limited to K <= 8: use stephens or ecr_iterative"):
        relabel(post, "sjw", y=np.zeros(3))


def test_stephens_reports_its_iterations_like_the_other_iterative_methods():
    from mixlab.relabel import RelabelInfo, stephens

    a = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.1, 0.9]])
    p = np.stack([a, a, a, a[:, ::-1]])
    info = stephens(p, return_info=True)
    assert isinstance(info, RelabelInfo) and info.method == "stephens"
    np.testing.assert_array_equal(info.perm, stephens(p))
    np.testing.assert_array_equal(info.perm, [[0, 1], [0, 1], [0, 1], [1, 0]])
    assert info.converged and info.iterations == 2  # one step that moves a draw, one that checks
    with pytest.warns(RuntimeWarning, match="did not converge"):
        stopped = stephens(p, max_iter=1, return_info=True)
    assert not stopped.converged and stopped.iterations == 1
    with pytest.raises(TypeError, match="return_info must be True or False"):
        stephens(p, return_info="yes")
