"""The telescoping sampler for univariate Gaussian mixtures with an unknown number of components.

:func:`sample` runs the telescoping sampler of Frühwirth-Schnatter, Malsiner-Walli & Grün (2021) for
a generalised mixture of finite mixtures (a prior on the number of components K, static or dynamic
Dirichlet weights) with Richardson & Green's (1997) component priors, in numpy; :func:`k_posterior`
tabulates the posterior of K and of the number of clusters K+; :func:`at_k_plus` keeps the draws with
a given K+ in the layout that :func:`mixlab.relabel.relabel` and :mod:`mixlab.invariants` read.
"""

from mixlab.telescope._sample import sample
from mixlab.telescope._summaries import at_k_plus, k_posterior

__all__ = ["at_k_plus", "k_posterior", "sample"]
