"""ONNX models of one GRU node, built with onnx.helper for the tests that read or upload them."""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper


def node_model(rng, H, D, direction, lbr, bias=True, initial_h=False, lens=None, activations=None,
               alpha=None, beta=None, layout=0) -> bytes:
    dirs = 2 if direction == "bidirectional" else 1
    inits = [numpy_helper.from_array(rng.normal(size=(dirs, 3 * H, D)).astype(np.float32), "W"),
             numpy_helper.from_array(rng.normal(size=(dirs, 3 * H, H)).astype(np.float32), "R")]
    names = ["X", "W", "R", "", "", ""]
    if bias:
        inits.append(numpy_helper.from_array(rng.normal(size=(dirs, 6 * H)).astype(np.float32), "B"))
        names[3] = "B"
    if lens is not None:
        inits.append(numpy_helper.from_array(np.array([lens], np.int32), "lens"))
        names[4] = "lens"
    if initial_h:
        shape = (dirs, 1, H) if layout == 0 else (1, dirs, H)
        inits.append(numpy_helper.from_array(rng.normal(size=shape).astype(np.float32), "h0"))
        names[5] = "h0"
    extra = {k: v for k, v in (("activations", activations), ("activation_alpha", alpha),
                               ("activation_beta", beta)) if v}
    node = helper.make_node("GRU", names, ["Y", "Y_h"], name="gru_node", hidden_size=H, linear_before_reset=lbr,
                            direction=direction, layout=layout, **extra)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, None)],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], ir_version=8).SerializeToString()
