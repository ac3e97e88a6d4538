"""A link that cannot carry its example says so: on the page that writes it (weights too big for
a link, a link too long to share) and on the page it opens (a marker, an over-long or cut link),
instead of opening the default example without a word."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import numpy as np
from streamlit.testing.v1 import AppTest

from gruviz.classroom.presets import BY_KEY
from gruviz.io import share
from gruviz.math.weights import GRUConfig, GRUWeights

APP_FILE = str(Path(__file__).resolve().parents[2] / "app.py")
SEED = BY_KEY["stack_exchange"]


def page(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP_FILE, default_timeout=180)
    at.query_params.update(params or {})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def link(at: AppTest) -> dict[str, str]:
    """The address bar's query, as the page wrote it."""
    return {key: at.query_params[key] for key in at.query_params}


def warnings(at: AppTest) -> str:
    return "\n".join(w.value for w in at.warning)


def notes(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def shows_seed(at: AppTest) -> bool:
    return np.array_equal(at.session_state.weights.kernel, SEED.weights.kernel)


def big_layer() -> tuple[list[np.ndarray], GRUWeights]:
    """16 units of random float32 weights, as print(layer.get_weights()) shows them."""
    rng = np.random.default_rng(1)
    arrays = [rng.normal(size=(1, 48)).astype(np.float32), rng.normal(size=(16, 48)).astype(np.float32),
              np.zeros((2, 48), np.float32)]
    weights = GRUWeights.create(GRUConfig(units=16, input_dim=1), *(a.astype(float) for a in arrays))
    return arrays, weights


def test_weights_too_big_for_a_link_leave_no_old_example_in_the_address_bar():
    arrays, weights = big_layer()
    assert share.encode(share.Shared(weights, "1, 2, 9, 8")) == {}  # the premise: no link can hold them
    at = page()
    assert "w" in link(at)  # the seed example's own link, first
    at.radio(key="source").set_value("Enter by hand").run()
    at.text_area(key="printout").set_value(repr(arrays)).run()
    at.button(key="read_printout").click().run()
    assert not at.exception and at.session_state.weights.config.units == 16
    # The seed example's link must not stay there to be shared in this one's place.
    assert not set(share.EXAMPLE_KEYS) & set(link(at)), link(at)
    assert "too big to travel in a link" in warnings(at) and "Download weights (JSON)" in warnings(at)
    # The page that link opens says what happened instead of showing the default example silently.
    opened = page(link(at))
    assert shows_seed(opened)
    assert "could not be opened" in notes(opened) and "too big for a link" in notes(opened)


def test_a_link_longer_than_a_server_passes_on_is_written_with_a_warning():
    # 400 timesteps of 17-digit numbers: the sequence alone is longer than nginx's 8 KB request line.
    sequence = ", ".join(f"{v:.17f}" for v in np.random.default_rng(2).uniform(-1, 1, 400))
    expected = share.encode(share.Shared(SEED.weights, sequence))
    assert len(urlencode(expected)) > 8_192
    at = page()
    at.text_input(key="seq_text").set_value(sequence).run()
    assert not at.exception and not at.error
    assert link(at)["seq"] == sequence  # still written: it opens where nothing cuts it
    assert f"{len(urlencode(expected)):,} characters long" in warnings(at)


def test_a_short_link_gets_no_warning():
    at = page()
    assert "link" not in warnings(at)
    assert link(at) == share.encode(share.Shared(SEED.weights, SEED.sequence))


def test_a_link_whose_weights_are_longer_than_any_gruviz_link_says_so():
    at = page({"w": "A" * 7_000, "seq": "1, 2"})
    assert shows_seed(at)
    assert "could not be opened" in notes(at) and "7,000 characters long" in notes(at)
    assert "Download weights (JSON)" in notes(at)


def test_a_link_with_a_sequence_but_no_weights_says_it_was_cut():
    at = page({"seq": "1, 2, 3", "h0": "0.5"})
    assert shows_seed(at)
    assert "could not be opened" in notes(at) and "no weights" in notes(at)


def test_a_link_without_an_example_opens_the_default_without_a_note():
    at = page({"view": "Backward"})
    assert shows_seed(at) and "could not be opened" not in notes(at)
