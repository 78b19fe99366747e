"""Seed shifts: execute the book with every seed moved, to check that its claims hold under any seed.

A seeded run repeats bit for bit only on the same CPU and build, so a claim the book makes must be true of
the method, not of one trajectory. :func:`install` wraps every seeded entry point the book and mixlab use
(PyMC's samplers, pymc-extras' ``recover`` and Pathfinder, nutpie, and ``numpy.random.default_rng``, which
mixlab's simulators call) so that each integer seed ``s`` they receive is replaced by a seed derived from
``(s, shift)``. Distinct seeds stay distinct, a shift of 0 changes nothing, and what readers see (the code
in the cells) is untouched: ``make robust`` and the nbval pass of ``make test`` start each notebook's
kernel with ``MIXLAB_SEED_SHIFT`` set and an IPython start-up file that calls :func:`install` before the
first cell runs (:func:`write_ipython_dir`). ``tests/conftest.py`` does the same for the unit tests.

Command line (used by the Makefile)::

    python -m mixlab._seedshift commit            # the shift of the checked-out commit
    python -m mixlab._seedshift ipython-dir DIR   # an IPYTHONDIR whose kernels install the shift
"""

from __future__ import annotations

import functools
import importlib
import numbers
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

__all__ = ["ENV_VAR", "PATCHED", "SEEDED_CALL_NAMES", "commit_shift", "current_shift", "install",
           "shift_seed", "uninstall", "write_ipython_dir"]

#: Environment variable holding the shift (an integer; unset or 0 means no shift).
ENV_VAR = "MIXLAB_SEED_SHIFT"

#: ``(module, attribute, seed keyword)`` of every seeded entry point that :func:`install` wraps.
PATCHED = (
    ("numpy.random", "default_rng", "seed"),
    ("pymc", "sample", "random_seed"),
    ("pymc", "sample_prior_predictive", "random_seed"),
    ("pymc", "sample_posterior_predictive", "random_seed"),
    ("pymc", "sample_smc", "random_seed"),
    ("pymc", "fit", "random_seed"),
    ("pymc", "find_MAP", "seed"),
    ("pymc_extras", "fit", "random_seed"),
    ("pymc_extras", "fit_pathfinder", "random_seed"),
    ("pymc_extras.marginal", "recover", "random_seed"),
    ("nutpie", "sample", "seed"),
    ("arviz", "loo_kfold", "random_seed"),
)

#: Names of the seeded calls that the shift reaches; the notebook hygiene test allows a seed only on
#: these and on mixlab's own functions (which pass their seeds on to them).
SEEDED_CALL_NAMES = frozenset(attr for _, attr, _ in PATCHED)

_MARK = "__mixlab_seed_shift__"
_originals: dict[tuple[str, str], object] = {}

_STARTUP = '''\
# Written by mixlab._seedshift.write_ipython_dir: move every seed by $MIXLAB_SEED_SHIFT in this kernel.
import mixlab._seedshift as _mixlab_seedshift

_mixlab_seedshift.install()
del _mixlab_seedshift
'''


def current_shift() -> int:
    """Return the shift in ``$MIXLAB_SEED_SHIFT`` (0 when unset or empty).

    Raises
    ------
    ValueError
        If the variable is set to something that is not a non-negative integer.
    """
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return 0
    try:
        shift = int(raw)
    except ValueError:
        raise ValueError(f"{ENV_VAR} must be a non-negative integer, got {raw!r}") from None
    if shift < 0:
        raise ValueError(f"{ENV_VAR} must be a non-negative integer, got {shift}")
    return shift


def shift_seed(seed, shift: int):
    """Return the seed that replaces ``seed`` under ``shift``.

    Integers map to a 32-bit seed drawn from ``SeedSequence([seed, shift])``; lists and tuples map element by
    element; ``None``, generators and seed sequences pass through (a generator made from a seeded
    ``default_rng`` was shifted when it was made). Shift 0 returns ``seed`` itself.

    Examples
    --------
    >>> from mixlab._seedshift import shift_seed
    >>> shift_seed(3, 0)
    3
    >>> shift_seed(3, 1) == shift_seed(3, 1) != shift_seed(3, 2)
    True
    >>> len({shift_seed(s, 1) for s in range(100)})
    100
    """
    if shift == 0 or seed is None or isinstance(seed, bool):
        return seed
    if isinstance(seed, numbers.Integral):
        state = np.random.SeedSequence([abs(int(seed)), int(shift), 0x6D69786C]).generate_state(1)
        return int(state[0])
    if isinstance(seed, list | tuple):
        return type(seed)(shift_seed(s, shift) for s in seed)
    return seed


def _wrap(func, keyword: str, shift: int):
    @functools.wraps(func)
    def shifted(*args, **kwargs):
        if keyword in kwargs:
            kwargs[keyword] = shift_seed(kwargs[keyword], shift)
        elif keyword == "seed" and args:  # numpy.random.default_rng(seed) takes it positionally
            args = (shift_seed(args[0], shift), *args[1:])
        return func(*args, **kwargs)

    setattr(shifted, _MARK, shift)
    return shifted


def install(shift: int | None = None) -> int:
    """Wrap every entry point in :data:`PATCHED` so that its seeds are moved by ``shift``.

    Parameters
    ----------
    shift : int, optional
        Defaults to :func:`current_shift` (``$MIXLAB_SEED_SHIFT``). With 0 nothing is wrapped.

    Returns
    -------
    int
        The shift in force. Installing again replaces the previous shift; modules that are not
        installed (nutpie, pymc-extras) are skipped.

    Raises
    ------
    ValueError
        If ``shift`` is not a non-negative integer.
    """
    if shift is None:
        shift = current_shift()
    if isinstance(shift, bool) or not isinstance(shift, numbers.Integral) or shift < 0:
        raise ValueError(f"shift must be a non-negative integer, got {shift!r}")
    uninstall()
    if shift == 0:
        return 0
    for module_name, attr, keyword in PATCHED:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        func = getattr(module, attr, None)
        if func is None:
            continue
        _originals[(module_name, attr)] = func
        setattr(module, attr, _wrap(func, keyword, int(shift)))
    return int(shift)


def uninstall() -> None:
    """Restore every entry point :func:`install` wrapped."""
    for (module_name, attr), func in list(_originals.items()):
        setattr(sys.modules[module_name], attr, func)
        del _originals[(module_name, attr)]


def commit_shift(repo: str | Path = ".") -> int:
    """Return a shift in ``[1, 2**31)`` derived from the commit checked out in ``repo``.

    Every commit gets its own shift, so a claim that holds only for one seed cannot land. Outside a git
    checkout the shift is 1.
    """
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return 1
    return int(head[:8], 16) % (2**31 - 1) + 1


def write_ipython_dir(path: str | Path) -> Path:
    """Write an IPython directory whose kernels call :func:`install` at start-up; return its path.

    Start a kernel with ``IPYTHONDIR=path`` and ``MIXLAB_SEED_SHIFT=N`` and every seed its cells pass is
    moved by ``N`` before the first cell runs.
    """
    startup = Path(path) / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-mixlab-seed-shift.py").write_text(_STARTUP)
    return Path(path)


def _main(argv: list[str]) -> int:
    usage = "usage: python -m mixlab._seedshift commit | ipython-dir DIR"
    if argv == ["commit"]:
        print(commit_shift())
        return 0
    if len(argv) == 2 and argv[0] == "ipython-dir":
        print(write_ipython_dir(argv[1]))
        return 0
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
