"""Execute the book's notebooks under nbval with every seed moved, and tabulate what passed and how long it took.

    python .ci/nbrun.py --shifts "1 2 3" [book/02_label_switching.ipynb ...]

For each shift, every notebook runs in a kernel started with ``MIXLAB_SEED_SHIFT=<shift>`` and an IPython
start-up file that installs the shift (``mixlab._seedshift``): samplers, simulators and NumPy generators all
get seeds derived from (their seed, shift), while the cells stay as readers see them. ``--shifts commit``
uses the shift of the checked-out commit (what ``make test`` does). Prints one row per notebook with the
result and the execution time under each shift; exits non-zero if any cell failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"


def _shifts(spec: str) -> list[int]:
    if spec.strip() == "commit":
        from mixlab._seedshift import commit_shift

        return [commit_shift(ROOT)]
    return [int(s) for s in spec.replace(",", " ").split()]


def _run(shift: int, notebooks: list[str], jobs: int, extra: list[str]) -> dict[str, tuple[str, float]]:
    from mixlab._seedshift import write_ipython_dir

    with tempfile.TemporaryDirectory(prefix="mixlab-ipython-") as ipdir:
        write_ipython_dir(ipdir)
        junit = Path(ipdir) / "junit.xml"
        env = dict(os.environ, IPYTHONDIR=ipdir, MIXLAB_SEED_SHIFT=str(shift), MPLBACKEND="Agg")
        rc = ROOT / ".venv" / "pytensorrc"  # what the Makefile exports (.ci/ensure-blas)
        if rc.exists():
            env.setdefault("PYTENSORRC", str(rc))
        cmd = [str(VENV_BIN / "pytest"), "--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout=600",
               "-p", "no:cacheprovider", "-q", f"--junitxml={junit}", *notebooks, *extra]
        if jobs > 1 and len(notebooks) > 1:
            cmd += ["-n", str(jobs), "--dist", "loadfile"]
        print(f"== seed shift {shift}: {' '.join(Path(n).name for n in notebooks)}", flush=True)
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env)
        print(f"== seed shift {shift}: pytest exit {proc.returncode} after {time.perf_counter() - start:.0f} s",
              flush=True)
        results: dict[str, tuple[str, float]] = {}
        if not junit.exists():
            return {Path(n).name: ("error", float("nan")) for n in notebooks}
        seconds: dict[str, float] = defaultdict(float)
        failed: dict[str, int] = defaultdict(int)
        for case in ET.parse(junit).getroot().iter("testcase"):
            # nbval names a cell's test case "book.<notebook>.ipynb" (or the path with a "file" attribute)
            name = (case.get("file") or case.get("classname") or "").split("/")[-1].split("::")[0]
            name = name.removeprefix("book.")
            seconds[name] += float(case.get("time", 0.0))
            if case.find("failure") is not None or case.find("error") is not None:
                failed[name] += 1
        for nb in notebooks:
            key = Path(nb).name
            status = "pass" if key in seconds and not failed[key] else f"FAIL ({failed[key]} cells)"
            if key not in seconds:
                status = "not run"
            results[key] = (status, seconds.get(key, float("nan")))
        return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shifts", default="1 2 3", help='seed shifts, e.g. "1 2 3", or "commit"')
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")))
    parser.add_argument("--table", help="also write the table (markdown) to this file")
    parser.add_argument("--json", help="also write the results (JSON) to this file")
    parser.add_argument("notebooks", nargs="*")
    args, extra = parser.parse_known_args(argv)
    notebooks = args.notebooks or sorted(str(p.relative_to(ROOT)) for p in (ROOT / "book").glob("*.ipynb"))
    shifts = _shifts(args.shifts)
    table = {shift: _run(shift, notebooks, args.jobs, extra) for shift in shifts}
    names = [Path(n).name for n in notebooks]
    lines = ["| notebook | " + " | ".join(f"shift {s}" for s in shifts) + " |",
             "|---|" + "---|" * len(shifts)]
    for name in names:
        cells = [f"{table[s][name][0]}, {table[s][name][1]:.0f} s" for s in shifts]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    text = "\n".join(lines)
    print("\nNotebooks under seed shifts (execution time summed over cells, as nbval ran them):")
    print(text)
    if args.table:
        Path(args.table).parent.mkdir(parents=True, exist_ok=True)
        Path(args.table).write_text(text + "\n")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(
            {str(s): {name: {"status": st, "seconds": sec} for name, (st, sec) in table[s].items()}
             for s in shifts}, indent=1))
    ok = all(status == "pass" for res in table.values() for status, _ in res.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
