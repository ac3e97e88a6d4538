"""What a new user tripped over, through Streamlit's AppTest: every headline unit shown,
the weight tables at full width, the printout's wrong array named, one name per update
rule, the Backward plot's fixed axis and ∂L/∂h₀ point, and no numpy reprs on the page.

Expected numbers come from a GRU written out here in NumPy (Keras's equations, spec §1)
and from finite differences, never from gruviz's own output. TensorFlow's import is
simulated as failed, so the Keras column stays out of the way and the page runs at once."""

import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gruviz.errors import InputError
from gruviz.io.parsing import parse_keras_printout
from gruviz.math.weights import GRUWeights
from gruviz.ui.sidebar import keras_panel

SEED_KERNEL = np.array([[-0.90954137, 1.0425225, -0.04404902]])
SEED_RECURRENT = np.array([[0.24168766, 0.8981342, 0.36734456]])
SEED_X = np.array([[1.0], [2.0], [9.0], [8.0]])


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def hand_gru(kernel, recurrent, bias, x, h0=None, wikipedia=False):
    """Keras's GRU (reset_after=True, tanh, sigmoid), one step at a time."""
    H = recurrent.shape[0]
    bias = np.zeros((2, 3 * H)) if bias is None else bias
    h = np.zeros(H) if h0 is None else np.asarray(h0, float)
    for x_t in x:
        a_x, a_h = x_t @ kernel + bias[0], h @ recurrent + bias[1]
        z, r = sigmoid(a_x[:H] + a_h[:H]), sigmoid(a_x[H:2 * H] + a_h[H:2 * H])
        h_tilde = np.tanh(a_x[2 * H:] + r * a_h[2 * H:])
        h = (1 - z) * h + z * h_tilde if wikipedia else z * h + (1 - z) * h_tilde
    return h


@pytest.fixture
def no_tensorflow(monkeypatch):
    monkeypatch.setenv("GRUVIZ_FAKE_TF_IMPORT", "fail")
    keras_panel._tensorflow_import.clear()
    yield
    keras_panel._tensorflow_import.clear()


def page(no_tensorflow=None, **query) -> AppTest:
    at = AppTest.from_file("../../app.py", default_timeout=120)
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


def everything_read(at: AppTest) -> str:
    """Every text a person reads on the page, labels included (tooltips aside)."""
    parts = [e.value for kind in ("markdown", "error", "info", "warning", "caption", "latex", "success")
             for e in getattr(at, kind)]
    parts += [m.label for m in at.metric] + [m.value for m in at.metric] + [e.label for e in at.expander]
    return "\n".join(str(p) for p in parts)


def paste(at: AppTest, arrays) -> AppTest:
    at.radio(key="source").set_value("Enter by hand").run()
    text = repr([np.asarray(a, "float32") for a in arrays])
    at.text_area(key="printout").set_value(text).run()
    at.button(key="read_printout").click().run()
    assert not at.exception, at.exception
    return at


def numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+\.\d+", text)]


def random_gru(units: int, seed: int):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 0.5, (1, 3 * units)), rng.normal(0, 0.5, (units, 3 * units)),
            rng.normal(0, 0.5, (2, 3 * units))]


# --- 1. every unit of the headline -------------------------------------------------------------

def test_five_units_show_every_unit(no_tensorflow):
    arrays = random_gru(5, 1)
    at = paste(page(), arrays)
    expected = hand_gru(*[a.astype("float32").astype(float) for a in arrays], SEED_X)
    wiki = hand_gru(*[a.astype("float32").astype(float) for a in arrays], SEED_X, wikipedia=True)
    keras_rule, wikipedia_rule = at.metric[0].value, at.metric[1].value
    assert "…" not in keras_rule + wikipedia_rule
    np.testing.assert_allclose(numbers(keras_rule), expected, atol=5e-5 + 1e-6)
    np.testing.assert_allclose(numbers(wikipedia_rule), wiki, atol=5e-5 + 1e-6)


def test_sixteen_units_compact_headline_and_every_unit_below(no_tensorflow):
    arrays = random_gru(16, 2)
    at = paste(page(), arrays)
    expected = hand_gru(*[a.astype("float32").astype(float) for a in arrays], SEED_X)
    headline = at.metric[0].value
    assert headline.endswith("(16 units)") and "…" in headline
    np.testing.assert_allclose(numbers(headline), expected[[0, 1, -1]], atol=5e-5 + 1e-6)
    captions = [c.value for c in at.caption if c.value.startswith("all units:")]
    np.testing.assert_allclose(numbers(captions[0]), expected, atol=5e-5 + 1e-6)


# --- 2. the weight tables get the page's width ---------------------------------------------------

def test_weight_tables_in_the_main_area_and_one_selectbox_a_row(no_tensorflow):
    at = page()
    at.radio(key="source").set_value("Enter by hand").run()
    assert not [e for e in at.sidebar if e.type in ("dataframe", "arrow_data_frame")]
    [editor] = [e for e in at.main.get("expander") if e.label == "Edit the weights"]
    tables = [c for c in editor.children.values() if c.type == "dataframe"]
    assert [list(t.value.columns) for t in tables] == [["z0", "r0", "h0"]] * 3
    # The layer options' selectboxes stand on their own row, not in half-width columns.
    for key in ("cfg_activation", "cfg_recurrent_activation"):
        parents = [c for c in at.sidebar.get("column") if key in [s.key for s in c.get("selectbox")]]
        assert not parents, key


# --- 3. the printout names the array that is wrong -----------------------------------------------

def test_printout_with_a_wrong_recurrent_kernel_names_it_with_both_shapes(no_tensorflow):
    kernel, _, bias = random_gru(2, 3)
    at = paste(page(), [kernel, np.ones((2, 3)), bias])
    message = "\n".join(e.value for e in at.error)
    assert "2nd array, recurrent_kernel" in message and "(2, 3)" in message and "(2, 6)" in message
    assert "1st array" not in message and "different lengths" not in message
    assert at.metric[0].value == "[-0.462795]"  # the seed example stays (spec §5: -0.46279544)


def test_printout_with_a_ragged_recurrent_kernel_names_it():
    text = "[array([[1., 2., 3., 4., 5., 6.]]), array([[1., 2., 3., 4., 5., 6.], [1., 2., 3.]]), array([0.])]"
    with pytest.raises(InputError, match=r"2nd array \(recurrent_kernel\).*3 and 6 numbers"):
        parse_keras_printout(text)
    with pytest.raises(InputError, match=r"2nd array, recurrent_kernel, has shape \(1, 6\).*\(2, 6\)"):
        GRUWeights.from_keras_arrays([np.ones((1, 6)), np.ones((1, 6))])


# --- 5. one name per update rule -----------------------------------------------------------------

def test_one_name_per_rule_on_the_step_the_pitfalls_and_the_check_tab(no_tensorflow):
    at = page()
    text = everything_read(at)
    assert "Keras rule" in text and "Wikipedia rule" in text
    at = page(view="Check my calculation")
    wiki = hand_gru(SEED_KERNEL, SEED_RECURRENT, None, SEED_X, wikipedia=True)[0]  # spec §5: -0.02399954
    at.text_input(key="claim_output").set_value(f"{wiki:.4f}").run()
    checked = everything_read(at)
    assert "Wikipedia rule" in checked, checked
    for text in (everything_read(page()), checked):
        assert not re.search(r"bahdanau|keras rule\b", text), re.findall(r".{40}(?:bahdanau|keras rule).{20}", text)
    assert any("Cho" in (m.help or "") for m in at.metric)  # the other names in the tooltip


# --- 6. the Backward plot's axis stays while the scale moves --------------------------------------

def _norm_figure(at: AppTest) -> dict:
    [chart] = [c for c in at.get("plotly_chart") if "bw_fig_norms" in c.proto.id]
    return json.loads(chart.proto.spec)


def test_backward_axis_is_fixed_across_scales_with_the_h0_point_and_a_ghost(no_tensorflow):
    at = page(view="Backward")
    at.slider(key="bw_scale").set_value(0.2).run()
    low = _norm_figure(at)
    at.slider(key="bw_scale").set_value(3.0).run()
    high = _norm_figure(at)
    assert low["layout"]["yaxis"]["range"] == high["layout"]["yaxis"]["range"]
    line_low, line_high = low["data"][0]["y"], high["data"][0]["y"]
    assert line_high[0] > 10 * line_low[0]  # ‖∂L/∂h_1‖: vanishing at 0.2, far larger at 3.0
    # ∂L/∂h₀ of the sum loss at scale 3.0, by central differences of the hand-written GRU.
    eps = 1e-6
    slope = (hand_gru(SEED_KERNEL, 3 * SEED_RECURRENT, None, SEED_X, h0=[eps])[0]
             - hand_gru(SEED_KERNEL, 3 * SEED_RECURRENT, None, SEED_X, h0=[-eps])[0]) / (2 * eps)
    [h0_point] = [d for d in high["data"] if d["name"] == "‖∂L/∂h₀‖"]
    assert h0_point["x"][0] == 0 and h0_point["y"][0] == pytest.approx(abs(slope), rel=1e-5)
    [ghost] = [d for d in high["data"] if d["name"] == "scale 0.2 (before)"]
    assert ghost["y"][1:] == pytest.approx(line_low)
    low_range = low["layout"]["yaxis"]["range"]
    assert low_range[0] <= np.log10(min(v for v in line_low if v)) and low_range[1] >= np.log10(max(line_high))


# --- 7. numbers written for people ----------------------------------------------------------------

NUMPY_REPR = re.compile(r"\[[^\]\n]*(?:\d\.(?![\d])|\d  |  -?\d)[^\]\n]*\]")  # [20.], [-0.75  0.5 ]


def test_no_numpy_repr_on_the_page(no_tensorflow):
    at = page()
    text = everything_read(at)
    assert "Σx = [20]" in text  # the asker's Σx, as a person writes it
    assert not NUMPY_REPR.search(text), NUMPY_REPR.findall(text)
    assert not re.search(r"\binf\b|\bnan\b|None", text)


def test_check_tab_prints_vectors_and_blank_cells_for_people(no_tensorflow):
    at = page(view="Check my calculation")
    at.text_input(key="claim_output").set_value("-0.7069").run()  # the asker's Σx result
    text = everything_read(at)
    assert "-0.462795" in text and not NUMPY_REPR.search(text), NUMPY_REPR.findall(text)
    at.radio(key="claim_form").set_value("Some gate values, step by step").run()
    [table] = [d for d in at.dataframe if "z" in d.value.columns]
    assert not table.value.isna().to_numpy().any()  # a None cell reads "None" on the page


def test_a_mistake_with_no_value_at_the_step_reads_in_words():
    from gruviz.ui.views.check_view import _off_by

    assert _off_by(0.01234) == "off by 0.0123" and "inf" not in _off_by(float("inf"))
