"""gruviz: what a GRU computes, one timestep and one number at a time.

Layout and wiring only; the math lives in gruviz/, the widgets in gruviz/ui/."""

import streamlit as st

from gruviz import Convention
from gruviz.classroom import presets
from gruviz.io import weights_file
from gruviz.explain.mistakes import Setup
from gruviz.ui import inputs, keras_panel, memo, results, sources, state, views
from gruviz.ui import exercise_view

st.set_page_config(page_title="gruviz: GRU math, step by step", page_icon="🔢", layout="wide")
if exercise_view.wanted():  # a practice link: its own page
    exercise_view.render()
    st.stop()
keras_panel.start_loading()
state.init()

with st.sidebar:
    st.header("Weights")
    sources.panel()
    for note in st.session_state.notes:
        st.caption(note)
    st.header("Layer options")
    inputs.layer_options()
    st.download_button("Download weights (JSON)", weights_file.dumps(state.weights()), "gru-weights.json",
                       mime="application/json", key="download_weights", on_click="ignore", width="stretch")
    st.caption("The address bar always holds a link to this example: copy it to share.")

st.title("What does this GRU compute?")
preset = presets.BY_KEY.get(st.session_state.preset)
if preset is not None:
    st.markdown(f"**{preset.title}.** {preset.story}")
st.caption("Every gate at every timestep, computed by gruviz in float64 and checked against a real "
           "keras.layers.GRU. Steps count from 1; h₀ is the initial state.")
run_inputs = inputs.sequence_inputs()
if run_inputs is None:
    st.warning("Type a sequence to see the computation.")
    st.stop()

weights = state.weights()
state.sync_link(st.session_state.seq_text)
setup = Setup(weights, run_inputs.x, run_inputs.h0, Convention.KERAS, run_inputs.go_backwards, run_inputs.mask)
derived = memo.derived(setup)

keras_slot = results.side_by_side(derived.trace, derived.bahdanau)
results.claimed_result(derived.mistakes, derived.trace)
compare = st.toggle("Compare with a real keras.layers.GRU", value=True, key="compare_keras")
keras_live = keras_panel.fill(keras_slot, weights, run_inputs, derived.trace) if compare else None
if not compare:
    keras_slot.caption("Keras comparison is off.")

views.tabs(setup, derived, keras_live)
st.subheader("Pitfalls: what the classic mistakes give on these numbers")
results.pitfalls(derived.mistakes, derived.trace)
