"""Hostile text in every box of the app, and hostile share links, through Streamlit's
AppTest: never an exception on the page, always a message, the typed text kept in its
box, and the message gone once good text is typed."""

from __future__ import annotations

import base64
import json
import zlib

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gruviz.classroom.presets import BY_KEY
from gruviz.io import share, weights_file
from gruviz.limits import APP

HOSTILE = {
    "deep": "[" * 5000 + "1" + "]" * 5000,
    "5,000 digits": "9" * 5000,
    "1e999": "1, 1e999",
    "nan": "nan, 1",
    "Arabic-Indic digits": "١, ٢",
    "full-width digits": "１, ２",
    "empty value": "1,,2",
    "100,000 timesteps": ", ".join(["1"] * 100_000),
    "random bytes": bytes(range(1, 60)).decode("latin-1"),
    "JSON of the wrong kind": '[{"a": [1]}, null, true]',
}


def app(timeout: float = 180) -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=timeout)
    at.run()
    assert not at.exception, at.exception
    return at


def errors(at: AppTest) -> str:
    """The page's error messages, less the preset's own red box (the asker's wrong result)."""
    return "\n".join(e.value for e in at.error if "hand calculation" not in e.value)


def shows_default_example(at: AppTest) -> bool:
    w, default = at.session_state.weights, BY_KEY["stack_exchange"].weights
    return w.config == default.config and np.array_equal(w.kernel, default.kernel)


@pytest.fixture(scope="module")
def main_page() -> AppTest:
    return app()


@pytest.mark.parametrize("key, good", [("seq_text", "1, 2, 9, 8"), ("h0_text", "0.5"), ("mask_text", "1, 0, 1, 1")])
@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_text_in_the_input_boxes(main_page, key, good, case):
    at = main_page
    at.text_input(key="seq_text").set_value("1, 2, 9, 8").run()
    weights_before = at.session_state.weights
    at.text_input(key=key).set_value(HOSTILE[case]).run()
    assert not at.exception, at.exception
    assert errors(at), f"no message for {case} in {key}"
    # what was typed stays in the box, as much of it as the box holds (max_chars)
    assert at.text_input(key=key).value == HOSTILE[case][:APP.max_text_chars]
    assert at.session_state.weights is weights_before and at.metric  # the last good example stays on screen
    at.text_input(key=key).set_value(good).run()
    assert not at.exception and not errors(at), errors(at)


def test_too_many_timesteps_names_the_limit(main_page):
    at = main_page
    at.text_input(key="seq_text").set_value(HOSTILE["100,000 timesteps"]).run()
    # the box keeps the first APP.max_text_chars characters: "1, " × 13,333 and one more "1"
    assert "13,334 timesteps" in errors(at) and "at most 400" in errors(at) and "command line" in errors(at)
    at.text_input(key="seq_text").set_value("1, 2, 9, 8").run()
    assert not errors(at)


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_claimed_output(main_page, case):
    at = main_page
    for key, seed_value in (("seq_text", "1, 2, 9, 8"), ("h0_text", ""), ("mask_text", "")):
        at.text_input(key=key).set_value(seed_value)
    at.session_state["view"] = "Check my calculation"
    at.run()
    at.text_input(key="claim_output").set_value(HOSTILE[case]).run()
    assert not at.exception, at.exception
    # what was typed stays in the box, as much of it as the box holds (max_chars)
    assert errors(at) and at.text_input(key="claim_output").value == HOSTILE[case][:APP.max_text_chars]
    at.text_input(key="claim_output").set_value("-0.46279544").run()
    assert not at.exception and not errors(at)
    assert "Your numbers match Keras." in "\n".join(s.value for s in at.success)


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_backward_target(main_page, case):
    at = main_page
    at.session_state["view"] = "Backward"
    at.run()
    at.radio(key="bw_loss").set_value("mse").run()
    at.text_input(key="bw_target_mse").set_value(HOSTILE[case]).run()
    assert not at.exception, at.exception
    assert "Using zeros" in errors(at) and \
        at.text_input(key="bw_target_mse").value == HOSTILE[case][:APP.max_text_chars]
    at.text_input(key="bw_target_mse").set_value("0.5").run()
    assert not at.exception and not errors(at)


@pytest.mark.parametrize("case", [*HOSTILE, "3 arrays for 100 units"])
def test_hostile_printout(case):
    at = app()
    at.radio(key="source").set_value("Enter by hand").run()
    text = HOSTILE.get(case) or repr([np.zeros((1, 300)), np.zeros((100, 300)), np.zeros((2, 300))])
    at.text_area(key="printout").set_value(text).run()
    at.button(key="read_printout").click().run()
    assert not at.exception, at.exception
    assert errors(at) and at.text_area(key="printout").value == text[:APP.max_text_chars]
    assert shows_default_example(at)


def test_hostile_step_table_cells():
    """The Check tab's table: data_editor edits cannot be typed through AppTest, so
    its reader is driven directly, as the page calls it (through the UI guard)."""
    from gruviz.ui.kit import guard
    from gruviz.ui.views.check_view import table_claims

    for text in HOSTILE.values():
        claims, problem = guard.attempt(table_claims, {0: {"h": text}}, 4, 1)
        assert claims is None and problem


def packed(text: str) -> str:
    return base64.urlsafe_b64encode(zlib.compress(text.encode(), 9)).decode().rstrip("=")


SEED = json.loads(weights_file.dumps(BY_KEY["stack_exchange"].weights))
LINKS = {
    "deep weights": {"w": packed(json.dumps(SEED).replace("[[0.0, 0.0, 0.0]", "[" * 3000)), "seq": "1,2"},
    "5,000-digit weight": {"w": packed(json.dumps(SEED).replace("0.0", "9" * 5000, 1)), "seq": "1,2"},
    "non-finite weight": {"w": packed(json.dumps(SEED).replace("0.0", "1e999", 1)), "seq": "1,2"},
    "units as text": {"w": packed(json.dumps({**SEED, "config": {**SEED["config"], "units": "1"}})), "seq": "1"},
    "activation as a list": {"w": packed(json.dumps({**SEED, "config": {**SEED["config"], "activation": []}}))},
    "units over the app's limit": {"w": packed(json.dumps({
        **SEED, "config": {**SEED["config"], "units": 64}, "kernel": [[0.0] * 192],
        "recurrent_kernel": [[0.0] * 192] * 64, "bias": [[0.0] * 192] * 2}))},
    "deflate bomb": {"w": base64.urlsafe_b64encode(zlib.compress(b"[" * 5_000_000, 9)).decode().rstrip("=")},
    "hostile sequence": {**share.encode(share.Shared(BY_KEY["stack_exchange"].weights, "1, 2")),
                         "seq": "[" * 5000},
    "100,000 timesteps": {**share.encode(share.Shared(BY_KEY["stack_exchange"].weights, "1, 2")),
                          "seq": HOSTILE["100,000 timesteps"][:39_000]},
    "non-finite h0": {**share.encode(share.Shared(BY_KEY["stack_exchange"].weights, "1, 2")), "h0": "1e999"},
    "garbage": {"w": "\x00\x01[[[{{{", "seq": "١٢"},
    # (Streamlit itself ignores a query string past 524,288 characters: that link opens the default silently.)
    "huge": {"w": "A" * 200_000, "seq": "1, " * 30_000},
}


@pytest.mark.parametrize("case", LINKS)
def test_hostile_links_open_the_default_example_with_a_message(case):
    at = AppTest.from_file("../../app.py", default_timeout=180)
    for key, value in LINKS[case].items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    notes = "\n".join(c.value for c in at.caption)
    assert "could not be opened" in notes and "default example" in notes
    assert shows_default_example(at) and at.metric


def test_an_honest_link_still_opens():
    """The checks above refuse links, not every link."""
    at = AppTest.from_file("../../app.py", default_timeout=180)
    preset = BY_KEY["two_units_linear"]
    for key, value in share.encode(share.Shared(preset.weights, "1; 2; 3", "0.5, -0.5", "1, 0, 1")).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    assert at.session_state.weights.config == preset.weights.config and not errors(at)
    assert at.text_input(key="seq_text").value == "1; 2; 3"


def test_a_part_of_the_page_that_fails_says_so_and_the_rest_still_draws():
    def page():
        import streamlit as st

        from gruviz.ui.kit import guard

        with guard.section("Gates over time"):
            st.markdown("drawn before the failure")
            raise RecursionError("maximum recursion depth exceeded")
        with guard.section("Weight layout"):
            st.markdown("the next part")

    at = AppTest.from_function(page, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "This part of the page could not be drawn (Gates over time): an unexpected error, logged on the server. "
        "The rest of the page still works."]
    assert "recursion" not in at.error[0].value  # no internals on the page
    assert [m.value for m in at.markdown] == ["drawn before the failure", "the next part"]


def test_st_stop_passes_through_a_section():
    def page():
        import streamlit as st

        from gruviz.ui.kit import guard

        with guard.section("Inputs"):
            st.stop()
        st.markdown("never drawn")

    at = AppTest.from_function(page, default_timeout=60)
    at.run()
    assert not at.exception and not at.error and not at.markdown
