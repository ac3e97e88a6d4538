"""A link as a QR code a phone scans off the projector, with the address written beside it."""

from __future__ import annotations

import base64
import html
import io

import segno
import streamlit as st

from ...text import _


def show(url: str, what: str, key: str) -> None:
    """The QR code of `url` as a PNG drawn by segno (an <img> with its alt text: Streamlit strips an
    inline <svg>), and the full address in a code box whose copy button puts it on the clipboard."""
    picture = io.BytesIO()
    segno.make(url, error="m").save(picture, kind="png", scale=5, border=2, dark="#111827", light="#ffffff")
    alt = html.escape(_("QR code of {what}").format(what=what), quote=True)
    data = base64.b64encode(picture.getvalue()).decode()
    with st.container(key=key):
        st.html(f"<img src='data:image/png;base64,{data}' alt='{alt}' style='max-width:100%;height:auto'>")
        st.code(url, language=None, wrap_lines=True)
