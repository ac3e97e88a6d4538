"""Stepping through time against a full-page rerun, on the real server, in one run.

A teacher presses → and only the step fragment reruns; typing a new sequence reruns
the whole page. Both are timed the way the browser sees them: from the web-socket
message that carries the change to the `script_finished` that ends its run, with the
Keras column on and TensorFlow loaded. Prints medians and their ratio.

    .venv/bin/python benchmarks/step_repaint.py [--repeats 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "tests")]

from live_app import start_app, stop_app  # noqa: E402
from ws_client import Page  # noqa: E402


async def measure(url: str, query: str, repeats: int) -> tuple[list[float], list[float]]:
    page = Page(url, query_string=query)
    await page.connect()
    await page.run(timeout=180)
    await page.settle(limit=240)  # the Keras column fills in once TensorFlow has loaded
    steps, full = [], []
    for i in range(repeats):
        steps.append((await page.set_value("step", 1 + (i + 1) % 4)).seconds)
        full.append((await page.set_value("seq_text", f"1, 2, 9, {i % 7 + 2}", timeout=120)).seconds)
    await page.close()
    return steps, full


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    log = ROOT / "test-output"
    log.mkdir(exist_ok=True)
    proc, url = start_app(log / "step-repaint-bench.log")
    try:
        print(f"{'page':<16}{'step ms':>10}{'full rerun ms':>15}{'ratio':>8}   (medians of {args.repeats})")
        for label, query in (("magnifier", ""), ("presenter", "present=true")):
            steps, full = asyncio.run(measure(url, query, args.repeats))
            step_ms, full_ms = 1000 * statistics.median(steps), 1000 * statistics.median(full)
            print(f"{label:<16}{step_ms:>10.1f}{full_ms:>15.1f}{step_ms / full_ms:>8.2f}")
    finally:
        stop_app(proc)


if __name__ == "__main__":
    main()
