"""The live Keras column. TensorFlow is imported once per server process, in a
background thread, from the first page view: gruviz's own numbers paint at once and
this column fills in when the import has finished. A failed or timed-out import is
never tried again; the column says so and everything else runs at full speed.

`GRUVIZ_TF_IMPORT_TIMEOUT` (seconds, default 120) sets how long the import may take (a late
success still counts from the next rerun on);
`GRUVIZ_FAKE_TF_IMPORT` (see gruviz.io.keras_bridge) simulates a broken or slow one."""

from __future__ import annotations

import enum
import os
import threading
import time
from dataclasses import dataclass

import numpy as np
import streamlit as st

from ...explain.equations import vector
from ...math.trace import Trace
from ...math.weights import GRUWeights
from ...text import _
from ..kit import state
from ..kit.state import RunInputs

MATCH_TOLERANCE = 1e-5  # float32 Keras against float64 gruviz (spec §5: ≤ 5.2e-7 seen)
IMPORT_TIMEOUT_ENV = "GRUVIZ_TF_IMPORT_TIMEOUT"
# seconds; the import takes 10–15 s on a shared 2-core box, over 30 s under load
DEFAULT_IMPORT_TIMEOUT = 120.0
POLL_SECONDS = 1.0  # how often a loading column looks again


class Phase(enum.Enum):
    LOADING = "loading"
    READY = "ready"
    UNAVAILABLE = "unavailable"  # the import failed or timed out: final for this process


@dataclass(frozen=True)
class TensorFlowStatus:
    phase: Phase
    reason: str = ""  # why TensorFlow is unavailable, as a clause: "loading it took more than 60 s"

    @property
    def column_message(self) -> str:
        if self.phase is Phase.LOADING:
            return _("Loading TensorFlow for the Keras column (once per server)…")
        return _("TensorFlow is not available on this server ({reason}), so the live Keras comparison is "
                 "off. Every gruviz number on the page is computed without it.").format(reason=self.reason)


class _Import:
    """The process's one import of TensorFlow, running in a daemon thread.

    Never retried: a failed import of TensorFlow is not cached by Python, so trying
    again would pay its full cost on every rerun."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.started = time.monotonic()
        self.done = threading.Event()
        self.problem: str | None = "the import stopped without a result"
        threading.Thread(target=self._run, name="import-tensorflow", daemon=True).start()

    def _run(self) -> None:
        try:
            from ...io import keras_bridge

            keras_bridge.keras_version()
            keras_bridge.hold_session()  # Streamlit clears Keras's session after every script run
            self.problem = None
        except Exception as problem:  # a broken install raises anything; it is reported, not raised
            first_line = (str(problem).strip().splitlines() or [type(problem).__name__])[0]
            self.problem = first_line[:200]
        finally:
            self.done.set()

    def status(self) -> TensorFlowStatus:
        # A late success still counts: nothing is retried, the first result is kept.
        if self.done.is_set() and self.problem is None:
            return TensorFlowStatus(Phase.READY)
        if self.done.is_set():
            reason = _("its import failed: {problem}").format(problem=self.problem)
            return TensorFlowStatus(Phase.UNAVAILABLE, reason)
        if time.monotonic() - self.started > self.timeout:
            return TensorFlowStatus(Phase.UNAVAILABLE, _("loading it took more than {seconds} s").format(
                seconds=f"{self.timeout:g}"))
        return TensorFlowStatus(Phase.LOADING)


def _timeout() -> float:
    try:
        return max(0.0, float(os.environ.get(IMPORT_TIMEOUT_ENV, DEFAULT_IMPORT_TIMEOUT)))
    except ValueError:
        return DEFAULT_IMPORT_TIMEOUT


@st.cache_resource(show_spinner=False)
def _tensorflow_import() -> _Import:
    return _Import(_timeout())


def start_loading() -> None:
    _tensorflow_import()


def tensorflow_status() -> TensorFlowStatus:
    """Where the process's one import of TensorFlow stands; never waits for it."""
    return _tensorflow_import().status()


def _cached_run(weights: GRUWeights, inputs: RunInputs):
    from ...io.keras_bridge import run_keras

    key = state.run_key(inputs)
    cache = st.session_state.setdefault("keras_cache", {})
    if key not in cache:
        if len(cache) > 16:
            cache.clear()
        cache[key] = run_keras(weights, inputs.x, inputs.h0, inputs.go_backwards, inputs.mask)
    return cache[key]


def fill(slot, weights: GRUWeights, inputs: RunInputs, ours: Trace) -> np.ndarray | None:
    """Run a real keras.layers.GRU and show its output with a match badge; while
    TensorFlow loads, say so and fill in later. Never waits for the import."""
    status = tensorflow_status()
    if status.phase is Phase.LOADING:
        with slot.container():
            _wait_for_tensorflow()
        return None
    if status.phase is Phase.UNAVAILABLE:
        slot.warning(status.column_message, icon=":material/warning:")
        return None
    try:
        keras = _cached_run(weights, inputs)
    except Exception as problem:  # Keras's own refusal must not become a traceback on the page
        slot.warning(_("Keras could not run this configuration: {problem}").format(problem=problem))
        return None
    diff = float(np.max(np.abs(keras.sequence_output - ours.sequence_output)))
    with slot.container():
        st.metric(f"keras.layers.GRU (Keras {keras.version})", format_vector(keras.output))
        if len(keras.output) > HEADLINE_UNITS:
            st.caption(_("all units: {values}").format(values=vector(keras.output)))
        if np.isfinite(diff) and diff <= MATCH_TOLERANCE:
            st.badge(_("match · largest difference {diff}").format(diff=f"{diff:.1e}"),
                     icon=":material/check_circle:", color="green")
        else:
            st.badge(_("mismatch · largest difference {diff}").format(diff=f"{diff:.3g}"),
                     icon=":material/error:", color="red")
    return keras.sequence_output


@st.fragment(run_every=POLL_SECONDS)
def _wait_for_tensorflow() -> None:
    """Polls only while TensorFlow loads: once the import is over, one full rerun fills
    the column (and the Keras line of the gates chart) and this fragment is not drawn again."""
    status = tensorflow_status()
    if status.phase is Phase.LOADING:
        st.info(status.column_message, icon=":material/hourglass:")
    else:
        st.rerun()


HEADLINE_UNITS = 8  # up to this many units the headline shows every one; beyond, its ends and the count


def format_vector(values: np.ndarray, digits: int | None = None) -> str:
    """A headline vector: 6 decimals for one unit, 4 for more; every unit up to
    `HEADLINE_UNITS`, then a compact "[a, b, …, z] (16 units)" (the page prints the
    whole vector in a caption under it)."""
    digits = digits or (6 if len(values) == 1 else 4)
    text = [f"{v:.{digits}f}" for v in values]
    if len(text) <= HEADLINE_UNITS:
        return f"[{', '.join(text)}]"
    return f"[{', '.join(text[:2])}, …, {text[-1]}] " + _("({count} units)").format(count=len(text))
