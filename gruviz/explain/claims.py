"""What a person says they got, read from what they typed: a final output, a JSON list of
steps, or the page's table of cells, each number with the precision it was typed with
(0.7069 stands for anything within ±0.00005 of it). The detective compares these claims
with runs (detective.py); the exercises grade them (classroom/grading.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..io.parsing import comma_hint
from ..io.untrusted import NumberText, json_text, check_depth, check_length, loads, number_text, shown
from ..limits import CLI, Limits
from ..math.trace import Trace
from ..text import _, count, ngettext, ordinal

QUANTITIES = ("z", "r", "h_tilde", "h")
ABS_FLOOR = 1e-6  # float32 frameworks print 8 digits that are only good to ~1e-7
REL_FLOOR = 1e-6


@dataclass(frozen=True, eq=False)
class Typed:
    """Numbers as a person typed them, each with the tolerance its digits imply."""

    values: np.ndarray  # (n,)
    tolerance: np.ndarray  # (n,)

    @classmethod
    def parse(cls, words: list, where: str) -> "Typed":
        r"""Each word's value and its half-unit in the last typed place,
        $\tfrac12 10^{-(\text{decimals} - \text{exponent})}$, floored at float32's precision."""
        values, tolerance = [], []
        for word in words:
            if isinstance(word, bool) or not isinstance(word, (str, int, float)):
                raise InputError(_("{where}: {value} is not a number.").format(where=where,
                                                                               value=shown(json_text(word))))
            word = number_text(str(word).strip(), where)
            mantissa, _sep, exponent = word.lower().partition("e")
            # a finite value of at most MAX_NUMBER_CHARS characters keeps this well inside ±400
            decimals = min(max(len(mantissa.partition(".")[2]) - int(exponent or 0), -300), 300)
            value = float(word)
            values.append(value)
            tolerance.append(max(0.5 * 10.0**-decimals, ABS_FLOOR + REL_FLOOR * abs(value)))
        return cls(np.array(values), np.array(tolerance))

    def error(self, actual: np.ndarray) -> float:
        return float(np.max(np.abs(actual - self.values))) if np.all(np.isfinite(actual)) else float("inf")

    def matches(self, actual: np.ndarray) -> bool:
        return bool(np.all(np.abs(actual - self.values) <= self.tolerance))


@dataclass(frozen=True, eq=False)
class Claimed:
    """One claimed vector: `quantity` at processing step t (0-based), or the final output;
    all units, or the one unit a person filled in."""

    t: int | None  # None for the final output
    quantity: str  # z, r, h_tilde, h or output
    typed: Typed
    unit: int | None = None


def parse_output_claim(text: str, units: int, limits: Limits = CLI) -> list[Claimed]:
    text = check_length(text or "", _("the claimed output"), limits)
    # brackets split values here, but nest no deeper than in any box
    check_depth(text, _("the claimed output"))
    if re.search(r",\s*,", text):
        raise InputError(_("the claimed output has an empty value (two commas with nothing between); type a "
                           "number there or remove a comma."))
    words = [w for w in re.split(r"[,\s;\[\]]+", text) if w]
    if not words:
        raise InputError(_("type the output you got, one number per unit, like -0.7069."))
    if len(words) != units:
        raise InputError(_count_refusal(_("the claimed output"), len(words), units) + comma_hint(text))
    return [Claimed(None, "output", Typed.parse(words, _("claimed output")))]


def parse_step_claims(text: str, units: int, steps: int, limits: Limits = CLI) -> list[Claimed]:
    """[{"t": 0, "z": [...], "h": [...]}, ...] with any subset of z, r, h_tilde, h.

    "t" counts from 0 as JSON fields do; messages name the timestep counted from 1."""
    # Numbers stay text so the digits a person typed set the tolerance.
    rows = loads(text or "", _("the claimed steps"), limits, keep_number_text=True)
    if not isinstance(rows, list) or not rows:
        raise InputError(_('the claimed steps must be a JSON list like '
                           '[{{"t": 0, "z": [0.29], "h": [-0.03]}}].').format())
    if len(rows) > 4 * steps:
        timesteps = ngettext("{n} timestep", "{n} timesteps", steps).format(n=count(steps))
        raise InputError(_("the claimed steps have {entries} entries for {timesteps}; give at most one entry "
                           "per timestep and quantity.").format(entries=count(len(rows)), timesteps=timesteps))
    claims = []
    for i, row in enumerate(rows):
        entry = _("the {ordinal} claimed step").format(ordinal=ordinal(i + 1))
        if not isinstance(row, dict) or "t" not in row:
            raise InputError(_('{entry} needs a "t": the timestep, counted from 0 (the page\'s step 1 is '
                               '"t": 0).').format(entry=entry))
        unknown = sorted(set(row) - {"t", *QUANTITIES})
        if unknown:
            raise InputError(_("{entry} has {key}; use any of {quantities}.").format(
                entry=entry, key=shown(unknown[0]), quantities=", ".join(QUANTITIES)))
        t = row["t"]
        if not (isinstance(t, str) and t.isascii() and t.isdigit() and len(t) <= 9 and int(t) < steps):
            raise InputError(ngettext(
                '{entry} has "t": {t}, but the sequence has {n} timestep: "t" counts from 0, so it names '
                "timesteps 0 to {last} (the page's steps 1 to {steps}).",
                '{entry} has "t": {t}, but the sequence has {n} timesteps: "t" counts from 0, so it names '
                "timesteps 0 to {last} (the page's steps 1 to {steps}).", steps).format(
                entry=entry, t=_as_written(t), n=count(steps), last=steps - 1, steps=steps))
        for quantity in QUANTITIES:
            if quantity in row:
                where = _('timestep {step} ("t": {t}), {quantity}').format(step=int(t) + 1, t=int(t),
                                                                           quantity=quantity)
                claims.append(Claimed(int(t), quantity, _vector(row[quantity], units, where)))
    if not claims:
        raise InputError(_("the claimed steps name no quantity; give z, r, h_tilde or h for some step."))
    return claims


SYMBOLS = {"z": "z", "r": "r", "h_tilde": "h̃", "h": "h"}  # the quantities as the page writes them


def cell_name(t: int, quantity: str, unit: int, units: int) -> str:
    """One number of the page's step table, as a person counts it: "step 2, h̃ of unit 1"
    (t and unit are 0-based like the arrays; the page counts both from 1)."""
    if units == 1:
        return _("step {step}, {quantity}").format(step=t + 1, quantity=SYMBOLS[quantity])
    return _("step {step}, {quantity} of unit {unit}").format(step=t + 1, quantity=SYMBOLS[quantity],
                                                               unit=unit + 1)


def parse_cells(cells: dict[tuple[int, str, int], str], steps: int, units: int = 0) -> list[Claimed]:
    """A partly filled table, {(t, quantity, unit): typed text}, one claim per cell; `units`
    (the GRU's) only words the messages: with one unit they name no unit."""
    claims = []
    for (t, quantity, unit), text in sorted(cells.items(), key=lambda item: (item[0][0], QUANTITIES.index(item[0][1]), item[0][2])):
        if t >= steps:
            raise InputError(_("step {step} is past the end of the sequence ({steps} steps).").format(
                step=t + 1, steps=steps))
        where = cell_name(t, quantity, unit, units)
        claims.append(Claimed(t, quantity, Typed.parse([str(text).strip()], where), unit))
    return claims


def _vector(value, units: int, where: str) -> Typed:
    words = value if isinstance(value, list) else [value]
    if len(words) != units:
        raise InputError(_count_refusal(where, len(words), units))
    return Typed.parse(words, where)


def _count_refusal(where: str, values: int, units: int) -> str:
    """"{where} has 3 values but the GRU has 2 units." (`where` a noun phrase, already translated)."""
    return _("{where} has {values} but the GRU has {units}.").format(
        where=where, values=ngettext("{n} value", "{n} values", values).format(n=count(values)),
        units=ngettext("{n} unit", "{n} units", units).format(n=count(units)))


def actual(trace: Trace, claim: Claimed) -> np.ndarray:
    """What a run gives for one claimed vector (NaN where that run has no such step)."""
    units = slice(None) if claim.unit is None else [claim.unit]
    if claim.quantity == "output":
        return trace.output[units]
    if claim.t >= trace.steps:
        return np.full(len(claim.typed.values), np.nan)
    return getattr(trace, claim.quantity)[claim.t][units]


def _as_written(value) -> str:
    """A JSON value in a message as the person wrote it: a number keeps its own text."""
    if isinstance(value, NumberText):
        return value
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, (list, dict)):
        return _("a list") if isinstance(value, list) else _("an object")
    return json_text(value)  # true, false, null
