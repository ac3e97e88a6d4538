"""Presenter mode, stepping, reveal, the lesson link and the stale-story rule, through
Streamlit's AppTest. Expected numbers come from a GRU step written out in this file
(Keras's equations, spec §1), not from gruviz."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

SEED_W = np.array([-0.90954137, 1.0425225, -0.04404902])  # kernel of the Stack Exchange preset (spec §5)
SEED_U = np.array([0.24168766, 0.8981342, 0.36734456])
SEED_X = [1.0, 2.0, 9.0, 8.0]


def hand_steps():
    """Keras 3's GRU on the seed, by hand: one unit, zero biases, reset_after=True."""
    sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    h, rows = 0.0, []
    for x in SEED_X:
        a_z, a_r = x * SEED_W[0] + h * SEED_U[0], x * SEED_W[1] + h * SEED_U[1]
        z, r = sigmoid(a_z), sigmoid(a_r)
        a_h = x * SEED_W[2] + r * (h * SEED_U[2])
        h_tilde = np.tanh(a_h)
        h = z * h + (1 - z) * h_tilde
        rows.append({"a_z": a_z, "a_r": a_r, "z": z, "r": r, "a_h": a_h, "h_tilde": h_tilde, "h": h})
    return rows


def four(value: float) -> str:
    """How the page prints a number: 4 decimals, trailing zeros dropped."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def equations(at: AppTest) -> str:
    return "\n".join(e.value for e in at.latex)


def step_heading(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "Step " in m.value and " of " in m.value)


@pytest.fixture
def presenting() -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=180)
    at.query_params["present"] = "true"
    at.run()
    assert not at.exception
    return at


def test_presenter_shows_all_four_equations_of_a_step_with_their_numbers(presenting):
    row = hand_steps()[0]
    text = equations(presenting)
    for name in ("z", "r", "h_tilde", "h", "a_z", "a_r", "a_h"):
        assert four(row[name]) in text, name
    assert "Step 1 of 4" in step_heading(presenting)
    assert not presenting.text_input(key="seq_text").value == ""  # the inputs are still there, folded away


def test_buttons_step_through_time_and_jump_to_the_ends(presenting):
    rows = hand_steps()
    presenting.button(key="step_next").click().run()
    assert "Step 2 of 4" in step_heading(presenting) and four(rows[1]["h"]) in equations(presenting)
    presenting.button(key="step_last").click().run()
    assert "Step 4 of 4" in step_heading(presenting) and four(rows[3]["h"]) in equations(presenting)
    assert presenting.button(key="step_next").disabled
    presenting.button(key="step_first").click().run()
    assert "Step 1 of 4" in step_heading(presenting) and presenting.button(key="step_prev").disabled


def test_reveal_uncovers_the_numbers_in_order(presenting):
    row = hand_steps()[1]  # step 2: with h_1 ≠ 0 no pre-activation equals a term already on screen
    presenting.button(key="step_next").click().run()
    presenting.toggle(key="reveal").set_value(True).run()
    order = [("a_z", "a_r"), ("z",), ("r",), ("a_h", "h_tilde"), ("h",)]
    for stage, names in enumerate(order):
        text = equations(presenting)
        for later in [n for group in order[stage:] for n in group]:
            assert f"= {four(row[later])}" not in text and f"({four(row[later])})" not in text, (stage, later)
        presenting.button(key="reveal_next").click().run()
        text = equations(presenting)
        for name in names:
            assert four(row[name]) in text, (stage, name)
    assert "reveal_next" not in [b.key for b in presenting.button]
    presenting.button(key="step_next").click().run()  # a new step starts covered again
    assert four(hand_steps()[2]["z"]) not in equations(presenting)


def test_a_link_opens_the_same_screen():
    at = AppTest.from_file("../../app.py", default_timeout=180)
    at.query_params.update({"present": "true", "step": "3", "reveal": "true"})
    at.run()
    assert not at.exception
    assert "Step 3 of 4" in step_heading(at)
    assert at.toggle(key="reveal").value is True
    assert four(hand_steps()[2]["z"]) not in equations(at)  # reveal mode: covered


def test_a_link_chooses_the_tab_and_the_step_outside_presenter_mode():
    at = AppTest.from_file("../../app.py", default_timeout=180)
    at.query_params.update({"step": "2", "view": "Gates over time"})
    at.run()
    assert not at.exception
    assert at.slider(key="step").value == 2
    assert any("step" in str(df.value.index.name) for df in at.dataframe)  # the gates table is the open tab


def test_the_preset_story_gives_way_after_an_edit_and_returns_with_the_preset_inputs():
    at = AppTest.from_file("../../app.py", default_timeout=180)
    at.run()
    story = "The asker multiplied the kernel"
    page = lambda: "\n".join(e.value for e in [*at.title, *at.markdown, *at.caption, *at.error])  # noqa: E731
    assert story in page() and "-0.7069" in page()
    at.text_input(key="seq_text").set_value("1, 2, 9, 7").run()
    assert story not in page() and "-0.7069" not in page()
    assert "edited from “Stack Exchange" in page()
    at.text_input(key="seq_text").set_value("1, 2, 9, 8").run()
    assert story in page() and "-0.7069" in page()


def test_all_units_view_shows_the_step_vectors_side_by_side():
    at = AppTest.from_file("../../app.py", default_timeout=180)
    at.query_params.update({"present": "true", "unit": "all"})
    at.run()
    assert not at.exception
    # Still the one-unit preset: "all" is not offered and unit 0 is shown.
    assert four(hand_steps()[0]["z"]) in equations(at)
