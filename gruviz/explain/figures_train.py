"""The Train view's charts (drawn with Altair in gruviz/ui/views/train_view.py) as text: what
each shows and its numbers, like the other figure modules' `*_text` functions, and the
styles that keep its lines apart: the app's palette, a dash per data set or gate and a
marker per unit."""

from __future__ import annotations

import numpy as np

from ..math.trace import Trace
from ..text import _, count, ngettext
from .chart_text import ChartText, column, largest_move, move, sentence, unit_name
from .palette import MARKERS, PALETTE

LOSS_FLOOR = 1e-12  # the log axis draws a loss of 0 here
GATES = (("z", "z"), ("r", "r"))  # the gate chart's lines: z solid, r dashed


def loss_values(values) -> list[float]:
    """Losses as the log axis draws them."""
    return [max(float(v), LOSS_FLOOR) for v in values]


def loss_text(epochs: list[int], evaluation: list[float], training: list[float]) -> ChartText:
    """The loss curve: both losses by epoch, and how far each fell."""
    evaluation, training = loss_values(evaluation), loss_values(training)
    found = [move(_("the evaluation loss"), evaluation, ".3g"), move(_("the training loss"), training, ".3g")]
    summary = _("Mean squared error on the evaluation and the training data after each of {epochs}, on a log "
                "axis: ").format(epochs=ngettext("{n} epoch", "{n} epochs", max(epochs, default=0)).format(
        n=count(max(epochs, default=0))))
    return ChartText(_("Loss by epoch"), summary + sentence(found), _("epoch"), tuple(epochs),
                     {_("evaluation"): column(evaluation), _("training"): column(training)}, ".4g")


def gates_text(trace: Trace, title: str) -> ChartText:
    """One of the before/after gate charts: z and r of every unit over the steps."""
    found = []
    for name, symbol in GATES:
        values = getattr(trace, name)
        j = largest_move(values)
        found.append(move(_("{symbol} of {unit}").format(symbol=symbol, unit=unit_name(j)), values[:, j]))
    H = trace.weights.config.units
    lead = _("z (solid) and r (dashed) of {units} over the {steps} of the example").format(
        units=ngettext("{n} unit", "{n} units", H).format(n=count(H)),
        steps=ngettext("{n} step", "{n} steps", trace.steps).format(n=count(trace.steps)))
    if H > 1:
        lead += _("; for each gate, the unit that moves most")
    table = {f"{symbol}, {unit_name(j)}": column(getattr(trace, name)[:, j]) for name, symbol in GATES
             for j in range(H)}
    return ChartText(title, lead + ": " + sentence(found), _("step"), tuple(range(1, trace.steps + 1)), table)


def unit_scale(units: int) -> dict:
    """Altair scales for units "1" … "H": the palette's colours and one marker each."""
    domain = [str(j + 1) for j in range(units)]
    return {"domain": domain, "colors": [PALETTE[j % len(PALETTE)] for j in range(units)],
            "shapes": [_VEGA_SHAPES[j % len(_VEGA_SHAPES)] for j in range(units)]}


# Vega-Lite's names for figures.MARKERS, in the same order
_VEGA_SHAPES = ("circle", "square", "diamond", "triangle-up", "triangle-down", "cross", "triangle-right")
assert len(_VEGA_SHAPES) == len(MARKERS)


def gate_rows(trace: Trace) -> list[dict]:
    """The gate chart's data: one row per gate, step and unit (units from 1)."""
    return [{"step": t + 1, "value": float(getattr(trace, name)[t, j]), "gate": symbol, "unit": str(j + 1)}
            for name, symbol in GATES for t in range(trace.steps) for j in range(trace.weights.config.units)
            if np.isfinite(getattr(trace, name)[t, j])]
