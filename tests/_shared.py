"""Helpers that tests/conftest.py and several test modules share: run_once, evaluate_only and samples."""

import fcntl
import os
import pickle
import tempfile
from pathlib import Path

import pytensor

from mixlab import _seedshift

_MEMO: dict = {}


def run_dir(uid):
    return Path(tempfile.gettempdir()) / f"mixlab-pytest-{uid}"


def run_once(key, fn):
    """Return ``fn()``, computed once per test run (not once per pytest-xdist worker).

    The first worker that asks computes it under a file lock and pickles it to a directory keyed by
    the xdist run uid; the others wait for the lock and read the file. The key includes the seed
    shift, so a value computed under one shift is never read under another. Without xdist the value
    is kept in memory only.
    """
    key = f"{key}-shift{_seedshift.current_shift()}"
    if key in _MEMO:
        return _MEMO[key]
    uid = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not uid:
        value = fn()
    else:
        path = run_dir(uid) / f"{key}.pkl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{path}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                if path.exists():
                    value = pickle.loads(path.read_bytes())
                else:
                    value = fn()
                    tmp = path.with_suffix(".tmp")
                    tmp.write_bytes(pickle.dumps(value))
                    tmp.replace(path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
    _MEMO[key] = value
    return value


def evaluate_only():
    """Compile graphs that are only evaluated a few times (not sampled) without a compiler.

    PyTensor's default (Numba) backend JIT-compiles every new graph, a few seconds each with a cold
    cache, and FAST_COMPILE alone still builds C thunks; with ``cxx=""`` the ops run their Python
    ``perform`` methods, the same values with no compile step (measured: mixlab.models.mv_gmm's start
    check 21.5 s default, 15.0 s FAST_COMPILE, 0.6 s FAST_COMPILE without cxx, cold caches).
    """
    return pytensor.config.change_flags(mode="FAST_COMPILE", cxx="")


def samples(fixture_function):
    """Mark a fixture as one that fits a model with a sampler (MCMC, SMC, ADVI, ...).

    Every test that uses it, directly or through another fixture, is marked ``integration``
    (tests/conftest.py), so that ``make unit`` skips it and ``make integration`` runs it. Put it under
    ``@pytest.fixture``::

        @pytest.fixture(scope="module")
        @samples
        def fit(): ...
    """
    fixture_function._mixlab_samples = True
    return fixture_function
