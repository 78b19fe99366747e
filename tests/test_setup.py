"""Bad set-up gets a clear, one-line message instead of a failure deep inside a tool."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _fake_bin(tmp_path: Path, name: str, script: str) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    exe = bin_dir / name
    exe.write_text("#!/bin/sh\n" + script + "\n")
    exe.chmod(0o755)
    return bin_dir


def test_find_python_explains_what_to_install(tmp_path):
    # Only an old interpreter on PATH and no pyenv: the script must say what to install.
    bin_dir = _fake_bin(tmp_path, "python3", "exit 1")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    env_python = [p for p in ("/usr/bin/python3",) if Path(p).exists()]
    result = subprocess.run([str(ROOT / ".ci" / "find-python")], env=env, capture_output=True, text=True)
    if result.returncode == 0:  # the system python3 is new enough on this machine: nothing to explain
        assert env_python and Path(result.stdout.strip()).exists()
        return
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "Python >= 3.12" in lines[0] and "install python3.12" in lines[0]


def test_find_python_accepts_an_explicit_interpreter():
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PYTHON": sys.executable}
    result = subprocess.run([str(ROOT / ".ci" / "find-python")], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).exists()


def test_missing_chromium_without_root_is_explained(tmp_path):
    bin_dir = _fake_bin(tmp_path, "id", "echo 1000")
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", MIXLAB_CHROMIUM=str(tmp_path / "nope"))
    result = subprocess.run([str(ROOT / ".ci" / "ensure-chromium")], env=env, capture_output=True, text=True)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "not root" in lines[0] and "apt-get install chromium" in lines[0]


def test_a_notebook_that_raises_fails_nbval_with_its_error(tmp_path):
    nb = {
        "cells": [
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
             "source": "raise ValueError('weights must sum to 1 (got 1.4)')"},
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    path = tmp_path / "raises.ipynb"
    path.write_text(json.dumps(nb))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
         "-p", "no:xdist", "-q", str(path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert result.returncode != 0
    assert "ValueError" in result.stdout and "weights must sum to 1" in result.stdout
