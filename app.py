"""gruviz: what a GRU computes, one timestep and one number at a time.

Layout and wiring only; the math lives in gruviz/, the widgets in gruviz/ui/."""

from dataclasses import replace

import streamlit as st

from gruviz import Convention
from gruviz.classroom import presets
from gruviz.io import weights_file
from gruviz.explain.mistakes import Setup, outcomes
from gruviz.ui import backward_view, check_view, frameworks_view, inputs, keras_panel, results, sources, state

st.set_page_config(page_title="gruviz: GRU math, step by step", page_icon="🔢", layout="wide")
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
trace = setup.run()
bahdanau = replace(setup, convention=Convention.BAHDANAU).run()
mistakes = outcomes(setup)

keras_slot = results.side_by_side(trace, bahdanau)
results.claimed_result(mistakes, trace)
compare = st.toggle("Compare with a real keras.layers.GRU", value=True, key="compare_keras")

# Only the open tab runs (on_change="rerun"): hidden charts cost the browser ~1 s a rerun.
step_tab, check_tab, gates_tab, layout_tab, frameworks_tab, backward_tab = st.tabs(
    ["One step under the magnifier", "Check my calculation", "Gates over time", "Weight layout", "Frameworks",
     "Backward"], key="view", on_change="rerun")
if step_tab.open:
    with step_tab:
        results.magnifier(trace)
if check_tab.open:
    with check_tab:
        check_view.render(setup, trace)
if layout_tab.open:
    with layout_tab:
        results.weight_layout(trace)
if frameworks_tab.open:
    with frameworks_tab:
        frameworks_view.render(weights, trace, setup)
if backward_tab.open:
    with backward_tab:
        backward_view.render(setup)
st.subheader("Pitfalls: what the classic mistakes give on these numbers")
results.pitfalls(mistakes, trace)

keras_live = keras_panel.fill(keras_slot, weights, run_inputs, trace) if compare else None
if not compare:
    keras_slot.caption("Keras comparison is off.")
if gates_tab.open:
    with gates_tab:
        results.gates(trace, bahdanau, keras_live, results.selected_step(trace))
