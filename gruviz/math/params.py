r"""How many numbers each cell learns, one formula each, as Keras's `count_params()` counts them.

    GRU, reset_after=True:   3·(D·H + H·H + H) + 3·H   (the second bias row)
    GRU, reset_after=False:  3·(D·H + H·H + H)
    LSTM:                    4·(D·H + H·H + H)
    without a bias:          drop every H term that is not in a product.
"""

from __future__ import annotations

from dataclasses import dataclass


def gru(units: int, input_dim: int, reset_after: bool = True, use_bias: bool = True) -> int:
    r"""$3(DH + H^2 + H) + 3H$ with reset_after; $3(DH + H^2 + H)$ without; no bias: $3(DH + H^2)$."""
    D, H = input_dim, units
    biases = (2 if reset_after else 1) * 3 * H if use_bias else 0
    return 3 * (D * H + H * H) + biases


def lstm(units: int, input_dim: int, use_bias: bool = True) -> int:
    r"""$4(DH + H^2 + H)$; no bias: $4(DH + H^2)$."""
    D, H = input_dim, units
    return 4 * (D * H + H * H) + (4 * H if use_bias else 0)


@dataclass(frozen=True)
class Counts:
    gru_reset_after: int
    gru_reset_before: int
    lstm: int

    @classmethod
    def of(cls, units: int, input_dim: int, use_bias: bool = True) -> "Counts":
        return cls(gru(units, input_dim, True, use_bias), gru(units, input_dim, False, use_bias),
                   lstm(units, input_dim, use_bias))

    def as_json(self) -> dict:
        return {"gru_reset_after": self.gru_reset_after, "gru_reset_before": self.gru_reset_before,
                "lstm": self.lstm}
