"""The sidebar's Example box names the preset the page shows: after a lesson link too, and
none while the page holds numbers of its own, so Load example never throws a lesson away unasked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gruviz.classroom.presets import BY_KEY, PRESETS
from gruviz.io import share
from gruviz.math.weights import GRUWeights

APP_FILE = str(Path(__file__).resolve().parents[2] / "app.py")


def page(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP_FILE, default_timeout=180)
    at.query_params.update(params or {})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def lesson_link(weights: GRUWeights, sequence: str, h0: str = "") -> dict[str, str]:
    """What a teacher's address bar holds for this example (the class page's lesson links too)."""
    return share.encode(share.Shared(weights, sequence, h0))


def box(at: AppTest) -> str | None:
    return at.selectbox(key="preset_choice").value


def load_is_off(at: AppTest) -> bool:
    return at.button(key="load_preset").disabled


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.key)
def test_a_lesson_link_to_a_preset_shows_that_preset_in_the_box(preset):
    at = page(lesson_link(preset.weights, preset.sequence, preset.h0))
    assert at.title[0].value == preset.title  # the page shows the preset...
    assert box(at) == preset.key and not load_is_off(at)  # ...and so does the box


def test_a_link_with_edited_weights_selects_no_preset_and_load_waits_for_a_choice():
    preset = BY_KEY["two_units_linear"]
    kernel = preset.weights.kernel.copy()
    kernel[0, 0] += 0.5  # one weight changed by a teacher
    w = preset.weights
    edited = GRUWeights.create(w.config, kernel, w.recurrent_kernel, w.bias)
    at = page(lesson_link(edited, preset.sequence))
    assert box(at) is None and load_is_off(at)
    assert np.array_equal(at.session_state.weights.kernel, kernel)  # the link's weights, as sent


def test_a_link_with_a_presets_weights_but_its_own_sequence_selects_no_preset():
    preset = BY_KEY["pytorch_style"]
    at = page(lesson_link(preset.weights, "1 2; 3 4", preset.h0))
    assert at.title[0].value != preset.title
    assert box(at) is None and load_is_off(at)


def test_the_box_follows_the_page_and_keeps_a_choice_until_it_is_loaded():
    at = page()
    assert box(at) == "stack_exchange"
    at.text_input(key="seq_text").set_value("1, 2, 9").run()  # edited: the title is no longer the preset's
    assert box(at) is None and load_is_off(at)
    at.text_input(key="seq_text").set_value("1, 2, 9, 8").run()  # back to the preset's own sequence
    assert box(at) == "stack_exchange"
    at.selectbox(key="preset_choice").select("old_keras_hard_sigmoid").run()
    assert box(at) == "old_keras_hard_sigmoid"  # a choice is not undone by the next rerun
    at.button(key="load_preset").click().run()
    assert at.title[0].value == BY_KEY["old_keras_hard_sigmoid"].title
    assert box(at) == "old_keras_hard_sigmoid"


def test_weights_from_another_source_leave_no_preset_in_the_box():
    at = page()
    at.radio(key="source").set_value("Enter by hand").run()
    at.text_area(key="printout").set_value("[array([[0.1, 0.2, 0.3]]), array([[0.4, 0.5, 0.6]]), "
                                           "array([[0., 0., 0.], [0., 0., 0.]])]").run()
    at.button(key="read_printout").click().run()
    assert not at.exception and at.session_state.weights.kernel[0, 0] == 0.1
    at.radio(key="source").set_value("Preset").run()
    assert box(at) is None and load_is_off(at)
