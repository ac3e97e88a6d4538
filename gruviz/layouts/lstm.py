r"""An LSTM in the Keras and PyTorch layouts, and the exact conversion between them.

Keras 3 `keras.layers.LSTM` (keras/src/layers/rnn/lstm.py), row vectors x W:
kernel (D, 4H), recurrent_kernel (H, 4H), bias (4H,), column blocks i | f | c | o.
`LSTMWeights` is this layout.

PyTorch `torch.nn.LSTM`, one layer, one direction (column vectors W x):

    i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)      f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)   o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t                     h_t = o_t ⊙ tanh(c_t)

weight_ih_l0 (4H, D) and weight_hh_l0 (4H, H) stack rows i | f | g | o: the same order
as Keras's columns (g is Keras's c), so each matrix is just transposed. Both biases
are added outside any gate, so b_ih + b_hh is exactly Keras's one bias. The reverse
split is not determined by the numbers (any b_ih + b_hh with the same sum computes the
same thing); gruviz makes it canonical: all of it in bias_ih_l0, zeros in bias_hh_l0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..math.lstm_weights import LSTMConfig, LSTMWeights
from ..math.weights import as_finite_array
from ..text import N_, _, ngettext

CANONICAL_SPLIT = N_("PyTorch's two biases only ever appear as their sum b_ih + b_hh, so Keras's one bias "
                     "fixes the sum but not the split; gruviz puts all of it in bias_ih_l0 and zeros in bias_hh_l0.")
PYTORCH_KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


@dataclass(frozen=True, eq=False)
class PyTorchLSTM:
    """nn.LSTM's state_dict arrays; build with `create`, which validates."""

    units: int
    input_dim: int
    activation: str
    recurrent_activation: str
    weight_ih_l0: np.ndarray  # (4H, D) rows i | f | g | o
    weight_hh_l0: np.ndarray  # (4H, H)
    bias_ih_l0: np.ndarray | None  # (4H,), None for nn.LSTM(bias=False)
    bias_hh_l0: np.ndarray | None  # (4H,)

    @classmethod
    def create(cls, config: LSTMConfig, arrays: dict) -> "PyTorchLSTM":
        """From the framework's own names. config.use_bias says whether both biases must be there."""
        H, D = config.units, config.input_dim
        unknown = sorted(set(arrays) - set(PYTORCH_KEYS))
        if unknown:
            raise InputError(_("{name} is not an array of {layout}; its arrays are {arrays}.").format(
                name=repr(unknown[0]), layout="nn.LSTM", arrays=", ".join(PYTORCH_KEYS)))
        wanted = PYTORCH_KEYS if config.use_bias else PYTORCH_KEYS[:2]
        missing = [k for k in wanted if k not in arrays]
        if missing:
            raise InputError(_("{layer} needs {missing}, missing here; its arrays are {arrays}.").format(
                layer="nn.LSTM(bias=True)" if config.use_bias else "nn.LSTM", missing=", ".join(missing),
                arrays=", ".join(wanted)))
        extra = [k for k in PYTORCH_KEYS[2:] if k in arrays and not config.use_bias]
        if extra:
            raise InputError(_("bias is false but the file has {arrays}; remove them or set bias to true.").format(
                arrays=", ".join(extra)))
        shapes = {"weight_ih_l0": (4 * H, D), "weight_hh_l0": (4 * H, H), "bias_ih_l0": (4 * H,),
                  "bias_hh_l0": (4 * H,)}
        checked = {}
        for key in wanted:
            value = as_finite_array(key, arrays[key])
            if value.shape != shapes[key]:
                raise InputError(_("{key} has shape {shape} but units={H}, input_dim={D} needs {needed} (rows "
                                   "i | f | g | o).").format(key=key, shape=value.shape, H=H, D=D, needed=shapes[key]))
            checked[key] = value
        return cls(H, D, config.activation, config.recurrent_activation, checked["weight_ih_l0"],
                   checked["weight_hh_l0"], checked.get("bias_ih_l0"), checked.get("bias_hh_l0"))

    @property
    def config(self) -> LSTMConfig:
        return LSTMConfig(self.units, self.input_dim, self.bias_ih_l0 is not None, self.activation,
                          self.recurrent_activation)

    def arrays(self) -> dict[str, np.ndarray]:
        values = (self.weight_ih_l0, self.weight_hh_l0, self.bias_ih_l0, self.bias_hh_l0)
        return {k: v for k, v in zip(PYTORCH_KEYS, values) if v is not None}

    def to_keras(self) -> LSTMWeights:
        """Exact: transpose each matrix (the block order is the same), add the two biases."""
        bias = None if self.bias_ih_l0 is None else self.bias_ih_l0 + self.bias_hh_l0
        return LSTMWeights.create(self.config, self.weight_ih_l0.T, self.weight_hh_l0.T, bias)

    @classmethod
    def from_keras(cls, w: LSTMWeights) -> "PyTorchLSTM":
        """The canonical split (see CANONICAL_SPLIT); use_bias=False becomes nn.LSTM(bias=False)."""
        arrays = {"weight_ih_l0": w.kernel.T, "weight_hh_l0": w.recurrent_kernel.T}
        if w.bias is not None:
            arrays.update(bias_ih_l0=w.bias, bias_hh_l0=np.zeros_like(w.bias))
        return cls.create(w.config, arrays)

    def limits(self) -> str | None:
        """Why a real nn.LSTM would compute other numbers with these arrays, if it would."""
        if (self.activation, self.recurrent_activation) == ("tanh", "sigmoid"):
            return None
        return _("nn.LSTM always uses sigmoid gates and tanh; this LSTM uses activation={activation}, "
                 "recurrent_activation={recurrent_activation}, so a real nn.LSTM computes other numbers.").format(
            activation=repr(self.activation), recurrent_activation=repr(self.recurrent_activation))


def from_state_dict(arrays: dict, prefix: str = "") -> LSTMWeights:
    """An uploaded nn.LSTM state dict: the reader's float64 arrays keyed as torch saves them
    (`prefix` + weight_ih_l0, …), units and input_dim read off weight_ih_l0 (4H, D)."""
    mine = {k: arrays[prefix + k] for k in PYTORCH_KEYS if prefix + k in arrays}
    ih = np.shape(mine.get("weight_ih_l0", ()))
    if len(ih) != 2 or ih[0] % 4:
        raise InputError(_("weight_ih_l0 has shape {shape}; nn.LSTM's is (4·hidden_size, input_size).").format(
            shape=ih))
    config = LSTMConfig(units=ih[0] // 4, input_dim=ih[1], use_bias="bias_ih_l0" in mine or "bias_hh_l0" in mine)
    return PyTorchLSTM.create(config, mine).to_keras()


def read_state_dict(data: bytes, filename: str, limits) -> LSTMWeights:
    """The one nn.LSTM (layer 0, forward) of an exported state dict, .npz or .json, as data."""
    from .state_dict import read_arrays

    arrays = read_arrays(data, filename, lambda key: key.endswith(PYTORCH_KEYS), limits)
    prefixes = sorted({key[: -len("weight_ih_l0")] for key in arrays if key.endswith("weight_ih_l0")})
    if len(prefixes) != 1:
        raise InputError(ngettext("{filename} holds {n} weight_ih_l0 entry; export the one nn.LSTM to show, e.g. "
                                  "model.encoder.lstm.state_dict().",
                                  "{filename} holds {n} weight_ih_l0 entries; export the one nn.LSTM to show, e.g. "
                                  "model.encoder.lstm.state_dict().", len(prefixes)).format(
            filename=filename, n=len(prefixes)))
    weights = from_state_dict(arrays, prefixes[0])
    limits.check_layer(weights.config.units, weights.config.input_dim)
    return weights
