"""Print how often and how long each notebook executed in this 'make test', and the time of each stage.

Reads ``_build/timings/`` (written by the Makefile's test target and by .ci/nbrun.py) and the book's
jupyter-cache (``_build/.jupyter_cache``), whose records carry each execution's duration. Measured, never asserted.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMINGS = ROOT / "_build" / "timings"


def _book_runs(since: float) -> dict[str, list[float]]:
    db = ROOT / "_build" / ".jupyter_cache" / "global.db"
    runs: dict[str, list[float]] = {}
    if not db.exists():
        return runs
    with sqlite3.connect(db) as con:
        for uri, data, created in con.execute("SELECT uri, data, created FROM nbcache"):
            when = datetime.fromisoformat(created).replace(tzinfo=UTC).timestamp()
            if when + 1 < since:
                continue
            seconds = (json.loads(data) if isinstance(data, str) else data or {}).get("execution_seconds")
            runs.setdefault(Path(uri).name, []).append(float(seconds or "nan"))
    return runs


def main() -> int:
    start = float((TIMINGS / "start").read_text()) if (TIMINGS / "start").exists() else 0.0
    nbval_file = TIMINGS / "nbval.json"
    nbval = json.loads(nbval_file.read_text()) if nbval_file.exists() else {}
    book = _book_runs(start)
    names = sorted({n for res in nbval.values() for n in res} | set(book))
    print("\nNotebook executions in this run (seconds; nbval under the commit's seed shift, the book with "
          "the readers' seeds):")
    shifts = list(nbval)
    header = "| notebook | " + " | ".join(f"nbval (shift {s})" for s in shifts) + " | book build | runs |"
    print(header)
    print("|---|" + "---|" * (len(shifts) + 2))
    total = 0.0
    for name in names:
        cells, runs = [], 0
        for s in shifts:
            res = nbval[s].get(name)
            if res and res["status"] == "pass":
                cells.append(f"{res['seconds']:.0f}")
                runs += 1
                total += res["seconds"]
            else:
                cells.append(res["status"] if res else "-")
        book_runs = book.get(name, [])
        runs += len(book_runs)
        total += sum(book_runs)
        cells.append(" + ".join(f"{t:.0f}" for t in book_runs) if book_runs else "cached (0 runs)")
        print(f"| {name} | " + " | ".join(cells) + f" | {runs} |")
    print(f"Notebook execution in all: {total:.0f} s over {len(names)} notebooks")
    stages = TIMINGS / "stages"
    if stages.exists():
        rows = [line.split() for line in stages.read_text().splitlines() if line.strip()]
        print("Stages: " + ", ".join(f"{name} {float(sec):.0f} s" for name, sec in rows)
              + f"; total {sum(float(sec) for _, sec in rows):.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
