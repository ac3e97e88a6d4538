"""The chosen timestep and unit, shared by every view and carried in the link
(`step`, `unit`). Buttons step through time; in presenter mode the arrow keys,
Home and End do too."""

from __future__ import annotations

import streamlit as st

from ...math.trace import Trace
from ...text import N_, _

ALL_UNITS = "all"


def _chosen(key: str, default: str) -> str:
    """A bound widget's value; before the widget first runs, the link's."""
    ss = st.session_state
    return str(ss[key]) if key in ss else str(st.query_params.get(key, default))


def step(trace: Trace) -> int:
    """The chosen step, 1-based as the page counts."""
    text = _chosen("step", "1")
    return min(max(int(text), 1), trace.steps) if text.isdigit() else 1


def unit(trace: Trace) -> int | None:
    """The chosen unit (0-based, as the arrays index it and the link carries it; the page
    names it from 1), or None for all units."""
    chosen = _chosen("unit", "0")
    if chosen == ALL_UNITS:
        return None if trace.weights.config.units > 1 else 0
    return min(int(chosen), trace.weights.config.units - 1) if chosen.isdigit() else 0


def locked() -> bool:
    """A class following its teacher: the teacher's page moves this one, its own controls do not."""
    return bool(st.session_state.get("pacing_locked"))


def _go(to: int) -> None:
    st.session_state.step = to
    st.session_state.reveal_stage = 0  # a new step starts covered again


# The labels are translated where drawn; the shortcuts are key names, as Streamlit reads them (its
# badge prints Home and End in English; a11y.key_names has the page print them as the person's keyboard does).
_BUTTONS = (("step_first", ":material/first_page:", N_("First step"), "Home"),
            ("step_prev", ":material/chevron_left:", N_("Previous step"), "Left"),
            ("step_next", ":material/chevron_right:", N_("Next step"), "Right"),
            ("step_last", ":material/last_page:", N_("Last step"), "End"))
# A key's name as a person reads it in the help text (as printed on the keyboard, in their language).
_KEY_NAMES = {"Home": N_("Home"), "Left": N_("Left"), "Right": N_("Right"), "End": N_("End")}


def bar(trace: Trace, keys: bool, allow_all: bool, lead: str | None = None):
    """⏮ ◀ step ▶ ⏭ and the unit choice; returns a last, empty column for the caller.
    `keys`: ←/→/Home/End work too (presenter mode only: elsewhere the arrows belong
    to the text boxes). `lead`: a heading drawn first in the row."""
    T, H = trace.steps, trace.weights.config.units
    ss = st.session_state
    now = step(trace)
    if "step" in ss and ss.step != now:
        ss.step = now  # a shorter sequence left it out of range
    units = [str(j) for j in range(H)] + ([ALL_UNITS] if allow_all and H > 1 else [])
    if "unit" in ss and str(ss.unit) not in units:
        ss.unit = "0"
    targets = {"step_first": 1, "step_prev": max(now - 1, 1), "step_next": min(now + 1, T), "step_last": T}
    # A wrapping row, not columns: on a phone columns stack into one button per line.
    row = st.container(horizontal=True, vertical_alignment="center", gap="small", key="step_bar")
    with row:
        if lead:
            st.markdown(lead, unsafe_allow_html=True, width="content")
        for key, icon, label, shortcut in _BUTTONS:
            # The label names the button for a screen reader; the style shows only the icon.
            label = _(label)
            shown = _("{button} ({key})").format(button=label, key=_(_KEY_NAMES[shortcut])) if keys else label
            st.button(label, key=key, icon=icon, help=shown,
                      disabled=targets[key] == now or locked(), on_click=_go, args=(targets[key],),
                      shortcut=shortcut if keys and not locked() else None, width="content")
            if key == "step_prev" and not lead:
                _slider(T)  # between ◀ and ▶, where a row has room for it
        if H > 1:
            st.segmented_control(_("Unit"), units, key="unit", bind="query-params", required=True,
                                 label_visibility="collapsed", width="content",
                                 format_func=unit_name)
        extra = st.container(width="content", horizontal=True, vertical_alignment="center")
    if lead:
        _slider(T)
    return extra


def unit_name(option: str) -> str:
    """A unit as a person counts it: the link's unit=0 is "unit 1"."""
    return _("all units") if option == ALL_UNITS else _("unit {number}").format(number=int(option) + 1)


def _slider(T: int) -> None:
    if T > 1:
        # Streamlit fills %d with the step; the sentence around it is the reader's language.
        st.slider(_("Step"), 1, T, key="step", bind="query-params", on_change=_go_to_slider, disabled=locked(),
                  format=_("{step} of {steps}").format(step="%d", steps=T), label_visibility="collapsed",
                  width="stretch")


def _go_to_slider() -> None:
    st.session_state.reveal_stage = 0
