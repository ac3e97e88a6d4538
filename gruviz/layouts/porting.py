r"""Keras 2's CuDNNGRU and the JAX cells (Flax nnx and linen, Equinox), as their arrays hold them.

CuDNNGRU (Keras 2, keras/layers/cudnn_recurrent.py; converted on loading by
`_convert_rnn_weights` in Keras 2's hdf5 saving code): kernel (D, 3H) and
recurrent_kernel (H, 3H) in Keras's z | r | h column blocks, but each block laid out
for cuDNN. Its `_canonical_to_params` flattens each (D, H) kernel block in C order
and cuDNN reads the flat run as an (H, D) matrix acting on x; each (H, H) recurrent
block acts on h as it is, R h, which Keras writes h Rᵀ. The bias (6H,) is [b^x | b^h]. Keras's own conversion:

    kernel block   k → k.T.reshape(k.shape, order="F")    (= k.reshape(H, D).T)
    recurrent block k → k.T
    bias            b → b.reshape(2, 3H)

and the candidate is r ⊙ (h U_h + b^h_h): Keras reset_after=True.

Flax nnx.GRUCell (flax/nnx/nn/recurrent.py): dense_i (D → 3H, with bias) and dense_h
(H → 3H, no bias), columns r | z | n:

    r = σ(x_r + h_r),  z = σ(x_z + h_z),  n = tanh(x_n + r ⊙ h_n),  h' = (1 − z) ⊙ n + z ⊙ h

so nothing can sit inside r ⊙ (…): the candidate's recurrent bias b^h_h must be 0.
(Its docstring writes b_hn; the code has none.)

Flax linen.GRUCell (flax/linen/recurrent.py): one Dense per gate, ir/iz/in with bias,
hr/hz without, and hn *with* bias (`dense_h(name='hn', use_bias=True)`): exact for
every reset_after=True GRU, the recurrent z and r biases folded into ir and iz.

Equinox eqx.nn.GRUCell (equinox/nn/_rnn.py): weight_ih (3H, D), weight_hh (3H, H), bias
(3H,) beside weight_ih @ x and bias_n (H,) inside reset * (hgates[2] + bias_n); rows
r, z, n; `new + inp * (hidden - new)` is Keras's rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..math.cell import Convention
from ..math.weights import GRUWeights
from ..text import N_, _
from .base import ArraySpec, Layout, LayoutConfig
from .pytorch import keras_bias, keras_columns

_RZN = ("r", "z", "h")  # the JAX cells' and PyTorch's block order, in Keras's gate names


def _rzn_columns(w: GRUWeights, matrix: str) -> np.ndarray:
    """Keras's (…, 3H) z | r | h → (…, 3H) r | z | n."""
    pick = w.W if matrix == "W" else w.U
    return np.hstack([pick(g) for g in _RZN])


def _zrh_columns(a: np.ndarray) -> np.ndarray:
    """(…, 3H) r | z | n → Keras's z | r | h."""
    r, z, n = np.split(a, 3, axis=-1)
    return np.concatenate([z, r, n], axis=-1)


def _folded_input_bias(w: GRUWeights) -> np.ndarray:
    r"""$b^x + b^h$ for z and r, $b^x_h$ for the candidate, in Keras order: for the gates
    only the sum matters, so cells with one bias there hold it exactly."""
    H = w.config.units
    folded = np.array(w.input_bias + w.recurrent_bias)
    folded[2 * H :] = w.b_x("h")
    return folded


def _gru_equations(config: LayoutConfig, candidate: str) -> tuple[str, ...]:
    s, f = config.sigma.write, config.phi.write
    return ("r = " + s(r"x W_{ir} + b_{ir} + h W_{hr}"), "z = " + s(r"x W_{iz} + b_{iz} + h W_{hz}"),
            "n = " + f(candidate), r"h' = (1 - z) \odot n + z \odot h")


@dataclass(frozen=True, eq=False)
class CuDNNGRU(Layout):
    NAME = "cudnngru"
    TITLE = "Keras 2 CuDNNGRU"
    RESET_AFTER = True
    CONVENTION = Convention.KERAS
    SPECS = (
        ArraySpec("kernel", "kernel", lambda D, H: (D, 3 * H),
                  N_("blocks z | r | h, each (input_dim, units) holding cuDNN's (units, input_dim) matrix in C order")),
        ArraySpec("recurrent_kernel", "recurrent_kernel", lambda D, H: (H, 3 * H),
                  N_("blocks z | r | h, each cuDNN's R acting on h (Keras's U block transposed)")),
        ArraySpec("bias", "bias", lambda D, H: (6 * H,),
                  N_("input biases bˣ of z | r | h, then recurrent biases bʰ of z | r | h")),
    )

    config: LayoutConfig
    kernel: np.ndarray  # (D, 3H)
    recurrent_kernel: np.ndarray  # (H, 3H)
    bias: np.ndarray  # (6H,)

    def to_keras(self) -> tuple[GRUWeights, Convention]:
        D, H = self.config.input_dim, self.config.units
        kernel = np.hstack([k.T.reshape((D, H), order="F") for k in np.hsplit(self.kernel, 3)])
        recurrent = np.hstack([k.T for k in np.hsplit(self.recurrent_kernel, 3)])
        config = self.config.keras(reset_after=True)
        return GRUWeights.create(config, kernel, recurrent, self.bias.reshape(2, 3 * H)), self.CONVENTION

    @classmethod
    def _from_prepared(cls, w: GRUWeights) -> "CuDNNGRU":
        # CuDNNGRU always has biases; use_bias=False is the same GRU with zeros there.
        D, H = w.config.input_dim, w.config.units
        kernel = np.hstack([w.W(g).T.reshape((D, H)) for g in ("z", "r", "h")])
        recurrent = np.hstack([w.U(g).T for g in ("z", "r", "h")])
        return cls(LayoutConfig.of(w.config), kernel, recurrent, np.concatenate([w.input_bias, w.recurrent_bias]))

    @staticmethod
    def equations(config: LayoutConfig) -> tuple[str, ...]:
        s, f = config.sigma.write, config.phi.write
        return (
            "z_t = " + s(r"W^{c}_z x_t + b^x_z + R^{c}_z h_{t-1} + b^h_z"),
            "r_t = " + s(r"W^{c}_r x_t + b^x_r + R^{c}_r h_{t-1} + b^h_r"),
            r"\tilde h_t = " + f(r"W^{c}_h x_t + b^x_h + r_t \odot (R^{c}_h h_{t-1} + b^h_h)"),
            r"h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t,\quad W^{c}_g = k_g.\mathrm{reshape}(H, D),"
            r"\ R^{c}_g = k^{rec}_g",
        )

    @staticmethod
    def limits(config: LayoutConfig) -> str | None:
        if (config.activation, config.recurrent_activation) == ("tanh", "sigmoid"):
            return None
        return _("CuDNNGRU always uses sigmoid gates and a tanh candidate (cuDNN has no other); these arrays are the "
                 "exact layout, but a real CuDNNGRU computes other numbers with them.")


def cudnn_gru_weights(kernel, recurrent_kernel, bias, activation: str = "tanh",
                      recurrent_activation: str = "sigmoid") -> GRUWeights:
    """Keras weights (reset_after=True) from a legacy .h5 CuDNNGRU layer's three arrays, as
    stored (kernel (D, 3H), recurrent_kernel (H, 3H), bias (6H,)); units and input_dim
    are read off the shapes."""
    kernel, recurrent_kernel = np.asarray(kernel), np.asarray(recurrent_kernel)
    if kernel.ndim != 2 or kernel.shape[1] % 3 or recurrent_kernel.shape != (kernel.shape[1] // 3, kernel.shape[1]):
        raise InputError(_("a CuDNNGRU has kernel (input_dim, 3·units) and recurrent_kernel (units, 3·units); these "
                           "are {kernel} and {recurrent_kernel}.").format(kernel=kernel.shape,
                                                                         recurrent_kernel=recurrent_kernel.shape))
    config = LayoutConfig(kernel.shape[1] // 3, kernel.shape[0], activation, recurrent_activation)
    return CuDNNGRU(config, kernel, recurrent_kernel, bias).to_keras()[0]


@dataclass(frozen=True, eq=False)
class FlaxGRU(Layout):
    NAME = "flax"
    TITLE = "Flax nnx.GRUCell"
    RESET_AFTER = True
    CONVENTION = Convention.KERAS
    RECURRENT_BIAS = False
    SPECS = (
        ArraySpec("dense_i/kernel", "dense_i_kernel", lambda D, H: (D, 3 * H), N_("columns r | z | n, acting on x")),
        ArraySpec("dense_i/bias", "dense_i_bias", lambda D, H: (3 * H,), N_("b_ir | b_iz | b_in, beside x W")),
        ArraySpec("dense_h/kernel", "dense_h_kernel", lambda D, H: (H, 3 * H),
                  N_("columns r | z | n, acting on h; no bias (use_bias=False)")),
    )

    config: LayoutConfig
    dense_i_kernel: np.ndarray  # (D, 3H)
    dense_i_bias: np.ndarray  # (3H,)
    dense_h_kernel: np.ndarray  # (H, 3H)

    def to_keras(self) -> tuple[GRUWeights, Convention]:
        H = self.config.units
        bias = np.stack([_zrh_columns(self.dense_i_bias), np.zeros(3 * H)])
        return GRUWeights.create(self.config.keras(reset_after=True), _zrh_columns(self.dense_i_kernel),
                                 _zrh_columns(self.dense_h_kernel), bias), self.CONVENTION

    @classmethod
    def _from_prepared(cls, w: GRUWeights) -> "FlaxGRU":
        # `prepared` folded the gates' recurrent bias into row 0 and refused a non-zero b^h_h.
        bias = np.concatenate([w.b_x(g) for g in _RZN])
        return cls(LayoutConfig.of(w.config), _rzn_columns(w, "W"), bias, _rzn_columns(w, "U"))

    @staticmethod
    def equations(config: LayoutConfig) -> tuple[str, ...]:
        return _gru_equations(config, r"x W_{in} + b_{in} + r \odot (h W_{hn})")


def _linen_specs() -> tuple[ArraySpec, ...]:
    specs = []
    # "{module}" is the Dense's name, the key's part before "/" (ArraySpec.role fills it in).
    for g in ("r", "z", "n"):
        specs.append(ArraySpec(f"i{g}/kernel", f"i{g}_kernel", lambda D, H: (D, H),
                               N_("Dense '{module}', acting on x")))
        specs.append(ArraySpec(f"i{g}/bias", f"i{g}_bias", lambda D, H: (H,), N_("Dense '{module}''s bias")))
    for g in ("r", "z", "n"):
        specs.append(ArraySpec(f"h{g}/kernel", f"h{g}_kernel", lambda D, H: (H, H),
                               N_("Dense '{module}', acting on h")))
    specs.append(ArraySpec("hn/bias", "hn_bias", lambda D, H: (H,), N_("Dense '{module}''s bias, inside r ⊙ (…)")))
    return tuple(specs)


@dataclass(frozen=True, eq=False)
class FlaxLinenGRU(Layout):
    NAME = "flax_linen"
    TITLE = "Flax linen.GRUCell"
    RESET_AFTER = True
    CONVENTION = Convention.KERAS
    SPECS = _linen_specs()

    config: LayoutConfig
    ir_kernel: np.ndarray  # (D, H)
    ir_bias: np.ndarray  # (H,)
    iz_kernel: np.ndarray
    iz_bias: np.ndarray
    in_kernel: np.ndarray
    in_bias: np.ndarray
    hr_kernel: np.ndarray  # (H, H)
    hz_kernel: np.ndarray
    hn_kernel: np.ndarray
    hn_bias: np.ndarray  # (H,)

    def to_keras(self) -> tuple[GRUWeights, Convention]:
        H = self.config.units
        kernel = np.hstack([self.iz_kernel, self.ir_kernel, self.in_kernel])
        recurrent = np.hstack([self.hz_kernel, self.hr_kernel, self.hn_kernel])
        bias = np.stack([np.concatenate([self.iz_bias, self.ir_bias, self.in_bias]),
                         np.concatenate([np.zeros(2 * H), self.hn_bias])])
        return GRUWeights.create(self.config.keras(reset_after=True), kernel, recurrent, bias), self.CONVENTION

    @classmethod
    def _from_prepared(cls, w: GRUWeights) -> "FlaxLinenGRU":
        b = _folded_input_bias(w)
        H = w.config.units
        return cls(LayoutConfig.of(w.config), w.W("r").copy(), b[H : 2 * H], w.W("z").copy(), b[:H],
                   w.W("h").copy(), b[2 * H :], w.U("r").copy(), w.U("z").copy(), w.U("h").copy(),
                   w.b_h("h").copy())

    @staticmethod
    def equations(config: LayoutConfig) -> tuple[str, ...]:
        return _gru_equations(config, r"x W_{in} + b_{in} + r \odot (h W_{hn} + b_{hn})")


@dataclass(frozen=True, eq=False)
class EquinoxGRU(Layout):
    NAME = "equinox"
    TITLE = "Equinox GRUCell"
    RESET_AFTER = True
    CONVENTION = Convention.KERAS
    SPECS = (
        ArraySpec("weight_ih", "weight_ih", lambda D, H: (3 * H, D), N_("rows r | z | n, acting on x (weight_ih @ x)")),
        ArraySpec("weight_hh", "weight_hh", lambda D, H: (3 * H, H), N_("rows r | z | n, acting on h")),
        ArraySpec("bias", "bias", lambda D, H: (3 * H,), N_("added to weight_ih @ x, rows r | z | n"), optional=True),
        ArraySpec("bias_n", "bias_n", lambda D, H: (H,), N_("inside reset * (hgates[2] + bias_n)"), optional=True),
    )

    config: LayoutConfig
    weight_ih: np.ndarray  # (3H, D)
    weight_hh: np.ndarray  # (3H, H)
    bias: np.ndarray | None = None  # (3H,), None for use_bias=False
    bias_n: np.ndarray | None = None  # (H,)

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.bias is None) != (self.bias_n is None):
            raise InputError(_("GRUCell(use_bias=True) has bias and bias_n, use_bias=False neither; only one is "
                               "here."))

    def to_keras(self) -> tuple[GRUWeights, Convention]:
        H = self.config.units
        use_bias = self.bias is not None
        bias = None
        if use_bias:
            bias = np.stack([keras_bias(self.bias), np.concatenate([np.zeros(2 * H), self.bias_n])])
        config = self.config.keras(reset_after=True, use_bias=use_bias)
        return GRUWeights.create(config, keras_columns(self.weight_ih), keras_columns(self.weight_hh), bias), self.CONVENTION

    @classmethod
    def _from_prepared(cls, w: GRUWeights) -> "EquinoxGRU":
        rows = lambda m: np.vstack([m(g).T for g in _RZN])  # noqa: E731
        if w.bias is None:
            return cls(LayoutConfig.of(w.config), rows(w.W), rows(w.U))
        H = w.config.units
        b = _folded_input_bias(w)
        return cls(LayoutConfig.of(w.config), rows(w.W), rows(w.U),
                   np.concatenate([b[H : 2 * H], b[:H], b[2 * H :]]), w.b_h("h").copy())

    @staticmethod
    def equations(config: LayoutConfig) -> tuple[str, ...]:
        s, f = config.sigma.write, config.phi.write
        return (
            "r = " + s(r"(W_{ih} x + b)_r + (W_{hh} h)_r"),
            "z = " + s(r"(W_{ih} x + b)_z + (W_{hh} h)_z"),
            "n = " + f(r"(W_{ih} x + b)_n + r \odot ((W_{hh} h)_n + b_n)"),
            r"h' = n + z \odot (h - n)",
        )

    @staticmethod
    def limits(config: LayoutConfig) -> str | None:
        if (config.activation, config.recurrent_activation) == ("tanh", "sigmoid"):
            return None
        return _("eqx.nn.GRUCell always uses sigmoid gates and a tanh candidate; these arrays are the exact layout, "
                 "but the real cell computes other numbers with them.")
