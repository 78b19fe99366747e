"""Shared pytest configuration for mixlab's unit tests."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
