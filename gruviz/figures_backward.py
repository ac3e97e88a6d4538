"""Plotly figures of a backward pass, as plain specs like `gruviz.figures` (make_subplots
costs ~100 ms a figure; the app rebuilds these on every rerun)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .backward import Gradients
from .figures import axis_id, clamp, figure_from_spec, shade, step_numbers, step_ticks
from .weights import GATES


def gradient_norms(grads: Gradients, selected: int | None = None) -> go.Figure:
    """‖∂L/∂h_t‖ against the step on a log axis: vanishing gradients fall in a straight
    line, exploding ones climb. A zero norm (nothing downstream) is left as a gap."""
    norms = np.linalg.norm(grads.dh, axis=1)  # (T,)
    shown = [float(n) if n > 0 and np.isfinite(n) else None for n in norms]
    steps = step_numbers(grads.trace)
    kept = grads.trace.mask
    data = [
        {"type": "scatter", "x": steps, "y": shown, "mode": "lines+markers", "name": "‖∂L/∂h_t‖",
         "line": {"color": "#636efa"}, "hovertemplate": "step %{x}: ‖∂L/∂h‖ = %{y:.4g}<extra></extra>"},
    ]
    if not kept.all():
        data.append({"type": "scatter", "x": [s for s, k in zip(steps, kept) if not k],
                     "y": [y for y, k in zip(shown, kept) if not k], "mode": "markers", "name": "masked step",
                     "marker": {"symbol": "circle-open", "size": 13, "color": "grey"}, "hoverinfo": "skip"})
    # dtick D2 labels 1, 2, 5 in each decade; plotly's default labels every digit.
    layout = {"xaxis": {"title": {"text": "step"}},
              "yaxis": {"title": {"text": "‖∂L/∂h_t‖"}, "type": "log", "exponentformat": "power", "dtick": "D2"},
              "shapes": [] if selected is None else [shade(0, selected)],
              "margin": {"l": 60, "r": 10, "t": 40, "b": 40}}
    return figure_from_spec(data, step_ticks(layout, grads.trace.steps), 320)


def parameter_gradients(grads: Gradients) -> go.Figure:
    """∂L/∂kernel, ∂L/∂recurrent_kernel and ∂L/∂bias in the layout of get_weights(),
    z | r | h blocks marked, as `figures.weight_blocks` draws the weights themselves."""
    w = grads.trace.weights
    H, D = w.config.units, w.config.input_dim
    arrays = [(f"∂L/∂kernel {grads.kernel.shape}", grads.kernel, [f"x[{k}]" for k in range(D)]),
              (f"∂L/∂recurrent_kernel {grads.recurrent_kernel.shape}", grads.recurrent_kernel,
               [f"h[{k}]" for k in range(H)])]
    if grads.bias is not None:
        rows = ["input bias (row 0)", "recurrent bias (row 1)"] if grads.bias.ndim == 2 else ["bias"]
        arrays.append((f"∂L/∂bias {grads.bias.shape}", np.atleast_2d(grads.bias), rows))
    columns = [f"{g}{j}" for g in GATES for j in range(H)]
    total_rows = sum(len(rows) for _, _, rows in arrays)
    data, layout, top, gap = [], {"annotations": [], "shapes": []}, 1.0, 0.1
    for k, (title, array, rows) in enumerate(arrays):
        share = (1 - gap * (len(arrays) - 1)) * len(rows) / total_rows
        layout[f"xaxis{axis_id(k)}"] = {"anchor": f"y{axis_id(k)}", "side": "top" if k == 0 else "bottom",
                                         "showticklabels": k == 0}
        layout[f"yaxis{axis_id(k)}"] = {"domain": clamp(top - share, top), "autorange": "reversed"}
        layout["annotations"].append({"text": title, "x": 1.0, "y": top, "xref": "paper", "yref": "paper",
                                      "xanchor": "right", "yanchor": "bottom", "showarrow": False})
        # Gradients span many decades, so the cells print 3 significant digits, not 3 decimals.
        data.append({"type": "heatmap", "z": array.tolist(), "x": columns, "y": rows, "coloraxis": "coloraxis",
                     "texttemplate": "%{z:.3g}" if array.size <= 150 else "",
                     "xaxis": f"x{axis_id(k)}", "yaxis": f"y{axis_id(k)}",
                     "hovertemplate": "%{y}, column %{x}: %{z:.6g}<extra></extra>"})
        for boundary in (H - 0.5, 2 * H - 0.5):
            layout["shapes"].append({"type": "line", "xref": f"x{axis_id(k)}", "yref": f"y{axis_id(k)} domain",
                                     "x0": boundary, "x1": boundary, "y0": 0, "y1": 1,
                                     "line": {"color": "black", "width": 3}})
        top -= share + gap
    layout["coloraxis"] = {"colorscale": "RdBu", "cmid": 0, "showscale": False}
    return figure_from_spec(data, layout, 120 + 34 * total_rows)
