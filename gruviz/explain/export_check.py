"""Is an exported ONNX GRU the network it came from? The detective, with the node's own
outputs as the claim and the source (a PyTorch state dict, Keras weights, any layout) as
the truth.

The node's numbers are claimed at full precision, so only a mistake that reproduces
every step to ~1e-6 explains them. Between an export and its source, the reset's
placement is ONNX's `linear_before_reset`: that reading of the rewrite is named first.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..layouts import LayoutWeights, OnnxGRU, onnx_outputs, to_keras
from ..text import _
from .claims import Claimed, Typed
from .detective import Diagnosis, diagnose
from .mistakes import Setup

_ONNX_MISTAKE = "linear_before_reset_dropped"


def compare_export(source: LayoutWeights, node: OnnxGRU, x) -> Diagnosis:
    """Where the node's forward direction leaves `source` on x, and which mistake explains it."""
    forward = node.directions()[0]
    weights, rule = to_keras(source)
    x = np.asarray(x, dtype=np.float64)
    steps = onnx_outputs(forward, x).traces[0].h  # (T, H) in processing order
    claims = [Claimed(t, "h", Typed.parse([repr(float(v)) for v in row],
                                          _("the ONNX node's h at step {step}").format(step=t + 1)))
              for t, row in enumerate(steps)]
    start = None if forward.initial_h is None else forward.initial_h[0, 0]
    diagnosis = diagnose(Setup(weights, x[: len(steps)], start, rule), claims)
    ranked = sorted(diagnosis.explanations,
                    key=lambda e: (not e.explains, len(e.mistakes), _ONNX_MISTAKE not in e.id))
    return replace(diagnosis, explanations=tuple(ranked))
