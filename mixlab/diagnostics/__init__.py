"""A runnable checklist for mixture fits, and how much fitted components overlap in data space.

:func:`diagnose` turns the usual advice into a table: one row per check, each with a status
(``"pass"``, ``"warn"``, ``"fail"``, or ``"skip"`` when the input lacks what the check needs), the
measured value, the threshold, an explanation of what to do, and a reference. The checks come in
two groups:

- **sampling** (any model): number of chains, rank-normalized split R-hat, bulk and tail
  effective sample size (Vehtari et al., 2021), divergent transitions, tree-depth saturation and
  E-BFMI (Betancourt, 2017). ``arviz.diagnose`` runs the same sampling checks and prints them.
- **mixture-specific**: near-empty components, collapsing component scales, label switching
  (chains or draws that disagree on the order of the component means) and component overlap
  (pairs of components that the data cannot tell apart).

:func:`component_overlap` measures, for every posterior draw and every pair of Gaussian
components, how much the two fitted densities overlap in data space (the pair's Bayes
misclassification rate, or the overlapping coefficient of the two densities), and summarizes the
draws by a posterior mean, its Monte Carlo standard error and a credible interval.

Layout: ``_inputs`` (argument and posterior checks), ``_overlap`` (:func:`component_overlap` and
its numpy layer ``_pair_mass``/``_pair_overlap``), ``_rows`` (one function per check, each
returning one row) and ``_checklist`` (:func:`diagnose`, which runs them).
"""

from mixlab.diagnostics._checklist import diagnose
from mixlab.diagnostics._overlap import component_overlap

__all__ = ["STATUSES", "component_overlap", "diagnose"]

#: The statuses :func:`diagnose` reports, from best to worst (``"skip"``: not applicable).
STATUSES = ("pass", "warn", "fail", "skip")
