"""Every chart of the app is drawn here, with its text alternative: the summary is the
chart's accessible name (Streamlit's `alt`, read by a screen reader as the figure's name)
and a line under it, and the plotted numbers follow in an expander. The summaries and
tables come from gruviz/explain (`ChartText`), computed from the same data as the figure.

    charts.show(figures.gates_over_time(trace, t), figures.gates_text(trace), key="fig_gates")
"""

from __future__ import annotations

import json
import math

import pandas as pd
import streamlit as st

from ...explain.chart_text import ChartText
from ...explain.palette import TEXT
from ...text import _

# Plotly's toolbar: no logo, no lasso or box select (the charts select nothing), the rest kept.
# Its band at the top of each figure (figures.MODEBAR) holds it clear of every title.
CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
# Streamlit's own toolbar of an Altair chart (show data, download, fullscreen) hangs 44 px above
# the chart, over whatever is there: the chart keeps that much room free above it.
_ALTAIR_ROOM = """<style>
[class*="st-key-chart_"] [data-testid="stElementContainer"]:has([data-testid="stVegaLiteChart"]) {margin-top: 28px;}
</style>"""
# A table's header in the page's text colour (Streamlit greys it to below 4.5:1), and a table wider
# than the screen, which scrolls sideways, reachable by keyboard as a named region (axe's
# scrollable-region-focusable). The script is ours and fixed; it watches the page once.
_TABLE_STYLE = """<style>
[class*="st-key-chart_"] [data-testid="stTable"] th, [class*="st-key-chart_"] [data-testid="stTable"] th p
  {color: %s !important;}
[class*="st-key-chartjs_"] {display: none;}
</style>""" % TEXT
_TABLE_SCRIPT = """<script>
(() => {
  if (window.__gruvizChartTables) return;
  window.__gruvizChartTables = true;
  const fix = () => document.querySelectorAll('[class*="st-key-chart_"] [data-testid="stTable"] > div')
    .forEach((box) => {
      if (box.scrollWidth > box.clientWidth + 1 && box.getAttribute('tabindex') !== '0') {
        box.setAttribute('tabindex', '0');
        box.setAttribute('role', 'region');
        box.setAttribute('aria-label', LABEL);
      }
    });
  new MutationObserver(fix).observe(document.body, {childList: true, subtree: true});
  window.addEventListener('resize', fix);
  fix();
})();
</script>"""
_TABLE_CELLS = 2_000  # up to this many numbers, a plain HTML table (read cell by cell); beyond, a grid


def show(figure, text: ChartText, key: str, where=None) -> None:
    """The chart, its one-line summary under it, and its numbers in an expander."""
    where = where or st
    with where.container(key=f"chart_{key}"):
        if hasattr(figure, "to_plotly_json"):
            st.plotly_chart(figure, key=key, config=CONFIG, alt=text.alt)
        else:  # an Altair chart
            st.html(_ALTAIR_ROOM)  # and its text as dark as the Plotly charts' (Streamlit's grey is 3.7:1)
            figure = figure.configure_axis(labelColor=TEXT, titleColor=TEXT).configure_legend(
                labelColor=TEXT, titleColor=TEXT).configure_title(color=TEXT)
            st.altair_chart(figure, key=key, alt=text.alt, width="stretch")
        st.caption(text.summary)
        with st.expander(_("The numbers in this chart")):
            numbers(text)
        with st.container(key=f"chartjs_{key}"):  # takes no room
            label = json.dumps(_("The numbers in this chart")).replace("</", "<\\/")
            st.html(_TABLE_STYLE + _TABLE_SCRIPT.replace("LABEL", label), unsafe_allow_javascript=True)


def frame(text: ChartText) -> pd.DataFrame:
    """The table as text cells, each number in the chart's format; '–' where nothing is plotted."""
    def cell(value) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "–"
        return format(value, text.number_format).replace("-", "−")

    return pd.DataFrame({name: [cell(v) for v in values] for name, values in text.columns.items()},
                        index=pd.Index([str(i) for i in text.index], name=text.index_name))


def numbers(text: ChartText) -> None:
    table = frame(text)
    if table.size <= _TABLE_CELLS:
        st.table(table)
    else:
        st.dataframe(table, width="stretch")
