"""Plotly figures of a backward pass, as plain specs like `gruviz.explain.figures` (make_subplots
costs ~100 ms a figure; the app rebuilds these on every rerun)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..math.backward import Gradients
from .figures import figure_from_spec, gate_blocks, shade, step_numbers, step_ticks


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
    z | r | h blocks marked, as `figures.weight_blocks` draws the weights themselves.
    Gradients span many decades, so the cells print 3 significant digits, not 3 decimals."""
    return gate_blocks(grads.trace.weights.config, grads.kernel, grads.recurrent_kernel, grads.bias,
                       title="∂L/∂{name} {shape}", cell=".3g", hover=".6g")
