r"""The layers of a small Keras model at inference, each a frozen dataclass and one pure
function over one sequence (no batch axis), exactly as Keras 3 computes it.

A value flowing between layers is x (T, F) for a sequence or (F,) for a vector, with a
mask (T,) or None beside it. Mask rules follow keras/src/layers: a layer that
`supports_masking` passes the mask on, GlobalAveragePooling1D consumes it, Flatten and
GlobalMaxPooling1D drop it (Keras's max pools masked steps too), Embedding(mask_zero)
and Masking make one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..math.activations import ACTIVATIONS

Array = np.ndarray
Mask = np.ndarray | None

# Dense and Activation accept every activation gruviz knows plus softmax.
HEAD_ACTIVATIONS = (*ACTIVATIONS, "softmax")


def softmax(a: Array) -> Array:
    r"""$\mathrm{softmax}(a)_j = e^{a_j - \max a} / \sum_k e^{a_k - \max a}$ over the last axis."""
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def activate(name: str, a: Array) -> Array:
    return softmax(a) if name == "softmax" else ACTIVATIONS[name].fn(a)


@dataclass(frozen=True)
class InputLayer:
    name: str
    shape: tuple  # without the batch axis; None for any length
    dtype: str  # "float32", "int32", …

    @property
    def integer(self) -> bool:
        return "int" in self.dtype


@dataclass(frozen=True)
class Masking:
    name: str
    mask_value: float = 0.0


@dataclass(frozen=True, eq=False)
class Embedding:
    name: str
    embeddings: Array  # (V, d)
    mask_zero: bool = False


@dataclass(frozen=True, eq=False)
class Dense:
    name: str
    kernel: Array  # (in, out)
    bias: Array | None  # (out,)
    activation: str = "linear"


@dataclass(frozen=True, eq=False)
class TimeDistributed:
    name: str
    layer: Dense  # the one Dense every timestep shares


@dataclass(frozen=True)
class GlobalAveragePooling1D:
    name: str


@dataclass(frozen=True)
class GlobalMaxPooling1D:
    name: str


@dataclass(frozen=True)
class Flatten:
    name: str


@dataclass(frozen=True)
class Activation:
    name: str
    activation: str


@dataclass(frozen=True)
class Identity:
    """Dropout, SpatialDropout1D, GaussianNoise, GaussianDropout: random only in training."""

    name: str
    kind: str  # the Keras class name


def input_layer(layer: InputLayer, x: Array, mask: Mask):
    r"""$y = x$: the input as given."""
    return x, mask


def masking(layer: Masking, x: Array, mask: Mask):
    r"""$m_t = \exists j: x_{tj} \ne v$, $\;y_t = m_t\, x_t$ with $v$ = mask_value."""
    keep = np.any(x != layer.mask_value, axis=-1)  # (T,)
    return np.where(keep[:, None], x, 0.0), keep


def embedding(layer: Embedding, ids: Array, mask: Mask):
    r"""$y_t = E[\mathrm{id}_t]$ (row id_t of E, counting from 0); with mask_zero, $m_t = (\mathrm{id}_t \ne 0)$."""
    ids = np.asarray(ids).astype(int).reshape(-1)  # (T,)
    out = layer.embeddings[ids]  # (T, d)
    return out, (ids != 0) if layer.mask_zero else mask


def dense(layer: Dense, x: Array, mask: Mask):
    r"""$y = f(x W + b)$ on the last axis, so a sequence (T, in) gives (T, out); the mask passes."""
    a = x @ layer.kernel + (0.0 if layer.bias is None else layer.bias)
    return activate(layer.activation, a), mask


def time_distributed(layer: TimeDistributed, x: Array, mask: Mask):
    r"""$y_t = f(x_t W + b)$ for every t with the same W and b: one Dense, shared over time."""
    return dense(layer.layer, x, mask)


def global_average_pooling(layer: GlobalAveragePooling1D, x: Array, mask: Mask):
    r"""$y = \sum_t m_t x_t / \sum_t m_t$: the mean of the kept steps (all steps without a mask)."""
    m = np.ones(len(x)) if mask is None else mask.astype(float)  # (T,)
    with np.errstate(invalid="ignore", divide="ignore"):  # all masked: 0/0, NaN as in Keras
        return (m[:, None] * x).sum(axis=0) / m.sum(), None


def global_max_pooling(layer: GlobalMaxPooling1D, x: Array, mask: Mask):
    r"""$y_j = \max_t x_{tj}$ over every step: Keras 3's GlobalMaxPooling1D ignores the mask."""
    return x.max(axis=0), None


def flatten(layer: Flatten, x: Array, mask: Mask):
    r"""$y = \mathrm{vec}(x)$, row by row; Flatten does not support masking, so the mask ends here."""
    return x.reshape(-1), None


def activation(layer: Activation, x: Array, mask: Mask):
    r"""$y = f(x)$ elementwise (softmax: over the last axis)."""
    return activate(layer.activation, x), mask


def identity(layer: Identity, x: Array, mask: Mask):
    r"""$y = x$ at inference."""
    return x, mask


FORWARD = {InputLayer: input_layer, Masking: masking, Embedding: embedding, Dense: dense,
           TimeDistributed: time_distributed, GlobalAveragePooling1D: global_average_pooling,
           GlobalMaxPooling1D: global_max_pooling, Flatten: flatten, Activation: activation, Identity: identity}

IDENTITIES = ("Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout")
