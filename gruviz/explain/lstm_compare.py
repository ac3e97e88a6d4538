r"""GRU next to LSTM, as data: the matched LSTM built from a GRU, the memory demo's
gradients, the parameter table, and the sentences the page writes from these numbers.

The matched LSTM gives each GRU role to the LSTM part that plays it (Keras's rule
h_t = z ⊙ h_{t-1} + (1 − z) ⊙ h~):

    f ← z        W_f = W_z,  U_f = U_z,  b_f = b^x_z + b^h_z      (what keeps the old state)
    i ← 1 − z    W_i = −W_z, U_i = −U_z, b_i = −b_f               (exact when σ(−a) = 1 − σ(a))
    c~ ← h~      W_c = W_h,  U_c = U_h,  b_c = b^x_h + b^h_h      (with r taken as 1: no reset gate)
    o ← 1        W_o = 0,    U_o = 0,    b_o = open_bias(σ)         (the GRU shows its whole state)

What cannot match: the LSTM has no reset gate, and it shows φ(c_t), not c_t itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..math import params
from ..math.backward import backward
from ..math.lstm_backward import backward as lstm_backward
from ..math.lstm_trace import LSTMTrace
from ..math.lstm_trace import run as run_lstm
from ..math.lstm_weights import LSTMConfig, LSTMWeights
from ..math.trace import Trace, run
from ..math.weights import GRUWeights
from ..text import _, count, decimal, ngettext

OPEN_BIASES = (1.0, 20.0, 1e9)  # the smallest b_o with σ(b_o) within 1e-8 of 1 holds the output gate open
FLOOR = 1e-16  # the memory demo's log axis starts here; smaller norms are below anything float64 resolves


def is_symmetric(sigma) -> bool:
    """σ(−a) = 1 − σ(a): true for sigmoid and both hard sigmoids, false for the others."""
    a = np.linspace(-8, 8, 161)
    return bool(np.allclose(sigma.fn(-a), 1.0 - sigma.fn(a), atol=1e-12))


def open_bias(sigma) -> float:
    """The b_o that holds o = σ(b_o) open: 1 for linear and relu, 20 for the sigmoids and tanh
    (σ(20) = 1 − 2·10⁻⁹), 10⁹ for softsign, whose approach to 1 is slow."""
    return next((b for b in OPEN_BIASES if abs(float(sigma.fn(np.array(b))) - 1.0) < 1e-8), OPEN_BIASES[-1])


@dataclass(frozen=True, eq=False)
class Matched:
    weights: LSTMWeights
    coupled: bool  # i = 1 − z exactly
    notes: tuple[str, ...]


def matched_lstm(gru: GRUWeights) -> Matched:
    """The LSTM playing the GRU's roles (see the module docstring)."""
    cfg = gru.config
    b = {g: gru.b_x(g) + gru.b_h(g) for g in "zrh"}  # each (H,); zeros without a bias
    kernel = np.hstack([-gru.W("z"), gru.W("z"), gru.W("h"), np.zeros_like(gru.W("z"))])  # (D, 4H)
    recurrent = np.hstack([-gru.U("z"), gru.U("z"), gru.U("h"), np.zeros_like(gru.U("z"))])  # (H, 4H)
    b_o = open_bias(cfg.sigma)
    bias = np.concatenate([-b["z"], b["z"], b["h"], np.full(cfg.units, b_o)])  # (4H,)
    config = LSTMConfig(cfg.units, cfg.input_dim, True, cfg.activation, cfg.recurrent_activation)
    coupled = is_symmetric(cfg.sigma)
    notes = [
        _("f takes z's weights: the forget gate keeps cₜ₋₁ as z keeps hₜ₋₁."),
        _("i takes z's weights negated, so i = 1 − z: the LSTM's two gates coupled the way the GRU's one is.")
        if coupled else _("i takes z's weights negated, but {sigma}(−a) ≠ 1 − {sigma}(a), so here i is not "
                          "1 − z.").format(sigma=cfg.recurrent_activation),
        _("c̃ takes h̃'s weights with both bias rows added; the GRU's reset gate r has no LSTM counterpart, "
          "so the candidate sees all of hₜ₋₁ (r = 1)."),
        _("o is held open (W_o = U_o = 0, b_o = {b_o}, o ≈ 1), because a GRU shows its whole state; "
          "the LSTM still shows {phi}(cₜ), not cₜ.").format(b_o=f"{b_o:g}", phi=cfg.activation),
    ]
    if not cfg.use_bias:
        notes.append(_("The GRU has no bias; the LSTM needs one for the open output gate (the others are 0)."))
    return Matched(LSTMWeights.create(config, kernel, recurrent, bias), coupled, tuple(notes))


# ----------------------------------------------------------------------------- memory demo


@dataclass(frozen=True, eq=False)
class Memory:
    """‖∂L/∂h_t‖ and ‖∂L/∂c_t‖ for L = Σ_j h_{T,j}, each (T,), on the same long input."""

    x: np.ndarray  # (T, D)
    gru_h: np.ndarray
    lstm_h: np.ndarray
    lstm_c: np.ndarray

    @property
    def steps(self) -> int:
        return len(self.x)


def memory(gru: GRUWeights, lstm: LSTMWeights, steps: int, seed: int = 0) -> Memory:
    """Both cells on the same `steps` random inputs x_t ~ N(0, 1); gradients by BPTT."""
    x = np.random.default_rng(seed).normal(0, 1, (steps, gru.config.input_dim))  # (T, D)
    g = backward(run(gru, x), "sum")
    ls = lstm_backward(run_lstm(lstm, x), "sum")
    norm = lambda a: np.linalg.norm(a, axis=1)  # noqa: E731 — (T, H) → (T,)
    return Memory(x, norm(g.dh), norm(ls.dh), norm(ls.dc))


def decades_lost(norms: np.ndarray) -> float:
    """How many powers of ten the gradient falls from the last step back to the first."""
    last, first = norms[-1], norms[0]
    if not (np.isfinite(first) and np.isfinite(last)) or last <= 0:
        return float("nan")
    return float(np.log10(last / max(first, FLOOR)))


def steps_to_floor(norms: np.ndarray) -> int | None:
    """Counting back from the last step, how many steps until the norm is below FLOOR (None: never)."""
    below = np.flatnonzero(norms[::-1] < FLOOR)
    return int(below[0]) if len(below) else None


def _say(name: str, norms: np.ndarray) -> str:
    """What one norm line does, as a clause of `memory_sentence`; `name` a noun phrase, translated."""
    lost = decades_lost(norms)
    if not np.isfinite(lost):
        return _("{name} leaves float64's range (it explodes)").format(name=name)
    back = steps_to_floor(norms)
    if back is not None:
        return ngettext("{name} falls below 10⁻¹⁶, off the axis, within {n} step",
                        "{name} falls below 10⁻¹⁶, off the axis, within {n} steps", back).format(
            name=name, n=count(back))
    if lost < 0:
        return _("{name} grows by {n} powers of ten").format(name=name, n=decimal(-lost, 1))
    return _("{name} loses {n} powers of ten").format(name=name, n=decimal(lost, 1))


def memory_sentence(m: Memory) -> str:
    """What the memory picture shows, in one sentence, from its numbers."""
    back = m.steps - 1
    return ngettext(
        "Going back {n} step from the loss to the first input, {gru}; {lstm} and {cell}. The flatter a line, the "
        "longer that cell remembers: an input whose gradient is off the axis can no longer change the loss.",
        "Going back {n} steps from the loss to the first input, {gru}; {lstm} and {cell}. The flatter a line, the "
        "longer that cell remembers: an input whose gradient is off the axis can no longer change the loss.",
        back).format(n=count(back), gru=_say(_("the GRU’s ‖∂L/∂h‖"), m.gru_h),
                     lstm=_say(_("the LSTM’s ‖∂L/∂h‖"), m.lstm_h),
                     cell=_say(_("its cell state’s ‖∂L/∂c‖"), m.lstm_c))


# ----------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class ParamRow:
    cell: str
    formula: str
    filled: str
    count: int


def param_rows(units: int, input_dim: int, use_bias: bool = True) -> list[ParamRow]:
    D, H = input_dim, units
    c = params.Counts.of(H, D, use_bias)
    b = " + H" if use_bias else ""
    n = f" + {H}" if use_bias else ""
    return [
        ParamRow(_("GRU, reset_after=True (Keras 3 default)"), f"3·(D·H + H·H{b})" + (" + 3·H" if use_bias else ""),
                 f"3·({D}·{H} + {H}·{H}{n})" + (f" + 3·{H}" if use_bias else ""), c.gru_reset_after),
        ParamRow("GRU, reset_after=False", f"3·(D·H + H·H{b})", f"3·({D}·{H} + {H}·{H}{n})", c.gru_reset_before),
        ParamRow("LSTM", f"4·(D·H + H·H{b})", f"4·({D}·{H} + {H}·{H}{n})", c.lstm),
    ]


def ratio_curve(input_dim: int, largest: int = 1024, use_bias: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """H = 1 … largest (doubling) and GRU/LSTM parameter ratios for both resets; both tend to 3/4."""
    H = 2 ** np.arange(int(np.log2(largest)) + 1)
    after = np.array([params.gru(int(h), input_dim, True, use_bias) / params.lstm(int(h), input_dim, use_bias) for h in H])
    before = np.array([params.gru(int(h), input_dim, False, use_bias) / params.lstm(int(h), input_dim, use_bias)
                       for h in H])
    return H, after, before


def answer(gru: Trace, lstm: LSTMTrace, m: Memory | None) -> list[str]:
    """The short written answer, built on the numbers on screen."""
    cfg = gru.weights.config
    gru_count = params.gru(cfg.units, cfg.input_dim, cfg.reset_after, cfg.use_bias)
    lstm_count = params.lstm(cfg.units, cfg.input_dim, cfg.use_bias)
    paragraphs = [
        _("**Same idea, different bookkeeping.** Both cells decide, unit by unit and step by step, how much of the "
          "old state to keep and how much new content to write. The LSTM uses two gates for this, f (keep) and "
          "i (write), and nothing ties them together; the GRU uses one, z, and writes exactly what it does not keep "
          "(1 − z). The matched LSTM on this page makes that literal: f = z and i = 1 − z, gate for gate."),
        _("**What the GRU does without.** The LSTM keeps its memory c apart from what it shows, h = o ⊙ φ(c): "
          "the output gate o can hide memory without erasing it. The GRU has no o and no separate c; its state h "
          "is memory and output at once. In return it has the reset gate r, which decides how much of hₜ₋₁ the "
          "candidate may look at, and which has no LSTM counterpart."),
        _("**Parameters.** For these sizes (D = {d}, H = {h}) this GRU has {gru} numbers and an LSTM {lstm}: "
          "{share}. Three weight blocks instead of four, so the ratio tends to 3/4 as H grows: fewer parameters, "
          "slightly faster steps, not a different kind of model.").format(
            d=cfg.input_dim, h=cfg.units, gru=count(gru_count), lstm=count(lstm_count),
            share=f"{gru_count / lstm_count:.0%}"),
    ]
    if m is not None:
        paragraphs.append(_(
            "**Memory.** {memory} Neither cell is guaranteed to remember longer: it depends on the weights (a "
            "fresh Keras LSTM starts with b_f = 1, i.e. f ≈ 0.73, which is why its cell-state line often falls "
            "more slowly). In practice the two usually reach similar accuracy; try both.").format(
            memory=memory_sentence(m)))
    return paragraphs
