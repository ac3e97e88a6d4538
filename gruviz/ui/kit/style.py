"""The page's few style rules: long equations scroll sideways instead of being cut
off, headline numbers wrap instead of ending in an ellipsis, and the page starts near the
top so that at 1280×720 the outputs sit above the fold. Badges wrap too: at 150% zoom a
column is ~160 px wide, less than "match · largest difference 5.6e-08". Code's highlighted words
reach WCAG AA: Streamlit's colours give comments 3.6:1 and numbers 2.6:1 on the code's background
(#f9fafc); these give 5.2:1 or more there, and 4.8:1 or more on the sidebar's grey."""

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
[data-testid="stCode"] :is(.comment, .prolog, .doctype, .cdata, .punctuation) {color: #5c6170 !important;}
[data-testid="stCode"] :is(.keyword, .atrule, .attr-value) {color: #1b5fc9 !important;}
[data-testid="stCode"] :is(.string, .char, .boolean, .builtin, .inserted, .selector, .attr-name) {color: #137333 !important;}
[data-testid="stCode"] :is(.number, .constant, .symbol, .property, .tag, .deleted) {color: #0f766e !important;}
[data-testid="stCode"] :is(.operator, .entity, .url) {color: #a84800 !important;}
[data-testid="stCode"] :is(.function, .class-name) {color: #6f42c1 !important;}
[data-testid="stCode"] :is(.regex, .important, .variable) {color: #b31d63 !important;}
</style>"""


def page() -> None:
    st.html(_PAGE)
