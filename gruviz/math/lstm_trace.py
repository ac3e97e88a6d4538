"""Run an LSTM over a sequence and keep every intermediate number, step by step.

Inputs and outputs go through the same functions as the GRU's trace (`trace.read_inputs`,
`trace.shown_output`); only the cell differs. As in the GRU's loop, x W is computed for all
steps before the loop, and each step keeps every number it computed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import lstm_cell
from .cell import gate_pre
from .lstm_weights import LSTMWeights, gate_columns
from .trace import Recorded, project, read_inputs, shown_output
from .weights import as_finite_array


@dataclass(frozen=True, eq=False)
class LSTMTrace(Recorded):
    """Everything one run computed, in processing order like `trace.Trace`."""

    weights: LSTMWeights
    go_backwards: bool
    order: np.ndarray  # (T,) input index processed at each step
    x: np.ndarray  # (T, D)
    mask: np.ndarray  # (T,) False where the step is skipped (h and c carried)
    h0: np.ndarray  # (H,)
    c0: np.ndarray  # (H,)
    xW: np.ndarray  # (T, 4H) x_t W, bias not included
    hU: np.ndarray  # (T, 4H) h_{t-1} U
    i_pre: np.ndarray  # (T, H)
    f_pre: np.ndarray  # (T, H)
    c_tilde_pre: np.ndarray  # (T, H)
    o_pre: np.ndarray  # (T, H)
    i: np.ndarray  # (T, H)
    f: np.ndarray  # (T, H)
    c_tilde: np.ndarray  # (T, H)
    o: np.ndarray  # (T, H)
    c: np.ndarray  # (T, H) cell state after each step
    h: np.ndarray  # (T, H) output state after each step
    sequence_output: np.ndarray  # (T, H) what Keras returns with return_sequences=True

    @property
    def c_prev(self) -> np.ndarray:  # (T, H)
        return np.vstack([self.c0[None, :], self.c[:-1]])

    def part(self, name: str, gate: str) -> np.ndarray:
        """One gate's block of `xW` or `hU`: (T, H)."""
        return getattr(self, name)[:, gate_columns(gate, self.weights.config.units)]


def _gates(a: np.ndarray, cfg):
    """(1)–(4) from the pre-activations a (…, 4H) in blocks i | f | c | o."""
    H = a.shape[-1] // 4  # slices, not np.split: this runs once a step, where call overhead is the cost
    a_i, a_f, a_c, a_o = a[..., :H], a[..., H : 2 * H], a[..., 2 * H : 3 * H], a[..., 3 * H :]
    s, p = cfg.sigma, cfg.phi
    return lstm_cell.i(a_i, s), lstm_cell.f(a_f, s), lstm_cell.c_tilde(a_c, p), lstm_cell.o(a_o, s)


def run(weights: LSTMWeights, x, h0=None, c0=None, go_backwards: bool = False, mask=None) -> LSTMTrace:
    """Trace `weights` over x (T, D), exactly as keras.layers.LSTM computes it, in float64."""
    cfg = weights.config
    H = cfg.units
    x, h0, mask, order = read_inputs(x, h0, mask, go_backwards, cfg.input_dim, H)
    c0 = np.zeros(H) if c0 is None else as_finite_array("c0", c0, (H,))
    xW = project(x, weights.kernel)  # (T, 4H): does not depend on the state
    xw = xW + weights.input_bias  # (T, 4H)
    U, phi = weights.recurrent_kernel, cfg.phi

    # A masked step's gates are still computed (the page shows them); its states are not used.
    rows, h_prev, c_prev = [], h0, c0
    with np.errstate(over="ignore", invalid="ignore"):  # unbounded φ can overflow; shows as inf
        for xw_t, kept in zip(xw, mask.tolist()):
            hu = h_prev @ U  # (4H,)
            a = gate_pre(xw_t, hu)
            i, f, c_tilde, o = _gates(a, cfg)
            c_t = lstm_cell.c(f, c_prev, i, c_tilde)
            h_t = lstm_cell.h(o, c_t, phi)
            if kept:
                h_prev, c_prev = h_t, c_t  # a masked step carries both states unchanged
            rows.append((hu, a, i, f, c_tilde, o, c_prev, h_prev))
    hU, a, i, f, c_tilde, o, c, h = (np.array(column) for column in zip(*rows))
    i_pre, f_pre, c_tilde_pre, o_pre = np.split(a, 4, axis=-1)
    return LSTMTrace(
        weights=weights, go_backwards=go_backwards, order=order, x=x, mask=mask, h0=h0, c0=c0,
        xW=xW, hU=hU, i_pre=i_pre, f_pre=f_pre, c_tilde_pre=c_tilde_pre, o_pre=o_pre,
        i=i, f=f, c_tilde=c_tilde, o=o, c=c, h=h, sequence_output=shown_output(h, mask),
    )


def trace_json(trace: LSTMTrace) -> dict:
    """The CLI's form: every step's numbers, then the outputs."""
    cfg = trace.weights.config
    names = ("x", "i_pre", "f_pre", "c_tilde_pre", "o_pre", "i", "f", "c_tilde", "o", "c", "h")
    steps = [{"t": t, "input_index": int(trace.order[t]), "masked": not bool(trace.mask[t]),
              **{n: getattr(trace, n)[t].tolist() for n in names}} for t in range(trace.steps)]
    return {
        "cell": "lstm",
        "config": {k: getattr(cfg, k) for k in ("units", "input_dim", "use_bias", "activation",
                                                 "recurrent_activation")},
        "go_backwards": trace.go_backwards,
        "h0": trace.h0.tolist(),
        "c0": trace.c0.tolist(),
        "steps": steps,
        "output": trace.output.tolist(),
        "sequence_output": trace.sequence_output.tolist(),
    }
