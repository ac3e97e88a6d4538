"""The exact rewrites between GRU variants, and the reasons when none exists.

Three things differ between layouts besides names and orientation:

- where the reset acts: reset after, r ⊙ (h U_h + b^h_h), versus reset before,
  (r ⊙ h) U_h. They agree only when U_h is diagonal (always for units=1) and, going
  to reset before, the candidate's recurrent bias b^h_h is zero;
- whether a recurrent bias exists: dl4mt has none. For z and r only b^x + b^h
  matters, so that part folds into the input bias; b^h_h is multiplied by r and
  cannot fold;
- the update rule: σ(−a) = 1 − σ(a) for symmetric gates, so negating z's
  parameters swaps the Keras and Bahdanau rules exactly.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..math.weights import GRUWeights, gate_columns
from ..text import _

# Gates for which σ(−a) = 1 − σ(a) holds exactly, so negating z's parameters turns
# one update rule into the other. tanh, relu, linear and softsign are not symmetric
# about ½: for them no weights change the rule.
SYMMETRIC_GATES = ("sigmoid", "hard_sigmoid", "hard_sigmoid_legacy")


class ConversionRefused(InputError):
    """No weights in the target layout compute the same numbers; the message says why."""


def _off_diagonal(U_h: np.ndarray) -> tuple[float, tuple[int, int]] | None:
    """The largest off-diagonal entry of U_h and where it is, or None if U_h is diagonal."""
    off = np.abs(U_h - np.diag(np.diag(U_h)))
    if not off.any():
        return None
    where = np.unravel_index(int(off.argmax()), off.shape)
    return float(U_h[where]), (int(where[0]), int(where[1]))


def _vector(values: np.ndarray) -> str:
    return np.array2string(values, precision=6, separator=", ")


def _diagonal_note(w: GRUWeights) -> str:
    if w.config.units == 1:
        if w.config.reset_after:
            return _("U_h is diagonal (as it always is for units=1), so (r ⊙ h) U_h = r ⊙ (h U_h): moving the reset "
                     "before the matmul is exact.")
        return _("U_h is diagonal (as it always is for units=1), so (r ⊙ h) U_h = r ⊙ (h U_h): moving the reset "
                 "after the matmul is exact.")
    if w.config.reset_after:
        return _("U_h is diagonal, so (r ⊙ h) U_h = r ⊙ (h U_h): moving the reset before the matmul is exact.")
    return _("U_h is diagonal, so (r ⊙ h) U_h = r ⊙ (h U_h): moving the reset after the matmul is exact.")


def to_reset_after(w: GRUWeights, title: str) -> tuple[GRUWeights, str]:
    off = _off_diagonal(w.U("h"))
    if off is not None:
        value, (i, j) = off
        raise ConversionRefused(_(
            "{layout} applies the reset after the recurrent matmul, r ⊙ (h U_h + b), but these weights use "
            "reset_after=False, which computes (r ⊙ h) U_h. The two agree only when U_h is diagonal, and this "
            "U_h has off-diagonal entries ({entry}), so no {layout} weights compute the same outputs. A Keras "
            "model built with reset_after=True (the Keras 3 default) converts exactly."
        ).format(layout=title, entry=f"U_h[{i}, {j}] = {value:.6g}"))
    # with_config puts the whole reset_after=False bias in row 0: all of it sits beside x W.
    return w.with_config(reset_after=True), _diagonal_note(w)


def to_reset_before(w: GRUWeights, title: str) -> tuple[GRUWeights, str]:
    problems = []
    off = _off_diagonal(w.U("h"))
    if off is not None:
        value, (i, j) = off
        problems.append(_("U_h has off-diagonal entries ({entry})").format(entry=f"U_h[{i}, {j}] = {value:.6g}"))
    b_hh = w.b_h("h")
    if np.any(b_hh):
        H = w.config.units
        equation = f"bʰₕ = bias[1, {2 * H}:{3 * H}] = {_vector(b_hh)}"
        problems.append(_("{equation} is not zero").format(equation=equation))
    if problems:
        raise ConversionRefused(_(
            "{layout} applies the reset before the recurrent matmul, (r ⊙ h) U_h, but these weights use "
            "reset_after=True, which computes r ⊙ (h U_h + bʰₕ). The two agree only when U_h is diagonal and "
            "the candidate's recurrent bias bʰₕ is zero; here {problems}, so no {layout} weights compute the same "
            "outputs. A Keras model built with reset_after=False converts exactly."
        ).format(layout=title, problems=problems[0] if len(problems) == 1 else _("{first} and {second}").format(
            first=problems[0], second=problems[1])))
    # For z and r only b^x + b^h matters; with_config adds the rows.
    return w.with_config(reset_after=False), _diagonal_note(w)


def without_recurrent_bias(w: GRUWeights, title: str) -> tuple[GRUWeights, str | None]:
    """Reset-after weights whose bias row 1 is zero, folding what can be folded."""
    if w.bias is None or not np.any(w.recurrent_bias):
        return w, None
    H = w.config.units
    b_hh = w.b_h("h")
    if np.any(b_hh):
        raise ConversionRefused(_(
            "{layout} has no bias inside the reset: its candidate is φ(x W_x + b_x + r ⊙ (h U_x)). These weights "
            "have a candidate recurrent bias {equation}, which is multiplied by r, so no {layout} bias reproduces "
            "it. (The z and r parts of bias row 1 would fold into b: for the gates only bˣ + bʰ matters.)"
        ).format(layout=title, equation=f"bʰₕ = bias[1, {2 * H}:{3 * H}] = {_vector(b_hh)}"))
    bias = np.stack([w.input_bias + w.recurrent_bias, np.zeros(3 * H)])
    folded = GRUWeights.create(w.config, w.kernel, w.recurrent_kernel, bias)
    return folded, _("bias row 1's z and r parts were added to row 0: for the gates only bˣ + bʰ matters, and "
                     "{layout} has one bias for them.").format(layout=title)


def prepared(w: GRUWeights, target) -> tuple[GRUWeights, tuple[str, ...]]:
    """`w` rewritten exactly into the reset placement and biases `target` (a Layout
    class) can hold, with a note for each rewrite; ConversionRefused if impossible."""
    notes = []
    if w.config.reset_after != target.RESET_AFTER:
        move = to_reset_after if target.RESET_AFTER else to_reset_before
        w, note = move(w, target.TITLE)
        notes.append(note)
    if not target.RECURRENT_BIAS:
        w, note = without_recurrent_bias(w, target.TITLE)
        if note:
            notes.append(note)
    return w, tuple(notes)


def can_negate_z(recurrent_activation: str) -> bool:
    return recurrent_activation in SYMMETRIC_GATES


def negate_z(w: GRUWeights) -> GRUWeights:
    """z's parameters negated: σ(−a) = 1 − σ(a) turns one update rule into the other.
    Exact only for symmetric gates; callers check `can_negate_z` first."""
    if not can_negate_z(w.config.recurrent_activation):
        raise ConversionRefused(negate_refusal(w.config.recurrent_activation))
    z = gate_columns("z", w.config.units)

    def flipped(array: np.ndarray | None) -> np.ndarray | None:
        if array is None:
            return None
        array = array.copy()
        array[..., z] = -array[..., z] + 0.0  # + 0.0 turns -0.0 into 0.0
        return array

    return GRUWeights.create(w.config, flipped(w.kernel), flipped(w.recurrent_kernel), flipped(w.bias))


def negate_refusal(recurrent_activation: str) -> str:
    return _(
        "negating z's parameters swaps the update rules only when σ(−a) = 1 − σ(a), which holds for {gates} but "
        "not for the gate activation {activation}: the numbers would change. Keep the update rule instead "
        "(keep_rule=True, --keep-rule)."
    ).format(gates=", ".join(SYMMETRIC_GATES), activation=repr(recurrent_activation))
