"""A view chosen by a link, in whichever language the link was written.

Streamlit's `bind="query-params"` keeps a menu in the address bar by its shown label, so a
Spanish page writes view=Entrenar, and a link with view=Train opened in Spanish (or view=Entrenar
opened in English) would lose the view: Streamlit drops a label that is not one the page shows.
Before the menu is drawn, a label in any of gruviz's languages picks its option; the binding then
writes the label the page shows.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from ... import text
from ...text import LANGUAGES, _


def option_named(label: str | None, options: Sequence[str]) -> str | None:
    """The option (an English name) whose label is `label` in any language, or None."""
    for option in options:
        if label == option or any(label == text.translation(language).gettext(option) for language in LANGUAGES):
            return option
    return None


def opened(key: str, options: Sequence[str]) -> str | None:
    """Call before the menu and give it what this returns as its default. On the session's first
    run, a link whose label is another language's picks its option (a label the page shows is
    left to the binding, which keeps it in the link)."""
    wanted = st.query_params.get(key)
    if key in st.session_state or wanted is None or wanted in {_(option) for option in options}:
        return options[0]
    chosen = option_named(wanted, options)
    if chosen is None:
        return options[0]
    st.session_state[key] = chosen
    return None  # the value set here is the menu's; a default beside it would be ignored
