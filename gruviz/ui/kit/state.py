"""The app's session state: one GRUWeights as the source of truth, plus the last
good value of every typed input, so a bad entry never loses what was there."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.state.common import is_keyed_element_id

from ...classroom import presets
from ...io import share
from ...io.parsing import parse_mask, parse_sequence, parse_vector
from ...limits import APP
from ...math.weights import GRUWeights
from ...text import _
from . import guard, links

@dataclass(frozen=True, eq=False)
class RunInputs:
    """What one run reads besides the weights: the parsed sequence, h0 and mask, and the direction."""

    x: np.ndarray  # (T, D)
    h0: np.ndarray | None  # (H,)
    mask: np.ndarray | None  # (T,)
    go_backwards: bool


# Every box a person types or pastes an example into (sequence, h0, mask, the get_weights() printout)
# is read by a parser that first refuses text longer than the app's `max_text_chars`
# (gruviz.io.untrusted.check_length under APP), whatever the box: no longer text could ever be read.
# So the browser keeps a longer paste out of the box (paste_note says why, beside the box) instead of
# sending megabytes that Streamlit's message limit drops without a word. Text at the cap reaches the
# parser, which reads it or names what is wrong (too many timesteps, values or entries).
TEXT_BOX_CHARS = APP.max_text_chars
CAPPED_BOXES = ("seq_text", "h0_text", "mask_text", "printout")  # the boxes paste_note watches

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
    """A session's first run: the example a shared link carries, else the default preset.

    A page whose process died reconnects to another one (deploy/streamlit_failover.py) and
    starts a new session here too, but unlike a first view it sends its widgets' values with
    the request: the example's own boxes keep what the page holds, the edit that caused this
    run included. The weights exist only in the link, and the controls that mirror them
    follow them."""
    ss = st.session_state
    if "weights" in ss:
        return
    on_page = _sent_by_page() & set(EXAMPLE_WIDGETS)  # read before anything is written
    preset = presets.BY_KEY[DEFAULT_PRESET]
    example = _example(preset.sequence, preset.h0, "", False)
    example["claim_output"] = "" if preset.claimed is None else str(preset.claimed[1])
    weights, key, notes = preset.weights, DEFAULT_PRESET, ()
    shared, problem = guard.attempt(links.opened, st.query_params.to_dict())
    if shared is not None:
        example |= _example(shared.sequence, shared.h0, shared.mask, shared.go_backwards)
        weights, key, notes = shared.weights, None, (_("Opened from a shared link."),)
    ss.errors, ss.weights_version = {}, 0
    # What `remember` falls back to when a box the page sent does not parse: the link holds
    # the last example that did (sync_link), as the old process had it.
    ss.good = _good(example, weights.config)
    for name, value in example.items():
        if name not in on_page:
            ss[name] = value
    set_weights(weights, notes=notes, preset=key)
    if problem is not None:
        ss.notes.append(_("The link could not be opened: {problem} Showing the default example.").format(
            problem=problem))


# The widgets that hold the example itself, with no callback deriving anything from them.
EXAMPLE_WIDGETS = ("seq_text", "h0_text", "mask_text", "go_backwards", "claim_output")


def _example(sequence: str, h0: str, mask: str, go_backwards: bool) -> dict:
    return {"seq_text": sequence, "h0_text": h0, "mask_text": mask, "go_backwards": go_backwards}


def _good(example: dict, cfg) -> dict:
    """`remember`'s last good values, read from an example known to be good (h0 False: "none",
    as inputs._h0 reads a blank box)."""
    x = parse_sequence(example["seq_text"], cfg.input_dim, limits=APP)
    h0 = False
    if example["h0_text"].strip():
        h0 = parse_vector(example["h0_text"], "h0", cfg.units, limits=APP)
    return {"sequence": x, "h0": h0, "mask": parse_mask(example["mask_text"], len(x), limits=APP)}


def _sent_by_page() -> frozenset[str]:
    """The keys of the widgets whose values came with this run's request.

    Streamlit keeps them in the session's widget state by widget id ($$ID-<hash>-<key>), but
    in a new session no widget has registered yet, so st.session_state cannot see them (no
    key maps to an id, no deserializer) and a value set for the key first wins when the
    widget registers (streamlit/runtime/state/session_state.py: SessionState._getitem reads
    _new_session_state before _new_widget_state; WStates.__getitem__ hides a value without
    metadata). A first view sends none: the page has no widgets yet."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return frozenset()
    return frozenset(wid.split("-", 2)[2] for wid in (w.id for w in ctx.session_state.get_widget_states())
                     if is_keyed_element_id(wid))


def sent_texts() -> dict[str, str]:
    """The text boxes' values that came with this run's request, by key, readable before the
    boxes register (see `_sent_by_page`): a page that reconnected to a new process after a
    failover sends what its boxes show, and that is what the person typed."""
    ctx = get_script_run_ctx()
    if ctx is None:
        return {}
    return {w.id.split("-", 2)[2]: w.string_value for w in ctx.session_state.get_widget_states()
            if is_keyed_element_id(w.id) and w.WhichOneof("value") == "string_value"}


def sync_link(x_text: str) -> None:
    """Keep the address bar a link to what is on screen, and say so when it cannot hold it or
    is too long to share. Only the example's own keys are written: the step, unit, tab and modes
    are widgets bound to the link themselves. A box whose text does not parse leaves the link at
    the last example that did."""
    ss = st.session_state
    if any(error(slot) for slot in ("sequence", "h0", "mask")):
        return
    params = links.written(share.Shared(weights(), x_text, ss.h0_text, ss.mask_text, ss.go_backwards))
    link = st.query_params
    for key in links.KEYS:
        if key in params and link.get(key) != params[key]:
            link[key] = params[key]
        elif key not in params and key in link:
            del link[key]
    note = links.warning(params)
    if note:
        st.warning(note, icon=":material/link_off:")


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
        ss.notes.append(_("The sequence was replaced with a random one that fits input_dim={input_dim}.")
                        .format(input_dim=new.config.input_dim))
    if "h0_text" in ss and ss.h0_text.strip():
        # the parser that reads h0 decides whether it still fits, not a second count of commas
        if guard.attempt(parse_vector, ss.h0_text, "h0", new.config.units, limits=APP)[1]:
            ss.h0_text = ""


def preset_on_screen() -> str | None:
    """The key of the preset the page shows, the one whose title and story it draws: its inputs
    are exactly these weights and boxes (presets.matching). The boxes are read as the input row
    reads them, a box whose text does not parse standing for its last good value."""
    ss = st.session_state
    cfg, good = weights().config, ss.get("good", {})

    def read(slot: str, parse, *args):
        value, problem = guard.attempt(parse, *args, limits=APP)
        return good.get(slot) if problem else value

    x = read("sequence", parse_sequence, ss.get("seq_text", ""), cfg.input_dim)
    if x is None or x.shape[1] != cfg.input_dim:
        return None
    h0_text = ss.get("h0_text", "")
    h0 = read("h0", parse_vector, h0_text, "h0", cfg.units) if h0_text.strip() else None
    mask = read("mask", parse_mask, ss.get("mask_text", ""), len(x))
    if not (isinstance(h0, np.ndarray) and len(h0) == cfg.units):
        h0 = None  # blank (zeros), as the input row runs it
    if mask is not None and len(mask) != len(x):
        mask = None
    preset = presets.matching(weights(), x, h0, mask, ss.get("go_backwards", False))
    return None if preset is None else preset.key


def load_preset(key: str | None) -> None:
    if key is None:  # nothing chosen: the button is off, but a click may have been on its way
        return
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


def run_key(run: RunInputs) -> tuple:
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
        set_error(slot, _("{problem} The page still shows the last good value.").format(problem=problem))
        return good.get(slot)
    set_error(slot, None)
    good[slot] = value
    return value
