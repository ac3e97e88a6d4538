"""A page whose process died goes on in a new session on another process (deploy/serve.py).
Its first request there carries the page's widget values; this is that request through
AppTest: a second AppTest, a new session, runs first with the widget states of the first."""

import pytest
from streamlit.testing.v1 import AppTest

TYPED = "3, 1, 4, 1, 5"


def page() -> AppTest:
    """A student's page on the first process: the seed example with a sequence of their own."""
    at = AppTest.from_file("../../app.py", default_timeout=180)
    at.run()
    at.text_input(key="seq_text").set_value(TYPED).run()
    assert not at.exception, at.exception
    return at


def failover(old: AppTest) -> AppTest:
    """The page's next request, answered by a new session that knows only the page's link
    and the widget values the request carries."""
    new = AppTest.from_file("../../app.py", default_timeout=180)
    new.query_params.update(old.query_params)
    new._run(old._tree.get_widget_states())
    assert not new.exception, new.exception
    return new


def shown(at: AppTest) -> list[tuple[str, str]]:
    """gruviz's outputs (the Keras column joins them once TensorFlow has loaded)."""
    return [(m.label, m.value) for m in at.metric if m.label.startswith("gruviz")]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


EDITS = {"seq_text": "2, 7, 1, 8", "h0_text": "0.5", "mask_text": "1, 1, 0, 1, 1", "go_backwards": True}


@pytest.mark.parametrize("key", list(EDITS))
def test_the_first_edit_after_a_failover_is_answered_as_the_old_process_would(key):
    old = page()
    before = shown(old)
    widget = old.checkbox(key=key) if key == "go_backwards" else old.text_input(key=key)
    widget.set_value(EDITS[key])
    new = failover(old)
    old.run()  # the same request, had the first process lived
    assert new.session_state[key] == EDITS[key], "the edit is kept, not the link's example"
    assert shown(new) == shown(old) != before
    assert new.query_params == old.query_params, "the link follows the edit"
    assert errors(new) == errors(old) == []


def test_a_box_that_does_not_parse_keeps_its_text_and_the_last_good_example():
    old = page()
    before = shown(old)
    old.text_input(key="seq_text").set_value("3, 1, x")
    new = failover(old)
    old.run()
    assert new.text_input(key="seq_text").value == "3, 1, x"
    assert errors(new) == errors(old) and "The page still shows the last good value." in errors(new)[0]
    assert shown(new) == shown(old) == before, "the link holds the last good example"


def test_a_fresh_load_of_the_link_opens_its_example():
    old = page()
    fresh = AppTest.from_file("../../app.py", default_timeout=180)
    fresh.query_params.update(old.query_params)
    fresh.run()  # a new tab: no widgets to send
    assert fresh.text_input(key="seq_text").value == TYPED
    assert shown(fresh) == shown(old)
    assert any("Opened from a shared link." in c.value for c in fresh.caption)


def test_the_layer_options_follow_the_weights_the_link_carries():
    """The options mirror the weights, and their callback, which would change the weights,
    cannot run in a session's first run (no widget has registered yet): a toggle that is the
    first action after a failover goes back to the link's value, never a box that disagrees
    with what is computed."""
    old = page()
    old.checkbox(key="cfg_reset_after").uncheck()
    new = failover(old)
    assert new.checkbox(key="cfg_reset_after").value is True
    assert new.session_state.weights.config.reset_after is True
    assert new.text_input(key="seq_text").value == TYPED
