"""What an untrusted ONNX graph must pass before gruviz reads a number from it: its size and
nesting as declared, no tensor kept in another file, every name text, and each GRU attribute of
the type the operator gives it. protobuf parses a damaged file without complaint; these checks
turn what it hands back into refusals that say what is wrong.
"""

from __future__ import annotations

from math import prod

from ..errors import InputError
from ..limits import FILES
from ..text import _, count

ATTRIBUTE_TYPES = {"activation_alpha": "FLOATS", "activation_beta": "FLOATS", "activations": "STRINGS",
                   "clip": "FLOAT", "direction": "STRING", "hidden_size": "INT", "layout": "INT",
                   "linear_before_reset": "INT"}  # the GRU operator's, as opset 14 defines them


def check_text(graph) -> None:
    """Every name the reader uses is text. protobuf hands back bytes for a string field that is
    not UTF-8, which no exporter writes: refused here, before a name reaches a message."""
    def refuse(what: str, value: bytes):
        raise InputError(_("{what} is not UTF-8 text ({value}); ONNX names are UTF-8, so the file is "
                           "damaged. Export the model again with torch.onnx.export or onnx.save.").format(
            what=what, value=repr(value[:40]) + ("…" if len(value) > 40 else "")))

    name, operator, domain, input_, output, attribute = (
        _("name"), _("operator (op_type)"), _("domain"), _("input"), _("output"), _("attribute name"))
    for i, node in enumerate(graph.node):
        fields = [(name, node.name), (operator, node.op_type), (domain, node.domain),
                  *((input_, n) for n in node.input), *((output, n) for n in node.output),
                  *((attribute, a.name) for a in node.attribute)]
        for field, value in fields:
            if isinstance(value, bytes):
                where = _("the {field} of node {number} in the graph")
                refuse(where.format(field=field, number=count(i + 1)), value)
    for kind, values in ((_("the name of an initializer"), graph.initializer),
                         (_("the name of a graph input"), graph.input)):
        for value in values:
            if isinstance(value.name, bytes):
                refuse(kind, value.name)


def decoded(value, what: str) -> str:
    """A string attribute (bytes in ONNX) as text."""
    if not isinstance(value, bytes):
        return str(value)
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        message = _("{what} is not UTF-8 text ({value}); the file is damaged. Export the model again with "
                    "torch.onnx.export or onnx.save.")
        raise InputError(message.format(what=what, value=repr(value[:40]))) from None


def tensors(graph, depth: int = 0):
    """Every tensor stored anywhere in the graph, subgraphs included."""
    if depth > FILES.max_depth:
        raise InputError(_("the graph nests subgraphs deeper than gruviz reads."))
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
        yield sparse.indices
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.HasField("t"):
                yield attribute.t
            yield from attribute.tensors
            if attribute.HasField("g"):
                yield from tensors(attribute.g, depth + 1)
            for sub in attribute.graphs:
                yield from tensors(sub, depth + 1)


def check_structure(graph, filename: str) -> None:
    """Node count, external data and the tensors' declared sizes, before a tensor is read."""
    if len(graph.node) + len(graph.initializer) > FILES.max_objects:
        raise InputError(_("{filename} has {count} nodes and initializers; gruviz reads graphs of at most "
                           "{cap}.").format(filename=filename, count=count(len(graph.node) + len(graph.initializer)),
                                            cap=count(FILES.max_objects)))
    declared = 0
    for tensor in tensors(graph):
        if tensor.data_location == 1 or len(tensor.external_data):  # TensorProto.EXTERNAL
            where = next((e.value for e in tensor.external_data if e.key == "location"), None)
            raise InputError(_(
                "tensor {name} keeps its numbers in an external file ({where}); gruviz reads only what is inside the "
                "upload and never opens other files. Save the model with its weights inside: onnx.save(model, path, "
                "save_as_external_data=False).").format(name=repr(tensor.name[:80]),
                                                        where=repr((where or _("another file"))[:80])))
        if any(d < 0 for d in tensor.dims):
            raise InputError(_("tensor {name} declares a negative dimension {shape}.").format(
                name=repr(tensor.name[:80]), shape=list(tensor.dims)))
        declared += prod(tensor.dims) if tensor.dims else 1
        if declared > FILES.max_unpacked_bytes:
            raise InputError(_("{filename}'s tensors declare over {cap} numbers together (tensor {name} has shape "
                               "{shape}); gruviz reads graphs of a size that fits on screen.").format(
                filename=filename, cap=count(FILES.max_unpacked_bytes), name=repr(tensor.name[:80]),
                shape=list(tensor.dims)[:6]))


def attributes(onnx, node, called: str) -> dict:
    """The operator's attributes by name, each of the type the operator gives it; others are ignored."""
    attrs = {}
    for attribute in node.attribute:
        wanted = ATTRIBUTE_TYPES.get(attribute.name)
        if wanted is None:
            continue
        if attribute.type != getattr(onnx.AttributeProto, wanted):
            held = onnx.AttributeProto.AttributeType.Name(attribute.type) \
                if attribute.type in onnx.AttributeProto.AttributeType.values() else str(attribute.type)
            raise InputError(_("GRU node {node}'s attribute {name} holds {held} where the operator takes "
                               "{wanted}; the file is damaged. Export the model again.").format(
                node=called, name=attribute.name, held=held, wanted=wanted))
        attrs[attribute.name] = onnx.helper.get_attribute_value(attribute)
    return attrs
