"""A class typing at once into its exercise, with the teacher's dashboard open, on the class database.

    .venv/bin/python benchmarks/class_load.py [--students 30] [--duration 60] [--setups sqlite nginx]

Two set-ups, each with its own servers on loopback ports: `sqlite` is one `streamlit run`
process on a SQLite file (as `make run`); `nginx` is two processes behind nginx sharing a
PostgreSQL server (deploy/serve.py --postgres, deploy/local_postgres.py), the students spread
over both by nginx's route cookie. A class is created and its students joined directly in the
database (gruviz.classroom.room), as the join form does. Each student then opens their link
`?class=CODE&student=TOKEN` over the web socket (as benchmarks/load_test.py) and, until the
time is up, thinks 2–5 s and types a number into a random box of the exercise, half of them
right, and waits for the run's `script_finished`. One teacher session holds the dashboard
(`?class=CODE&teacher=TOKEN`), whose fragment the page reruns every 2 s; its table is read
from the deltas the session receives.

Printed per set-up: student interactions (send → script_finished) p50/p95/max; the dashboard
latency, from sending a number to the teacher's dashboard showing it in that student's row
(a number the student replaced before a refresh is not counted); numbers lost: every number
typed must be in the class's CSV (gruviz.classroom.report's "every number typed"). Targets:
p95 ≤ 1 s, dashboard p95 ≤ 3 s, 0 lost; the timings are a machine's weather (the load average
is printed), so only the lost numbers make the exit status non-zero.

Bounded: at most 100 students and 600 s per set-up, loopback servers only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "benchmarks")]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.pop("GRUVIZ_DATABASE_URL", None)  # each set-up names its own database

from class_figures import Lesson, Tally, Typed, dashboard_latencies, note_shown, print_report  # noqa: E402
from deploy import serve  # noqa: E402
from gruviz.classroom import grading, room  # noqa: E402
from gruviz.store import Store  # noqa: E402
from gruviz.store.engine import forget  # noqa: E402
from live_app import AppDidNotStart, start_app, stop_app  # noqa: E402
from load_test import cpu_seconds  # noqa: E402
from ws_client import Page, RunFailed, fetch_cookies  # noqa: E402

MAX_STUDENTS, MAX_DURATION_S = 100, 600
THINK_S = (2.0, 5.0)
RIGHT_SHARE = 0.5
RUN_TIMEOUT_S = 30
FIRST_PAGE_TIMEOUT_S = 120  # a process's first class page imports what the page needs
REFRESH_S = 2.0  # the dashboard fragment's run_every (gruviz/ui/views/class_teacher.py)
GRACE_S = 15  # after the students stop, how long the dashboard may take to show their last numbers


def make_class(url: str, students: int, prefix: str = "Pupil") -> Lesson:
    store = Store(url)
    created = room.create(store)
    joined = [(name, room.join(store, created.info, name)[0]) for name in
              (f"{prefix} {n + 1:02d}" for n in range(students))]
    exercise = room.exercise(created.info)
    cells = exercise.cells()
    return Lesson(store, created.info, joined, created.teacher_token,
                  {grading.key(c): grading.name(c) for c in cells},
                  {grading.key(c): exercise.rounded(exercise.answer(*c)) for c in cells})


async def open_page(url: str, query: str, tally: Tally, timeout: float = RUN_TIMEOUT_S) -> Page:
    cookies = await asyncio.to_thread(fetch_cookies, url)  # the HTML first, as a browser: nginx's cookie
    page = Page(url, cookies, query)
    await page.connect(timeout=timeout)
    run = await page.run(timeout=timeout)
    tally.first_pages.append(run.seconds)
    tally.routes.append(cookies.get("gruviz_route", ""))
    for shown in run.exceptions:
        tally.error("exception on page", shown)
    return page


def a_number(rng: random.Random, lesson: Lesson, cell: str, now_in_box: str) -> str:
    """The right number, or a wrong one with as many decimals; never what the box already holds."""
    right = lesson.answers[cell]
    if rng.random() < RIGHT_SHARE and now_in_box != right:
        return right
    decimals = len(right.partition(".")[2]) or 4
    while (wrong := f"{rng.uniform(-1, 1):.{decimals}f}") in (right, now_in_box):
        pass
    return wrong


async def keep_open(url: str, query: str, tally: Tally, step, going, label: str = "") -> None:
    """Open the page, then `step(page)` while `going()`: a failed run or a dropped socket counts as
    an error, and the page is opened again from its link, as a person reloads it."""
    page = None
    while going():
        try:
            page = page or await open_page(url, query, tally)
            await step(page)
        except Exception as problem:
            tally.error(label + type(problem).__name__, problem)
            if page is not None:
                await page.close()
            page = None
            await asyncio.sleep(1)
    if page is not None:
        await page.close()


async def student(n: int, lesson: Lesson, url: str, deadline: float, seed: int, tally: Tally) -> None:
    """Think 2–5 s, type a number into a random box, wait for the run; until the deadline."""
    rng = random.Random(seed * 1000 + n)
    name, token = lesson.students[n]
    boxes: dict[str, Typed] = {}

    async def think_and_type(page: Page) -> None:
        await asyncio.sleep(rng.uniform(*THINK_S))
        if time.monotonic() >= deadline:
            return
        cell = rng.choice(list(lesson.answers))
        typed = Typed(name, cell, a_number(rng, lesson, cell, boxes[cell].value if cell in boxes else ""),
                      time.monotonic())
        if cell in boxes:
            boxes[cell].replaced = typed.sent
        boxes[cell] = typed
        tally.typed.append(typed)
        run = await page.set_value(f"exercise_{cell}", typed.value, timeout=RUN_TIMEOUT_S)
        tally.runs.append(run.seconds)

    await asyncio.sleep(rng.uniform(0, THINK_S[1]))  # the class arrives over a few seconds
    await keep_open(url, f"class={lesson.info.code}&student={token}", tally, think_and_type,
                    lambda: time.monotonic() < deadline)


async def teacher(lesson: Lesson, url: str, students_done: asyncio.Event, tally: Tally) -> None:
    """The dashboard, its fragment rerun every REFRESH_S as the browser's timer does, until the
    students are done and every number they typed was shown (or GRACE_S more have passed)."""
    timing = {"next": time.monotonic(), "drawn": 0.0, "finish_by": float("inf")}

    def going() -> bool:
        if students_done.is_set():
            timing["finish_by"] = min(timing["finish_by"], time.monotonic() + GRACE_S)
            return time.monotonic() < timing["finish_by"] and dashboard_latencies(lesson, tally)[1] > 0
        return True

    async def refresh(page: Page) -> None:
        if not page.auto_reruns:
            raise RunFailed("the teacher's page has no refreshing dashboard")
        timing["next"] = max(timing["next"] + REFRESH_S, time.monotonic())
        await asyncio.sleep(timing["next"] - time.monotonic())
        run = await page.run(fragment_id=next(iter(page.auto_reruns)), auto=True, timeout=RUN_TIMEOUT_S)
        tally.dashboard_runs.append(run.seconds)
        timing["drawn"] = note_shown(page.tables.get("class_grid"), lesson, tally, timing["drawn"])

    await keep_open(url, f"class={lesson.info.code}&teacher={lesson.teacher_token}", tally, refresh, going,
                    "dashboard ")


async def drive_class(lesson: Lesson, url: str, duration: float, seed: int) -> Tally:
    tally, done = Tally(), asyncio.Event()
    deadline = time.monotonic() + duration

    async def students() -> None:
        await asyncio.gather(*(student(n, lesson, url, deadline, seed, tally)
                               for n in range(len(lesson.students))))
        done.set()

    try:
        await asyncio.wait_for(asyncio.gather(students(), teacher(lesson, url, done, tally)),
                               duration + GRACE_S + 3 * RUN_TIMEOUT_S)
    except TimeoutError:
        tally.error("class load", "still busy long after the time was up: cancelled")
    return tally


async def warm_up(url: str, lesson: Lesson) -> float:
    """One student page and one dashboard, so the process has imported what class pages need."""
    started, tally = time.perf_counter(), Tally()
    for query in (f"class={lesson.info.code}&student={lesson.students[0][1]}",
                  f"class={lesson.info.code}&teacher={lesson.teacher_token}"):
        page = await open_page(url, query, tally, timeout=FIRST_PAGE_TIMEOUT_S)
        await page.close()
    return time.perf_counter() - started


def spread_over(serving, routes: list[str]) -> str:
    """How many pages (students and the teacher) each process served: nginx's access log."""
    by_route = {}
    for entry in serving.access_log.read_text().splitlines():
        if "/_stcore/stream" in entry and " route=" in entry:
            route = entry.split(" route=", 1)[1].split(" ", 1)[0]
            by_route[route] = entry.split("upstream=", 1)[1].split(" ", 1)[0].split(",")[-1]
    counts = {f"127.0.0.1:{b.port}": 0 for b in serving.backends}
    for route in routes:
        if by_route.get(route) in counts:
            counts[by_route[route]] += 1
    return " (pages per process: " + " + ".join(str(c) for c in counts.values()) + ")"


def run_setup(kind: str, students: int, duration: float, seed: int) -> int:
    log_dir = Path(tempfile.mkdtemp(prefix="gruviz-class-load-"))
    serving = proc = None
    try:
        if kind == "sqlite":
            name, url_db = "1 process (streamlit run), SQLite", f"sqlite:///{log_dir / 'classes.sqlite3'}"
            os.environ["GRUVIZ_DATABASE_URL"] = url_db  # the process inherits it
            try:
                proc, url = start_app(log_dir / "streamlit.log")
            finally:
                os.environ.pop("GRUVIZ_DATABASE_URL", None)
            backends = [url]
        else:
            name = "2 processes behind nginx, PostgreSQL"
            serving = serve.start(2, run_dir=log_dir, postgres=True)
            url, url_db, backends = serving.url, serving.database.url, [b.url for b in serving.backends]
        warm = [asyncio.run(warm_up(b, make_class(url_db, 1, "Warm-up"))) for b in backends]
        print(f"\n[{name}] warm-up, a student page and a dashboard per process: "
              + ", ".join(f"{w:.1f} s" for w in warm), flush=True)
        lesson = make_class(url_db, students)
        pids = [proc.pid] if proc is not None else [b.proc.pid for b in serving.backends]
        cpu = [sum(cpu_seconds(p) for p in pids), time.process_time(), time.monotonic()]
        tally = asyncio.run(drive_class(lesson, url, duration, seed))
        cpu = [now - then for now, then in zip((sum(cpu_seconds(p) for p in pids), time.process_time(),
                                                time.monotonic()), cpu)]
        spread = spread_over(serving, tally.routes) if serving is not None else ""
        lost = print_report(name, lesson, tally, spread, *cpu)
        forget(url_db)
    finally:
        if proc is not None:
            stop_app(proc)
        if serving is not None:
            serving.stop()
    if lost or any(tally.errors.values()):
        print(f"  server logs kept in {log_dir}")
    else:
        shutil.rmtree(log_dir, ignore_errors=True)
    return lost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--duration", type=float, default=60, help="seconds of typing per set-up")
    parser.add_argument("--setups", nargs="+", choices=("sqlite", "nginx"), default=["sqlite", "nginx"],
                        help="sqlite: one streamlit run on SQLite; nginx: two processes behind nginx on "
                             "PostgreSQL (default: both)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not 1 <= args.students <= MAX_STUDENTS:
        parser.error(f"--students must be between 1 and {MAX_STUDENTS}")
    if not 1 <= args.duration <= MAX_DURATION_S:
        parser.error(f"--duration must be between 1 and {MAX_DURATION_S} s")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {args.students} students typing "
          f"a number every {THINK_S[0]:g}–{THINK_S[1]:g} s for {args.duration:g} s, one teacher's "
          "dashboard", flush=True)
    lost = 0
    try:
        for kind in args.setups:
            lost += run_setup(kind, args.students, args.duration, args.seed)
    except (serve.ServeError, AppDidNotStart, RuntimeError) as problem:
        print(f"class_load: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("class_load: stopped", file=sys.stderr)
        return 130
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
