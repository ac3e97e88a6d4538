"""Which language this person reads: the picker's choice, kept in the link as `lang=` (so a
lesson or exercise link opens in the teacher's language), else the browser's, else English."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ...text import ENGLISH, LANGUAGES, _, chosen, follow, use

LINK_KEY = "lang"


def _session_language() -> str | None:
    """The person's language in a widget callback (it runs before `start`); None off a page."""
    if get_script_run_ctx(suppress_warning=True) is None:
        return None
    return st.session_state.get("lang")


follow(_session_language)


def start() -> str:
    """Set this run's language; first thing on every page, before any sentence is made."""
    ss = st.session_state
    if "lang" not in ss:
        ss.lang = chosen(st.query_params.get(LINK_KEY)) or chosen(st.context.locale) or ENGLISH
    use(ss.lang)
    _write_link(ss.lang)
    return ss.lang


def _write_link(language: str) -> None:
    if language == ENGLISH:
        if LINK_KEY in st.query_params:
            del st.query_params[LINK_KEY]
    elif st.query_params.get(LINK_KEY) != language:
        st.query_params[LINK_KEY] = language


def _picked() -> None:
    use(st.session_state.lang)
    _write_link(st.session_state.lang)


def picker() -> None:
    """The language menu, each language named in itself."""
    st.selectbox(_("Language"), list(LANGUAGES), format_func=LANGUAGES.get, key="lang", on_change=_picked)


def kept(params: dict) -> dict:
    """`params` for a link that opens in this person's language."""
    language = st.session_state.get("lang", ENGLISH)
    return params if language == ENGLISH else {**params, LINK_KEY: language}


def suffix() -> str:
    """`&lang=…` for a link written out by hand, empty in English."""
    language = st.session_state.get("lang", ENGLISH)
    return "" if language == ENGLISH else f"&{LINK_KEY}={language}"


def home() -> str:
    """The explainer's address in this language."""
    return "/?" + suffix()[1:] if suffix() else "/"
