"""Grading a hand-worked exercise, one typed number at a time.

Each number is judged at the precision the exercise asks for, `answer_decimals` = k:
it is right when |typed − truth| ≤ ½·10^-k (plus `SLACK` for float error), half a unit
of the last asked decimal. More decimals than asked are welcome and judged the same way
(0.12344 is right for a truth of 0.123456 asked to 4 decimals), never more strictly.
Fewer decimals than asked are neither right nor wrong: the number is "short" and the
student is asked for k decimals; it is not counted right, not sent to the detective, and
not named as a wrong input of later numbers.

A wrong one gets: the earlier numbers it was built on that are already wrong, the mistake
that reproduces it (the detective's ranking, hearing every number at the asked precision),
and a hint: its equation from `equations.step_lines`, filled in with the student's own
earlier numbers and a "?" wherever the student has not written a number yet.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace

import numpy as np

from ..errors import InputError
from ..explain.claims import QUANTITIES, Claimed, Typed
from ..explain.detective import diagnose
from ..explain.equations import step_lines
from ..explain.fit import COLUMN, fit
from ..io.parsing import decimal_comma
from ..math.cell import Convention
from ..math.trace import Trace
from ..text import _, ngettext
from .exercises import Exercise

Cell = tuple[int, str, int]  # (t from 0, quantity, unit)
SYMBOL = {"z": "z", "r": "r", "h_tilde": "h̃", "h": "h"}
_LINE = {"z": 0, "r": 1, "h_tilde": 2}  # which of step_lines' equations computes each quantity
UNKNOWN = r"\,?\,"  # what a hint shows for a number the student has not written yet
TYPED_MAX = 40  # characters of one typed number: more is no number a student means
SLACK = 1e-9  # float error in |typed − truth|; far below any asked half unit (5e-5 at 4 decimals)


def name(cell: Cell) -> str:
    """How the page names a number: steps and units count from 1, as a person counts (h_0 is the
    initial state); `h2[1]` is h of step 2, unit 1."""
    t, quantity, unit = cell
    return f"{SYMBOL[quantity]}{t + 1}[{unit + 1}]"


def key(cell: Cell) -> str:
    """The cell in a link and in stored answers, counted from 0 as the arrays are: `h_tilde.2.0`."""
    t, quantity, unit = cell
    return f"{quantity}.{t}.{unit}"


def from_key(text: str, exercise: Exercise) -> Cell:
    quantity, _dot, rest = text.partition(".")
    t, _dot, unit = rest.partition(".")
    if quantity not in QUANTITIES or not t.isdigit() or not unit.isdigit():
        raise InputError(_("{text} names no number of this exercise; use e.g. z.0.0 (z of step 1, unit 1: "
                           "a link counts both from 0).").format(text=repr(text)))
    cell = (int(t), quantity, int(unit))
    if cell not in exercise.cells():
        raise InputError(ngettext("{number} is not part of this exercise ({steps} steps, {units} unit).",
                                  "{number} is not part of this exercise ({steps} steps, {units} units).",
                                  exercise.units).format(number=name(cell), steps=exercise.steps,
                                                         units=exercise.units))
    return cell


@dataclass(frozen=True)
class Feedback:
    cell: Cell
    typed: str
    status: str  # right | wrong | short (fewer decimals than asked) | invalid (not a number)
    message: str = ""  # what is wrong with text that is not a number, or how many decimals to write
    wrong_inputs: tuple[Cell, ...] = ()  # earlier numbers it was built on, typed wrong
    mistake: str = ""  # the detective's best story, empty when nothing reproduces the number
    mistake_id: str = ""
    hint: str = ""  # LaTeX
    note: str = ""  # how the text was read, when not as typed: a decimal comma read as a point


@dataclass(frozen=True)
class Grades:
    feedback: tuple[Feedback, ...]  # in the order a person computes the numbers
    total: int

    @property
    def right(self) -> int:
        return sum(f.status == "right" for f in self.feedback)

    def progress(self) -> str:
        return _("{right} of {total} right").format(right=self.right, total=self.total)


def inputs(exercise: Exercise, cell: Cell) -> list[Cell]:
    """The numbers this one is computed from, one step back in the equations."""
    t, quantity, j = cell
    previous = [(t - 1, "h", i) for i in range(exercise.units)] if t else []
    if quantity in ("z", "r"):
        return previous
    if quantity == "h_tilde":
        reset_units = [j] if exercise.setup.weights.config.reset_after else range(exercise.units)
        return [(t, "r", i) for i in reset_units] + previous
    return [(t, "z", j), (t, "h_tilde", j)] + ([(t - 1, "h", j)] if t else [])


def _wrong_inputs(exercise: Exercise, cell: Cell, status: dict[Cell, str]) -> tuple[Cell, ...]:
    """Typed inputs that are wrong; through untyped inputs, the typed ones behind them."""
    found, todo, seen = [], list(inputs(exercise, cell)), set()
    while todo:
        source = todo.pop(0)
        if source in seen:
            continue
        seen.add(source)
        if status.get(source) in ("right", "wrong"):  # short and invalid ones count as not written
            if status[source] == "wrong":
                found.append(source)
        else:
            todo.extend(inputs(exercise, source))
    return tuple(sorted(found, key=exercise.cells().index))


def _claim(cell: Cell, typed: Typed) -> Claimed:
    t, quantity, unit = cell
    return Claimed(t, quantity, typed, unit)


def _culprit(exercise: Exercise, cell: Cell, parsed: dict[Cell, Typed]) -> tuple[str, str]:
    """The detective's story for this number, with the numbers typed before it if one story fits all.
    Kept per number and what came before it: a page regrades every number at each new one."""
    order = exercise.cells()
    upto = tuple((c, float(parsed[c].values[0])) for c in order[: order.index(cell) + 1] if c in parsed)
    return _story(exercise, cell, upto)


@functools.lru_cache(maxsize=4096)
def _story(exercise: Exercise, cell: Cell, upto: tuple[tuple[Cell, float], ...]) -> tuple[str, str]:
    parsed = {c: asked(exercise, value) for c, value in upto}
    order = exercise.cells()
    before = [_claim(c, parsed[c]) for c in order[: order.index(cell)] if c in parsed]
    for claims in ([*before, _claim(cell, parsed[cell])], [_claim(cell, parsed[cell])]):
        diagnosis = diagnose(exercise.setup, claims, keep=1, runs=exercise.detective_runs)
        if diagnosis.verdict == "explained":
            best = diagnosis.explanations[0]
            return best.detail, best.id
        if not before:
            break
    return "", ""


def student_trace(exercise: Exercise, known: dict[Cell, float]) -> Trace:
    """The true run's data (x, h0, weights) with only the numbers the student wrote; NaN elsewhere."""
    truth = exercise.truth
    arrays = {q: np.full_like(getattr(truth, q), np.nan) for q in QUANTITIES}
    for (t, quantity, unit), value in known.items():
        arrays[quantity][t, unit] = value
    blank = np.full_like(truth.z_pre, np.nan)
    return replace(truth, z_pre=blank, r_pre=blank, h_tilde_pre=blank, **arrays)


def hint(exercise: Exercise, cell: Cell, known: dict[Cell, float]) -> str:
    """The equation of `cell` with the student's numbers: never the answer, which shows as "?"."""
    t, quantity, unit = cell
    known = {c: v for c, v in known.items() if c != cell}
    # Each line whole, and only the one asked for shaped to a tablet's column: shaping is the
    # costly part, and a hint shows one line.
    lines = step_lines(student_trace(exercise, known), t, unit, room=None)
    if quantity == "h":  # step_lines writes both update rules, in Convention's order, after z, r and h̃;
        # the exercise asks for its own: found by place, not by its label, said in the reader's language
        index = len(_LINE) + list(Convention).index(exercise.setup.convention)
    else:
        index = _LINE[quantity]
    latex = fit(lines[index].latex, COLUMN).replace("nan", UNKNOWN)
    # The update line works its value out from z, h' and h~ itself; with the student's right
    # inputs that value is the answer, so it is cut off.
    if quantity != "h":
        return latex
    return re.sub(r" = [-0-9.]+(\\end\{aligned\})$", lambda m: f" = {UNKNOWN}{m.group(1)}", latex)


def decimals(text: str) -> int:
    """Decimals of a number as typed: 0.250 has 3, 2.5e-2 has 2, 3 and 1.5e1 have 0."""
    mantissa, _e, exponent = text.lower().partition("e")
    return len(mantissa.partition(".")[2]) - int(exponent or 0)


def read(typed: str) -> tuple[str, str]:
    """The text a number is read from, and a note when that is not the text as typed: one box
    holds one number, so "0,132" can only mean 0.132 (the shared reading of `io.parsing`)."""
    text, note = decimal_comma(str(typed).strip())
    return text, note or ""


def asked(exercise: Exercise, value: float) -> Typed:
    """A typed value as the exercise judges it: half a unit of its last asked decimal."""
    return Typed(np.array([value]), np.array([0.5 * 10.0**-exercise.answer_decimals + SLACK]))


def short_message(exercise: Exercise) -> str:
    k = exercise.answer_decimals
    return ngettext("Not checked yet: write {decimals} decimal, as the exercise asks.",
                    "Not checked yet: write {decimals} decimals, as the exercise asks.", k).format(decimals=k)


def grade(exercise: Exercise, typed: dict[Cell, str]) -> Grades:
    """Feedback for every typed number, in computation order."""
    order = exercise.cells()
    parsed, status, messages, known, notes = {}, {}, {}, {}, {}
    for cell in sorted(typed, key=order.index):
        text, notes[cell] = read(typed[cell])
        try:
            known[cell] = float(Typed.parse([text], name(cell)).values[0])
        except InputError as error:
            status[cell], messages[cell] = "invalid", str(error)
            continue
        if decimals(text) < exercise.answer_decimals:
            status[cell], messages[cell] = "short", short_message(exercise)
            continue
        parsed[cell] = asked(exercise, known[cell])
        status[cell] = "right" if parsed[cell].matches(np.array([exercise.answer(*cell)])) else "wrong"
    feedback = []
    for cell in sorted(typed, key=order.index):
        text = str(typed[cell]).strip()
        if status[cell] == "wrong":
            detail, mistake_id = _culprit(exercise, cell, parsed)
            feedback.append(Feedback(cell, text, "wrong", "", _wrong_inputs(exercise, cell, status), detail,
                                     mistake_id, hint(exercise, cell, known), notes[cell]))
        else:
            feedback.append(Feedback(cell, text, status[cell], messages.get(cell, ""), note=notes[cell]))
    return Grades(tuple(feedback), len(order))


def reveal(exercise: Exercise, cell: Cell) -> str:
    """The "show this number" action: the true value, to the exercise's precision."""
    return exercise.rounded(exercise.answer(*cell))
