"""`.onnx` files read as data and written, with the `onnx` package (protobuf) only.

Reading never runs anything: the bytes are parsed from memory after a size check,
every tensor is checked for external data (a path to another file, which gruviz
never opens) and for declared sizes over the limits before a number is read, and a
GRU's W, R and B must be stored numbers (initializers or Constant nodes), not values
the graph computes. onnxruntime is never called here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from math import prod

import numpy as np

from ..errors import InputError
from ..layouts.base import LayoutConfig
from ..layouts.onnx import ONNX_ACTIVATIONS, OnnxGRU, activation_from_onnx
from ..limits import CORE, Limits
from ..text import _, count, decimal, ngettext
from .onnx_checks import attributes, check_structure, check_text, decoded
from .untrusted import cannot_read, cut, shown

OPSET = 14  # the first GRU with the `layout` attribute; onnxruntime runs it everywhere
MAX_GRU_NODES = 32  # a stacked, bidirectional export has a handful; the child sends back each one's arrays
_ALPHA = {"Affine", "HardSigmoid", "LeakyRelu", "ThresholdedRelu", "ScaledTanh", "Elu"}
_BETA = {"Affine", "HardSigmoid", "ScaledTanh"}
_INPUTS = ("X", "W", "R", "B", "sequence_lens", "initial_h")


@dataclass(frozen=True, eq=False)
class FoundNode:
    name: str
    weights: OnnxGRU
    notes: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class OnnxFile:
    nodes: tuple[FoundNode, ...]

    def choose(self, name: str | None = None) -> tuple[FoundNode, str]:
        """The node named `name` (the first when None), and a sentence saying which is shown."""
        names = [n.name for n in self.nodes]
        if name is None:
            chosen = self.nodes[0]
        elif name in names:
            chosen = self.nodes[names.index(name)]
        else:
            raise InputError(_("no GRU node named {name}; the file's GRU nodes are {names}.").format(
                name=shown(name, 80), names=", ".join(shown(n, 80) for n in names)))
        others = [shown(n, 80) for n in names if n != chosen.name]
        if others:
            return chosen, _("Showing GRU node {name}; also in the file: {others} (choose with --node NAME).").format(
                name=shown(chosen.name, 80), others=", ".join(others))
        return chosen, _("Showing GRU node {name}.").format(name=shown(chosen.name, 80))


try:  # at import: the sandboxed child imports this module before capping its memory
    import onnx as _ONNX
except ImportError:  # pragma: no cover - requirements.txt pins it
    _ONNX = None


def _onnx():
    if _ONNX is None:
        raise InputError(_("reading .onnx files needs the onnx package: pip install -r requirements.txt."))
    return _ONNX


def read_onnx(data: bytes, filename: str = "model.onnx", limits: Limits = CORE) -> OnnxFile:
    """Every GRU node of the main graph, as OnnxGRU weights with notes."""
    onnx = _onnx()
    if len(data) > limits.max_file_bytes:
        raise InputError(_("{filename} is {size} MB; the limit is {cap} MB.").format(
            filename=filename, size=decimal(len(data) / 2**20, 1), cap=decimal(limits.max_file_bytes / 2**20, 0)))
    try:
        model = onnx.load_model_from_string(bytes(data))
    except Exception:  # protobuf's DecodeError and friends: the bytes are not a model
        raise InputError(_("{filename} is not a readable ONNX model (the protobuf does not parse: truncated or not "
                           "an .onnx file). Export it again with torch.onnx.export or onnx.save.").format(
            filename=filename)) from None
    graph = model.graph
    check_structure(graph, filename)
    grus = [(i, n) for i, n in enumerate(graph.node) if n.op_type == "GRU" and n.domain in ("", "ai.onnx")]
    if len(grus) > MAX_GRU_NODES:
        raise InputError(_("{filename} has {count} GRU nodes; gruviz reads at most {cap} from one file. "
                           "Export the part of the model that holds the GRU to explain.").format(
            filename=filename, count=count(len(grus)), cap=count(MAX_GRU_NODES)))
    check_text(graph)
    stored = _stored_tensors(graph)
    nodes = [_node(onnx, n, i, stored, graph.node, limits) for i, n in grus]
    if not nodes:
        ops = [cut(op, 40) for op in sorted({n.op_type for n in graph.node})[:8]]
        raise InputError(_("{filename} has no GRU node in its main graph (its operators: {operators}).").format(
            filename=filename, operators=", ".join(ops) or _("none")))
    return OnnxFile(tuple(nodes))


def _stored_tensors(graph) -> dict:
    """Names whose values are stored in the file: initializers and Constant nodes' values."""
    stored = {t.name: t for t in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.output:
            for attribute in node.attribute:
                if attribute.name == "value" and attribute.HasField("t"):
                    stored[node.output[0]] = attribute.t
    inputs = {i.name for i in graph.input}
    return {name: t for name, t in stored.items() if name not in inputs or name in {i.name for i in graph.initializer}}


def _producer(graph_nodes, name: str) -> str:
    producers = (n for n in graph_nodes if name in n.output)
    found = next(producers, None)
    if found is None:
        return _("a graph input")
    return _("node {name} ({operator})").format(name=shown(found.name, 80), operator=cut(found.op_type, 40))


def _array(onnx, tensor, what: str, limits: Limits) -> np.ndarray:
    limits.check_arrays({what: tuple(tensor.dims)})
    try:
        return np.asarray(onnx.numpy_helper.to_array(tensor))
    except Exception:
        raise InputError(ngettext("{what} ({name}) does not hold the {count} number its shape {shape} declares.",
                                  "{what} ({name}) does not hold the {count} numbers its shape {shape} declares.",
                                  prod(tensor.dims)).format(
            what=what, name=repr(tensor.name[:80]), count=count(prod(tensor.dims)), shape=list(tensor.dims))) from None


def _node(onnx, node, index: int, stored: dict, graph_nodes, limits: Limits) -> FoundNode:
    name = node.name or f"GRU #{index}"
    called = shown(name, 80)  # a name as messages quote it: a 4 MB name must not make a 4 MB message
    inputs = dict(zip(_INPUTS, list(node.input) + [""] * 6))
    attrs = attributes(onnx, node, called)
    notes = []

    def value(key: str, required: bool) -> np.ndarray | None:
        source = inputs[key]
        if not source:
            if required:
                raise InputError(_("GRU node {node} has no {key} input.").format(node=called, key=key))
            return None
        if source in stored:
            return _array(onnx, stored[source], _("{node}'s {key}").format(node=called, key=key), limits)
        where = _producer(graph_nodes, source)
        if key in ("W", "R", "B"):
            raise InputError(_("GRU node {node} takes {key} from {where}: it is computed when the model runs, not "
                               "stored in the file, and gruviz reads only stored numbers. Export with constant folding "
                               "(torch.onnx.export(..., do_constant_folding=True)) so the weights are "
                               "initializers.").format(node=called, key=key, where=where))
        if key == "initial_h":
            note = _("{key} comes from {where}, supplied when the model runs; gruviz uses h0 (--h0, default 0) instead.")
        else:
            note = _("{key} comes from {where}, supplied when the model runs; gruviz uses the whole sequence instead.")
        notes.append(note.format(key=key, where=where))
        return None

    W, R = value("W", True), value("R", True)
    if W.ndim != 3 or R.ndim != 3 or W.shape[1] % 3:
        raise InputError(_("GRU node {node} has W {W} and R {R}; the operator's are (num_directions, 3·hidden_size, "
                           "input_size) and (num_directions, 3·hidden_size, hidden_size).").format(
            node=called, W=W.shape, R=R.shape))
    H, D = W.shape[1] // 3, W.shape[2]
    if "hidden_size" in attrs and attrs["hidden_size"] != H:
        raise InputError(_("GRU node {node} says hidden_size={size} but W has 3·{units} rows.").format(
            node=called, size=attrs["hidden_size"], units=H))
    limits.check_layer(H, D)
    if attrs.get("clip") is not None:
        raise InputError(_(
            "GRU node {node} sets clip={clip}: the operator clips every pre-activation to [−{clip}, {clip}] before "
            "f and g. gruviz's trace has no clipping step (and Keras, PyTorch and the other layouts none either), so "
            "it cannot show these numbers exactly.").format(node=called, clip=f"{attrs['clip']:g}"))
    direction = decoded(attrs.get("direction", b"forward"), _("the direction of GRU node {node}").format(node=called))
    gate, candidate = _activations(attrs, 2 if direction == "bidirectional" else 1, called)
    B, h, lens = value("B", False), value("initial_h", False), value("sequence_lens", False)
    layout = int(attrs.get("layout", 0))
    if h is not None:
        if h.ndim != 3 or h.shape[1 if layout == 0 else 0] != 1:
            raise InputError(_("GRU node {node} stores initial_h of shape {shape}; gruviz shows a batch of one.").format(
                node=called, shape=h.shape))
        h = h if layout == 0 else h.transpose(1, 0, 2)
    if lens is not None and lens.shape != (1,):
        raise InputError(ngettext("GRU node {node} stores sequence_lens for {count} sequence; gruviz shows one.",
                                  "GRU node {node} stores sequence_lens for {count} sequences; gruviz shows one.",
                                  lens.size).format(node=called, count=count(lens.size)))
    config = LayoutConfig(units=H, input_dim=D, activation=candidate, recurrent_activation=gate)
    weights = OnnxGRU(config, W, R, B, h, lens, int(attrs.get("linear_before_reset", 0) != 0), direction, layout)
    return FoundNode(name, weights, tuple(notes))


def _activations(attrs: dict, dirs: int, called: str) -> tuple[str, str]:
    """(gate, candidate) activation names; one pair for both directions. `called`: the node as
    messages quote it."""
    names = [decoded(a, _("an activation of GRU node {node}").format(node=called)) for a in attrs.get("activations", [])]
    if not names:
        return "sigmoid", "tanh"
    if len(names) != 2 * dirs:
        raise InputError(ngettext("GRU node {node} lists {count} activation; the operator takes 2 per direction.",
                                  "GRU node {node} lists {count} activations; the operator takes 2 per direction.",
                                  len(names)).format(node=called, count=count(len(names))))
    alphas, betas = list(attrs.get("activation_alpha", [])), list(attrs.get("activation_beta", []))
    ours = []
    for act in names:
        canonical = next((k for k in _ALPHA | _BETA if k.lower() == act.lower()), act)
        alpha = alphas.pop(0) if canonical in _ALPHA and alphas else None
        beta = betas.pop(0) if canonical in _BETA and betas else None
        # no operator's activation is 40 characters long: a longer name is refused all the same, quoted short
        ours.append(activation_from_onnx(act if len(act) <= 40 else act[:40] + "…", alpha, beta))
    if dirs == 2 and ours[:2] != ours[2:]:
        raise InputError(_("GRU node {node} uses {forward} forward and {reverse} in reverse; gruviz shows one pair "
                           "of activations for both directions.").format(node=called, forward=ours[:2], reverse=ours[2:]))
    return ours[0], ours[1]


def sandbox_items(data: bytes, filename: str, limits: Limits) -> list[tuple[dict, list[np.ndarray]]]:
    """`read_onnx` as plain data, for the sandboxed child (`gruviz.io.sandbox_child`)."""
    items = []
    for found in read_onnx(data, filename, limits).nodes:
        arrays = found.weights.arrays()
        meta = {"name": found.name, "notes": list(found.notes), "keys": list(arrays),
                "config": asdict(found.weights.config), "attributes": found.weights.attributes()}
        items.append((meta, list(arrays.values())))
    return items


def read_onnx_path(path: str, node: str | None = None, limits: Limits = CORE) -> tuple[FoundNode, str]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except OSError as error:
        raise cannot_read(path, error) from None
    return read_onnx(data, path, limits).choose(node)


def write_onnx(weights: OnnxGRU, graph_name: str = "gruviz_gru") -> bytes:
    """A model with one GRU node: X (sequence, batch, input) → Y, Y_h, weights as float32
    initializers (the type onnxruntime's GRU runs), checked by onnx.checker."""
    onnx = _onnx()
    helper, TP = onnx.helper, onnx.TensorProto
    H, D, dirs = weights.config.units, weights.config.input_dim, weights.num_directions
    inits = [onnx.numpy_helper.from_array(weights.W.astype(np.float32), "W"),
             onnx.numpy_helper.from_array(weights.R.astype(np.float32), "R")]
    names = ["X", "W", "R", "", "", ""]
    if weights.B is not None:
        inits.append(onnx.numpy_helper.from_array(weights.B.astype(np.float32), "B"))
        names[3] = "B"
    if weights.sequence_lens is not None:
        inits.append(onnx.numpy_helper.from_array(weights.sequence_lens.astype(np.int32), "sequence_lens"))
        names[4] = "sequence_lens"
    if weights.initial_h is not None:
        inits.append(onnx.numpy_helper.from_array(weights.initial_h.astype(np.float32), "initial_h"))
        names[5] = "initial_h"
    while names[-1] == "":
        names.pop()
    attributes = dict(hidden_size=H, linear_before_reset=weights.linear_before_reset, direction=weights.direction)
    pair = (weights.config.recurrent_activation, weights.config.activation)
    if pair != ("sigmoid", "tanh"):
        spelled = [ONNX_ACTIVATIONS[a] for a in pair] * dirs
        attributes["activations"] = [s[0] for s in spelled]
        alphas, betas = [s[1] for s in spelled if s[1] is not None], [s[2] for s in spelled if s[2] is not None]
        if alphas:
            attributes["activation_alpha"] = alphas
        if betas:
            attributes["activation_beta"] = betas
    node = helper.make_node("GRU", names, ["Y", "Y_h"], name="gru", **attributes)
    graph = helper.make_graph(
        [node], graph_name, [helper.make_tensor_value_info("X", TP.FLOAT, ["sequence", "batch", D])],
        [helper.make_tensor_value_info("Y", TP.FLOAT, ["sequence", dirs, "batch", H]),
         helper.make_tensor_value_info("Y_h", TP.FLOAT, [dirs, "batch", H])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=8,
                              producer_name="gruviz")
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()
