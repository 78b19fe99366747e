"""The scripts of mixlab.studies run (reduced) and write what the book loads; the shipped tables are whole."""

import json
import subprocess
import sys

import numpy as np
import pytest

from mixlab.studies import how_many


@pytest.mark.study
def test_how_many_reduced_run_writes_a_table_the_book_can_load(tmp_path):
    # the command line, as the module docstring tells a reader to run it
    proc = subprocess.run([sys.executable, "-m", "mixlab.studies.how_many", "--reduced", "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = how_many.load_results(tmp_path)
    meta_settings = json.loads(res.attrs["settings"])
    assert meta_settings == how_many.REDUCED
    assert set(res["route"].values) >= {"smc_uniform", "smc_bnb", "telescope_static",
                                         "telescope_dynamic", "dp"}
    # every method's probabilities over k sum to one, per data set and quantity
    totals = res["p"].sum("k", min_count=1)
    finite = np.isfinite(totals.values)
    assert finite.any()
    np.testing.assert_allclose(totals.values[finite], 1.0, atol=1e-6)
    # rerunning one method keeps the others' rows
    how_many.run(how_many.REDUCED, tmp_path, methods=("smc",))
    again = how_many.load_results(tmp_path)
    assert set(again["route"].values) == set(res["route"].values)


def test_shipped_results_cover_the_full_analysis():
    res = how_many.load_results()
    settings = json.loads(res.attrs["settings"])
    assert settings == how_many.FULL
    assert set(res["dataset"].values) == {"galaxy", "acidity", "enzyme"}
    for key in ("versions", "date", "seconds"):
        assert key in res.attrs
    totals = res["p"].sum("k", min_count=1).values
    np.testing.assert_allclose(totals[np.isfinite(totals)], 1.0, atol=1e-4)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown method"):
        how_many.run(how_many.REDUCED, tmp_path, methods=("rjmcmc",))
    with pytest.raises(FileNotFoundError, match="run python -m mixlab.studies.how_many"):
        how_many.load_results(tmp_path / "nothing")


@pytest.mark.study
def test_multimodal_reduced_run_writes_a_table_the_book_can_load(tmp_path):
    from mixlab.samplers import METHODS
    from mixlab.studies import multimodal

    proc = subprocess.run(
        [sys.executable, "-m", "mixlab.studies.multimodal", "--reduced", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = multimodal.load_results(tmp_path)
    assert json.loads(res.attrs["settings"]) == multimodal.REDUCED
    assert res["mass"].dims == ("target", "sampler", "run", "mode")
    assert list(res["mode"].values) == ["major", "minor"]
    assert set(res["target"].values) == {"target", "enzyme"}
    refs = {"ref_is_kde", "ref_is_t", "ref_nutpie_long", "ref_smc"}
    assert set(res["sampler"].values) >= set(METHODS) | refs
    for key in ("versions", "date", "seconds", "reference"):
        assert key in res.attrs
    assert json.loads(res.attrs["versions"])["cores"] >= 1
    # every sampler's masses over the modes sum to one; the references too
    totals = res["mass"].sum("mode", min_count=1).values
    finite = np.isfinite(totals)
    assert finite.sum() >= len(METHODS) + 2
    np.testing.assert_allclose(totals[finite], 1.0, atol=1e-6)
    for target, ref in json.loads(res.attrs["reference"]).items():
        assert np.isclose(sum(ref), 1.0), target
    # the constructed target's reference is its exact masses (0.7, 0.3) for every sampler
    ref = res["reference"].sel(target="target", sampler="smc", run=0)
    np.testing.assert_allclose(ref, [0.7, 0.3], atol=1e-4)
    visited = res["modes_visited"].sel(target="target").values
    visited = visited[np.isfinite(visited)]
    assert np.all((visited >= 1) & (visited <= 2))


def test_multimodal_shipped_results_cover_the_full_analysis(tmp_path):
    from mixlab.samplers import METHODS
    from mixlab.studies import multimodal

    res = multimodal.load_results()
    assert json.loads(res.attrs["settings"]) == multimodal.FULL
    assert set(res["sampler"].values) >= set(METHODS)
    assert res.sizes["run"] >= 2
    totals = res["mass"].sum("mode", min_count=1).values
    np.testing.assert_allclose(totals[np.isfinite(totals)], 1.0, atol=1e-4)
    with pytest.raises(FileNotFoundError, match="run python -m mixlab.studies.multimodal"):
        multimodal.load_results(tmp_path / "nothing")
