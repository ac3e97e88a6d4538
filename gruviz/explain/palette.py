"""The charts' palette, defined once for every figure (figures, figures_backward, figures_lstm
and the Train view's Altair charts): the lines' colours, dashes and markers, the text colours
and the heat maps' scale. tests/ui/test_chart_access.py checks the contrast ratios."""

from __future__ import annotations

# One palette for every chart (Okabe–Ito's hues, darkened): each colour reaches 3:1 against
# the white chart background (WCAG 1.4.11), and no two are confused under protanopia or
# deuteranopia. Units also differ in dash and marker, so colour is never the only cue.
BACKGROUND = "#ffffff"  # .streamlit/config.toml's backgroundColor; Plotly charts are transparent on it
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#aa3377", "#881111", "#554444")
GREY = "#6b7280"  # reference lines and faint comparisons: 4.8:1
TEXT = "#374151"  # titles, ticks, legends and toolbar icons: 10:1 (Streamlit's chart grey #808495 is 3.7:1)
CELL_TEXT = "#1b1f24"  # numbers printed in heat-map cells: at least 4.8:1 on every colour of HEAT
# Diverging, blue below 0 and red above (ColorBrewer's RdBu without its darkest ends, so that dark
# numbers stay readable on every cell); Streamlit would otherwise swap in its own scale.
HEAT = [[0.0, "#4393c3"], [0.25, "#92c5de"], [0.5, "#f7f7f7"], [0.75, "#f4a582"], [1.0, "#e07b5f"]]
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
MARKERS = ("circle", "square", "diamond", "triangle-up", "triangle-down", "star", "hexagon")  # 7: with 6 colours,
# every unit of up to 42 differs from the others in colour, dash or marker


def unit_color(unit: int) -> str:
    return PALETTE[unit % len(PALETTE)]


def unit_style(unit: int, dash: bool = True) -> dict:
    """Line and marker of unit `unit` (0-based): its colour, and its dash (unless the dash
    means something else in the figure) and marker."""
    color = unit_color(unit)
    line = {"color": color, "dash": DASHES[unit % len(DASHES)] if dash else "solid"}
    return {"line": line, "marker": {"color": color, "symbol": MARKERS[unit % len(MARKERS)], "size": 7}}
