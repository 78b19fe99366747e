"""Data sets that the mixture-model literature uses as benchmarks, shipped inside the package.

Nothing is downloaded: the CSV files live in ``mixlab/data/`` next to ``PROVENANCE.md`` and
``SHA256SUMS``, and every loader checks the file's checksum before parsing it, so a damaged or edited
copy fails loudly instead of silently changing the book's results.

=================  =====  ==============================  =========================
loader             n      values                          classic analysis
=================  =====  ==============================  =========================
load_galaxy        82     velocity, 1000 km/s             Richardson & Green (1997)
load_acidity       155    log acidity index               Richardson & Green (1997)
load_enzyme        245    enzymatic activity in blood     Richardson & Green (1997)
load_faithful      272    eruption time, waiting (min)    Azzalini & Bowman (1990)
load_lamb          240    movements per 5 s (a series)    Leroux & Puterman (1992)
=================  =====  ==============================  =========================
"""

from __future__ import annotations

import csv
import hashlib
from functools import cache, lru_cache
from importlib import resources

import numpy as np

__all__ = ["load_acidity", "load_enzyme", "load_faithful", "load_galaxy", "load_lamb"]

#: (file name, number of rows, column names) of every shipped data set
_FILES = {
    "galaxy": ("galaxy.csv", 82, ("velocity_1000kms",)),
    "acidity": ("acidity.csv", 155, ("log_acidity",)),
    "enzyme": ("enzyme.csv", 245, ("activity",)),
    "faithful": ("faithful.csv", 272, ("eruptions", "waiting")),
    "lamb": ("lamb.csv", 240, ("interval", "movements")),
}


def _data_file(name):
    return resources.files("mixlab.data").joinpath(name)


@lru_cache(maxsize=1)
def _checksums() -> dict[str, str]:
    sums = {}
    for line in _data_file("SHA256SUMS").read_text().splitlines():
        if line.strip():
            digest, fname = line.split()
            sums[fname] = digest
    return sums


@cache
def _load(key: str) -> np.ndarray:
    fname, n_rows, columns = _FILES[key]
    raw = _data_file(fname).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != _checksums()[fname]:
        raise OSError(
            f"mixlab/data/{fname} does not match its SHA256SUMS entry (got {digest[:12]}...); "
            "reinstall mixlab or restore the file from the repository"
        )
    rows = list(csv.reader(raw.decode("utf-8").splitlines()))
    header, body = tuple(rows[0]), rows[1:]
    if header != columns or len(body) != n_rows:
        raise OSError(
            f"mixlab/data/{fname} has columns {header} and {len(body)} rows, expected {columns} "
            f"and {n_rows}; restore the file from the repository"
        )
    values = np.array(body, dtype=float)
    values.setflags(write=False)
    return values


def load_galaxy() -> np.ndarray:
    """Velocities of 82 galaxies in the Corona Borealis region, in 1000 km/s.

    The velocities come from a redshift survey of the Corona Borealis region; galaxies that belong
    to the same supercluster move at similar speeds, so the data are a classic test of how many
    components a mixture needs. They were published by Roeder (1990) and analysed with a
    reversible-jump mixture model by Richardson and Green (1997).

    Returns
    -------
    numpy.ndarray
        Shape ``(82,)``, sorted increasingly, units of 1000 km/s. A fresh copy on every call.

    Notes
    -----
    These are Roeder's original values as used by Richardson and Green. The copy that ships with
    the R package MASS (``galaxies``, in km/s) has a transcription error: its 78th value reads
    26690 where the original is 26960 (``26.96`` here, the 79th value in sorted order). An analysis
    that loads the MASS copy gets slightly different results.

    References
    ----------
    Roeder, K. (1990). Density estimation with confidence sets exemplified by superclusters and
    voids in the galaxies. *JASA* 85, 617-624.

    Richardson, S. and Green, P. J. (1997). On Bayesian analysis of mixtures with an unknown
    number of components. *JRSS-B* 59, 731-792.

    Examples
    --------
    >>> from mixlab.datasets import load_galaxy
    >>> y = load_galaxy()
    >>> y.shape, float(y.min()), float(y.max())
    ((82,), 9.172, 34.279)
    """
    return _load("galaxy")[:, 0].copy()


def load_acidity() -> np.ndarray:
    """Acidity index of 155 lakes in north-central Wisconsin, on the log scale.

    Collected by Crawford et al. (1992); the log acidity index is bimodal and was one of the
    three data sets of Richardson and Green (1997).

    Returns
    -------
    numpy.ndarray
        Shape ``(155,)``: the log acidity index of each lake (already log-transformed, as
        analysed by Richardson and Green).

    References
    ----------
    Crawford, S. L., DeGroot, M. H., Kadane, J. B. and Small, M. J. (1992). Modeling lake-chemistry
    distributions: approximate Bayesian methods for estimating a finite-mixture model.
    *Technometrics* 34, 441-453.

    Examples
    --------
    >>> from mixlab.datasets import load_acidity
    >>> y = load_acidity()
    >>> y.shape
    (155,)
    >>> bool(2.5 < y.min() < y.max() < 7.5)
    True
    """
    return _load("acidity")[:, 0].copy()


def load_enzyme() -> np.ndarray:
    """Enzymatic activity in the blood of 245 unrelated individuals.

    The activity of an enzyme involved in the metabolism of carcinogenic substances, measured by
    Bechtel et al. (1993). Slow and fast metabolisers form two groups with very different spreads,
    which makes this the skewed, unequal-variance example of Richardson and Green (1997).

    Returns
    -------
    numpy.ndarray
        Shape ``(245,)``, non-negative activity values (no unit given by the source).

    References
    ----------
    Bechtel, Y. C., Bonaiti-Pellie, C., Poisson, N., Magnette, J. and Bechtel, P. R. (1993).
    A population and family study of N-acetyltransferase using caffeine urinary metabolites.
    *Clinical Pharmacology and Therapeutics* 54, 134-141.

    Examples
    --------
    >>> from mixlab.datasets import load_enzyme
    >>> y = load_enzyme()
    >>> y.shape, bool(y.min() >= 0)
    ((245,), True)
    """
    return _load("enzyme")[:, 0].copy()


def load_faithful() -> np.ndarray:
    """Eruption durations and waiting times of the Old Faithful geyser, Yellowstone (272 eruptions).

    The two-dimensional example: short eruptions are followed by short waits and long eruptions by
    long waits, giving two clusters in the plane (Azzalini and Bowman 1990; Hardle 1991).

    Returns
    -------
    numpy.ndarray
        Shape ``(272, 2)``: column 0 is the eruption duration and column 1 the waiting time to the
        next eruption, both in minutes.

    References
    ----------
    Azzalini, A. and Bowman, A. W. (1990). A look at some data on the Old Faithful geyser.
    *Applied Statistics* 39, 357-365.

    Hardle, W. (1991). *Smoothing Techniques with Implementation in S*. Springer.

    Examples
    --------
    >>> from mixlab.datasets import load_faithful
    >>> x = load_faithful()
    >>> x.shape
    (272, 2)
    >>> [round(float(v), 1) for v in x.mean(axis=0)]
    [3.5, 70.9]
    """
    return _load("faithful").copy()


def load_lamb() -> np.ndarray:
    """Movements of a fetal lamb in 240 consecutive 5-second intervals (counts, in time order).

    Counts of body movements of one fetal lamb observed by ultrasound, analysed by Leroux and
    Puterman (1992) with Poisson mixtures whose components are independent from one interval to the
    next and with Markov-dependent ones (a hidden Markov model). Most intervals have no movement
    (182 of 240); the rest come in bursts, so the counts are overdispersed and zero-heavy, and
    their order matters.

    Returns
    -------
    numpy.ndarray
        Shape ``(240,)``, integer counts (dtype ``int64``) in time order.

    References
    ----------
    Leroux, B. G. and Puterman, M. L. (1992). Maximum-penalized-likelihood estimation for
    independent and Markov-dependent mixture models. *Biometrics* 48, 545-558.

    Examples
    --------
    >>> import numpy as np
    >>> from mixlab.datasets import load_lamb
    >>> y = load_lamb()
    >>> y.shape, int((y == 0).sum()), int(y.max())
    ((240,), 182, 7)
    >>> np.bincount(y).tolist()
    [182, 41, 12, 2, 2, 0, 0, 1]
    """
    data = _load("lamb")
    return data[:, 1].astype(np.int64)
