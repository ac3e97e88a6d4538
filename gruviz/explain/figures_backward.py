"""Plotly figures of a backward pass, as plain specs like `gruviz.explain.figures` (make_subplots
costs ~100 ms a figure; the app rebuilds these on every rerun)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from ..math.backward import Gradients
from ..text import _
from .chart_text import ChartText, grid_text, say
from .figures import MODEBAR, block_arrays, figure_from_spec, gate_blocks, shade, step_numbers
from .palette import GREY, PALETTE

_LINE, _GHOST = PALETTE[0], GREY  # both reach 3:1 on the white background; the ghost is dashed and thinner
_MAX_DECADES = 40  # a range wider than this says only "it exploded"; the axis stops there


@dataclass(frozen=True)
class Ghost:
    """Another run's norms drawn faintly behind this one: the same input at another scale."""
    label: str
    norms: tuple[float | None, ...]  # (T + 1,): ‖∂L/∂h_0‖, ‖∂L/∂h_1‖, …, ‖∂L/∂h_T‖


def state_norms(grads: Gradients) -> list[float | None]:
    """‖∂L/∂h_0‖, ‖∂L/∂h_1‖, …, ‖∂L/∂h_T‖; a zero or non-finite norm is None (a gap on a log axis)."""
    norms = np.concatenate([[np.linalg.norm(grads.h0)], np.linalg.norm(grads.dh, axis=1)])  # (T + 1,)
    return [float(n) if n > 0 and np.isfinite(n) else None for n in norms]


def log_range(*runs: list[float | None]) -> list[float] | None:
    """A log axis range in whole decades that holds every norm of every run:
    $[\\lfloor\\log_{10}\\min\\rfloor, \\lceil\\log_{10}\\max\\rceil]$, so runs drawn on it compare."""
    values = [v for run in runs for v in run if v is not None]
    if not values:
        return None
    low, high = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    high = max(high, low + 1)
    return [max(low, high - _MAX_DECADES), high]


def gradient_norms(grads: Gradients, selected: int | None = None, y_range: list[float] | None = None,
                   ghost: Ghost | None = None) -> go.Figure:
    """‖∂L/∂h_t‖ against the step on a log axis: vanishing gradients fall in a straight
    line, exploding ones climb. ∂L/∂h_0 sits at step 0. A zero norm (nothing downstream)
    is a gap. `y_range` (log10 decades) keeps the axis still while the scale changes."""
    norms = state_norms(grads)
    steps = step_numbers(grads.trace)
    kept = grads.trace.mask
    data = [
        {"type": "scatter", "x": steps, "y": norms[1:], "mode": "lines+markers", "name": "‖∂L/∂h_t‖",
         "line": {"color": _LINE}, "hovertemplate": _("step {step}: ‖∂L/∂h‖ = {value}").format(
             step="%{x}", value="%{y:.4g}") + "<extra></extra>"},
    ]
    if not kept.all():
        data.append({"type": "scatter", "x": [s for s, k in zip(steps, kept) if not k],
                     "y": [y for y, k in zip(norms[1:], kept) if not k], "mode": "markers", "name": _("masked step"),
                     "marker": {"symbol": "circle-open", "size": 13, "color": GREY}, "hoverinfo": "skip"})
    data.append({"type": "scatter", "x": [0, 1], "y": norms[:2], "mode": "lines+markers", "name": "‖∂L/∂h₀‖",
                 "line": {"color": _LINE, "dash": "dot"}, "marker": {"symbol": "diamond", "size": [10, 0]},
                 "hovertemplate": "h₀: ‖∂L/∂h₀‖ = %{y:.4g}<extra></extra>"})
    if ghost is not None:
        data.append({"type": "scatter", "x": [0, *steps], "y": list(ghost.norms), "mode": "lines",
                     "name": ghost.label, "line": {"color": _GHOST, "dash": "dash", "width": 1.5},
                     "hoverinfo": "skip"})
    y_range = y_range or log_range(norms)
    decades = 1 if y_range is None else y_range[1] - y_range[0]
    yaxis = {"title": {"text": "‖∂L/∂h_t‖"}, "type": "log", "exponentformat": "power",
             "dtick": max(1, math.ceil(decades / 8)), "range": y_range}
    if decades <= 4:  # a few decades: unlabelled ticks at 2…9 show where between them a value sits
        yaxis["minor"] = {"ticks": "outside", "ticklen": 3, "showgrid": False}
    xaxis = {"title": {"text": _("step")}, "range": [-0.5, grads.trace.steps + 0.5]}
    if grads.trace.steps <= 30:
        xaxis.update({"tickvals": [0, *steps], "ticktext": ["h₀", *map(str, steps)]})
    layout = {"xaxis": xaxis, "yaxis": yaxis,
              "shapes": [] if selected is None else [shade(0, selected)],
              "margin": {"l": 60, "r": 10, "t": MODEBAR, "b": 40}}
    return figure_from_spec(data, layout, 340)


def norms_text(grads: Gradients, ghost: Ghost | None = None) -> ChartText:
    """What `gradient_norms` shows: how the norm changes from the last step back to h₀."""
    norms = state_norms(grads)
    labels = ("h₀", *step_numbers(grads.trace))
    shown = [(label, v) for label, v in zip(labels, norms) if v is not None]
    if len(shown) < 2:
        found = _("there is almost nothing to follow: at most one step has a gradient")
    else:
        (first_at, first), (last_at, last) = shown[-1], shown[0]
        decades = math.log10(first / last)
        trend = (_("it vanishes going back") if decades > 0.5 else _("it explodes going back") if decades < -0.5
                 else _("it keeps its size"))
        found = _("from {a} at step {at} back to {b} at {bt}, {n} powers of ten: {trend}").format(
            a=say(first, ".3g"), at=first_at, b=say(last, ".3g"), bt=_("h₀") if last_at == "h₀" else
            _("step {n}").format(n=last_at), n=say(abs(decades), ".1f"), trend=trend)
    zero = [str(label) for label, v in zip(labels, norms) if v is None]
    if zero:
        found += _("; no gradient (a gap) at {steps}").format(steps=", ".join(zero))
    masked = [str(s) for s, kept in zip(step_numbers(grads.trace), grads.trace.mask) if not kept]
    if masked:
        found += _("; masked: step {steps}").format(steps=", ".join(masked))
    columns = {_("‖∂L/∂h‖"): tuple(norms)}
    if ghost is not None:
        found += _("; the grey dashed line is {label}").format(label=ghost.label)
        columns[ghost.label] = tuple(ghost.norms)
    summary = _("The size of the gradient ‖∂L/∂h‖ at each step, on a log axis: ") + found + "."
    return ChartText(_("Gradient norms"), summary, _("step"), labels, columns, ".4g")


def parameter_gradients(grads: Gradients) -> go.Figure:
    """∂L/∂kernel, ∂L/∂recurrent_kernel and ∂L/∂bias in the layout of get_weights(),
    z | r | h blocks marked, as `figures.weight_blocks` draws the weights themselves.
    Gradients span many decades, so the cells print 3 significant digits, not 3 decimals."""
    return gate_blocks(grads.trace.weights.config, grads.kernel, grads.recurrent_kernel, grads.bias,
                       title="∂L/∂{name} {shape}", cell=".3g", hover=".6g")


def parameters_text(grads: Gradients) -> ChartText:
    arrays, columns = block_arrays(grads.trace.weights.config, grads.kernel, grads.recurrent_kernel, grads.bias)
    arrays = [(f"∂L/∂{name}", array, rows) for name, array, rows in arrays]
    what = _("The loss's gradient for every weight, laid out as get_weights() returns them, columns in z | r | h "
             "blocks")
    return grid_text(_("Parameter gradients"), what, arrays, columns, ".4g")
