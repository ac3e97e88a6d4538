"""The app's logic through Streamlit's AppTest, with expected numbers from a real keras.layers.GRU."""

import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gruviz.math.activations import ACTIVATIONS
from gruviz.classroom.presets import PRESETS
from gruviz.io.parsing import parse_sequence

SEED_KERNEL = [[-0.90954137, 1.0425225, -0.04404902]]
SEED_RECURRENT = [[0.24168766, 0.8981342, 0.36734456]]


def keras_output(kernel, recurrent, bias, x, h0=None, mask=None, **options):
    """An independent Keras run: a layer built here, not through gruviz's bridge."""
    import keras

    options = {"activation": "tanh", "recurrent_activation": "sigmoid", "reset_after": True, **options}
    for key in ("activation", "recurrent_activation"):
        if options[key] == "hard_sigmoid_legacy":
            options[key] = lambda v: keras.ops.clip(0.2 * v + 0.5, 0.0, 1.0)
    units = np.shape(recurrent)[0]
    layer = keras.layers.GRU(units, use_bias=bias is not None, **options)
    x = np.asarray(x, "float32")[None]
    kwargs = {}
    if h0 is not None:
        kwargs["initial_state"] = [np.asarray(h0, "float32")[None]]
    if mask is not None:
        kwargs["mask"] = np.asarray(mask, bool)[None]
    layer.build(x.shape)
    layer.set_weights([np.asarray(a, "float32") for a in (kernel, recurrent, bias) if a is not None])
    return np.asarray(layer(x, **kwargs))[0]


def shown(values) -> str:
    return "[" + ", ".join(f"{v:.6f}" for v in values) + "]"


def close_to(text: str, values) -> bool:
    """The shown numbers are the expected ones to the digits shown (float32 Keras adds ~1e-7)."""
    words = [v.strip() for v in text.strip("[]").replace("…", "").split(",") if v.strip()]
    digits = len(words[0].split(".")[1])
    numbers = [float(v) for v in words]
    return np.allclose(numbers, values[: len(numbers)], atol=0.5 * 10**-digits + 1e-6, rtol=1e-6)


def with_keras(at: AppTest) -> AppTest:
    """The page once the Keras column has its numbers: TensorFlow imports in the background
    and the page polls, as this loop does."""
    import time

    at.run()
    deadline = time.monotonic() + 240
    while any("Loading TensorFlow" in i.value for i in at.info) and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def app() -> AppTest:
    return with_keras(AppTest.from_file("../../app.py", default_timeout=180))


def matched(at: AppTest) -> bool:
    """The Keras column's badge says match (st.badge renders as badge markdown)."""
    return any(m.value.startswith(":green-badge[") and "match" in m.value for m in at.markdown)


def outputs(at: AppTest) -> list[str]:
    return [m.value for m in at.metric]


def page_text(at: AppTest) -> str:
    parts = [e.value for e in at.markdown] + [e.value for e in at.error] + [e.value for e in at.info]
    parts += [e.value for e in at.warning] + [e.value for e in at.caption] + [e.value for e in at.latex]
    return "\n".join(str(p) for p in parts)


def test_seed_example_matches_live_keras(app):
    expected = keras_output(SEED_KERNEL, SEED_RECURRENT, np.zeros((2, 3)), [[1], [2], [9], [8]])
    assert abs(expected[0] - -0.46279544) < 1e-7
    keras_rule, wikipedia_rule, keras_column = outputs(app)
    assert keras_rule == shown(expected) and keras_column == shown(expected)
    assert wikipedia_rule == "[-0.024000]"
    assert matched(app)
    text = page_text(app)
    assert "4 timesteps × 1 feature" in text
    assert "-0.7069" in text and "whole sequence as one input" in text


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.key)
def test_each_preset_matches_keras(app, preset):
    app.selectbox(key="preset_choice").select(preset.key).run()
    app.button(key="load_preset").click().run()
    assert not app.exception, app.exception
    w = preset.weights
    x = parse_sequence(preset.sequence, w.config.input_dim)
    h0 = [float(v) for v in preset.h0.split(",")] if preset.h0 else None
    expected = keras_output(w.kernel, w.recurrent_kernel, w.bias, x, h0, activation=w.config.activation,
                            recurrent_activation=w.config.recurrent_activation, reset_after=w.config.reset_after)
    assert close_to(outputs(app)[0], expected) and close_to(outputs(app)[2], expected)
    assert matched(app)


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if n != "tanh"])
def test_candidate_activation_option(app, name):
    app.selectbox(key="cfg_activation").select(name).run()
    expected = keras_output(SEED_KERNEL, SEED_RECURRENT, np.zeros((2, 3)), [[1], [2], [9], [8]], activation=name)
    assert close_to(outputs(app)[0], expected) and close_to(outputs(app)[2], expected)


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if n != "sigmoid"])
def test_gate_activation_option(app, name):
    app.selectbox(key="cfg_recurrent_activation").select(name).run()
    expected = keras_output(SEED_KERNEL, SEED_RECURRENT, np.zeros((2, 3)), [[1], [2], [9], [8]],
                            recurrent_activation=name)
    assert close_to(outputs(app)[0], expected) and close_to(outputs(app)[2], expected)


def load_pytorch_style(app):
    app.selectbox(key="preset_choice").select("pytorch_style").run()
    app.button(key="load_preset").click().run()
    return next(p for p in PRESETS if p.key == "pytorch_style")


def test_reset_after_and_use_bias_options(app):
    preset = load_pytorch_style(app)
    w, x = preset.weights, parse_sequence(preset.sequence, 2)
    h0 = [0.1, -0.2]
    app.checkbox(key="cfg_reset_after").uncheck().run()
    summed = w.bias[0] + w.bias[1]  # the app keeps both rows' values in the single row
    expected = keras_output(w.kernel, w.recurrent_kernel, summed, x, h0, reset_after=False)
    assert close_to(outputs(app)[0], expected) and close_to(outputs(app)[2], expected)
    app.checkbox(key="cfg_use_bias").uncheck().run()
    expected = keras_output(w.kernel, w.recurrent_kernel, None, x, h0, reset_after=False)
    assert close_to(outputs(app)[0], expected)


def test_h0_go_backwards_and_mask(app):
    app.text_input(key="h0_text").set_value("0.5").run()
    seed = (SEED_KERNEL, SEED_RECURRENT, np.zeros((2, 3)), [[1], [2], [9], [8]])
    assert close_to(outputs(app)[0], keras_output(*seed, h0=[0.5]))
    app.checkbox(key="go_backwards").check().run()
    assert close_to(outputs(app)[0], keras_output(*seed, h0=[0.5], go_backwards=True))
    app.text_input(key="mask_text").set_value("1, 0, 1, 0").run()
    expected = keras_output(*seed, h0=[0.5], go_backwards=True, mask=[1, 0, 1, 0])
    assert close_to(outputs(app)[0], expected) and close_to(outputs(app)[2], expected)


def test_pasted_printout_becomes_the_weights(app):
    rng = np.random.default_rng(2)
    arrays = [rng.normal(size=(1, 6)).astype("float32"), rng.normal(size=(2, 6)).astype("float32"),
              rng.normal(size=(2, 6)).astype("float32")]
    app.radio(key="source").set_value("Enter by hand").run()
    app.text_area(key="printout").set_value(repr(arrays)).run()
    app.button(key="read_printout").click().run()
    assert not app.exception, app.exception
    expected = keras_output(*arrays, [[1], [2], [9], [8]])
    assert close_to(outputs(app)[0], expected) and close_to(outputs(app)[2], expected)
    assert "units=2" in page_text(app)


def test_small_keras_model_source(app):
    app.radio(key="source").set_value("Small Keras model").run()
    app.number_input(key="km_units").set_value(3).run()
    app.number_input(key="km_input_dim").set_value(2).run()
    app.button(key="make_keras").click().run()
    assert not app.exception, app.exception
    assert "× 2 features" in page_text(app)
    assert matched(app)
    assert len(outputs(app)[0].split(",")) == 3


def hand_seed_steps(x=(1.0, 2.0, 9.0, 8.0)):
    """The seed GRU by hand (Keras's equations, zero biases, reset_after=True): each step's z, r, h~, h."""
    (Wz, Wr, Wh), (Uz, Ur, Uh) = SEED_KERNEL[0], SEED_RECURRENT[0]
    sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    h, steps = 0.0, []
    for x_t in x:
        z, r = sigmoid(x_t * Wz + h * Uz), sigmoid(x_t * Wr + h * Ur)
        h_tilde = np.tanh(x_t * Wh + r * (h * Uh))
        h = z * h + (1 - z) * h_tilde
        steps.append({"z": z, "r": r, "h_tilde": h_tilde, "h": h})
    return steps


def equation_value(latex: str) -> str:
    """The number an equation ends on, as the page shows it."""
    return latex.strip().strip("$").replace("\\end{aligned}", "").rsplit("=", 1)[1].strip()


def shows(text: str, value: float) -> bool:
    """`text` is `value` to the digits shown (the page drops trailing zeros)."""
    decimals = len(text.partition(".")[2])
    return abs(float(text) - value) <= 0.5 * 10**-decimals + 1e-9


def test_selecting_a_step_shows_its_equations(app):
    app.slider(key="step").set_value(3).run()
    latex = [e.value for e in app.latex]
    assert "z_{3}" in "\n".join(latex) and "h_{2}" in "\n".join(latex)
    hand = hand_seed_steps()
    assert abs(hand[-1]["h"] - -0.46279544) < 1e-6  # the hand loop gives Keras's recorded output (spec §5)
    shown = {}
    for line in latex:
        head = line.strip().strip("$").strip().replace("\\begin{aligned}", "").split("&=")[0].strip()
        if head in ("z_{3}", "r_{3}", "\\tilde h_{3}"):
            shown[head] = equation_value(line)
        elif head == "h_{3}" and "z_{3} h_{2} + (1 - z_{3})" in line:  # the Keras rule's line
            shown["h_{3}"] = equation_value(line)
    expected = {"z_{3}": hand[2]["z"], "r_{3}": hand[2]["r"], "\\tilde h_{3}": hand[2]["h_tilde"],
                "h_{3}": hand[2]["h"]}
    assert shown.keys() == expected.keys(), latex
    for name, value in expected.items():
        assert shows(shown[name], value), (name, shown[name], value)
    beside = re.search(r"h₂ = `?\[\s*([-\d.e]+)\s*\]", page_text(app))  # h₂ is written beside x₃
    assert beside and shows(beside.group(1), hand[1]["h"]), page_text(app)


BAD = [
    ("seq_text", "1, two, 9", "'two' is not a number"),
    ("seq_text", "1, nan", "not a finite number"),
    ("seq_text", "", "empty"),
    ("seq_text", "1 2; 3 4", "input_dim=1"),
    ("h0_text", "1, 2", "h0 has 2 values"),
    ("mask_text", "1, 0", "the mask has 2 entries"),
    ("mask_text", "1, 5, 1, 1", "not 1/0"),
]


@pytest.mark.parametrize("key, value, message", BAD)
def test_bad_input_shows_a_message_and_keeps_the_last_good_state(app, key, value, message):
    before = outputs(app)[0]
    app.text_input(key=key).set_value(value).run()
    assert not app.exception, app.exception
    errors = "\n".join(e.value for e in app.error)
    assert message in errors
    assert outputs(app)[0] == before


def test_bad_printout_shows_a_message(app):
    app.radio(key="source").set_value("Enter by hand").run()
    app.text_area(key="printout").set_value("[array([[1., 2., ...]])]").run()
    app.button(key="read_printout").click().run()
    assert "shortened by numpy" in "\n".join(e.value for e in app.error)
    assert outputs(app)[0] == "[-0.462795]"


def test_a_shared_link_opens_its_example():
    from gruviz.io import share

    preset = next(p for p in PRESETS if p.key == "old_keras_hard_sigmoid")
    at = AppTest.from_file("../../app.py", default_timeout=180)
    for key, value in share.encode(share.Shared(preset.weights, "1 2; 3 4", "0.5, -0.5")).items():
        at.query_params[key] = value
    with_keras(at)
    w = preset.weights
    expected = keras_output(w.kernel, w.recurrent_kernel, w.bias, [[1, 2], [3, 4]], [0.5, -0.5],
                            reset_after=False, recurrent_activation="hard_sigmoid_legacy")
    assert close_to(outputs(at)[0], expected) and matched(at)


def test_a_damaged_link_falls_back_to_the_default_example():
    at = AppTest.from_file("../../app.py", default_timeout=180)
    at.query_params["w"] = "not-a-real-link"
    at.run()
    assert not at.exception, at.exception
    assert outputs(at)[0] == "[-0.462795]"
    assert "could not be opened" in page_text(at)


def test_only_the_open_tab_runs(app):
    assert app.latex  # the magnifier is open; the check tab's explanation is not computed
    assert not any("The whole sequence as one input" in e.label for e in app.expander)
    app.session_state["view"] = "Gates over time"
    app.run()
    assert not app.latex and len(app.get("plotly_chart")) == 3


def test_the_chosen_step_survives_a_trip_to_another_tab(app):
    app.slider(key="step").set_value(3).run()
    app.session_state["view"] = "Weight layout"
    app.run()
    app.session_state["view"] = "One step under the magnifier"
    app.run()
    assert app.slider(key="step").value == 3 and "z_{3}" in "\n".join(e.value for e in app.latex)


def test_check_my_calculation_names_the_seed_mistake(app):
    """The seed preset pre-fills the asker's -0.7069; the check names the summed sequence."""
    app.session_state["view"] = "Check my calculation"
    app.run()
    assert app.text_input(key="claim_output").value == "-0.7069"
    text = page_text(app)
    assert "first leave the true computation at **the final output**" in text
    assert any("The whole sequence as one input" in e.label for e in app.expander)
    app.text_input(key="claim_output").set_value("0.9680257").run()
    assert "different model instance" in "\n".join(w.value for w in app.warning)
    app.text_input(key="claim_output").set_value("-0.46279544").run()
    assert "Your numbers match Keras." in "\n".join(s.value for s in app.success)
    app.text_input(key="claim_output").set_value("-0.46, 7").run()
    assert "has 2 values but the GRU has 1 unit" in "\n".join(e.value for e in app.error)


@pytest.fixture(scope="module")
def keras_file(tmp_path_factory):
    """A real .keras file whose GRU is not the first layer, every array random and non-zero
    (Keras initialises biases to zero, which would hide swapped bias rows)."""
    import keras

    model = keras.Sequential([keras.Input((4, 2)), keras.layers.Dense(2), keras.layers.GRU(3, name="encoder")])
    gru = model.get_layer("encoder")
    rng = np.random.default_rng(11)
    gru.set_weights([rng.normal(0, 0.6, a.shape).astype("float32") for a in gru.get_weights()])
    assert np.all(gru.get_weights()[2] != 0)
    path = tmp_path_factory.mktemp("upload") / "model.keras"
    model.save(path)
    return path, gru


def test_upload_a_keras_file(app, keras_file):
    path, gru = keras_file
    app.radio(key="source").set_value("Upload a Keras file").run()
    app.file_uploader(key="model_upload").set_value(("model.keras", path.read_bytes(), "application/zip")).run()
    assert not app.exception, app.exception
    w = app.session_state.weights
    kernel, recurrent, bias = gru.get_weights()
    assert bias.shape == (2, 9) and w.config.reset_after
    np.testing.assert_array_equal(w.kernel, kernel)
    np.testing.assert_array_equal(w.recurrent_kernel, recurrent)
    np.testing.assert_array_equal(w.bias, bias)
    np.testing.assert_array_equal(w.input_bias, bias[0])  # row 0 is the input bias, row 1 the recurrent one
    np.testing.assert_array_equal(w.recurrent_bias, bias[1])
    assert "× 2 features" in page_text(app) and matched(app)
    x = parse_sequence(app.text_input(key="seq_text").value, 2)
    expected = np.asarray(gru(x[None].astype("float32")))[0]  # the saved model's own layer call
    assert close_to(outputs(app)[0], expected) and close_to(outputs(app)[2], expected)


def test_upload_garbage_keeps_the_weights(app):
    before = app.session_state.weights
    app.radio(key="source").set_value("Upload a Keras file").run()
    app.file_uploader(key="model_upload").set_value(("bad.keras", b"not a zip at all", "application/zip")).run()
    assert not app.exception, app.exception
    assert ".keras" in "\n".join(e.value for e in app.error)
    assert app.session_state.weights is before and outputs(app)[0] == "[-0.462795]"


def test_import_gruviz_json_round_trip(app):
    from gruviz.io import weights_file

    preset = next(p for p in PRESETS if p.key == "two_units_linear")
    app.radio(key="source").set_value("Import gruviz JSON").run()
    data = weights_file.dumps(preset.weights).encode()
    app.file_uploader(key="json_upload").set_value(("w.json", data, "application/json")).run()
    assert not app.exception, app.exception
    w = preset.weights
    expected = keras_output(w.kernel, w.recurrent_kernel, w.bias, [[1], [2], [9], [8]], activation="linear")
    assert close_to(outputs(app)[0], expected)
    app.file_uploader(key="json_upload").set_value(("x.json", b'{"format": "nope"}', "application/json")).run()
    assert "not a gruviz weights file" in "\n".join(e.value for e in app.error)
    assert close_to(outputs(app)[0], expected)
