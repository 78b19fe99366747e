"""Static checks of the course kit (``python -m mixlab._course``): no notebook is executed.

The chapters checked are those of ``book/``, or of the folder named by the environment variable
``MIXLAB_COURSE_BOOK`` (used to check converted copies of the chapters before they are committed).
"""

from __future__ import annotations

import builtins
import json
import os
import re
import symtable
import zipfile
from pathlib import Path

import pytest

from mixlab import _course

ROOT = Path(__file__).resolve().parents[1]
BOOK = Path(os.environ.get("MIXLAB_COURSE_BOOK", ROOT / "book"))
CHAPTERS = sorted(BOOK.glob(_course.CHAPTER_GLOB))
#: names IPython puts in every kernel's namespace
KERNEL_NAMES = set(dir(builtins)) | {"display", "get_ipython", "In", "Out", "exit", "quit"}
#: a solution line shorter than this is too common to identify a solution ("plt.show()", "```")
MIN_LINE = 20


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _needs_and_defines(code: str) -> tuple[set[str], set[str]]:
    """Global names a cell reads (in any scope) and the names it binds at top level."""
    top = symtable.symtable(code, "<cell>", "exec")
    defines = {s.get_name() for s in top.get_symbols()
               if s.is_assigned() or s.is_imported() or s.is_namespace()}
    needs = {s.get_name() for s in top.get_symbols() if s.is_referenced()}
    stack = list(top.get_children())
    while stack:
        table = stack.pop()
        stack.extend(table.get_children())
        for s in table.get_symbols():
            if s.is_global() and s.is_referenced():
                needs.add(s.get_name())
            if s.is_declared_global() and s.is_assigned():
                defines.add(s.get_name())
    return needs, defines


def undefined_names(cells: list[dict]) -> list[tuple[int, set[str]]]:
    """For each code cell that reads a name no earlier cell (nor itself) binds: (index, names)."""
    known, missing = set(KERNEL_NAMES), []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        needs, defines = _needs_and_defines(_course.python_source(cell))
        known |= defines
        if needs - known:
            missing.append((i, needs - known))
    return missing


def _solution_cells(cells: list[dict]) -> list[dict]:
    return [cells[i] for start, end in _course.solution_spans(cells) for i in range(start, end + 1)]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    if not CHAPTERS:
        pytest.fail(f"no chapter notebooks in {BOOK}")
    return _course.course(BOOK, tmp_path_factory.mktemp("course"))


def test_every_chapter_has_two_to_four_numbered_exercises_with_discussed_solutions():
    for path in CHAPTERS:
        cells = _cells(path)
        prefix = _course.chapter_prefix(path)
        labels = [m.group(1) for c in cells if c["cell_type"] == "markdown"
                  and _course.cell_source(c).startswith("```{exercise}")
                  and (m := re.search(r"^:label:\s*(\S+)", _course.cell_source(c), re.MULTILINE))]
        assert 2 <= len(labels) <= 4, (path.name, labels)
        assert labels == [f"{prefix}-ex{n}" for n in range(1, len(labels) + 1)], (path.name, labels)
        spans = _course.solution_spans(cells)
        assert len(spans) == len(labels), (path.name, spans)
        for label, (start, end) in zip(labels, spans, strict=True):
            assert _course.cell_source(cells[start]).split("\n")[0].split()[-1] == label, (path.name, start)
            assert ":class: dropdown" in _course.cell_source(cells[start]), (path.name, label)
            assert _course.cell_source(cells[start - 1]).startswith("```{exercise}"), (path.name, label)
            block = cells[start + 1:end]
            assert any(c["cell_type"] == "code" for c in block), (path.name, label, "no solution code")
            assert block[-1]["cell_type"] == "markdown" and _course.cell_source(block[-1]).strip(), (
                path.name, label, "the solution must end with a markdown discussion")


def _normalized(cells):
    """Cells with each source as one string: Jupyter and nbformat store it as a list of lines, the
    converter as one string; both are the same notebook."""
    return [{**c, "source": _course.cell_source(c)} for c in cells]


def test_conversion_is_idempotent():
    for path in CHAPTERS:
        cells = _cells(path)
        converted = _course.convert_cells(cells, _course.chapter_prefix(path))
        assert _normalized(converted) == _normalized(cells), path.name


def test_student_notebooks_use_only_names_they_define(built):
    for path in CHAPTERS:
        instructor = _cells(built["instructor"] / path.name)
        assert not undefined_names(instructor), (path.name, undefined_names(instructor))
        student = _cells(built["student"] / path.name)
        assert not undefined_names(student), (path.name, undefined_names(student))


def test_the_name_check_sees_a_name_defined_only_in_a_solution():
    def code(text):
        return {"cell_type": "code", "source": text, "metadata": {}, "outputs": []}

    cells = [code("import numpy as np\nx = np.arange(3)"), code("def f(a):\n    return a + y\n"),
             code("print([v + k for v in x for k in range(2)], f(1))")]
    assert undefined_names(cells) == [(1, {"y"})]
    assert undefined_names([*cells[:1], code("y = 2"), *cells[1:]]) == []


def test_no_solution_line_appears_in_a_student_notebook(built):
    for path in CHAPTERS:
        cells = _cells(path)
        solution = _solution_cells(cells)
        in_chapter = {line.strip() for c in cells if not any(c is s for s in solution)
                      for line in _course.cell_source(c).splitlines()}
        secret = {line.strip() for c in solution for line in _course.cell_source(c).splitlines()
                  if len(line.strip()) >= MIN_LINE} - in_chapter
        assert secret, path.name  # every chapter has solutions to hide
        student = {line.strip() for c in _cells(built["student"] / path.name)
                   for line in _course.cell_source(c).splitlines()}
        assert not secret & student, (path.name, sorted(secret & student)[:5])


def test_student_notebooks_keep_prompts_and_the_chapter_checks(built):
    for path in CHAPTERS:
        cells = _cells(path)
        solution_ids = {c["id"] for c in _solution_cells(cells)}
        kept = [c["id"] for c in cells if c["id"] not in solution_ids]
        student = _cells(built["student"] / path.name)
        student_ids = [c["id"] for c in student]
        assert [i for i in student_ids if i in set(kept)] == kept, path.name
        hidden = [c["id"] for c in cells if "remove-cell" in c.get("metadata", {}).get("tags", [])
                  and c["id"] not in solution_ids]
        assert set(hidden) <= set(student_ids), path.name
        for nb in (student, _cells(built["instructor"] / path.name)):
            assert all(not c.get("outputs") and c.get("execution_count") is None
                       for c in nb if c["cell_type"] == "code"), path.name
        assert [c["id"] for c in _cells(built["instructor"] / path.name)] == [c["id"] for c in cells]


def test_zips_hold_the_notebooks_and_install_instructions(built):
    for kind in ("student", "instructor"):
        with zipfile.ZipFile(built[f"{kind}.zip"]) as zf:
            names = set(zf.namelist())
            assert names == {f"{kind}/README.txt"} | {f"{kind}/{p.name}" for p in CHAPTERS}, names
            assert "pip install ." in zf.read(f"{kind}/README.txt").decode()
            for path in CHAPTERS:
                assert zf.read(f"{kind}/{path.name}") == (built[kind] / path.name).read_bytes()


def test_convert_rewrites_the_plain_form():
    def md(text, cell_id):
        return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": text}

    def code(text, cell_id, tags=("hide-cell",)):
        return {"cell_type": "code", "id": cell_id, "metadata": {"tags": list(tags)}, "outputs": [],
                "execution_count": None, "source": text}

    plain = [md("## Key points\n\n1. A point.\n\n## Exercises\n\n1. First,\n   on two lines.\n2. Second.",
                "kp"),
             code("# Exercise 1: first\nx = 1", "s1"), code("assert x == 1", "s1b"),
             code("# Exercise 2\ny = 2", "s2"),
             md("Why y is 2.\n\n3. Third, after a discussion.", "d2"),
             code("# Exercise 3\nz = 3", "s3"), code("print(mixlab.watermark())", "wm", tags=())]
    content = {"discussions": {1: "One.", 3: "Three."}}
    cells = _course.convert_cells(plain, "ch09", content)
    assert _course.convert_cells(cells, "ch09", content) == cells
    ids = [c["id"] for c in cells]
    assert ids == ["kp", "ch09-exercises",
                   "ch09-ex1", "ch09-ex1-start", "s1", "s1b", "ch09-ex1-discussion", "ch09-ex1-end",
                   "ch09-ex2", "ch09-ex2-start", "s2", "d2", "ch09-ex2-end",
                   "ch09-ex3", "ch09-ex3-start", "s3", "ch09-ex3-discussion", "ch09-ex3-end", "wm"]
    assert _course.cell_source(cells[0]) == "## Key points\n\n1. A point."
    assert "First,\non two lines." in _course.cell_source(cells[2])
    assert _course.cell_source(cells[11]) == "Why y is 2."
    assert "Third, after a discussion." in _course.cell_source(cells[13])
    assert "hide-cell" not in json.dumps(cells)
    student = _course.student_cells(cells)
    assert [c["id"] for c in student] == ["kp", "ch09-exercises", "ch09-ex1", "ch09-ex1-start-answer",
                                          "ch09-ex2", "ch09-ex2-start-answer", "ch09-ex3",
                                          "ch09-ex3-start-answer", "wm"]


@pytest.mark.parametrize("argv, message", [
    (["convert", "book/appendix_porting.ipynb"], "path must name a chapter"),
    (["convert", "book/99_missing.ipynb"], "99_missing.ipynb"),
    (["course", "--book", "no-such-dir"], "no-such-dir"),
])
def test_the_command_line_reports_bad_input_in_one_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = [*argv, "--out", str(tmp_path)] if argv[0] == "course" else argv
    assert _course.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err, err
