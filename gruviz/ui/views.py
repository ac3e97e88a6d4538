"""The tabs under the outputs, as one fragment: choosing a tab, a step or a unit
reruns only this part of the page, not the inputs, the outputs or the pitfalls."""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
import streamlit as st

from ..explain.mistakes import Setup
from . import backward_view, check_view, frameworks_view, guard, lstm_view, presenter, results, stepper, train_view
from .memo import Derived

TABS = ("One step under the magnifier", "Check my calculation", "Gates over time", "Weight layout", "Frameworks",
        "Backward", "GRU vs LSTM", "Train")


def copy_link() -> None:
    """The address of this exact screen, ready to paste into a chat or an LMS."""
    with st.popover("Copy link", icon=":material/link:"):
        st.caption("This link opens this screen: the example, the step, the unit, the tab and the mode.")
        st.code(f"{st.context.url or ''}?{urlencode(st.query_params.to_dict(), doseq=True)}", language=None,
                wrap_lines=True)


@st.fragment
def tabs(setup: Setup, derived: Derived, keras_live: np.ndarray | None, presenting: bool) -> None:
    trace = derived.trace
    if presenting:
        with guard.section("The step"):
            presenter.render(trace, copy_link)
        return
    with stepper.bar(trace, keys=False, allow_all=False):
        copy_link()
    # Only the open tab runs (on_change="rerun"): hidden charts cost the browser ~1 s a rerun.
    step_tab, check_tab, gates_tab, layout_tab, frameworks_tab, backward_tab, lstm_tab, train_tab = st.tabs(
        list(TABS), key="view", on_change="rerun", bind="query-params")
    if step_tab.open:
        with step_tab, guard.section("One step under the magnifier"):
            results.magnifier(trace)
    if check_tab.open:
        with check_tab, guard.section("Check my calculation"):
            check_view.render(setup, trace)
    if gates_tab.open:
        with gates_tab, guard.section("Gates over time"):
            results.gates(trace, derived.bahdanau, keras_live, stepper.step(trace) - 1)
    if layout_tab.open:
        with layout_tab, guard.section("Weight layout"):
            results.weight_layout(trace)
    if frameworks_tab.open:
        with frameworks_tab, guard.section("Frameworks"):
            frameworks_view.render(setup.weights, trace, setup)
    if backward_tab.open:
        with backward_tab, guard.section("Backward"):
            backward_view.render(setup)
    if lstm_tab.open:
        with lstm_tab, guard.section("GRU vs LSTM"):
            lstm_view.render(setup)
    if train_tab.open:
        with train_tab, guard.section("Train"):
            train_view.render()
