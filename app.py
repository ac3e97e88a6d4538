"""gruviz: what a GRU computes, one timestep and one number at a time.

Layout and wiring only; the math lives in gruviz/, the widgets in gruviz/ui/."""

import streamlit as st

from gruviz import Convention
from gruviz.classroom import presets
from gruviz.io import weights_file
from gruviz.explain.mistakes import Setup
from gruviz.text import _
from gruviz.ui.kit import a11y, guard, language, memo, state, style
from gruviz.ui.sidebar import inputs, keras_panel, sources
from gruviz.ui.views import class_view, exercise_view, presenter, results, tabs

lang = language.start()
st.set_page_config(page_title=_("gruviz: GRU math, step by step"), page_icon="🔢", layout="wide")
a11y.page(lang)
if class_view.wanted():  # a class: its own pages
    with guard.section(_("The class")):
        class_view.render()
    st.stop()
if exercise_view.wanted():  # a practice link: its own page
    exercise_view.render()
    st.stop()
st.session_state.pacing_locked = False
keras_panel.start_loading()
state.init()

with st.sidebar:
    language.picker()
    st.header(_("Weights"))
    with guard.section(_("Weights")):
        sources.panel()
    for note in st.session_state.notes:
        st.caption(note)
    st.header(_("Layer options"))
    inputs.layer_options()
    st.download_button(_("Download weights (JSON)"), weights_file.dumps(state.weights()), "gru-weights.json",
                       mime="application/json", key="download_weights", on_click="ignore", width="stretch")
    st.caption(_("The address bar holds a link to this example: copy it to share. An example too big "
                 "for a link says so on the page; share the weights file instead."))
    st.header(_("Class"))
    st.link_button(_("Run a class"), "?class=new", icon=":material/groups:", width="stretch")
    st.link_button(_("Join a class"), "?class=", icon=":material/login:", width="stretch")

style.page()
top_left, top_right = st.columns([6, 2], vertical_alignment="center")
presenting = top_right.toggle(_("Presenter mode"), key="present", bind="query-params",
                              help=_("One step, large, for a projector: ←/→ step, Home/End jump, Space uncovers."))
compare = top_right.toggle(_("Compare with keras.layers.GRU"), value=True, key="compare_keras",
                           help=_("Run a real keras.layers.GRU on the same numbers, beside gruviz's."))
if presenting:
    presenter.style()
heading = top_left.container(key="page_title")
inputs_box = st.container()
if presenting:  # the lesson first; the inputs stay rendered (so nothing typed is lost), folded at the end
    lesson_box = inputs_box
    inputs_box = st.expander(_("Inputs: sequence, h₀, mask"), expanded=False)
with inputs_box:
    run_inputs = inputs.sequence_inputs()
if run_inputs is None:
    st.warning(_("Type a sequence to see the computation."))
    st.stop()

weights = state.weights()
state.sync_link(st.session_state.seq_text)
setup = Setup(weights, run_inputs.x, run_inputs.h0, Convention.KERAS, run_inputs.go_backwards, run_inputs.mask)
derived = None
with guard.section(_("The computation")):
    derived = memo.derived(setup)
if derived is None:
    st.stop()
current = presets.matching(weights, run_inputs.x, run_inputs.h0, run_inputs.mask, run_inputs.go_backwards)
origin = presets.BY_KEY.get(st.session_state.preset)
title = current.title if current else (_("Your GRU, edited from “{title}”").format(title=origin.title) if origin
                                       else _("Your GRU"))
with heading:
    if presenting:  # the page's one h1, small: the step is what the room reads
        st.title(title, anchor=False)
    else:
        st.title(title, anchor=False, help=_("What this GRU computes, every gate at every timestep, in float64, "
                 "checked against a real keras.layers.GRU. Steps count from 1; h₀ is the initial state."))
        if current:
            st.caption(current.story)

if presenting:
    with lesson_box:
        tabs.tabs(setup, derived, None, presenting)
    st.stop()

keras_slot, keras_live = None, None
with guard.section(_("The outputs")):
    keras_slot = results.side_by_side(derived.trace, derived.bahdanau)
if keras_slot is not None and compare:
    with guard.section(_("The Keras column")):
        keras_live = keras_panel.fill(keras_slot, weights, run_inputs, derived.trace)
elif keras_slot is not None:
    keras_slot.caption(_("Keras comparison is off."))

tabs.tabs(setup, derived, keras_live, presenting, current)
