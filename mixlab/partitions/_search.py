"""Local search for a partition that minimises a posterior expected loss (SALSO-style).

A state holds a partial or complete partition and answers one question fast: what does the expected
loss change by if observation i joins cluster k (each existing cluster, or a new one)? The search
starts from sequential allocation (observations added one at a time in a random order, each to its
best cluster) or from a posterior draw, then sweeps over the observations, taking each out and putting
it back where the loss is smallest, until a sweep moves none (Dahl, Johnson & Mueller 2022).
"""

from __future__ import annotations

import numpy as np

#: Above this many singleton clusters, the VI search reads their costs from the co-clustering matrix.
SINGLETONS_FROM_PSM = 32

#: Relative tolerance under which a move is not taken (keeps sweeps from cycling on ties).
_TOL = 1e-12


class VIState:
    """Expected VI against weighted draws ``z`` (U, n) with canonical labels.

    With :math:`F(x) = x \\log x`, n times the expected VI of a partition c is
    :math:`\\sum_k F(n_k) + \\bar{\\sum_j F(m_j)} - 2 \\sum_u w_u \\sum_{k,j} F(n_{ukj})`. Adding
    observation i to cluster k changes it by :math:`D(n_k) - 2 \\sum_u w_u D(n_{u k z_{ui}})`,
    :math:`D(x) = F(x+1) - F(x)`: one gather of the (U, K) slice of the contingency tables.
    For a singleton {j} this is :math:`D(1) (1 - 2 P_{ij})` with the co-clustering matrix P, so
    when many clusters are singletons their costs are read from P (``psm()``, computed once when
    first needed) and only the larger clusters touch the tables.
    """

    def __init__(self, z, weights, capacity=8, psm=None):
        self.n_draws, self.n = z.shape
        self.zt, self.w = np.ascontiguousarray(z.T), weights  # one observation's labels: a row
        x = np.arange(self.n + 2, dtype=float)
        f = x * np.log(np.where(x > 0, x, 1.0))
        self.step = np.diff(f)  # D(x) for x = 0..n
        self.rows = np.arange(self.n_draws)
        self.width = int(z.max()) + 1
        self.labels = np.full(self.n, -1, dtype=np.int64)
        self.sizes = np.zeros(capacity, dtype=np.int64)
        self.table = np.zeros((self.n_draws, self.width, capacity), dtype=np.int32)
        self._psm_fn, self._psm = psm, None

    def grow(self):
        extra = self.sizes.size
        self.sizes = np.concatenate([self.sizes, np.zeros(extra, dtype=np.int64)])
        pad = np.zeros((self.n_draws, self.width, extra), dtype=np.int32)
        self.table = np.concatenate([self.table, pad], axis=2)

    def costs(self, i):
        single = self.sizes == 1
        if self._psm_fn is None or single.sum() <= SINGLETONS_FROM_PSM:
            cells = self.table[self.rows, self.zt[i], :]
            return self.step[self.sizes] - 2.0 * (self.w @ self.step[cells])
        if self._psm is None:
            self._psm = self._psm_fn()
        cost = np.zeros(self.sizes.size)
        big = np.flatnonzero(self.sizes >= 2)
        if big.size:
            cells = self.table[self.rows[:, None], self.zt[i][:, None], big[None, :]]
            cost[big] = self.step[self.sizes[big]] - 2.0 * (self.w @ self.step[cells])
        alone = np.flatnonzero((self.labels >= 0) & single[np.maximum(self.labels, 0)])
        cost[self.labels[alone]] = self.step[1] * (1.0 - 2.0 * self._psm[i, alone])
        return cost

    def add(self, i, k):
        self.labels[i] = k
        self.sizes[k] += 1
        self.table[self.rows, self.zt[i], k] += 1

    def remove(self, i):
        k = self.labels[i]
        self.labels[i] = -1
        self.sizes[k] -= 1
        self.table[self.rows, self.zt[i], k] -= 1


class BinderState:
    """Expected Binder loss from the co-clustering matrix ``psm`` (n, n).

    The expected number of discordant pairs is :math:`\\sum_{i<j} P_{ij} + \\sum_{i<j:\\,c_i=c_j}
    (1 - 2P_{ij})`, so adding i to cluster k changes it by :math:`\\sum_{j \\in k} (1 - 2P_{ij})`.
    """

    def __init__(self, psm, capacity=8):
        self.n = psm.shape[0]
        self.gain = 1.0 - 2.0 * psm
        np.fill_diagonal(self.gain, 0.0)
        self.labels = np.full(self.n, -1, dtype=np.int64)
        self.sizes = np.zeros(capacity, dtype=np.int64)

    def grow(self):
        self.sizes = np.concatenate([self.sizes, np.zeros(self.sizes.size, dtype=np.int64)])

    def costs(self, i):
        return np.bincount(self.labels + 1, weights=self.gain[i], minlength=self.sizes.size + 1)[1:]

    def add(self, i, k):
        self.labels[i] = k
        self.sizes[k] += 1

    def remove(self, i):
        self.sizes[self.labels[i]] -= 1
        self.labels[i] = -1


def _place(state, i, current=-1):
    """Put observation i (taken out) into its best cluster; return whether it moved."""
    empty = np.flatnonzero(state.sizes == 0)
    if empty.size == 0:
        state.grow()
        empty = np.flatnonzero(state.sizes == 0)
    cost = state.costs(i)
    offer = current if current >= 0 and state.sizes[current] == 0 else empty[0]
    cost[empty[empty != offer]] = np.inf  # every empty cluster costs the same: offer one
    best = int(np.argmin(cost))
    if current >= 0 and cost[current] <= cost[best] + _TOL * (1.0 + abs(cost[best])):
        best = current
    state.add(i, best)
    return best != current


def sequential(state, order):
    """Add the observations one at a time, in ``order``, each to its best cluster."""
    for i in order:
        _place(state, int(i))
    return state


def start_from(state, labels):
    """Load a complete partition (canonical labels) into an empty state."""
    while state.sizes.size <= int(labels.max()) + 1:
        state.grow()
    for i, k in enumerate(labels):
        state.add(i, int(k))
    return state


def sweep(state, order, max_sweeps):
    """Move single observations between clusters until a sweep moves none; return the sweeps run."""
    for done in range(1, max_sweeps + 1):
        moved = 0
        for i in order:
            i = int(i)
            k = int(state.labels[i])
            state.remove(i)
            moved += _place(state, i, k)
        if moved == 0:
            return done
    return max_sweeps
