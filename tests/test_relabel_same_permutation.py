"""same_permutation: against brute force over the global renamings, its properties, what
compare_methods reports, the labelled layer's relabel_perm, and clear errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from mixlab.relabel import compare_methods, relabel, same_permutation


@st.composite
def perm_pairs(draw):
    k = draw(st.integers(1, 4))
    s = draw(st.integers(1, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    a = np.argsort(rng.random((s, k)), axis=1)
    b = np.argsort(rng.random((s, k)), axis=1)
    same = draw(st.lists(st.booleans(), min_size=s, max_size=s))
    renaming = rng.permutation(k)
    b[same] = a[same][:, np.argsort(renaming)]  # b = a up to one renaming on these draws
    return a, b


def brute_force(a, b):
    """Largest share of draws with b[t, m] == a[t] for one renaming m of the labels (a loop)."""
    k = a.shape[1]
    return max(np.mean([np.array_equal(b[t][list(m)], a[t]) for t in range(a.shape[0])])
               for m in itertools.permutations(range(k)))


@settings(max_examples=40, deadline=None)
@given(perm_pairs())
def test_agrees_with_brute_force_and_is_symmetric(pair):
    a, b = pair
    got = same_permutation(a, b)
    assert got == pytest.approx(brute_force(a, b), abs=1e-12)
    assert got == same_permutation(b, a)
    assert 1 / a.shape[0] - 1e-12 <= got <= 1.0
    assert same_permutation(a, a) == 1.0


def test_hand_example_and_a_global_renaming():
    a = np.array([[0, 1, 2], [2, 0, 1], [1, 2, 0], [0, 2, 1]])
    renamed = a[:, [2, 0, 1]]  # every draw named by the same other names: full agreement
    assert same_permutation(a, renamed) == 1.0
    b = renamed.copy()
    b[3] = [0, 1, 2]  # one draw labelled differently
    assert same_permutation(a, b) == 0.75
    # the chapter's share of draws labelled differently is one minus this
    assert 1.0 - same_permutation(a, b) == 0.25
    # (chain, draw, K) arrays are flattened over their leading axes
    assert same_permutation(a.reshape(2, 2, 3), b.reshape(2, 2, 3)) == 0.75


def test_compare_methods_reports_it():
    rng = np.random.default_rng(4)
    perms = {m: np.argsort(rng.random((30, 3)), axis=1) for m in ("x", "y", "z")}
    perms["z"][:20] = perms["x"][:20]
    z = rng.integers(0, 3, size=(30, 5))
    table = compare_methods(perms, z=z)
    for (m, other), row in table.iterrows():
        assert row["same permutation"] == same_permutation(perms[m], perms[other])
    assert table.loc[("x", "z"), "same permutation"] >= 20 / 30


def test_relabel_perm_of_two_relabelled_posteriors():
    # draws of two well-separated components, the second half with the labels swapped: sort and
    # stephens undo the swap and agree on every draw
    rng = np.random.default_rng(2)
    mu = np.array([-3.0, 3.0]) + rng.normal(0, 0.1, (1, 40, 2))
    mu[:, 20:] = mu[:, 20:, ::-1]
    y = np.concatenate([rng.normal(-3, 1, 15), rng.normal(3, 1, 15)])
    post = xr.Dataset({"w": (("chain", "draw", "component"), np.full((1, 40, 2), 0.5)),
                       "mu": (("chain", "draw", "component"), mu),
                       "sigma": (("chain", "draw", "component"), np.ones((1, 40, 2)))})
    tree = xr.DataTree.from_dict({"posterior": post, "observed_data": xr.Dataset({"y": ("obs", y)})})
    a = relabel(tree, method="sort").posterior["relabel_perm"]
    b = relabel(tree, method="stephens").posterior["relabel_perm"]
    assert a.dims[-1] == "component"
    assert same_permutation(a, b) == 1.0
    identity = np.tile([0, 1], (40, 1))
    assert same_permutation(a, identity) == 0.5


def test_bad_input_is_explained():
    a = np.array([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"perm_a has shape \(2, 2\) and perm_b \(1, 2\).*same draws"):
        same_permutation(a, a[:1])
    with pytest.raises(ValueError, match=r"perm_a must hold a permutation of 0..1 in every row"):
        same_permutation([[0, 0], [1, 0]], a)
    with pytest.raises(ValueError, match=r"1-based\? pass perm_b - 1"):
        same_permutation(a, a + 1)
    with pytest.raises(ValueError, match="perm_a must hold one permutation per draw"):
        same_permutation([0, 1], a)
    with pytest.raises(TypeError, match="perm_a must be"):
        same_permutation(xr.Dataset(), a)
    with pytest.raises(TypeError, match="perm_b must be numeric"):
        same_permutation(a, [["a", "b"], ["b", "a"]])
    before = a.copy()
    same_permutation(a, a[:, ::-1])
    np.testing.assert_array_equal(a, before)
