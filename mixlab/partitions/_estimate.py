"""Point estimates of a partition: minimise the posterior expected Binder or VI loss."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import xarray as xr

from mixlab._validate import check_int, check_rng
from mixlab.partitions import _search
from mixlab.partitions._inputs import canonical, read_draws
from mixlab.partitions._loss import Objective, check_loss

__all__ = ["EXACT_MAX_N", "PartitionEstimate", "point_estimate"]

#: Largest n whose partitions are all enumerated (Bell(10) = 115,975 partitions).
EXACT_MAX_N = 10

#: Largest Bell(n) x distinct draws x n for which ``method="auto"`` enumerates under the VI loss.
EXACT_MAX_WORK = 3 * 10**8

#: Starts of the search runs, in turn.
_STARTS = ("sequential", "draw", "one cluster")

_BELL = (1, 1, 2, 5, 15, 52, 203, 877, 4140, 21147, 115975)


class PartitionEstimate(NamedTuple):
    """The result of :func:`point_estimate`."""

    #: Labels 0..k-1 of the n observations, in order of first appearance: a numpy array for a
    #: numpy input, a DataArray (dim ``obs``, the input's observation coordinate, attrs ``loss``
    #: and ``expected_loss``) for an xarray input.
    partition: np.ndarray | xr.DataArray
    #: Posterior expected loss of ``partition`` (VI in nats, or the Binder share of pairs).
    expected_loss: float
    #: How it was found: ``loss``, ``method`` ("exact" or "search"), ``n_draws``,
    #: ``n_distinct_draws``, ``n_clusters``, and for the search ``runs`` (one dict per run:
    #: ``start`` ("sequential", "draw" or "one cluster"), ``sweeps``, ``expected_loss``) and
    #: ``best_run``; for "exact" ``n_partitions``.
    info: dict


def all_partitions(n):
    """Every partition of n items as restricted growth strings, shape (Bell(n), n), int8."""
    rgs = np.zeros((1, 1), dtype=np.int8)
    top = np.zeros(1, dtype=np.int64)  # largest label so far in each row
    for _ in range(1, n):
        reps = top + 2
        rows = np.repeat(np.arange(rgs.shape[0]), reps)
        new = np.arange(rows.size) - np.repeat(np.cumsum(reps) - reps, reps)
        rgs = np.column_stack([rgs[rows], new.astype(np.int8)])
        top = np.maximum(top[rows], new)
    return rgs


def _exact_vi(z, w):
    n = z.shape[1]
    rgs = all_partitions(n)
    same_c = rgs[:, :, None] == rgs[:, None, :]
    logs = np.log(np.maximum(np.arange(n + 1), 1))
    own = logs[same_c.sum(-1)].sum(-1)
    same_c = same_c.astype(np.float32)
    same_z = (z[:, :, None] == z[:, None, :]).astype(np.float32)
    cross = np.zeros(rgs.shape[0])
    step = max(1, 2**22 // rgs.shape[0])
    for s in range(0, z.shape[0], step):
        sl = slice(s, s + step)
        for i in range(n):
            m = np.rint(same_c[:, i, :] @ same_z[sl, i, :].T).astype(np.intp)
            cross += logs[m] @ w[sl]
    return rgs, own - 2.0 * cross  # n times the expected VI, up to a constant


def _exact_binder(psm):
    n = psm.shape[0]
    rgs = all_partitions(n)
    i, j = np.triu_indices(n, 1)
    return rgs, (rgs[:, i] == rgs[:, j]).astype(float) @ (1.0 - 2.0 * psm[i, j])


def point_estimate(draws, *, loss="vi", method="auto", n_starts=8, max_sweeps=50, rng=None,
                   var_name="z", group="posterior", sample_dims=("chain", "draw"), obs_dim="obs"):
    r"""The partition that minimises the posterior expected VI or Binder loss.

    A clustering is a partition, not a labelling, so no relabelling is needed: the estimate is

    .. math:: \hat c = \arg\min_c \frac1S \sum_{s=1}^S L(c, c^{(s)})

    over the posterior draws :math:`c^{(s)}` of the partition. For ``loss="vi"`` (Wade &
    Ghahramani 2018) :math:`L` is the variation of information (:func:`vi_distance`), averaged
    exactly from the contingency tables of the candidate with every draw (not the lower bound
    that uses only the co-clustering matrix). For ``loss="binder"`` :math:`L` is the share of
    discordant pairs (:func:`binder_distance`), whose average depends on the draws only through
    the co-clustering matrix (computed by :func:`mixlab.invariants.coclustering`).

    ``method="exact"`` enumerates every partition (n at most ``EXACT_MAX_N`` = 10);
    ``method="search"`` is a SALSO-style local search (Dahl, Johnson & Mueller 2022): each of
    ``n_starts`` runs starts from sequential allocation (observations added one at a time in a
    random order, each to the cluster that keeps the loss smallest), from a random posterior
    draw, or from the one-cluster partition, in turn, then sweeps over the observations, moving
    each to its best cluster (or a new one), until a sweep moves none; the best run wins. The
    starts complement each other: under the VI loss, sequential allocation on a noisy posterior
    tends to keep every observation apart (two observations join only when they share a cluster
    in more than half of the draws) and a draw can be a local optimum, while VI's optimum can have
    fewer clusters than any draw. A sweep costs O(n x draws x clusters), so partitions with
    hundreds of clusters are slow to search. ``"auto"`` enumerates when
    n <= 10 (for VI also only while Bell(n) x distinct draws x n <= 3 x 10^8), and searches
    otherwise. A local search may stop at a local optimum:
    more starts lower that risk.

    Parameters
    ----------
    draws : array_like of int, xarray.DataTree, xarray.Dataset or xarray.DataArray
        Posterior draws of the partition: an allocation array of shape (draws, n) with any
        integer labels; a DataTree/Dataset whose ``group`` holds sampled labels ``var_name``
        with dims ``(*sample_dims, obs_dim)`` (what ``pymc_extras.marginal.recover`` adds for a
        model whose labels were summed out); a DataArray of such labels; or, for
        ``loss="binder"`` only, the co-clustering matrix returned by
        :func:`mixlab.invariants.coclustering` (dims ``(obs_dim, obs_dim + "2")``).
    loss : {"vi", "binder"}, default "vi"
        The loss whose posterior expectation is minimised.
    method : {"auto", "exact", "search"}, default "auto"
        Enumerate every partition, search locally, or choose by size (above).
    n_starts : int, default 8
        Runs of the local search, starting in turn from sequential allocation, a random draw
        and the one-cluster partition (without draws: sequential allocation and one cluster).
    max_sweeps : int, default 50
        Largest number of sweeps of one run.
    rng : numpy.random.Generator or int, optional
        Random orders and starting draws of the search.
    var_name, group, sample_dims, obs_dim
        Where the sampled labels are in a DataTree/Dataset (ArviZ's names).

    Returns
    -------
    PartitionEstimate
        ``partition`` (labels 0..k-1 in order of first appearance), ``expected_loss`` (as
        :func:`expected_loss` computes it) and ``info`` (how it was found). For a
        DataTree/Dataset/DataArray input, ``partition`` is a DataArray named ``"partition"``
        with dim ``obs_dim``, the input's observation coordinate (when it has one) and attrs
        ``loss`` and ``expected_loss``; for an array input, a numpy array.

    Raises
    ------
    TypeError
        If ``draws`` is of an unsupported type or holds non-numeric labels.
    ValueError
        If the labels are empty, hold NaN or non-integers; if a DataTree has no sampled labels;
        if ``loss="vi"`` gets a co-clustering matrix; for an unknown ``loss`` or ``method``; if
        ``method="exact"`` is asked for more than ``EXACT_MAX_N`` (10) observations.

    References
    ----------
    - Wade, S. and Ghahramani, Z. (2018). Bayesian cluster analysis: point estimation and
      credible balls. *Bayesian Analysis*, 13(2), 559-626.
    - Dahl, D. B., Johnson, D. J. and Mueller, P. (2022). Search algorithms and loss functions
      for Bayesian clustering. *Journal of Computational and Graphical Statistics*, 31(4),
      1189-1201.
    - Binder, D. A. (1978). Bayesian cluster analysis. *Biometrika*, 65(1), 31-38.

    Examples
    --------
    >>> from mixlab.partitions import point_estimate
    >>> draws = [[0, 0, 1, 1], [1, 1, 0, 0], [0, 0, 0, 1]]
    >>> est = point_estimate(draws)
    >>> est.partition, round(est.expected_loss, 4), est.info["method"]
    (array([0, 0, 1, 1]), 0.2747, 'exact')
    >>> point_estimate(draws, loss="binder", method="search", rng=0).partition
    array([0, 0, 1, 1])

    Labelled draws give a labelled partition:

    >>> import xarray as xr
    >>> z = xr.DataArray([draws], dims=("chain", "draw", "obs"), coords={"obs": list("abcd")})
    >>> point_estimate(z).partition.to_series().to_dict()
    {'a': 0, 'b': 0, 'c': 1, 'd': 1}
    """
    check_loss(loss)
    if method not in ("auto", "exact", "search"):
        raise ValueError(f"method must be 'auto', 'exact' or 'search', got {method!r}")
    n_starts = check_int(n_starts, "n_starts", minimum=1)
    max_sweeps = check_int(max_sweeps, "max_sweeps", minimum=1)
    rng = check_rng(rng)
    kind, values, coord = read_draws(draws, var_name=var_name, group=group,
                                     sample_dims=sample_dims, obs_dim=obs_dim,
                                     allow_psm=loss == "binder")
    score = Objective(kind, values, loss)
    z, w, psm, n = score.z, score.w, score.psm, score.n
    info = {"loss": loss}
    if kind == "labels":
        info.update(n_draws=values.shape[0], n_distinct_draws=z.shape[0])
    if method == "exact" and n > EXACT_MAX_N:
        raise ValueError(
            f"method='exact' enumerates every partition and takes n <= {EXACT_MAX_N} "
            f"observations (Bell({EXACT_MAX_N}) = {_BELL[-1]:,}), got n = {n}; use method='search'"
        )
    work = _BELL[min(n, EXACT_MAX_N)] * n * (1 if z is None else z.shape[0])
    exact = method == "exact" or (method == "auto" and n <= EXACT_MAX_N
                                  and (loss == "binder" or work <= EXACT_MAX_WORK))
    if exact:
        rgs, objective = _exact_vi(z, w) if loss == "vi" else _exact_binder(psm)
        best = canonical(rgs[int(np.argmin(objective))].astype(np.int64))[0]
        info.update(method="exact", n_partitions=rgs.shape[0])
    else:
        # the VI search reads singletons' costs from the co-clustering matrix: once, when needed
        psm_fn = score.psm_of_draws if loss == "vi" else None
        best, runs = _run_search(loss, z, w, psm if psm_fn is None else psm_fn, n, n_starts,
                                 max_sweeps, rng, score)
        info.update(method="search", runs=runs,
                    best_run=int(np.argmin([r["expected_loss"] for r in runs])))
    info["n_clusters"] = int(best.max()) + 1
    value = score(best)
    if not isinstance(draws, xr.DataTree | xr.Dataset | xr.DataArray):
        return PartitionEstimate(best, value, info)
    labelled = xr.DataArray(best, dims=(obs_dim,), coords=None if coord is None else {obs_dim: coord},
                            name="partition", attrs={"loss": loss, "expected_loss": value})
    return PartitionEstimate(labelled, value, info)


def _run_search(loss, z, w, psm, n, n_starts, max_sweeps, rng, score):
    runs, best, best_loss = [], None, np.inf
    for r in range(n_starts):
        state = _search.VIState(z, w, psm=psm) if loss == "vi" else _search.BinderState(psm)
        start = _STARTS[r % 3] if z is not None else ("sequential", "one cluster")[r % 2]
        if start == "sequential":
            _search.sequential(state, rng.permutation(n))
        elif start == "draw":
            _search.start_from(state, z[rng.choice(z.shape[0], p=w)])
        else:
            _search.start_from(state, np.zeros(n, dtype=np.int64))
        sweeps = _search.sweep(state, rng.permutation(n), max_sweeps)
        labels = canonical(state.labels)[0]
        value = score(labels)
        runs.append({"start": start, "sweeps": sweeps, "expected_loss": value})
        if value < best_loss:
            best, best_loss = labels, value
    return best, runs

