"""Plotly figures of the GRU vs LSTM view, as plain specs like `figures` (validated in tests).

One colour per role the cells share, the same in every figure: the GRU is drawn solid,
the LSTM dashed, so a role's two lines sit side by side in one colour."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..math.lstm_trace import LSTMTrace
from ..math.trace import Trace
from .figures import _grid, figure_from_spec, step_ticks
from .lstm_compare import FLOOR, Memory, ratio_curve

# role → (panel title, colour); the page's legend for both cells
ROLES = {
    "keep": ("keep the old state: GRU z · LSTM f", "#636efa"),
    "write": ("write the candidate: GRU 1 − z · LSTM i", "#ef553b"),
    "candidate": ("candidate: GRU h̃ · LSTM c̃", "#00cc96"),
    "show": ("show the memory: LSTM o (a GRU shows all of it)", "#ab63fa"),
    "reset": ("reset: GRU r (no LSTM counterpart)", "#ffa15a"),
    "state": ("state: GRU h · LSTM c and h", "#19d3f3"),
}
GRU_LINE, LSTM_LINE = {"width": 2.5}, {"width": 2.5, "dash": "dash"}


def _line(x, y, name: str, color: str, style: dict, axis: int, show: bool = True) -> dict:
    suffix = "" if axis == 0 else str(axis + 1)
    return {"type": "scatter", "x": x, "y": [float(v) for v in y], "name": name, "mode": "lines+markers",
            "line": {**style, "color": color}, "marker": {"size": 5, "color": color}, "xaxis": f"x{suffix}",
            "yaxis": f"y{suffix}", "showlegend": show, "hovertemplate": name + " step %{x}: %{y:.4f}<extra></extra>"}


def gates_side_by_side(gru: Trace, lstm: LSTMTrace, unit: int = 0) -> go.Figure:
    """Each role in its own panel over the steps, one unit; GRU solid, LSTM dashed."""
    steps = list(range(1, gru.steps + 1))
    keys = list(ROLES)
    layout = _grid(3, 2, [ROLES[k][0] for k in keys], gap=0.09)
    u = unit
    panels = {
        "keep": [("GRU z", gru.z[:, u], GRU_LINE), ("LSTM f", lstm.f[:, u], LSTM_LINE)],
        "write": [("GRU 1 − z", 1.0 - gru.z[:, u], GRU_LINE), ("LSTM i", lstm.i[:, u], LSTM_LINE)],
        "candidate": [("GRU h̃", gru.h_tilde[:, u], GRU_LINE), ("LSTM c̃", lstm.c_tilde[:, u], LSTM_LINE)],
        "show": [("LSTM o", lstm.o[:, u], LSTM_LINE)],
        "reset": [("GRU r", gru.r[:, u], GRU_LINE)],
        "state": [("GRU h", gru.h[:, u], GRU_LINE), ("LSTM c", lstm.c[:, u], {"width": 1.5, "dash": "dot"}),
                  ("LSTM h", lstm.h[:, u], LSTM_LINE)],
    }
    data = []
    for k, key in enumerate(keys):
        for name, values, style in panels[key]:
            data.append(_line(steps, values, name, ROLES[key][1], style, k, show=False))
    # Two legend entries say which line is which cell; the colours say the role.
    data += [{"type": "scatter", "x": [None], "y": [None], "mode": "lines", "name": name,
              "line": {**style, "color": "grey"}} for name, style in (("GRU (solid)", GRU_LINE),
                                                                       ("LSTM (dashed)", LSTM_LINE))]
    return figure_from_spec(data, step_ticks(layout, gru.steps), 640)


def ratio_figure(input_dim: int, units: int, use_bias: bool = True) -> go.Figure:
    """GRU/LSTM parameter count as H doubles, for this input width; the current H marked."""
    H, after, before = ratio_curve(input_dim, use_bias=use_bias)
    data = [
        {"type": "scatter", "x": H.tolist(), "y": after.tolist(), "name": "GRU reset_after=True ÷ LSTM",
         "mode": "lines+markers", "line": {"color": "#636efa"}},
        {"type": "scatter", "x": H.tolist(), "y": before.tolist(), "name": "GRU reset_after=False ÷ LSTM",
         "mode": "lines+markers", "line": {"color": "#00cc96", "dash": "dash"}},
    ]
    layout = {"xaxis": {"title": {"text": f"units H (input features D = {input_dim})"}, "type": "log", "dtick": 0.30103},
              "yaxis": {"title": {"text": "parameters, GRU ÷ LSTM"}, "range": [0.7, 1.0], "tickformat": ".0%"},
              "shapes": [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 0.75, "y1": 0.75,
                          "line": {"color": "grey", "dash": "dot", "width": 1}},
                         {"type": "line", "yref": "paper", "y0": 0, "y1": 1, "x0": units, "x1": units,
                          "line": {"color": "#ffa15a", "width": 2}}],
              "annotations": [{"x": np.log10(units), "y": 1, "yref": "paper", "text": f"H = {units}",
                               "showarrow": False, "yanchor": "bottom"}]}
    return figure_from_spec(data, layout, 300)


def memory_figure(m: Memory) -> go.Figure:
    """‖∂L/∂h_t‖ (both cells) and ‖∂L/∂c_t‖ (LSTM) on a fixed log axis, 10⁻¹⁶ … 10⁴, so runs compare."""
    steps = list(range(1, m.steps + 1))

    def shown(norms):
        return [float(v) if np.isfinite(v) and v >= FLOOR else None for v in norms]

    data = [
        {"type": "scatter", "x": steps, "y": shown(m.gru_h), "name": "GRU ‖∂L/∂h_t‖", "mode": "lines",
         "line": {"color": ROLES["state"][1], **GRU_LINE}},
        {"type": "scatter", "x": steps, "y": shown(m.lstm_h), "name": "LSTM ‖∂L/∂h_t‖", "mode": "lines",
         "line": {"color": ROLES["state"][1], **LSTM_LINE}},
        {"type": "scatter", "x": steps, "y": shown(m.lstm_c), "name": "LSTM ‖∂L/∂c_t‖", "mode": "lines",
         "line": {"color": ROLES["keep"][1], **LSTM_LINE}},
    ]
    layout = {"xaxis": {"title": {"text": "step t (the loss reads the last one)"}},
              "yaxis": {"title": {"text": "gradient norm"}, "type": "log", "range": [-16, 4],
                        "exponentformat": "power", "dtick": 2}}
    return figure_from_spec(data, layout, 340)
