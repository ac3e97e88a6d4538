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
