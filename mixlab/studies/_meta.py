"""What every study records about the machine and the stack that produced its table."""

import os
import platform
from importlib import metadata

#: Packages whose versions a study records.
PACKAGES = ("pymc", "pytensor", "pymc-extras", "nutpie", "numpy", "scipy", "arviz")


def versions():
    """Python, machine, core count and the versions of :data:`PACKAGES` (None if not installed)."""
    out = {"python": platform.python_version(), "machine": platform.machine(), "cores": os.cpu_count()}
    for pkg in PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out
