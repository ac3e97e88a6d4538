"""A class at once: N simulated students drive the app over its web socket, as browsers do.

    .venv/bin/python benchmarks/load_test.py [--students 30] [--duration 60] [--processes 1 2]
                                             [--url http://127.0.0.1:PORT] [--no-memory]

Each configuration starts its own servers on loopback ports: 1 is one `streamlit run`
process (as `make run`); 2 or more is the `make serve` layout, that many processes behind
nginx with sticky sessions (deploy/serve.py). Every process first serves one page view so
TensorFlow is loaded, as it is after the teacher opens the page. Then each student opens
the page (GET / for nginx's route cookie, then the web socket /_stcore/stream), and until
the configuration's time is up: thinks 2–5 s, changes one widget (a new sequence in the
sequence box, the step slider, or the open tab) and waits for the rerun's
`script_finished`. Printed per configuration and per interaction: p50/p95/max of send →
script_finished, and errors (a run that failed or timed out, a dropped socket, an
exception box on the page). Target on a 2-core box: 30 students, p95 ≤ 1 s, 0 errors.

Before that (skip with --no-memory), the memory of one replica: RSS of a fresh process
idle, and after its first page view with the Keras column on and off, and whether
TensorFlow's libraries are mapped into it.

Bounded: at most 100 students and 600 s per configuration, loopback servers only; it
stops by itself. The machine's load average is printed: other work on the same CPUs
slows every figure here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "benchmarks")]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from deploy import serve  # noqa: E402
from live_app import start_app, stop_app  # noqa: E402
from replica_memory import replica_memory  # noqa: E402
from ws_client import Page, fetch_cookies, require_loopback  # noqa: E402

MAX_STUDENTS = 100
MAX_DURATION_S = 600
RUN_TIMEOUT_S = 30
THINK_S = (2.0, 5.0)
TARGET_P95_S = 1.0
# What a student does between thoughts; a missing widget (no step slider outside the
# magnifier tab) drops out of the draw.
INTERACTIONS = {"seq_text": 0.4, "step": 0.4, "view": 0.2}


@dataclass
class Tally:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def error(self, what: str, problem: object) -> None:
        self.errors[what].append(str(problem)[:200])


def new_sequence(rng: random.Random, current: str) -> str:
    """A sequence of 4–10 steps with as many features per step as the one on screen."""
    steps = [s for s in current.replace("\n", ";").split(";") if s.strip()]
    features = len(steps[0].replace(",", " ").split()) if ";" in current or "\n" in current else 1
    rows = [[round(rng.uniform(-3, 3), 1) for _ in range(features)] for _ in range(rng.randint(4, 10))]
    if features == 1:
        return ", ".join(f"{r[0]:g}" for r in rows)
    return "; ".join(" ".join(f"{v:g}" for v in r) for r in rows)


def next_value(rng: random.Random, page: Page, key: str, open_tab: str):
    widget = page.widgets[key]
    if key == "seq_text":
        return new_sequence(rng, widget.proto.value)
    if key == "step":
        lo, hi = int(widget.proto.min), int(widget.proto.max)
        now = int(widget.proto.value[0]) if widget.proto.value else lo
        return rng.choice([s for s in range(lo, hi + 1) if s != now] or [now])
    return rng.choice([label for label in widget.options if label != open_tab] or list(widget.options))


async def open_page(url: str, query_string: str, tally: Tally, label: str) -> Page:
    cookies = await asyncio.to_thread(fetch_cookies, url)  # the HTML first, as a browser: nginx's cookie
    page = Page(url, cookies, query_string)
    await page.connect(timeout=RUN_TIMEOUT_S)
    run = await page.run(timeout=RUN_TIMEOUT_S)
    tally.times[label].append(run.seconds)
    for shown in run.exceptions:
        tally.error("exception on page", shown)
    await page.settle(limit=4 * RUN_TIMEOUT_S)  # a column still loading polls, as in the browser
    return page


async def student(n: int, url: str, deadline: float, seed: int, tally: Tally) -> None:
    rng = random.Random(seed * 1000 + n)
    await asyncio.sleep(rng.uniform(0, THINK_S[1]))  # the class arrives over a few seconds
    page, open_tab, link = None, "", ""
    while time.monotonic() < deadline:
        try:
            if page is None:  # first visit, or back after a dropped socket with the link as it was
                page = await open_page(url, link, tally, "first page" if not link else "reconnect")
                link = page.query_string
                open_tab = page.widgets["view"].options[0] if "view" in page.widgets else ""
            await asyncio.sleep(rng.uniform(*THINK_S))
            if time.monotonic() >= deadline:
                break
            keys = [k for k in INTERACTIONS if k in page.widgets]
            key = rng.choices(keys, [INTERACTIONS[k] for k in keys])[0]
            value = next_value(rng, page, key, open_tab)
            run = await page.set_value(key, value, timeout=RUN_TIMEOUT_S)
            open_tab, link = (value if key == "view" else open_tab), page.query_string
            tally.times[key].append(run.seconds)
            for shown in run.exceptions:
                tally.error("exception on page", shown)
        except Exception as problem:  # a failed run, a refused or dropped socket: all count as errors
            tally.error(type(problem).__name__, problem)
            if page is not None:
                await page.close()
            page = None
            await asyncio.sleep(1)
    if page is not None:
        await page.close()


async def drive_class(url: str, students: int, duration: float, seed: int) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + duration
    tasks = [student(n, url, deadline, seed, tally) for n in range(students)]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), duration + 2 * RUN_TIMEOUT_S)
    except TimeoutError:
        tally.error("load test", "students still busy after the time was up: cancelled")
    return tally


async def warm_up(url: str) -> float:
    """One page view until the Keras column is filled: the process has imported TensorFlow
    and run its first Keras layer."""
    page = Page(url)
    started = time.perf_counter()
    await page.connect(timeout=RUN_TIMEOUT_S)
    try:
        await page.run(timeout=120)
        await page.settle(limit=300)
        return time.perf_counter() - started
    finally:
        await page.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(name: str, tally: Tally, students: int, server_cpu_s: float, own_cpu_s: float,
           wall_s: float) -> int:
    """Print the configuration's figures; return its error count."""
    print(f"\n{name}: {students} students")
    print(f"  {'interaction':<18}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    every = [t for k, ts in tally.times.items() if k not in ("first page", "reconnect") for t in ts]
    rows = [k for k in ("first page", "reconnect", *INTERACTIONS) if tally.times.get(k)]
    rows.append("all interactions")
    for key in rows:
        values = every if key == "all interactions" else tally.times[key]
        if values:
            print(f"  {key:<18}{len(values):>6}{1000 * statistics.median(values):>10.0f}"
                  f"{1000 * percentile(values, 0.95):>10.0f}{1000 * max(values):>10.0f}")
    errors = sum(len(v) for v in tally.errors.values())
    runs = sum(len(ts) for ts in tally.times.values())
    # Busy servers use ~all cores; servers far below that while runs wait were starved by other work.
    print(f"  server CPU per run (first pages included): {1000 * server_cpu_s / max(runs, 1):.0f} ms; "
          f"the servers used {server_cpu_s / wall_s:.2f} of {os.cpu_count()} cores, "
          f"the load generator {own_cpu_s / wall_s:.2f}")
    print(f"  errors: {errors}")
    for kind, problems in tally.errors.items():
        print(f"    {kind}: {len(problems)} (e.g. {problems[0]})")
    p95 = percentile(every, 0.95) if every else float("inf")
    verdict = "meets" if p95 <= TARGET_P95_S and errors == 0 else "misses"
    print(f"  {verdict} the target (p95 ≤ {TARGET_P95_S * 1000:.0f} ms, 0 errors); "
          f"load average {os.getloadavg()[0]:.1f}")
    return errors


def run_configuration(processes: int, students: int, duration: float, seed: int) -> None:
    log_dir = Path(tempfile.mkdtemp(prefix="gruviz-load-"))
    if processes == 1:
        proc, url = start_app(log_dir / "streamlit.log")
        name, stop, backends = "1 process (streamlit run)", (lambda: stop_app(proc)), [url]
    else:
        serving = serve.start(processes, run_dir=log_dir)
        url, stop = serving.url, serving.stop
        name, backends = f"{processes} processes behind nginx", [b.url for b in serving.backends]
    try:
        warm = [asyncio.run(warm_up(b)) for b in backends]
        print(f"\n[{name}] warm-up, a page view until its Keras column is filled, per process: "
              + ", ".join(f"{w:.1f} s" for w in warm), flush=True)
        pids = [proc.pid] if processes == 1 else [b.proc.pid for b in serving.backends]
        server_before = sum(cpu_seconds(p) for p in pids)
        own_before, started = time.process_time(), time.monotonic()
        tally = asyncio.run(drive_class(url, students, duration, seed))
        server_cpu = sum(cpu_seconds(p) for p in pids) - server_before
        own_cpu, wall = time.process_time() - own_before, time.monotonic() - started
    finally:
        stop()
    if report(name, tally, students, server_cpu, own_cpu, wall):
        print(f"  server logs kept in {log_dir}")
    else:
        shutil.rmtree(log_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--duration", type=float, default=60, help="seconds per configuration")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2],
                        help="configurations: 1 = streamlit run, N ≥ 2 = N processes behind nginx")
    parser.add_argument("--url", help="drive this running loopback server instead (one configuration)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-memory", action="store_true", help="skip the replica memory figures")
    args = parser.parse_args()
    if not 1 <= args.students <= MAX_STUDENTS:
        parser.error(f"--students must be between 1 and {MAX_STUDENTS}")
    if not 1 <= args.duration <= MAX_DURATION_S:
        parser.error(f"--duration must be between 1 and {MAX_DURATION_S} s")
    if any(not 1 <= p <= 16 for p in args.processes):
        parser.error("--processes takes counts between 1 and 16")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {args.students} students, "
          f"think {THINK_S[0]:g}–{THINK_S[1]:g} s, {args.duration:g} s per configuration", flush=True)
    if not args.no_memory and not args.url:
        replica_memory()
    if args.url:
        require_loopback(args.url)
        started = time.monotonic()
        tally = asyncio.run(drive_class(args.url.rstrip("/"), args.students, args.duration, args.seed))
        report(args.url, tally, args.students, float("nan"), time.process_time(), time.monotonic() - started)
        return
    for processes in args.processes:
        run_configuration(processes, args.students, args.duration, args.seed)


if __name__ == "__main__":
    main()
