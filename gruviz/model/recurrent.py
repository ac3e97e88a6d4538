r"""GRU, LSTM and Bidirectional layers inside a model: `trace.run` (or `lstm_trace.run`)
unchanged, plus what the Keras layer does around the cell.

    return_sequences=True:   y = (h_1 … h_T) in processing order (reversed with go_backwards)
    return_sequences=False:  y = h_T, the output at the last processed step
    zero_output_for_mask:    masked steps output 0 instead of the last kept output
    Bidirectional:           y = merge(y^→, flip_t(y^←)) with merge concat [y^→, y^←], sum, mul, ave;
                             the backward half is flipped back only with return_sequences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..math import lstm_trace, trace
from ..math.lstm_weights import LSTMWeights
from ..math.weights import GRUWeights

MERGE_MODES = ("concat", "sum", "mul", "ave")


@dataclass(frozen=True, eq=False)
class Recurrent:
    name: str
    kind: str  # "GRU" or "LSTM"
    weights: GRUWeights | LSTMWeights
    return_sequences: bool = False
    go_backwards: bool = False
    zero_output_for_mask: bool = False

    @property
    def units(self) -> int:
        return self.weights.config.units


@dataclass(frozen=True, eq=False)
class Bidirectional:
    name: str
    forward: Recurrent
    backward: Recurrent
    merge_mode: str = "concat"

    @property
    def return_sequences(self) -> bool:
        return self.forward.return_sequences


def run_cell(layer: Recurrent, x: np.ndarray, mask) -> trace.Trace | lstm_trace.LSTMTrace:
    """The cell's whole trace on the sequence this layer receives (T, D)."""
    if layer.kind == "LSTM":
        return lstm_trace.run(layer.weights, x, go_backwards=layer.go_backwards, mask=mask)
    return trace.run(layer.weights, x, go_backwards=layer.go_backwards, mask=mask)


def layer_output(layer: Recurrent, run) -> np.ndarray:
    r"""$y = (h_1 … h_T)$ or $h_T$, in processing order; with zero_output_for_mask,
    $y_t = m_t h_t$. (T, H) or (H,)"""
    sequence = run.sequence_output  # (T, H)
    if layer.zero_output_for_mask:
        sequence = np.where(run.mask[:, None], sequence, 0.0)
    return sequence if layer.return_sequences else sequence[-1]


def recurrent(layer: Recurrent, x: np.ndarray, mask):
    """(output, mask passed on, the cell's trace)."""
    run = run_cell(layer, x, mask)
    return layer_output(layer, run), (mask if layer.return_sequences else None), run


def merge(mode: str, forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    r"""concat: $[y^\to, y^\leftarrow]$; sum: $y^\to + y^\leftarrow$; mul: $y^\to \odot y^\leftarrow$;
    ave: $(y^\to + y^\leftarrow)/2$."""
    if mode == "concat":
        return np.concatenate([forward, backward], axis=-1)
    if mode == "sum":
        return forward + backward
    if mode == "mul":
        return forward * backward
    return (forward + backward) / 2.0


def backward_aligned(layer: Bidirectional, y_backward: np.ndarray) -> np.ndarray:
    r"""$\mathrm{flip}_t(y^\leftarrow)$ with return_sequences, so step t of both halves saw input t."""
    return y_backward[::-1] if layer.return_sequences else y_backward


def bidirectional(layer: Bidirectional, x: np.ndarray, mask):
    """(merged output, mask passed on, (forward trace, backward trace))."""
    y_f, _, run_f = recurrent(layer.forward, x, mask)
    y_b, _, run_b = recurrent(layer.backward, x, mask)
    out = merge(layer.merge_mode, y_f, backward_aligned(layer, y_b))
    return out, (mask if layer.return_sequences else None), (run_f, run_b)
