"""Execute the book's notebooks into its jupyter-cache, two at a time, before ``jupyter-book build``.

jupyter-book 1.x executes the notebooks one after another. Most of a cold execution is single-threaded
compilation (PyTensor/numba), so on a 2-core machine two notebooks side by side finish in a little more
than half the time. This script puts every notebook of ``book/`` into the cache that ``_config.yml``
names and runs the ones whose code changed with jupyter-cache's parallel executor (one process per core,
readers' seeds: no seed shift); the build then finds each notebook in the cache and does not execute it
again. A notebook that raises stops the build here, with its traceback.

    python .ci/execute_book.py
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import yaml
from jupyter_cache import get_cache
from jupyter_cache.cache.db import NbProjectRecord
from jupyter_cache.executors import load_executor

ROOT = Path(__file__).resolve().parents[1]


def notebooks() -> list[Path]:
    # every book/*.ipynb, as .ci/nbrun.py runs them; tests/test_notebooks.py checks that _toc.yml lists them all
    return sorted((ROOT / "book").glob("*.ipynb"))


def main() -> int:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]
    if config.get("execute_notebooks") != "cache" or config.get("run_in_temp"):
        print("execute_book.py expects execute_notebooks: cache and run_in_temp: false in _config.yml",
              file=sys.stderr)
        return 2
    os.environ.pop("MIXLAB_SEED_SHIFT", None)  # the book shows the readers' seeds
    cache = get_cache(str(ROOT / config["cache"]))
    paths = [str(p) for p in notebooks()]
    for path in paths:
        cache.add_nb_to_project(path)
    logger = logging.getLogger("execute_book")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    executor = load_executor("local-parallel", cache=cache, logger=logger)
    result = executor.run_and_cache(timeout=config["timeout"], allow_errors=config["allow_errors"],
                                    filter_uris=paths)
    failed = result.excepted + result.errored
    for uri in failed:
        record = NbProjectRecord.record_from_uri(uri, cache.db)
        print(f"\n{uri} failed:\n{record.traceback or '(no traceback recorded)'}", file=sys.stderr)
    print(f"executed {len(result.succeeded)} notebook(s), {len(failed)} failed; "
          "the others were already in the cache")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
