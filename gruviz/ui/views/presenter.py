"""Presenter mode: one step, big enough for the back of a room. The inputs and the
sidebar step aside; ←/→, Home and End step through time; reveal mode uncovers the
step's numbers one at a time, so a class can compute each before it is shown."""

from __future__ import annotations

import streamlit as st

from ...explain import figures
from ...explain.equations import REVEAL_STAGES, compact_lines, hidden_after, num, stacked
from ...explain.fit import PHONE, fit, width
from ...math.trace import Trace
from ...text import _, language
from ..kit import charts, memo, stepper

# Hides the sidebar and enlarges the equations; scoped to presenter mode by being drawn only then.
# The equations come twice: as a projector shows them, and one relation per line for a phone.
NARROW_SCREEN = 900  # px: narrower than this, the phone's
_STYLE = """<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] {display: none;}
.st-key-presenter_equations .katex {font-size: 1.25em;}
@media (min-width: %dpx) {.st-key-presenter_equations_narrow {display: none;}}
@media (max-width: %.2fpx) {.st-key-presenter_equations {display: none;}}
.st-key-page_title h1 {font-size: 1.1rem !important; padding: 0 !important;}
.stMainBlockContainer {padding-top: 1.2rem;}
@media (max-width: 640px) {.stMainBlockContainer {padding-top: 4.5rem;}}
</style>""" % (NARROW_SCREEN, NARROW_SCREEN - 0.02)


def style() -> None:
    st.html(_STYLE)


def _uncover() -> None:
    st.session_state.reveal_stage = min(st.session_state.get("reveal_stage", 0) + 1, len(REVEAL_STAGES))


def _cover() -> None:
    st.session_state.reveal_stage = 0


def _hidden() -> frozenset[str]:
    if not st.session_state.get("reveal"):
        return frozenset()
    return hidden_after(int(st.session_state.get("reveal_stage", 0)))


def _reveal_controls(slot, extra) -> None:
    with slot:
        extra()
    locked = stepper.locked()
    slot.toggle(_("Reveal mode"), key="reveal", bind="query-params", disabled=locked,
                help=_("Cover the step's numbers and uncover them one at a time (Space)."))
    if not st.session_state.get("reveal"):
        return
    stage = int(st.session_state.get("reveal_stage", 0))
    c1, c2 = st.columns([3, 1], vertical_alignment="center")
    if stage < len(REVEAL_STAGES):
        c1.button(_("Uncover {what}").format(what=_(REVEAL_STAGES[stage])), key="reveal_next", on_click=_uncover,
                  shortcut=None if locked else "Space", type="primary", width="stretch", disabled=locked)
    else:
        c1.markdown(_("All numbers of this step are shown."))
    c2.button(_("Cover again"), key="reveal_reset", on_click=_cover, width="stretch", disabled=stage == 0 or locked)


def _unit(j: int) -> str:
    """A column's heading, "unit 1" for the arrays' unit 0, as plain text inside LaTeX's \\text{}."""
    return _("unit {number}").format(number=j + 1)


def _all_units_table(trace: Trace, t: int, hidden: frozenset[str], units: range | None = None) -> str:
    """The step's vectors side by side, one column per unit (of `units`, default all)."""
    rows = [("h_{%d}" % t, "h_prev", trace.h_prev[t]), ("a_z", "z_pre", trace.z_pre[t]), ("z", "z", trace.z[t]),
            ("a_r", "r_pre", trace.r_pre[t]), ("r", "r", trace.r[t]), ("a_h", "h_tilde_pre", trace.h_tilde_pre[t]),
            (r"\tilde h", "h_tilde", trace.h_tilde[t]), ("h_{%d}" % (t + 1), "h", trace.h[t])]
    units = units or range(trace.weights.config.units)
    head = " & ".join(rf"\text{{{_unit(j)}}}" for j in units)
    body = r" \\ ".join(
        f"{symbol} & " + " & ".join(r"\boxed{\phantom{0.00}}" if name in hidden else num(values[j]) for j in units)
        for symbol, name, values in rows)
    return rf"\begin{{array}}{{r|{'c' * len(units)}}} & {head} \\ \hline {body} \end{{array}}"


def _narrow_tables(trace: Trace, t: int, hidden: frozenset[str]) -> str:
    """The all-units table cut into tables of as many units as a phone's width holds."""
    H = trace.weights.config.units
    numbers = [num(v) for name in ("h_prev", "z_pre", "r_pre", "h_tilde_pre", "h") for v in getattr(trace, name)[t]]
    column = 1.0 + max(width(rf"\text{{{_unit(9)}}}"), *(width(n) for n in numbers))  # with the array's column gap
    per = max(1, int((PHONE - 3.0) // column))
    tables = [_all_units_table(trace, t, hidden, range(k, min(k + per, H))) for k in range(0, H, per)]
    return r"\begin{gathered}" + r" \\[8pt] ".join(tables) + r"\end{gathered}"


def render(trace: Trace, extra) -> None:
    """The step view; `extra` draws more controls at the end of the step bar."""
    t = stepper.step(trace) - 1
    x = ", ".join(num(v) for v in trace.x[t])
    note = _(" (input {number}, read backwards)").format(number=trace.order[t] + 1) if trace.go_backwards else ""
    heading = _("Step {step} of {steps}").format(step=t + 1, steps=trace.steps)
    lead = (f"<span style='font-size:1.6rem;font-weight:600;white-space:nowrap'>{heading}"
            f"</span> &nbsp; x<sub>{t + 1}</sub> = [{x}]{note}")
    _reveal_controls(stepper.bar(trace, keys=True, allow_all=True, lead=lead), extra)
    hidden = _hidden()
    j = stepper.unit(trace)
    wide = _all_units_table(trace, t, hidden) if j is None else stacked(compact_lines(trace, t, j, hidden))
    with st.container(key="presenter_equations"):
        st.latex(wide)
    with st.container(key="presenter_equations_narrow"):
        st.latex(_narrow_tables(trace, t, hidden) if j is None else fit(wide))
    if not hidden:
        lang = language()  # the figure's titles and text are sentences in the reader's language
        chart = memo.once(("presenter_gates", t, lang), lambda: figures.gates_over_time(trace, t))
        charts.show(chart, memo.once(("gates_text", lang), lambda: figures.gates_text(trace)),
                    key="presenter_fig_gates")
