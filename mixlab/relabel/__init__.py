r"""Post-hoc relabelling of mixture posteriors: the algorithms of R's ``label.switching``.

The likelihood of a mixture does not change when its components are renamed, so a sampler that
visits several labellings (or chains that settle in different ones) makes per-component summaries
meaningless: this is *label switching*. Relabelling algorithms choose, for every draw, the
permutation of the labels that makes the draws agree with each other; applying it to every
component-indexed variable gives a posterior whose per-component summaries mean something again.

The module mirrors the R package ``label.switching`` (Papastamoulis 2016) in two layers:

**Array layer** (numpy in, numpy out), every function returning ``perm`` of shape ``(draws, K)``:

- :func:`sort` -- order the components of each draw by a quantity such as the means;
- :func:`stephens` -- Stephens' (2000) Kullback-Leibler algorithm, from assignment probabilities;
- :func:`ecr` and :func:`ecr_iterative` -- the equivalence-classes-representatives algorithm of
  Papastamoulis & Iliopoulos (2010), from allocations (sampled or MAP labels); ``variant=2`` of
  :func:`ecr_iterative` takes its pivot from assignment probabilities (Rodriguez & Walker 2014);
- :func:`pra` -- pivotal reordering (Marin, Mengersen & Robert 2005): every draw's component
  parameters matched to those of a pivot draw (default :func:`central_draw`);
- :func:`data_based` -- the data-based relabelling of Rodriguez & Walker (2014): clusters matched
  to centres and scales estimated from the data and the allocations;
- :func:`sjw` -- the probabilistic relabelling of Sperrin, Jasra & Wit (2010), an EM over the
  ``K!`` permutations of every draw weighted by the complete-data likelihood (``K <= 8``);
- :func:`user_perm` -- checks permutations computed elsewhere.

``label.switching``'s ``aic`` (artificial identifiability constraint: order the components by one
parameter) is :func:`sort`; :func:`relabel` accepts ``method="aic"`` as its alias. The iterative
methods (:func:`ecr_iterative`, :func:`data_based`, :func:`sjw`) return a :class:`RelabelInfo`
(permutations, iterations, convergence) when called with ``return_info=True``.

The convention is that of ``label.switching``::

    relabeled[t, j] = original[t, perm[t, j]]      # np.take_along_axis(x, perm, axis=1)

so component ``j`` after relabelling is component ``perm[t, j]`` of draw ``t`` before.

**Labelled layer** (xarray in, xarray out):

- :func:`relabel` -- compute the permutations with one of the methods and apply them to *every*
  variable of the posterior that has the ``component`` dim, and to allocation variables such as
  ``z``; the permutations are stored as ``relabel_perm``;
- :func:`switching_evidence` -- evidence of switching in one component variable (R-hat as
  labelled and sorted, rank deviation, share of draws off the modal ordering, chains that
  disagree), for any number of components;
- :func:`switching_report` -- R-hat before and after each method, rank evidence of switching and
  the share of draws each method moved, as a table;
- :func:`same_permutation` -- the share of draws on which two relabellings agree, once their
  names for the components are matched;
- :func:`compare_methods` -- for several methods at once, that share for each pair and the
  adjusted Rand index of their single-best clusterings.

:data:`METHODS` need at most probabilities, allocations or component variables;
:data:`DATA_METHODS` also need the observations; :data:`ALL_METHODS` adds ``"user"``.

Assignment problems (one per draw) are solved exactly: for ``K <= 4`` by enumerating all ``K!``
permutations for every draw at once (one matrix product), for larger ``K`` with
:func:`scipy.optimize.linear_sum_assignment` in a tight loop over draws (2-5 microseconds per draw
on the machine the threshold was measured on; see ``benchmarks/bench_relabel.py``). When several
permutations tie for the optimum, the current one (the identity at the start) is kept, so that
results are deterministic and every iterative method stops.

Modules of the package (all private; import from ``mixlab.relabel``): ``_assign`` (assignment
solver), ``_checks`` (input checks), ``_result`` (:class:`RelabelInfo`), ``_stephens``
(:func:`sort`, :func:`stephens`), ``_ecr`` (:func:`ecr`, :func:`ecr_iterative`), ``_pra``
(:func:`pra`, :func:`central_draw`, :func:`user_perm`), ``_data_based`` (:func:`data_based`),
``_sjw`` (:func:`sjw`), ``_inputs`` (what the labelled layer reads from a posterior),
``_dispatch`` (the labelled layer of the newer methods), ``_posterior`` (:func:`relabel`),
``_report`` (:func:`switching_evidence`, :func:`switching_report`) and ``_compare``
(:func:`same_permutation`, :func:`compare_methods`).
"""

from mixlab.relabel._assign import ENUMERATE_MAX_K
from mixlab.relabel._checks import ALL_METHODS, DATA_METHODS, METHODS
from mixlab.relabel._compare import compare_methods, same_permutation
from mixlab.relabel._data_based import data_based
from mixlab.relabel._ecr import ecr, ecr_iterative
from mixlab.relabel._posterior import relabel
from mixlab.relabel._pra import central_draw, pra, user_perm
from mixlab.relabel._report import switching_evidence, switching_report
from mixlab.relabel._result import RelabelInfo
from mixlab.relabel._sjw import SJW_MAX_K, sjw
from mixlab.relabel._stephens import CLIP, sort, stephens

__all__ = [
    "ALL_METHODS",
    "CLIP",
    "DATA_METHODS",
    "ENUMERATE_MAX_K",
    "METHODS",
    "SJW_MAX_K",
    "RelabelInfo",
    "central_draw",
    "compare_methods",
    "data_based",
    "ecr",
    "ecr_iterative",
    "pra",
    "relabel",
    "same_permutation",
    "sjw",
    "sort",
    "stephens",
    "switching_evidence",
    "switching_report",
    "user_perm",
]
