"""Shared pytest configuration for mixlab's unit tests."""

import os

from _pytest.doctest import DoctestItem

os.environ.setdefault("MPLBACKEND", "Agg")
# PyTensor's C backend links to OpenBLAS through the config file that 'make venv' writes (.ci/ensure-blas)
_BLASRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".venv", "pytensorrc")
if os.path.exists(_BLASRC):
    os.environ.setdefault("PYTENSORRC", _BLASRC)

# 'make unit' and 'make robust' set MIXLAB_SEED_SHIFT: every seed a test passes to a sampler, a simulator
# or numpy.random.default_rng is then moved, so a statistical check that holds for one seed only fails.
from mixlab import _seedshift  # noqa: E402

_seedshift.install()




def _unshifted(runtest):
    def run():
        _seedshift.uninstall()
        try:
            runtest()
        finally:
            _seedshift.install()

    return run


def pytest_collection_modifyitems(config, items):
    """Run doctests with the seeds as written.

    A docstring example prints the values its seed gives, the way a reader who copies it sees them; they
    are built from NumPy's generators alone, whose streams are the same on every CPU (no sampler runs in a
    doctest), so moving their seeds would test nothing but the printout. Every other test runs shifted.
    (A collection hook, because this conftest's run-time hooks do not reach the doctests under mixlab/.)
    """
    if _seedshift.current_shift() == 0:
        return
    for item in items:
        if isinstance(item, DoctestItem):
            item.runtest = _unshifted(item.runtest)
