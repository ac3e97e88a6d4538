"""The controls every run reads: the layer options, the sequence, h0, the mask."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ...math.activations import ACTIVATIONS
from ...errors import InputError
from ...io.parsing import describe_sequence, parse_mask, parse_sequence, parse_vector
from ...limits import APP
from ...text import _, ngettext
from . import sources
from ..kit import state
from ..kit.state import RunInputs


def _apply_config() -> None:
    ss = st.session_state
    changes = {name: ss[f"cfg_{name}"] for name in state.CONFIG_WIDGETS}
    state.set_weights(state.weights().with_config(**changes), notes=tuple(ss.notes), preset=ss.get("preset"))


def layer_options() -> None:
    names = list(ACTIVATIONS)
    c1, c2 = st.columns(2)
    c1.checkbox("reset_after", key="cfg_reset_after", on_change=_apply_config,
                help=_("Keras 3 default True: the reset gate multiplies (h·Uₕ + bʰₕ), the recurrent bias bʰₕ "
                       "inside. False: it multiplies h before Uₕ, and the bias has one row."))
    c2.checkbox("use_bias", key="cfg_use_bias", on_change=_apply_config)
    # One per row: side by side, "hard_sigmoid_legacy" and "recurrent_activation" are cut off.
    st.selectbox("activation φ", names, key="cfg_activation", on_change=_apply_config,
                 help=_("The candidate's activation (Keras default tanh)."))
    st.selectbox("recurrent_activation σ", names, key="cfg_recurrent_activation", on_change=_apply_config,
                 help=_("The gates' activation (Keras 3 default sigmoid). hard_sigmoid is Keras 3's "
                        "clip(x/6+0.5); hard_sigmoid_legacy is Keras 2's clip(0.2x+0.5)."))


def _random_sequence() -> None:
    ss = st.session_state
    ss.seq_text = state.random_sequence_text(state.weights().config.input_dim, int(ss.rand_steps),
                                             int(ss.rand_seed))


def _apply_sequence_table(key: str) -> None:
    """Turn the table's edits back into sequence text, so the text stays the one truth."""
    ss = st.session_state
    x = ss.good.get("sequence")
    edits = ss[key]
    table = pd.DataFrame(x).astype(float)
    for row, changes in edits.get("edited_rows", {}).items():
        for column, value in changes.items():
            table.iat[int(row), int(column)] = np.nan if value is None else value
    table = table.drop(index=[table.index[i] for i in edits.get("deleted_rows", [])])
    added = pd.DataFrame([{int(k): v for k, v in row.items()} for row in edits.get("added_rows", [])],
                         columns=table.columns)
    table = pd.concat([table, added], ignore_index=True)
    if table.isna().to_numpy().any():
        state.set_error("sequence_table", _("every cell of the sequence table needs a number."))
        ss.seq_table_version = ss.get("seq_table_version", 0) + 1
        return
    state.set_error("sequence_table", None)
    ss.seq_text = state.sequence_text(table.to_numpy(float))


def sequence_inputs() -> RunInputs | None:
    """The sequence, h0, mask and go_backwards on one row, what was read in one line, and
    the table editors folded under it; None when no good sequence exists yet."""
    ss = st.session_state
    cfg = state.weights().config
    seq_col, h0_col, mask_col, back_col = st.columns([4, 2, 2, 2], vertical_alignment="bottom")
    cap = state.TEXT_BOX_CHARS
    seq_col.text_input(_("Input sequence"), key="seq_text", max_chars=cap,
                       help=_("';' or a new line separates timesteps; commas or spaces separate features. "
                              "With one feature, 1, 2, 9, 8 is four timesteps."))
    h0_col.text_input(_("Initial state h₀"), key="h0_text", placeholder=_("zeros"), max_chars=cap,
                      help=ngettext("{units} value, one per unit. Blank means zeros.",
                                    "{units} values, one per unit. Blank means zeros.", cfg.units).format(
                                        units=cfg.units))
    mask_col.text_input(_("Mask"), key="mask_text", placeholder=_("none"), max_chars=cap,
                        help=_("One 1 or 0 per timestep; at a 0 the state is carried and the output "
                               "repeats."))
    back_col.checkbox("go_backwards", key="go_backwards",
                      help=_("Keras reads the sequence from the last step to the first and returns outputs "
                             "in that order."))
    x = state.remember("sequence", parse_sequence, ss.seq_text, cfg.input_dim, limits=APP)
    state.show_error("sequence")
    weights_open = bool(ss.get("weights_editor", ss.get("source") == "Enter by hand"))
    if x is None or x.shape[1] != cfg.input_dim:
        _weights_editor(weights_open)  # the weights can still be typed while no sequence fits them
        return None
    h0 = state.remember("h0", _h0, ss.h0_text, cfg.units)
    state.show_error("h0")
    mask = state.remember("mask", parse_mask, ss.mask_text, len(x), limits=APP)
    state.show_error("mask")
    if mask is not None and len(mask) != len(x):
        mask = None
    if isinstance(h0, np.ndarray) and len(h0) != cfg.units:
        h0 = None
    steps, width = x.shape
    read = _("Read as **{shape}**: the GRU takes {steps}, each {vector}.").format(
        shape=describe_sequence(x),
        steps=ngettext("{count} step", "{count} steps", steps).format(count=steps),
        vector=ngettext("a vector of {count} number", "a vector of {count} numbers", width).format(
            count=width))
    st.caption(f":material/straighten: {read}")
    # Folded, the two editors share a row; the weights' tables get the full width once open.
    table_col, weights_col = st.columns(2) if not weights_open else (st.container(), st.container())
    with table_col, st.expander(_("Edit the sequence as a table, or draw a random one")):
        key = f"seq_table_{ss.get('seq_table_version', 0)}_{hash(ss.seq_text)}"
        st.data_editor(pd.DataFrame(x, columns=[str(i) for i in range(x.shape[1])]), key=key,
                       num_rows="dynamic", on_change=_apply_sequence_table, args=(key,))
        state.show_error("sequence_table")
        c1, c2, c3 = st.columns([1, 1, 1], vertical_alignment="bottom")
        c1.number_input(_("timesteps"), 1, APP.max_steps, 6, key="rand_steps")
        c2.number_input(_("seed"), 0, 10**9, 0, key="rand_seed")
        c3.button(_("Random sequence"), on_click=_random_sequence, key="random_sequence")
    with weights_col:
        _weights_editor(weights_open)
    return RunInputs(x, h0 if isinstance(h0, np.ndarray) else None, mask, ss.go_backwards)


def _weights_editor(expanded: bool) -> None:
    """The typed weight tables at full width, folded unless the weights are being typed by hand."""
    with st.expander(_("Edit the weights"), expanded=expanded, key="weights_editor", on_change="rerun"):
        sources.weight_tables()


def _h0(text: str, units: int):
    if not (text or "").strip():
        return False  # a remembered "no h0", distinct from "nothing good yet"
    return parse_vector(text, "h0", units, limits=APP)


__all__ = ["RunInputs", "layer_options", "sequence_inputs", "InputError"]
