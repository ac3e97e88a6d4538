"""The explainer's other views read as the main page does: units count from 1 (Backward's and
the LSTM's unit choice, the Check view's table, the detective's messages), the mistakes'
explanations are plain text with no raw LaTeX, and every text box stops typing at the app's
limit (`max_chars`). The arrays' 0-based index stays in the link and in the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from conftest import random_weights
from gruviz import GRUConfig
from gruviz.errors import InputError
from gruviz.explain import claims, detective
from gruviz.explain.mistakes import MISTAKES, Setup, outcomes
from gruviz.io import share
from gruviz.io.untrusted import MAX_NUMBER_CHARS
from gruviz.limits import APP as LIMITS

APP = str(Path(__file__).resolve().parents[2] / "app.py")
SEQUENCE = "1 2; 3 4; 0.5 -1"


def two_units(**params) -> AppTest:
    """The app on a link to a 2-unit, 2-feature GRU, with Keras's column off (not what is tested)."""
    w = random_weights(np.random.default_rng(1), GRUConfig(units=2, input_dim=2))
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({**share.encode(share.Shared(w, SEQUENCE)), **params})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def read(at: AppTest) -> str:
    """Every text of the page that Markdown draws (captions, markdown, messages)."""
    parts = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success")
             for e in getattr(at, kind)]
    return "\n".join(map(str, parts))


# --- units count from 1 ---------------------------------------------------------------------------


def test_backward_names_its_units_from_1():
    at = two_units(view="Backward")
    unit = at.selectbox(key="bw_unit")
    assert unit.options == ["unit 1", "unit 2"] and unit.value == 0  # the arrays' index stays 0-based
    unit.set_value(1).run()
    assert not at.exception
    carried = at.latex[-1].value  # what the step passes back: component 2 of each row vector
    assert r"U_z^\top)_{2}" in carried and r"U_z^\top)_{1}" not in carried
    frames = [list(d.value.columns) for d in at.dataframe if (d.value.index.name or "") == "input"]
    assert frames == [["∂L/∂x, feature 1", "∂L/∂x, feature 2"]]


def test_the_lstm_view_names_its_units_from_1():
    at = two_units(view="GRU vs LSTM")
    unit = at.selectbox(key="lv_unit")
    assert unit.options == ["unit 1", "unit 2"]
    unit.set_value(1).run()
    assert not at.exception and at.selectbox(key="lv_unit").value == 1


def test_the_check_table_names_its_columns_by_unit_from_1():
    at = two_units(view="Check my calculation")
    at.radio(key="claim_form").set_value("Some gate values, step by step").run()
    [table] = [d for d in at.dataframe if (d.value.index.name or "") == "step"]
    assert list(table.value.columns) == ["z, unit 1", "z, unit 2", "r, unit 1", "r, unit 2", "h̃, unit 1",
                                         "h̃, unit 2", "h, unit 1", "h, unit 2"]


def test_a_check_table_cell_is_read_and_named_by_its_unit_from_1():
    from gruviz.ui.views.check_view import table_claims

    claims = table_claims({1: {"h, unit 2": "0.5", "z, unit 1": "0.25"}}, 3, 2)
    assert [(c.t, c.quantity, c.unit) for c in claims] == [(1, "z", 0), (1, "h", 1)]  # arrays stay 0-based
    with pytest.raises(InputError) as bad:
        table_claims({2: {"h̃, unit 2": "abc"}}, 3, 2)
    assert str(bad.value).startswith("step 3, h̃ of unit 2: ") and "[1]" not in str(bad.value)
    with pytest.raises(InputError, match=r"^step 1, h: "):  # one unit: nothing to tell apart
        table_claims({0: {"h": "abc"}}, 3, 1)


def test_the_detective_names_a_cell_by_its_unit_from_1():
    with pytest.raises(InputError) as bad:
        claims.parse_cells({(0, "z", 0): "0.1", (1, "h_tilde", 2): "x"}, 4, 3)
    assert "step 2, h̃ of unit 3" in str(bad.value)
    assert "h_tilde" not in str(bad.value) and "[2]" not in str(bad.value)


def test_the_first_divergence_is_named_by_its_unit_from_1():
    """The check view's verdict names the cell as the table does."""
    from gruviz.ui.views.check_view import claim_name

    w = random_weights(np.random.default_rng(1), GRUConfig(units=2, input_dim=1))
    setup = Setup(w, np.array([[1.0], [2.0]]))
    truth = setup.run()
    typed = claims.parse_cells({(0, "h", 1): f"{truth.h[0, 1] + 0.5:.4f}"}, 2, 2)
    diverged = detective.diagnose(setup, typed).first_divergence.claim
    assert claim_name(diverged, 2) == "step 1, h of unit 2"
    assert claim_name(claims.parse_output_claim("0.1, 0.2", 2)[0], 2) == "the final output"


# --- plain text: no raw LaTeX where Markdown draws it ---------------------------------------------

# LaTeX that Markdown would print as typed: a script (b^h_h, U_h, h_{t-1}), a command, a tilde
# standing for h̃ (and Markdown's strikethrough). Configuration names (reset_after) are words.
RAW_LATEX = re.compile(r"_\{|\^|\\|~|(?<![A-Za-z])[A-Za-z]_[A-Za-z0-9](?![A-Za-z0-9])")


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.id for m in MISTAKES])
def test_a_mistakes_name_and_explanation_are_plain_text(mistake):
    for text in (mistake.title, mistake.explanation):
        assert not RAW_LATEX.search(text), (mistake.id, RAW_LATEX.findall(text), text)


def test_the_reset_placement_is_written_in_unicode():
    explained = next(m for m in MISTAKES if m.id == "reset_placement_swapped").explanation
    assert "h̃ = φ(x·Wₕ + bˣₕ + r⊙(h′·Uₕ + bʰₕ))" in explained


def test_what_each_mistake_did_has_no_latex_markup():
    """Every variant's "what exactly was done", on setups that make every mistake apply."""
    details = []
    for reset_after, activation in ((True, "hard_sigmoid"), (False, "sigmoid"), (True, "hard_sigmoid_legacy")):
        cfg = GRUConfig(units=2, input_dim=2, reset_after=reset_after, recurrent_activation=activation)
        w = random_weights(np.random.default_rng(4), cfg)
        setup = Setup(w, np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([0.5, -0.5]))
        details += [o.detail for o in outcomes(setup)]
    assert {m.id for m in MISTAKES} <= {o.mistake.id for o in outcomes(setup)} | {"hard_sigmoid_variant_swapped"}
    for detail in details:
        assert not re.search(r"_\{|\^\{|\\", detail), detail


def test_the_pitfalls_and_backward_captions_show_no_raw_latex():
    at = two_units()
    pitfalls = read(at)
    assert "bʰₕ" in pitfalls and "b^h_h" not in pitfalls and "h~" not in pitfalls
    at = two_units(view="Backward")
    assert not re.search(r"_\{|\^\{|\\", read(at)), read(at)
    assert "step s makes hₛ from hₛ₋₁" in read(at)


# --- every text box stops at the app's limit ------------------------------------------------------


def test_the_backward_targets_stop_at_the_apps_limit():
    at = two_units(view="Backward")
    for loss in ("mse", "mse_all"):
        at.radio(key="bw_loss").set_value(loss).run()
        assert at.text_input(key=f"bw_target_{loss}").max_chars == LIMITS.max_text_chars
    at.radio(key="bw_loss").set_value("sum").run()
    assert at.text_input(key="bw_target_none").max_chars == LIMITS.max_text_chars


def test_the_check_boxes_stop_at_the_apps_limit():
    at = two_units(view="Check my calculation")
    assert at.text_input(key="claim_output").max_chars == LIMITS.max_text_chars
    at.radio(key="claim_form").set_value("Some gate values, step by step").run()
    [table] = [d for d in at.dataframe if (d.value.index.name or "") == "step"]
    columns = json.loads(table.proto.columns)
    assert columns and all(c.get("type_config", {}).get("max_chars") == MAX_NUMBER_CHARS for c in columns.values()), \
        columns


# --- the Whole model view: a layer's name from the file is shown as typed ------------------------


def test_a_layer_name_from_the_file_is_shown_as_typed(tmp_path):
    """Markdown in a layer's name (here `**loud**`) is neither bold on the card nor in the
    magnifier's label: the name is text from an uploaded file."""
    import keras

    model = keras.Sequential([keras.layers.Input((None, 1)), keras.layers.GRU(2, name="**loud**_gru")])
    model.save(tmp_path / "loud.keras")
    at = two_units(view="Whole model")
    at.file_uploader(key="whole_model_file").set_value(
        ("loud.keras", (tmp_path / "loud.keras").read_bytes(), "application/zip")).run()
    at.text_input(key="whole_model_sequence").set_value("1, 2, 3").run()
    assert not at.exception, [e.value for e in at.exception]
    card = next(m.value for m in at.markdown if "loud" in m.value)
    assert card.startswith(r"**\*\*loud\*\*\_gru**"), card
    [label] = [e.label for e in at.expander if e.label.startswith("Magnifier")]
    assert label.startswith(r"Magnifier: '\*\*loud\*\*\_gru'"), label
