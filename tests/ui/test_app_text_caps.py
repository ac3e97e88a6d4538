"""Every text box of the main page stops a paste at what the app could ever read, and text
at that cap gets a message beside its box, never a traceback.

A 50 MB paste used to be sent whole: Streamlit's message limit dropped it without a word and
the old results stayed beside the new text. With `max_chars` the browser itself refuses more."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gruviz.limits import APP

APP_FILE = str(Path(__file__).resolve().parents[2] / "app.py")
CAP = APP.max_text_chars  # what gruviz.io.untrusted.check_length lets through under the app's limits
MINE = {"seq_text", "h0_text", "mask_text", "printout"}  # inputs.py and sources.py


def page(**params) -> AppTest:
    at = AppTest.from_file(APP_FILE, default_timeout=180)
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def boxes(at: AppTest) -> dict[str, int]:
    """Each text box on the page (main area and sidebar) by key, with its max_chars (0: none)."""
    return {box.key or box.label: box.proto.max_chars for box in [*at.text_input, *at.text_area]}


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


@pytest.fixture(scope="module")
def every_box(tmp_path_factory) -> dict[str, int]:
    """The boxes of every view of the main page and of every source of weights in the sidebar."""
    at = page()
    found = boxes(at)
    for source in at.radio(key="source").options:
        at.radio(key="source").set_value(source).run()
        assert not at.exception, (source, [e.value for e in at.exception])
        found |= boxes(at)
    at.radio(key="source").set_value("Preset").run()
    for view in at.get("button_group")[0].options:
        at.get("button_group")[0].set_value(view).run()
        assert not at.exception, (view, [e.value for e in at.exception])
        found |= boxes(at)
        if view == "Backward":  # each loss with a target has its own box
            for loss in ("mse", "mse_all"):
                found |= boxes(at.radio(key="bw_loss").set_value(loss).run())
        if view == "Whole model":  # its sequence box appears once a model is uploaded
            at.file_uploader(key="whole_model_file").set_value(
                ("gru.keras", small_keras_model(tmp_path_factory.mktemp("model")), "application/zip")).run()
            assert not at.exception, [e.value for e in at.exception]
            found |= boxes(at)
    return found


def small_keras_model(folder: Path) -> bytes:
    import keras

    model = keras.Sequential([keras.layers.Input((None, 1)), keras.layers.GRU(2)])
    model.save(folder / "gru.keras")
    return (folder / "gru.keras").read_bytes()


def test_the_inputs_and_the_printout_are_capped_at_what_the_parsers_read(every_box):
    assert MINE <= set(every_box), sorted(every_box)  # the walk reached the boxes it must check
    assert {key: every_box[key] for key in MINE} == {key: CAP for key in MINE}


def test_every_text_box_of_the_main_page_has_a_cap(every_box):
    # the other views' boxes, found by the same walk: the answer, the loss targets, the whole model's input
    assert {"claim_output", "bw_target_none", "bw_target_mse", "bw_target_mse_all",
            "whole_model_sequence"} <= set(every_box), sorted(every_box)
    assert {key: cap for key, cap in every_box.items() if not cap} == {}


def at_cap(unit: str) -> str:
    """`unit` repeated to exactly CAP characters (a number may be cut: the parser reads what is there)."""
    return (unit * (CAP // len(unit) + 1))[:CAP]


@pytest.mark.parametrize("key, text, words", [
    # "1, " × 13,333 is 39,999 characters and one more "1": 13,334 numbers; the seed example has
    # one unit, one feature and four timesteps.
    ("seq_text", at_cap("1, "), f"the sequence has {13_334:,} timesteps; the app handles at most "
                                f"{APP.max_steps}"),
    ("h0_text", at_cap("1, "), f"h0 has {13_334:,} values but 1 is needed"),
    ("mask_text", at_cap("1, "), f"the mask has {13_334:,} entries but the sequence has 4 timesteps"),
])
def test_text_at_the_cap_gets_a_message_beside_its_box(key, text, words):
    at = page()
    before = [m.value for m in at.metric]
    at.text_input(key=key).set_value(text).run()
    assert not at.exception, [e.value for e in at.exception]
    assert words in errors(at)
    assert [m.value for m in at.metric] == before  # the last good example stays on screen


def test_a_printout_at_the_cap_gets_a_message():
    # One (1, 13,332) array: "[[" + 13,332 zeros joined by ", " + "]]" is 39,998 characters, padded with
    # spaces to the cap. The app reads arrays of at most 32·128 numbers.
    count = 13_332
    text = ("[[" + ", ".join(["0"] * count) + "]]").ljust(CAP)
    assert len(text) == CAP
    at = page()
    at.radio(key="source").set_value("Enter by hand").run()
    at.text_area(key="printout").set_value(text).run()
    at.button(key="read_printout").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert (f"the 1st array in the printout has {count:,} numbers; the app handles at most "
            f"{APP.max_array_elements:,}") in errors(at)
    assert at.session_state.weights.config.units == 1  # the seed example's weights are still the ones used
