"""Partitions: distances, point estimates and credible balls, checked against hand-derived values,
brute force over pairs and over all set partitions, invariance to relabelling, and clear errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from mixlab.invariants import coclustering
from mixlab.partitions import (
    EXACT_MAX_N,
    PartitionEstimate,
    adjusted_rand,
    binder_distance,
    credible_ball,
    point_estimate,
    vi_distance,
)

SETTINGS = settings(max_examples=30, deadline=None)

labels = st.lists(st.integers(-3, 4), min_size=1, max_size=12)


@st.composite
def label_pairs(draw, max_size=12):
    n = draw(st.integers(1, max_size))
    a = draw(st.lists(st.integers(-3, 4), min_size=n, max_size=n))
    b = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
    return np.array(a), np.array(b)


@st.composite
def draw_sets(draw, n_max=6, s_max=8):
    """A small allocation array (draws x n) with arbitrary integer labels."""
    n = draw(st.integers(1, n_max))
    s = draw(st.integers(1, s_max))
    flat = draw(st.lists(st.integers(0, 3), min_size=n * s, max_size=n * s))
    return np.array(flat).reshape(s, n)


# ----------------------------------------------------------------------------------------------
# Independent (slow, obvious) references
# ----------------------------------------------------------------------------------------------


def pair_counts(a, b):
    """(together in both, only in a, only in b, apart in both), by looping over pairs."""
    out = [0, 0, 0, 0]
    for i, j in itertools.combinations(range(len(a)), 2):
        sa, sb = a[i] == a[j], b[i] == b[j]
        out[(0 if sa else 2) + (0 if sb else 1)] += 1
    return out


def entropy(a):
    _, counts = np.unique(a, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def vi_reference(a, b):
    """H(a) + H(b) - 2 I(a, b), with the mutual information summed cell by cell."""
    n = len(a)
    mi = 0.0
    for u in set(a):
        for v in set(b):
            nuv = sum(1 for x, y in zip(a, b, strict=True) if x == u and y == v)
            if nuv:
                nu, nv = list(a).count(u), list(b).count(v)
                mi += nuv / n * math.log(n * nuv / (nu * nv))
    return entropy(a) + entropy(b) - 2 * mi


def set_partitions(items):
    """Every partition of ``items`` (recursive; independent of the package's enumeration)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in set_partitions(rest):
        for k in range(len(part)):
            yield part[:k] + [[first, *part[k]]] + part[k + 1:]
        yield [[first], *part]


def as_labels(blocks, n):
    out = np.empty(n, dtype=int)
    for k, block in enumerate(blocks):
        out[block] = k
    return out


def brute_force(draws, loss):
    """Smallest mean loss over every partition, by looping over partitions and draws."""
    n = draws.shape[1]
    dist = vi_distance if loss == "vi" else binder_distance
    best = np.inf
    for blocks in set_partitions(list(range(n))):
        c = as_labels(blocks, n)
        best = min(best, np.mean([dist(c, d) for d in draws]))
    return best


def relabel_each(draws, rng):
    """Every draw's labels replaced through its own random permutation (and shifted)."""
    out = np.empty_like(draws)
    for t, row in enumerate(draws):
        perm = rng.permutation(row.max() + 1) + 10 * t
        out[t] = perm[row]
    return out


def is_canonical(c):
    """Labels 0..k-1 in order of first appearance."""
    seen = list(dict.fromkeys(c.tolist()))
    return seen == list(range(len(seen)))


def noisy_draws(seed, n, s=40, k=3, flip=0.15):
    """Draws around a true partition: each label re-drawn with probability ``flip``."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, size=n)
    z = np.tile(truth, (s, 1))
    mask = rng.random(z.shape) < flip
    z[mask] = rng.integers(0, k + 1, size=mask.sum())
    return relabel_each(z, rng)


# ----------------------------------------------------------------------------------------------
# Distances
# ----------------------------------------------------------------------------------------------


def test_hand_example_two_by_two():
    a, b = [0, 0, 1, 1], [0, 1, 0, 1]
    # pairs (0,1), (2,3) together in a only; (0,2), (1,3) together in b only: 4 of 6 discordant
    assert binder_distance(a, b, normalize=False) == 4.0
    assert binder_distance(a, b) == pytest.approx(4 / 6)
    # H(a) = H(b) = log 2 and the two are independent: VI = 2 log 2
    assert vi_distance(a, b) == pytest.approx(2 * np.log(2), abs=1e-12)
    # sum C(n_kl, 2) = 0, A = B = 2, E = 2 * 2 / 6: ARI = (0 - 2/3) / (2 - 2/3) = -1/2
    assert adjusted_rand(a, b) == pytest.approx(-0.5, abs=1e-12)


def test_hand_example_extremes():
    one, single = [7, 7, 7, 7], [0, 1, 2, 3]
    assert vi_distance(one, single) == pytest.approx(np.log(4))  # the largest VI, log n
    assert binder_distance(one, single) == 1.0  # every pair discordant
    assert adjusted_rand(one, single) == 0.0
    # VI to one cluster is the entropy: H(3/4, 1/4)
    h = -(0.75 * np.log(0.75) + 0.25 * np.log(0.25))
    assert vi_distance(one, [0, 0, 0, 1]) == pytest.approx(h)
    assert vi_distance([5], [9]) == 0.0 and binder_distance([5], [9]) == 0.0
    assert adjusted_rand([5], [9]) == 1.0


@given(label_pairs())
@SETTINGS
def test_distances_match_pair_and_cell_references(pair):
    a, b = pair
    both, only_a, only_b, neither = pair_counts(a, b)
    n_pairs = both + only_a + only_b + neither
    assert binder_distance(a, b, normalize=False) == only_a + only_b
    assert binder_distance(a, b) == pytest.approx((only_a + only_b) / n_pairs if n_pairs else 0.0)
    assert vi_distance(a, b) == pytest.approx(vi_reference(a, b), abs=1e-10)
    # Hubert & Arabie's ARI from the four pair counts (Steinley 2004, eq. 4)
    den = (both + only_a) * (only_a + neither) + (both + only_b) * (only_b + neither)
    if den:
        ari = 2 * (both * neither - only_a * only_b) / den
        assert adjusted_rand(a, b) == pytest.approx(ari, abs=1e-10)


@given(label_pairs(), st.integers(0, 2**31))
@SETTINGS
def test_distances_invariant_to_relabelling(pair, seed):
    a, b = pair
    rng = np.random.default_rng(seed)
    pa = (rng.permutation(20) - 5)[a + 3]
    pb = rng.permutation(20)[b]
    for f in (binder_distance, vi_distance, adjusted_rand):
        assert f(pa, pb) == pytest.approx(f(a, b), abs=1e-12)


@given(labels, labels, labels)
@SETTINGS
def test_vi_is_a_metric(a, b, c):
    n = min(len(a), len(b), len(c))
    a, b, c = np.array(a[:n]), np.array(b[:n]), np.array(c[:n])
    assert vi_distance(a, b) == pytest.approx(vi_distance(b, a), abs=1e-12)
    assert vi_distance(a, c) <= vi_distance(a, b) + vi_distance(b, c) + 1e-10
    assert vi_distance(a, a) == 0.0 and adjusted_rand(a, a) == 1.0 and binder_distance(a, a) == 0
    same = len(set(zip(a.tolist(), b.tolist(), strict=True))) == len(set(a.tolist())) == len(set(b.tolist()))
    assert (vi_distance(a, b) < 1e-12) == same
    assert 0 <= vi_distance(a, b) <= np.log(n) + 1e-12
    # VI to the one-cluster and to the all-singletons partition: H(b) and log n - H(b)
    assert vi_distance(np.zeros(n), b) == pytest.approx(entropy(b), abs=1e-10)
    assert vi_distance(np.arange(n), b) == pytest.approx(np.log(n) - entropy(b), abs=1e-10)


# ----------------------------------------------------------------------------------------------
# Point estimates
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["vi", "binder"])
@given(draws=draw_sets(n_max=5))
@SETTINGS
def test_exact_estimate_agrees_with_brute_force(loss, draws):
    est = point_estimate(draws, loss=loss, method="exact")
    dist = vi_distance if loss == "vi" else binder_distance
    mean = np.mean([dist(est.partition, d) for d in draws])
    assert est.expected_loss == pytest.approx(mean, abs=1e-10)
    assert est.expected_loss == pytest.approx(brute_force(draws, loss), abs=1e-10)
    assert is_canonical(est.partition) and est.partition.size == draws.shape[1]
    assert est.info["method"] == "exact" and est.info["n_clusters"] == est.partition.max() + 1


@pytest.mark.parametrize("method", ["exact", "search"])
def test_estimate_hand_example_one_cluster_against_singletons(method):
    # mass q on one cluster and 1 - q on the singletons of n = 3: E[VI(c)] = q H(c) +
    # (1 - q)(log 3 - H(c)), smallest at H(c) = 0 for q = 2/3 and at H(c) = log 3 for q = 1/3,
    # both times (log 3) / 3; the co-clustering is q off the diagonal, so Binder agrees, at 1/3
    one, single = [4, 4, 4], [2, 0, 1]
    for draws, want in (([one, one, single], [0, 0, 0]), ([one, single, single], [0, 1, 2])):
        vi = point_estimate(draws, method=method, rng=0)
        binder = point_estimate(draws, loss="binder", method=method, rng=0)
        np.testing.assert_array_equal(vi.partition, want)
        np.testing.assert_array_equal(binder.partition, want)
        assert vi.expected_loss == pytest.approx(np.log(3) / 3)
        assert binder.expected_loss == pytest.approx(1 / 3)


@pytest.mark.parametrize("loss", ["vi", "binder"])
@pytest.mark.parametrize("seed", range(6))
def test_search_reaches_the_exact_optimum(loss, seed):
    draws = noisy_draws(seed, n=8, flip=0.1 + 0.05 * seed)
    exact = point_estimate(draws, loss=loss, method="exact")
    found = point_estimate(draws, loss=loss, method="search", rng=seed)
    assert found.expected_loss == pytest.approx(exact.expected_loss, abs=1e-10)
    assert found.info["method"] == "search" and len(found.info["runs"]) == 8
    assert {r["start"] for r in found.info["runs"]} == {"sequential", "draw", "one cluster"}


def test_search_recovers_a_clear_partition_beyond_enumeration():
    rng = np.random.default_rng(3)
    truth = np.repeat([0, 1, 2, 3], 15)
    noise = rng.integers(0, 4, size=(200, 60))
    draws = relabel_each(np.where(rng.random((200, 60)) < 0.9, truth, noise), rng)
    for loss in ("vi", "binder"):
        est = point_estimate(draws, loss=loss, rng=0)
        assert est.info["method"] == "search"
        assert vi_distance(est.partition, truth) == 0.0
        # no single move lowers the loss: compare with every one-observation move
        dist = vi_distance if loss == "vi" else binder_distance
        for i in (0, 17, 59):
            for k in range(est.partition.max() + 2):
                moved = est.partition.copy()
                moved[i] = k
                assert np.mean([dist(moved, d) for d in draws]) >= est.expected_loss - 1e-12


@pytest.mark.parametrize("loss", ["vi", "binder"])
@given(draws=draw_sets(n_max=7), seed=st.integers(0, 2**31))
@SETTINGS
def test_estimates_invariant_to_relabelling_each_draw(loss, draws, seed):
    rng = np.random.default_rng(seed)
    shuffled = relabel_each(draws, rng)
    for method in ("exact", "search"):
        a = point_estimate(draws, loss=loss, method=method, rng=1)
        b = point_estimate(shuffled, loss=loss, method=method, rng=1)
        assert np.array_equal(a.partition, b.partition)
        assert a.expected_loss == pytest.approx(b.expected_loss, abs=1e-12)
        assert is_canonical(b.partition)


def test_estimate_from_a_datatree_and_from_the_coclustering_matrix():
    draws = noisy_draws(0, n=9, s=12)
    z = xr.DataArray(draws.reshape(3, 4, 9), dims=("chain", "draw", "obs"))
    tree = xr.DataTree.from_dict({"posterior": xr.Dataset({"z": z})})
    for loss in ("vi", "binder"):
        want = point_estimate(draws, loss=loss)
        for data in (tree, tree["posterior"].to_dataset(), z):
            got = point_estimate(data, loss=loss)
            assert np.array_equal(got.partition, want.partition)
            assert got.expected_loss == pytest.approx(want.expected_loss)
    via_psm = point_estimate(coclustering(z), loss="binder")
    assert np.array_equal(via_psm.partition, point_estimate(draws, loss="binder").partition)
    renamed = xr.DataTree.from_dict({"posterior": xr.Dataset({"labels": z})})
    assert point_estimate(renamed, var_name="labels").partition.size == 9


def test_inputs_are_not_mutated():
    draws = noisy_draws(1, n=6)
    before = draws.copy()
    est = point_estimate(draws, method="search", rng=0)
    credible_ball(draws, est)
    binder_distance(draws[0], draws[1])
    assert np.array_equal(draws, before)


# ----------------------------------------------------------------------------------------------
# Credible ball
# ----------------------------------------------------------------------------------------------


def test_credible_ball_hand_example():
    draws = [[0, 0, 1, 1]] * 8 + [[1, 1, 1, 0], [3, 2, 1, 0]]
    ball = credible_ball(draws, [5, 5, 2, 2], prob=0.85)
    assert ball.radius == pytest.approx(np.log(2))  # VI to the singletons; 8 + 1 of 10 draws
    assert ball.coverage == pytest.approx(0.9)
    np.testing.assert_array_equal(ball.upper_vertical, [[0, 0, 1, 1]])
    np.testing.assert_array_equal(ball.lower_vertical, [[0, 1, 2, 3]])
    np.testing.assert_array_equal(ball.horizontal, [[0, 1, 2, 3]])
    wide = credible_ball(draws, [0, 0, 1, 1], prob=0.95)
    # VI to [0, 0, 0, 1]: (2 * 2 log 2 + 3 log 3 + 0 - 2 * (2 log 2 + 0 + 0)) / 4 = 3/4 log 3
    assert wide.radius == pytest.approx(0.75 * np.log(3))
    np.testing.assert_array_equal(wide.upper_vertical, [[0, 0, 0, 1]])
    assert wide.upper_vertical_distance == pytest.approx(0.75 * np.log(3))
    np.testing.assert_array_equal(wide.horizontal, [[0, 0, 0, 1]])
    binder = credible_ball(draws, [0, 0, 1, 1], prob=0.95, metric="binder")
    # to [0, 0, 0, 1]: pairs (0, 2), (1, 2), (2, 3) discordant, 3 of 6; to the singletons 2 of 6
    assert binder.radius == pytest.approx(3 / 6)
    np.testing.assert_array_equal(binder.horizontal, [[0, 0, 0, 1]])
    assert binder.metric == "binder"


@pytest.mark.parametrize("metric", ["vi", "binder"])
@given(draws=draw_sets(n_max=6, s_max=10), prob=st.floats(0.05, 0.99), seed=st.integers(0, 99))
@SETTINGS
def test_credible_ball_properties(metric, draws, prob, seed):
    est = point_estimate(draws, loss=metric)
    ball = credible_ball(draws, est, prob=prob, metric=metric)
    dist = vi_distance if metric == "vi" else binder_distance
    d = np.array([dist(est.partition, row) for row in draws])
    assert np.mean(d <= ball.radius + 1e-9) == pytest.approx(ball.coverage)
    assert ball.coverage >= prob - 1e-12
    assert np.mean(d < ball.radius - 1e-9) < prob  # no smaller ball would do
    assert dist(est.partition, est.partition) <= ball.radius  # the estimate is in its ball
    for bound, at in ((ball.upper_vertical, ball.upper_vertical_distance),
                      (ball.lower_vertical, ball.lower_vertical_distance),
                      (ball.horizontal, ball.horizontal_distance)):
        assert bound.ndim == 2 and bound.shape[1] == draws.shape[1] and bound.shape[0] >= 1
        for row in bound:
            assert dist(est.partition, row) == pytest.approx(at, abs=1e-9)
            assert is_canonical(row)
    assert ball.horizontal_distance <= ball.radius + 1e-9
    assert ball.upper_vertical.max() <= ball.lower_vertical.max()
    shuffled = relabel_each(draws, np.random.default_rng(seed))
    again = credible_ball(shuffled, (est.partition + 3) * 2, prob=prob, metric=metric)
    assert again.radius == pytest.approx(ball.radius, abs=1e-12)
    np.testing.assert_array_equal(again.horizontal, ball.horizontal)


# ----------------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "error", "match"),
    [
        ([0, 0.5, 1], [0, 1, 1], ValueError, "whole numbers"),
        ([0, np.nan, 1], [0, 1, 1], ValueError, "NaN"),
        (["a", "b"], [0, 1], TypeError, "numeric"),
        ([], [], ValueError, "at least 1"),
        ([0, 1, 1], [0, 1], ValueError, "same observations"),
        ([[0, 1]], [[0, 1]], ValueError, "1-dimensional"),
    ],
)
def test_distances_refuse_bad_labels(a, b, error, match):
    for f in (binder_distance, vi_distance, adjusted_rand):
        with pytest.raises(error, match=match):
            f(a, b)


def test_estimates_and_ball_refuse_bad_input():
    draws = np.array([[0, 0, 1], [0, 1, 1]])
    with pytest.raises(ValueError, match="whole numbers"):
        point_estimate(draws + 0.5)
    with pytest.raises(ValueError, match="NaN"):
        point_estimate(np.where(draws == 1, np.nan, 0.0))
    with pytest.raises(ValueError, match="at least 1"):
        point_estimate(np.zeros((0, 3), dtype=int))
    with pytest.raises(ValueError, match="2-dimensional"):
        point_estimate([0, 1, 1])
    with pytest.raises(ValueError, match="loss must be"):
        point_estimate(draws, loss="rand")
    with pytest.raises(ValueError, match="method must be"):
        point_estimate(draws, method="salso")
    with pytest.raises(ValueError, match=f"n <= {EXACT_MAX_N}"):
        point_estimate(np.zeros((2, EXACT_MAX_N + 1), dtype=int), method="exact")
    with pytest.raises(TypeError, match="n_starts"):
        point_estimate(draws, n_starts=2.5)
    for prob in (0.0, 1.0, 1.5, -0.1, np.nan):
        with pytest.raises(ValueError, match=r"prob must be in \(0, 1\)"):
            credible_ball(draws, [0, 0, 1], prob=prob)
    with pytest.raises(TypeError, match="prob"):
        credible_ball(draws, [0, 0, 1], prob="0.9")
    with pytest.raises(ValueError, match="metric must be"):
        credible_ball(draws, [0, 0, 1], metric="ari")
    with pytest.raises(ValueError, match="same observations|labels 2 observations"):
        credible_ball(draws, [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        credible_ball(draws, [0, np.nan, 1])


def test_a_posterior_without_labels_says_how_to_get_them():
    post = xr.Dataset({"w": (("chain", "draw", "component"), np.full((1, 2, 2), 0.5))})
    tree = xr.DataTree.from_dict({"posterior": post})
    with pytest.raises(ValueError, match=r"no sampled labels 'z'.*pymc_extras\.marginal\.recover"):
        point_estimate(tree)
    with pytest.raises(ValueError, match="pymc_extras.marginal.recover"):
        credible_ball(post, [0, 1])
    with pytest.raises(ValueError, match="has no group 'posterior'"):
        point_estimate(xr.DataTree())
    psm = coclustering(xr.DataArray([[[0, 0, 1]]], dims=("chain", "draw", "obs")))
    with pytest.raises(ValueError, match="co-clustering matrix.*sampled labels"):
        point_estimate(psm, loss="vi")
    with pytest.raises(ValueError, match="co-clustering matrix.*sampled labels"):
        credible_ball(psm, [0, 0, 1])
    assert isinstance(point_estimate(psm, loss="binder"), PartitionEstimate)


@given(draws=draw_sets(n_max=8, s_max=10), seed=st.integers(0, 2**31))
@SETTINGS
def test_vi_move_costs_from_the_coclustering_matrix_match_the_tables(draws, seed):
    from mixlab.partitions import _search
    from mixlab.partitions._inputs import canonical, distinct

    z, w = distinct(draws)
    rng = np.random.default_rng(seed)
    start = canonical(rng.integers(0, 4, size=z.shape[1]))[0]
    psm = coclustering(xr.DataArray(canonical(draws)[None], dims=("chain", "draw", "obs"))).values
    tables = _search.start_from(_search.VIState(z, w), start)
    mixed = _search.start_from(_search.VIState(z, w, psm=lambda: psm), start)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_search, "SINGLETONS_FROM_PSM", -1)  # every cost through the shortcut
        for i in range(z.shape[1]):
            k = int(start[i])
            tables.remove(i)
            mixed.remove(i)
            np.testing.assert_allclose(mixed.costs(i), tables.costs(i), atol=1e-12)
            tables.add(i, k)
            mixed.add(i, k)
