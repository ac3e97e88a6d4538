"""A GRU's configuration and weights in the Keras 3 layout, validated once here.

Keras `layer.get_weights()` returns kernel W (D, 3H), recurrent_kernel U (H, 3H)
and, with use_bias, a bias of shape (2, 3H) when reset_after=True (row 0 is added
to xW, row 1 to hU) or (3H,) when reset_after=False. Column blocks are z | r | h.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .activations import ACTIVATIONS, Activation
from ..errors import InputError
from ..limits import CORE
from ..text import _

GATES = ("z", "r", "h")


@dataclass(frozen=True)
class GRUConfig:
    units: int
    input_dim: int
    reset_after: bool = True
    use_bias: bool = True
    activation: str = "tanh"
    recurrent_activation: str = "sigmoid"

    def __post_init__(self) -> None:
        for name in ("units", "input_dim"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise InputError(_("{name} must be a whole number of at least 1, got {value}.").format(
                    name=name, value=repr(value)))
            cap = getattr(CORE, f"max_{name}")
            if value > cap:
                raise InputError(_("{name}={value} is more than gruviz handles (at most {cap}); use a smaller "
                                   "layer.").format(name=name, value=value, cap=cap))
        for name in ("activation", "recurrent_activation"):
            value = getattr(self, name)
            if value not in ACTIVATIONS:
                raise InputError(_("{name} {value} is not supported; choose one of {choices}.").format(
                    name=name, value=repr(value), choices=", ".join(ACTIVATIONS)))
        for name in ("reset_after", "use_bias"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise InputError(_("{name} must be true or false, got {value}.").format(
                    name=name, value=repr(getattr(self, name))))

    @property
    def phi(self) -> Activation:
        """The candidate's activation, φ."""
        return ACTIVATIONS[self.activation]

    @property
    def sigma(self) -> Activation:
        """The gates' activation, σ."""
        return ACTIVATIONS[self.recurrent_activation]

    @property
    def bias_shape(self) -> tuple[int, ...] | None:
        if not self.use_bias:
            return None
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)


def gate_columns(gate: str, units: int) -> slice:
    """The columns of gate z, r or h in a (…, 3H) Keras array."""
    i = GATES.index(gate)
    return slice(i * units, (i + 1) * units)


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def as_finite_array(name: str, value, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Turn nested lists or an array into a read-only float64 array, or say what is wrong."""
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(_("{name} must contain only numbers.").format(name=name)) from None
    if shape is not None and array.shape != shape:
        raise InputError(_("{name} has shape {shape} but {needed} is needed.").format(
            name=name, shape=array.shape, needed=shape))
    if not np.isfinite(array).all():  # argwhere only on the way out: it is slow beside all()
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise InputError(_("{name} contains {value} at index {index}; every value must be a finite number.").format(
            name=name, value=array[where], index=list(where)))
    return _read_only(array)


@dataclass(frozen=True, eq=False)
class GRUWeights:
    """Build with `GRUWeights.create`, which validates; the fields are then read-only float64."""

    config: GRUConfig
    kernel: np.ndarray  # (D, 3H)
    recurrent_kernel: np.ndarray  # (H, 3H)
    bias: np.ndarray | None  # (2, 3H) | (3H,) | None, exactly as Keras stores it
    input_bias: np.ndarray = field(init=False, repr=False)  # (3H,) added to x W
    recurrent_bias: np.ndarray = field(init=False, repr=False)  # (3H,) added to h U

    def __post_init__(self) -> None:
        three_h = 3 * self.config.units
        if self.bias is None:
            bx, bh = np.zeros(three_h), np.zeros(three_h)
        elif self.bias.ndim == 2:
            bx, bh = self.bias[0], self.bias[1]
        else:
            # reset_after=False has no recurrent bias: all of it sits beside x W.
            bx, bh = self.bias, np.zeros(three_h)
        object.__setattr__(self, "input_bias", _read_only(np.array(bx)))
        object.__setattr__(self, "recurrent_bias", _read_only(np.array(bh)))

    @classmethod
    def create(cls, config: GRUConfig, kernel, recurrent_kernel, bias=None) -> "GRUWeights":
        D, H = config.input_dim, config.units
        kernel = as_finite_array("kernel", kernel)
        recurrent_kernel = as_finite_array("recurrent_kernel", recurrent_kernel)
        if kernel.shape != (D, 3 * H):
            raise InputError(_(
                "kernel has shape {shape} but input_dim={D}, units={H} needs {needed}: one row per input feature "
                "and 3·units columns (z | r | h)."
            ).format(shape=kernel.shape, D=D, H=H, needed=(D, 3 * H)))
        if recurrent_kernel.shape != (H, 3 * H):
            raise InputError(_("recurrent_kernel has shape {shape} but units={H} needs {needed}.").format(
                shape=recurrent_kernel.shape, H=H, needed=(H, 3 * H)))
        expected = config.bias_shape
        if expected is None:
            if bias is not None:
                raise InputError(_("a bias was given but use_bias=False; remove it or set use_bias=True."))
            return cls(config, kernel, recurrent_kernel, None)
        if bias is None:
            raise InputError(_("use_bias=True needs a bias of shape {shape}; none was given.").format(shape=expected))
        bias = as_finite_array("bias", bias)
        if bias.shape != expected:
            raise InputError(_bias_hint(bias.shape, config))
        return cls(config, kernel, recurrent_kernel, bias)

    @classmethod
    def from_keras_arrays(cls, arrays, **options) -> "GRUWeights":
        """Weights from `layer.get_weights()`, reading units, input_dim, reset_after and
        use_bias off the shapes unless `options` names them."""
        arrays = list(arrays)
        if len(arrays) not in (2, 3):
            raise InputError(_("a Keras GRU has 2 arrays (no bias) or 3 (kernel, recurrent_kernel, bias); got "
                               "{n}.").format(n=len(arrays)))
        kernel = as_finite_array("kernel", arrays[0])
        if kernel.ndim != 2 or kernel.shape[1] % 3:
            raise InputError(_("kernel has shape {shape}; a GRU kernel is (input_dim, 3·units).").format(
                shape=kernel.shape))
        H = kernel.shape[1] // 3
        recurrent = as_finite_array("recurrent_kernel", arrays[1]).shape
        if recurrent != (H, 3 * H):
            raise InputError(_("the 2nd array, recurrent_kernel, has shape {shape}; the kernel's {columns} columns "
                               "mean units={H}, so it should be {needed}.").format(
                shape=recurrent, columns=3 * H, H=H, needed=(H, 3 * H)))
        bias = arrays[2] if len(arrays) == 3 else None
        bias_ndim = np.ndim(bias) if bias is not None else None
        inferred = dict(
            units=kernel.shape[1] // 3,
            input_dim=kernel.shape[0],
            use_bias=bias is not None,
            reset_after=bias_ndim != 1,
        )
        config = GRUConfig(**{**inferred, **options})
        return cls.create(config, kernel, arrays[1], bias)

    def keras_arrays(self) -> list[np.ndarray]:
        """What `layer.set_weights()` takes."""
        arrays = [self.kernel, self.recurrent_kernel]
        return arrays if self.bias is None else arrays + [self.bias]

    def W(self, gate: str) -> np.ndarray:
        """W_z, W_r or W_h: (D, H)."""
        return self.kernel[:, gate_columns(gate, self.config.units)]

    def U(self, gate: str) -> np.ndarray:
        """U_z, U_r or U_h: (H, H)."""
        return self.recurrent_kernel[:, gate_columns(gate, self.config.units)]

    def b_x(self, gate: str) -> np.ndarray:
        """The input bias of one gate: (H,)."""
        return self.input_bias[gate_columns(gate, self.config.units)]

    def b_h(self, gate: str) -> np.ndarray:
        """The recurrent bias of one gate (zero when reset_after=False): (H,)."""
        return self.recurrent_bias[gate_columns(gate, self.config.units)]

    def with_config(self, **changes) -> "GRUWeights":
        """The same arrays under another config; the bias is re-laid out when
        reset_after or use_bias change, keeping every value that still has a place."""
        config = replace(self.config, **changes)
        if config.bias_shape is None:
            bias = None
        elif config.reset_after:
            bias = np.stack([self.input_bias, self.recurrent_bias])
        else:
            bias = self.input_bias + self.recurrent_bias
        return GRUWeights.create(config, self.kernel, self.recurrent_kernel, bias)


def _bias_hint(shape: tuple[int, ...], config: GRUConfig) -> str:
    H = config.units
    if config.reset_after and shape == (3 * H,):
        message = _("bias has shape {shape} but reset_after={reset_after} needs {needed} — did this model use "
                    "reset_after=False?")
    elif not config.reset_after and shape == (2, 3 * H):
        message = _("bias has shape {shape} but reset_after={reset_after} needs {needed} — did this model use "
                    "reset_after=True (the Keras 3 default)?")
    elif shape and shape[-1] % 3 == 0 and shape[-1] // 3 != H:
        message = _("bias has shape {shape} but reset_after={reset_after} needs {needed} — this bias belongs to a "
                    "GRU with units={units}.")
    else:
        message = _("bias has shape {shape} but reset_after={reset_after} needs {needed}.")
    return message.format(shape=shape, reset_after=config.reset_after, needed=config.bias_shape,
                          units=shape[-1] // 3 if shape else H)
