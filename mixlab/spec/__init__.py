r"""The posterior spec: what a user passes, resolved once.

Every summary, relabelling and plot of a mixture posterior needs the same things: the group of draws,
the sample dims, the component dim, which variable plays which role (weights, locations, scales, ...),
the family of each component and the observed data. :func:`resolve` finds and checks all of them in one
place and returns a :class:`PosteriorSpec`; the functions of :mod:`mixlab.invariants` and
:mod:`mixlab.plots` accept either a spec or a posterior plus the keywords below (which they pass to
:func:`resolve`).

The spec reads only the role variables, and only when asked (:meth:`PosteriorSpec.draws`), so a
posterior opened lazily from NetCDF/Zarr (dask-backed) is never loaded whole: per-observation
variables (sampled labels, log-likelihoods) stay on disk.

Conventions of the posterior (mixlab's builders follow them):

- weights ``w`` with dims ``(*sample_dims, component)``, or ``(*sample_dims, obs, component)`` when
  the weights depend on the observation (mixtures of experts);
- a component whose weight is NaN in a draw is absent from that draw: posteriors whose number of
  components varies between draws are padded to the largest K with NaN;
- other roles with dims ``(*sample_dims, component)`` or without ``component`` (shared by every
  component), plus feature dims for vector families;
- a hidden Markov model has a transition matrix ``P`` with dims ``(*sample_dims, component,
  component_to)`` (row: state at t, column: state at t + 1) and ``w`` as the distribution of the first
  state; its assignment probabilities are the smoothed state probabilities
  :math:`\Pr(z_t = k \mid y_{1:n}, \theta)` (forward-backward), so every summary built on them
  (co-clustering, plots of memberships) works for HMMs as for mixtures.
"""

from __future__ import annotations

#: Roles whose variable names can be changed with ``var_names={role: name}``.
ROLES = ("w", "mu", "sigma", "nu", "alpha", "corr", "beta", "P", "z", "y", "x")

#: Largest number of float64 elements of one (draw, point, component) chunk (16 MiB).
CHUNK_ELEMENTS = 2**21

#: Outputs larger than this many bytes are returned lazily (dask) or refused (dense co-clustering).
MAX_OUTPUT_BYTES = 2**31

#: Keywords that say how to read a posterior (the options of :func:`resolve`).
OPTIONS = ("family", "nu", "group", "dim", "obs_dim", "sample_dims", "var_names")


def chunk_slices(n_samples, per_draw):
    """Slices over draws such that each chunk holds at most ``CHUNK_ELEMENTS`` elements."""
    size = max(1, CHUNK_ELEMENTS // max(1, per_draw))
    return [slice(s, min(s + size, n_samples)) for s in range(0, n_samples, size)]


# the limits above are defined first: the modules below read them from here at call time
from mixlab.spec._draws import Draws  # noqa: E402
from mixlab.spec._posterior import PosteriorSpec, observed_variable  # noqa: E402
from mixlab.spec._resolve import _check_roles, resolve, resolve_options  # noqa: E402, F401

__all__ = ["CHUNK_ELEMENTS", "MAX_OUTPUT_BYTES", "OPTIONS", "ROLES", "Draws", "PosteriorSpec",
           "chunk_slices", "observed_variable", "resolve", "resolve_options"]
