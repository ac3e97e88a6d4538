"""“Check my calculation”: the user's numbers against the true run, and the known
mistake that reproduces them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ...explain.claims import QUANTITIES, SYMBOLS, cell_name, parse_cells, parse_output_claim
from ...explain.detective import UNEXPLAINED, Diagnosis, ambiguous_message, diagnose
from ...explain.equations import num, vector
from ...explain.mistakes import Setup, detail_text
from ...io.parsing import decimal_comma
from ...io.untrusted import MAX_NUMBER_CHARS
from ...limits import APP
from ...math.trace import Trace
from ...text import N_, _, decimal, language, ngettext
from ..kit import guard, state

# The radio's values, which the code compares and tests set: English, shown translated.
FINAL_OUTPUT, GATE_VALUES = N_("The final output"), N_("Some gate values, step by step")

def column_name(quantity: str, unit: int, units: int) -> str:
    """A column of the step table: "z" for one unit, else "z, unit 1" (units count from 1, as
    in the gates table; the arrays' 0-based index stays in the code)."""
    if units == 1:
        return SYMBOLS[quantity]
    return _("{quantity}, unit {unit}").format(quantity=SYMBOLS[quantity], unit=unit + 1)


def _columns(units: int) -> list[tuple[str, int, str]]:
    return [(q, j, column_name(q, j, units)) for q in QUANTITIES for j in range(units)]


def table_claims(edited_rows: dict, steps: int, units: int):
    """Cells the user filled in the step table (data_editor's edited_rows), as claims."""
    edits = edited_rows
    names = {label: (q, j) for q, j, label in _columns(units)}
    cells = {}
    for row, changes in edits.items():
        for label, text in changes.items():
            if text is not None and str(text).strip():
                q, j = names[label]
                cells[(int(row), q, j)] = str(text).strip()
    return parse_cells(cells, steps, units) if cells else []


def render(setup: Setup, truth: Trace) -> None:
    units, steps = truth.weights.config.units, truth.steps
    st.markdown(_("Type what you got, with the digits you have: **{example}** is checked to ±{tolerance}. "
                  "gruviz finds where your numbers leave the true computation and which known mistake "
                  "reproduces them.").format(example=decimal(0.7069, 4), tolerance=decimal(0.00005, 5)))
    form = st.radio(_("What did you get?"), [FINAL_OUTPUT, GATE_VALUES], key="claim_form", horizontal=True,
                    format_func=_)
    if form == FINAL_OUTPUT:
        text = st.text_input(ngettext("Your output ({count} value)", "Your output ({count} values)", units)
                             .format(count=units), key="claim_output",
                             placeholder="-0.7069", max_chars=APP.max_text_chars)
        read, note = decimal_comma(text) if units == 1 else (text, None)
        if note:
            st.info(note, icon=":material/info:")
        claims, problem = guard.attempt(parse_output_claim, read, units, limits=APP) if text.strip() else ([], None)
    else:
        # The columns are named in the reader's language, and edited_rows by column: a new language, a new table.
        key = f"claim_table_{steps}_{units}_{st.session_state.weights_version}_{language()}"
        # Empty strings, not None: a None cell would read "None" on the page.
        blank = pd.DataFrame({label: [""] * steps for _q, _j, label in _columns(units)},
                             index=pd.Index(range(1, steps + 1), name=_("step")), dtype="object")
        # A cell holds one number: the browser stops typing where the reader would refuse it.
        cell = {label: st.column_config.TextColumn(label, max_chars=MAX_NUMBER_CHARS)
                for _q, _j, label in _columns(units)}
        st.data_editor(blank, key=key, column_config=cell)
        st.caption(_("Fill any cells you have; leave the rest blank."))
        claims, problem = guard.attempt(table_claims, st.session_state[key].get("edited_rows", {}), steps, units)
    if problem is not None:
        st.error(problem, icon=":material/error:")
        return
    if not claims:
        return
    _show(_diagnosis(setup, claims), truth)


def _diagnosis(setup: Setup, claims) -> Diagnosis:
    """The last diagnosis again while nothing it depends on changed: with no single
    mistake explaining, the pair search runs ~200 traces, too slow for every rerun."""
    key = (state.run_key(setup), tuple((c.t, c.quantity, c.unit, c.typed.values.tobytes(),
                                        c.typed.tolerance.tobytes()) for c in claims))
    memo = st.session_state.get("diagnosis_memo")
    if memo is None or memo[0] != key:
        memo = (key, diagnose(setup, claims))
        st.session_state.diagnosis_memo = memo
    return memo[1]


def _show(diagnosis: Diagnosis, truth: Trace) -> None:
    if diagnosis.verdict == "matches":
        st.success(_("Your numbers match Keras."), icon=":material/check_circle:")
        return
    d = diagnosis.first_divergence
    claim = d.claim
    where = claim_name(claim, truth.weights.config.units)
    st.error(_("Your numbers first leave the true computation at **{where}**: Keras gives `{expected}`, you have "
               "`{typed}`.").format(where=where, expected=", ".join(num(v, 6) for v in d.expected),
                                    typed=", ".join(num(v, 6) for v in claim.typed.values)),
             icon=":material/call_split:")
    _divergence_table(truth, claim)
    explaining = [e for e in diagnosis.explanations if e.explains]
    if diagnosis.verdict == "ambiguous":  # too few digits to single out one story
        st.warning(ambiguous_message(diagnosis), icon=":material/pin:")
    elif explaining:
        st.markdown(_("**What reproduces your numbers**, best first:"))
        for e in explaining:
            label = _("{mistakes}: {detail}").format(mistakes=" + ".join(m.title for m in e.mistakes),
                                                     detail=detail_text(e.detail))
            with st.expander(label, expanded=e is explaining[0]):
                for m in e.mistakes:
                    st.markdown(m.explanation)
                st.markdown(_("This reproduces your numbers to within {error}. The correct computation gives "
                              "`{output}`; the step-by-step tab shows every number of it.").format(
                    error=f"{e.max_abs_error:.2g}", output=vector(truth.output, 6)))
    else:
        st.warning(_(UNEXPLAINED), icon=":material/help:")
        near = ", ".join(f"{detail_text(e.detail)} ({_off_by(e.max_abs_error)})" for e in diagnosis.explanations[:3])
        st.caption(_("Closest known mistakes, none close enough: {mistakes}.").format(mistakes=near))


def claim_name(claim, units: int) -> str:
    """Where a claim sits, as the page counts steps and units (from 1)."""
    if claim.t is None:
        return _("the final output")
    if claim.unit is None:  # a whole vector
        return _("step {step}, {quantity}").format(step=claim.t + 1, quantity=SYMBOLS[claim.quantity])
    return cell_name(claim.t, claim.quantity, claim.unit, units)


def _off_by(error: float) -> str:
    """How far a near miss is, in words; a mistake that never reaches the step has no number there."""
    return _("off by {error}").format(error=f"{error:.3g}") if np.isfinite(error) else \
        _("it computes no value where yours is")


def _divergence_table(truth: Trace, claim) -> None:
    if claim.t is None:
        return
    frame = pd.DataFrame({label: getattr(truth, q)[:, j] for q, j, label in _columns(truth.weights.config.units)},
                         index=pd.Index(range(1, truth.steps + 1), name=_("step")))
    units = truth.weights.config.units
    columns = [column_name(claim.quantity, j, units)
               for j in (range(units) if claim.unit is None else [claim.unit])]

    def mark(column):
        return ["background-color: #ffd6d6; font-weight: bold" if column.name in columns and step == claim.t + 1
                else "" for step in column.index]

    st.caption(_("The true values; your first divergence is marked."))
    # Shown only while a claim diverges, so the Styler's cost does not touch ordinary reruns.
    st.dataframe(frame.style.format("{:.4f}").apply(mark, axis=0))

