"""The app's session state: one GRUWeights as the source of truth, plus the last
good value of every typed input, so a bad entry never loses what was there."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ..classroom import presets
from ..io import share
from ..io.parsing import parse_mask, parse_sequence, parse_vector
from ..limits import APP
from ..math.weights import GRUWeights
from . import guard

CONFIG_WIDGETS = ("reset_after", "use_bias", "activation", "recurrent_activation")
DEFAULT_PRESET = "stack_exchange"


def weights() -> GRUWeights:
    return st.session_state.weights


def error(slot: str) -> str | None:
    return st.session_state.errors.get(slot)


def set_error(slot: str, message: str | None) -> None:
    if message is None:
        st.session_state.errors.pop(slot, None)
    else:
        st.session_state.errors[slot] = message


def show_error(slot: str) -> None:
    """The message for a control, right under it."""
    message = error(slot)
    if message:
        st.error(message, icon=":material/error:")


def init() -> None:
    """First view: the example a shared link carries, else the default preset."""
    ss = st.session_state
    if "weights" in ss:
        return
    ss.errors, ss.weights_version, ss.notes = {}, 0, []
    load_preset(DEFAULT_PRESET)
    shared, problem = guard.attempt(_open_link, st.query_params.to_dict())
    if problem is not None:
        ss.notes.append(f"The link could not be opened: {problem} Showing the default example.")
        return
    if shared is not None:
        ss.seq_text, ss.h0_text, ss.mask_text = shared.sequence, shared.h0, shared.mask
        ss.go_backwards = shared.go_backwards
        set_weights(shared.weights, notes=("Opened from a shared link.",))


def _open_link(params: dict) -> share.Shared | None:
    """The link's example, each typed part read as the app reads it, so a link that
    opens never lands on a page with nothing good to show."""
    shared = share.decode(params, limits=APP)
    if shared is not None:
        cfg = shared.weights.config
        x = parse_sequence(shared.sequence, cfg.input_dim, limits=APP)
        if shared.h0.strip():
            parse_vector(shared.h0, "h0", cfg.units, limits=APP)
        parse_mask(shared.mask, len(x), limits=APP)
    return shared


def sync_link(x_text: str) -> None:
    """Keep the address bar a link to what is on screen. Only the example's own keys are
    written: the step, unit, tab and modes are widgets bound to the link themselves. A
    box whose text does not parse leaves the link at the last example that did."""
    ss = st.session_state
    if any(error(slot) for slot in ("sequence", "h0", "mask")):
        return
    params = share.encode(share.Shared(weights(), x_text, ss.h0_text, ss.mask_text, ss.go_backwards))
    if not params:
        return
    link = st.query_params
    for key in share.EXAMPLE_KEYS:
        if key in params and link.get(key) != params[key]:
            link[key] = params[key]
        elif key not in params and key in link:
            del link[key]


def set_weights(new: GRUWeights, notes: tuple[str, ...] = (), preset: str | None = None) -> None:
    """Make `new` current and line every control up with it."""
    ss = st.session_state
    ss.weights, ss.weights_version, ss.notes, ss.preset = new, ss.weights_version + 1, list(notes), preset
    for name in CONFIG_WIDGETS:
        ss[f"cfg_{name}"] = getattr(new.config, name)
    ss.units_input, ss.input_dim_input = new.config.units, new.config.input_dim
    if "seq_text" in ss and guard.attempt(parse_sequence, ss.seq_text, new.config.input_dim, limits=APP)[1]:
        # The old sequence does not fit these weights: start a fitting one.
        ss.seq_text = random_sequence_text(new.config.input_dim, 5, seed=0)
        ss.notes.append("The sequence was replaced with a random one that fits input_dim="
                        f"{new.config.input_dim}.")
    if "h0_text" in ss and ss.h0_text.strip():
        # the parser that reads h0 decides whether it still fits, not a second count of commas
        if guard.attempt(parse_vector, ss.h0_text, "h0", new.config.units, limits=APP)[1]:
            ss.h0_text = ""


def load_preset(key: str) -> None:
    preset = presets.BY_KEY[key]
    ss = st.session_state
    ss.seq_text, ss.h0_text, ss.mask_text, ss.go_backwards = preset.sequence, preset.h0, "", False
    ss.claim_output = "" if preset.claimed is None else str(preset.claimed[1])
    for slot in ("sequence", "h0", "mask"):
        set_error(slot, None)
    set_weights(preset.weights, preset=key)


def random_sequence_text(input_dim: int, steps: int, seed: int) -> str:
    values = np.round(np.random.default_rng(seed).normal(0, 1, (steps, input_dim)), 2)
    if input_dim == 1:
        return ", ".join(f"{v:g}" for v in values[:, 0])
    return "; ".join(" ".join(f"{v:g}" for v in row) for row in values)


def sequence_text(x: np.ndarray) -> str:
    if x.shape[1] == 1:
        return ", ".join(f"{v:.6g}" for v in x[:, 0])
    return "; ".join(" ".join(f"{v:.6g}" for v in row) for row in x)


def run_key(run) -> tuple:
    """What a computation over the current weights and `run`'s x, h0, mask and
    direction depends on: a key for memos that outlive one rerun."""
    def raw(array):
        return None if array is None else (array.tobytes(), array.shape)

    return (st.session_state.weights_version, raw(run.x), raw(run.h0), raw(run.mask), run.go_backwards)


def remember(slot: str, parse, *args, **kwargs):
    """Parse a typed value; on any failure keep the last good one and record the
    message for the control. The box keeps what was typed: it is the widget's own."""
    ss = st.session_state
    good = ss.setdefault("good", {})
    value, problem = guard.attempt(parse, *args, **kwargs)
    if problem is not None:
        set_error(slot, f"{problem} The page still shows the last good value.")
        return good.get(slot)
    set_error(slot, None)
    good[slot] = value
    return value
