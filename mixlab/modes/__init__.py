"""Multimodal posteriors: chains that settle in different modes, grouped, summarized and stacked.

A mixture posterior can have modes that are not label permutations of each other: on the enzyme
data a three-component Gaussian mixture has one mode with a small, a middle and a large cluster and
another that splits the small cluster in two. Chains that start in different places may settle in
different modes and stay there, or hop between them; R-hat then fails for a reason that relabelling
cannot fix. This package works with such chains rather than discarding them:

- :func:`concat_chains` -- runs of one model from different starts joined into one posterior (ArviZ
  1.x has no ``concat``; nutpie takes one start for all the chains of a run);
- :func:`chain_summary` -- one row per chain: posterior means (optionally after relabelling), the
  mean log posterior density ``lp`` and the log pointwise predictive density ``lpd``;
- :func:`chain_rhat_matrix` -- the R-hat of every pair of chains;
- :func:`group_chains` -- which chains share a mode: agglomerative grouping in which two groups
  merge when their union passes R-hat (see its docstring for the rule);
- :func:`split_chains` -- one DataTree per chain or per mode, which ``az.loo`` and ``az.compare``
  accept;
- :func:`stack_chains` -- stacking weights of the chains or modes from their leave-one-out
  predictive densities, following Yao, Vehtari & Gelman (2022), with the stacked and pooled
  LOO scores (:class:`StackingResult`);
- :func:`stacked_predictive` -- draws from the stacked mixture of chains (or modes).

Modules (all private; import from ``mixlab.modes``): ``_concat`` (:func:`concat_chains`), ``_inputs`` (what is read from a posterior,
checked), ``_summary`` (:func:`chain_summary` and its array layer :func:`lpd_per_chain`),
``_group`` (:func:`chain_rhat_matrix`, :func:`group_chains`; array layer :func:`union_rhat`,
:func:`agglomerate`) and ``_stacking`` (:func:`split_chains`, :func:`stack_chains`,
:func:`stacked_predictive`; array layer :func:`stacked_elpd`).
"""

from mixlab.modes._concat import concat_chains
from mixlab.modes._group import RULE, agglomerate, chain_rhat_matrix, group_chains, union_rhat
from mixlab.modes._inputs import LP_NAMES, RELABEL_METHODS
from mixlab.modes._stacking import (
    MIN_DRAWS,
    SPLIT_GROUPS,
    StackingResult,
    split_chains,
    stack_chains,
    stacked_elpd,
    stacked_predictive,
)
from mixlab.modes._summary import chain_summary, lpd_per_chain

__all__ = [
    "LP_NAMES",
    "MIN_DRAWS",
    "RELABEL_METHODS",
    "RULE",
    "SPLIT_GROUPS",
    "StackingResult",
    "agglomerate",
    "chain_rhat_matrix",
    "chain_summary",
    "concat_chains",
    "group_chains",
    "lpd_per_chain",
    "split_chains",
    "stack_chains",
    "stacked_elpd",
    "stacked_predictive",
    "union_rhat",
]
