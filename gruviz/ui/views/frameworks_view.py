"""The Frameworks view: the current GRU in each framework's notation, each traced
through the one core, checked against the page's output, with code to load it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from ... import layouts
from ...layouts import keras as keras_layout
from ...errors import InputError
from ...explain.mistakes import Setup
from ...io.onnx_file import write_onnx
from ...math.trace import Trace
from ...math.weights import GRUWeights
from ...text import _, ngettext

# The conversions are exact: what is left is float64 rounding, ~1e-15.
MATCH_ATOL = 1e-9


@dataclass(frozen=True, eq=False)
class _Entry:
    """One framework's conversion and its run, or why there is none."""

    name: str
    converted: layouts.Converted | None
    refusal: str | None = None
    run: Trace | None = None
    difference: float = float("nan")

    @property
    def mark(self) -> str:
        if self.converted is None:
            return "—"
        return "✓" if self.difference <= MATCH_ATOL else "✗"


def render(weights: GRUWeights, trace: Trace, setup: Setup) -> None:
    """One tab per framework. `trace` is the page's run of `setup`, the reference."""
    st.caption(_("The same GRU as each framework stores and computes it. Each output is gruviz's trace of that "
                 "framework's own arrays, compared with the output above; the code loads exactly these arrays."))
    entries = {name: _entry(weights, name, setup, trace) for name in layouts.LAYOUT_NAMES}
    # Pills wrap onto more rows where tabs would hide frameworks behind a scroll arrow.
    name = st.pills(_("Framework"), list(entries), key="framework", bind="query-params", required=True,
                    default=layouts.LAYOUT_NAMES[0],
                    format_func=lambda n: f"{layouts.title(n)} {entries[n].mark}")
    entry = entries.get(name, entries[layouts.LAYOUT_NAMES[0]])
    if entry.converted is None:
        _refused(entry.name, weights, entry.refusal)
    else:
        _framework(entry, setup, trace)


def _entry(weights: GRUWeights, name: str, setup: Setup, trace: Trace) -> _Entry:
    try:
        converted = layouts.convert(weights, name, convention=setup.convention)
    except layouts.ConversionRefused as refusal:
        return _Entry(name, None, refusal=str(refusal))
    run = layouts.run_layout(converted.weights, setup.x, setup.h0, converted.convention, setup.go_backwards,
                             setup.mask)
    return _Entry(name, converted, run=run,
                  difference=float(np.max(np.abs(run.sequence_output - trace.sequence_output))))


def _equations(lines: tuple[str, ...]) -> str:
    aligned = r" \\ ".join(line.replace(" = ", " &= ", 1) for line in lines)
    return r"\begin{aligned}" + aligned + r"\end{aligned}"


def _equation_lines(name: str, weights) -> tuple[str, ...]:
    if isinstance(weights, layouts.OnnxGRU):  # its candidate depends on linear_before_reset
        return weights.equations_here()
    if name == keras_layout.NAME:
        return keras_layout.equations(weights.config)
    return layouts.LAYOUTS[name].equations(layouts.LayoutConfig.of(weights.config)
                                           if isinstance(weights, GRUWeights) else weights.config)


def _refused(name: str, weights: GRUWeights, reason: str) -> None:
    st.badge(_("no exact conversion"), icon=":material/block:", color="gray")
    st.info(reason, icon=":material/info:")
    st.latex(_equations(_equation_lines(name, weights)))


def _escaped(text: str) -> str:
    """Markdown-safe: the roles write gate blocks as "r | z | n" and W_i* names."""
    return text.replace("|", r"\|").replace("*", r"\*")


def _arrays_table(converted: layouts.Converted) -> str:
    w = converted.weights
    if isinstance(w, GRUWeights):
        roles = keras_layout.roles(w.config)
    else:
        roles = {spec.key: spec.role for spec in w.SPECS}
    rows = [f"| `{key}` | `{tuple(a.shape)}` | {_escaped(roles[key])} |"
            for key, a in layouts.named_arrays(w).items()]
    header = " | ".join((_("array"), _("shape"), _("holds")))
    return f"| {header} |\n|---|---|---|\n" + "\n".join(rows)


def _framework(entry: _Entry, setup: Setup, trace: Trace) -> None:
    converted = entry.converted
    if entry.mark == "✓":
        st.badge(_("matches the page's output exactly") if entry.difference == 0 else
                 _("matches the page's output (largest difference {difference})").format(
                     difference=f"{entry.difference:.1e}"), icon=":material/check:", color="green")
    else:
        st.badge(_("differs from the page's output by {difference}").format(difference=f"{entry.difference:.3g}"),
                 icon=":material/close:", color="red")
    shown = ", ".join(f"{v:.6f}" for v in entry.run.output)
    st.markdown(_("Output, traced from these arrays: `[{output}]`").format(output=shown))
    for note in converted.notes:
        st.caption(note)
    for caveat in layouts.caveats(converted.weights, setup.h0, converted.convention):
        st.warning(caveat, icon=":material/warning:")
    st.latex(_equations(_equation_lines(entry.name, converted.weights)))
    st.markdown(_arrays_table(converted))
    steps = trace.x[trace.mask]
    order = _(", read backwards (go_backwards)") if trace.go_backwards else ""
    skipped = int((~trace.mask).sum())
    left_out = ngettext(", leaving out the {n} masked step", ", leaving out the {n} masked steps",
                        skipped).format(n=skipped) if skipped else ""
    if len(steps):
        fed = ngettext("the {n} step", "the {n} steps", len(steps)).format(n=len(steps))
        st.caption(_("The code feeds {steps} in the order they are processed{order}{left_out}; its `output` is the "
                     "last state above.").format(steps=fed, order=order, left_out=left_out))
    code = layouts.snippet(converted.weights, steps, setup.h0, converted.convention)
    st.code(code.code, language=code.language)
    if isinstance(converted.weights, layouts.OnnxGRU):
        _onnx_download(converted.weights)


def _onnx_download(node: "layouts.OnnxGRU") -> None:
    """The same node as a .onnx model: one GRU node, float32 weights, checked by onnx.checker."""
    try:
        data = write_onnx(node)
    except InputError as error:
        st.caption(str(error))
        return
    st.download_button(_("Download model.onnx"), data, file_name="gru.onnx", mime="application/octet-stream",
                       icon=":material/download:", key="onnx_download")
    st.caption(_("Weights are stored as float32, the type onnxruntime's GRU runs; "
                 "`python -m gruviz trace gru.onnx --sequence …` shows every step of it."))
