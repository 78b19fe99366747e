"""Course kit: numbered exercises in the chapters, and student and instructor notebooks.

Two entry points, run from the repository root::

    python -m mixlab._course convert book/01_finite_mixtures.ipynb [more notebooks]
    python -m mixlab._course course --book book --out _build/course

``convert`` rewrites the exercises at the end of a chapter into ``sphinx-exercise`` form: one markdown cell
per exercise (``{exercise}`` directive with the label ``chNN-exN``), followed by its solution between the
gated directives ``{solution-start}`` and ``{solution-end}`` (collapsed as a dropdown), holding the solution
code cells and a markdown discussion. Exercises and discussions missing from a chapter can be passed to
:func:`convert_cells` as ``content``. Running it twice changes nothing.

``course`` writes ``student/`` notebooks (every solution block removed, an empty cell left for the answer,
outputs stripped) and ``instructor/`` notebooks (everything, outputs stripped), and a zip of each.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

#: chapters are the notebooks whose name starts with two digits (book/00_quickstart ... book/14_...)
CHAPTER_GLOB = "[0-9][0-9]_*.ipynb"
EXERCISES_HEADING = "## Exercises"
#: the first line of a solution code cell in the unconverted form: "# Exercise 2" or "# Exercise 2: ..."
_SOLUTION_HEADER = re.compile(r"#\s*Exercise\s+(\d+)\b")
_ITEM = re.compile(r"^(\d+)\.\s+(.*)$")
_LABEL = re.compile(r"^:label:\s*(\S+)\s*$", re.MULTILINE)
_EXERCISE_OPEN = "```{exercise}"
_START_OPEN = "```{solution-start}"
_END_OPEN = "```{solution-end}"
STUDENT_PLACEHOLDER = "# Your answer here\n"
README = """\
mixlab course notebooks ({kind} set)

These notebooks are the chapters of the book "mixlab: Bayesian finite mixtures with PyMC"{what}.
They import the mixlab package, which also ships the data sets they use. Install it once, with
Python 3.12 or later, in the root of a copy of the mixlab repository:

    python -m venv .venv
    .venv/bin/python -m pip install -r requirements.txt   # the tested versions, JupyterLab included
    .venv/bin/python -m pip install .                      # mixlab itself

Then start JupyterLab with .venv/bin/jupyter lab (or run `make lab` in the repository) and open the
notebooks from this folder. Run each one from top to bottom: the samplers are seeded, so a second run
on the same machine repeats the numbers. Exercises are the fenced {{exercise}} blocks near the end.
"""


@dataclass
class Exercise:
    """One exercise of a chapter: its prompt, solution cells and discussion cells."""

    number: int
    prompt: str
    code: list[dict] = field(default_factory=list)
    discussion: list[dict] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)


def cell_source(cell: dict) -> str:
    """A cell's source as one string (Jupyter stores a list of lines, nbformat and this module strings)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def python_source(cell: dict) -> str:
    """A code cell's source as plain Python: IPython magics (``%``) and shell escapes (``!``) blanked out,
    so that ``ast`` or ``symtable`` can parse it (line numbers are kept)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in cell_source(cell).splitlines())


def _tags(cell: dict) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _markdown(text: str, cell_id: str) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": text}


def _code(text: str, cell_id: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "id": cell_id, "metadata": {},
            "outputs": [], "source": text}


def chapter_prefix(path: str | Path) -> str:
    """Label prefix of a chapter: ``ch01`` for ``book/01_finite_mixtures.ipynb``.

    Parameters
    ----------
    path : str or Path
        Path of the chapter notebook; its name must start with two digits.

    Returns
    -------
    str
        ``"ch"`` followed by the two digits.
    """
    match = re.match(r"(\d\d)_", Path(path).name)
    if match is None:
        raise ValueError(f"path must name a chapter such as book/01_finite_mixtures.ipynb (got {path})")
    return f"ch{match.group(1)}"


def _split_items(text: str) -> tuple[str, dict[int, str]]:
    """Split markdown into the text before a numbered list and the list's items, dedented."""
    intro, items, current = [], {}, None
    for line in text.splitlines():
        match = _ITEM.match(line)
        if match:
            current = int(match.group(1))
            items[current] = [match.group(2)]
        elif current is None:
            intro.append(line)
        else:
            items[current].append(line[3:] if line.startswith("   ") else line.strip())
    prompts = {n: "\n".join(lines).strip() for n, lines in items.items()}
    return "\n".join(intro).strip(), prompts


def _is_converted(cells: list[dict]) -> bool:
    return any(c["cell_type"] == "markdown" and _EXERCISE_OPEN in cell_source(c) for c in cells)


def _watermark_index(cells: list[dict]) -> int:
    for i in range(len(cells) - 1, -1, -1):
        if cells[i]["cell_type"] == "code" and "watermark(" in cell_source(cells[i]):
            return i
    return len(cells)


def _parse_plain(cells: list[dict], prefix: str):
    """Parse the unconverted form: a numbered list after '## Exercises', then '# Exercise N' code cells."""
    head_end = None
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown" and EXERCISES_HEADING in cell_source(cell).splitlines():
            head_end = i
            break
    if head_end is None:  # no exercises yet: they all come from the content module
        end = _watermark_index(cells)
        heading = _markdown(EXERCISES_HEADING, f"{prefix}-exercises")
        return cells[:end], heading, [], cells[end:]
    head = cells[:head_end]
    lines = cell_source(cells[head_end]).splitlines()
    at = lines.index(EXERCISES_HEADING)
    before = "\n".join(lines[:at]).strip()
    intro, prompts = _split_items("\n".join(lines[at + 1:]))
    heading_text = EXERCISES_HEADING + (f"\n\n{intro}" if intro else "")
    if before:  # Key points and the heading shared a cell: the Key points keep the cell's id
        kept = copy.deepcopy(cells[head_end])
        kept["source"] = before
        head = [*head, kept]
        heading = _markdown(heading_text, f"{prefix}-exercises")
    else:
        heading = copy.deepcopy(cells[head_end])
        heading["source"] = heading_text
    exercises: dict[int, Exercise] = {n: Exercise(n, p) for n, p in prompts.items()}
    current = None
    i = head_end + 1
    while i < len(cells):
        cell = cells[i]
        src = cell_source(cell)
        header = _SOLUTION_HEADER.match(src.lstrip()) if cell["cell_type"] == "code" else None
        if header:
            current = exercises.setdefault(int(header.group(1)), Exercise(int(header.group(1)), ""))
            current.code.append(copy.deepcopy(cell))
        elif cell["cell_type"] == "code" and "hide-cell" in _tags(cell) and current is not None:
            current.code.append(copy.deepcopy(cell))
        elif cell["cell_type"] == "code":
            break  # the watermark: the end of the exercises
        elif current is not None:
            text_lines = src.splitlines()
            cut = next((k for k, line in enumerate(text_lines)
                        if (m := _ITEM.match(line)) and int(m.group(1)) > current.number), None)
            discussion = "\n".join(text_lines if cut is None else text_lines[:cut]).strip()
            if cut is not None:
                _, more = _split_items("\n".join(text_lines[cut:]))
                for n, p in more.items():
                    exercises.setdefault(n, Exercise(n, p)).prompt = p
            if discussion:
                kept = copy.deepcopy(cell)
                kept["source"] = discussion
                current.discussion.append(kept)
        i += 1
    return head, heading, [exercises[n] for n in sorted(exercises)], cells[i:]


def _parse_converted(cells: list[dict], prefix: str):
    """Parse the converted form written by :func:`convert_cells`."""
    first = next(i for i, c in enumerate(cells)
                 if c["cell_type"] == "markdown" and _EXERCISE_OPEN in cell_source(c))
    heading = cells[first - 1]
    exercises, current, inside, i = [], None, False, first
    while i < len(cells):
        cell = cells[i]
        src = cell_source(cell)
        if cell["cell_type"] == "markdown" and src.startswith(_EXERCISE_OPEN):
            label = _LABEL.search(src).group(1)
            body = src.split("\n```")[0]
            prompt = body[body.index("\n", body.index(":label:")):].strip()
            current = Exercise(int(label.rsplit("-ex", 1)[1]), prompt, ids={"prompt": cell["id"]})
            exercises.append(current)
        elif cell["cell_type"] == "markdown" and src.startswith(_START_OPEN):
            inside = True
            current.ids["start"] = cell["id"]
        elif cell["cell_type"] == "markdown" and src.startswith(_END_OPEN):
            inside = False
            current.ids["end"] = cell["id"]
        elif inside and cell["cell_type"] == "code":
            current.code.append(copy.deepcopy(cell))
        elif inside:
            current.discussion.append(copy.deepcopy(cell))
        else:
            break
        i += 1
    return cells[:first - 1], heading, exercises, cells[i:]


def _emit(prefix: str, exercises: list[Exercise]) -> list[dict]:
    cells = []
    for ex in exercises:
        label = f"{prefix}-ex{ex.number}"
        prompt = f"{_EXERCISE_OPEN}\n:label: {label}\n\n{ex.prompt}\n```"
        cells.append(_markdown(prompt, ex.ids.get("prompt", label)))
        start = f"{_START_OPEN} {label}\n:class: dropdown\n```"
        cells.append(_markdown(start, ex.ids.get("start", f"{label}-start")))
        for cell in ex.code:
            tags = [t for t in _tags(cell) if t != "hide-cell"]  # the dropdown already hides the code
            if tags:
                cell["metadata"]["tags"] = tags
            else:
                cell["metadata"].pop("tags", None)
            cells.append(cell)
        cells.extend(ex.discussion)
        cells.append(_markdown(f"{_END_OPEN}\n```", ex.ids.get("end", f"{label}-end")))
    return cells


def convert_cells(cells: list[dict], prefix: str, content: dict | None = None) -> list[dict]:
    """Rewrite a chapter's cells so that its exercises use ``sphinx-exercise`` directives.

    Parameters
    ----------
    cells : list of dict
        The notebook's cells (nbformat 4 JSON), in either the unconverted or the converted form.
    prefix : str
        Label prefix of the chapter (``"ch01"``); exercise ``N`` gets the label ``"ch01-exN"``.
    content : dict, optional
        Exercises and discussions to add: ``{"exercises": [{"number": 4, "prompt": ..., "code": ...,
        "discussion": ...}], "discussions": {2: "..."}}`` (an exercise number the chapter already has is
        skipped, a discussion is added only to a solution without one); by default nothing is added.

    Returns
    -------
    list of dict
        The new cells. Kept cells keep their ids; new cells get ids derived from their label.

    Raises
    ------
    ValueError
        If an exercise has no prompt or no solution, or the numbering has gaps.
    """
    if content is None:
        content = {}
    parse = _parse_converted if _is_converted(cells) else _parse_plain
    head, heading, exercises, tail = parse(copy.deepcopy(cells), prefix)
    known = {ex.number for ex in exercises}
    for extra in content.get("exercises", []):
        if extra["number"] in known:
            continue
        label = f"{prefix}-ex{extra['number']}"
        exercises.append(Exercise(extra["number"], extra["prompt"].strip(),
                                  [_code(extra["code"].strip() + "\n", f"{label}-code")]))
        if extra.get("discussion"):
            exercises[-1].discussion.append(_markdown(extra["discussion"].strip(), f"{label}-discussion"))
    exercises.sort(key=lambda ex: ex.number)
    for ex in exercises:
        if not ex.discussion and ex.number in content.get("discussions", {}):
            text = content["discussions"][ex.number].strip()
            ex.discussion.append(_markdown(text, f"{prefix}-ex{ex.number}-discussion"))
    numbers = [ex.number for ex in exercises]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(f"{prefix}: exercises must be numbered 1, 2, ... (got {numbers})")
    for ex in exercises:
        if not ex.prompt or not ex.code:
            raise ValueError(f"{prefix}: exercise {ex.number} needs a prompt and a solution cell")
    new = [*head, heading, *_emit(prefix, exercises), *tail]
    ids = [c["id"] for c in new]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(f"{prefix}: duplicated cell ids after conversion: {duplicated}")
    return new


def _read(path: Path) -> dict:
    return json.loads(path.read_text())


def _write(path: Path, nb: dict) -> None:
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def convert(paths: list[str | Path]) -> list[Path]:
    """Convert chapter notebooks in place; return the ones that changed.

    Parameters
    ----------
    paths : list of str or Path
        Chapter notebooks (``book/NN_name.ipynb``).

    Returns
    -------
    list of Path
        The notebooks whose content changed (none on a second run).
    """
    changed = []
    for path in map(Path, paths):
        nb = _read(path)
        cells = convert_cells(nb["cells"], chapter_prefix(path))
        if cells != nb["cells"]:
            nb["cells"] = cells
            _write(path, nb)
            changed.append(path)
    return changed


def solution_spans(cells: list[dict]) -> list[tuple[int, int]]:
    """Index ranges ``(start, end)``, both inclusive, of the solution blocks of a converted chapter.

    Parameters
    ----------
    cells : list of dict
        The notebook's cells.

    Returns
    -------
    list of tuple of int
        One pair per solution block, from its ``solution-start`` cell to its ``solution-end`` cell.
    """
    spans, start = [], None
    for i, cell in enumerate(cells):
        src = cell_source(cell)
        if cell["cell_type"] == "markdown" and src.startswith(_START_OPEN):
            start = i
        elif cell["cell_type"] == "markdown" and src.startswith(_END_OPEN):
            if start is None:
                raise ValueError(f"solution-end without solution-start at cell {i}")
            spans.append((start, i))
            start = None
    if start is not None:
        raise ValueError(f"solution-start at cell {start} is never closed")
    return spans


def _strip(cell: dict) -> dict:
    cell = copy.deepcopy(cell)
    if cell["cell_type"] == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
    cell["metadata"].pop("execution", None)
    return cell


def student_cells(cells: list[dict]) -> list[dict]:
    """Cells of the student notebook: every solution block replaced by one empty answer cell.

    Parameters
    ----------
    cells : list of dict
        Cells of a converted chapter.

    Returns
    -------
    list of dict
        Outputs stripped, solution blocks (``solution-start`` to ``solution-end``) removed.
    """
    spans = solution_spans(cells)
    starts = {start for start, _ in spans}
    skip = {i for start, end in spans for i in range(start, end + 1)}
    out = []
    for i, cell in enumerate(cells):
        if i in starts:
            out.append(_code(STUDENT_PLACEHOLDER, f"{cell['id']}-answer"))
        elif i not in skip:
            out.append(_strip(cell))
    return out


def _zip(folder: Path, target: Path, readme: str) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{folder.name}/README.txt", readme)
        for nb in sorted(folder.glob("*.ipynb")):
            zf.write(nb, f"{folder.name}/{nb.name}")


def course(book: str | Path = "book", out: str | Path = "_build/course") -> dict[str, Path]:
    """Write the student and instructor notebooks of every chapter, and a zip of each set.

    Parameters
    ----------
    book : str or Path
        Folder holding the converted chapter notebooks.
    out : str or Path
        Output folder; ``student/``, ``instructor/``, ``student.zip`` and ``instructor.zip`` are
        written in it (the two folders are emptied of notebooks first).

    Returns
    -------
    dict of str to Path
        The paths of the two folders and the two zips.

    Raises
    ------
    ValueError
        If a chapter still has exercises in the unconverted form (run ``convert`` first).
    """
    book, out = Path(book), Path(out)
    chapters = sorted(book.glob(CHAPTER_GLOB))
    if not chapters:
        raise ValueError(f"book must hold chapter notebooks NN_name.ipynb (found none in {book})")
    paths = {"student": out / "student", "instructor": out / "instructor"}
    for folder in paths.values():
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.ipynb"):
            old.unlink()
    for path in chapters:
        nb = _read(path)
        if not _is_converted(nb["cells"]):
            raise ValueError(f"{path} has no {{exercise}} directives; run "
                             f"'python -m mixlab._course convert {path}' first")
        for kind, cells in (("instructor", [_strip(c) for c in nb["cells"]]),
                            ("student", student_cells(nb["cells"]))):
            _write(paths[kind] / path.name, {**nb, "cells": cells})
    texts = {"student": (" with the exercises and without their solutions"),
             "instructor": (" with the exercises and their solutions")}
    for kind in ("student", "instructor"):
        paths[f"{kind}.zip"] = out / f"{kind}.zip"
        _zip(paths[kind], paths[f"{kind}.zip"], README.format(kind=kind, what=texts[kind]))
    return paths


def main(argv: list[str] | None = None) -> int:
    """Command line: ``convert NB [NB ...]`` or ``course [--book DIR] [--out DIR]``."""
    parser = argparse.ArgumentParser(prog="python -m mixlab._course", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    conv = sub.add_parser("convert", help="rewrite chapters' exercises as sphinx-exercise directives")
    conv.add_argument("notebooks", nargs="+")
    kit = sub.add_parser("course", help="write student and instructor notebooks and zips")
    kit.add_argument("--book", default="book")
    kit.add_argument("--out", default="_build/course")
    args = parser.parse_args(argv)
    try:
        if args.command == "convert":
            changed = convert(args.notebooks)
            print(f"converted {len(changed)} of {len(args.notebooks)} notebooks: "
                  + (" ".join(str(p) for p in changed) or "nothing to do"))
        else:
            paths = course(args.book, args.out)
            print("\n".join(f"{kind}: {path}" for kind, path in paths.items()))
    except (ValueError, OSError) as err:  # bad paths or notebooks: one line, no traceback
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
