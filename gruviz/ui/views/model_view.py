"""The "Whole model" view: a Keras model as a row of boxes (layer, output shape, values,
parameter count), the final output beside Keras's model.predict of a rebuild.

`render()` draws it. Choosing a GRU layer stores, in st.session_state[FOCUS], a `Setup`
of that layer's weights, direction and mask on the sequence it really receives (the
previous layer's output), which the GRU views (magnifier, gates, check) take as they are."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ...errors import InputError
from ...explain.mistakes import Setup
from ...limits import APP
from ...model.compare import compare
from ...model.counts import count
from ...model.files import read_model
from ...model.pipeline import parse_input, run
from ...model.recurrent import Bidirectional, Recurrent
from ...text import _, ngettext
from ..kit import plain
from . import results

FOCUS = "whole_model_focus"  # (layer name, Setup)


def _shape(value: np.ndarray) -> str:
    return "(" + ", ".join(str(n) for n in value.shape) + ")"


# A phone's card holds about 34 characters of code a line; an array with longer rows is also written
# wrapped by numpy (a row's continued lines indented under it), and that form is shown under 640 px.
PHONE_CODE_CHARS = 34
_STYLE = """<style>
@media (max-width: 640px) {[class*="st-key-whole_model_wide_"] {display: none;}}
@media (min-width: 640.02px) {[class*="st-key-whole_model_narrow_"] {display: none;}}
</style>"""


def _array(value: np.ndarray, width: int = 75) -> str:
    return np.array2string(np.atleast_1d(value), precision=4, threshold=24, max_line_width=width)


def _values(value: np.ndarray, i: int) -> None:
    """A layer's output: its rows whole, and rewrapped by numpy for a phone when they are wider."""
    wide = _array(value)
    # wrap_lines: a narrower screen than expected wraps the text rather than hiding its end
    if max(map(len, wide.splitlines())) <= PHONE_CODE_CHARS:
        st.code(wide, language=None, wrap_lines=True, width="content")
        return
    with st.container(key=f"whole_model_wide_{i}"):
        st.code(wide, language=None, wrap_lines=True, width="content")
    with st.container(key=f"whole_model_narrow_{i}"):
        st.code(_array(value, PHONE_CODE_CHARS), language=None, wrap_lines=True, width="content")


def _boxes(result) -> None:
    """One card per layer, side by side while they fit and on the next row when they do not:
    each card is as wide as its own array, so no array or name is cut off by a narrow column."""
    st.html(_STYLE)
    steps = len(result.x)
    with st.container(horizontal=True, key="whole_model_layers"):
        for i, step in enumerate(result.steps):
            c = count(step.layer, steps)
            with st.container(border=True, width="content"):
                # A layer's name comes from the uploaded file: shown as typed, never as Markdown.
                kind = step.layer.kind if isinstance(step.layer, Recurrent) else type(step.layer).__name__
                st.markdown(f"**{plain.markdown(step.layer.name)}**  \n`{kind}` → {_shape(step.output)}")
                masked = "" if step.mask is None else \
                    _("mask {mask}").format(mask=step.mask.astype(int).tolist()) + " · "
                st.caption(masked + _("params: {count}").format(count=c.filled) + (f" — {c.note}" if c.note else ""))
                _values(step.output, i)


def _focus(result) -> None:
    cells = []
    for i, step in enumerate(result.steps):
        layer = step.layer
        mask = result.steps[i - 1].mask if i else None
        if isinstance(layer, Recurrent) and layer.kind == "GRU":
            cells.append((layer.name, layer, step.input, mask))
        elif isinstance(layer, Bidirectional) and layer.forward.kind == "GRU":
            cells += [(half.name, half, step.input, mask) for half in (layer.forward, layer.backward)]
    if not cells:
        return
    names = [name for name, *_rest in cells]
    chosen = st.selectbox(_("Open a GRU layer on the sequence it receives"), names, key="whole_model_layer")
    _name, layer, x, mask = cells[names.index(chosen)]
    setup = Setup(layer.weights, np.asarray(x), go_backwards=layer.go_backwards, mask=mask)
    st.session_state[FOCUS] = (chosen, setup)
    # An expander's label is Markdown, and the name comes from the file: escaped to show as typed.
    shown = plain.markdown(chosen)
    with st.expander(ngettext("Magnifier: '{layer}' on the sequence it receives ({n} step)",
                              "Magnifier: '{layer}' on the sequence it receives ({n} steps)",
                              len(setup.x)).format(layer=shown, n=len(setup.x))):
        results.magnifier(setup.run())


def render() -> None:
    st.subheader(_("Whole model"))
    upload = st.file_uploader(_("A Keras model (.keras, .h5, or .weights.h5 with its config)"),
                              type=["keras", "h5"], key="whole_model_file")
    config = st.file_uploader(_("model_config.json (only with a .weights.h5 file)"), type=["json"],
                              key="whole_model_config")
    if upload is None:
        st.info(_("Upload a small Keras model: an Embedding or Masking, GRUs (stacked or Bidirectional), "
                  "pooling and a Dense head."))
        return
    try:
        model = read_model(upload.getvalue(), upload.name,
                           config.getvalue().decode("utf-8", "replace") if config else None, APP)
        hint = _("token ids, e.g. 3, 1, 4, 0") if model.takes_ids else ngettext(
            "{n} number per step", "{n} numbers per step", model.input_dim).format(n=model.input_dim)
        text = st.text_input(_("Input sequence ({hint})").format(hint=hint), key="whole_model_sequence",
                             max_chars=APP.max_text_chars)
        if not text.strip():
            st.info(_("Type the sequence: {hint}.").format(hint=hint))
            return
        result = run(model, parse_input(model, text, APP))
    except InputError as error:
        st.error(str(error))
        return
    _boxes(result)
    _focus(result)
    st.markdown(_("**Output:** `{output}`").format(output=np.array2string(result.output, precision=6)))
    if st.button(_("Compare with Keras model.predict"), key="whole_model_keras"):
        try:
            with st.spinner(_("Rebuilding the model in Keras…")):
                comparison = compare(result)
        except ImportError:
            st.warning(_("Keras could not be imported on this server, so there is nothing to compare with."))
            return
        close = comparison.max_abs_diff <= 1e-5 * max(1.0, float(np.abs(comparison.keras_output).max()))
        badge = ":green[**{}**]".format(_("match")) if close else ":red[**{}**]".format(_("mismatch"))
        st.markdown(_("Keras: `{output}` — {verdict} (largest difference {difference})").format(
            output=np.array2string(comparison.keras_output, precision=6), verdict=badge,
            difference=f"{comparison.max_abs_diff:.2e}"))
