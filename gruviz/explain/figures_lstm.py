"""Plotly figures of the GRU vs LSTM view, as plain specs like `figures` (validated in tests).

One colour per role the cells share, the same in every figure: the GRU is drawn solid,
the LSTM dashed, so a role's two lines sit side by side in one colour."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..math.lstm_trace import LSTMTrace
from ..math.trace import Trace
from ..math import params
from ..text import N_, _
from .chart_text import ChartText, column, move, say, sentence, unit_name
from .figures import figure_from_spec, step_ticks, subplot_grid
from .palette import GREY, PALETTE
from .lstm_compare import FLOOR, Memory, ratio_curve

# role → (panel title, colour); the page's legend for both cells. The title's two lines keep
# side-by-side panels apart on a phone; o's colour is far from z's (f's) for every eye.
ROLES = {
    "keep": (N_("keep the old state<br>GRU z · LSTM f"), PALETTE[0]),
    "write": (N_("write the candidate<br>GRU 1 − z · LSTM i"), PALETTE[1]),
    "candidate": (N_("candidate<br>GRU h̃ · LSTM c̃"), PALETTE[2]),
    "show": (N_("show the memory<br>LSTM o (GRU: all of it)"), PALETTE[4]),
    "reset": (N_("reset<br>GRU r (no LSTM part)"), PALETTE[3]),
    "state": (N_("state<br>GRU h · LSTM c and h"), PALETTE[5]),
}
GRU_LINE, LSTM_LINE = {"width": 2.5}, {"width": 2.5, "dash": "dash"}
_AFTER, _BEFORE = "GRU reset_after=True ÷ LSTM", "GRU reset_after=False ÷ LSTM"


def _line(x, y, name: str, color: str, style: dict, axis: int, show: bool = True) -> dict:
    suffix = "" if axis == 0 else str(axis + 1)
    return {"type": "scatter", "x": x, "y": [float(v) for v in y], "name": name, "mode": "lines+markers",
            "line": {**style, "color": color}, "marker": {"size": 5, "color": color}, "xaxis": f"x{suffix}",
            "yaxis": f"y{suffix}", "showlegend": show,
            "hovertemplate": _("{name} step {step}: {value}").format(name=name, step="%{x}", value="%{y:.4f}")
            + "<extra></extra>"}


def _panels(gru: Trace, lstm: LSTMTrace, u: int) -> dict[str, list]:
    """role → its lines (name, values, style) for unit u."""
    return {
        "keep": [("GRU z", gru.z[:, u], GRU_LINE), ("LSTM f", lstm.f[:, u], LSTM_LINE)],
        "write": [("GRU 1 − z", 1.0 - gru.z[:, u], GRU_LINE), ("LSTM i", lstm.i[:, u], LSTM_LINE)],
        "candidate": [("GRU h̃", gru.h_tilde[:, u], GRU_LINE), ("LSTM c̃", lstm.c_tilde[:, u], LSTM_LINE)],
        "show": [("LSTM o", lstm.o[:, u], LSTM_LINE)],
        "reset": [("GRU r", gru.r[:, u], GRU_LINE)],
        "state": [("GRU h", gru.h[:, u], GRU_LINE), ("LSTM c", lstm.c[:, u], {"width": 1.5, "dash": "dot"}),
                  ("LSTM h", lstm.h[:, u], LSTM_LINE)],
    }


def gates_side_by_side(gru: Trace, lstm: LSTMTrace, unit: int = 0) -> go.Figure:
    """Each role in its own panel over the steps, one unit; GRU solid, LSTM dashed."""
    steps = list(range(1, gru.steps + 1))
    keys = list(ROLES)
    layout = subplot_grid(3, 2, [_(ROLES[k][0]) for k in keys], gap=0.09)
    panels = _panels(gru, lstm, unit)
    data = []
    for k, key in enumerate(keys):
        for name, values, style in panels[key]:
            data.append(_line(steps, values, name, ROLES[key][1], style, k, show=False))
    # Two legend entries say which line is which cell; the colours say the role.
    data += [{"type": "scatter", "x": [None], "y": [None], "mode": "lines", "name": name,
              "line": {**style, "color": GREY}} for name, style in ((_("GRU (solid)"), GRU_LINE),
                                                                     (_("LSTM (dashed)"), LSTM_LINE))]
    return figure_from_spec(data, step_ticks(layout, gru.steps), 680, title_lines=2)


def gates_text(gru: Trace, lstm: LSTMTrace, unit: int = 0) -> ChartText:
    """What `gates_side_by_side` shows: where the gates end, and how far the two states drift apart."""
    panels = _panels(gru, lstm, unit)
    table = {name: column(values) for lines in panels.values() for name, values, _style in lines}
    with np.errstate(invalid="ignore"):
        gap = np.abs(gru.h[:, unit] - lstm.h[:, unit])
    gap = np.where(np.isfinite(gap), gap, -1.0)
    t = int(np.argmax(gap))
    found = [move(_("GRU z"), gru.z[:, unit]), move(_("LSTM f"), lstm.f[:, unit]), move(_("LSTM o"), lstm.o[:, unit])]
    found.append(_("the states GRU h and LSTM h differ most at step {step}, by {gap}").format(
        step=t + 1, gap=say(gap[t], ".3f")) if gap[t] >= 0.0005 else _("GRU h and LSTM h agree at every step"))
    summary = _("{unit} of the GRU (solid) and the LSTM (dashed), one panel per role: ").format(
        unit=unit_name(unit).capitalize()) + sentence(found)
    return ChartText(_("GRU and LSTM gates"), summary, _("step"), tuple(range(1, gru.steps + 1)), table)


def ratio_figure(input_dim: int, units: int, use_bias: bool = True) -> go.Figure:
    """GRU/LSTM parameter count as H doubles, for this input width; the current H marked."""
    H, after, before = ratio_curve(input_dim, use_bias=use_bias)
    data = [
        {"type": "scatter", "x": H.tolist(), "y": after.tolist(), "name": _AFTER,
         "mode": "lines+markers", "line": {"color": PALETTE[0]}, "marker": {"color": PALETTE[0], "symbol": "circle"}},
        {"type": "scatter", "x": H.tolist(), "y": before.tolist(), "name": _BEFORE,
         "mode": "lines+markers", "line": {"color": PALETTE[2], "dash": "dash"},
         "marker": {"color": PALETTE[2], "symbol": "square"}},
    ]
    layout = {"xaxis": {"title": {"text": _("units H (input features D = {d})").format(d=input_dim)}, "type": "log",
                        "dtick": 0.30103},
              "yaxis": {"title": {"text": _("parameters, GRU ÷ LSTM")}, "range": [0.7, 1.0], "tickformat": ".0%"},
              "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 0.75, "y1": 0.75,
                          "line": {"color": GREY, "dash": "dot", "width": 1}},
                         {"type": "line", "yref": "paper", "y0": 0, "y1": 1, "x0": units, "x1": units,
                          "line": {"color": PALETTE[1], "width": 2}}],
              "annotations": [{"x": np.log10(units), "y": 1, "yref": "paper", "text": f"H = {units}",
                               "showarrow": False, "yanchor": "bottom"}]}
    return figure_from_spec(data, layout, 330, title_lines=1)


def ratio_text(input_dim: int, units: int, use_bias: bool = True) -> ChartText:
    H, after, before = ratio_curve(input_dim, use_bias=use_bias)
    lstm = params.lstm(units, input_dim, use_bias)
    here = [params.gru(units, input_dim, reset, use_bias) / lstm for reset in (True, False)]
    summary = _("The GRU's parameter count as a share of the LSTM's, for D = {d} input features, as the units H "
                "double from 1 to {top}: at this layer's H = {h}, {a} with reset_after=True and {b} with "
                "reset_after=False; both approach 75% as H grows.").format(
        d=input_dim, top=int(H[-1]), h=units, a=f"{here[0]:.1%}", b=f"{here[1]:.1%}")
    return ChartText(_("GRU size ÷ LSTM size"), summary, _("units H"), tuple(int(h) for h in H),
                     {_AFTER: column(after), _BEFORE: column(before)}, ".4f")


def _shown(norms) -> list[float | None]:
    """Norms as the log axis draws them: below 10⁻¹⁶ or not finite, nothing."""
    return [float(v) if np.isfinite(v) and v >= FLOOR else None for v in norms]


def _memory_lines(m: Memory) -> list[tuple[str, list, str, dict]]:
    return [("GRU ‖∂L/∂h_t‖", _shown(m.gru_h), ROLES["state"][1], GRU_LINE),
            ("LSTM ‖∂L/∂h_t‖", _shown(m.lstm_h), ROLES["state"][1], LSTM_LINE),
            ("LSTM ‖∂L/∂c_t‖", _shown(m.lstm_c), ROLES["keep"][1], {**LSTM_LINE, "dash": "dot"})]


def memory_figure(m: Memory) -> go.Figure:
    """‖∂L/∂h_t‖ (both cells) and ‖∂L/∂c_t‖ (LSTM) on a fixed log axis, 10⁻¹⁶ … 10⁴, so runs compare."""
    steps = list(range(1, m.steps + 1))
    data = [{"type": "scatter", "x": steps, "y": values, "name": name, "mode": "lines",
             "line": {"color": color, **style}} for name, values, color, style in _memory_lines(m)]
    layout = {"xaxis": {"title": {"text": _("step t (the loss reads the last one)")}},
              "yaxis": {"title": {"text": _("gradient norm")}, "type": "log", "range": [-16, 4],
                        "exponentformat": "power", "dtick": 2}}
    return figure_from_spec(data, layout, 360)


def _reach(name: str, values: list) -> str:
    """How far back one norm line goes before it leaves the axis, and how much it shrinks."""
    kept = [(t, v) for t, v in enumerate(values, 1) if v is not None]
    if not kept:
        return _("{name} is off the axis at every step").format(name=name)
    (t0, first), (t1, last) = kept[0], kept[-1]
    if t0 > 1:
        return _("{name} drops below 10⁻¹⁶, off the axis, before step {t}").format(name=name, t=t0)
    decades = float(np.log10(last / first))
    change = _("{name} falls by {n} powers of ten") if decades >= 0 else _("{name} grows by {n} powers of ten")
    return change.format(name=name, n=say(abs(decades), ".1f"))


def memory_text(m: Memory) -> ChartText:
    lines = _memory_lines(m)
    summary = _("Gradient norms over {steps} steps of random input, on a log axis; going back from the loss at "
                "step {steps}, ").format(steps=m.steps) + sentence([_reach(name, v) for name, v, *_rest in lines])
    return ChartText(_("How far back the gradient reaches"), summary, _("step"), tuple(range(1, m.steps + 1)),
                     {name: column(values) for name, values, *_rest in lines}, ".4g")
