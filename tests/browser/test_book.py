"""What a reader of the rendered book sees: every page clean, images decoded, links resolving, search working."""

from __future__ import annotations

import json
import re
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


@pytest.mark.parametrize("stem", _notebooks())
def test_notebook_figures_have_alt_text(checker, site, stem):
    """Every image on a chapter page has alt text (set per cell in its metadata, see
    tests/test_notebooks.py::test_figures_have_alt_text), not the file name docutils falls back to."""
    _, base_url = site
    missing = checker.images_without_alt(f"{base_url}book/{stem}.html")
    assert missing == [], f"{stem}.html: images without alt text: {missing}"


def _chapters():
    return [stem for stem in _notebooks() if stem[:2].isdigit()]


@pytest.mark.parametrize("stem", _chapters())
def test_chapter_shows_learning_goals_and_numbered_exercises(checker, site, stem):
    """Issue 18: every chapter opens with its learning goals and has 2-4 numbered exercises, labelled
    <chapter>-ex<N>, each with a solution that stays collapsed until the reader opens it."""
    _, base_url = site
    seen = checker.course_elements(f"{base_url}book/{stem}.html")
    assert seen["first_admonition"] == "Learning goals", (stem, seen["first_admonition"])
    exercises = seen["exercises"]
    assert 2 <= len(exercises) <= 4, (stem, exercises)
    chapter = f"ch{stem[:2]}"
    assert [e["id"] for e in exercises] == [f"{chapter}-ex{i}" for i in range(1, len(exercises) + 1)]
    assert all(re.fullmatch(r"Exercise (\d+\.)?\d+", e["caption"]) for e in exercises), exercises
    assert len(seen["solutions"]) == len(exercises), (stem, seen["solutions"])
    assert all(s["hidden"] for s in seen["solutions"]), (stem, seen["solutions"])


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
    a request to another host and images without alt text is reported on every count."""
    site_dir = tmp_path / "site"
    make_broken_site(site_dir, ROOT / "book" / "_static" / "favicon.png")
    with serve(site_dir) as base_url:
        pc = PageChecker(browser, site_dir, base_url)
        try:
            problems = pc.check(f"{base_url}index.html")
            missing_alt = pc.images_without_alt(f"{base_url}index.html")
        finally:
            pc.close()
    assert missing_alt == ["no-alt.png", "blank-alt.png", "path-alt.png"]
    text = "\n".join(problems)
    assert "image not decoded: missing.png" in text
    assert "HTTP 404" in text and "missing.png" in text
    assert "uncaught exception" in text and "undefinedFunctionCall" in text
    assert "broken link" in text and "nowhere.html" in text
    assert "broken anchor" in text and "not-there" in text
    assert "request leaves 127.0.0.1: http://example.org/remote.png" in text
    assert "good.png" not in text and "other.html#here" not in text
