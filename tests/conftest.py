"""Shared pytest configuration for mixlab's unit tests."""

import os
import shutil
import uuid
from dataclasses import dataclass

import numpy as np
import pytest
from _pytest.doctest import DoctestItem

os.environ.setdefault("MPLBACKEND", "Agg")
# PyTensor's C backend links to OpenBLAS through the config file that 'make venv' writes (.ci/ensure-blas)
_BLASRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".venv", "pytensorrc")
if os.path.exists(_BLASRC):
    os.environ.setdefault("PYTENSORRC", _BLASRC)

# The unit tests sample with PyTensor's default (Numba) backend. PyMC still compiles each model's
# initial-point function in FAST_COMPILE mode, which builds C thunks with g++: 21 modules with a cold
# cache in one run, paid again by every xdist worker. Without a C compiler those small graphs run their
# Ops' Python code instead (same values); graphs the tests evaluate do the same (_shared.evaluate_only).
os.environ["PYTENSOR_FLAGS"] = ",".join(filter(None, [os.environ.get("PYTENSOR_FLAGS", ""), "cxx="]))

# 'make unit' and 'make robust' set MIXLAB_SEED_SHIFT: every seed a test passes to a sampler, a simulator
# or numpy.random.default_rng is then moved, so a statistical check that holds for one seed only fails.
import pytensor  # noqa: E402

from mixlab import _seedshift  # noqa: E402

_seedshift.install()

from _shared import evaluate_only, run_dir, run_once, samples  # noqa: E402

pytensor.config.cxx = ""  # in case PyTensor was imported before this file (then the flag above came late)


def _unshifted(runtest):
    def run():
        _seedshift.uninstall()
        try:
            runtest()
        finally:
            _seedshift.install()

    return run


def _evaluated(runtest):
    def run():
        with evaluate_only():
            runtest()

    return run


def _uses_a_sampler(item):
    """Whether a test uses, directly or through other fixtures, a fixture marked with _shared.samples."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:  # doctests
        return False
    for name in info.names_closure:
        for fixturedef in info.name2fixturedefs.get(name, ()):
            if getattr(fixturedef.func, "_mixlab_samples", False):
                return True
    return False


def pytest_collection_modifyitems(config, items):
    """Mark the tests that fit a model with a sampler ``integration``: those that use a fixture marked
    with _shared.samples (tests that sample in their own body carry the mark themselves).

    Run doctests with the seeds as written, and their graphs without a compile step (evaluate_only).

    A docstring example prints the values its seed gives, the way a reader who copies it sees them; they
    are built from NumPy's generators alone, whose streams are the same on every CPU (no sampler runs in a
    doctest), so moving their seeds would test nothing but the printout. Every other test runs shifted.
    (A collection hook, because this conftest's run-time hooks do not reach the doctests under mixlab/.)
    """
    for item in items:
        if _uses_a_sampler(item):
            item.add_marker(pytest.mark.integration)
        if isinstance(item, DoctestItem):
            # no sampler runs in a doctest: its graphs are only evaluated, without a compile step
            # (mixlab.marginal.label_probs' example: 28 s with a cold Numba cache, under 1 s so)
            item.runtest = _evaluated(item.runtest)
            if _seedshift.current_shift() != 0:
                item.runtest = _unshifted(item.runtest)


# ----------------------------------------------------------------------------------------------
# Shared work: fits computed once per test run (_shared.run_once)
# ----------------------------------------------------------------------------------------------


def pytest_configure(config):
    # Under pytest-xdist every worker is its own process, so a session fixture runs once per worker.
    # Fix the run's uid in the controller (before the workers start) so that run_once can key its
    # files by it and the controller can remove them at the end.
    if not hasattr(config, "workerinput") and getattr(config.option, "testrunuid", "absent") is None:
        config.option.testrunuid = uuid.uuid4().hex


def pytest_unconfigure(config):
    uid = getattr(config.option, "testrunuid", None)
    if uid and not hasattr(config, "workerinput"):
        shutil.rmtree(run_dir(uid), ignore_errors=True)


# ----------------------------------------------------------------------------------------------
# One Gaussian mixture fit that several modules read (test_models, test_cv, test_invariants,
# test_marginal): sampled once per test run
# ----------------------------------------------------------------------------------------------

#: Two clusters 5 pooled standard deviations apart (the Bayes classifier errs on about 0.2% of
#: points), 72 and 48 points expected.
GMM_TRUTH = {"w": [0.6, 0.4], "mu": [-2.0, 3.0], "sigma": [1.0, 0.7]}
GMM_N = 120
GMM_DRAWS = 300


@dataclass
class GmmFit:
    """``mixlab.models.gmm(y, K=2)`` on simulated data, its posterior (with the pointwise
    log-likelihood) and the parameters and labels that made the data. Read it, do not modify it."""

    model: object
    idata: object
    y: np.ndarray
    z: np.ndarray
    truth: dict


@pytest.fixture(scope="session")
@samples
def gmm_fit():
    import pymc as pm

    from mixlab.models import gmm, initvals
    from mixlab.simulate import simulate_gmm

    y, z = simulate_gmm(GMM_TRUTH["w"], GMM_TRUTH["mu"], GMM_TRUTH["sigma"], n=GMM_N, rng=20261124)
    model = gmm(y, K=2)

    def sample():
        idata = pm.sample(model=model, initvals=initvals(model), draws=GMM_DRAWS, tune=300, chains=2,
                          nuts_sampler="pymc", random_seed=1, progressbar=False,
                          compute_convergence_checks=False)
        pm.compute_log_likelihood(idata, model=model, progressbar=False)
        return idata

    return GmmFit(model, run_once("gmm_fit", sample), y, z, GMM_TRUTH)
