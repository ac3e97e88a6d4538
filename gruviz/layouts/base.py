"""What every non-Keras layout shares: its config, its named arrays, and validation.

A layout is a frozen dataclass with a `config` and one field per array, named as
the framework names it. `ArraySpec` ties the field to the framework's own key
(TF1's "gates/kernel" is not a Python name) and to the shape that key must have.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar, Mapping

import numpy as np

from ..math.activations import Activation
from ..math.cell import Convention
from ..errors import InputError
from ..math.weights import GRUConfig, GRUWeights, as_finite_array
from ..text import _, ngettext
from .exact import prepared


@dataclass(frozen=True)
class LayoutConfig:
    """What every layout needs besides its arrays; validated like a Keras config."""

    units: int
    input_dim: int
    activation: str = "tanh"
    recurrent_activation: str = "sigmoid"

    def __post_init__(self) -> None:
        self.keras(reset_after=True)  # GRUConfig owns the checks and their messages

    @property
    def phi(self) -> Activation:
        return self.keras(reset_after=True).phi

    @property
    def sigma(self) -> Activation:
        return self.keras(reset_after=True).sigma

    def keras(self, reset_after: bool, use_bias: bool = True) -> GRUConfig:
        return GRUConfig(
            units=self.units,
            input_dim=self.input_dim,
            reset_after=reset_after,
            use_bias=use_bias,
            activation=self.activation,
            recurrent_activation=self.recurrent_activation,
        )

    @classmethod
    def of(cls, config: GRUConfig) -> "LayoutConfig":
        return cls(config.units, config.input_dim, config.activation, config.recurrent_activation)


@dataclass(frozen=True)
class ArraySpec:
    key: str  # the framework's name, used in the weights JSON
    field: str  # the dataclass field holding it
    shape: Callable[[int, int], tuple[int, ...]]  # (input_dim D, units H) → shape
    # What its rows and columns hold, for people: an English phrase marked with N_ (the tables are built
    # at import), read translated through `role`. "{module}" in it stands for the key's part before "/".
    about: str
    optional: bool = False  # may be absent (PyTorch bias=False)

    @property
    def role(self) -> str:
        """`about` in the reader's language."""
        return _(self.about).format(module=self.key.split("/")[0])


class Layout:
    """Base of the non-Keras layouts. Subclasses are frozen dataclasses declaring
    `config: LayoutConfig` and one array field per `SPECS` entry; construction
    validates every array, so an instance is always consistent."""

    NAME: ClassVar[str]
    TITLE: ClassVar[str]
    RESET_AFTER: ClassVar[bool]  # where its candidate applies r
    CONVENTION: ClassVar[Convention]  # its update rule
    RECURRENT_BIAS: ClassVar[bool] = True  # False: nothing can be added to h U_h inside r ⊙ (…)
    SPECS: ClassVar[tuple[ArraySpec, ...]]

    config: LayoutConfig

    def __post_init__(self) -> None:
        D, H = self.config.input_dim, self.config.units
        for spec in self.SPECS:
            value = getattr(self, spec.field)
            if value is None:
                if not spec.optional:
                    raise InputError(_("{layout} needs {key}; it is missing.").format(layout=self.TITLE, key=spec.key))
                continue
            array = as_finite_array(spec.key, value)
            expected = spec.shape(D, H)
            if array.shape != expected:
                raise InputError(_("{key} has shape {shape} but units={H}, input_dim={D} needs {needed}: "
                                   "{role}.").format(key=spec.key, shape=array.shape, H=H, D=D, needed=expected,
                                                     role=spec.role))
            object.__setattr__(self, spec.field, array)

    @classmethod
    def from_arrays(cls, config: LayoutConfig, arrays: Mapping[str, object]):
        """Build from the framework's own names, saying which names are wrong or missing."""
        known = [spec.key for spec in cls.SPECS]
        unknown = sorted(set(arrays) - set(known))
        if unknown:
            raise InputError(_("{name} is not an array of {layout}; its arrays are {arrays}.").format(
                name=repr(unknown[0]), layout=cls.TITLE, arrays=", ".join(known)))
        missing = [spec.key for spec in cls.SPECS if spec.key not in arrays and not spec.optional]
        if missing:
            listing = ", ".join(_("{key} (optional)").format(key=s.key) if s.optional else s.key for s in cls.SPECS)
            raise InputError(ngettext("{layout} needs {missing}, which is missing; its arrays are {arrays}.",
                                      "{layout} needs {missing}, which are missing; its arrays are {arrays}.",
                                      len(missing)).format(layout=cls.TITLE, missing=", ".join(missing),
                                                           arrays=listing))
        return cls(config, **{spec.field: arrays.get(spec.key) for spec in cls.SPECS})

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays under the framework's names, in its order; absent ones left out."""
        return {s.key: getattr(self, s.field) for s in self.SPECS if getattr(self, s.field) is not None}

    def to_keras(self) -> tuple[GRUWeights, Convention]:
        """Keras weights computing exactly what this layout computes, and the update
        rule they must be run with (Keras's own, except for Wikipedia's)."""
        raise NotImplementedError

    @classmethod
    def from_keras(cls, weights: GRUWeights):
        """The inverse of `to_keras`: this layout's arrays computing what `weights`
        compute under `CONVENTION`. Refuses (ConversionRefused) when no arrays can;
        `gruviz.layouts.convert` also changes the update rule when asked."""
        return cls._from_prepared(prepared(weights, cls)[0])

    @classmethod
    def _from_prepared(cls, weights: GRUWeights):
        """The plain array mapping, for weights whose reset placement and biases already fit."""
        raise NotImplementedError

    @staticmethod
    def equations(config: LayoutConfig) -> tuple[str, ...]:
        """Its equations in its own symbols, as LaTeX lines."""
        raise NotImplementedError

    @staticmethod
    def limits(config: LayoutConfig) -> str | None:
        """Why the real framework cannot run this config, if it cannot."""
        return None

