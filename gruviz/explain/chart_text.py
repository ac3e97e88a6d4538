"""A chart's text alternative, as data: a one-line summary of what it shows and what to
see in it, and the numbers it plots as a table. Pure (no Streamlit, no pandas): the
figure modules build one beside each figure, and gruviz/ui/kit/charts.py draws it with the
chart (the summary as the chart's accessible name and under it, the table in an expander).

Units and steps count from 1 here, as on the page."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..text import _

Value = float | None  # None: nothing plotted there (a gap, a value off a log axis)


@dataclass(frozen=True)
class ChartText:
    name: str  # what the chart is, in a few words
    summary: str  # one sentence: what it shows and its key finding, from the numbers
    index_name: str  # what a row of the table is (step, units H, weight row…)
    index: tuple  # one label per row
    columns: dict[str, tuple[Value, ...]] = field(default_factory=dict)  # column → one value per row
    number_format: str = ".4f"  # how the table prints its numbers

    @property
    def alt(self) -> str:
        """The chart's accessible name: its name, then the summary."""
        return f"{self.name}. {self.summary}"


def unit_name(j: int) -> str:
    """Unit j (0-based, as arrays index it) as the page names it: unit 1 first."""
    return _("unit {n}").format(n=j + 1)


def say(value: float, spec: str = ".2f") -> str:
    """A number in a sentence: `spec` digits, a true minus sign (read as "minus"), never "-0.00"."""
    if value is None or not math.isfinite(value):
        return _("not a finite number")
    text = format(value, spec)
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace("-", "−")


def column(values) -> tuple[Value, ...]:
    """Plotted values as table cells: floats, None where nothing is finite."""
    return tuple(float(v) if v is not None and math.isfinite(float(v)) else None for v in values)


def move(what: str, values, spec: str = ".2f") -> str:
    """How one line goes from its first to its last point: "z of unit 1 falls from 0.61 to 0.12"."""
    shown = [v for v in column(values) if v is not None]
    if not shown:
        return _("{what} is not finite").format(what=what)
    first, last = shown[0], shown[-1]
    if say(first, spec) == say(last, spec):
        return _("{what} stays at {value}").format(what=what, value=say(first, spec))
    template = _("{what} rises from {first} to {last}") if last > first else _("{what} falls from {first} to {last}")
    return template.format(what=what, first=say(first, spec), last=say(last, spec))


def largest_move(values: np.ndarray) -> int:
    """The column (unit) of a (T, H) array whose line moves most from first to last step."""
    with np.errstate(invalid="ignore"):
        span = np.abs(values[-1] - values[0])
    span = np.where(np.isfinite(span), span, -1.0)
    return int(np.argmax(span))


def sentence(parts: list[str]) -> str:
    return "; ".join(parts) + "."


def grid_text(name: str, what: str, blocks: list[tuple[str, np.ndarray, list[str]]], columns: list[str],
              spec: str) -> ChartText:
    """Arrays drawn as heat maps one above the other, sharing `columns`: one table row per array
    row, and where the largest number in size sits. `what` names the arrays in the summary."""
    index, table = [], {c: [] for c in columns}
    best = None
    for array_name, array, rows in blocks:
        array = np.atleast_2d(array)
        for label, values in zip(rows, array):
            index.append(f"{array_name}, {label}")
            for c, v in zip(columns, values):
                table[c].append(v)
                if np.isfinite(v) and (best is None or abs(v) > abs(best[0])):
                    best = (float(v), array_name, label, c)
    found = "" if best is None else _("; the largest in size is {value} ({array}, {row}, column {column})").format(
        value=say(best[0], spec), array=best[1], row=best[2], column=best[3])
    summary = what + found + "."
    return ChartText(name, summary, _("row"), tuple(index), {c: column(v) for c, v in table.items()}, spec)
