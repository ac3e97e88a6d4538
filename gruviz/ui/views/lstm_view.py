"""The "GRU vs LSTM" view: the current sequence through the current GRU and an LSTM,
gate by gate, each checked by a live Keras column; the parameter counts; a memory demo
on a long sequence; and a short written answer built on those numbers.

    render(setup)   draws the whole view into the current container."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ...errors import InputError
from ...explain import figures_lstm, lstm_compare
from ...explain.mistakes import Setup
from ...io import lstm_file
from ...io.untrusted import loads as load_json
from ...limits import APP
from ...math.cell import Convention
from ...math.lstm_trace import LSTMTrace, run as run_lstm
from ...math.lstm_weights import LSTMConfig, LSTMWeights
from ...math.trace import Trace, run
from ...text import N_, _, count, decimal, language
from ..kit import charts
from ..sidebar import keras_panel

# The radio's values are the keys (the code names them); the person reads the value, translated.
SOURCES = {"matched": N_("Matched to this GRU"), "fresh": N_("Fresh keras.layers.LSTM"),
           "file": N_("LSTM weights file")}
MEMORY_STEPS = 100  # the memory demo's default length


def _fresh(units: int, input_dim: int, seed: int) -> LSTMWeights | str:
    """A new Keras LSTM's weights (Glorot, orthogonal, b_f = 1), or why there is none."""
    status = keras_panel.tensorflow_status()
    if status.phase is not keras_panel.Phase.READY:
        return status.column_message
    cache = st.session_state.setdefault("lv_fresh", {})
    key = (units, input_dim, seed)
    if key not in cache:
        from ...io.keras_bridge import fresh_lstm_arrays

        try:
            cache[key] = LSTMWeights.from_keras_arrays(fresh_lstm_arrays(LSTMConfig(units, input_dim), seed))
        except Exception as problem:  # Keras's own refusal is reported, never a traceback
            return _("Keras could not make an LSTM: {problem}").format(problem=problem)
    return cache[key]


def _uploaded(input_dim: int) -> LSTMWeights | str | None:
    upload = st.file_uploader(_("An LSTM: gruviz JSON (keras or pytorch layout), an nn.LSTM state_dict "
                                "(.npz or JSON), or a Keras model (.keras, .h5)"), type=["json", "npz", "keras", "h5"],
                              key="lv_file")
    if upload is None:
        return None
    memo = st.session_state.setdefault("lv_file_memo", {})
    key = (upload.file_id, language())  # a refusal is kept in the language it was written in
    if key not in memo:  # a file is read once, in the bounded reader for model files
        memo.clear()
        memo[key] = _read_lstm(upload.getvalue(), upload.name)
    weights = memo[key]
    if isinstance(weights, LSTMWeights) and weights.config.input_dim != input_dim:
        return _("this LSTM reads {features} input features per step but the sequence has {input_dim}; use an "
                 "LSTM with input_dim={input_dim}.").format(features=weights.config.input_dim, input_dim=input_dim)
    return weights


def _read_lstm(raw: bytes, name: str) -> LSTMWeights | str:
    """The LSTM in an uploaded file, or why there is none; files are parsed as data only."""
    from ...io.sandbox import read_lstm_state_dict_file
    from ...model.files import read_model
    from ...model.recurrent import Bidirectional, Recurrent

    try:
        if len(raw) > APP.max_file_bytes:
            raise InputError(_("the file has {size} bytes; the app reads at most {limit}.").format(
                size=count(len(raw)), limit=count(APP.max_file_bytes)))
        suffix = name.lower().rsplit(".", 1)[-1]
        if suffix in ("keras", "h5"):
            model = read_model(raw, name, limits=APP)
            cells = [cell for layer in model.layers for cell in
                     ((layer.forward, layer.backward) if isinstance(layer, Bidirectional) else (layer,))
                     if isinstance(cell, Recurrent) and cell.kind == "LSTM"]
            if not cells:
                raise InputError(_("{name} holds no LSTM layer; its layers are {layers}.").format(
                    name=name, layers=", ".join(type(layer).__name__ for layer in model.layers)))
            weights = cells[0].weights
        elif suffix == "npz" or b'"format"' not in raw[:4096]:
            weights = read_lstm_state_dict_file(raw, name, APP)
        else:
            weights = lstm_file.from_dict(load_json(raw.decode("utf-8"), _("the LSTM weights file"), APP,
                                                    cap=APP.max_file_bytes))
        APP.check_layer(weights.config.units, weights.config.input_dim)
    except UnicodeDecodeError:
        return _("the file is not UTF-8 text; an LSTM weights file is JSON.")
    except InputError as problem:
        return str(problem)
    return weights


def _choose_lstm(setup: Setup) -> tuple[LSTMWeights, str]:
    gru = setup.weights
    cfg = gru.config
    c1, c2 = st.columns([3, 1])
    source = c1.radio(_("The LSTM"), list(SOURCES), format_func=lambda key: _(SOURCES[key]), horizontal=True,
                      key="lv_source")
    matched = lstm_compare.matched_lstm(gru)
    if source == "fresh":
        seed = int(c2.number_input(_("Seed"), 0, 2**31 - 1, 0, key="lv_seed"))
        fresh = _fresh(cfg.units, cfg.input_dim, seed)
        if isinstance(fresh, LSTMWeights):
            return fresh, _("A new keras.layers.LSTM({units}) from seed {seed}: Glorot-uniform kernel, orthogonal "
                            "recurrent kernel, bias 0 except the forget gate's, 1 (unit_forget_bias=True).").format(
                units=cfg.units, seed=seed)
        st.info(_("{problem} Showing the matched LSTM meanwhile.").format(problem=fresh), icon=":material/info:")
    elif source == "file":
        uploaded = _uploaded(cfg.input_dim)
        if isinstance(uploaded, LSTMWeights):
            return uploaded, _("The LSTM from your weights file.")
        if isinstance(uploaded, str):
            st.error(_("{problem} Showing the matched LSTM meanwhile.").format(problem=uploaded),
                     icon=":material/error:")
    with st.expander(_("How the matched LSTM is made from this GRU"), expanded=source == "matched"):
        st.markdown("\n".join(f"- {note}" for note in matched.notes))
    return matched.weights, _("The matched LSTM: the GRU's z, r, h̃ weights mapped into f, i, c̃ (o held open).")


@st.fragment(run_every=keras_panel.POLL_SECONDS)
def _wait_for_tensorflow() -> None:
    """Polls only while TensorFlow loads, then reruns the page once to fill the Keras columns."""
    status = keras_panel.tensorflow_status()
    if status.phase is keras_panel.Phase.LOADING:
        st.info(status.column_message, icon=":material/hourglass:")
    else:
        st.rerun()


def _keras_column(slot, label: str, key: tuple, call, ours: np.ndarray) -> None:
    """A real Keras layer's output and a match badge; says why when Keras is not available."""
    status = keras_panel.tensorflow_status()
    if status.phase is keras_panel.Phase.LOADING:
        with slot.container():
            _wait_for_tensorflow()
        return
    if status.phase is keras_panel.Phase.UNAVAILABLE:
        slot.warning(status.column_message, icon=":material/warning:")
        return
    cache = st.session_state.setdefault("lv_keras", {})
    if key not in cache:
        if len(cache) > 16:
            cache.clear()
        try:
            cache[key] = call()
        except Exception as problem:
            slot.warning(_("Keras could not run this configuration: {problem}").format(problem=problem))
            return
    keras = cache[key]
    diff = float(np.max(np.abs(keras.sequence_output - ours)))
    with slot.container():
        st.metric(f"{label} (Keras {keras.version})", keras_panel.format_vector(keras.output))
        if np.isfinite(diff) and diff <= keras_panel.MATCH_TOLERANCE:
            st.badge(_("match · largest difference {diff}").format(diff=f"{diff:.1e}"),
                     icon=":material/check_circle:", color="green")
        else:
            st.badge(_("mismatch · largest difference {diff}").format(diff=f"{diff:.3g}"),
                     icon=":material/error:", color="red")


def _arrays_key(*arrays) -> tuple:
    return tuple(None if a is None else (np.asarray(a).tobytes(), np.shape(a)) for a in arrays)


def _runs(setup: Setup, lstm: LSTMWeights) -> tuple[Trace, LSTMTrace]:
    h0 = setup.h0 if lstm.config.units == setup.weights.config.units else None
    gru = run(setup.weights, setup.x, setup.h0, Convention.KERAS, setup.go_backwards, setup.mask)
    return gru, run_lstm(lstm, setup.x, h0, None, setup.go_backwards, setup.mask)


def _outputs(setup: Setup, gru: Trace, lstm: LSTMTrace) -> None:
    left, right = st.columns(2)
    left.metric(_("GRU output, the last step's h (gruviz)"), keras_panel.format_vector(gru.output))
    right.metric(_("LSTM output, the last step's h (gruviz)"), keras_panel.format_vector(lstm.output))
    run_key = _arrays_key(setup.x, setup.h0, setup.mask) + (setup.go_backwards,)

    def keras_gru():
        from ...io.keras_bridge import run_keras
        return run_keras(setup.weights, setup.x, setup.h0, setup.go_backwards, setup.mask)

    def keras_lstm():
        from ...io.keras_bridge import run_keras_lstm
        return run_keras_lstm(lstm.weights, setup.x, lstm.h0, None, setup.go_backwards, setup.mask)

    _keras_column(left.empty(), "keras.layers.GRU", ("gru", setup.weights.config) + _arrays_key(
        *setup.weights.keras_arrays()) + run_key, keras_gru, gru.sequence_output)
    _keras_column(right.empty(), "keras.layers.LSTM", ("lstm", lstm.weights.config) + _arrays_key(
        *lstm.weights.keras_arrays(), lstm.h0) + run_key, keras_lstm, lstm.sequence_output)


def _parameters(setup: Setup) -> None:
    cfg = setup.weights.config
    rows = lstm_compare.param_rows(cfg.units, cfg.input_dim, cfg.use_bias)
    lstm_count = rows[-1].count
    this = 0 if cfg.reset_after else 1
    table = pd.DataFrame({
        _("cell"): [r.cell + (_(" ← this GRU") if i == this else "") for i, r in enumerate(rows)],
        _("formula"): [r.formula for r in rows],
        _("with D, H filled in"): [r.filled for r in rows],
        _("parameters"): [r.count for r in rows],
        "÷ LSTM": [f"{decimal(100 * r.count / lstm_count, 1)}%" for r in rows],
    })
    st.dataframe(table, hide_index=True, width="stretch")
    charts.show(figures_lstm.ratio_figure(cfg.input_dim, cfg.units, cfg.use_bias),
                figures_lstm.ratio_text(cfg.input_dim, cfg.units, cfg.use_bias), key="lv_fig_ratio")


def render(setup: Setup) -> None:
    """The whole "GRU vs LSTM" view for the current GRU and sequence."""
    st.markdown("#### " + _("GRU or LSTM? The same sequence through both, gate by gate"))
    lstm_weights, origin = _choose_lstm(setup)
    both = (_("{origin} Both read the sequence above with its mask and direction; the LSTM starts from c₀ = 0 and "
              "the same h₀.") if setup.h0 is not None else
            _("{origin} Both read the sequence above with its mask and direction; the LSTM starts from c₀ = 0."))
    st.caption(both.format(origin=origin))
    if setup.convention is not Convention.KERAS:
        st.caption(_("The GRU is run under Keras's update rule here, the rule a real keras.layers.GRU uses."))
    gru, lstm = _runs(setup, lstm_weights)
    _outputs(setup, gru, lstm)

    units = min(gru.weights.config.units, lstm.weights.config.units)
    # 0-based like the arrays; named from 1, as everywhere a person reads a unit
    unit = st.selectbox(_("Unit"), list(range(units)), key="lv_unit",
                        format_func=lambda j: _("unit {number}").format(number=j + 1)) if units > 1 else 0
    charts.show(figures_lstm.gates_side_by_side(gru, lstm, unit), figures_lstm.gates_text(gru, lstm, unit),
                key="lv_fig_gates")
    st.caption(_("One colour per shared role; the GRU solid, the LSTM dashed. In the matched LSTM, i = 1 − f at "
                 "every step (the coupled view) and f = z at the first step; after it the states differ, because "
                 "the LSTM has no reset gate and shows tanh(c)."))

    st.markdown("##### " + _("Parameters"))
    _parameters(setup)

    st.markdown("##### " + _("Memory: how far back does the gradient reach?"))
    steps = st.slider(_("Sequence length"), 10, APP.max_steps, MEMORY_STEPS, 10, key="lv_steps",
                      help=_("Random inputs xₜ drawn from N(0, 1) (seed 0); the loss L is the sum of the last "
                             "output's units."))
    with np.errstate(all="ignore"):
        memory = lstm_compare.memory(setup.weights, lstm_weights, steps)
    charts.show(figures_lstm.memory_figure(memory), figures_lstm.memory_text(memory), key="lv_fig_memory")
    st.markdown(lstm_compare.memory_sentence(memory))

    st.markdown("##### " + _("So, GRU or LSTM?"))
    for paragraph in lstm_compare.answer(gru, lstm, memory):
        st.markdown(paragraph)
