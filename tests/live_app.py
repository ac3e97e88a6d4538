"""The real app under `streamlit run`, and Debian's chromium to look at it: shared by
the browser tests and benchmarks/app_bench.py."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"  # Playwright cannot download its own browser here
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 2400}  # Streamlit scrolls inside its own container: fit the page


def settled(page, timeout_ms: int = 60_000) -> None:
    """The run has ended and Streamlit has removed what it replaced (faded, stale elements)."""
    from playwright.sync_api import expect

    expect(page.locator("[data-test-script-state='notRunning']")).to_be_attached(timeout=timeout_ms)
    expect(page.locator("[data-stale='true']")).to_have_count(0, timeout=timeout_ms)


class AppDidNotStart(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(log_path: Path, *extra_args: str) -> tuple[subprocess.Popen, str]:
    """Start `streamlit run app.py` on a free local port; return it once /_stcore/health says ok."""
    port = free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--browser.gatherUsageStats", "false", *extra_args],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise AppDidNotStart(f"streamlit run exited with code {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().decode().strip() == "ok":
                    return proc, url
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_app(proc)
            raise AppDidNotStart(f"streamlit run did not answer /_stcore/health within 60 s; see {log_path}")
        time.sleep(0.2)


def stop_app(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def running_app(log_name: str, *extra_args: str) -> Iterator[str]:
    """The app's URL while it runs, for a test module; a failed start fails the test."""
    import pytest

    log = REPO / "test-output"
    log.mkdir(exist_ok=True)
    try:
        proc, url = start_app(log / log_name, *extra_args)
    except AppDidNotStart as problem:
        pytest.fail(str(problem))
    try:
        yield url
    finally:
        stop_app(proc)


@contextmanager
def chromium() -> Iterator:
    """Debian's chromium under Playwright (which cannot download a browser of its own here)."""
    import pytest
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium.")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def resized(page, viewport: dict) -> None:
    """The page in a window of another size, as a window resized or a phone turned; the caller then
    waits for its own sign that the page has laid itself out again."""
    if page.viewport_size != viewport:
        page.set_viewport_size(viewport)
        page.wait_for_timeout(200)  # the resize reaches Streamlit's observers first


@contextmanager
def handed_on(context, page, later: dict, key, keep: bool) -> Iterator[None]:
    """A test's page, left in `later[key]` for a later test of its module when `keep` is true and the
    test passed; closed otherwise, so that a failed test hands no broken page on."""
    try:
        yield
    except BaseException:
        context.close()
        raise
    if keep:
        later[key] = (context, page)
    else:
        context.close()


class Tabs:
    """chromium whose browser contexts are lent to tests and taken back. A test's
    `new_context(**options)` gets a context with exactly those options that no other test holds,
    with its page kept from an earlier test of the module. The page's next `goto` then runs in the
    same renderer process, which keeps Streamlit's compiled JavaScript: a page load costs about
    half the CPU of one in a new context (1.4 s against 2.9 s, measured with the app at rest).
    Between tests the kept page's cookies, storage and extra pages are cleared and it is sent to
    about:blank, which ends its Streamlit session; each `goto` opens a new one. A test that adds
    listeners to its page or context takes a context of its own with `new_context(...,
    reuse=False)`. At most `KEPT` contexts wait to be lent again (each holds a renderer); the one
    kept longest is closed first."""

    KEPT = 8

    def __init__(self, browser):
        self.browser = browser
        self._free: list[tuple[str, object, object]] = []  # (options, context, page), oldest first

    def new_context(self, reuse: bool = True, **options):
        if not reuse:
            return self.browser.new_context(**options)
        key = repr(sorted(options.items()))
        kept = [i for i, (options_kept, _context, _page) in enumerate(self._free) if options_kept == key]
        if kept:
            _key, context, page = self._free.pop(kept[-1])
        else:
            context = self.browser.new_context(**options)
            page = context.new_page()
        return _Lent(self, key, context, page, options.get("viewport"))

    def take_back(self, lent: "_Lent") -> None:
        context, page = lent.context, lent.page
        try:
            if page.is_closed():
                raise RuntimeError("the test closed its page")
            for other in context.pages:
                if other != page:
                    other.close()
            if lent.viewport and page.viewport_size != lent.viewport:  # a test that resized its page
                page.set_viewport_size(lent.viewport)
            context.clear_cookies()
            page.evaluate("() => { try { localStorage.clear(); sessionStorage.clear(); } catch (e) {} }")
            # Off the app while it waits: a class page left open polls the server each second, for
            # as long as the context is kept. about:blank keeps the renderer and its compiled code.
            page.goto("about:blank")
        except Exception:  # a page the test broke or closed is not lent again
            context.close()
            return
        self._free.append((lent.key, context, page))
        while len(self._free) > self.KEPT:
            self._free.pop(0)[1].close()

    def close(self) -> None:
        for _key, context, _page in self._free:
            context.close()
        self._free.clear()


class _Lent:
    """One test's context: its first `new_page()` is the kept page; `close()` hands it back."""

    def __init__(self, tabs: Tabs, key: str, context, page, viewport: dict | None):
        self.tabs, self.key, self.context, self.page, self.viewport = tabs, key, context, page, viewport
        self._page_given = False

    def new_page(self):
        if self._page_given:
            return self.context.new_page()
        self._page_given = True
        return self.page

    def close(self) -> None:
        self.tabs.take_back(self)

    def __getattr__(self, name):
        return getattr(self.context, name)
