"""Evidence for the number of components: log marginal likelihoods and the posterior over K.

The posterior over the number of components combines the evidence ``p(y | K)`` of each K-component
model with a prior ``p(K)``. This module estimates the evidence two ways and combines it:

- :func:`smc_start` and :func:`sample_smc`: sequential Monte Carlo (``pm.sample_smc``) started from
  valid particles. PyMC's own start draws from the prior ignoring ordered transforms, so a model with
  ordered means fails at once; the particles here are prior draws with every ordered vector sorted,
  which are exact draws from the *normalised* prior restricted to the ordered cone (the order
  statistics of exchangeable draws). SMC's estimate multiplies mean likelihood increments and never
  evaluates the prior's normalising constant, so started this way it estimates the evidence of the
  symmetric model directly: it needs **no** ``log K!`` correction;
- :func:`importance_log_evidence`: importance sampling with a Student-t proposal fitted to posterior
  draws on the unconstrained scale. It evaluates the density PyMC gives the model, which on an
  ordered cone integrates to ``1/K!`` (it is the symmetric prior's density, restricted), so its raw
  answer is ``log p(y | K) - log K!``; the function adds ``log K!`` back and reports both;
- :func:`log_evidence` reads the per-chain estimates out of an SMC posterior and
  :func:`posterior_over_k` turns estimates for several K and a prior into ``p(K | y)``, with the
  spread over independent runs.
"""

from mixlab.evidence._importance import importance_log_evidence
from mixlab.evidence._kpost import log_evidence, posterior_over_k
from mixlab.evidence._start import sample_smc, smc_start

__all__ = ["importance_log_evidence", "log_evidence", "posterior_over_k", "sample_smc", "smc_start"]
