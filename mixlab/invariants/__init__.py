"""Label-invariant summaries of a mixture posterior.

The component labels of a mixture posterior are arbitrary: relabelling the components of one draw
gives the same likelihood. Summaries that do not depend on the labels are therefore safe to compute
from any posterior, relabelled or not:

- :func:`assignment_probs` -- :math:`p_{s,i,k} = \\Pr(z_i = k \\mid \\theta^{(s)}, y_i)` for every
  draw ``s`` (this one follows the labels of each draw, so summaries of it over draws are invariant
  only when they do not single out a component);
- :func:`coclustering` -- :math:`\\Pr(z_i = z_j \\mid y)`, the posterior probability that two
  observations share a component;
- :func:`predictive_density` -- the posterior of the mixture density on a grid, with a credible band;
- :func:`sample_allocations` -- one allocation ``z`` per draw, drawn from the assignment
  probabilities (posterior draws of the partition, for :mod:`mixlab.partitions`);
- :func:`n_occupied` -- the number of non-empty components per draw (for overfitted mixtures);
- :func:`count_frequencies` -- observed and predicted frequency of each count (for count models:
  rootograms, checks of the zeros); it reads predictive draws, not parameters;
- :func:`one_step_ahead` and :func:`sequential_elpd` -- :math:`\\log p(y_t \\mid y_{1:t-1}, \\theta^{(s)})`
  by the forward filter (hidden Markov models; the mixture density for independent mixtures), and
  their log score for comparing a hidden Markov model with an independent mixture.

Every function resolves its input once into a :class:`mixlab.spec.PosteriorSpec` (or takes one),
and reads each component's log-density from its family (:mod:`mixlab.families`): normal, Student-t,
multivariate normal, Poisson, negative binomial, a point mass at zero, or a registered family of your
own, with per-observation weights (mixtures of experts), hidden-Markov states and components absent
from some draws. Draws are processed in chunks (:data:`mixlab.spec.CHUNK_ELEMENTS`), so no
``(draw, obs, component)`` array larger than a few tens of megabytes is held at once; the output of
:func:`assignment_probs`, which is that array, is returned lazily (dask) when it would exceed
:data:`mixlab.spec.MAX_OUTPUT_BYTES` or the posterior is dask-backed.
"""

from mixlab.invariants._allocations import sample_allocations
from mixlab.invariants._cocluster import coclustering
from mixlab.invariants._counts import count_frequencies
from mixlab.invariants._density import predictive_density
from mixlab.invariants._occupied import n_occupied
from mixlab.invariants._probs import assignment_probs
from mixlab.invariants._sequential import one_step_ahead, sequential_elpd

__all__ = ["assignment_probs", "coclustering", "count_frequencies", "n_occupied", "one_step_ahead",
           "predictive_density", "sample_allocations", "sequential_elpd"]
