"""The `make serve` layout for real: two `streamlit run` processes behind Debian's nginx
(deploy/serve.py), driven over HTTP and the page's web socket as a browser does."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

from deploy import serve  # noqa: E402
from gruviz.io.keras_bridge import FAKE_IMPORT  # noqa: E402
from live_app import CHROMIUM, CHROMIUM_ARGS, VIEWPORT  # noqa: E402
from ws_client import Page, fetch_cookies  # noqa: E402

FIRST_RUN_S = 180  # a process's first page view; slow on a busy machine
TYPED = "3, 1, 4, 1, 5"
NEXT = "2, 7, 1, 8"
RERUN_MS = 120_000  # generous: the browser tests share two busy cores with everything else


@pytest.fixture(scope="module")
def serving(tmp_path_factory):
    if not any(shutil.which(n) for n in serve.NGINX_CANDIDATES):
        pytest.fail("nginx is missing: `make test` installs it, or: sudo apt-get install nginx")
    with pytest.MonkeyPatch.context() as env:
        env.setenv(FAKE_IMPORT, "fail")  # what is tested here needs no TensorFlow: spare each process its import
        layout = serve.start(2, run_dir=tmp_path_factory.mktemp("serve"))
    yield layout
    layout.stop()


def get(url: str, cookie: str | None = None) -> tuple[str, dict]:
    request = urllib.request.Request(url, headers={"Cookie": f"gruviz_route={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.read().decode(), answer.headers


def route_of(headers) -> str | None:
    for header in headers.get_all("Set-Cookie") or []:
        name, _, value = header.split(";", 1)[0].partition("=")
        if name == "gruviz_route":
            return value
    return None


def upstreams(serving, route: str, path: str = "") -> list[str]:
    """The process that finally answered each logged request of this route (nginx's access log,
    which nginx writes just after it answers: a busy machine gets a few seconds)."""
    for _ in range(50):
        found = []
        for line in serving.access_log.read_text().splitlines():
            if f"route={route} " in line and f" {path}" in line:
                tried = line.split("upstream=", 1)[1].split(" route=", 1)[0]
                found.append(tried.split(",")[-1].strip())
        if found:
            return found
        time.sleep(0.1)
    return found


def backend_of(serving, route: str) -> serve.Backend:
    return next(b for b in serving.backends if f"127.0.0.1:{b.port}" == upstreams(serving, route)[-1])


def ours(page: Page) -> str:
    """The output gruviz shows under the Keras rule."""
    return next(value for label, value in page.metrics.items() if "Keras rule" in label)


def wait_for(condition, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while not (result := condition()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return result


def back_in_nginx(serving) -> None:
    """Wait until nginx sends new browsers to every process again. A refused connection takes
    a process out of nginx's hash for fail_timeout (5 s): a page opened meanwhile lands on
    another process than its route names, and a test would stop the wrong one."""
    every = {f"127.0.0.1:{b.port}" for b in serving.backends}
    assert wait_for(lambda: serving_new_browsers(serving, 8) == every, timeout=30), \
        "nginx took a restarted process back"


def serving_new_browsers(serving, browsers: int) -> set[str]:
    """The processes that answered this many new browsers (each without a route cookie)."""
    routes = [route_of(get(f"{serving.url}/_stcore/health")[1]) for _ in range(browsers)]
    return {upstreams(serving, route)[-1] for route in routes}


async def open_and_type(url: str, cookies: dict, text: str) -> Page:
    page = Page(url, cookies)
    await page.connect()
    await page.run(timeout=FIRST_RUN_S)
    await page.set_value("seq_text", text, timeout=FIRST_RUN_S)
    return page


def test_health_passes_through_and_a_new_browser_gets_a_route(serving):
    body, headers = get(f"{serving.url}/_stcore/health")
    assert body.strip() == "ok"
    assert route_of(headers), "nginx sets the gruviz_route cookie on a browser's first request"
    _, again = get(f"{serving.url}/_stcore/health", cookie=route_of(headers))
    assert route_of(again) is None, "a browser that has its route keeps it"


def test_a_page_runs_over_the_web_socket_and_stays_on_its_process(serving):
    cookies = fetch_cookies(serving.url)
    route = cookies["gruviz_route"]
    for _ in range(5):
        get(f"{serving.url}/_stcore/health", cookie=route)

    async def session():
        page = await open_and_type(serving.url, cookies, TYPED)
        await page.close()
        return page

    page = asyncio.run(session())
    assert "seq=3%2C+1%2C+4%2C+1%2C+5" in page.query_string, "the typed sequence is in the link"
    socket_upstream = wait_for(lambda: upstreams(serving, route, "/_stcore/stream"))
    assert socket_upstream, "nginx logs the web socket once it closes"
    assert set(upstreams(serving, route)) == set(socket_upstream), "one route, one process"


def environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode(errors="replace").partition("=")[::2] for item in raw if item)


def test_every_process_has_one_blas_thread_and_the_same_cookie_secret(serving):
    """N processes on N cores: a BLAS thread pool per core in each would make N² threads fight."""
    found = [environment_of(b.proc.pid) for b in serving.backends]
    assert [e.get("OPENBLAS_NUM_THREADS") for e in found] == ["1"] * len(found)
    assert [e.get("OMP_NUM_THREADS") for e in found] == ["1"] * len(found)
    secrets = {e.get("STREAMLIT_SERVER_COOKIE_SECRET") for e in found}
    assert len(secrets) == 1 and len(secrets.pop() or "") == 64


def test_an_operators_own_thread_setting_wins():
    assert serve.process_environment({"OPENBLAS_NUM_THREADS": "4"})["OPENBLAS_NUM_THREADS"] == "4"


def test_routes_spread_over_both_processes(serving):
    assert serving_new_browsers(serving, 30) == {f"127.0.0.1:{b.port}" for b in serving.backends}


def test_a_student_whose_process_dies_continues_from_the_link(serving):
    cookies = fetch_cookies(serving.url)
    route = cookies["gruviz_route"]

    async def before_and_after():
        page = await open_and_type(serving.url, cookies, TYPED)
        shown = ours(page)
        get(f"{serving.url}/_stcore/health", cookie=route)
        victim = backend_of(serving, route)
        victim.proc.kill()
        victim.proc.wait()
        await page.reconnect()  # same tab: its widgets, its link, its cookie
        await page.set_value("step", 4, timeout=FIRST_RUN_S)  # the next click runs on the live process
        await page.close()
        return victim, shown, ours(page)

    victim, shown, after = asyncio.run(before_and_after())
    assert after == shown, "the live process rebuilt the example from the link"
    assert upstreams(serving, route)[-1] != f"127.0.0.1:{victim.port}"
    serving.supervise_once()  # the launcher starts the dead process again
    assert victim.restarts == 1
    serve.wait_healthy(victim.url, victim.proc, "restarted process", victim.log)
    back_in_nginx(serving)


def test_a_process_that_stops_answering_is_killed_and_started_again(serving):
    victim = serving.backends[0]
    restarts, old = victim.restarts, victim.proc
    old.send_signal(signal.SIGSTOP)  # alive, listening, silent: as a process stuck in native code
    fast = {"health_every_s": 0.2, "health_timeout_s": 0.5, "health_failures": 3, "startup_grace_s": 0}
    for name, value in fast.items():
        setattr(serving, name, value)
    try:
        assert wait_for(lambda: serving.supervise_once() or victim.restarts > restarts, timeout=30)
    finally:
        for name in fast:
            setattr(serving, name, getattr(serve, name.upper()))
        if old.poll() is None:
            old.kill()
    assert old.poll() is not None and victim.proc is not old
    serve.wait_healthy(victim.url, victim.proc, "restarted process", victim.log)
    back_in_nginx(serving)
    body, _ = get(f"{serving.url}/_stcore/health")
    assert body.strip() == "ok"


PAGE_STATE_JS = """() => ({state: document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state'),
  focus: document.activeElement?.outerHTML.slice(0, 160), value: document.activeElement?.value,
  status: document.querySelector('[data-testid=stStatusWidget]')?.innerText})"""
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


class ScriptRuns:
    """Counts the runs the server reports finished to a page, over each web socket it opens
    (a failover opens a new one). The page's own script-state attribute can miss a short run
    on a busy machine: React may draw "running" and "finished" as one change."""

    def __init__(self, page):
        self.finished = 0
        page.on("websocket", lambda socket: socket.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        if isinstance(payload, bytes) and ForwardMsg.FromString(payload).WhichOneof("type") == "script_finished":
            self.finished += 1

    def wait_for_one_after(self, page, before: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while self.finished == before and time.monotonic() < deadline:
            page.wait_for_timeout(50)  # Playwright hands the frames over while it waits
        return self.finished > before


def type_and_wait(page, runs: ScriptRuns, box, text: str) -> bool:
    """Type a sequence and press Enter; wait for the run it causes to end. True if the box
    still holds the text afterwards."""
    from playwright.sync_api import expect

    # Typed while the page's own first run still draws it, the box can be drawn anew and the
    # keys lost with it: type once the page has come to rest.
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning",
                                                           timeout=FIRST_RUN_S * 1000)
    before = runs.finished
    box.fill(text)
    box.press("Enter")
    if not runs.wait_for_one_after(page, before, 30):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "serve-no-run-after-enter.png"))
        seen = page.evaluate(PAGE_STATE_JS)
        warnings.warn(f"no run 30 s after Enter in {text!r}: {seen}; Enter pressed again")  # in the run's summary
        box.press("Enter")
        assert runs.wait_for_one_after(page, before, RERUN_MS / 1000), f"no run after Enter in {text!r}"
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning",
                                                           timeout=FIRST_RUN_S * 1000)
    return box.input_value() == text


@pytest.mark.browser
def test_the_page_reconnects_by_itself_when_its_process_dies(serving):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            runs = ScriptRuns(page)
            page.goto(serving.url)
            app = page.get_by_test_id("stApp")
            box = page.get_by_role("textbox", name="Input sequence")
            metric = page.get_by_test_id("stMetric").filter(has_text="Keras rule")
            ours = metric.get_by_test_id("stMetricValue")
            expect(box).to_be_visible(timeout=FIRST_RUN_S * 1000)
            box.fill(TYPED)
            box.press("Enter")
            expect(page).to_have_url(re.compile(re.escape("seq=3%2C+1%2C+4%2C+1%2C+5")), timeout=RERUN_MS)
            expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=RERUN_MS)
            shown = ours.inner_text()

            route = next(c["value"] for c in context.cookies() if c["name"] == "gruviz_route")
            victim = backend_of(serving, route)
            # Streamlit's page reconnects by itself and nginx sends it to the live process.
            with page.expect_websocket(timeout=60_000):
                victim.proc.kill()
                victim.proc.wait()
            # Streamlit disables every widget until the new socket is CONNECTED (widgetsDisabled).
            expect(box).to_be_enabled(timeout=60_000)
            assert backend_of(serving, route) is not victim
            expect(box).to_have_value(TYPED)
            expect(ours).to_have_text(shown)

            # The student goes on typing: the live process opens the example from the link, and
            # the box keeps the edit the page sent with it (gruviz/ui/kit/state.py init).
            assert type_and_wait(page, runs, box, NEXT), "the first edit after the failover is kept"
            expect(page).to_have_url(re.compile(re.escape("seq=2%2C+7%2C+1%2C+8")), timeout=RERUN_MS)
            expect(ours).not_to_have_text(shown, timeout=RERUN_MS)
            expect(page.get_by_test_id("stException")).to_have_count(0)

            # A new tab on the link sends no widgets: it opens the link's example.
            shown_now = ours.inner_text()
            tab = context.new_page()
            tab.goto(page.url)
            tab_metric = tab.get_by_test_id("stMetric").filter(has_text="Keras rule")
            expect(tab.get_by_role("textbox", name="Input sequence")).to_have_value(NEXT, timeout=RERUN_MS)
            expect(tab_metric.get_by_test_id("stMetricValue")).to_have_text(shown_now, timeout=RERUN_MS)
        finally:
            browser.close()
        serving.supervise_once()
        serve.wait_healthy(victim.url, victim.proc, "restarted process", victim.log)
        back_in_nginx(serving)


def test_nginx_drops_an_idle_connection_before_the_process_does():
    """A request nginx sends on a kept-alive connection that the process is closing is reset,
    and max_fails=1 then takes the process out of the hash (seen: a class sent to one process)."""
    import uvicorn
    from streamlit.web.server.starlette import starlette_server

    streamlit_options = starlette_server._get_uvicorn_config_kwargs()
    process_closes_after_s = uvicorn.Config("app:app", **streamlit_options).timeout_keep_alive
    config = serve.nginx_config(Path("/run-dir"), "127.0.0.1:8000", [8501, 8502])
    upstream = config.split("upstream gruviz_app {", 1)[1].split("}", 1)[0]
    timeouts = re.findall(r"^\s*keepalive_timeout\s+(\d+)s;", upstream, re.MULTILINE)
    assert "keepalive " in upstream and len(timeouts) == 1, "kept-alive connections need their own timeout"
    assert int(timeouts[0]) < process_closes_after_s
