"""The page's wording, as a person reads it (AppTest): two values are not written as a
product, no raw LaTeX shows in plain text, a linear activation does not repeat its value,
each pitfall is listed once, and an exact match does not read "max |Δ| = 0.0e+00"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from gruviz import layouts
from gruviz.layouts import keras as keras_layout
from gruviz.math.weights import GRUConfig

APP = str(Path(__file__).resolve().parents[2] / "app.py")
RAW_TEX = re.compile(r"_\{|\^\w|\\[a-z]+\b")  # h_{t-1}, b^h_h, \odot: LaTeX nobody renders


def page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def plain(text: str) -> str:
    """`text` without the $…$ parts that Streamlit's Markdown renders as math."""
    return re.sub(r"\$[^$]+\$", "", text)


def test_the_step_input_and_state_read_as_two_values():
    at = page()
    [line] = [m.value for m in at.markdown if m.value.startswith("x")]
    assert line == "x₁ = [1],\u2003h₀ = [0]"  # not "x_1 = [1] · h_0 = [0]": the dot reads as a product
    at.slider(key="step").set_value(3).run()
    assert "x₃ = [9],\u2003h₂ = [-0.0888]" in [m.value for m in at.markdown]


def test_help_texts_and_the_weight_layout_show_no_raw_latex():
    at = page(view="Weight layout")
    assert not RAW_TEX.search(at.checkbox(key="cfg_reset_after").help)
    layout = [m.value for m in at.markdown if "get_weights()" in m.value]
    assert layout and not RAW_TEX.search(plain(layout[0])), layout
    assert "$b^h$" in layout[0] and r"$h_{t-1}$" in layout[0]  # the symbols are there, rendered as math


def test_what_each_framework_array_holds_reads_without_latex():
    configs = (GRUConfig(units=2, input_dim=1, reset_after=True), GRUConfig(units=2, input_dim=1, reset_after=False))
    roles = [role for config in configs for role in keras_layout.roles(config).values()]
    roles += [spec.role for layout in layouts.LAYOUTS.values() for spec in getattr(layout, "SPECS", ())]
    assert len(roles) > 30 and [r for r in roles if RAW_TEX.search(r)] == []
    assert "one row per unit of hₜ₋₁" in keras_layout.roles(GRUConfig(units=2, input_dim=1))["recurrent_kernel"]


def test_a_refused_conversion_names_the_bias_in_unicode():
    import numpy as np

    from conftest import random_weights

    w = random_weights(np.random.default_rng(3), GRUConfig(units=1, input_dim=2))
    with pytest.raises(layouts.ConversionRefused) as refusal:
        layouts.convert(w, "tf1")
    assert "bʰₕ = bias[1, 2:3]" in str(refusal.value) and not RAW_TEX.search(str(refusal.value))


def test_a_linear_activation_does_not_repeat_its_value():
    at = page()
    at.selectbox(key="cfg_activation").set_value("linear").run()
    at.selectbox(key="cfg_recurrent_activation").set_value("linear").run()
    assert not at.exception
    latex = [e.value for e in at.latex]
    assert latex
    for equation in latex:  # "= 0.6369 = 0.6369", on one row or over two
        assert not re.search(r"= (-?\d+(?:\.\d+)?)(?: \\\\)? &? ?= \1(?![\d.])", equation), equation
    assert not re.search(r"= (-?[\d.]+) = \1\b", "\n".join(latex))


def test_each_pitfall_is_listed_once():
    at = page()
    [pitfalls] = [m.value for m in at.markdown if "**Sigmoid vs hard sigmoid.**" in m.value]
    assert pitfalls.count("**Sigmoid vs hard sigmoid.**") == 1
    entry = next(line for line in pitfalls.splitlines() if "Sigmoid vs hard sigmoid" in line)
    assert "used hard_sigmoid as" in entry and "used hard_sigmoid_legacy as" in entry  # both variants, one entry
    titles = re.findall(r"^- \*\*(.+?)\.\*\*", pitfalls, flags=re.M)
    assert len(titles) == len(set(titles)), titles


def test_an_exact_match_says_so_instead_of_a_zero_in_e_notation():
    at = page(view="Frameworks")
    badges = [m.value for m in at.markdown if "badge[" in m.value]
    assert badges and not [b for b in badges if "0.0e+00" in b], badges
    assert any("matches the page's output exactly" in b for b in badges), badges
