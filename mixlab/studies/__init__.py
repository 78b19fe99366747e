"""Analyses too long for a notebook: each is a script (``python -m mixlab.studies.<name>``) that
writes a small result table shipped in ``mixlab/data/results/``, which the book loads and
discusses beside its own reduced run; the tests run each in a reduced mode so that it cannot rot.

- :mod:`mixlab.studies.how_many` -- ``p(K | y)`` and ``p(K+ | y)`` for galaxy, acidity and enzyme by
  SMC evidence, the telescoping sampler and a Dirichlet-process mixture.
- :mod:`mixlab.studies.multimodal` -- five samplers on a constructed two-mode posterior and on the enzyme
  data's three-component mixture, against reference mode masses.
"""
