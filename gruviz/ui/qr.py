"""A link as a QR code a phone scans off the projector, with the address written beside it."""

from __future__ import annotations

import html

import segno
import streamlit as st

from ..text import _


def show(url: str, what: str, key: str) -> None:
    """The QR code of `url` (an SVG drawn by segno: paths only, no text of the link inside), and the
    full address in a code box, whose copy button puts it on the clipboard."""
    svg = segno.make(url, error="m").svg_inline(scale=5, dark="#111827", light="#ffffff", border=2)
    label = html.escape(_("QR code of {what}").format(what=what), quote=True)
    with st.container(key=key):
        st.html(f"<div role='img' aria-label='{label}' style='line-height:0'>{svg}</div>")
        st.code(url, language=None, wrap_lines=True)
