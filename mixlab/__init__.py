"""mixlab: Bayesian finite mixture models with PyMC 6 and ArviZ 1.

The package behind the book. Modules, one idea each:

- :mod:`mixlab.datasets` -- the galaxy, acidity, enzyme and Old Faithful data, shipped with the package;
- :mod:`mixlab.simulate` -- data from known mixtures;
- :mod:`mixlab.models` -- PyMC model builders with ``component`` and ``obs`` coordinates (univariate,
  regression and multivariate mixtures) and their start values;
- :mod:`mixlab.spec` -- a posterior resolved once: group, dims, variable roles, families, data;
- :mod:`mixlab.families` -- component families (normal, Student-t, multivariate normal, Poisson,
  negative binomial, point mass at zero): one registry entry each;
- :mod:`mixlab.invariants` -- label-invariant summaries (assignment probabilities, co-clustering, ...);
- :mod:`mixlab.relabel` -- post-hoc relabelling (sorting, Stephens, ECR) and a switching report;
- :mod:`mixlab.partitions` -- partition summaries: Binder/VI point estimates, credible balls;
- :mod:`mixlab.priors` -- the prior that a mixture prior implies on the number of clusters;
- :mod:`mixlab.evidence` -- SMC and importance-sampling evidence, and the posterior over K;
- :mod:`mixlab.telescope` -- the telescoping sampler for an unknown number of components;
- :mod:`mixlab.modes` -- chains in different modes: joined, summarized, grouped and stacked;
- :mod:`mixlab.samplers` -- samplers compared on a posterior whose mode masses are known;
- :mod:`mixlab.studies` -- scripts for analyses too long for a notebook, with their shipped results;
- :mod:`mixlab.marginal` -- exact label probabilities from marginalized models;
- :mod:`mixlab.diagnostics` -- a runnable checklist for mixture fits;
- :mod:`mixlab.cv` -- K-fold cross-validation for PyMC models and WAIC;
- :mod:`mixlab.timing` -- sampler timing and an ESS-per-second table;
- :mod:`mixlab.plots` -- figures of fits, co-clustering, memberships and ellipses.
"""

from mixlab._notebook import setup_notebook, watermark

__version__ = "0.1.0"

__all__ = ["__version__", "diagnose", "setup_notebook", "watermark"]


def __getattr__(name):
    # ``mixlab.diagnose(idata)`` without importing ArviZ at ``import mixlab`` time
    if name == "diagnose":
        from mixlab.diagnostics import diagnose

        return diagnose
    raise AttributeError(f"module 'mixlab' has no attribute {name!r}")
