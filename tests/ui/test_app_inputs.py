"""The main page's input row: when no sequence fits the weights, a message and the weights'
tables, never a traceback; a random sequence within the app's limits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from gruviz.io.parsing import parse_sequence
from gruviz.limits import APP

APP_FILE = str(Path(__file__).resolve().parents[2] / "app.py")


def test_no_good_sequence_for_these_weights_asks_for_one_and_keeps_the_weights_editor():
    at = AppTest.from_file(APP_FILE, default_timeout=180)
    at.run()
    assert not at.exception
    # The last good sequence has two features while the seed example's weights read one, and the box
    # holds text that does not parse: nothing fits, so the page has no sequence to run.
    at.session_state["good"] = {"sequence": np.zeros((3, 2)), "h0": False, "mask": None}
    at.text_input(key="seq_text").set_value("1, x").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Type a sequence to see the computation." in [w.value for w in at.warning]
    assert any(e.label == "Edit the weights" for e in at.expander)


def test_a_random_sequence_asks_for_no_more_timesteps_than_the_app_reads():
    at = AppTest.from_file(APP_FILE, default_timeout=180)
    at.run()
    assert at.number_input(key="rand_steps").proto.max == APP.max_steps
    at.number_input(key="rand_steps").set_value(APP.max_steps).run()
    at.button(key="random_sequence").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(parse_sequence(at.session_state.seq_text, 1)) == APP.max_steps
