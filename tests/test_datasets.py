"""The shipped data sets: sizes, checksums, provenance and no network."""

from __future__ import annotations

import hashlib
from importlib import resources

import numpy as np
import pytest

from mixlab import datasets

EXPECTED = {
    "galaxy": (datasets.load_galaxy, (82,)),
    "acidity": (datasets.load_acidity, (155,)),
    "enzyme": (datasets.load_enzyme, (245,)),
    "faithful": (datasets.load_faithful, (272, 2)),
    "lamb": (datasets.load_lamb, (240,)),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shape_and_values(name):
    loader, shape = EXPECTED[name]
    values = loader()
    assert values.shape == shape
    assert values.dtype == (np.int64 if name == "lamb" else float)
    assert np.all(np.isfinite(values))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_checksums_match_the_shipped_list(name):
    data = resources.files("mixlab.data")
    sums = dict(reversed(line.split()) for line in data.joinpath("SHA256SUMS").read_text().splitlines())
    raw = data.joinpath(f"{name}.csv").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == sums[f"{name}.csv"]
    # and the data rows are exactly what the loader returns
    assert len(raw.decode().strip().splitlines()) - 1 == EXPECTED[name][1][0]


def test_loaders_return_copies():
    y = datasets.load_galaxy()
    y[0] = -1.0
    assert datasets.load_galaxy()[0] == pytest.approx(9.172)


def test_galaxy_uses_the_original_value_not_the_mass_typo():
    y = datasets.load_galaxy()
    assert 26.96 in y and 26.69 not in y
    assert np.all(np.diff(y) >= 0)


def test_known_summaries():
    assert datasets.load_galaxy().mean() == pytest.approx(20.83, abs=0.01)
    faithful = datasets.load_faithful()
    assert faithful[:, 0].min() == pytest.approx(1.6)
    assert faithful[:, 1].max() == pytest.approx(96.0)
    # the counts PROVENANCE.md lists, and the file's interval column is the time order
    assert np.bincount(datasets.load_lamb()).tolist() == [182, 41, 12, 2, 2, 0, 0, 1]
    assert datasets._load("lamb")[:, 0].tolist() == list(range(1, 241))


def test_a_damaged_file_is_reported(monkeypatch):
    datasets._load.cache_clear()
    real = datasets._data_file

    class Fake:
        def __init__(self, inner):
            self.inner = inner

        def read_bytes(self):
            return self.inner.read_bytes().replace(b"9.172", b"9.173")

    monkeypatch.setattr(datasets, "_data_file", lambda n: Fake(real(n)) if n.endswith(".csv") else real(n))
    try:
        with pytest.raises(OSError, match="galaxy.csv does not match its SHA256SUMS entry"):
            datasets.load_galaxy()
    finally:
        datasets._load.cache_clear()


def test_provenance_travels_with_the_data():
    text = resources.files("mixlab.data").joinpath("PROVENANCE.md").read_text()
    for word in ("Roeder", "Crawford", "Bechtel", "Azzalini", "Leroux", "26690"):
        assert word in text
    assert "26690" in datasets.load_galaxy.__doc__
