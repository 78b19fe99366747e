"""Exact priors on the number of clusters K+ that mixture priors induce (no simulation).

How many clusters does a prior expect before it sees data? Among ``n`` observations, K+ counts the
components that receive at least one. These functions compute its prior probabilities exactly:

- :func:`kplus_prior` -- a Dirichlet process (Antoniak 1974) or a sparse finite mixture with a
  symmetric Dirichlet on K weights (Malsiner-Walli et al. 2016), for a fixed concentration or a
  hyperprior on it;
- :func:`mfm_kplus_prior` -- a mixture of finite mixtures, static or dynamic (Fruhwirth-Schnatter
  et al. 2021), with K drawn from a prior such as
- :func:`bnb_pmf` -- the beta-negative-binomial prior on K of the telescoping paper;
- :func:`choose_alpha` -- the concentration that gives a chosen prior mean of K+.

Each result is an ``xarray.DataArray`` over ``k_plus``; its mean is ``(p * p.k_plus).sum()``.
"""

from mixlab.priors._kplus import choose_alpha, kplus_prior
from mixlab.priors._mfm import bnb_pmf, mfm_kplus_prior

__all__ = ["bnb_pmf", "choose_alpha", "kplus_prior", "mfm_kplus_prior"]
