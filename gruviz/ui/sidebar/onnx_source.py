"""Weights from an uploaded .onnx model: read as data in the sandboxed child, like every upload.

The page shows one GRU. A file may hold several GRU nodes and a bidirectional node two
GRUs: both are chosen here. Nothing in the file runs; onnxruntime is never called.
"""

from __future__ import annotations

import streamlit as st

from ...errors import InputError
from ...text import _
from ..kit import state, uploads


def import_onnx() -> None:
    from ...io.sandbox import read_onnx_upload

    upload = st.file_uploader(_("An ONNX model with a GRU node"), type=["onnx"], key="onnx_upload")
    if upload is None:
        st.caption(_("Read as data with the onnx package, in a separate process with time and memory "
                     "limits: weights must be stored in the file (no external data, no computed weights), "
                     "and nothing in it runs."))
        return
    try:
        found = uploads.read_cached(upload, read_onnx_upload)
    except InputError as problem:
        st.error(str(problem), icon=":material/error:")
        return
    names = [n.name for n in found.nodes]
    name = st.selectbox(_("GRU node"), names, key="onnx_node") if len(names) > 1 else names[0]
    node, shown = found.choose(name)
    directions = node.weights.directions()
    labels = [d.direction for d in directions]
    direction = st.radio(_("Direction"), labels, key="onnx_direction", horizontal=True) if len(labels) > 1 \
        else labels[0]
    one = directions[labels.index(direction)]
    ss = st.session_state
    if ss.get("loaded_onnx") != (upload.file_id, name, direction):
        try:
            weights = one.to_keras()[0]  # exact: linear_before_reset picks reset_after
        except InputError as problem:
            st.error(str(problem), icon=":material/error:")
            return
        ss.loaded_onnx = (upload.file_id, name, direction)
        ss.go_backwards = one.reads_backwards
        notes = [shown, _("Node {node} ({direction}) from {file}: linear_before_reset={linear} is Keras "
                          "reset_after={reset_after}; rows z | r | h of W and R became Keras's column blocks "
                          "(exact).").format(node=repr(name), direction=direction, file=upload.name,
                                             linear=one.linear_before_reset,
                                             reset_after=bool(one.linear_before_reset))]
        if one.reads_backwards:
            notes.append(_("direction=reverse reads the sequence from its last step: go_backwards is on, and "
                           "the outputs are in processing order (ONNX's Y lists them in input order)."))
        if one.initial_h is not None:
            notes.append(_("The node stores initial_h = {values}; type it as h0 to start from it.").format(
                values=one.initial_h[0, 0].round(6).tolist()))
        if one.sequence_lens is not None:
            notes.append(_("The node reads only the first {steps} steps (sequence_lens).").format(
                steps=int(one.sequence_lens[0])))
        state.set_weights(weights, notes=(*notes, *node.notes))
        st.rerun()
    st.success(_("Using GRU node {node} ({direction}) from {file}.").format(
        node=repr(name), direction=direction, file=upload.name), icon=":material/check:")
