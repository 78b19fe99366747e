"""Pieces of ArviZ's PSIS-LOO that mixlab needs where ``az.loo`` itself stops."""

import numpy as np


def relative_eff(posterior, n_samples):
    """The relative efficiency ``r_eff`` that ``az.loo`` uses: 1 for a single chain, else the mean
    ``ess(method="mean") / n_samples`` over every posterior variable (arviz_stats' ``_get_r_eff``)."""
    if posterior.sizes.get("chain", 1) == 1:
        return 1.0
    ess = posterior.azstats.ess(method="mean")
    return float(np.hstack([ess[v].values.ravel() for v in ess.data_vars]).mean() / n_samples)
