"""The draws of a posterior as numpy arrays, and the forward-backward pass of hidden Markov models."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Draws", "check_transition", "smoothed_states"]


@dataclass(frozen=True)
class Draws:
    """Parameters of some draws as numpy arrays, first axis = draw (flattened sample dims).

    ``w`` is ``(S, K)`` (or ``(S, n, K)`` for per-observation weights); every other role is
    ``(S, K, *feature)``. Roles are attributes (``draws.mu``); ``present`` is False where a
    component is absent from a draw (NaN weight).
    """

    w: np.ndarray
    values: dict
    present: np.ndarray

    def __getattr__(self, role):
        values = self.__dict__.get("values", {})
        if role in values:
            return values[role]
        raise AttributeError(role)

    @property
    def n_samples(self):
        return self.w.shape[0]

    @property
    def n_components(self):
        return self.w.shape[-1]

    def take(self, sl):
        """The draws ``sl`` (a slice or an index array)."""
        return Draws(self.w[sl], {r: v[sl] for r, v in self.values.items()}, self.present[sl])

    def value_order(self, family_index):
        """Order ``(S, K)`` that puts the components of each draw in an order fixed by their values.

        Relabelling a draw permutes its components; sorting by the values (family first, then
        weight, then the other roles) undoes it, so anything computed in this order afterwards
        (labels drawn with a fixed stream of uniforms, say) ignores the labels.
        """
        w = self.w if self.w.ndim == 2 else self.w.mean(axis=1)
        keys = [np.broadcast_to(family_index, w.shape).astype(float), np.nan_to_num(w, nan=-1.0)]
        for role in sorted(self.values):
            v = np.nan_to_num(self.values[role])
            keys.extend(np.moveaxis(v.reshape(*v.shape[:2], -1), -1, 0))
        return np.lexsort(keys[::-1], axis=-1)

    def permuted(self, order):
        """The draws with component ``j`` of draw ``t`` taken from ``order[t, j]``."""

        def take(a, axis):
            idx = order.reshape(order.shape[:1] + (1,) * (axis - 1) + order.shape[1:]
                                + (1,) * (a.ndim - axis - 1))
            return np.take_along_axis(a, idx, axis=axis)

        return Draws(take(self.w, self.w.ndim - 1), {r: take(v, 1) for r, v in self.values.items()},
                     take(self.present, 1))

    def sorted_by_values(self, family_index):
        """The draws in :meth:`value_order`, and the family index of every sorted component."""
        order = self.value_order(family_index)
        index = np.broadcast_to(family_index, order.shape)
        return self.permuted(order), np.take_along_axis(index, order, axis=1)


def check_transition(values, name):
    """Rows of transition matrices (S, K, K) must lie on the simplex."""
    if not np.all(np.isfinite(values)) or np.any(values < 0) or not np.allclose(
        values.sum(axis=-1), 1.0, atol=1e-6
    ):
        raise ValueError(
            f"{name} must hold transition matrices whose rows are probabilities summing to 1 "
            "(finite, >= 0); pass the transition matrix as var_names={'P': ...}"
        )
    return values


def _logsumexp(a, axis):
    top = np.max(a, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(top, axis=axis) + np.log(np.sum(np.exp(a - top), axis=axis))


def smoothed_states(log_emission, draws):
    """Forward-backward in log space, vectorised over draws: Pr(z_t = k | y, theta), (S, n, K).

    ``draws.w`` is the distribution of the first state, ``draws.P`` the transition matrices.
    """
    s, n, k = log_emission.shape
    with np.errstate(divide="ignore"):
        log_p = np.log(draws.P)  # (S, K, K)
        log_init = np.log(draws.w)
    alpha = np.empty((s, n, k))
    alpha[:, 0] = log_init + log_emission[:, 0]
    for t in range(1, n):
        alpha[:, t] = _logsumexp(alpha[:, t - 1, :, None] + log_p, axis=1) + log_emission[:, t]
    beta = np.zeros((s, n, k))
    for t in range(n - 2, -1, -1):
        beta[:, t] = _logsumexp(log_p + (log_emission[:, t + 1] + beta[:, t + 1])[:, None, :],
                                axis=2)
    log_gamma = alpha + beta
    top = log_gamma.max(axis=-1, keepdims=True)
    if not np.all(np.isfinite(top)):
        raise ValueError(
            "the observations have probability 0 under every state sequence of some draw; check "
            "the family, the transition matrix and the data"
        )
    gamma = np.exp(log_gamma - top)
    return gamma / gamma.sum(axis=-1, keepdims=True)
