"""A class served the `make serve` way: two `streamlit run` processes behind nginx sharing one
PostgreSQL server (deploy/serve.py --postgres, deploy/local_postgres.py). The process that
serves a student dies mid-lesson; nothing the student typed may be lost: their next page,
served by the other process, shows every number, and so does the teacher's report."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from deploy import serve
from gruviz.classroom import grading, report, room
from gruviz.io.keras_bridge import FAKE_IMPORT
from gruviz.store import Store
from gruviz.store.engine import forget
from live_app import chromium, VIEWPORT
from test_serve import FIRST_RUN_S, RERUN_MS, ScriptRuns, back_in_nginx, backend_of, type_and_wait
from ws_client import Page, fetch_cookies

pytestmark = pytest.mark.browser

# (cell, right?) Ana types before her process dies, and after it, on the other process.
BEFORE = [((0, "z", 0), True), ((0, "z", 1), False), ((0, "r", 0), True), ((0, "h_tilde", 0), False),
          ((0, "h", 1), True)]
AFTER = [((0, "r", 1), True), ((1, "z", 0), False)]
BEN = [((0, "z", 0), False), ((1, "h", 0), True)]
@pytest.fixture(scope="module")
def serving():
    if not any(shutil.which(n) for n in serve.NGINX_CANDIDATES):
        pytest.fail("nginx is missing: `make test` installs it, or: sudo apt-get install nginx")
    problem = None
    with pytest.MonkeyPatch.context() as env:
        env.delenv("GRUVIZ_DATABASE_URL", raising=False)  # --postgres starts a server only when unset
        env.setenv(FAKE_IMPORT, "fail")  # a class needs no TensorFlow: spare each process its import
        try:
            # Its own temporary run directory (under /tmp, which the postgres user may enter).
            layout = serve.start(2, postgres=True)
        except serve.ServeError as error:
            problem = str(error)
    if problem:
        pytest.fail(problem, pytrace=False)
    yield layout
    forget(layout.database.url)
    layout.stop()


def number(exercise, cell, right: bool) -> str:
    """The right number to the asked decimals, or one off by 0.1 (wrong at any precision)."""
    value = float(exercise.answer(*cell)) + (0 if right else 0.1)
    return f"{value:.{exercise.answer_decimals}f}"


def every_number_typed(record: dict) -> list[tuple[str, str]]:
    """The report's history column, "cell=typed@time; …", as (cell key, typed)."""
    entries = filter(None, record["every number typed"].split("; "))
    return [(cell, rest.rpartition("@")[0]) for cell, _, rest in (e.partition("=") for e in entries)]


async def ben_types(url: str, query: str, numbers: dict[str, str]) -> None:
    """Another student, over the web socket: types a number into each box, one run each."""
    page = Page(url, await asyncio.to_thread(fetch_cookies, url), query)
    await page.connect()
    try:
        await page.run(timeout=FIRST_RUN_S)
        for key, value in numbers.items():
            run = await page.set_value(f"exercise_{key}", value, timeout=FIRST_RUN_S)
            assert not run.exceptions, run.exceptions
    finally:
        await page.close()


def test_a_student_whose_process_dies_loses_no_number(serving):
    from playwright.sync_api import expect

    assert serving.database is not None, "serve.start(postgres=True) started a PostgreSQL server"
    store = Store(serving.database.url)
    info = room.create(store).info
    ana_token, ben_token = (room.join(store, info, name)[0] for name in ("Ana", "Ben"))
    exercise = room.exercise(info)
    before, after, ben = ({cell: number(exercise, cell, right) for cell, right in typed}
                          for typed in (BEFORE, AFTER, BEN))
    asyncio.run(ben_types(serving.url, f"class={info.code}&student={ben_token}",
                          {grading.key(cell): text for cell, text in ben.items()}))
    link = f"{serving.url}/?class={info.code}&student={ana_token}"

    def box(page, cell):
        return page.get_by_role("textbox", name=grading.name(cell), exact=True)

    with chromium() as browser:
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        runs = ScriptRuns(page)
        page.goto(link)
        expect(box(page, BEFORE[0][0])).to_be_visible(timeout=FIRST_RUN_S * 1000)
        for cell, text in before.items():
            assert type_and_wait(page, runs, box(page, cell), text), f"{grading.name(cell)} keeps {text}"
        right_count = sum(right for _, right in BEFORE)
        expect(page.get_by_text("✓ right")).to_have_count(right_count, timeout=RERUN_MS)

        # Mid-lesson, Ana's process dies; her page reconnects through nginx to the other one.
        route = next(c["value"] for c in context.cookies() if c["name"] == "gruviz_route")
        victim = backend_of(serving, route)
        with page.expect_websocket(timeout=60_000):
            victim.proc.kill()
            victim.proc.wait()
        expect(box(page, BEFORE[0][0])).to_be_enabled(timeout=60_000)  # disabled until reconnected
        for cell, text in before.items():
            expect(box(page, cell)).to_have_value(text)
        for cell, text in after.items():  # she goes on typing
            type_and_wait(page, runs, box(page, cell), text)

        # Her next page, on the live process, reads her numbers from the database.
        again = context.new_page()
        again.goto(link)
        expect(box(again, BEFORE[0][0])).to_be_visible(timeout=FIRST_RUN_S * 1000)
        assert backend_of(serving, route) is not victim, "nginx sent her page to the live process"
        for cell, text in before.items():
            expect(box(again, cell)).to_have_value(text, timeout=RERUN_MS)
        expect(again.get_by_test_id("stException")).to_have_count(0)
        shown_after = {cell: box(again, cell).input_value() for cell in after}

    # The teacher's report counts every number: the latest per box, and each one ever typed.
    records = {record["student"]: record for record in report.rows(store, info)}
    assert set(records) == {"Ana", "Ben"}
    for name, typed in (("Ana", before), ("Ben", ben)):
        history = every_number_typed(records[name])
        for cell, text in typed.items():
            assert records[name][grading.name(cell)] == text, (name, grading.name(cell))
            assert (grading.key(cell), text) in history, (name, grading.key(cell), history)
    ana_history = every_number_typed(records["Ana"])
    lost = {cell: text for cell, text in after.items()
            if shown_after[cell] != text or (grading.key(cell), text) not in ana_history}
    assert not lost, f"numbers typed after the failover lost: {lost}"
    rights = dict(BEFORE + AFTER)
    assert records["Ana"]["score"] == sum(rights[cell] for cell in [*before, *after] if cell not in lost)
    assert records["Ben"]["score"] == sum(right for _, right in BEN)

    serving.supervise_once()  # the launcher starts the dead process again
    serve.wait_healthy(victim.url, victim.proc, "restarted process", victim.log)
    back_in_nginx(serving)
