"""Issue 22 §5: every chart has a text alternative (a summary and the plotted numbers as a
table, equal to what is drawn), its lines reach 3:1 against the chart background (WCAG
1.4.11, the WCAG relative-luminance formula), units differ by dash or marker as well as
colour, the colours that must differ stay apart under protanopia and deuteranopia, and
units count from 1 in every legend, title, axis, summary and table."""

from __future__ import annotations

import itertools
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from conftest import random_weights
from gruviz import GRUConfig, run
from gruviz.explain import figures, figures_backward, figures_lstm, lstm_compare
from gruviz.math.backward import backward
from gruviz.math.lstm_trace import run as run_lstm

REPO = Path(__file__).resolve().parents[2]
BACKGROUND = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())["theme"]["backgroundColor"]
NAMED = {"black": "#000000", "grey": "#808080", "gray": "#808080", "white": "#ffffff"}


def luminance(color: str) -> float:
    """WCAG 2.1 relative luminance of #rrggbb."""
    color = NAMED.get(color, color)
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def charts():
    """(figure, its ChartText) for every chart the app draws, on a 3-unit GRU with a mask and a
    Keras column, a matched LSTM and a memory run."""
    rng = np.random.default_rng(7)
    w = random_weights(rng, GRUConfig(units=3, input_dim=2))
    x = rng.normal(size=(6, 2))
    keras_rule, bahdanau = run(w, x), run(w, x, convention="bahdanau")
    live = keras_rule.sequence_output + 1e-8
    grads = backward(run(w, x, mask=[1, 1, 1, 1, 1, 0]))
    ghost = figures_backward.Ghost("scale 2 (before)", tuple(figures_backward.state_norms(grads)))
    lstm = lstm_compare.matched_lstm(w).weights
    lstm_trace, memory = run_lstm(lstm, x), lstm_compare.memory(w, lstm, 40)
    return {
        "gates": (figures.gates_over_time(keras_rule, 1), figures.gates_text(keras_rule)),
        "heatmaps": (figures.heatmaps(keras_rule, 1), figures.heatmaps_text(keras_rule)),
        "rules": (figures.conventions(keras_rule, bahdanau, live, 1),
                  figures.conventions_text(keras_rule, bahdanau, live)),
        "weights": (figures.weight_blocks(w), figures.weights_text(w)),
        "norms": (figures_backward.gradient_norms(grads, 2, ghost=ghost), figures_backward.norms_text(grads, ghost)),
        "parameters": (figures_backward.parameter_gradients(grads), figures_backward.parameters_text(grads)),
        "lstm gates": (figures_lstm.gates_side_by_side(keras_rule, lstm_trace, 1),
                       figures_lstm.gates_text(keras_rule, lstm_trace, 1)),
        "ratio": (figures_lstm.ratio_figure(2, 3), figures_lstm.ratio_text(2, 3)),
        "memory": (figures_lstm.memory_figure(memory), figures_lstm.memory_text(memory)),
    }


CHARTS = charts()


def drawn(fig) -> list:
    """The traces that draw data (not the legend-only keys)."""
    return [d for d in fig.data if d.x is not None and tuple(d.x) != (None,)]


def same(a, b) -> bool:
    a = [np.nan if v is None else float(v) for v in a]
    b = [np.nan if v is None else float(v) for v in b]
    return len(a) == len(b) and np.allclose(a, b, equal_nan=True, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", list(CHARTS))
def test_every_chart_has_a_one_line_summary_and_its_numbers(name):
    fig, text = CHARTS[name]
    assert text.summary.endswith(".") and "\n" not in text.summary and len(text.summary) > 40
    assert text.alt.startswith(text.name) and text.summary in text.alt
    assert re.search(r"\d", text.summary), "the key finding is computed from the numbers"
    assert text.columns and all(len(values) == len(text.index) for values in text.columns.values())


@pytest.mark.parametrize("name", list(CHARTS))
def test_the_table_holds_exactly_the_plotted_numbers(name):
    """Every plotted series is a column of the table, value for value at its x (a heat map's rows
    likewise), so the table is the chart's data, not an approximation of it."""
    fig, text = CHARTS[name]
    columns = list(text.columns.values())
    index = [str(i) for i in text.index]
    for trace in drawn(fig):
        if trace.type == "heatmap":
            for label, row in zip(trace.y, trace.z):
                if name in ("weights", "parameters"):  # one table row per array row, columns z1 … h3
                    hit = [k for k, i in enumerate(index) if i.endswith(", " + label) and same(
                        [text.columns[c][k] for c in trace.x], row)]
                else:  # a heat-map row is one unit over the steps: a column of the table
                    hit = [c for c in columns if same(c, row)]
                assert hit, f"{name}: heat-map row {label} is not in the table"
            continue
        at = [index.index("h₀" if x == 0 and "h₀" in index else str(x)) for x in trace.x]
        assert any(same([c[k] for k in at], trace.y) for c in columns), f"{name}: {trace.name} is not in the table"


def line_colors(fig) -> set[str]:
    colors = set()
    for trace in drawn(fig):
        if trace.type == "scatter":
            if "lines" in trace.mode:
                colors.add(trace.line.color)
            if "markers" in trace.mode and isinstance(trace.marker.color, str):
                colors.add(trace.marker.color)
    for shape in fig.layout.shapes:
        if shape.type == "line":
            colors.add(shape.line.color)
    return colors


@pytest.mark.parametrize("name", list(CHARTS))
def test_every_line_reaches_3_to_1_against_the_chart_background(name):
    fig, _ = CHARTS[name]
    weak = {c: round(contrast(c, BACKGROUND), 2) for c in line_colors(fig) if contrast(c, BACKGROUND) < 3}
    assert not weak, f"{name}: below 3:1 on {BACKGROUND}: {weak}"


def test_the_palette_reaches_3_to_1_and_chart_text_4_5_to_1():
    assert BACKGROUND == figures.BACKGROUND
    for color in (*figures.PALETTE, figures.GREY, *(c for _, c in figures_lstm.ROLES.values())):
        assert contrast(color, BACKGROUND) >= 3, color
    assert contrast(figures.TEXT, BACKGROUND) >= 4.5
    for _, cell in figures.HEAT:  # the numbers printed in heat-map cells
        assert contrast(figures.CELL_TEXT, cell) >= 4.5, cell


# Machado, Oliveira & Fernandes (2009), severity 1, on linear RGB; CIE76 ΔE in CIELAB (D65).
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]])
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])


def _lab(linear: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ np.clip(
        linear, 0, 1) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def difference(a: str, b: str, vision: np.ndarray | None = None) -> float:
    def linear(c):
        rgb = np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)]) / 255
        v = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        return v if vision is None else vision @ v
    return float(np.linalg.norm(_lab(linear(a)) - _lab(linear(b))))


@pytest.mark.parametrize("vision", [None, PROTANOPIA, DEUTERANOPIA], ids=["trichromat", "protanopia", "deuteranopia"])
def test_colours_that_must_differ_stay_apart_for_every_eye(vision):
    """Units 1 and 4 (#636efa and #ab63fa were ΔE 2 under protanopia) and the LSTM's output
    gate o against z (f), the same pair. 15 is well beyond a just-noticeable ΔE of about 2.3."""
    first, fourth = (figures.unit_color(u) for u in (0, 3))
    assert difference(first, fourth, vision) >= 15
    assert difference(figures_lstm.ROLES["show"][1], figures_lstm.ROLES["keep"][1], vision) >= 15


def _styles(fig, axis: str = "x") -> list[tuple]:
    return [(d.line.color, d.line.dash, d.marker.symbol) for d in drawn(fig) if d.xaxis in (None, axis)]


def test_units_differ_by_dash_and_marker_as_well_as_colour():
    rng = np.random.default_rng(1)
    for units in (6, 32):
        trace = run(random_weights(rng, GRUConfig(units=units, input_dim=1)), rng.normal(size=(3, 1)))
        styles = _styles(figures.gates_over_time(trace))
        assert len(set(styles)) == units  # colour, dash and marker together tell every unit apart
        dashes, markers = [s[1] for s in styles[:6]], [s[2] for s in styles[:7]]
        assert len(set(dashes)) == len(dashes) and len(set(markers)) == len(markers)  # each alone, as far as it goes
    # Two rules per unit: the dash says the rule, so the marker tells the units apart.
    trace = run(random_weights(rng, GRUConfig(units=4, input_dim=1)), rng.normal(size=(3, 1)))
    fig = figures.conventions(trace, trace)
    keras_lines = [d for d in drawn(fig) if "Keras rule" in d.name]
    assert len({d.marker.symbol for d in keras_lines}) == 4


def test_units_count_from_1_in_every_chart_and_its_text():
    for name, (fig, text) in CHARTS.items():
        words = [text.summary, *map(str, text.columns), *map(str, text.index)]
        words += [str(d.name) for d in fig.data] + [str(a.text) for a in fig.layout.annotations]
        for trace in drawn(fig):
            if trace.type == "heatmap":
                words += [str(v) for v in (*trace.x, *trace.y)]
        found = " | ".join(words)
        assert "unit 0" not in found and "x[0]" not in found and "h[0]" not in found, name
        assert not re.search(r"\b[zrh]0\b", found), name
    fig, text = CHARTS["weights"]
    assert list(fig.data[0].x)[:3] == ["z1", "z2", "z3"] and "unit 1" in fig.data[1].y
    assert "unit 1" in str(CHARTS["gates"][1].columns) and CHARTS["gates"][0].data[0].name == "unit 1"


def test_every_chart_of_the_app_goes_through_charts_show():
    """A chart drawn straight with st.plotly_chart or st.altair_chart would have no summary or table."""
    sources = [*(REPO / "gruviz" / "ui").rglob("*.py"), REPO / "app.py"]
    direct = [f"{p.name}:{n}" for p in sources if p.name != "charts.py"
              for n, line in enumerate(p.read_text().splitlines(), 1)
              if re.search(r"\.(plotly_chart|altair_chart|vega_lite_chart|line_chart|pyplot)\(", line)]
    assert direct == []
    calls = sum(p.read_text().count("charts.show(") for p in sources)
    assert calls >= 10


def test_no_title_or_legend_sits_where_the_toolbar_is():
    """Plotly's toolbar takes the top 30 px at the right; every figure keeps that band clear:
    the top margin holds it, titles sit below it, legends go under the plot."""
    for name, (fig, _) in CHARTS.items():
        top = fig.layout.margin.t
        assert top >= figures.MODEBAR, name
        titles = [a for a in fig.layout.annotations if a.yref == "paper" and a.yanchor == "bottom"]
        lines = max((str(a.text).count("<br>") + 1 for a in titles if a.y >= 0.999), default=0)
        assert top >= figures.MODEBAR + figures.TITLE_LINE * lines, name
        legend = fig.layout.legend
        assert legend.yref == "container" and legend.y == 0 and legend.yanchor == "bottom", name


def test_the_train_charts_have_their_numbers_and_the_palette():
    """The Train view's Altair charts: the gate chart's table is its data, its colours the palette's,
    a marker per unit; the loss chart's table holds both losses."""
    from gruviz.explain import figures_train
    from gruviz.ui.views import train_view

    rng = np.random.default_rng(2)
    trace = run(random_weights(rng, GRUConfig(units=4, input_dim=1)), rng.normal(size=(5, 1)))
    spec = train_view._gate_chart(trace, "Epoch 3").to_dict()
    text = figures_train.gates_text(trace, "Epoch 3")
    rows = next(iter(spec["datasets"].values()))
    for row in rows:
        assert text.columns[f"{row['gate']}, unit {row['unit']}"][row["step"] - 1] == row["value"]
    assert sorted({row["unit"] for row in rows}) == ["1", "2", "3", "4"]
    points = spec["layer"][1]["encoding"]
    assert len(set(points["shape"]["scale"]["range"])) == 4
    assert all(contrast(c, BACKGROUND) >= 3 for c in points["color"]["scale"]["range"])
    loss = figures_train.loss_text([0, 1, 2], [0.5, 0.2, 0.0], [0.6, 0.3, 0.1])
    assert loss.columns["evaluation"] == (0.5, 0.2, 1e-12) and "falls from 0.5" in loss.summary
