"""What a reader of the rendered book sees: every page clean, images decoded, links resolving, search working."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from checker import PageChecker, make_broken_site, serve

ROOT = Path(__file__).resolve().parents[2]


def _toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                pages.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc.get("parts", toc.get("chapters", [])))
    return pages


PAGES = _toc_pages()


def test_index_redirects_to_the_root_page(checker, site):
    _, base_url = site
    assert checker.check(base_url) == []


@pytest.mark.parametrize("page", PAGES)
def test_page_is_clean(checker, site, page):
    _, base_url = site
    problems = checker.check(f"{base_url}{page}.html")
    assert problems == [], f"{page}.html:\n" + "\n".join(problems)


def _notebooks():
    return sorted(p.stem for p in (ROOT / "book").glob("*.ipynb"))


@pytest.mark.parametrize("stem", _notebooks())
def test_notebook_page_shows_its_figures_and_download(browser, site, stem):
    """Each executed notebook renders at least one figure and offers the .ipynb for download."""
    root, base_url = site
    html = (root / "book" / f"{stem}.html").read_text()
    assert "<img" in html, f"{stem}.html has no figure: was the notebook executed?"
    nb = json.loads((ROOT / "book" / f"{stem}.ipynb").read_text())
    has_plot = any("plot" in "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert has_plot
    assert (root / "_sources" / "book" / f"{stem}.ipynb").is_file(), "no downloadable .ipynb"
    assert f"_sources/book/{stem}.ipynb" in html, "no download button for the notebook"


def test_math_renders_offline(browser, site):
    """MathJax is bundled: formulas in the quickstart are typeset without the network."""
    _, base_url = site
    page = browser.new_page()
    try:
        page.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())
        page.goto(f"{base_url}book/00_quickstart.html", wait_until="networkidle")
        page.wait_for_selector("mjx-container", timeout=20_000)
        assert page.locator("mjx-container").count() > 0
    finally:
        page.close()


def test_search_finds_a_word_from_a_chapter(checker):
    titles = checker.search("Dirichlet")
    assert any("mixture" in t.lower() for t in titles), titles


def test_checker_fails_on_a_broken_page(browser, tmp_path):
    """The checks above can fail: a page with a missing image, a JS error, a broken link and anchor,
    and a request to another host is reported on every count."""
    site_dir = tmp_path / "site"
    make_broken_site(site_dir, ROOT / "book" / "_static" / "favicon.png")
    with serve(site_dir) as base_url:
        pc = PageChecker(browser, site_dir, base_url)
        try:
            problems = pc.check(f"{base_url}index.html")
        finally:
            pc.close()
    text = "\n".join(problems)
    assert "image not decoded: missing.png" in text
    assert "HTTP 404" in text and "missing.png" in text
    assert "uncaught exception" in text and "undefinedFunctionCall" in text
    assert "broken link" in text and "nowhere.html" in text
    assert "broken anchor" in text and "not-there" in text
    assert "request leaves 127.0.0.1: http://example.org/remote.png" in text
    assert "good.png" not in text and "other.html#here" not in text
