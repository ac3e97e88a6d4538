"""Run a GRU over a sequence and keep every intermediate number, step by step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import cell
from .cell import Convention
from ..errors import InputError
from ..text import _, ngettext
from .weights import GRUWeights, as_finite_array, gate_columns


class Recorded:
    """What every recorded run has, whatever its cell: the inputs x (T, D), the states
    h0 (H,) and h (T, H), and the outputs Keras returns, sequence_output (T, H)."""

    @property
    def steps(self) -> int:
        return len(self.x)

    @property
    def h_prev(self) -> np.ndarray:  # (T, H)
        return np.vstack([self.h0[None, :], self.h[:-1]])

    @property
    def output(self) -> np.ndarray:  # (H,)
        return self.sequence_output[-1]


@dataclass(frozen=True, eq=False)
class Trace(Recorded):
    """Everything one run computed. Step arrays are in processing order, so with
    go_backwards row 0 is the last input; `order[t]` is its index in the input."""

    weights: GRUWeights
    convention: Convention
    go_backwards: bool
    order: np.ndarray  # (T,) input index processed at each step
    x: np.ndarray  # (T, D) x_t in processing order
    mask: np.ndarray  # (T,) False where the step is skipped
    h0: np.ndarray  # (H,)
    xW: np.ndarray  # (T, 3H) x_t W, bias not included
    hU: np.ndarray  # (T, 3H) h_{t-1} U; with reset_after=False the h block is (r ⊙ h_{t-1}) U_h
    z_pre: np.ndarray  # (T, H)
    r_pre: np.ndarray  # (T, H)
    h_tilde_pre: np.ndarray  # (T, H)
    z: np.ndarray  # (T, H)
    r: np.ndarray  # (T, H)
    h_tilde: np.ndarray  # (T, H)
    h: np.ndarray  # (T, H) state after each step (carried over masked steps)
    sequence_output: np.ndarray  # (T, H) what Keras returns with return_sequences=True

    @property
    def overflow_step(self) -> int | None:
        """The first step whose state is no longer a finite number, if any: unbounded
        activations with large weights can grow h past float64's range."""
        bad = np.flatnonzero(~np.isfinite(self.h).all(axis=1))
        return int(bad[0]) if len(bad) else None

    def part(self, name: str, gate: str) -> np.ndarray:
        """One gate's block of `xW` or `hU`: (T, H)."""
        return getattr(self, name)[:, gate_columns(gate, self.weights.config.units)]


def run(
    weights: GRUWeights,
    x,
    h0=None,
    convention: Convention | str = Convention.KERAS,
    go_backwards: bool = False,
    mask=None,
) -> Trace:
    """Trace `weights` over x (T, D), exactly as keras.layers.GRU computes it, in float64."""
    cfg = weights.config
    convention = Convention(convention)
    x, h0, mask, order = read_inputs(x, h0, mask, go_backwards, cfg.input_dim, cfg.units)
    xW = project(x, weights.kernel)  # (T, 3H), all steps at once: it does not depend on h
    xw = xW + weights.input_bias  # (T, 3H)
    step = _Step(weights, convention)

    # Each step writes every number it computed into its row, so nothing is computed twice and
    # nothing is stacked after the loop. A masked step's gates and candidate are still computed
    # (the page shows them); its state is not used.
    T, H = len(x), cfg.units
    hU_zr, zr_pre, zr = np.empty((T, 2 * H)), np.empty((T, 2 * H)), np.empty((T, 2 * H))
    hU_h, h_tilde_pre, h_tilde, h = np.empty((T, H)), np.empty((T, H)), np.empty((T, H)), np.empty((T, H))
    h_prev = h0
    with np.errstate(over="ignore", invalid="ignore"):  # reported through Trace.overflow_step
        for t, kept in enumerate(mask.tolist()):
            hU_zr[t], hU_h[t], zr_pre[t], zr[t], h_tilde_pre[t], h_tilde[t], h_t = step(xw[t], h_prev)
            if kept:
                h_prev = h_t  # a masked step carries the state unchanged
            h[t] = h_prev
    z_pre, r_pre, z, r = zr_pre[:, :H], zr_pre[:, H:], zr[:, :H], zr[:, H:]
    hU = np.concatenate([hU_zr, hU_h], axis=-1)  # (T, 3H)

    sequence_output = shown_output(h, mask)  # (T, H)
    return Trace(
        weights=weights,
        convention=convention,
        go_backwards=go_backwards,
        order=order,
        x=x,
        mask=mask,
        h0=h0,
        xW=xW,
        hU=hU,
        z_pre=z_pre,
        r_pre=r_pre,
        h_tilde_pre=h_tilde_pre,
        z=z,
        r=r,
        h_tilde=h_tilde,
        h=h,
        sequence_output=sequence_output,
    )


def read_inputs(x, h0, mask, go_backwards: bool, input_dim: int, units: int):
    """Validate x (T, D), h0 (H,) and mask (T,), then put x and mask in processing order.
    Returns (x, h0, mask, order); every recurrent cell reads its inputs through this."""
    D, H = input_dim, units
    x = as_finite_array(_("sequence"), x)
    if x.ndim != 2 or x.shape[1] != D or len(x) == 0:
        raise InputError(_("the sequence has shape {shape} but (timesteps ≥ 1, input_dim={D}) is needed.").format(
            shape=x.shape, D=D))
    T = len(x)
    h0 = np.zeros(H) if h0 is None else as_finite_array("h0", h0, (H,))
    mask = np.ones(T, bool) if mask is None else np.array(mask, dtype=bool).reshape(-1)
    if mask.shape != (T,):
        raise InputError(_("the mask has {entries} but the sequence has {steps}.").format(
            entries=ngettext("{count} entry", "{count} entries", mask.size).format(count=mask.size),
            steps=ngettext("{count} timestep", "{count} timesteps", T).format(count=T)))
    order = np.arange(T)[::-1] if go_backwards else np.arange(T)
    return x[order], h0, mask[order], order


def shown_output(h: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """What Keras returns with return_sequences=True, from the states h (T, H): the state
    at kept steps, the last kept output repeated at masked ones, 0 (not h0) before any."""
    shown = shown_steps(mask)  # (T,)
    return np.where((shown >= 0)[:, None], h[np.maximum(shown, 0)], 0.0)


def shown_steps(mask: np.ndarray) -> np.ndarray:
    """For each step, the step whose state Keras outputs there: itself when kept, the
    last kept step when masked, -1 before any kept step (where the output is 0). (T,)"""
    return np.maximum.accumulate(np.where(mask, np.arange(len(mask)), -1))


_ROWS = 128  # steps per block of x W


def project(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """x W for all steps at once: (T, D) @ (D, k) → (T, k), in blocks of `_ROWS` steps.
    OpenBLAS splits a larger product across the cores, and on a busy 2-core machine waiting
    for the other core took up to 12 ms where a block runs in this thread (T=1000, D=32,
    H=64: 0.24 ms in blocks; NumPy's einsum, which needs no BLAS, 1.25 ms)."""
    xW = np.empty((len(x), kernel.shape[1]))
    for start in range(0, len(x), _ROWS):
        np.matmul(x[start : start + _ROWS], kernel, out=xW[start : start + _ROWS])
    return xW


class _Step:
    """Equations (1)–(4) for one step of one config: x_t W + b^x (3H,) and h_{t-1} (H,) in,
    every number the step computes out. x_t W is computed before the loop, so only the
    products by U stay in it."""

    def __init__(self, weights: GRUWeights, convention: Convention):
        cfg = weights.config
        H = cfg.units
        self.H, self.reset_after, self.convention = H, cfg.reset_after, convention
        self.sigma, self.phi = cfg.sigma.fn, cfg.phi.fn  # .fn: one call less per step
        U, b = weights.recurrent_kernel, weights.recurrent_bias
        # reset_after multiplies h_{t-1} by all of U in one product (cheaper than two);
        # reset_before needs r before it can multiply by U_h.
        self.U_first = U if cfg.reset_after else U[:, : 2 * H].copy()  # (H, 3H) or (H, 2H)
        self.U_h = U[:, 2 * H :].copy()  # (H, H)
        self.b_first = b if cfg.reset_after else b[: 2 * H]  # the bias of what U_first computes

    def __call__(self, xw: np.ndarray, h_prev: np.ndarray):
        """→ hU_zr, hU_h (both without the bias; under reset_before hU_h is (r ⊙ h_{t-1}) U_h),
        zr_pre, zr (z and r side by side), h_tilde_pre, h_tilde, h_t."""
        H2 = 2 * self.H
        hu = np.dot(h_prev, self.U_first)  # (3H,) or (2H,); np.dot: less overhead than @ for one row
        hu_b = hu + self.b_first  # h_{t-1} U + b^h, every gate in one sum
        zr_pre = cell.gate_pre(xw[:H2], hu_b[:H2])  # (1) and (2) share one form
        zr = self.sigma(zr_pre)
        z, r = zr[: self.H], zr[self.H :]
        if self.reset_after:
            hu_h = hu[H2:]
            h_tilde_pre = cell.candidate_pre_reset_after(xw[H2:], hu_b[H2:], r)
        else:
            hu_h = cell.reset_state(r, h_prev) @ self.U_h
            h_tilde_pre = cell.candidate_pre_reset_before(xw[H2:], hu_h)
        h_tilde = self.phi(h_tilde_pre)
        return hu[:H2], hu_h, zr_pre, zr, h_tilde_pre, h_tilde, cell.h(z, h_prev, h_tilde, self.convention)
