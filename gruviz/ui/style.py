"""The page's few style rules: long equations scroll sideways instead of being cut
off, and headline numbers wrap instead of ending in an ellipsis."""

import streamlit as st

_PAGE = """<style>
.katex-display {overflow-x: auto; overflow-y: hidden; padding: 2px 0;}
[data-testid="stMetricValue"] > div {white-space: normal !important; overflow-wrap: anywhere; line-height: 1.25;}
[data-testid="stMetricValue"] {font-size: clamp(1.05rem, 2.1vw, 1.8rem);}
[data-testid="stMetricLabel"] p, [data-testid="stWidgetLabel"] p {white-space: normal; word-break: normal;}
</style>"""


def page() -> None:
    st.html(_PAGE)
