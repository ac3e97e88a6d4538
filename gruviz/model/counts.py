r"""How many numbers each layer learns, as Keras's `count_params()` counts them, with the
formula written out and the numbers filled in (a `model.summary()` that shows its work).

    GRU:                     3·(D·H + H·H + H), plus 3·H with reset_after
    LSTM:                    4·(D·H + H·H + H)
    Bidirectional:           2 × the wrapped layer
    Dense:                   (in + 1)·out, in·out without a bias
    TimeDistributed(Dense):  the same, shared over timesteps; a different Dense per step: T·(in + 1)·out
    Embedding:               V·d
"""

from __future__ import annotations

from dataclasses import dataclass

from ..math import params
from ..text import _
from . import layers as L
from .recurrent import Bidirectional, Recurrent


@dataclass(frozen=True)
class Count:
    params: int
    formula: str  # with symbols, e.g. "(in + 1)·out"
    filled: str  # with the numbers, e.g. "(8 + 1)·3 = 27"
    note: str = ""


def _recurrent(layer: Recurrent) -> Count:
    cfg = layer.weights.config
    D, H, gates = cfg.input_dim, cfg.units, (4 if layer.kind == "LSTM" else 3)
    bias = cfg.use_bias
    two_rows = layer.kind == "GRU" and bias and cfg.reset_after
    n = params.lstm(H, D, bias) if layer.kind == "LSTM" else params.gru(H, D, cfg.reset_after, bias)
    formula = f"{gates}·(D·H + H·H{' + H' if bias else ''})" + (" + 3·H" if two_rows else "")
    filled = f"{gates}·({D}·{H} + {H}·{H}{f' + {H}' if bias else ''})" + (f" + 3·{H}" if two_rows else "")
    return Count(n, formula, f"{filled} = {n}")


def _dense(layer: L.Dense, steps: int | None = None) -> Count:
    i, o = layer.kernel.shape
    bias = layer.bias is not None
    n = (i + 1) * o if bias else i * o
    formula, filled = ("(in + 1)·out", f"({i} + 1)·{o} = {n}") if bias else ("in·out", f"{i}·{o} = {n}")
    if steps is None:
        return Count(n, formula, filled)
    per_step = steps * n
    note = _("one Dense shared by all {steps} timesteps; a different Dense per timestep would need "
             "{equation}").format(steps=steps, equation=f"T·{formula} = {steps}·{n} = {per_step}")
    return Count(n, _("{formula}, shared over timesteps").format(formula=formula), filled, note)


def count(layer, steps: int | None = None) -> Count:
    """`steps`: the sequence length, to compare TimeDistributed with a Dense per timestep."""
    if isinstance(layer, Recurrent):
        return _recurrent(layer)
    if isinstance(layer, Bidirectional):
        half = _recurrent(layer.forward)
        expression = half.filled.rsplit(" = ", 1)[0]
        return Count(2 * half.params, f"2 × ({half.formula})", f"2 × ({expression}) = {2 * half.params}",
                     _("forward and backward halves"))
    if isinstance(layer, L.TimeDistributed):
        return _dense(layer.layer, steps)
    if isinstance(layer, L.Dense):
        return _dense(layer)
    if isinstance(layer, L.Embedding):
        V, d = layer.embeddings.shape
        return Count(V * d, "V·d", f"{V}·{d} = {V * d}")
    return Count(0, "0", "0")
