"""What the page shows for a run: outputs side by side, one step under the
magnifier, the gates over time, the weight layout and the pitfalls."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from ...explain import figures
from ...classroom import presets
from ...explain.equations import RULE_ALSO_CALLED, RULE_FORMULAS, num, rule_name, step_lines, subscript, vector
from ...explain.fit import PHONE
from ...explain.mistakes import Outcome, detail_text
from ...math.trace import Trace
from ...text import _, language
from ..kit import charts, memo, stepper
from ..sidebar.keras_panel import HEADLINE_UNITS, format_vector


def side_by_side(keras_rule: Trace, bahdanau_rule: Trace):
    """Three columns of outputs; returns the slot the Keras column fills later."""
    c1, c2, c3 = st.columns(3)
    for column, trace in ((c1, keras_rule), (c2, bahdanau_rule)):
        rule = trace.convention
        column.metric(f"gruviz, {rule_name(rule)}  {RULE_FORMULAS[rule]}", format_vector(trace.output),
                      help=_("The {rule}: {also_called}.").format(rule=rule_name(rule),
                                                                  also_called=_(RULE_ALSO_CALLED[rule])))
    if len(keras_rule.output) > HEADLINE_UNITS:  # the headline shows its ends; here is every unit
        c1.caption(_("all units: {values}").format(values=vector(keras_rule.output)))
        c2.caption(_("all units: {values}").format(values=vector(bahdanau_rule.output)))
    if keras_rule.overflow_step is not None:
        st.warning(_("The state left float64's range at step {step}: with unbounded activations and large weights "
                     "h grows without limit. Use smaller weights or a bounded activation.").format(
            step=keras_rule.overflow_step + 1))
    return c3.empty()


def claimed_result(preset: presets.Preset | None, outcomes: list[Outcome], truth: Trace) -> None:
    """A preset's wrong hand result beside the true one, and the mistake behind it; only
    while the inputs are still the preset's (`preset` is None otherwise)."""
    if preset is None or preset.claimed is None:
        return
    who, value = preset.claimed
    who = _(who)  # translated once presets.py marks it
    digits = len(f"{value}".split(".")[-1])
    tolerance = 0.5 * 10**-digits
    reason = next((_("{mistake}: {detail} gives {output}").format(mistake=o.mistake.title.lower(),
                                                                  detail=detail_text(o.detail),
                                                                  output=num(o.trace.output[0], digits))
                   for o in outcomes if abs(o.trace.output[0] - value) <= tolerance), None)
    claimed = dict(who=who[:1].upper() + who[1:], value=value, output=num(truth.output[0]))
    if reason:
        said = _("**{who}: {value}**, but the GRU gives **{output}**. Reproduced by {reason}.").format(
            reason=reason, **claimed)
    else:
        said = _("**{who}: {value}**, but the GRU gives **{output}**.").format(**claimed)
    st.error(said, icon=":material/calculate:")


def magnifier(trace: Trace) -> None:
    """Every equation of the chosen step and unit, with the numbers in."""
    t, unit = stepper.step(trace) - 1, stepper.unit(trace) or 0
    note = _(" (input {number}, read backwards)").format(number=trace.order[t] + 1) if trace.go_backwards else ""
    # Two values, not a product: a comma and a wide space between them, and real subscripts.
    st.markdown(f"x{subscript(t + 1)} = {vector(trace.x[t])}{note},\u2003h{subscript(t)} = {vector(trace.h_prev[t])}")
    # One form for every screen: a row too wide for a phone is already one relation per line.
    for line in step_lines(trace, t, unit, room=PHONE):
        st.caption(line.label)
        st.latex(line.latex)


def gates(trace: Trace, bahdanau_rule: Trace, keras_live: np.ndarray | None, t: int) -> None:
    table, H = {}, trace.weights.config.units
    for name, label in (("z", "z"), ("r", "r"), ("h_tilde", "h̃"), ("h", "h")):
        for j in range(H):  # units count from 1, as everywhere a person reads
            table[label if H == 1 else _("{quantity}, unit {unit}").format(quantity=label, unit=j + 1)] = \
                getattr(trace, name)[:, j]
    # A marker column, not a pandas Styler: styling costs ~100 ms a rerun.
    frame = pd.DataFrame({"": ["▶" if k == t else "" for k in range(trace.steps)], **table},
                         index=pd.Index(range(1, trace.steps + 1), name=_("step")))
    st.dataframe(frame, column_config={name: st.column_config.NumberColumn(format="%.4f") for name in table})
    # The figures' titles and texts are sentences: each memo holds them in one language.
    lang = language()
    charts.show(memo.once(("gates", t, lang), lambda: figures.gates_over_time(trace, t)),
                memo.once(("gates_text", lang), lambda: figures.gates_text(trace)), key="fig_gates")
    charts.show(memo.once(("heatmaps", t, lang), lambda: figures.heatmaps(trace, t)),
                memo.once(("heatmaps_text", lang), lambda: figures.heatmaps_text(trace)), key="fig_heat")
    rules = memo.once(("rules", t, keras_live is None, lang),
                      lambda: figures.conventions(trace, bahdanau_rule, keras_live, t))
    charts.show(rules, memo.once(("rules_text", keras_live is None, lang),
                                 lambda: figures.conventions_text(trace, bahdanau_rule, keras_live)), key="fig_rules")


def weight_layout(trace: Trace) -> None:
    w = trace.weights
    cfg = w.config
    D, H = cfg.input_dim, cfg.units
    bias = {
        None: _("no bias (use_bias=False)."),
        1: _("bias `{shape}`: one row, added to $x W$. With reset_after=False there is no recurrent "
             "bias.").format(shape=(3 * H,)),
        2: _("bias `{shape}`: **row 0 is the input bias** $b^x$, added to $x W$; **row 1 is the recurrent bias** "
             r"$b^h$, added to $h U$, and for the candidate it sits inside $r \odot (h U_h + b^h_h)$.").format(
            shape=(2, 3 * H)),
    }[None if w.bias is None else w.bias.ndim]
    if w.bias is not None:
        returns = _("`get_weights()` returns **kernel** `{kernel}`, **recurrent_kernel** `{recurrent}`, **bias**. "
                    "Columns come in three blocks of units={units}: `{z}` → z (update), `{r}` → r (reset), `{h}` → h "
                    "(candidate).")
    else:
        returns = _("`get_weights()` returns **kernel** `{kernel}`, **recurrent_kernel** `{recurrent}`. Columns come "
                    "in three blocks of units={units}: `{z}` → z (update), `{r}` → r (reset), `{h}` → h (candidate).")
    st.markdown(
        returns.format(kernel=(D, 3 * H), recurrent=(H, 3 * H), units=H, z=f"[:, 0:{H}]", r=f"[:, {H}:{2 * H}]",
                       h=f"[:, {2 * H}:{3 * H}]") + "\n\n"
        f"- {bias}\n- "
        + _("Each row of the kernel belongs to one input feature, each row of the recurrent kernel to one unit of "
            "$h_{t-1}$: $x_t W$ is a row vector times a matrix, as Keras computes it.") + "\n- "
        + _("The code counts from 0, as Python does: column 0 of each block belongs to unit 1, row 0 of the "
            "kernel to input feature 1.")
    )
    st.code(
        f"kernel, recurrent_kernel{', bias' if w.bias is not None else ''} = layer.get_weights()\n"
        f"W_z, W_r, W_h = kernel[:, :{H}], kernel[:, {H}:{2 * H}], kernel[:, {2 * H}:]\n"
        f"U_z, U_r, U_h = recurrent_kernel[:, :{H}], recurrent_kernel[:, {H}:{2 * H}], recurrent_kernel[:, {2 * H}:]"
        + ("\nb_x, b_h = bias[0], bias[1]   # " + _("input bias, recurrent bias")
           if w.bias is not None and w.bias.ndim == 2 else ""),
        language="python",
    )
    lang = language()
    charts.show(memo.once(("weights", lang), lambda: figures.weight_blocks(w)),
                memo.once(("weights_text", lang), lambda: figures.weights_text(w)), key="fig_weights")


def pitfalls(outcomes: list[Outcome], truth: Trace) -> None:
    """Each classic mistake, recomputed on the current numbers."""
    st.markdown(memo.once(("pitfalls", language()), lambda: _pitfall_rows(outcomes, truth)), unsafe_allow_html=True)


def _pitfall_rows(outcomes: list[Outcome], truth: Trace) -> str:
    """One entry per mistake; a mistake with two variants (hard_sigmoid, hard_sigmoid_legacy) names both in it."""
    groups: dict[str, list[Outcome]] = {}
    for o in outcomes:
        if o.mistake.id == "gate_order_swapped" and "PyTorch" not in o.detail:
            continue  # one gate order is enough here; the detective tries them all
        groups.setdefault(o.mistake.id, []).append(o)
    rows = []
    for group in groups.values():
        results = []
        for o in group[:2]:
            same = np.allclose(o.trace.output, truth.output, atol=5e-7)
            results.append(_("if you {detail}, you would get {output}").format(
                detail=detail_text(o.detail), output=f"`{format_vector(o.trace.output, 4)}`")
                + (_(" — the same here, by coincidence of these numbers") if same else ""))
        said = "; ".join(results)
        mistake = group[0].mistake
        entry = _("**{mistake}.** {results}.").format(mistake=mistake.title, results=said[0].upper() + said[1:])
        rows.append(f"- {entry}<br><span style='color:#57606a'>{mistake.explanation}</span>")
    return "\n".join(rows)
