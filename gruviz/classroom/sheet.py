"""What a worksheet says, whatever it is printed with (PDF or LaTeX source).

The equations are the first, symbolic row of each line `equations.step_lines`
writes, with step 1's subscripts made general (x_1 → x_t, h_0 → h_{t-1}).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..explain.claims import QUANTITIES
from ..explain.equations import step_lines
from ..explain.mistakes import detail_text
from ..math.cell import Convention
from ..math.trace import Trace
from ..text import _, ngettext
from .exercises import Exercise, Run
from .grading import student_trace

TEX_SYMBOL = {"z": "z", "r": "r", "h_tilde": r"\tilde h", "h": "h"}
PRE = {"z": ("z_pre", "a_z"), "r": ("r_pre", "a_r"), "h_tilde": ("h_tilde_pre", "a_h")}


@dataclass(frozen=True)
class Matrix:
    latex: str  # its name, e.g. W_z
    values: np.ndarray  # (rows, columns), as a person reads it


@dataclass(frozen=True)
class Equation:
    label: str
    latex: str  # one row, no alignment marks


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]  # LaTeX for math columns, text otherwise (see `math_header`)
    rows: tuple[tuple[str, ...], ...]
    math_header: bool = True


def title(exercise: Exercise) -> str:
    if exercise.seed is None:
        return _("A GRU by hand")
    return _("A GRU by hand — exercise {seed}").format(seed=exercise.seed)


def facts(exercise: Exercise) -> list[str]:
    cfg = exercise.setup.weights.config
    rule = "h = z·h' + (1−z)·h~ (Keras, PyTorch, Cho et al.)" if exercise.setup.convention is Convention.KERAS \
        else "h = (1−z)·h' + z·h~ (Wikipedia, Chung et al.)"  # a formula and names: not translated
    gates = (_("Gates σ = {gate}, candidate φ = {candidate}; reset applied after the recurrent product "
               "(reset_after=True).") if cfg.reset_after else
             _("Gates σ = {gate}, candidate φ = {candidate}; reset applied before the recurrent product "
               "(reset_after=False)."))
    k, units, features, steps = exercise.answer_decimals, cfg.units, cfg.input_dim, exercise.steps
    counts = {
        "units": ngettext("{count} unit", "{count} units", units).format(count=units),
        "features": ngettext("{count} input feature", "{count} input features", features).format(count=features),
        "timesteps": ngettext("{count} timestep", "{count} timesteps", steps).format(count=steps),
    }
    return [
        _("{units}, {features}, {timesteps}. Vectors are rows: x_t W is (1 × units).").format(**counts),
        gates.format(gate=cfg.recurrent_activation, candidate=cfg.activation),
        _("Update rule: {rule}.").format(rule=rule),
        ngettext("Write every answer to {decimals} decimal place; steps count from 1, h_0 is the initial state.",
                 "Write every answer to {decimals} decimal places; steps count from 1, h_0 is the initial "
                 "state.", k).format(decimals=k),
    ]


def matrices(exercise: Exercise) -> list[list[Matrix]]:
    """Rows of labelled matrices: W, U, then the biases as row vectors."""
    w = exercise.setup.weights
    rows = [[Matrix(f"W_{g}", w.W(g)) for g in "zrh"], [Matrix(f"U_{g}", w.U(g)) for g in "zrh"]]
    if w.config.reset_after:
        rows.append([Matrix(f"b^x_{g}", w.b_x(g)[None, :]) for g in "zrh"])
        rows.append([Matrix(f"b^h_{g}", w.b_h(g)[None, :]) for g in "zrh"])
    else:
        rows.append([Matrix(f"b^x_{g}", w.b_x(g)[None, :]) for g in "zrh"])
    return rows


def bias_note(exercise: Exercise) -> str:
    if exercise.setup.weights.config.reset_after:
        return ""
    return _("With reset_after=False Keras keeps one bias: every b^h is 0 and b_h = b^x_h.")


def sequence(exercise: Exercise) -> list[Matrix]:
    s = exercise.setup
    h0 = np.zeros(exercise.units) if s.h0 is None else s.h0
    return [Matrix(f"x_{{{t + 1}}}", s.x[t][None, :]) for t in range(exercise.steps)] + [Matrix("h_0", h0[None, :])]


def _general(row: str) -> str:
    row = row.replace("\\begin{aligned}", "").replace("&", "").strip()
    return re.sub(r"_\{0\}", "_{t-1}", re.sub(r"_\{1\}", "_t", row))


def equations(exercise: Exercise) -> list[Equation]:
    """(1)–(4) for this exercise's reset placement and update rule, in general form."""
    trace = student_trace(exercise, {})
    lines = step_lines(trace, 0, 0, room=None)  # whole rows: a sheet has room
    # (4) is written once per convention, in Convention's order; the one this exercise uses is
    # picked by position, not by its label's words (a label may be translated).
    chosen = lines[:3] + [lines[3 + list(Convention).index(trace.convention)]]
    names = (_("update gate"), _("reset gate"), _("candidate"), _("new state"))
    return [Equation(f"({i + 1}) {name}", _general(line.latex.split(" \\\\ ")[0]))
            for i, (name, line) in enumerate(zip(names, chosen))]


def column_label(quantity: str, unit: int, units: int, step: str = "t") -> str:
    """`unit` counts from 0, as the arrays do; the label names it from 1, as a person counts."""
    sub = step if units == 1 else f"{step},{unit + 1}"
    return f"{TEX_SYMBOL[quantity]}_{{{sub}}}"


def box_header(exercise: Exercise) -> tuple[str, ...]:
    return ("t",) + tuple(column_label(q, j, exercise.units) for q in QUANTITIES for j in range(exercise.units))


def key_tables(exercise: Exercise) -> list[Table]:
    """Every intermediate of the true run, one table per unit: pre-activations, gates, candidate, state."""
    truth, k, H = exercise.truth, exercise.answer_decimals, exercise.units
    tables = []
    for j in range(H):
        columns = []
        for quantity in QUANTITIES:
            if quantity in PRE:
                field, symbol = PRE[quantity]
                columns.append((symbol if H == 1 else f"{symbol[:2]}{{{symbol[2:]},{j + 1}}}",
                                getattr(truth, field)[:, j]))
            columns.append((column_label(quantity, j, H), getattr(truth, quantity)[:, j]))
        header = ("t",) + tuple(label for label, _ in columns)
        rows = tuple((str(t + 1),) + tuple(f"{values[t]:.{k}f}" for _, values in columns)
                     for t in range(exercise.steps))
        tables.append(Table(header, rows))
    return tables


@dataclass(frozen=True)
class Coinciding:
    """One row of a mistakes' table: the runs that write its numbers on this layer. None stands for
    the true run, first when it is one of them; a mistake that gives the right numbers here is
    told, not listed as a twin of the answers."""

    runs: tuple[Run | None, ...]
    numbers: tuple[str, ...]


def every_number(exercise: Exercise, trace: Trace) -> tuple[str, ...]:
    """Every asked number of a run as the exercise rounds it, in `exercise.cells()` order;
    — past the run's last step (the sequence summed into one)."""
    k = exercise.answer_decimals
    return tuple(f"{getattr(trace, q)[t, j]:.{k}f}" if t < trace.steps else "—" for t, q, j in exercise.cells())


def coinciding(exercise: Exercise, numbers: Callable[[Trace], tuple[str, ...]]) -> list[Coinciding]:
    """The true run and each mistake's, one row per distinct `numbers`, in the catalog's order."""
    rows: dict[tuple[str, ...], list[Run | None]] = {}
    for run in (None, *exercise.mistakes):
        rows.setdefault(numbers(exercise.truth if run is None else run.trace), []).append(run)
    return [Coinciding(tuple(runs), shown) for shown, runs in rows.items()]


def story(run: Run) -> str:
    return _("{mistake}: {detail}").format(mistake=run.mistakes[0].title, detail=detail_text(run.detail))


def told(row: Coinciding, correct: str) -> str:
    """A row's words: its first run (`correct` for the true one), then those that coincide with it."""
    first, *others = row.runs
    head = correct if first is None else story(first)
    if not others:
        return head
    names = "; ".join(f"{run.mistakes[0].title} ({detail_text(run.detail)})" for run in others)
    return head + " " + ngettext("— for this layer, {mistakes} gives the same numbers.",
                                 "— for this layer, {mistakes} give the same numbers.", len(others)).format(
        mistakes=names)


def grading_table(exercise: Exercise) -> Table:
    """"If you got X, you probably did Y": each mistake's h at every step (— past its last step),
    one row for mistakes whose h coincide."""
    k, T = exercise.answer_decimals, exercise.steps
    header = (_("If you got"), _("you probably did"))

    one_step = _("— (one step only)")

    def written(trace: Trace) -> tuple[str, ...]:
        h = trace.h  # (steps of that run, H)
        return tuple(f"h{t + 1} = " + (", ".join(f"{v:.{k}f}" for v in h[t]) if t < len(h) else one_step)
                     for t in range(T))

    rows = [("\n".join(row.numbers), told(row, _("nothing wrong: these are the answers")))
            for row in coinciding(exercise, written)]
    return Table(header, tuple(rows), math_header=False)
