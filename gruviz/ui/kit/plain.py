"""Text one person typed, shown to another: as plain text, never as Markdown, LaTeX or HTML."""

from __future__ import annotations

import re

# Every ASCII punctuation mark may be backslash-escaped in Markdown; `$` also starts LaTeX,
# `:` Streamlit's :color[...] and :material/...: directives.
_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")


def markdown(text: str) -> str:
    """`text` escaped for st.markdown, so `**bold**`, `$x$` and `<b>` show as typed."""
    return _SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")
