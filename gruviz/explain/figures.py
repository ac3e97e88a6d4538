"""Plotly figures of a trace. Pure builders: no Streamlit, nothing is drawn here.

Figures are written as plain specs and wrapped in go.Figure without plotly's
property validation: make_subplots and add_vrect cost ~100 ms a figure here and
validation ~50 ms, an unvalidated spec ~7 ms, and the app rebuilds every figure
on each rerun. tests/test_figures.py validates every spec instead.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from ..math.trace import Trace
from ..math.weights import GATES, GRUWeights

QUANTITIES = (("z", "update gate z"), ("r", "reset gate r"), ("h_tilde", "candidate h̃"), ("h", "state h"))
_COLORS = qualitative.Plotly
_HIGHLIGHT = "rgba(255, 190, 0, 0.3)"


def _color(unit: int) -> str:
    return _COLORS[unit % len(_COLORS)]


def step_numbers(trace: Trace) -> list[int]:
    return list(range(1, trace.steps + 1))  # the page counts steps from 1; h_0 is the initial state


def axis_id(k: int) -> str:
    return "" if k == 0 else str(k + 1)


def clamp(low: float, high: float) -> list[float]:
    return [min(max(low, 0.0), 1.0), min(max(high, 0.0), 1.0)]  # rounding leaves -5e-17


def _grid(rows: int, cols: int, titles: list[str], gap: float = 0.08) -> dict:
    """Layout with one x/y axis pair per cell, row-major, and a title above each."""
    layout: dict = {"annotations": []}
    width, height = (1 - gap * (cols - 1)) / cols, (1 - gap * 1.6 * (rows - 1)) / rows
    for k, title in enumerate(titles):
        row, col = divmod(k, cols)
        x0, y1 = col * (width + gap), 1 - row * (height + gap * 1.6)
        layout[f"xaxis{axis_id(k)}"] = {"domain": clamp(x0, x0 + width), "anchor": f"y{axis_id(k)}"}
        layout[f"yaxis{axis_id(k)}"] = {"domain": clamp(y1 - height, y1), "anchor": f"x{axis_id(k)}"}
        layout["annotations"].append({"text": title, "x": x0 + width / 2, "y": y1, "xref": "paper", "yref": "paper",
                                      "xanchor": "center", "yanchor": "bottom", "showarrow": False})
    return layout


def shade(k: int, selected: int, fill: str = _HIGHLIGHT, outline: str | None = None) -> dict:
    """A band over step `selected` (0-based) in cell k."""
    return {"type": "rect", "xref": f"x{axis_id(k)}", "yref": f"y{axis_id(k)} domain",
            "x0": selected + 0.5, "x1": selected + 1.5, "y0": 0, "y1": 1, "fillcolor": fill,
            "line": {"width": 2 if outline else 0, "color": outline or fill}, "layer": "below" if not outline else "above"}


def figure_from_spec(data: list[dict], layout: dict, height: int) -> go.Figure:
    layout = {"height": height, "margin": {"l": 45, "r": 10, "t": 35, "b": 35},
              "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0}, **layout}
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def step_ticks(layout: dict, steps: int) -> dict:
    """Whole-step ticks on every x axis while the steps are few enough to label."""
    for name, axis in list(layout.items()):
        if name.startswith("xaxis") and steps <= 30:
            axis.update({"dtick": 1, "tick0": 1})
    return layout


def value_range(trace: Trace, name: str) -> list[float]:
    """A fixed y range for one quantity, so a small move looks small: the activation's own
    range ([0, 1] for σ gates, [-1, 1] for tanh), widened only by what can leave it (h0,
    an unbounded activation)."""
    cfg = trace.weights.config
    bounds = cfg.sigma.bounds if name in ("z", "r") else cfg.phi.bounds
    values = getattr(trace, name)
    if name == "h":
        values = np.concatenate([values.ravel(), trace.h0])
    finite = values[np.isfinite(values)]
    low, high = bounds if bounds is not None else (0.0, 0.0)
    if bounds is None or name == "h":
        low, high = min(low, float(finite.min(initial=0.0))), max(high, float(finite.max(initial=0.0)))
    pad = 0.05 * (high - low or 1.0)
    return [low - pad, high + pad]


def gates_over_time(trace: Trace, selected: int | None = None) -> go.Figure:
    """z, r, h~ and h against the step, one line per unit; the selected step is shaded."""
    layout = _grid(2, 2, [title for _, title in QUANTITIES])
    steps, data = step_numbers(trace), []
    for k, (name, _) in enumerate(QUANTITIES):
        values = getattr(trace, name)  # (T, H)
        for unit in range(values.shape[1]):
            data.append({"type": "scatter", "x": steps, "y": values[:, unit].tolist(), "mode": "lines+markers",
                         "name": f"unit {unit}", "legendgroup": f"unit {unit}", "showlegend": k == 0,
                         "line": {"color": _color(unit)}, "xaxis": f"x{axis_id(k)}", "yaxis": f"y{axis_id(k)}",
                         "hovertemplate": f"{name}: %{{y:.4f}} at step %{{x}}"})
        layout[f"yaxis{axis_id(k)}"]["range"] = value_range(trace, name)
    layout["shapes"] = [] if selected is None else [shade(k, selected) for k in range(4)]
    layout["legend"] = {"orientation": "h", "y": -0.1}
    return figure_from_spec(data, step_ticks(layout, trace.steps), 540)


def heatmaps(trace: Trace, selected: int | None = None) -> go.Figure:
    """Units × time for each quantity; the selected step is outlined."""
    layout = _grid(1, 4, [title for _, title in QUANTITIES], gap=0.04)
    steps = step_numbers(trace)
    units = [f"unit {j}" for j in range(trace.weights.config.units)]
    data = [
        {"type": "heatmap", "z": getattr(trace, name).T.tolist(), "x": steps, "y": units, "coloraxis": "coloraxis",
         "xaxis": f"x{axis_id(k)}", "yaxis": f"y{axis_id(k)}",
         "hovertemplate": f"{name} at step %{{x}}, %{{y}}: %{{z:.4f}}<extra></extra>"}
        for k, (name, _) in enumerate(QUANTITIES)
    ]
    for k in range(1, 4):
        layout[f"yaxis{axis_id(k)}"]["showticklabels"] = False  # the first panel names the units
    layout["coloraxis"] = {"colorscale": "RdBu", "cmid": 0}
    layout["shapes"] = [] if selected is None else [shade(k, selected, "rgba(0,0,0,0)", "black") for k in range(4)]
    return figure_from_spec(data, layout, 220 + 22 * len(units))


def conventions(keras_rule: Trace, bahdanau_rule: Trace, keras_live: np.ndarray | None = None,
                selected: int | None = None) -> go.Figure:
    """Outputs under both update rules on the same weights, and Keras's own if known."""
    steps, data = step_numbers(keras_rule), []
    for unit in range(keras_rule.weights.config.units):
        color = _color(unit)
        data.append({"type": "scatter", "x": steps, "y": keras_rule.sequence_output[:, unit].tolist(),
                     "mode": "lines+markers", "name": f"unit {unit}: Keras rule z·h′ + (1−z)·h̃",
                     "line": {"color": color}})
        data.append({"type": "scatter", "x": steps, "y": bahdanau_rule.sequence_output[:, unit].tolist(),
                     "mode": "lines+markers", "name": f"unit {unit}: Wikipedia rule (1−z)·h′ + z·h̃",
                     "line": {"color": color, "dash": "dash"}})
        if keras_live is not None:
            data.append({"type": "scatter", "x": steps, "y": keras_live[:, unit].tolist(), "mode": "markers",
                         "name": f"unit {unit}: keras.layers.GRU",
                         "marker": {"symbol": "x", "size": 11, "color": "black"}})
    layout = {"xaxis": {"title": {"text": "step"}}, "yaxis": {"title": {"text": "output h"}},
              "shapes": [] if selected is None else [shade(0, selected)],
              "margin": {"l": 45, "r": 10, "t": 90, "b": 40}}
    return figure_from_spec(data, step_ticks(layout, keras_rule.steps), 440)


def weight_blocks(weights: GRUWeights) -> go.Figure:
    """The arrays of get_weights() with their z | r | h column blocks marked."""
    return gate_blocks(weights.config, weights.kernel, weights.recurrent_kernel, weights.bias,
                       title="{name} {shape}", cell=".3f", hover=".6f")


def gate_blocks(config, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray | None,
                title: str, cell: str, hover: str) -> go.Figure:
    """Arrays shaped like kernel, recurrent_kernel and bias, one panel each, with the
    z | r | h column blocks marked. `title` formats {name} and {shape}; `cell` and
    `hover` are d3 number formats."""
    H = config.units
    arrays = [("kernel", kernel, [f"x[{k}]" for k in range(config.input_dim)]),
              ("recurrent_kernel", recurrent_kernel, [f"h[{k}]" for k in range(H)])]
    if bias is not None:
        rows = ["input bias (row 0)", "recurrent bias (row 1)"] if bias.ndim == 2 else ["bias"]
        arrays.append(("bias", bias, rows))
    columns = [f"{g}{j}" for g in GATES for j in range(H)]
    total_rows = sum(len(rows) for _, _, rows in arrays)
    data, layout, top, gap = [], {"annotations": [], "shapes": []}, 1.0, 0.1
    for k, (name, array, rows) in enumerate(arrays):
        share = (1 - gap * (len(arrays) - 1)) * len(rows) / total_rows
        layout[f"xaxis{axis_id(k)}"] = {"anchor": f"y{axis_id(k)}", "side": "top" if k == 0 else "bottom",
                                         "showticklabels": k == 0}
        layout[f"yaxis{axis_id(k)}"] = {"domain": clamp(top - share, top), "autorange": "reversed"}
        layout["annotations"].append({"text": title.format(name=name, shape=array.shape), "x": 1.0, "y": top,
                                      "xref": "paper", "yref": "paper", "xanchor": "right", "yanchor": "bottom",
                                      "showarrow": False})
        array = np.atleast_2d(array)
        data.append({"type": "heatmap", "z": array.tolist(), "x": columns, "y": rows, "coloraxis": "coloraxis",
                     "texttemplate": f"%{{z:{cell}}}" if array.size <= 150 else "",
                     "xaxis": f"x{axis_id(k)}", "yaxis": f"y{axis_id(k)}",
                     "hovertemplate": f"%{{y}}, column %{{x}}: %{{z:{hover}}}<extra></extra>"})
        for boundary in (H - 0.5, 2 * H - 0.5):
            layout["shapes"].append({"type": "line", "xref": f"x{axis_id(k)}", "yref": f"y{axis_id(k)} domain",
                                     "x0": boundary, "x1": boundary, "y0": 0, "y1": 1,
                                     "line": {"color": "black", "width": 3}})
        top -= share + gap
    layout["coloraxis"] = {"colorscale": "RdBu", "cmid": 0, "showscale": False}
    return figure_from_spec(data, layout, 120 + 34 * total_rows)
