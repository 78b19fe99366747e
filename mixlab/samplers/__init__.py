"""Samplers side by side on a multimodal posterior: which modes each visits, and with what mass.

- :func:`two_mode_target` -- a PyMC model whose posterior is exactly a two-component Gaussian
  mixture (a heavy broad mode and a light narrow one, by default), so every sampler's mode masses
  can be checked against :func:`exact_masses`; :func:`mode_of` labels draws by mode and
  :func:`mixture_logpdf` is the exact density;
- :func:`run_sampler` -- one sampler with a small budget: PyMC's NUTS from dispersed starts
  (``"nuts_dispersed"``), nutpie (``"nutpie"``), sequential Monte Carlo (``"smc"``), multi-path
  Pathfinder (``"pathfinder"``) or mean-field ADVI (``"advi"``), with its wall time;
- :func:`compare_samplers` -- several at once: time, modes visited, mass per mode and its error
  against reference masses, chains that hop between modes.

What each does with separated modes (measured by ``mixlab.studies.multimodal``; the numbers
are in ``mixlab/data/results/multimodal.csv``): NUTS chains mostly stay in the basin they start in, so
many short chains from dispersed starts *find* the modes but weight them by the share of starts in
each basin, not by mass; nutpie's chains, all started near one point, usually all sit in one mode;
SMC tempers from the prior and reweights, which gets the constructed target's masses right up to
Monte Carlo error, yet gave the enzyme posterior's minor mode about 0.02% of its particles against
about 1.4% by importance sampling; multi-path Pathfinder finds the modes its paths reach, and its
importance resampling cannot restore masses that the share of paths got wrong; mean-field ADVI's
single Gaussian sits in one mode, on the enzyme posterior the minor one.
"""

from ._run import DEFAULTS, METHODS, VISIT_SHARE, compare_samplers, run_sampler
from ._target import MODES, exact_masses, mixture_logpdf, mode_of, two_mode_target

__all__ = [
    "DEFAULTS",
    "METHODS",
    "MODES",
    "VISIT_SHARE",
    "compare_samplers",
    "exact_masses",
    "mixture_logpdf",
    "mode_of",
    "run_sampler",
    "two_mode_target",
]
