"""One step's equations written out in LaTeX with the trace's own numbers.

Each line is built from the recorded parts (x_t W, h_{t-1} U, the two biases), so
what the page shows adds up to what the core computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..math.activations import Activation
from ..math.cell import Convention
from ..math.trace import Trace
from ..text import N_, _
from .fit import COLUMN, fit


@dataclass(frozen=True)
class Line:
    label: str
    latex: str


# The one name a person reads, translated where shown (rule_name).
RULE_NAMES = {Convention.KERAS: N_("Keras rule"), Convention.BAHDANAU: N_("Wikipedia rule")}
RULE_FORMULAS = {Convention.KERAS: "h = z·h′ + (1−z)·h̃", Convention.BAHDANAU: "h = (1−z)·h′ + z·h̃"}
RULE_ALSO_CALLED = {  # translated where shown, with _()
    Convention.KERAS: N_("also written by Cho et al. (2014) and PyTorch; the CLI's --convention keras"),
    Convention.BAHDANAU: N_("also written by Chung et al. (2014) and Bahdanau-style tutorials; the CLI's "
                            "--convention bahdanau"),
}


def rule_name(convention: Convention) -> str:
    """"Keras rule" or "Wikipedia rule": the update rule's name everywhere on the page, in the
    reader's language."""
    return _(RULE_NAMES[convention])


def num(value: float, digits: int = 4) -> str:
    """A number as the page prints it; negatives get parentheses when they are factors."""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def subscript(n: int) -> str:
    """n in Unicode subscript digits, for plain text: h₀, x₁₂."""
    return str(n).translate(str.maketrans("0123456789-", "₀₁₂₃₄₅₆₇₈₉₋"))


def vector(values, digits: int = 4) -> str:
    """A vector as a person writes it: [0.1862, -0.7071], never numpy's repr."""
    return "[" + ", ".join(num(float(v), digits) for v in values) + "]"


def _factor(value: float) -> str:
    text = num(value)
    return f"({text})" if text.startswith("-") else text


def _dot(x: np.ndarray, w: np.ndarray) -> str:
    """x·w written term by term for short vectors."""
    return " + ".join(f"{_factor(a)}\\cdot{_factor(b)}" for a, b in zip(x, w))


def _product_row(name: str, x: np.ndarray, w: np.ndarray) -> list[str]:
    """A row `name = terms = value` when the product has several terms; short ones stay inline."""
    if len(x) == 1:
        return []
    terms = f"{_dot(x, w)} = " if len(x) <= 4 else ""
    return [f"{name} &= {terms}{num(float(x @ w))}"]


def _inline(x: np.ndarray, w: np.ndarray) -> str:
    """The product as it appears inside the activation: its terms when it has one, else its value."""
    return _dot(x, w) if len(x) == 1 else _factor(float(x @ w))


def _aligned(rows: list[str]) -> str:
    """Rows of one derivation, aligned on '=' so each stays short enough for the page."""
    return "\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}"


def _activated(f: Activation, pre: str, value: str) -> str:
    """` = f(pre) = value`; with a linear f they are one number, written once."""
    return f" = {value}" if f.name == "linear" else f" = {f.write(pre)} = {value}"


def step_lines(trace: Trace, t: int, j: int, room: float | None = COLUMN) -> list[Line]:
    """Equations (1)–(4) for step t (0-based in the trace), unit j (0-based too). The page
    counts steps and units from 1, so that h_0 is the initial state, as the papers write it.
    A row wider than `room` em is written one relation per line (`fit.fit`): by default
    what a column of a tablet holds, for a hint; None leaves every row whole."""
    def shaped(latex: str) -> str:
        return latex if room is None else fit(latex, room)

    w = trace.weights
    cfg = w.config
    H = cfg.units
    sigma, phi = cfg.sigma, cfg.phi
    x, h_prev = trace.x[t], trace.h_prev[t]
    sub, prev = f"_{{{t + 1}}}", f"_{{{t}}}"
    lines = []
    for gate, pre, value in (("z", trace.z_pre, trace.z), ("r", trace.r_pre, trace.r)):
        col = "zr".index(gate) * H + j
        bx, bh = w.input_bias[col], w.recurrent_bias[col]
        W, U = w.W(gate)[:, j], w.U(gate)[:, j]
        rows = [f"{gate}{sub} &= {sigma.write(f'x{sub}W_{gate} + b^x_{gate} + h{prev}U_{gate} + b^h_{gate}')}"]
        rows += _product_row(f"x{sub}W_{gate}", x, W) + _product_row(f"h{prev}U_{gate}", h_prev, U)
        rows.append(f"{gate}{sub} &= {sigma.write(f'{_inline(x, W)} + {_factor(bx)} + {_inline(h_prev, U)} + {_factor(bh)}')}"
                    + _activated(sigma, num(pre[t, j]), num(value[t, j])))
        label = (_("(1) update gate {gate}, unit {unit}") if gate == "z" else
                 _("(2) reset gate {gate}, unit {unit}")).format(gate=gate, unit=j + 1)
        lines.append(Line(label, shaped(_aligned(rows))))

    col = 2 * H + j
    r, bx, W_h = trace.r[t, j], w.input_bias[col], w.W("h")[:, j]
    rows = _product_row(f"x{sub}W_h", x, W_h)
    if cfg.reset_after:
        bh = w.recurrent_bias[col]
        symbolic = f"x{sub}W_h + b^x_h + r{sub} \\odot (h{prev}U_h + b^h_h)"
        rows += _product_row(f"h{prev}U_h", h_prev, w.U("h")[:, j])
        numbers = (f"{_inline(x, W_h)} + {_factor(bx)} + {_factor(r)} \\cdot "
                   f"({_inline(h_prev, w.U('h')[:, j])} + {_factor(bh)})")
        label = _("(3) candidate, reset after the matmul (reset_after=True)")
    else:
        symbolic = f"x{sub}W_h + b_h + (r{sub} \\odot h{prev})U_h"
        reset_h = trace.r[t] * h_prev
        rows += [f"r{sub} \\odot h{prev} &= [{', '.join(num(v) for v in reset_h)}]"]
        rows += _product_row(f"(r{sub} \\odot h{prev})U_h", reset_h, w.U("h")[:, j])
        numbers = f"{_inline(x, W_h)} + {_factor(bx)} + {_inline(reset_h, w.U('h')[:, j])}"
        label = _("(3) candidate, reset before the matmul (reset_after=False)")
    rows.insert(0, f"\\tilde h{sub} &= {phi.write(symbolic)}")
    rows.append(f"\\tilde h{sub} &= {phi.write(numbers)}"
                + _activated(phi, num(trace.h_tilde_pre[t, j]), num(trace.h_tilde[t, j])))
    lines.append(Line(label, shaped(_aligned(rows))))

    z, hp, ht = trace.z[t, j], h_prev[j], trace.h_tilde[t, j]
    for convention in Convention:
        keep = z if convention is Convention.KERAS else 1 - z
        rule = (
            f"z{sub} h{prev} + (1 - z{sub}) \\tilde h{sub}"
            if convention is Convention.KERAS
            else f"(1 - z{sub}) h{prev} + z{sub} \\tilde h{sub}"
        )
        value = keep * hp + (1 - keep) * ht
        label = (_("(4) update, {rule} ← this trace") if convention is trace.convention else
                 _("(4) update, {rule} (same z, h, h̃)")).format(rule=rule_name(convention))
        lines.append(
            Line(
                label,
                shaped(_aligned([f"h{sub} &= {rule}",
                                 f"&= {_factor(keep)}\\cdot{_factor(hp)} + "
                                 f"{_factor(1 - keep)}\\cdot{_factor(ht)} = {num(value)}"])),
            )
        )
    if not trace.mask[t]:
        skips = _("the mask skips this step")  # words only: the LaTeX around them stays
        lines.append(Line(_("masked step"), _aligned([f"h{sub} &= h{prev} = {num(hp)}",
                                                      f"&\\text{{({skips})}}"])))
    return lines


REVEAL_ORDER = ("z_pre", "r_pre", "z", "r", "h_tilde", "h")  # a_h is uncovered with h~: it needs r
REVEAL_STAGES = (N_("the pre-activations of z and r"), "z", "r", N_("h̃ and its pre-activation"), "h")  # "Uncover …"
_STAGE_NAMES = (("z_pre", "r_pre"), ("z",), ("r",), ("h_tilde_pre", "h_tilde"), ("h",))


def hidden_after(stage: int) -> frozenset[str]:
    """The numbers still covered once `stage` of `REVEAL_STAGES` is uncovered (0: none yet)."""
    return frozenset(name for names in _STAGE_NAMES[stage:] for name in names)


def stacked(lines: list[Line]) -> str:
    """Several derivations as one aligned block, each headed by its label, so they line
    up on '=' and take no more height than their rows."""
    rows = []
    for line in lines:
        inner = line.latex.removeprefix("\\begin{aligned}").removesuffix("\\end{aligned}")
        rows.append(f"&\\textcolor{{#57606a}}{{\\small\\text{{{line.label}}}}} \\\\ {inner}")
    return "\\begin{aligned}" + " \\\\[6pt] ".join(rows) + "\\end{aligned}"


def compact_lines(trace: Trace, t: int, j: int, hidden: frozenset[str] = frozenset()) -> list[Line]:
    """Equations (1)–(4) of step t, unit j, two rows each (the rule, then the numbers), short
    enough to project. Numbers named in `hidden` print as an empty box, so a class can
    compute them before they are shown."""
    w, cfg = trace.weights, trace.weights.config
    H, sigma, phi = cfg.units, cfg.sigma, cfg.phi
    x, h_prev = trace.x[t], trace.h_prev[t]
    sub, prev = f"_{{{t + 1}}}", f"_{{{t}}}"

    def shown(name: str, value: float, factor: bool = False) -> str:
        if name in hidden:
            return r"\boxed{\phantom{0.000}}"
        return _factor(value) if factor else num(value)

    lines = []
    for gate, title in (("z", _("(1) update gate {gate}")), ("r", _("(2) reset gate {gate}"))):
        col = "zr".index(gate) * H + j
        W, U = w.W(gate)[:, j], w.U(gate)[:, j]
        numbers = f"{_inline(x, W)} + {_factor(w.input_bias[col])} + {_inline(h_prev, U)} + {_factor(w.recurrent_bias[col])}"
        lines.append(Line(title.format(gate=gate), _aligned([
            f"{gate}{sub} &= {sigma.write(f'x{sub}W_{gate} + b^x_{gate} + h{prev}U_{gate} + b^h_{gate}')}",
            f"&= {sigma.write(numbers)}" + _activated(sigma, shown(gate + '_pre', getattr(trace, gate + '_pre')[t, j]),
                                                      shown(gate, getattr(trace, gate)[t, j]))])))

    col, W_h, U_h = 2 * H + j, w.W("h")[:, j], w.U("h")[:, j]
    r = shown("r", trace.r[t, j], factor=True)
    if cfg.reset_after:
        symbolic = f"x{sub}W_h + b^x_h + r{sub} \\odot (h{prev}U_h + b^h_h)"
        numbers = f"{_inline(x, W_h)} + {_factor(w.input_bias[col])} + {r}\\cdot({_inline(h_prev, U_h)} + {_factor(w.recurrent_bias[col])})"
    else:
        symbolic = f"x{sub}W_h + b_h + (r{sub} \\odot h{prev})U_h"
        reset_part = (f"(r{sub} \\odot h{prev})U_h" if "r" in hidden
                      else _inline(trace.r[t] * h_prev, U_h))
        numbers = f"{_inline(x, W_h)} + {_factor(w.input_bias[col])} + {reset_part}"
    lines.append(Line(_("(3) candidate"), _aligned([
        f"\\tilde h{sub} &= {phi.write(symbolic)}",
        f"&= {phi.write(numbers)}" + _activated(phi, shown('h_tilde_pre', trace.h_tilde_pre[t, j]),
                                                shown('h_tilde', trace.h_tilde[t, j]))])))

    z, keras = trace.z[t, j], trace.convention is Convention.KERAS
    keep, admit = (z, 1 - z) if keras else (1 - z, z)
    rule = (f"z{sub} h{prev} + (1 - z{sub}) \\tilde h{sub}" if keras
            else f"(1 - z{sub}) h{prev} + z{sub} \\tilde h{sub}")
    numbers = (f"{shown('z', keep, factor=True)}\\cdot{_factor(h_prev[j])} + "
               f"{shown('z', admit, factor=True)}\\cdot{shown('h_tilde', trace.h_tilde[t, j], factor=True)}")
    masked = _("masked:")  # words only: the LaTeX around them stays
    kept = [] if trace.mask[t] else [f"&\\text{{({masked} }}h{sub} = h{prev}\\text{{)}}"]
    lines.append(Line(_("(4) new state h"), _aligned([f"h{sub} &= {rule}",
                                                   f"&= {numbers} = {shown('h', trace.h[t, j])}", *kept])))
    return lines
