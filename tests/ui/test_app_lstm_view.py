"""The "GRU vs LSTM" view in Streamlit's AppTest: it renders without exceptions, its live Keras
columns match, the matched LSTM's coupled gates hold, the parameter table shows Keras's
count_params(), and a missing TensorFlow gives a message instead of a column."""

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

SCRIPT = '''
import numpy as np
from gruviz.explain.mistakes import Setup
from gruviz.math.weights import GRUConfig, GRUWeights
from gruviz.ui.views import lstm_view
# The Stack Exchange seed GRU (spec §5) and its sequence, as the app's default example.
w = GRUWeights.create(GRUConfig(UNITS, 1), KERNEL, RECURRENT, BIAS)
lstm_view.render(Setup(w, np.array([[1.0], [2.0], [9.0], [8.0]]), go_backwards=BACKWARDS))
'''
SEED = dict(UNITS=1, KERNEL=[[-0.90954137, 1.0425225, -0.04404902]], RECURRENT=[[0.24168766, 0.8981342, 0.36734456]],
            BIAS="np.zeros((2, 3))", BACKWARDS=False)


def app_for(tmp_path, **changes) -> AppTest:
    text = SCRIPT
    for name, value in {**SEED, **changes}.items():
        text = text.replace(name, repr(value) if not isinstance(value, str) else value)
    path = tmp_path / "view.py"
    path.write_text(text)
    at = AppTest.from_file(str(path), default_timeout=180).run()
    deadline = time.monotonic() + 180
    while any("Loading TensorFlow" in i.value for i in at.info) and time.monotonic() < deadline:
        time.sleep(1)
        at.run()
    return at


def badges(at: AppTest) -> list[str]:
    return [str(b.proto.body) if hasattr(b, "proto") else "" for b in at.get("badge")] or \
        [m.value for m in at.markdown if "match" in m.value]


def test_view_renders_and_both_keras_columns_match(tmp_path):
    at = app_for(tmp_path)
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert any("keras.layers.GRU" in label for label in labels)
    assert any("keras.layers.LSTM" in label for label in labels)
    text = " ".join(badges(at))
    assert text.count("match · largest difference") == 2 and "mismatch" not in text
    # The GRU's own output under Keras's rule, from the spec's worked example (4 steps, 1,2,9,8).
    gru = next(m for m in at.metric if m.label.startswith("GRU output"))
    assert gru.value.startswith("[-0.4627")


def test_fresh_lstm_and_parameter_table(tmp_path):
    import keras

    at = app_for(tmp_path, UNITS=2, KERNEL=np.full((1, 6), 0.3).tolist(), RECURRENT=np.full((2, 6), -0.2).tolist(), BIAS="np.zeros((2, 6))",
                 BACKWARDS=True)
    at.radio(key="lv_source").set_value("fresh").run()
    assert not at.exception
    assert any("unit_forget_bias" in c.value for c in at.caption)
    assert "mismatch" not in " ".join(badges(at))
    table = at.dataframe[0].value
    expected = []
    for layer in (keras.layers.GRU(2), keras.layers.GRU(2, reset_after=False), keras.layers.LSTM(2)):
        layer.build((None, None, 1))
        expected.append(layer.count_params())
    assert table["parameters"].tolist() == expected
    assert table["with D, H filled in"].tolist()[2] == "4·(1·2 + 2·2 + 2)"


def test_memory_demo_length_and_sentence(tmp_path):
    at = app_for(tmp_path)
    at.slider(key="lv_steps").set_value(300).run()
    assert not at.exception
    sentence = next(m.value for m in at.markdown if m.value.startswith("Going back"))
    assert "Going back 299 steps" in sentence
    # 3·(1 + 1 + 1) + 3 = 12 for the GRU, 4·(1 + 1 + 1) = 12 for the LSTM at D = H = 1.
    assert any(m.value.startswith("**Parameters.**") and "12 numbers and an LSTM 12" in m.value for m in at.markdown)


def test_bad_lstm_file_shows_a_message(tmp_path):
    at = app_for(tmp_path)
    at.radio(key="lv_source").set_value("file").run()
    assert not at.exception  # no upload yet: the matched LSTM is shown
    assert any("matched" in c.value for c in at.caption)


def test_without_tensorflow_the_columns_say_so(tmp_path):
    env = {**os.environ, "GRUVIZ_FAKE_TF_IMPORT": "fail", "PYTHONPATH": str(Path(__file__).parents[2])}
    code = f'''
import time
from streamlit.testing.v1 import AppTest
import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_app_lstm_view import SCRIPT, SEED
text = SCRIPT
for k, v in SEED.items():
    text = text.replace(k, repr(v) if not isinstance(v, str) else v)
at = AppTest.from_string(text, default_timeout=120).run()
deadline = time.monotonic() + 60
while any("Loading TensorFlow" in i.value for i in at.info) and time.monotonic() < deadline:
    time.sleep(0.5); at.run()
assert not at.exception, at.exception
print("|".join(w.value for w in at.warning))
'''
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("TensorFlow is not available") == 2


@pytest.mark.parametrize("gate,coupled", [("sigmoid", True), ("hard_sigmoid", True), ("softsign", False)])
def test_matched_lstm_plays_the_grus_roles(gate, coupled):
    from gruviz.explain.lstm_compare import matched_lstm
    from gruviz.math.lstm_trace import run as run_lstm
    from gruviz.math.trace import run
    from gruviz.math.weights import GRUConfig, GRUWeights

    rng = np.random.default_rng(3)
    gru = GRUWeights.create(GRUConfig(3, 2, recurrent_activation=gate), rng.normal(size=(2, 9)),
                            rng.normal(size=(3, 9)), rng.normal(size=(2, 9)))
    matched = matched_lstm(gru)
    assert matched.coupled is coupled
    x = rng.normal(size=(5, 2))
    g, lstm = run(gru, x), run_lstm(matched.weights, x)
    np.testing.assert_allclose(lstm.f[0], g.z[0], rtol=1e-14)  # same h0 = 0: the first step's gates agree
    np.testing.assert_allclose(lstm.o, 1.0, atol=1e-8)  # held open
    if coupled:
        np.testing.assert_allclose(lstm.i, 1.0 - lstm.f, atol=1e-15)
    else:
        assert np.abs(lstm.i - (1.0 - lstm.f)).max() > 1e-3


def test_figures_are_valid_plotly():
    import plotly.graph_objects as go

    from gruviz.explain import figures_lstm, lstm_compare
    from gruviz.math.lstm_trace import run as run_lstm
    from gruviz.math.trace import run
    from gruviz.math.weights import GRUConfig, GRUWeights

    rng = np.random.default_rng(4)
    gru = GRUWeights.create(GRUConfig(2, 1), rng.normal(size=(1, 6)), rng.normal(size=(2, 6)), rng.normal(size=(2, 6)))
    lstm = lstm_compare.matched_lstm(gru).weights
    x = rng.normal(size=(6, 1))
    memory = lstm_compare.memory(gru, lstm, 50)
    for fig in (figures_lstm.gates_side_by_side(run(gru, x), run_lstm(lstm, x), 1),
                figures_lstm.ratio_figure(1, 2), figures_lstm.memory_figure(memory)):
        go.Figure(fig.to_dict())  # validates every property plotly knows
    # The memory curves are BPTT norms: the last step's ‖∂L/∂h‖ for L = Σ h_T is ‖(1, 1)‖ = √2.
    assert memory.gru_h[-1] == pytest.approx(np.sqrt(2)) and memory.lstm_h[-1] == pytest.approx(np.sqrt(2))
