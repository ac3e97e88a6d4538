"""Weights from an uploaded .onnx model: read as data in the sandboxed child, like every upload.

The page shows one GRU. A file may hold several GRU nodes and a bidirectional node two
GRUs: both are chosen here. Nothing in the file runs; onnxruntime is never called.
"""

from __future__ import annotations

import streamlit as st

from ..errors import InputError
from . import state, uploads


def import_onnx() -> None:
    from ..io.sandbox import read_onnx_upload

    upload = st.file_uploader("An ONNX model with a GRU node", type=["onnx"], key="onnx_upload")
    if upload is None:
        st.caption("Read as data with the onnx package, in a separate process with time and memory limits: "
                   "weights must be stored in the file (no external data, no computed weights), and nothing "
                   "in it runs.")
        return
    try:
        found = uploads.read_cached(upload, read_onnx_upload)
    except InputError as problem:
        st.error(str(problem), icon=":material/error:")
        return
    names = [n.name for n in found.nodes]
    name = st.selectbox("GRU node", names, key="onnx_node") if len(names) > 1 else names[0]
    node, shown = found.choose(name)
    directions = node.weights.directions()
    labels = [d.direction for d in directions]
    direction = st.radio("Direction", labels, key="onnx_direction", horizontal=True) if len(labels) > 1 \
        else labels[0]
    one = directions[labels.index(direction)]
    ss = st.session_state
    if ss.get("loaded_onnx") != (upload.file_id, name, direction):
        try:
            weights, _ = one.to_keras()  # exact: linear_before_reset picks reset_after
        except InputError as problem:
            st.error(str(problem), icon=":material/error:")
            return
        ss.loaded_onnx = (upload.file_id, name, direction)
        ss.go_backwards = one.reads_backwards
        notes = [shown, f"Node {name!r} ({direction}) from {upload.name}: linear_before_reset="
                        f"{one.linear_before_reset} is Keras reset_after={bool(one.linear_before_reset)}; rows "
                        "z | r | h of W and R became Keras's column blocks (exact)."]
        if one.reads_backwards:
            notes.append("direction=reverse reads the sequence from its last step: go_backwards is on, and the "
                         "outputs are in processing order (ONNX's Y lists them in input order).")
        if one.initial_h is not None:
            notes.append(f"The node stores initial_h = {one.initial_h[0, 0].round(6).tolist()}; type it as h0 to "
                         "start from it.")
        if one.sequence_lens is not None:
            notes.append(f"The node reads only the first {int(one.sequence_lens[0])} steps (sequence_lens).")
        state.set_weights(weights, notes=(*notes, *node.notes))
        st.rerun()
    st.success(f"Using GRU node {name!r} ({direction}) from {upload.name}.", icon=":material/check:")
