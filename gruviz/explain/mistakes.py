"""The classic hand-calculation mistakes, as data over the one core.

Each mistake rewrites the inputs of a run (weights, sequence, h0, update rule,
direction) the way a person who made it would have used them, then runs the
same `trace.run`. None of them copies the GRU loop.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from typing import Callable, Iterator

import numpy as np

from ..math.activations import ACTIVATIONS
from ..math.cell import Convention
from ..math.trace import Trace, run
from ..math.weights import GATES, GRUWeights, gate_columns
from ..text import N_, _
from .equations import RULE_FORMULAS, vector


@dataclass(frozen=True, eq=False)
class Setup:
    """Everything one run needs."""

    weights: GRUWeights
    x: np.ndarray  # (T, D)
    h0: np.ndarray | None = None  # (H,)
    convention: Convention = Convention.KERAS
    go_backwards: bool = False
    mask: np.ndarray | None = None  # (T,)

    def run(self) -> Trace:
        return run(self.weights, self.x, self.h0, self.convention, self.go_backwards, self.mask)


Variant = tuple[str, Setup]  # (what exactly was done, the setup it amounts to)

# What exactly was done, said after "if you": a variant's detail. It stays English wherever it
# is data (the detective's JSON, exercises cached for every session, a page's check for
# "PyTorch") and is said in the reader's language where it is shown, with `detail_text`.
SUMMED = N_("used Σx = {vector} as a single timestep")
RULES = {Convention.KERAS: N_("used {formula} (the Keras rule)"),
         Convention.BAHDANAU: N_("used {formula} (the Wikipedia rule)")}
RESET_AFTER = N_("applied the reset after the recurrent matmul: r⊙(h'U_h)")
RESET_BEFORE = N_("applied the reset before the recurrent matmul: (r⊙h')U_h")
LINEAR_BEFORE_RESET = N_("computed the ONNX node with linear_before_reset={used} where the network needs "
                         "{needed}")
ONLY_ROW_0 = N_("used only bias row 0")
ROWS_SWAPPED = N_("read bias row 1 as the input bias and row 0 as the recurrent bias")
ORDERS = {("r", "z", "h"): N_("read the column blocks in the order PyTorch's r, z, n"),
          ("z", "r", "h"): N_("read the column blocks in the order Keras's z, r, h")}
ORDER = N_("read the column blocks in the order {order}")
GATE_ACTIVATION = N_("used {other} as the gate activation instead of {current}")
CANDIDATE_ACTIVATION = N_("used {other} as the candidate activation instead of {current}")
FORWARDS = N_("read the sequence forwards")
BACKWARDS = N_("read the sequence backwards")
H0_ZERO = N_("started from h0 = 0")
PAIR = N_("{first}; and {second}")  # two mistakes, the second on top of the first (the detective's pairs)
PAIR_JOIN = "; and "  # how the detective joins a pair's two details, in English

DETAILS = (SUMMED, *RULES.values(), RESET_AFTER, RESET_BEFORE, LINEAR_BEFORE_RESET, ONLY_ROW_0, ROWS_SWAPPED,
           *ORDERS.values(), ORDER, GATE_ACTIVATION, CANDIDATE_ACTIVATION, FORWARDS, BACKWARDS, H0_ZERO)


def _pattern(template: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
                              for i, part in enumerate(parts)))


_PATTERNS = tuple((template, _pattern(template)) for template in DETAILS)  # the specific ones first


def detail_text(detail: str) -> str:
    """A detail as a variant yields it (English), or a pair the detective joined, in the reader's
    language; a text no variant writes is returned as it is."""
    first, join, second = detail.partition(PAIR_JOIN)
    if join:
        return _(PAIR).format(first=detail_text(first), second=detail_text(second))
    for template, pattern in _PATTERNS:
        found = pattern.fullmatch(detail)
        if found:
            return _(template).format(**found.groupdict())
    return detail


@dataclass(frozen=True)
class Mistake:
    id: str
    english_title: str
    english_explanation: str
    variants: Callable[[Setup], Iterator[Variant]]

    @property
    def title(self) -> str:
        return _(self.english_title)

    @property
    def explanation(self) -> str:
        return _(self.english_explanation)


def _with_arrays(weights: GRUWeights, kernel=None, recurrent=None, bias=None, **config) -> GRUWeights:
    return GRUWeights.create(
        replace(weights.config, **config),
        weights.kernel if kernel is None else kernel,
        weights.recurrent_kernel if recurrent is None else recurrent,
        weights.bias if bias is None else bias,
    )


def _summed(s: Setup) -> Iterator[Variant]:
    if len(s.x) > 1:
        one_step = s.x.sum(axis=0, keepdims=True)  # (1, D)
        yield SUMMED.format(vector=vector(one_step[0])), replace(
            s, x=one_step, mask=None, go_backwards=False
        )


def _flipped_rule(s: Setup) -> Iterator[Variant]:
    other = Convention.BAHDANAU if s.convention is Convention.KERAS else Convention.KERAS
    yield RULES[other].format(formula=RULE_FORMULAS[other]), replace(s, convention=other)


def _reset_swapped(s: Setup) -> Iterator[Variant]:
    after = not s.weights.config.reset_after
    yield RESET_AFTER if after else RESET_BEFORE, replace(s, weights=s.weights.with_config(reset_after=after))


def _linear_before_reset_dropped(s: Setup) -> Iterator[Variant]:
    # ONNX linear_before_reset=0 adds Rb_h outside r ⊙ (…), exactly as reset_after=False
    # folds bias row 1 into row 0: the same rewrite, named the way an exporter makes it.
    lbr = int(s.weights.config.reset_after)
    yield LINEAR_BEFORE_RESET.format(used=1 - lbr, needed=lbr), replace(
        s, weights=s.weights.with_config(reset_after=not s.weights.config.reset_after))


def _recurrent_bias_dropped(s: Setup) -> Iterator[Variant]:
    w = s.weights
    if w.bias is not None and w.bias.ndim == 2 and np.any(w.bias[1]):
        yield ONLY_ROW_0, replace(s, weights=_with_arrays(w, bias=np.stack([w.bias[0], 0 * w.bias[1]])))


def _bias_rows_swapped(s: Setup) -> Iterator[Variant]:
    w = s.weights
    if w.bias is not None and w.bias.ndim == 2 and not np.array_equal(w.bias[0], w.bias[1]):
        yield ROWS_SWAPPED, replace(
            s, weights=_with_arrays(w, bias=w.bias[::-1])
        )


def _gate_orders(s: Setup) -> Iterator[Variant]:
    H = s.weights.config.units
    for order in itertools.permutations(GATES):
        if order == GATES:
            continue
        # The person took block i to be gate order[i]; so gate g reads block order.index(g).
        columns = np.concatenate([np.arange(3 * H)[gate_columns(GATES[order.index(g)], H)] for g in GATES])
        w = s.weights
        bias = None if w.bias is None else w.bias[..., columns]
        said = ORDERS[order] if order in ORDERS else ORDER.format(order=", ".join(order))
        yield said, replace(
            s, weights=_with_arrays(w, w.kernel[:, columns], w.recurrent_kernel[:, columns], bias)
        )


def _activation_swap(pairs: dict[str, str], field: str, said: str) -> Callable[[Setup], Iterator[Variant]]:
    """`said`: the detail's sentence, with {other} and {current} for the two activations."""
    def variants(s: Setup) -> Iterator[Variant]:
        current = getattr(s.weights.config, field)
        for other in pairs.get(current, ()):
            yield said.format(other=other, current=current), replace(
                s, weights=s.weights.with_config(**{field: other})
            )

    return variants


def _reversed(s: Setup) -> Iterator[Variant]:
    if len(s.x) > 1:
        yield (FORWARDS if s.go_backwards else BACKWARDS), replace(
            s, go_backwards=not s.go_backwards
        )


def _h0_ignored(s: Setup) -> Iterator[Variant]:
    if s.h0 is not None and np.any(s.h0):
        yield H0_ZERO, replace(s, h0=None)


MISTAKES: tuple[Mistake, ...] = (
    Mistake(
        "sequence_summed_into_one_step",
        N_("The whole sequence as one input"),
        N_("A GRU reads a sequence one timestep at a time, carrying h from step to step. Multiplying the "
          "kernel by all the inputs at once (or by their sum) runs a single step instead."),
        _summed,
    ),
    Mistake(
        "update_rule_flipped",
        N_("Update rule flipped"),
        N_("The Keras rule (Keras, PyTorch, Cho et al.) keeps the old state with z: h = z·h′ + (1−z)·h̃. The "
          "Wikipedia rule (Wikipedia, Chung et al., many tutorials) writes h = (1−z)·h′ + z·h̃. Same weights, "
          "other numbers."),
        _flipped_rule,
    ),
    Mistake(
        "reset_placement_swapped",
        N_("Reset before vs after the matmul"),
        # Plain text, not LaTeX: the page shows it as Markdown, where b^h_h would read as it is typed.
        N_("Keras 3 defaults to reset_after=True: h̃ = φ(x·Wₕ + bˣₕ + r⊙(h′·Uₕ + bʰₕ)). Older Keras, "
          "TF1 and the papers use reset before: φ(x·Wₕ + bₕ + (r⊙h′)·Uₕ)."),
        _reset_swapped,
    ),
    Mistake(
        "linear_before_reset_dropped",
        N_("ONNX linear_before_reset dropped"),
        N_("PyTorch and Keras 3 GRUs export to ONNX with linear_before_reset=1: h̃ = g(X·Wₕᵀ + Wbₕ + "
          "r⊙(H·Rₕᵀ + Rbₕ)). An exporter or hand-built node that leaves it out gets the operator's default 0, "
          "g(X·Wₕᵀ + (r⊙H)·Rₕᵀ + Rbₕ + Wbₕ): same arrays, other numbers (or the reverse)."),
        _linear_before_reset_dropped,
    ),
    Mistake(
        "recurrent_bias_ignored",
        N_("Second bias row dropped"),
        N_("With reset_after=True Keras stores the bias as (2, 3·units): row 0 is added to x·W, row 1 to "
          "h′·U, inside the reset for the candidate."),
        _recurrent_bias_dropped,
    ),
    Mistake(
        "bias_rows_swapped",
        N_("Bias rows swapped"),
        N_("Row 0 of the (2, 3·units) bias is the input bias, row 1 the recurrent bias. For z and r only "
          "their sum matters, but the candidate's recurrent bias is multiplied by r."),
        _bias_rows_swapped,
    ),
    Mistake(
        "gate_order_swapped",
        N_("Gate blocks read in another order"),
        N_("Keras's kernel columns are z | r | h. PyTorch stacks r, z, n and TF1's GRUCell r, u."),
        _gate_orders,
    ),
    Mistake(
        "hard_sigmoid_variant_swapped",
        N_("Which hard sigmoid"),
        N_("Keras 3's hard_sigmoid is clip(x/6 + 0.5); Keras 2 and tf.keras used clip(0.2x + 0.5) under the "
          "same name."),
        _activation_swap(
            {"hard_sigmoid": ("hard_sigmoid_legacy",), "hard_sigmoid_legacy": ("hard_sigmoid",)},
            "recurrent_activation",
            GATE_ACTIVATION,
        ),
    ),
    Mistake(
        "sigmoid_vs_hard_sigmoid",
        N_("Sigmoid vs hard sigmoid"),
        N_("Keras 1.x–2.2 defaulted to hard_sigmoid gates; Keras 2.3 and later use the sigmoid."),
        _activation_swap(
            {
                "sigmoid": ("hard_sigmoid", "hard_sigmoid_legacy"),
                "hard_sigmoid": ("sigmoid",),
                "hard_sigmoid_legacy": ("sigmoid",),
            },
            "recurrent_activation",
            GATE_ACTIVATION,
        ),
    ),
    Mistake(
        "sequence_reversed",
        N_("Sequence direction"),
        N_("With go_backwards=True Keras reads x from the last step to the first and returns the outputs "
          "in that processing order."),
        _reversed,
    ),
    Mistake(
        "initial_state_ignored",
        N_("Initial state forgotten"),
        N_("A non-zero initial state changes every step; Keras uses zeros only when none is passed."),
        _h0_ignored,
    ),
    Mistake(
        "candidate_activation_missing",
        N_("Candidate activation forgotten"),
        N_("h̃ = φ(…) with φ = tanh by default; leaving out φ uses the raw pre-activation."),
        _activation_swap(
            {name: ("linear",) for name in ACTIVATIONS if name != "linear"},
            "activation",
            CANDIDATE_ACTIVATION,
        ),
    ),
)

BY_ID = {mistake.id: mistake for mistake in MISTAKES}


@dataclass(frozen=True, eq=False)
class Outcome:
    mistake: Mistake
    detail: str  # English: said with `detail_text`
    trace: Trace


def outcomes(setup: Setup) -> list[Outcome]:
    """Every applicable variant of every mistake, run on the same numbers."""
    return [Outcome(m, detail, variant.run()) for m in MISTAKES for detail, variant in m.variants(setup)]
