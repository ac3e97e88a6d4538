"""The tabs under the outputs, as one fragment: choosing a tab, a step or a unit
reruns only this part of the page, not the inputs, the outputs or the pitfalls."""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
import streamlit as st

from ...explain.mistakes import Setup
from ...text import N_, _
from . import backward_view, check_view, frameworks_view, lstm_view, model_view, presenter, results, train_view
from ..kit import guard, link_choice, stepper
from ..kit.memo import Derived


def copy_link() -> None:
    """The address of this exact screen, ready to paste into a chat or an LMS."""
    with st.popover(_("Copy link"), icon=":material/link:"):
        st.caption(_("This link opens this screen: the example, the step, the unit, the tab and the mode."))
        # One line that scrolls sideways: a wrapped link of ~1,500 characters ran past a 720-pixel screen.
        params = st.query_params.to_dict()
        shown = st.session_state.get("view")
        if "view" not in params and shown not in (None, FORWARD_VIEWS[0]):
            # Streamlit drops from the address bar a view named in another language's link
            # (kit/link_choice), though the page shows it: the link still names it.
            params["view"] = _(shown)
        st.code(f"{st.context.url or ''}?{urlencode(params, doseq=True)}", language=None, wrap_lines=False)


# The views of the GRU's forward run on these numbers: the preset's hand calculation and the
# pitfalls belong under them, not under Backward, the LSTM, a whole model or training.
# The pills show a view by its name in the page's language, and the link carries that label;
# kit/link_choice reads a label in any of the languages (a link written by another page).
FORWARD_VIEWS = (N_("One step under the magnifier"), N_("Check my calculation"), N_("Gates over time"),
                 N_("Weight layout"), N_("Frameworks"))


def _forward_extras(preset, derived: Derived) -> None:
    with guard.section(_("The hand calculation")):
        results.claimed_result(preset, derived.mistakes, derived.trace)
    st.subheader(_("Pitfalls: what the classic mistakes give on these numbers"))
    with guard.section(_("Pitfalls")):
        results.pitfalls(derived.mistakes, derived.trace)


@st.fragment
def tabs(setup: Setup, derived: Derived, keras_live: np.ndarray | None, presenting: bool, preset=None) -> None:
    trace = derived.trace
    if presenting:
        with guard.section(_("The step")):
            presenter.render(trace, copy_link)
        return
    with stepper.bar(trace, keys=False, allow_all=False):
        copy_link()
    views = {
        "One step under the magnifier": lambda: results.magnifier(trace),
        "Check my calculation": lambda: check_view.render(setup, trace),
        "Gates over time": lambda: results.gates(trace, derived.bahdanau, keras_live, stepper.step(trace) - 1),
        "Weight layout": lambda: results.weight_layout(trace),
        "Frameworks": lambda: frameworks_view.render(setup.weights, trace, setup),
        N_("Backward"): lambda: backward_view.render(setup),
        N_("GRU vs LSTM"): lambda: lstm_view.render(setup),
        N_("Whole model"): model_view.render,
        N_("Train"): train_view.render,
    }
    # Pills, not tabs: they wrap onto a second row instead of hiding views behind a scroll arrow
    # (nine views do not fit a 1280-pixel projector in one row). Only the chosen view runs.
    default = link_choice.opened("view", list(views))
    chosen = st.pills(_("View"), list(views), key="view", bind="query-params", required=True,
                      default=default, label_visibility="collapsed", format_func=_)
    with st.container(key="view_body"), guard.section(_(chosen)):
        views.get(chosen, next(iter(views.values())))()
    if chosen in FORWARD_VIEWS:
        _forward_extras(preset, derived)
