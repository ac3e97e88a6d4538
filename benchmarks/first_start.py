"""The first minutes of a class: after a server start, how long until the first page and
the Keras column's match badge, with TensorFlow loading at the first page view (plain
`streamlit run`) and at the server's start (`deploy/streamlit_failover.py run`, as
`make run` and `make serve` start the app).

    .venv/bin/python benchmarks/first_start.py [--before-class SECONDS]

A teacher starts the app a little before class: the page is opened `--before-class` seconds
(default 20) after /_stcore/health first answers. Times are from that navigation; the
load average is printed, since other work on the same cores slows every figure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from live_app import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402

RUNNERS = {"plain streamlit run": ["-m", "streamlit"],
           "gruviz runner (make run)": [str(REPO / "deploy" / "streamlit_failover.py")]}


def started(runner: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, *runner, "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port)], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{runner} did not start")


def measure(url: str) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        start = time.monotonic()
        page.goto(url, timeout=180_000)
        page.get_by_text("-0.462795").first.wait_for(timeout=180_000)
        first = time.monotonic() - start
        page.get_by_text("match ·").first.wait_for(timeout=180_000)
        badge = time.monotonic() - start
        browser.close()
    return first, badge


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before-class", type=float, default=20.0)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; page opened {args.before_class:g} s after the server answered")
    for name, runner in RUNNERS.items():
        proc, url = started(runner)
        try:
            time.sleep(args.before_class)  # the teacher starts the app before class
            first, badge = measure(url)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        print(f"{name:28s} first page {first:5.1f} s   Keras badge {badge:5.1f} s")


if __name__ == "__main__":
    main()
