"""Plotly figures of a trace. Pure builders: no Streamlit, nothing is drawn here.

Figures are written as plain specs and wrapped in go.Figure without plotly's
property validation: make_subplots and add_vrect cost ~100 ms a figure here and
validation ~50 ms, an unvalidated spec ~7 ms, and the app rebuilds every figure
on each rerun. tests/explain/test_figures.py validates every spec instead.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..math.trace import Trace
from ..math.weights import GATES, GRUWeights
from ..text import N_, _, count, ngettext
from .chart_text import ChartText, column, grid_text, largest_move, move, say, sentence, unit_name
from .palette import (BACKGROUND, CELL_TEXT, DASHES, GREY, HEAT, MARKERS, PALETTE, TEXT,  # noqa: F401
                      unit_color, unit_style)

QUANTITIES = (("z", N_("update gate z")), ("r", N_("reset gate r")), ("h_tilde", N_("candidate h̃")),
              ("h", N_("state h")))
SYMBOLS = {"z": "z", "r": "r", "h_tilde": "h̃", "h": "h"}

_HIGHLIGHT = "rgba(255, 190, 0, 0.3)"
MODEBAR = 34  # px reserved at the top of every figure for Plotly's toolbar, so it covers no title
TITLE_LINE = 18  # px a line of subplot title takes
LEGEND_BELOW = {"orientation": "h", "x": 0, "xanchor": "left", "yref": "container", "y": 0, "yanchor": "bottom"}


def step_numbers(trace: Trace) -> list[int]:
    return list(range(1, trace.steps + 1))  # the page counts steps from 1; h_0 is the initial state


def axis_id(k: int) -> str:
    return "" if k == 0 else str(k + 1)


def clamp(low: float, high: float) -> list[float]:
    return [min(max(low, 0.0), 1.0), min(max(high, 0.0), 1.0)]  # rounding leaves -5e-17


def subplot_grid(rows: int, cols: int, titles: list[str], gap: float = 0.08) -> dict:
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


def figure_from_spec(data: list[dict], layout: dict, height: int, title_lines: int = 0) -> go.Figure:
    """The figure, with a band at the top for Plotly's toolbar above `title_lines` lines of
    subplot titles, and the legend under the plot, where the toolbar never is."""
    layout = {"height": height, "margin": {"l": 45, "r": 10, "t": MODEBAR + TITLE_LINE * title_lines, "b": 35},
              "font": {"color": TEXT}, "legend": {**LEGEND_BELOW, "font": {"color": TEXT}},
              "modebar": {"color": TEXT, "activecolor": PALETTE[0]}, **layout}
    for name, axis in layout.items():  # Streamlit's theme greys the ticks to 3.7:1 unless told
        if name.startswith(("xaxis", "yaxis")):
            axis["tickfont"] = {"color": TEXT}
            axis.setdefault("title", {}).setdefault("font", {"color": TEXT})
    if "coloraxis" in layout:
        layout["coloraxis"] = {"colorscale": HEAT, "cmid": 0, **layout["coloraxis"]}
        layout["coloraxis"].setdefault("colorbar", {})["tickfont"] = {"color": TEXT}
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
    layout = subplot_grid(2, 2, [_(title) for _name, title in QUANTITIES])
    steps, data = step_numbers(trace), []
    for k, (name, _title) in enumerate(QUANTITIES):
        values = getattr(trace, name)  # (T, H)
        for unit in range(values.shape[1]):
            data.append({"type": "scatter", "x": steps, "y": values[:, unit].tolist(), "mode": "lines+markers",
                         "name": unit_name(unit), "legendgroup": unit_name(unit), "showlegend": k == 0,
                         **unit_style(unit), "xaxis": f"x{axis_id(k)}", "yaxis": f"y{axis_id(k)}",
                         "hovertemplate": _("{symbol}: {value} at step {step}").format(
                             symbol=SYMBOLS[name], value="%{y:.4f}", step="%{x}")})
        layout[f"yaxis{axis_id(k)}"]["range"] = value_range(trace, name)
    layout["shapes"] = [] if selected is None else [shade(k, selected) for k in range(4)]
    return figure_from_spec(data, step_ticks(layout, trace.steps), 560, title_lines=1)


def _quantity_table(trace: Trace) -> dict[str, tuple]:
    H = trace.weights.config.units
    return {f"{SYMBOLS[name]}, {unit_name(j)}": column(getattr(trace, name)[:, j])
            for name, _title in QUANTITIES for j in range(H)}


def gates_text(trace: Trace) -> ChartText:
    """What `gates_over_time` shows: each quantity's largest move, its numbers by step."""
    H, T = trace.weights.config.units, trace.steps
    moves = []
    for name, _title in QUANTITIES:
        values = getattr(trace, name)
        j = largest_move(values)
        moves.append(move(_("{symbol} of {unit}").format(symbol=SYMBOLS[name], unit=unit_name(j)), values[:, j]))
    lead = _("z, r, h̃ and h of {units} over {steps}").format(
        units=ngettext("{n} unit", "{n} units", H).format(n=count(H)),
        steps=ngettext("{n} step", "{n} steps", T).format(n=count(T)))
    if H > 1:
        lead += _("; for each, the unit that moves most")
    return ChartText(_("Gates over time"), lead + ": " + sentence(moves), _("step"), tuple(step_numbers(trace)),
                     _quantity_table(trace))


def heatmaps(trace: Trace, selected: int | None = None) -> go.Figure:
    """Units × time for each quantity; the selected step is outlined."""
    layout = subplot_grid(1, 4, [_(title).replace(" ", "<br>", 1) for _name, title in QUANTITIES], gap=0.05)
    steps = step_numbers(trace)
    units = [unit_name(j) for j in range(trace.weights.config.units)]
    data = [
        {"type": "heatmap", "z": getattr(trace, name).T.tolist(), "x": steps, "y": units, "coloraxis": "coloraxis",
         "xaxis": f"x{axis_id(k)}", "yaxis": f"y{axis_id(k)}",
         "hovertemplate": _("{symbol} at step {step}, {unit}: {value}").format(
             symbol=SYMBOLS[name], step="%{x}", unit="%{y}", value="%{z:.4f}") + "<extra></extra>"}
        for k, (name, _title) in enumerate(QUANTITIES)
    ]
    for k in range(4):  # at most 4 step labels a panel: four panels share a phone's width
        layout[f"xaxis{axis_id(k)}"].update({"tick0": 1, "dtick": max(1, -(-trace.steps // 4))})
        layout[f"yaxis{axis_id(k)}"].update({"showticklabels": k == 0, "autorange": "reversed"})  # unit 1 on top
    layout["coloraxis"] = {"colorbar": {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.25, "yanchor": "top",
                                        "len": 0.5, "thickness": 12}}
    layout["shapes"] = [] if selected is None else [shade(k, selected, "rgba(0,0,0,0)", "black") for k in range(4)]
    return figure_from_spec(data, layout, 250 + 22 * len(units), title_lines=2)


def heatmaps_text(trace: Trace) -> ChartText:
    spans = [_("{symbol} from {low} to {high}").format(symbol=SYMBOLS[name], low=say(np.nanmin(v)),
                                                       high=say(np.nanmax(v)))
             for name, _title in QUANTITIES if np.isfinite(v := getattr(trace, name)).any()]
    summary = _("z, r, h̃ and h as colours, one row per unit and one column per step, red above 0 and blue "
                "below: ") + sentence(spans)
    return ChartText(_("Gates as heat maps"), summary, _("step"), tuple(step_numbers(trace)), _quantity_table(trace))


_KERAS_RULE, _WIKIPEDIA_RULE = N_("Keras rule z·h′ + (1−z)·h̃"), N_("Wikipedia rule (1−z)·h′ + z·h̃")
_KERAS_MARKER = {"symbol": "x", "size": 11, "color": "black"}


def conventions(keras_rule: Trace, bahdanau_rule: Trace, keras_live: np.ndarray | None = None,
                selected: int | None = None) -> go.Figure:
    """Outputs under both update rules on the same weights, and Keras's own if known.
    Solid is the Keras rule, dashed Wikipedia's; units differ in colour and marker. The
    legend names each unit once and each line style once, then the lines (data[0:3H])."""
    steps, data, H = step_numbers(keras_rule), [], keras_rule.weights.config.units
    for unit in range(H):
        style, name = unit_style(unit, dash=False), unit_name(unit)
        group = {"legendgroup": name, "showlegend": False}
        data.append({"type": "scatter", "x": steps, "y": keras_rule.sequence_output[:, unit].tolist(),
                     "mode": "lines+markers", "name": f"{name}: {_(_KERAS_RULE)}", **style, **group})
        data.append({"type": "scatter", "x": steps, "y": bahdanau_rule.sequence_output[:, unit].tolist(),
                     "mode": "lines+markers", "name": f"{name}: {_(_WIKIPEDIA_RULE)}",
                     "line": {**style["line"], "dash": "dash"}, "marker": style["marker"], **group})
        if keras_live is not None:
            data.append({"type": "scatter", "x": steps, "y": keras_live[:, unit].tolist(), "mode": "markers",
                         "name": f"{name}: keras.layers.GRU",
                         "marker": _KERAS_MARKER, **group})
    key = [(unit_name(u), {"mode": "lines+markers", **unit_style(u, dash=False)}, unit_name(u)) for u in range(H)]
    key += [(_(_KERAS_RULE) + _(" (solid)"), {"mode": "lines", "line": {"color": GREY}}, None),
            (_(_WIKIPEDIA_RULE) + _(" (dashed)"), {"mode": "lines", "line": {"color": GREY, "dash": "dash"}}, None)]
    if keras_live is not None:
        key.append(("keras.layers.GRU (×)", {"mode": "markers", "marker": _KERAS_MARKER}, None))
    data += [{"type": "scatter", "x": [None], "y": [None], "name": name, **style,
              **({"legendgroup": group} if group else {})} for name, style, group in key]
    layout = {"xaxis": {"title": {"text": _("step")}}, "yaxis": {"title": {"text": _("output h")}},
              "shapes": [] if selected is None else [shade(0, selected)],
              "margin": {"l": 45, "r": 10, "t": MODEBAR, "b": 40}}
    return figure_from_spec(data, step_ticks(layout, keras_rule.steps), 460)


def conventions_text(keras_rule: Trace, bahdanau_rule: Trace, keras_live: np.ndarray | None = None) -> ChartText:
    a, b = keras_rule.sequence_output, bahdanau_rule.sequence_output
    table = {}
    for j in range(a.shape[1]):
        table[f"{unit_name(j)}, {_(_KERAS_RULE)}"] = column(a[:, j])
        table[f"{unit_name(j)}, {_(_WIKIPEDIA_RULE)}"] = column(b[:, j])
        if keras_live is not None:
            table[f"{unit_name(j)}, keras.layers.GRU"] = column(keras_live[:, j])
    with np.errstate(invalid="ignore"):
        gap = np.where(np.isfinite(a - b), np.abs(a - b), -1.0)
    t, j = np.unravel_index(int(np.argmax(gap)), gap.shape)
    if gap[t, j] < 0.005:
        found = _("the two rules give the same outputs here, to 2 decimals")
    else:
        found = _("they differ most at step {step}, {unit}: {a} under Keras's rule, {b} under Wikipedia's").format(
            step=t + 1, unit=unit_name(j), a=say(a[t, j]), b=say(b[t, j]))
    if keras_live is not None:
        diff = float(np.nanmax(np.abs(keras_live - a)))
        found += (_("; keras.layers.GRU (×) lands exactly on Keras's rule") if diff == 0 else
                  _("; keras.layers.GRU (×) lands on Keras's rule within {diff}").format(diff=say(diff, ".2g")))
    summary = _("The output h at each step under Keras's update rule (solid) and Wikipedia's (dashed): ") + found + "."
    return ChartText(_("Two update rules"), summary, _("step"), tuple(step_numbers(keras_rule)), table)


def weight_blocks(weights: GRUWeights) -> go.Figure:
    """The arrays of get_weights() with their z | r | h column blocks marked."""
    return gate_blocks(weights.config, weights.kernel, weights.recurrent_kernel, weights.bias,
                       title="{name} {shape}", cell=".3f", hover=".6f")


def block_arrays(config, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray | None):
    """(name, array, row labels) of each panel, and the column labels: z1 … h{H}."""
    arrays = [("kernel", kernel, [_("feature {n}").format(n=k + 1) for k in range(config.input_dim)]),
              ("recurrent_kernel", recurrent_kernel, [unit_name(k) for k in range(config.units)])]
    if bias is not None:
        rows = [_("input bias (row 0)"), _("recurrent bias (row 1)")] if bias.ndim == 2 else [_("bias")]
        arrays.append(("bias", bias, rows))
    return arrays, [f"{g}{j + 1}" for g in GATES for j in range(config.units)]


def gate_blocks(config, kernel: np.ndarray, recurrent_kernel: np.ndarray, bias: np.ndarray | None,
                title: str, cell: str, hover: str) -> go.Figure:
    """Arrays shaped like kernel, recurrent_kernel and bias, one panel each, with the
    z | r | h column blocks marked. `title` formats {name} and {shape}; `cell` and
    `hover` are d3 number formats."""
    H = config.units
    arrays, columns = block_arrays(config, kernel, recurrent_kernel, bias)
    total_rows = sum(len(rows) for _name, _array, rows in arrays)
    data, layout, top, gap = [], {"annotations": [], "shapes": []}, 1.0, 0.1
    for k, (name, array, rows) in enumerate(arrays):
        share = (1 - gap * (len(arrays) - 1)) * len(rows) / total_rows
        layout[f"xaxis{axis_id(k)}"] = {"anchor": f"y{axis_id(k)}", "side": "top" if k == 0 else "bottom",
                                         "showticklabels": k == 0}
        layout[f"yaxis{axis_id(k)}"] = {"domain": clamp(top - share, top), "autorange": "reversed"}
        layout["annotations"].append({"text": title.format(name=name, shape=array.shape), "x": 1.0, "y": top,
                                      "xref": "paper", "yref": "paper", "xanchor": "right", "yanchor": "bottom",
                                      "yshift": 34 if k == 0 else 0, "showarrow": False})  # first: above the columns
        array = np.atleast_2d(array)
        data.append({"type": "heatmap", "z": array.tolist(), "x": columns, "y": rows, "coloraxis": "coloraxis",
                     "texttemplate": f"%{{z:{cell}}}" if array.size <= 150 else "", "textfont": {"color": CELL_TEXT},
                     "xaxis": f"x{axis_id(k)}", "yaxis": f"y{axis_id(k)}",
                     "hovertemplate": _("{row}, column {column}: {value}").format(
                         row="%{y}", column="%{x}", value=f"%{{z:{hover}}}") + "<extra></extra>"})
        for boundary in (H - 0.5, 2 * H - 0.5):
            layout["shapes"].append({"type": "line", "xref": f"x{axis_id(k)}", "yref": f"y{axis_id(k)} domain",
                                     "x0": boundary, "x1": boundary, "y0": 0, "y1": 1,
                                     "line": {"color": "black", "width": 3}})
        top -= share + gap
    layout["coloraxis"] = {"showscale": False}
    return figure_from_spec(data, layout, 140 + 34 * total_rows + MODEBAR, title_lines=3)  # column names, title


def weights_text(weights: GRUWeights) -> ChartText:
    arrays, columns = block_arrays(weights.config, weights.kernel, weights.recurrent_kernel, weights.bias)
    what = _("{arrays} as get_weights() returns them, columns in z | r | h blocks of {units}").format(
        arrays=", ".join(f"{name} {np.shape(a)}" for name, a, _rows in arrays),
        units=ngettext("{n} unit", "{n} units", weights.config.units).format(n=count(weights.config.units)))
    return grid_text(_("The weights"), what, arrays, columns, ".4f")
