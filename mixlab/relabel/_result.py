"""What the iterative relabelling methods return with ``return_info=True``: :class:`RelabelInfo`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class RelabelInfo:
    """Permutations found by an iterative relabelling method, and how its iteration ended.

    Returned instead of the bare permutations by :func:`stephens`, :func:`ecr_iterative`,
    :func:`data_based` and :func:`sjw` when called with ``return_info=True``.

    Attributes
    ----------
    perm : numpy.ndarray of int64, shape (draws, K)
        ``relabeled[t, j] = original[t, perm[t, j]]``.
    iterations : int
        Number of iterations run (0 when there was nothing to do, e.g. ``K = 1``).
    converged : bool
        Whether the iteration stopped by itself (rather than at ``max_iter``).
    method : str
        Name of the method, e.g. ``"ecr_iterative-2"``.
    details : dict
        Method-specific extras, described by each method (e.g. the probability of the chosen
        permutation of every draw for :func:`sjw`).

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.relabel import ecr_iterative
    >>> info = ecr_iterative(np.array([[0, 0, 1], [1, 1, 0]]), K=2, return_info=True)
    >>> info.perm
    array([[0, 1],
           [1, 0]])
    >>> info.converged, info.method
    (True, 'ecr_iterative-1')
    """

    perm: np.ndarray
    iterations: int
    converged: bool
    method: str
    details: dict = field(default_factory=dict)
