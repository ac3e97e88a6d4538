"""The "Backward" view: BPTT gradients of a loss, one step under the magnifier, and
a knob on the recurrent weights that makes vanishing and exploding gradients visible."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from ...explain import figures_backward
from ...math.backward import LOSSES, backward
from ...io.parsing import parse_target
from ...explain.equations_backward import loss_line, step_lines
from ...explain.fit import PHONE
from ...explain.mistakes import Setup
from ...limits import APP
from ...math.weights import GRUWeights
from ...text import N_, _, ngettext
from ..kit import charts, guard

_LOSS_LABELS = {  # the radio's values are the loss names the code reads; these are shown, translated
    "sum": N_("sum of the final output"),
    "mse": N_("MSE of the final output"),
    "mse_all": N_("MSE of every step's output"),
}


def _loss_label(loss: str) -> str:
    return _(_LOSS_LABELS[loss])


def _target(loss: str, units: int, steps: int) -> np.ndarray | None:
    """The target box for mse / mse_all, blank meaning zeros; a bad entry shows its
    message right here and the page goes on with zeros."""
    if LOSSES[loss].target == "none":
        st.text_input(_("Target"), value="", disabled=True, key="bw_target_none",
                      help=_("The sum loss has no target."), max_chars=APP.max_text_chars)
        return None
    vector = LOSSES[loss].target == "vector"
    st.text_input(
        _("Target y") if vector else _("Target sequence Y"), key=f"bw_target_{loss}", placeholder=_("zeros"),
        max_chars=APP.max_text_chars,
        help=(ngettext("{count} value, one per unit.", "{count} values, one per unit.", units).format(count=units)
              if vector else
              ngettext("{steps} timesteps of {count} value each, in the order the outputs come out (processing "
                       "order); ';' or a new line separates timesteps.",
                       "{steps} timesteps of {count} values each, in the order the outputs come out (processing "
                       "order); ';' or a new line separates timesteps.", units).format(steps=steps, count=units)),
    )
    target, problem = guard.attempt(parse_target, st.session_state.get(f"bw_target_{loss}", ""), loss, units, steps,
                                    limits=APP)
    if problem is not None:
        st.error(_("{problem} Using zeros until it is fixed.").format(problem=problem), icon=":material/error:")
        return parse_target("", loss, units, steps)
    return target


def _unit_name(j: int) -> str:
    """The unit choice as a person counts it: the arrays' unit 0 is "unit 1"."""
    return _("unit {number}").format(number=j + 1)


def _scaled(setup: Setup, scale: float) -> Setup:
    if scale == 1.0:
        return setup
    w = setup.weights
    return replace(setup, weights=GRUWeights.create(w.config, w.kernel, scale * w.recurrent_kernel, w.bias))


_SCALES = (0.1, 5.0)  # the scale slider's ends


def _key(setup: Setup) -> tuple:
    """What the plot's memos depend on: the weights and the run, by value."""
    w = setup.weights
    arrays = (w.kernel, w.recurrent_kernel, w.bias, setup.x, setup.h0, setup.mask)
    return (w.config, setup.go_backwards, *(None if a is None else (a.tobytes(), a.shape) for a in arrays))


def _fixed_range(setup: Setup, loss: str, target, norms: list) -> list[float] | None:
    """One log range for every position of the scale slider, so that 0.2 and 3.0 draw
    different lines: the norms at the slider's two ends (and now, should they lie outside)."""
    key = (_key(setup), loss, None if target is None else target.tobytes())
    ends = st.session_state.get("bw_range_memo")
    if ends is None or ends[0] != key:
        ends = (key, [figures_backward.state_norms(backward(_scaled(setup, s).run(), loss, target)) for s in _SCALES])
        st.session_state.bw_range_memo = ends
    return figures_backward.log_range(*ends[1], norms)


def _ghost(setup: Setup, loss: str, scale: float, norms: list) -> figures_backward.Ghost | None:
    """The previous scale's line, faint, while the same input is shown at a new scale."""
    ss = st.session_state
    key = (_key(setup), loss)
    last = ss.get("bw_last_norms")
    if last is not None and last[0] == key and last[1] != scale:
        ss.bw_ghost = (key, last[1], tuple(last[2]))  # the scale and its norms; named when drawn
    ss.bw_last_norms = (key, scale, norms)
    ghost = ss.get("bw_ghost")
    if ghost is None or ghost[0] != key or f"{ghost[1]:g}" == f"{scale:g}":
        return None
    return figures_backward.Ghost(_("scale {scale} (before)").format(scale=f"{ghost[1]:g}"), ghost[2])


def render(setup: Setup) -> None:
    ss = st.session_state
    cfg = setup.weights.config
    T, H = len(setup.x), cfg.units
    c1, c2, c3 = st.columns([1.2, 2, 1.6])
    loss = c1.radio(_("Loss"), list(LOSSES), key="bw_loss", format_func=_loss_label)
    with c2:
        target = _target(loss, H, T)
    scale = c3.slider(_("Scale recurrent weights"), 0.1, 5.0, 1.0, 0.1, key="bw_scale",
                      help=_("Multiplies recurrent_kernel by this factor. Small recurrent weights make the "
                             "gradient vanish over time; large ones can make it explode."))

    trace = _scaled(setup, scale).run()
    kept = np.flatnonzero(trace.mask)
    # First view: the last step that computed anything (a trailing masked step only passes through).
    ss.bw_step = min(max(int(ss.get("bw_step", kept[-1] + 1 if len(kept) else T)), 1), T)
    grads = backward(trace, loss, target)
    line = loss_line(grads, room=PHONE)
    st.latex(line.latex)
    if not grads.finite:
        st.warning(_("The state or a gradient left float64's range: with these weights the numbers explode. "
                     "Lower the scale or the weights."))
    norms = figures_backward.state_norms(grads)
    ghost = _ghost(setup, loss, scale, norms)
    y_range = _fixed_range(setup, loss, target, norms)
    charts.show(figures_backward.gradient_norms(grads, ss.bw_step - 1, y_range, ghost),
                figures_backward.norms_text(grads, ghost), key="bw_fig_norms")

    st.caption(_("δv means ∂L/∂v. Steps and units count from 1, so step s makes hₛ from hₛ₋₁."))
    c1, c2 = st.columns([3, 1])
    step = c1.slider(_("Step"), 1, T, key="bw_step") if T > 1 else 1
    ss.bw_unit = min(int(ss.get("bw_unit", 0)), H - 1)  # 0-based, as the arrays index it
    unit = c2.selectbox(_("Unit"), list(range(H)), key="bw_unit", format_func=_unit_name) if H > 1 else 0
    # One form for every screen, as the magnifier: a row too wide for a phone is one relation per line.
    for eq in step_lines(grads, step - 1, unit, room=PHONE):
        st.caption(eq.label)
        st.latex(eq.latex)

    st.markdown(_("**Parameter gradients**, laid out like `get_weights()` with z | r | h blocks:"))
    charts.show(figures_backward.parameter_gradients(grads), figures_backward.parameters_text(grads),
                key="bw_fig_params")
    h0 = f"[{', '.join(f'{v:.4g}' for v in grads.h0)}]"
    if trace.go_backwards:
        said = _("∂L/∂h₀ = `{values}` (step 0 of the plot); ∂L/∂x, one row per input in the order you typed it "
                 "(go_backwards reads it last to first):")
    else:
        said = _("∂L/∂h₀ = `{values}` (step 0 of the plot); ∂L/∂x, one row per input in the order you typed it:")
    st.markdown(said.format(values=h0))
    features = ["∂L/∂x"] if cfg.input_dim == 1 else [_("∂L/∂x, feature {number}").format(number=k + 1)
                                                     for k in range(cfg.input_dim)]
    st.dataframe(pd.DataFrame(grads.x, columns=features,
                              index=pd.Index(range(1, T + 1), name=_("input"))), width="content")
