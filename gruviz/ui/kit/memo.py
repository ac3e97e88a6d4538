"""What a rerun derives from the inputs, kept per session while the inputs stay the
same: a widget that changes nothing the math reads (a tab, a toggle, the step) must
not pay for the traces, the mistake variants or the figures again."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, TypeVar

import streamlit as st

from ...explain.mistakes import Outcome, Setup, outcomes
from ...math.cell import Convention
from ...math.trace import Trace
from . import state

T = TypeVar("T")
_FIGURES_KEPT = 24  # a class steps through ~10 timesteps × a few figures


@dataclass(frozen=True, eq=False)
class Derived:
    key: tuple
    trace: Trace  # the Keras rule
    bahdanau: Trace  # the Wikipedia rule on the same numbers
    mistakes: list[Outcome]  # every classic mistake, recomputed on these numbers


def derived(setup: Setup) -> Derived:
    """The runs every view reads, computed once per change of weights or inputs."""
    key = state.run_key(setup)
    held = st.session_state.get("memo_derived")
    if held is None or held.key != key:
        held = Derived(key, setup.run(), replace(setup, convention=Convention.BAHDANAU).run(), outcomes(setup))
        st.session_state.memo_derived = held
        st.session_state.memo_figures = {}
    return held


def once(key: tuple, build: Callable[[], T]) -> T:
    """Something drawn from the current run (a figure, a text), built once per `key`
    (what it depends on besides the run: the step, a toggle) until the inputs change."""
    kept = st.session_state.setdefault("memo_figures", {})
    if key not in kept:
        if len(kept) >= _FIGURES_KEPT:
            kept.clear()
        kept[key] = build()
    return kept[key]
