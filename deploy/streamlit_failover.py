"""`streamlit run` for gruviz's processes (`make run`, and each process behind `make serve`'s
load balancer), with two changes: TensorFlow starts loading when the server starts, not at
the first page view, and a page that lost its process and reconnected to another one is
answered on its first click.

    python deploy/streamlit_failover.py run app.py [streamlit options]

After a failover the page keeps its widgets but the new process has a fresh session with
none of the page's fragments. Streamlit 1.67 drops a rerun of a fragment it does not hold,
so a click on the step, the unit or the tabs (one st.fragment) would get no answer, and the
page would wait until a full rerun. Here the first request a session receives, when it
names such a fragment, runs the whole script instead: the app opens the example from the
link, and its boxes keep the values the page sent with the request (gruviz/ui/kit/state.py init).
Every later request is Streamlit's own behaviour.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.runtime.app_session import AppSession

_request_rerun = AppSession.request_rerun


def request_rerun(self: AppSession, client_state: ClientState | None) -> None:
    first = not getattr(self, "_gruviz_answered", False)
    self._gruviz_answered = True
    if first and client_state is not None and client_state.fragment_id \
            and not self.has_fragment(client_state.fragment_id):
        whole = ClientState()
        whole.CopyFrom(client_state)
        whole.fragment_id = ""
        whole.is_auto_rerun = False
        client_state = whole
    _request_rerun(self, client_state)


AppSession.request_rerun = request_rerun

def _warm_up() -> None:
    """Start the process's one TensorFlow import (gruviz.ui.keras_panel) as the server starts,
    not at the first page view, so a teacher who starts the app before class never waits for
    the Keras column in front of it; the app's own modules are imported on the way."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    try:
        from gruviz.ui.sidebar import keras_panel

        keras_panel.start_loading()
    except Exception:  # the page reports TensorFlow's state itself; nothing here may stop the server
        logging.getLogger("gruviz").exception("warming up the app failed")


if __name__ == "__main__":
    from streamlit.web.cli import main

    threading.Thread(target=_warm_up, name="gruviz-warm-up", daemon=True).start()
    sys.exit(main(prog_name="streamlit"))
