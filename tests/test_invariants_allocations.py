"""sample_allocations: the right distribution (within Monte Carlo error), reproducible, label-free
draws, one path with n_occupied, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import mixlab.spec
from mixlab.invariants import assignment_probs, n_occupied, sample_allocations
from mixlab.invariants._allocations import sample_labels
from mixlab.spec import resolve

DIMS = ("chain", "draw", "component")


def _tree(w, mu, sigma, y, **extra):
    post = {"w": (DIMS, w), "mu": (DIMS, mu), "sigma": (DIMS, sigma)}
    post.update(extra)
    return xr.DataTree.from_dict({
        "posterior": xr.Dataset(post),
        "observed_data": xr.Dataset({"y": ("obs", y)}, coords={"obs": [f"g{i}" for i in range(len(y))]}),
    })


def _repeated(n_chain, n_draw):
    """Three parameter sets (one with an absent component, NaN weight), repeated over the draws:
    each set's allocations are n_chain * n_draw / 3 draws from the same probabilities."""
    w = np.array([[0.2, 0.5, 0.3], [0.6, np.nan, 0.4], [0.1, 0.1, 0.8]])
    mu = np.array([[1.0, -1.0, 0.0], [0.5, 0.0, -0.5], [-2.0, 2.0, 0.3]])
    sigma = np.array([[1.0, 1.5, 0.7], [1.0, 1.0, 2.0], [0.5, 3.0, 1.0]])
    idx = np.arange(n_chain * n_draw).reshape(n_chain, n_draw) % 3
    return idx, w[idx], mu[idx], sigma[idx]


def test_frequencies_match_the_assignment_probabilities():
    idx, w, mu, sigma = _repeated(2, 1500)
    y = np.array([-1.2, 0.0, 0.4, 2.5])
    tree = _tree(w, mu, sigma, y)
    z = sample_allocations(tree, random_seed=1)
    assert z.dims == ("chain", "draw", "obs") and z.dtype == np.int64 and z.name == "z"
    assert list(z["obs"].values) == ["g0", "g1", "g2", "g3"]
    p = assignment_probs(tree).values
    zf, pf, setf = z.values.reshape(-1, 4), p.reshape(-1, 4, 3), idx.ravel()
    assert not np.any(zf[setf == 1] == 1)  # the absent component is never drawn
    for s in range(3):
        rows = setf == s
        m = int(rows.sum())
        prob = pf[rows][0]  # (n, K), the same in every draw of the set
        freq = np.stack([(zf[rows] == k).mean(axis=0) for k in range(3)], axis=-1)
        se = np.sqrt(prob * (1 - prob) / m)
        # 36 comparisons at 5 standard errors: a false alarm has probability ~2e-5 for any seed
        assert np.all(np.abs(freq - prob) <= 5 * se + 1e-12), (s, freq, prob)


def test_from_a_dataarray_of_probabilities():
    # probabilities as given (no reordering): P(label k) = p, checked within 5 standard errors
    p = np.array([[0.1, 0.6, 0.3], [0.0, 0.0, 1.0], [0.5, 0.5, 0.0]])
    da = xr.DataArray(np.broadcast_to(p, (2, 2000, 3, 3)), dims=("chain", "draw", "obs", "component"),
                      coords={"obs": [10, 20, 30]})
    z = sample_allocations(da, random_seed=3)
    assert z.dims == ("chain", "draw", "obs") and list(z["obs"].values) == [10, 20, 30]
    freq = np.stack([(z.values == k).mean(axis=(0, 1)) for k in range(3)], axis=-1)
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / 4000) + 1e-12)
    assert np.all(z.values[..., 1] == 2) and not np.any(z.values[..., 2] == 2)


def test_seeded_draws_repeat_and_chunking_changes_nothing(monkeypatch):
    rng = np.random.default_rng(5)
    shape = (2, 40, 3)
    w = rng.dirichlet(np.ones(3), size=shape[:2])
    tree = _tree(w, rng.normal(0, 1, shape), rng.uniform(0.5, 2, shape), rng.normal(0, 1, 25))
    a = sample_allocations(tree, random_seed=7)
    xr.testing.assert_identical(a, sample_allocations(tree, random_seed=7))
    # a Generator in the same state gives the same draws (the shifted default_rng, as check_rng)
    xr.testing.assert_identical(a, sample_allocations(tree, random_seed=np.random.default_rng(7)))
    # 80 draws x 25 uncertain observations: another seed gives other labels somewhere
    assert not np.array_equal(a.values, sample_allocations(tree, random_seed=8).values)
    monkeypatch.setattr(mixlab.spec, "CHUNK_ELEMENTS", 3 * 25 * 7)  # chunks of 7 draws
    xr.testing.assert_identical(a, sample_allocations(tree, random_seed=7))
    spec = resolve(tree)
    xr.testing.assert_identical(a, sample_allocations(spec, random_seed=7))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_relabelling_the_posterior_permutes_the_labels_only(k, n, seed):
    rng = np.random.default_rng(seed)
    shape = (2, 3, k)
    w = rng.dirichlet(np.ones(k), size=shape[:2])
    mu, sigma = rng.normal(0, 2, shape), rng.uniform(0.3, 2, shape)
    y = rng.normal(0, 2, n)
    perms = np.argsort(rng.random(shape), axis=-1)  # new component j = old perms[..., j]

    def permute(a):
        return np.take_along_axis(a, perms, axis=-1)

    z = sample_allocations(_tree(w, mu, sigma, y), random_seed=seed).values
    z_perm = sample_allocations(_tree(permute(w), permute(mu), permute(sigma), y),
                                random_seed=seed).values
    inverse = np.argsort(perms, axis=-1)  # old label l is new label inverse[..., l]
    np.testing.assert_array_equal(z_perm, np.take_along_axis(inverse, z, axis=-1))
    # n_occupied draws from the same stream: it counts the distinct labels of these allocations
    counts = n_occupied(_tree(w, mu, sigma, y), rng=seed).values
    np.testing.assert_array_equal(counts, [[len(set(row)) for row in c] for c in z])


def test_labels_of_probability_zero_are_never_drawn():
    # ten 0.1's sum to 1 - 2**-53 in floating point: a uniform just below 1 is beyond the
    # cumulative sum and would fall to the empty 11th component without the guard
    p = np.append(np.full(10, 0.1), 0.0)[None, None, :]
    u = np.array([[np.nextafter(1.0, 0.0)]])
    assert np.cumsum(p)[-2] <= u[0, 0]
    assert sample_labels(p, u)[0, 0] == 9
    assert sample_labels(p, np.zeros((1, 1)))[0, 0] == 0
    hand = np.array([[[0.25, 0.0, 0.75]]])
    assert [int(sample_labels(hand, np.array([[v]]))[0, 0]) for v in (0.0, 0.24, 0.25, 0.99)] == [0, 0, 2, 2]


def test_inputs_are_not_mutated():
    idx, w, mu, sigma = _repeated(1, 6)
    tree = _tree(w, mu, sigma, np.array([0.1, -0.4]))
    before = tree.copy(deep=True)
    sample_allocations(tree, random_seed=0)
    xr.testing.assert_identical(tree, before)


def test_bad_input_is_explained(monkeypatch):
    idx, w, mu, sigma = _repeated(1, 6)
    tree = _tree(w, mu, sigma, np.array([0.1, -0.4]))
    with pytest.raises(TypeError, match="random_seed must be a numpy.random.Generator"):
        sample_allocations(tree, random_seed="seven")
    with pytest.raises(ValueError, match="random_seed seed must be non-negative"):
        sample_allocations(tree, random_seed=-1)
    with pytest.raises(TypeError, match="idata must be a posterior"):
        sample_allocations(np.zeros((2, 3)))
    p = assignment_probs(tree)
    with pytest.raises(TypeError, match="y and x do not apply"):
        sample_allocations(p, y=[0.0, 1.0])
    with pytest.raises(TypeError, match="do not apply to a DataArray"):
        sample_allocations(p, family="normal")
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        sample_allocations(p * 2)
    with pytest.raises(ValueError, match="no observed_data variable 'y'"):
        sample_allocations(tree["posterior"].to_dataset().pipe(
            lambda ds: xr.DataTree.from_dict({"posterior": ds})))
    hmm = tree["posterior"].to_dataset().assign(
        w=(DIMS, np.full((1, 6, 3), 1 / 3)),
        P=(("chain", "draw", "component", "component_to"), np.full((1, 6, 3, 3), 1 / 3)))
    with pytest.raises(ValueError, match="hidden Markov model.*sample the states in the model"):
        sample_allocations(hmm, y=[0.0, 1.0])
    monkeypatch.setattr(mixlab.spec, "MAX_OUTPUT_BYTES", 64)
    with pytest.raises(ValueError, match=r"6 draws x 2 observations needs .* GiB.* thin the posterior"):
        sample_allocations(tree, random_seed=0)
