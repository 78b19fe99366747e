"""Notebook set-up shared by the book's chapters: quiet logging, figure style, version watermark."""

from __future__ import annotations

import logging
import platform
import warnings
from importlib import metadata

__all__ = ["setup_notebook", "watermark"]

#: Packages reported by :func:`watermark`, in order.
WATERMARK_PACKAGES = ("pymc", "pytensor", "pymc-extras", "arviz", "nutpie", "numpy", "scipy", "xarray",
                      "matplotlib", "mixlab")

#: Loggers that print sampler progress and start-up chatter to stderr.
_CHATTY_LOGGERS = ("pymc", "pymc.sampling", "pymc.stats.convergence", "pytensor", "nutpie",
                   "pymc_extras")


def setup_notebook(*, log_level: int = logging.WARNING, style: bool = True) -> None:
    """Prepare a notebook session: quiet sampler logging and the book's figure style.

    PyMC announces every sampler run on the ``pymc`` logger ("Auto-assigning NUTS sampler...",
    "Sampling 2 chains..."); in a rendered book that chatter hides the results, so chapters raise
    these loggers to ``log_level``. Warnings stay visible. Progress bars are switched off per call
    with ``progressbar=False``.

    Parameters
    ----------
    log_level : int, default ``logging.WARNING``
        Level for PyMC's, PyTensor's and nutpie's loggers.
    style : bool, default True
        Apply the book's Matplotlib settings (figure size, grid, no top/right spines).

    Raises
    ------
    TypeError
        If ``log_level`` is not an int.

    Examples
    --------
    >>> import logging, mixlab
    >>> mixlab.setup_notebook(style=False)
    >>> logging.getLogger("pymc").level == logging.WARNING
    True
    """
    if isinstance(log_level, bool) or not isinstance(log_level, int):
        raise TypeError(f"log_level must be an int such as logging.WARNING, got {log_level!r}")
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(log_level)
    # numba's first-compile notice and IPython's tqdm fallback message are not about the model
    warnings.filterwarnings("ignore", message=".*IProgress not found.*")
    if style:
        import matplotlib as mpl

        mpl.rcParams.update(
            {
                "figure.figsize": (7.0, 4.0),
                "figure.dpi": 100,
                "axes.grid": True,
                "grid.alpha": 0.3,
                "axes.spines.top": False,
                "axes.spines.right": False,
                "axes.titleweight": "bold",
                "legend.frameon": False,
            }
        )


def watermark() -> str:
    """Return one line with the versions of Python and the packages the book depends on.

    Chapters print it last so that a reader can reproduce the run.

    Returns
    -------
    str
        ``"Python 3.12.1 | pymc 6.3.2 | ... | mixlab 0.1.0"``; a package that is not installed is
        reported as ``"not installed"``.

    Examples
    --------
    >>> from mixlab import watermark
    >>> line = watermark()
    >>> line.startswith("Python ") and "pymc " in line and "arviz " in line
    True
    """
    parts = [f"Python {platform.python_version()}"]
    for pkg in WATERMARK_PACKAGES:
        try:
            version = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            version = "not installed"
        parts.append(f"{pkg} {version}")
    return " | ".join(parts)
