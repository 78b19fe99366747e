"""mixlab installs on its own with pip, offline, and carries its data; CITATION.cff is valid.

The install runs once per module (a few seconds): ``pip install --no-deps --no-build-isolation --no-index
--target <tmp>`` of a copy of the package's build inputs, so that nothing is written into the repository
(pip builds in the source tree) and no package index is needed. The installed copy is then imported
from a directory outside the repository, with the venv's Python.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# the venv's interpreter (the one pytest runs in under 'make unit')
PYTHON = sys.executable
# what pip reads to build the wheel besides the package itself (whichever exist)
BUILD_FILES = ("pyproject.toml", "README.md", "setup.py", "setup.cfg", "MANIFEST.in", "LICENSE", "LICENSE.txt")
DATA_SETS = ("acidity", "enzyme", "faithful", "galaxy", "lamb")


def _source_data_files() -> set[str]:
    data = ROOT / "mixlab" / "data"
    return {
        p.relative_to(data).as_posix()
        for p in data.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Install a copy of mixlab with pip into a target directory; return that directory."""
    base = tmp_path_factory.mktemp("packaging")
    src, target = base / "src", base / "target"
    src.mkdir()
    for name in BUILD_FILES:
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "mixlab", src / "mixlab", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1")
    result = subprocess.run(
        [PYTHON, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "--no-cache-dir", "--quiet", "--target", str(target), str(src)],
        cwd=base, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def test_pip_installs_mixlab_alone(installed):
    # --no-deps: the target holds mixlab and its metadata, nothing else
    names = {p.name for p in installed.iterdir()}
    assert "mixlab" in names
    dist_info = [n for n in names if n.endswith(".dist-info")]
    assert len(dist_info) == 1 and dist_info[0].startswith("mixlab-"), names
    assert names - {"mixlab", dist_info[0], "bin"} == set(), names
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert dist_info[0] == f"mixlab-{version}.dist-info"


def test_installed_copy_imports_and_loads_data_outside_the_repo(installed, tmp_path):
    script = r"""
import json, sys
from importlib import resources
import mixlab
from mixlab.datasets import load_galaxy, load_lamb
data = resources.files("mixlab.data")
print(json.dumps({
    "mixlab": mixlab.__file__,
    "data": str(data.joinpath("SHA256SUMS")),
    "galaxy": [len(load_galaxy()), float(load_galaxy().mean())],
    "lamb": load_lamb().tolist(),
}))
"""
    env = dict(os.environ, PYTHONPATH=str(installed))
    env.pop("PYTHONHOME", None)
    result = subprocess.run([PYTHON, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    # the installed copy was imported, not the repository (which the venv also has, editable)
    assert Path(out["mixlab"]).resolve().is_relative_to(installed.resolve()), out["mixlab"]
    assert Path(out["data"]).resolve().is_relative_to(installed.resolve()), out["data"]
    # the loaders verify each file against SHA256SUMS before returning it
    assert out["galaxy"][0] == 82 and out["galaxy"][1] == pytest.approx(20.83, abs=0.01)
    assert len(out["lamb"]) == 240 and out["lamb"].count(0) == 182


def test_installed_package_carries_every_data_file(installed):
    data = installed / "mixlab" / "data"
    shipped = _source_data_files()
    assert {"SHA256SUMS", "PROVENANCE.md"} | {f"{name}.csv" for name in DATA_SETS} <= shipped
    assert any(name.startswith("results/") for name in shipped)
    for name in sorted(shipped):
        assert (data / name).is_file(), f"{name} is not in the installed package (pyproject package-data)"
        assert (data / name).read_bytes() == (ROOT / "mixlab" / "data" / name).read_bytes(), name
    # every checksum entry names a shipped file, with the right checksum
    for line in (data / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((data / name).read_bytes()).hexdigest() == digest, name


def test_provenance_states_the_terms_of_every_data_set(installed):
    text = (installed / "mixlab" / "data" / "PROVENANCE.md").read_text()
    terms = text[text.index("## Licences and terms"):]
    for name in DATA_SETS:
        lines = [line for line in terms.splitlines() if line.startswith(f"- {name}.csv")]
        assert len(lines) == 1, f"PROVENANCE.md states no terms for {name}.csv"
    # no licence is claimed that a source does not state: every entry names the R package it follows
    assert terms.count("redistributed") >= len(DATA_SETS)


def test_citation_cff_is_valid():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    for key in ("cff-version", "message", "title", "authors"):
        assert cff.get(key), f"CITATION.cff lacks the required key {key!r}"
    assert cff["cff-version"] == "1.2.0"
    assert isinstance(cff["authors"], list) and cff["authors"]
    for author in cff["authors"]:
        assert author.get("name") or author.get("family-names"), author
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert str(cff["version"]) == project["version"]
    released = cff["date-released"]
    if isinstance(released, str):
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", released), released
        released = datetime.date.fromisoformat(released)
    assert isinstance(released, datetime.date)
    # a licence, if stated, is the package's own
    if "license" in cff:
        assert cff["license"] == project.get("license"), (cff["license"], project.get("license"))
    known = {"cff-version", "message", "title", "authors", "version", "date-released", "abstract", "keywords",
             "license", "type", "url", "repository-code", "doi", "identifiers", "references",
             "preferred-citation", "contact", "commit", "license-url", "repository", "repository-artifact"}
    assert set(cff) <= known, set(cff) - known
