"""The live Keras column. TensorFlow loads in a background thread from the first
page view, so gruviz's own numbers paint at once and this column fills in later."""

from __future__ import annotations

import threading

import numpy as np
import streamlit as st

from ..math.trace import Trace
from ..math.weights import GRUWeights
from . import state
from .inputs import RunInputs

MATCH_TOLERANCE = 1e-5  # float32 Keras against float64 gruviz (spec §5: ≤ 5.2e-7 seen)


@st.cache_resource(show_spinner=False)
def _tensorflow_loader() -> threading.Thread:
    from ..io import keras_bridge

    thread = threading.Thread(target=keras_bridge.keras_version, name="import-keras", daemon=True)
    thread.start()
    return thread


def start_loading() -> None:
    _tensorflow_loader()


def _cached_run(weights: GRUWeights, inputs: RunInputs):
    from ..io.keras_bridge import run_keras

    key = state.run_key(inputs)
    cache = st.session_state.setdefault("keras_cache", {})
    if key not in cache:
        if len(cache) > 16:
            cache.clear()
        cache[key] = run_keras(weights, inputs.x, inputs.h0, inputs.go_backwards, inputs.mask)
    return cache[key]


def fill(slot, weights: GRUWeights, inputs: RunInputs, ours: Trace) -> np.ndarray | None:
    """Run a real keras.layers.GRU and show its output with a match badge."""
    loader = _tensorflow_loader()
    if loader.is_alive():
        slot.info("Loading TensorFlow for the Keras column (first view only)…", icon=":material/hourglass:")
        loader.join()
    try:
        keras = _cached_run(weights, inputs)
    except Exception as problem:  # Keras's own refusal must not become a traceback on the page
        slot.warning(f"Keras could not run this configuration: {problem}")
        return None
    diff = float(np.max(np.abs(keras.sequence_output - ours.sequence_output)))
    with slot.container():
        st.metric(f"keras.layers.GRU (Keras {keras.version})", format_vector(keras.output))
        if np.isfinite(diff) and diff <= MATCH_TOLERANCE:
            st.badge(f"match · largest difference {diff:.1e}", icon=":material/check_circle:", color="green")
        else:
            st.badge(f"mismatch · largest difference {diff:.3g}", icon=":material/error:", color="red")
    return keras.sequence_output


def format_vector(values: np.ndarray, digits: int | None = None) -> str:
    """A headline vector: 6 decimals for one unit, 4 for more, at most 3 units (it must fit a column)."""
    digits = digits or (6 if len(values) == 1 else 4)
    shown = ", ".join(f"{v:.{digits}f}" for v in values[:3])
    return f"[{shown}{', …' if len(values) > 3 else ''}]"
