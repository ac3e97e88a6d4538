r"""Backpropagation through time over a recorded forward `Trace`.

The loss sees what Keras returns, `sequence_output` (T, H) in processing order. Its
gradient reaches the states like this:

    ∂L/∂h_t = (∂L/∂out_s summed over the outputs s that show h_t) + ∂L/∂h_t through step t+1

An output at a masked step repeats the last kept step's output, so its gradient goes
to that step's h (or nowhere before the first kept step: that output is a constant 0).
A masked step carries the state, so its gradient passes straight through to h_{t-1}.
Then each kept step, from the last to the first, applies the rules of
`gruviz.math.cell_backward`; the parameter gradients are sums over steps, done at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Callable

import numpy as np

from . import cell, cell_backward
from ..errors import InputError
from ..text import _
from .trace import Trace, shown_steps
from .weights import as_finite_array


# ----------------------------------------------------------------------------- losses


@dataclass(frozen=True)
class Loss:
    name: str
    latex: str  # L written with h_T = the final output, o_t = each step's output
    target: str  # "none", "vector" (H,) or "sequence" (T, H)
    # (sequence_output (T, H), target) → (L, ∂L/∂sequence_output (T, H))
    fn: Callable[[np.ndarray, np.ndarray | None], tuple[float, np.ndarray]]


def _sum(out: np.ndarray, _target) -> tuple[float, np.ndarray]:
    d_out = np.zeros_like(out)  # (T, H)
    d_out[-1] = 1.0  # L = Σ_j h_T,j
    return float(out[-1].sum()), d_out


def _mse(out: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    diff = out[-1] - y  # (H,)
    d_out = np.zeros_like(out)
    d_out[-1] = 2.0 * diff / diff.size
    return float(np.mean(diff**2)), d_out


def _mse_all(out: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    diff = out - y  # (T, H)
    return float(np.mean(diff**2)), 2.0 * diff / diff.size


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("sum", r"L = \sum_j h_{T,j}", "none", _sum),
        Loss("mse", r"L = \tfrac{1}{H}\sum_j (h_{T,j} - y_j)^2", "vector", _mse),
        Loss("mse_all", r"L = \tfrac{1}{TH}\sum_{t,j} (o_{t,j} - Y_{t,j})^2", "sequence", _mse_all),
    )
}


def get_loss(name: str) -> Loss:
    if name not in LOSSES:
        raise InputError(_("loss {name} is not supported; choose one of {choices}.").format(
            name=repr(name), choices=", ".join(LOSSES)))
    return LOSSES[name]


def target_shape(loss: Loss, units: int, steps: int) -> tuple[int, ...] | None:
    return {"none": None, "vector": (units,), "sequence": (steps, units)}[loss.target]


def check_target(loss: Loss, target, units: int, steps: int) -> np.ndarray | None:
    """The target as a read-only float64 array of the shape `loss` needs, or InputError."""
    shape = target_shape(loss, units, steps)
    if shape is None:
        if target is not None:
            raise InputError(_("the {loss} loss takes no target.").format(loss=loss.name))
        return None
    if target is None:
        raise InputError(_("the {loss} loss needs a target of shape {shape}.").format(loss=loss.name, shape=shape))
    target = as_finite_array(_("target"), target)
    if target.shape != shape:
        if loss.target == "vector":
            message = _("the {loss} target has shape {shape} but {needed} is needed (one value per unit).")
        else:
            message = _("the {loss} target has shape {shape} but {needed} is needed (one row per output step, one "
                        "value per unit).")
        raise InputError(message.format(loss=loss.name, shape=target.shape, needed=shape))
    return target


# ----------------------------------------------------------------------------- gradients


@dataclass(frozen=True, eq=False)
class Gradients:
    """∂L/∂(everything) for one trace. Step arrays are in processing order, like the
    trace; `x` is in the original input order, like the sequence the user typed."""

    trace: Trace
    loss_name: str
    target: np.ndarray | None  # (H,) for mse, (T, H) for mse_all
    loss: float
    d_output: np.ndarray  # (T, H) ∂L/∂sequence_output, as the loss sees it
    from_output: np.ndarray  # (T, H) the part of ∂L/∂h_t that comes from the outputs showing h_t
    dh: np.ndarray  # (T, H) ∂L/∂h_t in total: from_output + through step t+1
    dh_prev: np.ndarray  # (T, H) ∂L/∂h_{t-1} through step t (what step t passes back)
    dz: np.ndarray  # (T, H) ∂L/∂z_t; zero at masked steps, which use no gate
    dr: np.ndarray  # (T, H) ∂L/∂r_t
    dh_tilde: np.ndarray  # (T, H) ∂L/∂h~_t
    dz_pre: np.ndarray  # (T, H) ∂L/∂a_z
    dr_pre: np.ndarray  # (T, H) ∂L/∂a_r
    dh_tilde_pre: np.ndarray  # (T, H) ∂L/∂a_h
    kernel: np.ndarray  # (D, 3H)
    recurrent_kernel: np.ndarray  # (H, 3H)
    bias: np.ndarray | None  # (2, 3H) | (3H,) | None, as the weights' bias
    x: np.ndarray  # (T, D) original input order

    @property
    def h0(self) -> np.ndarray:  # (H,)
        return self.dh_prev[0]

    @property
    def finite(self) -> bool:
        """False when the forward state or a gradient left float64's range."""
        return all(np.isfinite(a).all() for a in (self.dh, self.kernel, self.recurrent_kernel, self.x))


def route_to_states(d_output: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """∂L/∂out (T, H) → the direct part of ∂L/∂h_t (T, H).

    Keras's output at a masked step repeats the last kept output, i.e. shows that
    step's h; before any kept step it is a constant 0 and its gradient is dropped."""
    shown = shown_steps(mask)  # (T,)
    routed = np.zeros_like(d_output)
    np.add.at(routed, shown[shown >= 0], d_output[shown >= 0])
    return routed


@dataclass(frozen=True, eq=False)
class StepGradients:
    """What one step passes back: each (H,), or (T, H) once `stack`ed."""

    dz: np.ndarray
    dr: np.ndarray
    dh_tilde: np.ndarray
    dz_pre: np.ndarray
    dr_pre: np.ndarray
    dh_tilde_pre: np.ndarray
    dh_prev: np.ndarray

    @classmethod
    def carried(cls, dh: np.ndarray) -> "StepGradients":
        """A masked step: h_t = h_{t-1}, no gate is used, the gradient passes straight through."""
        zero = np.zeros_like(dh)
        return cls(zero, zero, zero, zero, zero, zero, dh)

    @classmethod
    def stack(cls, steps: list["StepGradients"]) -> "StepGradients":
        return cls(*(np.array([getattr(s, f.name) for s in steps]) for f in fields(cls)))


class _StepBackward:
    """The backward rules of one step, in the order the chain rule meets them. Pairs
    with trace._Step: it reads the trace's recorded numbers instead of recomputing."""

    def __init__(self, trace: Trace):
        w = trace.weights
        H = w.config.units
        self.trace, self.H = trace, H
        self.reset_after, self.sigma, self.phi = w.config.reset_after, w.config.sigma, w.config.phi
        self.U_zr_T = w.recurrent_kernel[:, : 2 * H].T.copy()  # (2H, H)
        self.U_h_T = w.U("h").T.copy()  # (H, H)
        # reset_after: (h_{t-1} U_h + b^h_h), the factor r multiplies in (3a); (T, H)
        self.hu_h = trace.part("hU", "h") + w.b_h("h")
        self.h_prev = trace.h_prev  # (T, H)

    def __call__(self, t: int, dh: np.ndarray) -> StepGradients:
        tr = self.trace
        h_prev = self.h_prev[t]
        # (4←) update
        dz, dh_tilde, dh_prev = cell_backward.h_backward(dh, tr.z[t], h_prev, tr.h_tilde[t], tr.convention)
        # (3←) candidate: through φ, then through where r meets h_{t-1}
        da_h = cell_backward.activation_backward(dh_tilde, tr.h_tilde_pre[t], self.phi)  # (H,)
        if self.reset_after:
            dr, d_hu_h = cell_backward.candidate_pre_reset_after_backward(da_h, tr.r[t], self.hu_h[t])
            dh_prev = dh_prev + d_hu_h @ self.U_h_T
        else:
            dr, via_reset = cell_backward.reset_state_backward(da_h @ self.U_h_T, tr.r[t], h_prev)
            dh_prev = dh_prev + via_reset
        # (2←), (1←) gates through σ; both read h_{t-1} through U_z, U_r
        da_z = cell_backward.activation_backward(dz, tr.z_pre[t], self.sigma)
        da_r = cell_backward.activation_backward(dr, tr.r_pre[t], self.sigma)
        dh_prev = dh_prev + np.concatenate([da_z, da_r]) @ self.U_zr_T
        return StepGradients(dz, dr, dh_tilde, da_z, da_r, da_h, dh_prev)


def backward(trace: Trace, loss: str = "sum", target=None) -> Gradients:
    """∂L/∂ every step's h and pre-activations, the parameters, x and h0."""
    w = trace.weights
    cfg = w.config
    H, T = cfg.units, trace.steps
    chosen = get_loss(loss)
    target = check_target(chosen, target, H, T)
    with np.errstate(over="ignore", invalid="ignore"):  # exploding runs show as inf, see Gradients.finite
        value, d_output = chosen.fn(trace.sequence_output, target)
        from_output = route_to_states(d_output, trace.mask)

        # The recurrence: only ∂L/∂h flows from step to step.
        step = _StepBackward(trace)
        dh = np.empty((T, H))
        per_step: list[StepGradients] = [None] * T  # filled from the last step back
        through_next = np.zeros(H)  # nothing comes back from beyond the last step
        for t in reversed(range(T)):
            dh[t] = from_output[t] + through_next
            per_step[t] = step(t, dh[t]) if trace.mask[t] else StepGradients.carried(dh[t])
            through_next = per_step[t].dh_prev
        g = StepGradients.stack(per_step)  # (T, H) each

        kernel, recurrent_kernel, bias, dx = _parameter_gradients(trace, g, step.hu_h)
    order_back = np.empty_like(trace.order)
    order_back[trace.order] = np.arange(T)
    return Gradients(
        trace=trace, loss_name=chosen.name, target=target, loss=value, d_output=d_output,
        from_output=from_output, dh=dh, dh_prev=g.dh_prev, dz=g.dz, dr=g.dr, dh_tilde=g.dh_tilde,
        dz_pre=g.dz_pre, dr_pre=g.dr_pre, dh_tilde_pre=g.dh_tilde_pre,
        kernel=kernel, recurrent_kernel=recurrent_kernel, bias=bias,
        x=dx[order_back],  # row i: the input the user typed at position i
    )


def _parameter_gradients(trace: Trace, g: StepGradients, hu_h: np.ndarray):
    r"""Sums over steps of the local rules: $\partial W = \sum_t x_t^\top \partial a_t$,
    $\partial U = \sum_t h_{t-1}^\top \partial(h_{t-1}U)_t$, $\partial b$ = the sum of what each bias is added to."""
    w = trace.weights
    cfg = w.config
    H = cfg.units
    da = np.concatenate([g.dz_pre, g.dr_pre, g.dh_tilde_pre], axis=1)  # (T, 3H) ∂(x_t W + b^x)
    kernel = trace.x.T @ da  # (D, 3H)
    dx = da @ w.kernel.T  # (T, D), processing order
    h_prev = trace.h_prev  # (T, H)
    if cfg.reset_after:
        _, d_hu_h = cell_backward.candidate_pre_reset_after_backward(g.dh_tilde_pre, trace.r, hu_h)
        d_hu = np.concatenate([da[:, : 2 * H], d_hu_h], axis=1)  # (T, 3H) ∂(h_{t-1} U + b^h)
        recurrent_kernel = h_prev.T @ d_hu  # (H, 3H)
        bias = np.stack([da.sum(axis=0), d_hu.sum(axis=0)])  # (2, 3H): row 0 beside xW, row 1 beside hU
    else:
        reset_h = cell.reset_state(trace.r, h_prev)  # (T, H), what U_h multiplies in (3b)
        recurrent_kernel = np.concatenate([h_prev.T @ da[:, : 2 * H], reset_h.T @ g.dh_tilde_pre], axis=1)
        bias = da.sum(axis=0)  # (3H,)
    return kernel, recurrent_kernel, bias if cfg.use_bias else None, dx


# ----------------------------------------------------------------------------- JSON


def backward_json(grads: Gradients) -> dict:
    """The CLI's form. `bias` is null when use_bias=False, so the keys never change."""
    return {
        "loss": grads.loss,
        "grads": {
            "kernel": grads.kernel.tolist(),
            "recurrent_kernel": grads.recurrent_kernel.tolist(),
            "bias": None if grads.bias is None else grads.bias.tolist(),
            "x": grads.x.tolist(),
            "h0": grads.h0.tolist(),
        },
        "steps": [
            {
                "t": t,
                "dh": grads.dh[t].tolist(),
                "dz_pre": grads.dz_pre[t].tolist(),
                "dr_pre": grads.dr_pre[t].tolist(),
                "dh_tilde_pre": grads.dh_tilde_pre[t].tolist(),
            }
            for t in range(grads.trace.steps)
        ],
    }
