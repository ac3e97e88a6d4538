r"""One step's backward equations in LaTeX with the numbers of a `Gradients`.

δv stands for ∂L/∂v. The lines follow `gruviz.math.cell_backward` in the order the chain
rule meets them, and each ends in the value `gruviz.math.backward` stored, so the page
shows what the core computed; the terms before it are the same rule spelled out.
"""

from __future__ import annotations

import math

import numpy as np

from ..math.backward import LOSSES, Gradients
from ..math.cell import Convention
from ..math.cell_backward import carry_slope
from ..text import _
from .equations import Line, rule_name, subscript
from .fit import fit


def gnum(value: float, digits: int = 4) -> str:
    """A gradient as the page prints it: significant digits, since they can be 1e-9."""
    if value == 0:
        return "0"
    if not math.isfinite(value):
        return r"\mathrm{NaN}" if math.isnan(value) else (r"\infty" if value > 0 else r"-\infty")
    text = f"{value:.{digits}g}"
    if 1e-3 <= abs(value) < 1e4 and "e" not in text:  # 9999.99 rounds to 1e+04
        return text
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}\\times10^{{{int(exponent)}}}"


def _f(value: float) -> str:
    """A factor: negatives and powers of ten in parentheses."""
    text = gnum(value)
    return f"({text})" if text.startswith("-") or "times" in text else text


def _row_dot(d: np.ndarray, row: np.ndarray) -> str:
    r"""$(\delta a\, U^\top)_j = \sum_k \delta a_k U_{jk}$ term by term for few units, else its value."""
    if len(d) > 4:
        return gnum(float(d @ row))
    return " + ".join(f"{_f(a)}\\cdot{_f(b)}" for a, b in zip(d, row))


def loss_line(grads: Gradients, room: float | None = None) -> Line:
    loss = LOSSES[grads.loss_name]
    latex = f"{loss.latex} = {gnum(grads.loss)}"
    return Line(_("loss ({name})").format(name=loss.name), latex if room is None else fit(latex, room))


def step_lines(grads: Gradients, t: int, j: int, room: float | None = None) -> list[Line]:
    """The backward rules of step t (0-based in the trace), unit j (0-based too). Like
    `equations.step_lines`, the page counts steps and units from 1, so step t makes h_{t+1}
    and unit j is component j+1 of a vector. A row wider than `room` em is written one
    relation per line (`fit.fit`), so that a phone shows all of it; None leaves rows whole."""
    lines = _step_lines(grads, t, j)
    return lines if room is None else [Line(line.label, fit(line.latex, room)) for line in lines]


def _step_lines(grads: Gradients, t: int, j: int) -> list[Line]:
    tr = grads.trace
    w = tr.weights
    cfg = w.config
    s, p = f"_{{{t + 1}}}", f"_{{{t}}}"
    T = tr.steps
    later = grads.dh[t, j] - grads.from_output[t, j]
    step = _("step")  # a word inside the LaTeX: δh|_{step 3}, the part that came back through step 3
    lines = [
        Line(
            _("gradient reaching h: from the outputs that show it, and back through the next step"),
            f"\\delta h{s} = \\delta o\\big|_{{h{s}}} + \\delta h{s}\\big|_{{\\text{{{step} }}{t + 2}}}"
            f" = {_f(grads.from_output[t, j])} + {_f(later if t + 1 < T else 0.0)} = {gnum(grads.dh[t, j])}",
        )
    ]
    if not tr.mask[t]:
        lines.append(Line(_("masked step: the state is carried, so its gradient passes straight through"),
                          f"\\delta h{p}\\big|_{{\\text{{{step} }}{t + 1}}} = \\delta h{s} = {gnum(grads.dh_prev[t, j])}"))
        return lines

    z, h_prev, h_tilde, r = tr.z[t, j], tr.h_prev[t, j], tr.h_tilde[t, j], tr.r[t, j]
    keras = tr.convention is Convention.KERAS
    keep = z if keras else 1.0 - z
    c = "z" if keras else "(1 - z)"
    sign = "" if carry_slope(tr.convention) > 0 else r"\cdot(-1)"
    dh = grads.dh[t, j]
    lines += [
        Line(_("(4←) update, {rule}: candidate share").format(rule=rule_name(tr.convention)),
             f"\\delta \\tilde h{s} = \\delta h{s} \\odot (1 - {c}{s}) = {_f(dh)}\\cdot{_f(1 - keep)}"
             f" = {gnum(grads.dh_tilde[t, j])}"),
        Line(_("(4←) update gate"),
             f"\\delta z{s} = \\delta h{s} \\odot (h{p} - \\tilde h{s}){sign}"
             f" = {_f(dh)}\\cdot({_f(h_prev)} - {_f(h_tilde)}){sign} = {gnum(grads.dz[t, j])}"),
        Line(_("(3←) through φ"),
             f"\\delta a^h{s} = \\delta \\tilde h{s} \\odot \\varphi'(a^h{s}) = {_f(grads.dh_tilde[t, j])}"
             f"\\cdot{_f(cfg.phi.grad(tr.h_tilde_pre[t, j]))} = {gnum(grads.dh_tilde_pre[t, j])}"),
    ]
    da_h = grads.dh_tilde_pre[t]  # (H,)
    if cfg.reset_after:
        hu, bh = tr.part("hU", "h")[t, j], w.b_h("h")[j]
        lines.append(Line(_("(3a←) reset gate, which multiplies h·Uₕ + bʰₕ"),
                          f"\\delta r{s} = \\delta a^h{s} \\odot (h{p}U_h + b^h_h)"
                          f" = {_f(da_h[j])}\\cdot({_f(hu)} + {_f(bh)}) = {gnum(grads.dr[t, j])}"))
        candidate = f"((r{s} \\odot \\delta a^h{s}) U_h^\\top)_{{{j + 1}}}"
        candidate_value = float((tr.r[t] * da_h) @ w.U("h")[j])
    else:
        lines.append(Line(_("(3b←) reset gate, which multiplies h before Uₕ"),
                          f"\\delta r{s} = (\\delta a^h{s} U_h^\\top)_{{{j + 1}}}\\, h{p}"
                          f" = ({_row_dot(da_h, w.U('h')[j])})"
                          f"\\cdot{_f(h_prev)} = {gnum(grads.dr[t, j])}"))
        candidate = f"(\\delta a^h{s} U_h^\\top)_{{{j + 1}}}\\, r{s}"
        candidate_value = float(da_h @ w.U("h")[j]) * r
    for gate, number, d_value, d_pre, pre in (("r", "2", grads.dr, grads.dr_pre, tr.r_pre),
                                              ("z", "1", grads.dz, grads.dz_pre, tr.z_pre)):
        lines.append(Line(_("({number}←) through σ").format(number=number),
                          f"\\delta a^{gate}{s} = \\delta {gate}{s} \\odot \\sigma'(a^{gate}{s}) = {_f(d_value[t, j])}"
                          f"\\cdot{_f(cfg.sigma.grad(pre[t, j]))} = {gnum(d_pre[t, j])}"))
    via_z = float(grads.dz_pre[t] @ w.U("z")[j])
    via_r = float(grads.dr_pre[t] @ w.U("r")[j])
    lines.append(Line(
        _("(0←) what step {step} passes back to {h}: the carry, both gates and the candidate").format(
            step=t + 1, h=f"h{subscript(t)}"),
        # Two aligned rows: symbols, then numbers; one row overflows the page.
        f"\\begin{{aligned}}\\delta h{p}\\big|_{{\\text{{{step} }}{t + 1}}} &= \\delta h{s} \\odot {c}{s}"
        f" + (\\delta a^z{s} U_z^\\top)_{{{j + 1}}} + (\\delta a^r{s} U_r^\\top)_{{{j + 1}}} + {candidate} \\\\"
        f" &= {_f(dh * keep)} + {_f(via_z)} + {_f(via_r)} + {_f(candidate_value)} = {gnum(grads.dh_prev[t, j])}"
        "\\end{aligned}",
    ))
    return lines
