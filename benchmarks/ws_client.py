"""A Streamlit page seen the way the browser sees it: one web socket on /_stcore/stream,
protobuf `BackMsg`s up and `ForwardMsg`s down. Shared by benchmarks/load_test.py and
tests/serve/test_serve.py.

A run starts with a `rerun_script` BackMsg carrying a `ClientState` (the page's query
string and the widget values that changed) and ends with a `script_finished` ForwardMsg.
The widgets of the page are read from the run's deltas: a widget's id is
`$$ID-<hash>-<key>` for a keyed widget, so the app's own keys (`seq_text`, `step`, `view`)
find them whatever the hash."""

from __future__ import annotations

import asyncio
import functools
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

RUN_DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class RunFailed(RuntimeError):
    """The run did not end in a successful `script_finished` (timeout, closed socket, compile error)."""


@dataclass
class Widget:
    id: str
    kind: str           # the element's proto field: text_input, slider, tab_container, …
    proto: object       # the element's message (slider min/max, text value), None for tabs
    fragment_id: str    # "" outside an st.fragment
    options: tuple = () # tab labels, or the options of pills and segmented controls


@dataclass
class Table:
    """A keyed st.dataframe as last drawn, and when its delta arrived; read into rows on demand."""
    element: object  # the Dataframe message
    received: float  # time.monotonic()

    @functools.cached_property
    def rows(self) -> dict[str, dict[str, object]]:
        """Its rows by index label, from the Arrow bytes (all of them, or a lazy table's first chunk)."""
        import pyarrow  # Streamlit's own dependency; only pages with tables need it

        data = self.element.arrow_data.data or self.element.lazy_data.initial_chunk.data
        rows = {}
        for row in pyarrow.ipc.open_stream(data).read_all().to_pylist():
            label = next((v for k, v in row.items() if k.startswith("__index_level_")), len(rows))
            rows[str(label)] = {k: v for k, v in row.items() if not k.startswith("__index_level_")}
        return rows


@dataclass
class Run:
    seconds: float                  # send → script_finished
    status: int
    exceptions: list[str] = field(default_factory=list)  # exception elements the page received


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK and not host.startswith("127."):
        raise SystemExit(f"{url}: only loopback servers (127.0.0.1, ::1, localhost) may be driven")


def user_key(widget_id: str) -> str:
    """`$$ID-<hash>-<key>` → key; "" for a widget without a key."""
    parts = widget_id.split("-", 2)
    return parts[2] if widget_id.startswith("$$ID-") and len(parts) == 3 else ""


def fetch_cookies(base_url: str, timeout: float = 10) -> dict[str, str]:
    """GET the page as a browser does first, and keep the cookies it sets (nginx's route)."""
    with urllib.request.urlopen(base_url + "/", timeout=timeout) as answer:
        answer.read()
        cookies = {}
        for header in answer.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            cookies[name.strip()] = value.strip()
        return cookies


class Page:
    """One browser tab: the socket, the page's widgets after the last run, its query string."""

    def __init__(self, base_url: str, cookies: dict[str, str] | None = None, query_string: str = ""):
        require_loopback(base_url)
        self.base_url = base_url.rstrip("/")
        self.cookies = dict(cookies or {})
        self.query_string = query_string
        self.widgets: dict[str, Widget] = {}   # by user key
        self.metrics: dict[str, str] = {}      # st.metric label → the value shown, as last drawn
        self.sent: dict[str, WidgetState] = {}  # by widget id: what this page has set
        self.session_id = ""
        self.auto_reruns: dict[str, float] = {}  # fragment id → seconds: st.fragment(run_every=…) on the page
        self.tables: dict[str, Table] = {}  # a keyed st.dataframe by its key, as last drawn
        self._ws = None

    async def connect(self, timeout: float = 30) -> None:
        split = urlsplit(self.base_url)
        ws_url = f"{'wss' if split.scheme == 'https' else 'ws'}://{split.netloc}{split.path}/_stcore/stream"
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else None
        # The browser names the protocol, then the XSRF token, then the session it had (if any).
        protocols = ["streamlit", "x", self.session_id] if self.session_id else ["streamlit"]
        self._ws = await websockets.connect(
            ws_url, subprotocols=protocols, origin=f"{split.scheme}://{split.netloc}",
            additional_headers=headers, max_size=None, open_timeout=timeout)

    async def reconnect(self, timeout: float = 30) -> None:
        """A new socket for the same tab, as Streamlit's page opens after losing one: it names its
        old session and keeps its widgets, its link and its cookies, and sends nothing until the
        next interaction (unless a run was under way)."""
        await self.close()
        await self.connect(timeout)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def run(self, changes: dict[str, WidgetState] | None = None, fragment_id: str = "",
                  timeout: float = 30, auto: bool = False) -> Run:
        """Send one rerun (the first page view when `changes` is empty) and read until it finishes."""
        for state in (changes or {}).values():
            self.sent[state.id] = state
        msg = BackMsg()
        client = msg.rerun_script
        client.query_string = self.query_string
        client.fragment_id = fragment_id
        client.is_auto_rerun = auto
        client.context_info.timezone = "UTC"
        client.context_info.locale = "en-US"
        client.context_info.url = f"{self.base_url}/" + (f"?{self.query_string}" if self.query_string else "")
        client.widget_states.widgets.extend(self.sent.values())
        started = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        seen: dict[str, Widget] = {}
        tabs: dict[tuple, str] = {}  # tab_container delta path → its key
        exceptions: list[str] = []
        announced: dict[str, float] = {}
        try:
            async with asyncio.timeout(timeout):
                while True:
                    fwd = ForwardMsg()
                    fwd.ParseFromString(await self._ws.recv())
                    kind = fwd.WhichOneof("type")
                    if kind == "delta":
                        self._read_delta(fwd, seen, tabs, exceptions)
                    elif kind == "page_info_changed":
                        self.query_string = fwd.page_info_changed.query_string
                    elif kind == "new_session":
                        self.session_id = fwd.new_session.initialize.session_id
                    elif kind == "auto_rerun":
                        announced[fwd.auto_rerun.fragment_id] = fwd.auto_rerun.interval
                    elif kind == "stop_auto_rerun":
                        for stopped in fwd.stop_auto_rerun.fragment_ids:
                            self.auto_reruns.pop(stopped, None)
                            announced.pop(stopped, None)
                    elif kind == "script_finished":
                        status = fwd.script_finished
                        if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                            continue  # the script asked for a rerun: the page waits for that one
                        if status == ForwardMsg.FINISHED_SUCCESSFULLY and fragment_id:
                            fragment_id = ""  # a fragment's st.rerun() ran the whole page
                        break
        except TimeoutError as timed_out:
            raise RunFailed(f"no script_finished within {timeout:.0f} s") from timed_out
        except websockets.ConnectionClosed as closed:
            raise RunFailed(f"web socket closed: {closed}") from closed
        seconds = time.perf_counter() - started
        if status not in RUN_DONE:
            raise RunFailed(f"script_finished with status {status}")
        self._merge(seen, fragment_id)
        # A full run draws the page again: only the fragments it drew poll.
        self.auto_reruns = announced if not fragment_id else self.auto_reruns | announced
        return Run(seconds, status, exceptions)

    def _read_delta(self, fwd: ForwardMsg, seen: dict, tabs: dict, exceptions: list) -> None:
        delta, path = fwd.delta, tuple(fwd.metadata.delta_path)
        if delta.WhichOneof("type") == "new_element":
            kind = delta.new_element.WhichOneof("type")
            element = getattr(delta.new_element, kind)
            if kind == "exception":
                exceptions.append(f"{element.type}: {element.message}"[:200])
            elif kind == "metric":
                self.metrics[element.label] = element.body
            elif kind == "dataframe" and user_key(element.id):
                self.tables[user_key(element.id)] = Table(element, time.monotonic())
            wid = getattr(element, "id", "")
            if isinstance(wid, str) and user_key(wid):
                options = tuple(o.content for o in element.options) if kind == "button_group" else ()
                seen[user_key(wid)] = Widget(wid, kind, element, delta.fragment_id, options)
        elif delta.WhichOneof("type") == "add_block":
            kind = delta.add_block.WhichOneof("type")
            if kind == "tab_container" and user_key(delta.add_block.tab_container.id):
                key = user_key(delta.add_block.tab_container.id)
                seen[key] = Widget(delta.add_block.tab_container.id, kind, None, delta.fragment_id)
                tabs[path] = key
            elif kind == "tab" and path[:-1] in tabs:
                tab_widget = seen[tabs[path[:-1]]]
                tab_widget.options = (*tab_widget.options, delta.add_block.tab.label)

    def _merge(self, seen: dict[str, Widget], fragment_id: str) -> None:
        """A full run redraws the page; a fragment run only redraws its fragment."""
        if fragment_id:
            self.widgets = {k: w for k, w in self.widgets.items() if w.fragment_id != fragment_id} | seen
        else:
            self.widgets = seen
        live = {w.id for w in self.widgets.values()}
        # The browser forgets the widgets that left the page.
        self.sent = {wid: s for wid, s in self.sent.items() if wid in live}

    async def settle(self, limit: float = 120) -> int:
        """Send the auto-reruns the page asks for (the Keras column polls while TensorFlow loads)
        until none is left, as the browser's timers do; return how many ran."""
        deadline, count = time.monotonic() + limit, 0
        while self.auto_reruns and time.monotonic() < deadline:
            fragment_id, interval = next(iter(self.auto_reruns.items()))
            await asyncio.sleep(interval)
            await self.run(fragment_id=fragment_id, timeout=max(1.0, deadline - time.monotonic()), auto=True)
            count += 1
        if self.auto_reruns:
            raise RunFailed(f"the page still polls after {limit:.0f} s")
        return count

    async def set_value(self, key: str, value, timeout: float = 30) -> Run:
        """Change one widget as a person would and wait for the rerun it causes."""
        widget = self.widgets[key]
        state = WidgetState(id=widget.id)
        if widget.kind == "slider":
            state.double_array_value.data.append(float(value))
        elif widget.kind == "button_group":  # st.pills, st.segmented_control: the chosen option's label
            state.string_array_value.data.append(str(value))
        elif isinstance(value, bool):
            state.bool_value = value
        else:  # text_input and tabs (the open tab's label)
            state.string_value = str(value)
        return await self.run({widget.id: state}, widget.fragment_id, timeout)
