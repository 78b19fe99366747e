"""Hygiene checks for the book's notebooks (they run under nbval and in the book build separately)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

from mixlab._course import cell_source, python_source

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
NOTEBOOKS = sorted(BOOK.glob("*.ipynb"))

#: sampler entry points that must be seeded, and those that print a progress bar unless told not to
#: (in PyMC 6.3 ``sample_prior_predictive`` and pymc-extras' ``recover`` draw without a progress bar and
#: reject ``progressbar=``; ``test_progress_calls_accept_progressbar`` keeps this list honest)
SEEDED_CALLS = {"sample", "sample_prior_predictive", "sample_posterior_predictive", "recover", "sample_smc",
                "fit", "fit_pathfinder"}
#: keywords and calls through which a seed can enter; each must reach mixlab._seedshift (see
#: test_seeds_reach_the_shift) so that 'make robust' and 'make test' move every seed a notebook uses
SEED_KEYWORDS = {"random_seed", "seed", "rng", "random_state"}
SEED_FUNCTIONS = {"default_rng", "RandomState", "SeedSequence", "PCG64", "Philox", "MT19937", "SFC64"}
PROGRESS_CALLS = {"sample", "sample_posterior_predictive", "compute_log_likelihood"}


def _toc_files(node) -> list[str]:
    files = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("file", "root"):
                files.append(value)
            else:
                files.extend(_toc_files(value))
    elif isinstance(node, list):
        for item in node:
            files.extend(_toc_files(item))
    return files


def _resolve(entry: str) -> Path | None:
    for suffix in ("", ".md", ".ipynb"):
        path = ROOT / f"{entry}{suffix}"
        if path.is_file():
            return path
    return None


def _code_cells(nb_path: Path) -> list[dict]:
    nb = json.loads(nb_path.read_text())
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _call_name(node: ast.Call) -> str | None:
    """The name a call uses: ``f`` for ``f(...)`` and for ``obj.f(...)``; None for other callees."""
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _calls(nb_path: Path):
    for cell in _code_cells(nb_path):
        tree = ast.parse(python_source(cell))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                yield _call_name(node), {kw.arg for kw in node.keywords}, node


def test_there_are_notebooks():
    assert NOTEBOOKS, "book/ has no notebooks"


def test_toc_and_notebooks_agree():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    entries = _toc_files(toc)
    missing = [e for e in entries if _resolve(e) is None]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"
    listed = {_resolve(e).resolve() for e in entries}
    unlisted = [nb.name for nb in NOTEBOOKS if nb.resolve() not in listed]
    assert not unlisted, f"notebooks missing from _toc.yml: {unlisted}"
    pages = [p.name for p in BOOK.glob("*.md") if p.resolve() not in listed]
    assert not pages, f"pages missing from _toc.yml: {pages}"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_without_outputs(nb_path):
    dirty = [i for i, c in enumerate(_code_cells(nb_path)) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, f"{nb_path.name}: code cells {dirty} have outputs or execution counts; strip them"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_imports_mixlab(nb_path):
    sources = "\n".join(python_source(c) for c in _code_cells(nb_path))
    imported = any(
        (isinstance(n, ast.Import) and any(a.name.split(".")[0] == "mixlab" for a in n.names))
        or (isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] == "mixlab")
        for n in ast.walk(ast.parse(sources))
    )
    assert imported, f"{nb_path.name} does not import mixlab"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_samplers_seeded_and_quiet(nb_path):
    problems = []
    quiet = _mixlab_names(nb_path)  # mixlab's samplers (telescope.sample, ...) never print progress
    for name, keywords, node in _calls(nb_path):
        if name in SEEDED_CALLS and "random_seed" not in keywords:
            problems.append(f"line {node.lineno}: {name}(...) without random_seed=")
        if name in PROGRESS_CALLS and "progressbar" not in keywords and _root_name(node.func) not in quiet:
            problems.append(f"line {node.lineno}: {name}(...) without progressbar=False")
    assert not problems, f"{nb_path.name}: " + "; ".join(problems)


def _mixlab_names(nb_path: Path) -> set[str]:
    """Names a notebook imports from mixlab (functions whose seeds mixlab passes on to shifted calls)."""
    names = {"mixlab"}
    for cell in _code_cells(nb_path):
        for node in ast.walk(ast.parse(python_source(cell))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "mixlab":
                names |= {a.asname or a.name for a in node.names}
    return names


def _root_name(func) -> str | None:
    while isinstance(func, ast.Attribute):
        func = func.value
    return func.id if isinstance(func, ast.Name) else None


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_seeds_reach_the_shift(nb_path):
    """Every seed a notebook passes goes through a call that mixlab._seedshift moves.

    Allowed: the wrapped entry points (``pm.sample``, ``np.random.default_rng``, ...) and mixlab's own
    functions, which pass their seeds on to those. Anything else (``np.random.seed``, ``RandomState``, a
    scipy ``random_state=`` integer, a seeded call of another library) would keep its seed under a shift.
    """
    from mixlab._seedshift import SEEDED_CALL_NAMES

    allowed_roots = _mixlab_names(nb_path)
    problems = []
    for name, keywords, node in _calls(nb_path):
        seeded = (SEED_KEYWORDS & keywords) or name in SEED_FUNCTIONS or name == "seed"
        if not seeded:
            continue
        root = _root_name(node.func)
        if name in SEEDED_CALL_NAMES or root in allowed_roots or name in allowed_roots:
            continue
        problems.append(f"line {node.lineno}: {name}(...) takes a seed that the seed shift does not reach; "
                        "use np.random.default_rng(seed) or a mixlab/PyMC call")
    assert not problems, f"{nb_path.name}: " + "; ".join(problems)


def test_mixlab_seeds_reach_the_shift():
    """mixlab looks up seeded entry points at call time (``np.random.default_rng``, ``pm.sample``), never
    binds them at import or uses a legacy global seed, so the seed shift reaches every seed it is given."""
    import re

    from mixlab._seedshift import PATCHED

    pattern = re.compile(
        r"from\s+(numpy\.random|pymc|pymc_extras(\.marginal)?|nutpie)\s+import\s+[^\n]*\b("
        + "|".join(sorted({attr for _, attr, _ in PATCHED})) + r")\b"
        r"|np\.random\.seed\(|RandomState\("
    )
    hits = [f"{path.name}:{i}" for path in sorted((ROOT / "mixlab").glob("*.py")) if path.name != "_seedshift.py"
            for i, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert not hits, f"seeded calls bound at import or legacy seeding (the seed shift misses them): {hits}"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_claims_are_checked(nb_path):
    """Every notebook has hidden assert cells checking the claims its prose makes."""
    hidden = [
        c for c in _code_cells(nb_path)
        if {"remove-cell", "hide-input"} & set(c.get("metadata", {}).get("tags", []))
        and "assert" in cell_source(c)
    ]
    assert hidden, f"{nb_path.name} has no hidden assert cell (tag remove-cell) checking its prose"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_ends_with_watermark(nb_path):
    last = cell_source(_code_cells(nb_path)[-1])
    assert "watermark(" in last, f"{nb_path.name}: the last code cell should print mixlab.watermark()"


#: calls that draw a figure: ``plt.<name>`` for these, and any function named ``plot_*`` (mixlab.plots,
#: ``az.plot_*``, a chapter's own helpers)
FIGURE_PLT_CALLS = {"subplots", "figure", "subplot_mosaic", "show"}
#: tags of cells whose figure the reader never sees (removed, or the cell raises before drawing)
NO_FIGURE_TAGS = {"remove-cell", "remove-output", "raises-exception"}


def _is_figure_call(node, helpers) -> bool:
    name, func = _call_name(node), node.func
    if name is None:
        return False
    on_plt = isinstance(func, ast.Attribute) and getattr(func.value, "id", None) == "plt"
    return name.startswith("plot_") or name in helpers or (on_plt and name in FIGURE_PLT_CALLS)


def _top_level_calls(tree):
    """Calls a cell makes when it runs: everything but the bodies of the functions it defines."""
    stack = list(ast.iter_child_nodes(tree))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Call):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def figure_cells(nb_path: Path) -> list[dict]:
    """Code cells that show a figure: they call ``plt.show()``/``plt.subplots()``/``plt.figure()``, a
    ``plot_*`` function or a helper defined in the notebook that creates a figure, or end with ``fig``."""
    helpers: set[str] = set()
    cells = []
    for cell in _code_cells(nb_path):
        tree = ast.parse(python_source(cell))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(
                _is_figure_call(call, set()) for call in ast.walk(node) if isinstance(call, ast.Call)
            ):
                helpers.add(node.name)
        if NO_FIGURE_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        last = tree.body[-1] if tree.body else None
        shows_fig = (isinstance(last, ast.Expr) and isinstance(last.value, ast.Name)
                     and last.value.id.startswith("fig"))
        if shows_fig or any(_is_figure_call(call, helpers) for call in _top_level_calls(tree)):
            cells.append(cell)
    return cells


def _alt_text(cell: dict) -> str:
    """The alt text MyST-NB gives the cell's images: cell metadata ``{"mystnb": {"image": {"alt": ...}}}``."""
    alt = cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt", "")
    return alt.strip() if isinstance(alt, str) else ""


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_figures_have_alt_text(nb_path):
    """Every figure a reader sees has alt text (for screen readers): one sentence of 5 to 60 words."""
    cells = figure_cells(nb_path)
    missing = [c.get("id") for c in cells if not _alt_text(c)]
    assert not missing, (f"{nb_path.name}: figure cells without alt text (cell metadata "
                         f'{{"mystnb": {{"image": {{"alt": "..."}}}}}}): {missing}')
    for cell in cells:
        words = len(_alt_text(cell).split())
        assert 5 <= words <= 60, f"{nb_path.name} cell {cell.get('id')}: alt text of {words} words"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_alt_text_only_on_figure_cells(nb_path):
    """Alt text on a cell that shows no figure is a sign that the figure detection above missed a figure
    call (or that a figure moved to another cell)."""
    figures = {c.get("id") for c in figure_cells(nb_path)}
    stray = [c.get("id") for c in _code_cells(nb_path) if _alt_text(c) and c.get("id") not in figures]
    assert not stray, f"{nb_path.name}: alt text on cells that show no figure: {stray}"


#: named reds and greens, which readers with a red-green colour-vision deficiency confuse with each other
#: (Delta E 7-10 under simulated protanopia or deuteranopia, tests/test_plots.py's measure); figures use
#: ``mixlab.plots.component_colors`` and ``mixlab.plots.HIGHLIGHT_COLOR`` instead
RED_GREEN = re.compile(r"""\b(?:face|edge)?colou?rs?\s*=\s*["'](?:red|green|r|g|tab:red|tab:green|C2|C3)["']""")


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_red_green_colours(nb_path):
    bad = [(c.get("id"), m.group(0)) for c in _code_cells(nb_path) for m in RED_GREEN.finditer(cell_source(c))]
    assert not bad, f"{nb_path.name}: red or green named colours (use mixlab.plots.HIGHLIGHT_COLOR): {bad}"


def test_red_green_check_can_fail():
    assert RED_GREEN.search('ax.scatter(x, y, s=30, color="red")')
    assert RED_GREEN.search("ax.axhline(0.7, edgecolor='C3')")
    assert not RED_GREEN.search("ax.scatter(x, y, color=HIGHLIGHT_COLOR)")
    assert not RED_GREEN.search('ax.plot(x, color="0.4")')


def test_figure_detection_and_alt_check_can_fail(tmp_path):
    """The figure detection finds each way of drawing and skips cells that draw nothing."""
    sources = {
        "show": "fig, ax = plt.subplots()\nax.plot([1, 2])\nplt.show()",
        "mixlab": "ax = plot_mixture_fit(y, idata)",
        "arviz": "pc = az.plot_dist(idata)",
        "helper_def": "def draw(x):\n    fig, ax = plt.subplots()\n    ax.plot(x)",
        "helper_call": "draw([1, 2, 3])",
        "last_fig": "fig",
        "no_figure": "x = np.arange(3)\nplot = x.sum()\nprint(plot)",
        "raises": "az.plot_ppc(idata)",
        "removed": "plt.show()",
    }
    tags = {"raises": ["raises-exception"], "removed": ["remove-cell"]}
    nb = tmp_path / "figs.ipynb"
    nb.write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": key, "outputs": [], "source": src,
                   "metadata": {"tags": tags.get(key, [])}} for key, src in sources.items()],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }))
    assert [c["id"] for c in figure_cells(nb)] == ["show", "mixlab", "arviz", "helper_call", "last_fig"]
    with pytest.raises(AssertionError, match=r"without alt text.*\['show', 'mixlab', 'arviz', 'helper_call', "):
        test_figures_have_alt_text(nb)
    cells = json.loads(nb.read_text())
    for cell in cells["cells"]:
        cell["metadata"]["mystnb"] = {"image": {"alt": "A line rising from left to right."}}
    nb.write_text(json.dumps(cells))
    test_figures_have_alt_text(nb)
    with pytest.raises(AssertionError, match=r"no figure: \['helper_def', 'no_figure', 'raises', 'removed'\]"):
        test_alt_text_only_on_figure_cells(nb)


def test_progress_calls_accept_progressbar():
    """Every call the hygiene check requires ``progressbar=`` for accepts it, and those left out do not."""
    import inspect

    import pymc as pm
    from pymc_extras.marginal import recover

    funcs = {"sample": pm.sample, "sample_posterior_predictive": pm.sample_posterior_predictive,
             "compute_log_likelihood": pm.compute_log_likelihood,
             "sample_prior_predictive": pm.sample_prior_predictive, "recover": recover}
    accepts = {name for name, f in funcs.items() if "progressbar" in inspect.signature(f).parameters}
    assert accepts == PROGRESS_CALLS


def test_hygiene_checks_catch_a_bad_notebook(tmp_path):
    """The checks above fail on a notebook that breaks the rules."""
    bad = tmp_path / "bad.ipynb"
    bad.write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": 3, "metadata": {},
                   "outputs": [{"output_type": "stream", "name": "stdout", "text": "x"}],
                   "source": "import pymc as pm\nwith m:\n    pm.sample()\n"}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }))
    with pytest.raises(AssertionError, match="outputs"):
        test_stored_without_outputs(bad)
    with pytest.raises(AssertionError, match="does not import mixlab"):
        test_imports_mixlab(bad)
    with pytest.raises(AssertionError, match="random_seed"):
        test_samplers_seeded_and_quiet(bad)
    with pytest.raises(AssertionError, match="hidden assert"):
        test_claims_are_checked(bad)
    escaped = tmp_path / "escaped.ipynb"
    escaped.write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                   "source": "import numpy as np\nfrom scipy import stats\nnp.random.seed(1)\n"
                             "stats.norm.rvs(size=3, random_state=2)\nnp.random.default_rng(3)\n"}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }))
    with pytest.raises(AssertionError, match=r"line 3: seed.*line 4: rvs") as err:
        test_seeds_reach_the_shift(escaped)
    assert "line 5" not in str(err.value)
