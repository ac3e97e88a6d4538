"""The tabs under the outputs, as one fragment: choosing a tab, a step or a unit
reruns only this part of the page, not the inputs, the outputs or the pitfalls."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ..explain.mistakes import Setup
from . import backward_view, check_view, frameworks_view, presenter, results, stepper
from .memo import Derived

TABS = ("One step under the magnifier", "Check my calculation", "Gates over time", "Weight layout", "Frameworks",
        "Backward")


@st.fragment
def tabs(setup: Setup, derived: Derived, keras_live: np.ndarray | None, presenting: bool) -> None:
    trace = derived.trace
    if presenting:
        presenter.render(trace)
        return
    stepper.bar(trace, keys=False, allow_all=False)
    # Only the open tab runs (on_change="rerun"): hidden charts cost the browser ~1 s a rerun.
    step_tab, check_tab, gates_tab, layout_tab, frameworks_tab, backward_tab = st.tabs(
        list(TABS), key="view", on_change="rerun", bind="query-params")
    if step_tab.open:
        with step_tab:
            results.magnifier(trace)
    if check_tab.open:
        with check_tab:
            check_view.render(setup, trace)
    if gates_tab.open:
        with gates_tab:
            results.gates(trace, derived.bahdanau, keras_live, stepper.step(trace) - 1)
    if layout_tab.open:
        with layout_tab:
            results.weight_layout(trace)
    if frameworks_tab.open:
        with frameworks_tab:
            frameworks_view.render(setup.weights, trace, setup)
    if backward_tab.open:
        with backward_tab:
            backward_view.render(setup)
