"""Where the weights come from: a preset, typed tables or a pasted printout, a fresh
Keras model, or an uploaded file (file_sources, onnx_source)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ...classroom import presets
from ...math.activations import ACTIVATIONS
from ...errors import InputError
from ...io.parsing import parse_keras_printout
from ...math.weights import GATES, GRUConfig, GRUWeights
from ...text import N_, _
from . import file_sources, keras_panel, onnx_source
from ..kit import paste_note, state

# The radio's values, in English (the code and the session name them); shown with `_`.
SOURCES = (N_("Preset"), N_("Enter by hand"), N_("Small Keras model"), N_("Upload a Keras file"),
           N_("Import gruviz JSON"), N_("PyTorch state_dict (JSON or .npz)"), N_("ONNX model (.onnx)"))


def panel() -> None:
    paste_note.mount(dict.fromkeys(state.CAPPED_BOXES, state.TEXT_BOX_CHARS))
    # The options stay English, the radio's values that the code names; they are shown translated.
    source = st.radio(_("Weights from"), SOURCES, key="source", horizontal=False, format_func=_)
    {
        "Preset": _presets,
        "Enter by hand": _by_hand,
        "Small Keras model": _keras_model,
        "Upload a Keras file": file_sources.keras_file,
        "Import gruviz JSON": file_sources.weights_json,
        "PyTorch state_dict (JSON or .npz)": file_sources.state_dict,
        "ONNX model (.onnx)": onnx_source.import_onnx,
    }[source]()


def _presets() -> None:
    """The examples, the box showing the one on the page: after a lesson link too, and none
    while the page shows numbers of its own, so that Load example never replaces them unasked."""
    ss = st.session_state
    example = ("seq_text", "h0_text", "mask_text", "go_backwards")
    shown = (ss.weights_version, *(ss.get(key) for key in example))
    if ss.get("preset_choice_for") != shown or "preset_choice" not in ss:
        # only when the page changes: a choice made in the box stays until it is loaded
        ss.preset_choice, ss.preset_choice_for = state.preset_on_screen(), shown
    st.selectbox(_("Example"), [p.key for p in presets.PRESETS], key="preset_choice",
                 format_func=lambda key: presets.BY_KEY[key].title,
                 placeholder=_("Your own numbers"))
    st.button(_("Load example"), key="load_preset", type="primary", width="stretch",
              disabled=ss.preset_choice is None, on_click=lambda: state.load_preset(ss.preset_choice))


# --- typed tables ---------------------------------------------------------------------------

def _columns(units: int) -> list[str]:
    return [f"{g}{j}" for g in GATES for j in range(units)]


def _tables(w: GRUWeights) -> dict[str, pd.DataFrame]:
    H, cols = w.config.units, _columns(w.config.units)
    tables = {
        "kernel": pd.DataFrame(w.kernel, columns=cols, index=[f"x[{i}]" for i in range(w.config.input_dim)]),
        "recurrent_kernel": pd.DataFrame(w.recurrent_kernel, columns=cols,
                                         index=[f"h[{i}]" for i in range(H)]),
    }
    if w.bias is not None:
        rows = [_("input bias (row 0)"), _("recurrent bias (row 1)")] if w.bias.ndim == 2 else [_("bias")]
        tables["bias"] = pd.DataFrame(np.atleast_2d(w.bias), columns=cols, index=rows)
    return tables


def edited_weights(w: GRUWeights, name: str, edited_rows: dict) -> GRUWeights:
    """`w` with one table's data_editor edits folded in; a blank cell is refused."""
    arrays = {"kernel": w.kernel.copy(), "recurrent_kernel": w.recurrent_kernel.copy(),
              "bias": None if w.bias is None else np.atleast_2d(w.bias).copy()}
    table = _tables(w)[name]
    for row, changes in edited_rows.items():
        for column, value in changes.items():
            if value is None or not np.isfinite(float(value)):
                raise InputError(_("{table} cell {row}, {column} is empty; type a number.").format(
                    table=name, row=table.index[int(row)], column=column))
            arrays[name][int(row), table.columns.get_loc(column)] = value
    bias = arrays["bias"]
    if bias is not None and w.bias.ndim == 1:
        bias = bias[0]
    return GRUWeights.create(w.config, arrays["kernel"], arrays["recurrent_kernel"], bias)


def _apply_table_edit(name: str, key: str) -> None:
    try:
        new = edited_weights(state.weights(), name, st.session_state[key].get("edited_rows", {}))
    except InputError as problem:
        state.set_error("tables", str(problem))
        st.session_state.weights_version += 1  # redraw the table from the last good weights
        return
    state.set_error("tables", None)
    state.set_weights(new, preset=st.session_state.get("preset"))


def _blank(units: int, input_dim: int) -> None:
    units, input_dim = int(units), int(input_dim)
    config = GRUConfig(**{**state.weights().config.__dict__, "units": units, "input_dim": input_dim})
    bias = None if config.bias_shape is None else np.zeros(config.bias_shape)
    zeros = GRUWeights.create(config, np.zeros((input_dim, 3 * units)), np.zeros((units, 3 * units)), bias)
    state.set_weights(zeros)


def _read_printout() -> None:
    try:
        arrays = parse_keras_printout(st.session_state.printout, limits=state.APP)
        cfg = state.weights().config
        new = GRUWeights.from_keras_arrays(arrays, activation=cfg.activation,
                                           recurrent_activation=cfg.recurrent_activation)
    except InputError as problem:
        state.set_error("printout", str(problem))
        return
    state.set_error("printout", None)
    cfg = new.config
    read = _("Read {count} arrays: units={units}, input_dim={input_dim}, reset_after={reset_after}, "
             "use_bias={use_bias} (from their shapes).").format(
        count=len(arrays), units=cfg.units, input_dim=cfg.input_dim, reset_after=cfg.reset_after,
        use_bias=cfg.use_bias)
    state.set_weights(new, notes=(read,))


def weight_tables() -> None:
    """The typed tables, one per array of get_weights(), at the width of the main area:
    at units=2 each has 6 columns, more than a sidebar can show."""
    w = state.weights()
    st.caption(_("Columns are the gate blocks of Keras's arrays; the tables count from 0, as Python indexes "
                 "them: z0 is column W_z[:, 0], the update gate of unit 1, and row h[0] is unit 1's state. "
                 "Edit a cell and press Enter; the whole page follows."))
    version = st.session_state.weights_version
    for name, table in _tables(w).items():
        key = f"edit_{name}_{version}"
        shape = w.keras_arrays()[["kernel", "recurrent_kernel", "bias"].index(name)].shape
        st.markdown(f"**{name}** `{shape}`")
        symbol = {"kernel": "W", "recurrent_kernel": "U", "bias": "b"}[name]
        st.data_editor(table, key=key, on_change=_apply_table_edit, args=(name, key),
                       column_config={c: st.column_config.NumberColumn(
                           c, format="%.6g", help=_("{array}[:, {column}]: gate {gate}, unit {unit}").format(
                               array=f"{symbol}_{c[0]}", column=c[1:], gate=c[0], unit=int(c[1:]) + 1))
                           for c in table.columns})
    state.show_error("tables")


def _by_hand() -> None:
    st.caption(_("Type the weights in **Edit the weights**, under the sequence, or paste a printout here."))
    with st.expander(_("Paste print(layer.get_weights())"), expanded=True):
        st.text_area(_("Printout"), key="printout", height=120, max_chars=state.TEXT_BOX_CHARS,
                     placeholder="[array([[-0.90954137,  1.0425225 , -0.04404902]], dtype=float32), ...]")
        st.button(_("Read these arrays"), on_click=_read_printout, key="read_printout")
        state.show_error("printout")
    with st.expander(_("Start from blank tables")):
        units = st.number_input("units", 1, 16, key="units_input")
        input_dim = st.number_input("input_dim", 1, 16, key="input_dim_input")
        st.button(_("Make zero tables"), on_click=_blank, args=(units, input_dim), key="blank_tables")


# --- a fresh Keras model ----------------------------------------------------------------------

def _make_keras_model() -> None:
    """A fresh Keras layer's weights, or a message under the button saying why not now."""
    tensorflow = keras_panel.tensorflow_status()
    if tensorflow.phase is keras_panel.Phase.LOADING:
        state.set_error("keras_model", _("TensorFlow is still loading (once per server, usually well under a "
                                         "minute). Click Create with Keras again in a few seconds."))
        return
    if tensorflow.phase is keras_panel.Phase.UNAVAILABLE:
        state.set_error("keras_model", _("Create with Keras needs TensorFlow, which is not available on this "
                                         "server ({reason}). Presets, typed tables and files work without "
                                         "it.").format(reason=tensorflow.reason))
        return
    from ...io.keras_bridge import fresh_weights

    ss = st.session_state
    config = GRUConfig(units=int(ss.km_units), input_dim=int(ss.km_input_dim), reset_after=ss.km_reset_after,
                       use_bias=ss.km_use_bias, activation=ss.km_activation,
                       recurrent_activation=ss.km_recurrent_activation)
    try:
        new = fresh_weights(config, int(ss.km_seed), random_bias=ss.km_random_bias)
    except Exception as problem:  # TensorFlow loaded but refused to build: a message, never a blank page
        state.set_error("keras_model", _("Keras could not create this layer: {problem}").format(
            problem=problem))
        return
    state.set_error("keras_model", None)
    biases = _("random biases.") if ss.km_random_bias else _("zero biases (Keras's default).")
    fresh = _("Fresh keras.layers.GRU, seed {seed}: GlorotUniform kernel, Orthogonal recurrent_kernel, "
              "{biases}").format(seed=int(ss.km_seed), biases=biases)
    state.set_weights(new, notes=(fresh,))


def _keras_model() -> None:
    names = list(ACTIVATIONS)
    c1, c2 = st.columns(2)
    c1.number_input("units", 1, 16, 2, key="km_units")
    c2.number_input("input_dim", 1, 16, 1, key="km_input_dim")
    c1.number_input(_("seed"), 0, 2**31 - 1, 42, key="km_seed")
    c1.checkbox("reset_after", True, key="km_reset_after")
    c2.checkbox("use_bias", True, key="km_use_bias")
    c1.checkbox(_("random biases"), False, key="km_random_bias", help=_("Keras starts biases at zero."))
    # One per row: "hard_sigmoid_legacy" needs the sidebar's full width.
    st.selectbox("activation", names, index=names.index("tanh"), key="km_activation")
    st.selectbox("recurrent_activation", names, index=names.index("sigmoid"), key="km_recurrent_activation")
    st.button(_("Create with Keras"), key="make_keras", type="primary", width="stretch",
              on_click=_make_keras_model)
    state.show_error("keras_model")
