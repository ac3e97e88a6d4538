r"""The ONNX `GRU` operator (opset 14–22), as one node's inputs and attributes hold it.

From the operator's own documentation (`onnx.defs.get_schema("GRU").doc`), row
vectors X_t, f the gates' activation, g the candidate's:

    z_t = f(X_t W_zᵀ + H_{t-1} R_zᵀ + Wb_z + Rb_z)
    r_t = f(X_t W_rᵀ + H_{t-1} R_rᵀ + Wb_r + Rb_r)
    h_t = g(X_t W_hᵀ + (r_t ⊙ H_{t-1}) R_hᵀ + Rb_h + Wb_h)          linear_before_reset = 0
    h_t = g(X_t W_hᵀ + r_t ⊙ (H_{t-1} R_hᵀ + Rb_h) + Wb_h)          linear_before_reset ≠ 0
    H_t = (1 − z_t) ⊙ h_t + z_t ⊙ H_{t-1}

W (dirs, 3H, D) and R (dirs, 3H, H) stack the row blocks z | r | h: each block
transposed is Keras's column block, in Keras's order. B (dirs, 6H) is [Wb | Rb].
So linear_before_reset=1 is Keras reset_after=True with bias rows Wb and Rb, and
linear_before_reset=0 is Keras reset_after=False with bias Wb + Rb: under reset
before, Rb_h is added outside r ⊙ (…) and folds into the input bias exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..errors import InputError
from ..math.cell import Convention
from ..math.trace import Trace, run
from ..math.weights import GRUWeights, as_finite_array
from ..text import N_, _, ngettext
from .base import ArraySpec, Layout, LayoutConfig
from .exact import ConversionRefused

DIRECTIONS = ("forward", "reverse", "bidirectional")

# gruviz's activations as ONNX writes them: (operator name, alpha, beta). ONNX stores
# alpha and beta as float32, so 1/6 arrives as 0.16666667: matched within float32 rounding.
ONNX_ACTIVATIONS: dict[str, tuple[str, float | None, float | None]] = {
    "sigmoid": ("Sigmoid", None, None),
    "tanh": ("Tanh", None, None),
    "relu": ("Relu", None, None),
    "softsign": ("Softsign", None, None),
    "hard_sigmoid": ("HardSigmoid", 1 / 6, 0.5),
    "hard_sigmoid_legacy": ("HardSigmoid", 0.2, 0.5),  # ONNX HardSigmoid's own defaults
    "linear": ("Affine", 1.0, 0.0),
}
_TAKES_PARAMETERS = {"Affine": (None, None), "HardSigmoid": (0.2, 0.5), "LeakyRelu": (0.01, None),
                     "ThresholdedRelu": (1.0, None), "ScaledTanh": (None, None), "Elu": (1.0, None)}


def activation_from_onnx(name: str, alpha: float | None, beta: float | None) -> str:
    """gruviz's name for one ONNX activation, or an InputError saying why none computes it."""
    canonical = {n.lower(): n for n in ("Sigmoid", "Tanh", "Relu", "Softsign", "HardSigmoid", "Affine", "LeakyRelu",
                                        "ThresholdedRelu", "ScaledTanh", "Elu", "Softplus")}.get(name.lower())
    if canonical is None:
        raise InputError(_("the ONNX activation {name} is not one the GRU operator defines.").format(name=repr(name)))
    default_alpha, default_beta = _TAKES_PARAMETERS.get(canonical, (None, None))
    alpha = default_alpha if alpha is None else alpha
    beta = default_beta if beta is None else beta
    for ours, (theirs, a, b) in ONNX_ACTIVATIONS.items():
        if theirs == canonical and _close32(alpha, a) and _close32(beta, b):
            return ours
    shown = canonical + (f"(alpha={alpha:g}" + (f", beta={beta:g})" if beta is not None else ")")
                         if alpha is not None else "")
    raise InputError(_(
        "the ONNX activation {activation} has no gruviz equivalent: gruviz computes sigmoid, tanh, relu, softsign, "
        "HardSigmoid with (alpha, beta) = (0.2, 0.5) or (1/6, 0.5), and Affine(1, 0); LeakyRelu, ThresholdedRelu, "
        "ScaledTanh, Elu, Softplus and other alphas would give other numbers."
    ).format(activation=shown))


def _close32(value: float | None, wanted: float | None) -> bool:
    if wanted is None or value is None:
        return value is None and wanted is None
    return bool(np.float32(value) == np.float32(wanted))


@dataclass(frozen=True, eq=False)
class OnnxGRU(Layout):
    NAME = "onnx"
    TITLE = "ONNX GRU"
    RESET_AFTER = None  # either: linear_before_reset says which, so no placement is ever rewritten
    CONVENTION = Convention.KERAS
    SPECS = (  # shapes for one direction; a bidirectional node has 2 in front
        ArraySpec("W", "W", lambda D, H: (1, 3 * H, D), N_("rows W_z | W_r | W_h, one column per input feature")),
        ArraySpec("R", "R", lambda D, H: (1, 3 * H, H), N_("rows R_z | R_r | R_h, one column per unit of Hₜ₋₁")),
        ArraySpec("B", "B", lambda D, H: (1, 6 * H), N_("Wb_z | Wb_r | Wb_h | Rb_z | Rb_r | Rb_h; absent means 0"),
                  optional=True),
        ArraySpec("initial_h", "initial_h", lambda D, H: (1, 1, H), N_("H₀ per direction (batch 1); absent means 0"),
                  optional=True),
        ArraySpec("sequence_lens", "sequence_lens", lambda D, H: (1,),
                  N_("steps read (batch 1); Y is 0 after them"), optional=True),
    )

    config: LayoutConfig
    W: np.ndarray  # (dirs, 3H, D)
    R: np.ndarray  # (dirs, 3H, H)
    B: np.ndarray | None = None  # (dirs, 6H)
    initial_h: np.ndarray | None = None  # (dirs, 1, H)
    sequence_lens: np.ndarray | None = None  # (1,) whole steps
    linear_before_reset: int = 1
    direction: str = "forward"
    layout: int = 0  # 0: X (T, batch, D), Y (T, dirs, batch, H); 1: batch first

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise InputError(_("direction {direction} is not an ONNX GRU direction; use one of {choices}.").format(
                direction=repr(self.direction), choices=", ".join(DIRECTIONS)))
        if self.linear_before_reset not in (0, 1):
            object.__setattr__(self, "linear_before_reset", 1)  # the operator reads any non-zero value as 1
        if self.layout not in (0, 1):
            raise InputError(_("layout={layout} is not an ONNX GRU layout; it is 0 (time first) or 1 (batch "
                               "first).").format(layout=self.layout))
        D, H, dirs = self.config.input_dim, self.config.units, self.num_directions
        for spec in self.SPECS:
            value = getattr(self, spec.field)
            if value is None:
                if not spec.optional:
                    raise InputError(_("{layout} needs {key}; it is missing.").format(layout=self.TITLE, key=spec.key))
                continue
            array = as_finite_array(spec.key, value)
            expected = spec.shape(D, H)
            if spec.key != "sequence_lens":
                expected = (dirs, *expected[1:])
            if array.shape != expected:
                raise InputError(_("{key} has shape {shape} but hidden_size={H}, input_size={D}, direction={direction} "
                                   "needs {needed}: {role}.").format(key=spec.key, shape=array.shape, H=H, D=D,
                                                                     direction=self.direction, needed=expected,
                                                                     role=spec.role))
            object.__setattr__(self, spec.field, array)
        if self.sequence_lens is not None:
            steps = self.sequence_lens[0]
            if steps != int(steps) or steps < 1:
                raise InputError(_("sequence_lens is {steps}; it must be a whole number of steps, at least 1.").format(
                    steps=f"{steps:g}"))

    # Beside the arrays in a weights JSON; "layout" is the JSON's own key, so ONNX's is "io_layout" there.
    ATTRIBUTES = {"linear_before_reset": "linear_before_reset", "direction": "direction", "io_layout": "layout"}

    def attributes(self) -> dict:
        """The node's attributes that change its numbers or shapes, for the weights JSON."""
        return {key: getattr(self, field) for key, field in self.ATTRIBUTES.items()}

    @classmethod
    def from_arrays(cls, config: LayoutConfig, arrays) -> "OnnxGRU":
        """From a weights JSON: the arrays plus linear_before_reset (required: the two
        values compute different numbers), direction and io_layout."""
        arrays = dict(arrays)
        attributes = {field: arrays.pop(key) for key, field in cls.ATTRIBUTES.items() if key in arrays}
        if "linear_before_reset" not in attributes:
            raise InputError(_('an ONNX GRU needs "linear_before_reset": 0 (reset before R_h, the operator\'s '
                               "default) or 1 (reset after, as PyTorch exports); the two compute different numbers."))
        lbr = attributes["linear_before_reset"]
        if isinstance(lbr, bool) or not isinstance(lbr, int):
            raise InputError(_("linear_before_reset must be 0 or 1, got {value}.").format(value=repr(lbr)))
        for name, kind in (("direction", str), ("layout", int)):
            if name in attributes and (isinstance(attributes[name], bool) or not isinstance(attributes[name], kind)):
                message = (_("{name} must be a name, got {value}.") if kind is str else
                           _("{name} must be 0 or 1, got {value}."))
                raise InputError(message.format(name=name, value=repr(attributes[name])))
        unknown = sorted(set(arrays) - {spec.key for spec in cls.SPECS})
        if unknown:
            raise InputError(_("{name} is not an input or attribute of an ONNX GRU; its inputs are W, R, B, "
                               "initial_h, sequence_lens and its attributes {attributes}.").format(
                name=repr(unknown[0]), attributes=", ".join(cls.ATTRIBUTES)))
        return cls(config, **{spec.field: arrays.get(spec.key) for spec in cls.SPECS}, **attributes)

    @property
    def num_directions(self) -> int:
        return 2 if self.direction == "bidirectional" else 1

    @property
    def reads_backwards(self) -> bool:
        """direction="reverse" reads X from its last (kept) step to its first."""
        return self.direction == "reverse"

    def directions(self) -> tuple["OnnxGRU", ...]:
        """One single-direction node per direction: forward, then reverse."""
        if self.direction != "bidirectional":
            return (self,)

        def one(d: int, direction: str) -> OnnxGRU:
            pick = lambda a: None if a is None else a[d : d + 1]  # noqa: E731
            return replace(self, W=pick(self.W), R=pick(self.R), B=pick(self.B), initial_h=pick(self.initial_h),
                           direction=direction)

        return one(0, "forward"), one(1, "reverse")

    @classmethod
    def join(cls, forward: "OnnxGRU", reverse: "OnnxGRU") -> "OnnxGRU":
        """A bidirectional node from its two directions, which must agree on everything but arrays."""
        for name in ("config", "linear_before_reset", "layout"):
            if getattr(forward, name) != getattr(reverse, name):
                raise ConversionRefused(_("one bidirectional ONNX node has one {name} for both directions; here "
                                          "forward has {forward} and reverse {reverse}.").format(
                    name=name, forward=repr(getattr(forward, name)), reverse=repr(getattr(reverse, name))))
        for name in ("B", "initial_h", "sequence_lens"):
            if (getattr(forward, name) is None) != (getattr(reverse, name) is None):
                raise ConversionRefused(_("one bidirectional ONNX node has {name} for both directions or for "
                                          "neither; only one direction has it here.").format(name=name))
        if forward.sequence_lens is not None and not np.array_equal(forward.sequence_lens, reverse.sequence_lens):
            raise ConversionRefused(_("both directions of one ONNX node read the same sequence_lens."))

        def both(name: str):
            a, b = getattr(forward, name), getattr(reverse, name)
            return None if a is None else np.concatenate([a, b])

        return cls(forward.config, both("W"), both("R"), both("B"), both("initial_h"), forward.sequence_lens,
                   forward.linear_before_reset, "bidirectional", forward.layout)

    def to_keras(self) -> tuple[GRUWeights, Convention]:
        if self.direction == "bidirectional":
            raise ConversionRefused(_(
                "a bidirectional ONNX node holds two GRUs, one per direction, and one set of Keras arrays holds "
                "one. Convert each direction on its own (OnnxGRU.directions(), or trace the .onnx file, which "
                "shows both)."
            ))
        H = self.config.units
        config = self.config.keras(reset_after=bool(self.linear_before_reset), use_bias=self.B is not None)
        bias = None
        if self.B is not None:
            Wb, Rb = self.B[0, : 3 * H], self.B[0, 3 * H :]
            bias = np.stack([Wb, Rb]) if self.linear_before_reset else Wb + Rb
        return GRUWeights.create(config, self.W[0].T, self.R[0].T, bias), self.CONVENTION

    @classmethod
    def from_keras(cls, weights: GRUWeights) -> "OnnxGRU":
        return cls._from_prepared(weights)

    @classmethod
    def _from_prepared(cls, w: GRUWeights) -> "OnnxGRU":
        # reset_after=False has no recurrent bias: Rb = 0 keeps Wb + Rb = bias exactly.
        B = None if w.bias is None else np.concatenate([w.input_bias, w.recurrent_bias])[None, :]
        return cls(LayoutConfig.of(w.config), w.kernel.T[None], w.recurrent_kernel.T[None], B,
                   linear_before_reset=int(w.config.reset_after))

    def run_inputs(self, x, h0, mask):
        """The run's sequence, start state and mask with this node's own inputs applied:
        sequence_lens keeps the first steps, initial_h is the start state unless h0 is given."""
        x = np.asarray(x, dtype=np.float64)
        if self.sequence_lens is not None:
            steps = int(self.sequence_lens[0])
            if steps > len(x):
                raise InputError(ngettext("the node's sequence_lens is {steps} but the sequence has {n} step.",
                                          "the node's sequence_lens is {steps} but the sequence has {n} steps.",
                                          len(x)).format(steps=steps, n=len(x)))
            x = x[:steps]
            mask = None if mask is None else np.asarray(mask)[:steps]
        if h0 is None and self.initial_h is not None and self.direction != "bidirectional":
            h0 = self.initial_h[0, 0]
        return x, h0, mask

    def equations_here(self) -> tuple[str, ...]:
        return self.equations(self.config, self.linear_before_reset)

    @staticmethod
    def equations(config: LayoutConfig, linear_before_reset: int = 1) -> tuple[str, ...]:
        f, g = config.sigma.write, config.phi.write
        candidate = (r"X_t W_h^\top + r_t \odot (H_{t-1} R_h^\top + Rb_h) + Wb_h" if linear_before_reset
                     else r"X_t W_h^\top + (r_t \odot H_{t-1}) R_h^\top + Rb_h + Wb_h")
        return (
            "z_t = " + f(r"X_t W_z^\top + H_{t-1} R_z^\top + Wb_z + Rb_z"),
            "r_t = " + f(r"X_t W_r^\top + H_{t-1} R_r^\top + Wb_r + Rb_r"),
            "h_t = " + g(candidate),
            r"H_t = (1 - z_t) \odot h_t + z_t \odot H_{t-1}",
        )


@dataclass(frozen=True, eq=False)
class OnnxRun:
    """What onnxruntime returns for one node on a batch of one, and gruviz's trace of each direction."""

    Y: np.ndarray  # layout 0: (T, dirs, 1, H); layout 1: (1, T, dirs, H)
    Y_h: np.ndarray  # layout 0: (dirs, 1, H); layout 1: (1, dirs, H)
    traces: tuple[Trace, ...]  # one per direction, each in its processing order


def onnx_outputs(node: OnnxGRU, x, h0=None) -> OnnxRun:
    """Y and Y_h as the operator defines them, from the one trace run once per direction.
    Steps at and after sequence_lens are 0 in Y; reverse reads steps L−1 … 0, and its Y is
    in input order."""
    x = as_finite_array(_("sequence"), x)
    T, H = len(x), node.config.units
    Y = np.zeros((T, node.num_directions, H))
    finals, traces = [], []
    for d, one in enumerate(node.directions()):
        start = None if h0 is None else np.asarray(h0, dtype=np.float64).reshape(node.num_directions, H)[d]
        kept, start, _mask = one.run_inputs(x, start, None)
        weights, rule = one.to_keras()
        trace = run(weights, kept, start, rule, go_backwards=one.reads_backwards)
        Y[trace.order, d] = trace.h
        finals.append(trace.h[-1])
        traces.append(trace)
    Y_h = np.array(finals)  # (dirs, H)
    if node.layout == 0:
        return OnnxRun(Y[:, :, None, :], Y_h[:, None, :], tuple(traces))
    return OnnxRun(Y[None], Y_h[None], tuple(traces))
