"""Fixtures for the browser test: the built book served on 127.0.0.1 and Debian's Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker import PageChecker, launch, serve

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = launch(pw)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def site():
    if not (HTML / "index.html").is_file():
        pytest.fail(f"{HTML}/index.html not found; build the book first (make book)")
    with serve(HTML) as base_url:
        yield HTML, base_url


@pytest.fixture(scope="session")
def checker(browser, site):
    root, base_url = site
    pc = PageChecker(browser, root, base_url)
    yield pc
    pc.close()
