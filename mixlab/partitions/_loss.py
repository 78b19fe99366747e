"""The posterior expected VI or Binder loss of a partition: the one objective of the estimates."""

from __future__ import annotations

import numpy as np
import xarray as xr

from mixlab.invariants import coclustering
from mixlab.partitions._distances import vi_to_draws
from mixlab.partitions._inputs import canonical, check_partition, distinct, read_draws

__all__ = ["expected_loss"]

LOSSES = ("vi", "binder")


def check_loss(loss):
    if loss not in LOSSES:
        raise ValueError(f"loss must be 'vi' or 'binder', got {loss!r}")
    return loss


def expected_vi(c, z, w):
    """Posterior expected VI of ``c`` over draws ``z`` (U, n) with weights ``w``."""
    return float(w @ vi_to_draws(c, z))


def expected_binder(c, psm):
    """Expected share of discordant pairs of ``c`` given the co-clustering matrix ``psm``."""
    n = c.size
    if n < 2:
        return 0.0
    same = c[:, None] == c[None, :]
    off = ~np.eye(n, dtype=bool)
    count = 0.5 * (psm[off].sum() + (1.0 - 2.0 * psm)[same & off].sum())
    return float(max(count, 0.0) / (n * (n - 1) / 2))


def psm_of(z):
    """The co-clustering matrix of sampled labels, by mixlab.invariants.coclustering."""
    da = xr.DataArray(z[None], dims=("chain", "draw", "obs"))
    return coclustering(da).values


class Objective:
    """What the expected loss needs from what :func:`read_draws` read: for VI the distinct draws
    ``z`` (U, n) and their weights ``w``; for Binder the co-clustering matrix ``psm``."""

    def __init__(self, kind, values, loss):
        self.loss = loss
        self._labels = values if kind == "labels" else None
        if kind == "labels":
            self.z, self.w = distinct(values)
            self.n = self.z.shape[1]
        else:
            self.z, self.w, self.n = None, None, values.shape[0]
        self.psm = values if kind == "psm" else None
        if loss == "binder":
            self.psm = self.psm_of_draws()

    def psm_of_draws(self):
        """The co-clustering matrix of the draws, computed once when first needed."""
        if self.psm is None:
            self.psm = psm_of(canonical(self._labels))
        return self.psm

    def __call__(self, c):
        """The expected loss of a canonical partition ``c`` (n,)."""
        return expected_vi(c, self.z, self.w) if self.loss == "vi" else expected_binder(c, self.psm)


def expected_loss(partition, draws, loss="vi", *, var_name="z", group="posterior",
                  sample_dims=("chain", "draw"), obs_dim="obs"):
    r"""The posterior expected VI or Binder loss of a partition.

    .. math:: \bar L(c) = \frac1S \sum_{s=1}^S L(c, c^{(s)})

    over the posterior draws :math:`c^{(s)}` of the partition: the quantity that
    :func:`point_estimate` minimises, computed the same way (its ``expected_loss`` is this value
    at its estimate), so candidate partitions (from another method, a chapter's own guess, the
    truth of a simulation) can be compared with the estimate. For ``loss="vi"``, :math:`L` is
    :func:`vi_distance` (nats), computed from the contingency tables of the candidate with every
    distinct draw at once; for ``loss="binder"``, :func:`binder_distance` (share of discordant
    pairs), whose average depends on the draws only through the co-clustering matrix. Labels are
    arbitrary, in the candidate and in every draw.

    Parameters
    ----------
    partition : array_like of int, shape (n,), xarray.DataArray or PartitionEstimate
        The candidate: one label per observation (any integers), or the result of
        :func:`point_estimate`.
    draws : array_like of int, xarray.DataTree, xarray.Dataset or xarray.DataArray
        Posterior draws of the partition, as for :func:`point_estimate`: an allocation array
        (draws, n), sampled labels in a DataTree/Dataset or DataArray, or, for
        ``loss="binder"`` only, the co-clustering matrix of
        :func:`mixlab.invariants.coclustering`.
    loss : {"vi", "binder"}, default "vi"
        The loss averaged over the draws.
    var_name, group, sample_dims, obs_dim
        Where the sampled labels are in a DataTree/Dataset (ArviZ's names).

    Returns
    -------
    float
        The expected loss: VI in nats (between 0 and log n), or the expected share of discordant
        pairs (in [0, 1]).

    Raises
    ------
    TypeError
        If an input is of an unsupported type or holds non-numeric labels.
    ValueError
        If labels are empty, hold NaN or non-integers; if ``partition`` and the draws label
        different numbers of observations; for an unknown ``loss``; if ``loss="vi"`` gets a
        co-clustering matrix; if a DataTree has no sampled labels.

    References
    ----------
    - Wade, S. and Ghahramani, Z. (2018). Bayesian cluster analysis: point estimation and
      credible balls. *Bayesian Analysis*, 13(2), 559-626.
    - Binder, D. A. (1978). Bayesian cluster analysis. *Biometrika*, 65(1), 31-38.

    Examples
    --------
    Two of the three draws are the candidate (loss 0, whatever their labels); the third is at
    VI = (3/4) log 3 from it:

    >>> import numpy as np
    >>> from mixlab.partitions import expected_loss
    >>> draws = [[0, 0, 1, 1], [1, 1, 0, 0], [0, 0, 0, 1]]
    >>> round(expected_loss([5, 5, 2, 2], draws), 4)
    0.2747
    >>> bool(np.isclose(expected_loss([0, 0, 1, 1], draws), np.log(3) / 4))
    True
    >>> round(expected_loss([0, 0, 1, 1], draws, loss="binder"), 4)  # 3 of 6 pairs, in 1 of 3 draws
    0.1667
    """
    from mixlab.partitions._estimate import PartitionEstimate

    check_loss(loss)
    kind, values, _ = read_draws(draws, var_name=var_name, group=group, sample_dims=sample_dims,
                                 obs_dim=obs_dim, allow_psm=loss == "binder")
    if isinstance(partition, PartitionEstimate):
        partition = partition.partition
    c = canonical(check_partition(partition, "partition"))[0]
    objective = Objective(kind, values, loss)
    if c.size != objective.n:
        raise ValueError(
            f"partition labels {c.size} observations but the draws label {objective.n}; pass a "
            "partition of the same observations"
        )
    return objective(c)
