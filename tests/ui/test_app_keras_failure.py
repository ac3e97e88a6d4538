"""A broken or slow TensorFlow through Streamlit's AppTest: one warning, the rest of the page
at full speed, one import attempt per server process, and a message from "Create with Keras".

TensorFlow's trouble is simulated with GRUVIZ_FAKE_TF_IMPORT (see gruviz.io.keras_bridge);
expected numbers are the seed example's recorded Keras output and a hand-written GRU loop."""

import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gruviz.io import keras_bridge
from gruviz.ui.sidebar import keras_panel

SEED_OUTPUT = "[-0.462795]"  # spec §5: Keras 3 gives -0.46279544 for 1, 2, 9, 8
SEED_BAHDANAU = "[-0.024000]"  # spec §5: the Wikipedia rule gives -0.02399954
NOT_AVAILABLE = "TensorFlow is not available"


def hand_gru(x, kernel=(-0.90954137, 1.0425225, -0.04404902), recurrent=(0.24168766, 0.8981342, 0.36734456)):
    """The seed GRU (units=1, zero biases, reset_after=True) written out by hand."""
    (wz, wr, wh), (uz, ur, uh), h = kernel, recurrent, 0.0
    sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    for v in x:
        z, r = sigmoid(v * wz + h * uz), sigmoid(v * wr + h * ur)
        h = z * h + (1 - z) * np.tanh(v * wh + r * (h * uh))
    return h


@pytest.fixture
def attempts(monkeypatch) -> list:
    """A fresh server process's TensorFlow state; each entry is one attempt to import Keras."""
    calls = []
    real = keras_bridge.keras_module

    def counted():
        calls.append(time.monotonic())
        return real()

    monkeypatch.setattr(keras_bridge, "keras_module", counted)
    monkeypatch.setattr(keras_bridge, "_imported", False)  # a slow first import is slow here too
    keras_panel._tensorflow_import.clear()
    yield calls
    keras_panel._tensorflow_import.clear()  # the next test's server imports the real TensorFlow again


def settle(at: AppTest, seconds: float = 240) -> AppTest:
    """Rerun, as the page's polling does, until the Keras column has stopped loading."""
    deadline = time.monotonic() + seconds
    while loading(at) and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    assert not loading(at), "TensorFlow was still loading"
    return at


def loading(at: AppTest) -> bool:
    return any("Loading TensorFlow" in i.value for i in at.info)


def start() -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    return at


def create_with_keras(at: AppTest) -> list[str]:
    at.radio(key="source").set_value("Small Keras model").run()
    at.number_input(key="km_units").set_value(3).run()
    at.button(key="make_keras").click().run()
    assert not at.exception, at.exception
    return [e.value for e in at.error]


def test_a_failed_import_costs_one_warning_and_is_never_retried(monkeypatch, attempts):
    monkeypatch.setenv(keras_bridge.FAKE_IMPORT, "fail")
    at = settle(start())
    assert [w.value for w in at.warning if NOT_AVAILABLE in w.value] == [w.value for w in at.warning]
    assert len(at.warning) == 1 and "simulated" in at.warning[0].value
    assert [m.value for m in at.metric] == [SEED_OUTPUT, SEED_BAHDANAU]  # gruviz's columns, no Keras column
    assert at.latex, "the step magnifier is on the page"

    for _ in range(3):
        at.run()
    at.text_input(key="seq_text").set_value("1, 2, 9").run()
    assert not at.exception, at.exception
    assert float(at.metric[0].value.strip("[]")) == pytest.approx(hand_gru([1, 2, 9]), abs=5e-7)
    assert len(at.warning) == 1 and NOT_AVAILABLE in at.warning[0].value

    errors = create_with_keras(at)
    assert any("Create with Keras needs TensorFlow" in e and "not available" in e for e in errors), errors
    assert at.session_state["weights"].config.units == 1, "the weights on screen stay"
    assert len(attempts) == 1, f"TensorFlow's import was attempted {len(attempts)} times"


def test_a_slow_import_never_holds_the_page_and_fills_in_later(monkeypatch, attempts, tmp_path):
    import_may_end = tmp_path / "import-may-end"
    monkeypatch.setenv(keras_bridge.FAKE_IMPORT, f"until:{import_may_end}")
    monkeypatch.setenv(keras_panel.IMPORT_TIMEOUT_ENV, "240")
    at = start()
    # The run is over while the import still waits: the page did not wait for it.
    assert loading(at) and [m.value for m in at.metric] == [SEED_OUTPUT, SEED_BAHDANAU]
    errors = create_with_keras(at)
    assert any("still loading" in e for e in errors), errors
    assert at.session_state["weights"].config.units == 1

    import_may_end.touch()
    settle(at)
    assert not at.warning, [w.value for w in at.warning]
    assert any(m.value.startswith(":green-badge[") and "match" in m.value for m in at.markdown)
    at.button(key="make_keras").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["weights"].config.units == 3


def test_an_import_past_the_timeout_is_given_up_once(monkeypatch, attempts):
    monkeypatch.setenv(keras_bridge.FAKE_IMPORT, "slow-fail:30")
    monkeypatch.setenv(keras_panel.IMPORT_TIMEOUT_ENV, "1")
    at = start()
    time.sleep(1.2)
    at.run()
    assert [w.value for w in at.warning] and all("took more than 1 s" in w.value for w in at.warning)
    assert len(at.warning) == 1 and not loading(at)
    for _ in range(3):
        at.run()
    assert len(at.warning) == 1 and [m.value for m in at.metric] == [SEED_OUTPUT, SEED_BAHDANAU]
    errors = create_with_keras(at)
    assert any("took more than 1 s" in e for e in errors), errors
    assert len(attempts) == 1


@pytest.mark.browser
def test_in_a_browser_the_keras_column_fills_in_by_itself(monkeypatch, tmp_path):
    """The real server with a slow import: the page paints at once and, with no click,
    the Keras column turns from "Loading TensorFlow…" into the seed output and a match."""
    from playwright.sync_api import expect, sync_playwright

    from live_app import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, start_app, stop_app

    import_may_end = tmp_path / "import-may-end"
    # Inherited by the server: its import of TensorFlow waits until the page has been seen loading.
    monkeypatch.setenv(keras_bridge.FAKE_IMPORT, f"until:{import_may_end}")
    monkeypatch.setenv(keras_panel.IMPORT_TIMEOUT_ENV, "600")  # a busy box can take minutes; this waits it out
    proc, url = start_app(tmp_path / "streamlit.log")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url)
            main = page.get_by_test_id("stApp")
            expect(main).to_contain_text(SEED_OUTPUT.strip("[]"), timeout=60_000)
            expect(main).to_contain_text("Loading TensorFlow", timeout=30_000)
            import_may_end.touch()
            column = page.get_by_test_id("stColumn").filter(has_text="keras.layers.GRU (Keras")
            expect(column).to_contain_text("match · largest difference", timeout=300_000)
            expect(column).not_to_contain_text("mismatch")
            expect(column.get_by_test_id("stMetricValue")).to_have_text(SEED_OUTPUT)
            expect(main).not_to_contain_text("Loading TensorFlow")
            browser.close()
    finally:
        stop_app(proc)
