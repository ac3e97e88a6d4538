"""The page's few style rules: long equations scroll sideways instead of being cut
off, headline numbers wrap instead of ending in an ellipsis, and the page starts near the
top so that at 1280×720 the outputs sit above the fold. Badges wrap too: at 150% zoom a
column is ~160 px wide, less than "match · largest difference 5.6e-08"."""

import streamlit as st

_PAGE = """<style>
.katex-display {overflow-x: auto; overflow-y: hidden; padding: 2px 0;}
[data-testid="stMetricValue"] > div, [data-testid="stMetricValue"] p {white-space: normal !important;
  overflow-wrap: anywhere; line-height: 1.25;}
[data-testid="stMetricValue"] {font-size: clamp(1.05rem, 2.1vw, 1.8rem);}
[data-testid="stMetricLabel"] p, [data-testid="stWidgetLabel"] p {white-space: normal; word-break: normal;}
[data-testid="stMainBlockContainer"] {padding-top: 2rem;}
@media (max-width: 640px) {[data-testid="stMainBlockContainer"] {padding-top: 4.5rem;}}
.stMarkdownBadge {white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  overflow-wrap: anywhere; height: auto !important; line-height: 1.4;}
</style>"""


def page() -> None:
    st.html(_PAGE)
