"""Check rendered HTML pages in Debian's Chromium, driven by Playwright.

`serve(root)` serves a folder on 127.0.0.1 at a free port; `PageChecker.check(url)` loads a page and
returns the list of problems a reader would meet: console errors, uncaught exceptions, failed requests,
HTTP errors, images that did not decode, internal links to missing files or anchors, and any request
that tries to leave 127.0.0.1 (those are blocked, so a page that needs the network fails here too).
`PageChecker.images_without_alt(url)` lists the images a screen reader cannot describe.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1"}


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        pass


@contextlib.contextmanager
def serve(root: Path):
    """Serve ``root`` on 127.0.0.1 at a free port; yield the base URL (ending in '/')."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)


@functools.lru_cache(maxsize=256)
def _anchors(path: Path) -> frozenset[str]:
    parser = _Ids()
    parser.feed(path.read_text(errors="replace"))
    return frozenset(parser.ids)


def launch(playwright):
    """Launch Debian's Chromium headless with the flags this machine needs."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"{CHROMIUM} not found; install Debian's chromium (make test does it when run as root)"
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


class PageChecker:
    """Load pages of a site served from ``root`` at ``base_url`` and report problems."""

    def __init__(self, browser, root: Path, base_url: str):
        self.root = Path(root)
        self.base_url = base_url
        self.context = browser.new_context()
        self.context.route("**/*", self._route)
        self._problems: list[str] = []

    def close(self):
        self.context.close()

    def _route(self, route):
        host = urlsplit(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            self._problems.append(f"request leaves 127.0.0.1: {route.request.url}")
            route.abort()

    def _local_target(self, href: str) -> tuple[Path, str] | None:
        parts = urlsplit(href)
        if parts.scheme not in ("http", "https") or parts.hostname not in LOCAL_HOSTS:
            return None
        rel = unquote(parts.path).lstrip("/")
        path = self.root / rel
        if rel == "" or rel.endswith("/"):
            path = path / "index.html"
        return path, unquote(parts.fragment)

    def check(self, url: str, *, settle_ms: int = 300) -> list[str]:
        """Load ``url`` and return a list of problems (empty when the page is clean)."""
        self._problems = problems = []
        page = self.context.new_page()
        page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"uncaught exception: {e}"))
        page.on(
            "requestfailed",
            lambda r: urlsplit(r.url).hostname in LOCAL_HOSTS
            and problems.append(f"request failed: {r.url} ({r.failure})"),
        )
        page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
        try:
            response = page.goto(url, wait_until="load")
            if response is None or response.status >= 400:
                problems.append(f"page did not load: {url}")
                return problems
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(settle_ms)
            broken = page.evaluate(
                """async () => {
                    const imgs = Array.from(document.images);
                    imgs.forEach(i => { i.loading = 'eager'; });
                    await Promise.all(imgs.map(i => i.decode().catch(() => null)));
                    return imgs.filter(i => !(i.complete && i.naturalWidth > 0))
                               .map(i => i.getAttribute('src'));
                }"""
            )
            problems.extend(f"image not decoded: {src}" for src in broken)
            hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]'), a => a.href)")
            for href in sorted(set(hrefs)):
                target = self._local_target(href)
                if target is None:
                    continue
                path, fragment = target
                if not path.is_file():
                    problems.append(f"broken link: {href}")
                elif fragment and path.suffix == ".html" and fragment not in _anchors(path):
                    problems.append(f"broken anchor: {href}")
        finally:
            page.close()
        return problems

    def images_without_alt(self, url: str) -> list[str]:
        """The ``src`` of every image on the page whose alt text is missing, blank or only its file name.

        Docutils gives an image without alt text its own path as alt (``_images/<hash>.png`` for a
        MyST-NB cell output), which a screen reader reads out as gibberish: that counts as missing.
        """
        with self._opened(url) as page:
            return page.evaluate(
                """() => Array.from(document.images).filter(i => {
                    const alt = (i.getAttribute('alt') || '').trim();
                    const file = (i.getAttribute('src') || '').split(/[?#]/)[0].split('/').pop();
                    return !alt || alt.split('/').pop() === file;
                }).map(i => i.getAttribute('src'))"""
            )

    def course_elements(self, url: str) -> dict:
        """What a student sees of a chapter's course kit: the title of its first admonition, the caption of
        each exercise (``Exercise 3.2``) and, per solution, whether it is collapsed (hidden until clicked)."""
        with self._opened(url) as page:
            page.wait_for_load_state("networkidle")
            return page.evaluate(
                """() => {
                    const first = document.querySelector('.admonition .admonition-title');
                    const exercises = Array.from(document.querySelectorAll('div.exercise'), d => ({
                        id: d.id,
                        caption: (d.querySelector('.admonition-title') || {textContent: ''}).textContent.trim(),
                    }));
                    // sphinx-togglebutton collapses a dropdown by hiding everything but its title
                    const shown = e => getComputedStyle(e).visibility !== 'hidden'
                        && e.getBoundingClientRect().height > 0;
                    const solutions = Array.from(document.querySelectorAll('div.solution'), d => {
                        const body = Array.from(d.children).filter(c => !c.classList.contains('admonition-title'));
                        return {id: d.id, hidden: body.length > 0 && !body.some(shown)};
                    });
                    return {first_admonition: first ? first.textContent.trim() : '', exercises, solutions};
                }"""
            )

    def search(self, word: str) -> list[str]:
        """Run the site's search for ``word``; return the titles of the result links."""
        with self._opened(f"{self.base_url}search.html?q={word}") as page:
            page.wait_for_selector("#search-results ul.search li a", timeout=20_000)
            return page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.textContent)")

    @contextlib.contextmanager
    def _opened(self, url: str):
        """A new page with ``url`` loaded, closed on leaving the block."""
        page = self.context.new_page()
        try:
            page.goto(url, wait_until="load")
            yield page
        finally:
            page.close()


def make_broken_site(folder: Path, good_image: Path) -> None:
    """Write a small site with known defects, to prove the checker catches them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("good.png", "no-alt.png", "blank-alt.png", "path-alt.png"):
        shutil.copy(good_image, folder / name)
    (folder / "other.html").write_text("<html><body><p id='here'>x</p></body></html>")
    (folder / "index.html").write_text(
        "<html><head><title>broken</title></head><body>"
        "<img src='good.png' alt='fine'>"
        "<img src='no-alt.png'><img src='blank-alt.png' alt=' '>"
        "<img src='path-alt.png' alt='_images/path-alt.png'>"
        "<img src='missing.png' alt='missing'>"
        "<a href='other.html#here'>fine link</a>"
        "<a href='nowhere.html'>broken link</a>"
        "<a href='other.html#not-there'>broken anchor</a>"
        "<img src='http://example.org/remote.png' alt='remote'>"
        "<script>undefinedFunctionCall();</script>"
        "</body></html>"
    )
