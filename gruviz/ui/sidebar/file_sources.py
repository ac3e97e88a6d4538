"""Weights from an uploaded file: a Keras model or weights file, a gruviz weights JSON, or a
PyTorch state_dict. Each is read as data in the sandboxed child (gruviz.io.sandbox), once
per file (uploads.read_cached); nothing in a file runs."""

from __future__ import annotations

import streamlit as st

from ...errors import InputError
from ...layouts.state_dict import EXPORT_HINT
from ...text import _
from ..kit import state, uploads


def _elsewhere(suffix: str) -> str | None:
    """Where a file that is not a Keras file belongs, for the suffixes the Keras uploader takes
    only to refuse them with a reason: the uploader's own refusal is a bare red icon, and the
    last file's message would stay on screen beside it."""
    pytorch = _("It is a PyTorch file (a pickle), and gruviz never opens one: loading it would run whatever "
                "code it holds. {hint} Then choose \"PyTorch state_dict\" under Weights from and upload "
                "that.").format(hint=_(EXPORT_HINT))
    return {
        "pt": pytorch, "pth": pytorch,
        # The options named as the radio shows them (sources.SOURCES, translated).
        "onnx": _("It is an ONNX model: choose \"{option}\" under Weights from.").format(
            option=_("ONNX model (.onnx)")),
        "npz": _("A .npz holds a PyTorch state_dict here: choose \"PyTorch state_dict\" under Weights from."),
        "json": _("Choose \"{option}\" or \"PyTorch state_dict\" under Weights from.").format(
            option=_("Import gruviz JSON")),
    }.get(suffix)


ELSEWHERE = ("pt", "pth", "onnx", "npz", "json")  # the suffixes `_elsewhere` answers


def keras_file() -> None:
    from ...io.sandbox import read_keras_file

    upload = st.file_uploader(_("A .keras, .weights.h5 or .h5 file"), type=["keras", "h5", *ELSEWHERE],
                              key="model_upload")
    if upload is None:
        st.caption(_("Read as data: gruviz opens the zip and HDF5 structure itself, in a separate process "
                     "with time and memory limits, and never loads the model with Keras, so nothing in the "
                     "file runs."))
        return
    elsewhere = _elsewhere(upload.name.rsplit(".", 1)[-1].lower())
    if elsewhere:
        st.error(_("{file} is not a Keras file.").format(file=upload.name) + " " + elsewhere,
                 icon=":material/error:")
        return
    ss = st.session_state
    try:
        found = uploads.read_cached(upload, read_keras_file)
    except InputError as problem:
        st.error(str(problem), icon=":material/error:")
        return
    names = [f.name for f in found]
    name = st.selectbox(_("GRU layer"), names, key="upload_layer") if len(found) > 1 else names[0]
    chosen = found[names.index(name)]
    if ss.get("loaded_upload") != (upload.file_id, name):
        ss.loaded_upload = (upload.file_id, name)
        ss.go_backwards = chosen.go_backwards
        state.set_weights(chosen.weights, notes=(
            _("Layer {layer} from {file}.").format(layer=repr(name), file=upload.name), *chosen.notes))
        st.rerun()
    st.success(_("Using layer {layer} from {file}.").format(layer=repr(name), file=upload.name),
               icon=":material/check:")


def _load_once(upload, read) -> None:
    """Make an upload's weights current, once per file; a bad file shows why and changes nothing.
    `read(data, filename, limits)` returns (GRUWeights, notes) or raises InputError."""
    ss = st.session_state
    if ss.get("loaded_upload_id") == upload.file_id:
        st.success(_("Using {file}.").format(file=upload.name), icon=":material/check:")
        return
    try:
        new, notes = uploads.read_cached(upload, read)
    except InputError as problem:
        st.error(str(problem), icon=":material/error:")
        return
    ss.loaded_upload_id = upload.file_id
    state.set_weights(new, notes=notes)
    st.rerun()


def weights_json() -> None:
    from ...io.sandbox import read_weights_json

    upload = st.file_uploader(_("gruviz weights JSON"), type=["json"], key="json_upload")
    if upload is None:
        st.caption(_('The file the "Download weights" button saves, and the CLI reads.'))
        return

    def read(data: bytes, name: str, limits):
        return read_weights_json(data, name, limits), (_("Imported {file}.").format(file=name),)

    _load_once(upload, read)


def state_dict() -> None:
    from ...io.sandbox import read_state_dict_file

    # .pt and .pth are accepted by the uploader only so that they can be refused with a reason.
    upload = st.file_uploader(_("An nn.GRU state_dict"), type=["json", "npz", "pt", "pth"],
                              key="state_dict_upload")
    if upload is None:
        st.caption(_("Read as data, never unpickled.") + " " + _(EXPORT_HINT))
        return

    def read(data: bytes, name: str, limits):
        layout, notes = read_state_dict_file(data, name, limits)
        new = layout.to_keras()[0]  # exact: nn.GRU is Keras reset_after=True with its rows reordered
        layer = (f"nn.GRU(input_size={new.config.input_dim}, hidden_size={new.config.units}"
                 f"{'' if layout.bias else ', bias=False'})")
        return new, (
            _("Read {layer} from {file}: rows r | z | n became Keras columns z | r | h, bias_ih_l0 → bias "
              "row 0, bias_hh_l0 → row 1 (reset_after=True, exact).").format(layer=layer, file=name), *notes)

    _load_once(upload, read)
