"""The Train view alone on a page, as `streamlit run tests/browser/train_page.py` serves it, for the
browser test: the app's own state with the view under it, and nothing else."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st  # noqa: E402

from gruviz.ui.kit import state  # noqa: E402
from gruviz.ui.views import train_view

st.set_page_config(page_title="gruviz: train", layout="wide")
state.init()
train_view.render()
