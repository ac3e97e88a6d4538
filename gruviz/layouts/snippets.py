"""Code that loads one layout's exact arrays into its framework and runs it.

Each snippet ends with `output`, the last state as a NumPy array (H,), so a test
can run it and compare. Numbers are written with Python's shortest round-trip
repr: the framework receives exactly these float64 values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..math.cell import Convention
from ..math.weights import GRUWeights
from ..text import _
from . import keras
from .convert import LayoutWeights, layout_name, native_convention, title
from .snippets_porting import equinox_code, flax_code, flax_linen_code, literal, onnx_code

# NumPy spellings of every activation: name → (expression, definition or None).
_NUMPY = {
    "tanh": ("np.tanh", None),
    "sigmoid": ("sigmoid", "def sigmoid(a{d}):\n    return 1 / (1 + np.exp(-a))"),
    "hard_sigmoid": ("hard_sigmoid",
                     "def hard_sigmoid(a{d}):  # Keras 3's\n    return np.clip(a / 6 + 0.5, 0.0, 1.0)"),
    "hard_sigmoid_legacy": ("hard_sigmoid_legacy",
                            "def hard_sigmoid_legacy(a{d}):  # Keras <= 2's\n"
                            "    return np.clip(0.2 * a + 0.5, 0.0, 1.0)"),
    "relu": ("relu", "def relu(a{d}):\n    return np.maximum(a, 0.0)"),
    "linear": ("linear", "def linear(a{d}):\n    return a"),
    "softsign": ("softsign", "def softsign(a{d}):\n    return a / (1 + np.abs(a))"),
}
_TF = {
    "tanh": "tf.tanh", "sigmoid": "tf.sigmoid", "relu": "tf.nn.relu", "softsign": "tf.nn.softsign",
    "linear": "tf.identity", "hard_sigmoid": "lambda v: tf.clip_by_value(v / 6 + 0.5, 0.0, 1.0)",
    "hard_sigmoid_legacy": "lambda v: tf.clip_by_value(0.2 * v + 0.5, 0.0, 1.0)",
}
_EPYNN_OWN = {"tanh": "tanh", "sigmoid": "sigmoid", "relu": "relu", "linear": "identity"}


@dataclass(frozen=True)
class Snippet:
    language: str
    code: str


def _definitions(names, deriv: bool = False) -> str:
    """NumPy definitions of the named activations that need one. EpyNN calls its
    activations as f(x, deriv=False), so its copies take that argument."""
    defs = [_NUMPY[n][1] for n in dict.fromkeys(names) if _NUMPY[n][1]]
    return "\n\n\n".join(d.replace("{d}", ", deriv=False" if deriv else "") for d in defs)


def _entries(w, wrap: str) -> str:
    """One dict entry per array: "name": wrap(literal),  # shape: role."""
    roles = {s.key: s.role for s in w.SPECS}
    return "".join(f"    \"{k}\": {wrap.format(literal(a, 4))},  # {a.shape}: {roles[k]}\n"
                   for k, a in w.arrays().items())


def _header(notes: list[str]) -> str:
    return "".join(f"# NOTE: {note}\n" for note in notes)


def _keras(w: GRUWeights, x, h0) -> str:
    cfg = w.config

    def act(name: str) -> str:  # Keras 3 has no name for the old hard sigmoid
        legacy = "lambda v: keras.ops.clip(0.2 * v + 0.5, 0.0, 1.0)"
        return legacy if name == "hard_sigmoid_legacy" else repr(name)

    roles = keras.roles(cfg)
    arrays = "".join(f"    np.array({literal(a, 4)}),  # {name} {a.shape}: {roles[name]}\n"
                     for name, a in keras.arrays(w).items())
    code = (f"import keras\nimport numpy as np\n\n"
            f"layer = keras.layers.GRU({cfg.units}, activation={act(cfg.activation)}, "
            f"recurrent_activation={act(cfg.recurrent_activation)},\n"
            f"                         reset_after={cfg.reset_after}, use_bias={cfg.use_bias}, "
            "dtype=\"float64\")\n"
            f"layer.build((None, None, {cfg.input_dim}))\nlayer.set_weights([\n{arrays}])\n")
    if x is not None:
        code += (f"x = np.array([{literal(x)}])  # (batch 1, timesteps {len(x)}, features {cfg.input_dim})\n"
                 f"h0 = np.array([{literal(h0)}])  # (batch 1, units {cfg.units})\n"
                 "output = np.asarray(layer(x, initial_state=[h0]))[0]  # the last state\nprint(output)\n")
    return code


def _pytorch(w, x, h0) -> str:
    D, H = w.config.input_dim, w.config.units
    state = _entries(w, "torch.tensor({}, dtype=torch.float64)")
    bias = "" if w.bias else ", bias=False"
    code = (f"import torch\n\ngru = torch.nn.GRU(input_size={D}, hidden_size={H}, batch_first=True{bias}, "
            f"dtype=torch.float64)\ngru.load_state_dict({{\n{state}}})\n")
    if x is not None:
        code += (f"x = torch.tensor([{literal(x)}], dtype=torch.float64)"
                 f"  # (batch 1, timesteps {len(x)}, features {D})\n"
                 f"h0 = torch.tensor([[{literal(h0)}]], dtype=torch.float64)  # (layers 1, batch 1, units {H})\n"
                 "with torch.no_grad():\n    sequence_output, h_n = gru(x, h0)\n"
                 "output = h_n[0, 0].numpy()  # the last state\nprint(output)\n")
    return code


def _tf1(w, x, h0) -> str:
    D, H = w.config.input_dim, w.config.units
    values = _entries(w, "np.array({})")
    code = ("import numpy as np\nimport tensorflow as tf\n"
            "# TF 1.x: tf.nn.rnn_cell.GRUCell. TF 2.x keeps the same class here:\n"
            "from tensorflow.python.keras.layers.legacy_rnn.rnn_cell_impl import GRUCell\n\n"
            f"variables = {{\n{values}}}\n"
            f"cell = GRUCell({H}, activation={_TF[w.config.activation]}, dtype=tf.float64)\n"
            f"cell.build((None, {D}))\n"
            "for variable in cell.weights:  # named like \"gru_cell/gates/kernel:0\"\n"
            "    variable.assign(variables[variable.name.split(\"/\", 1)[1].split(\":\")[0]])\n")
    if x is not None:
        code += (f"x = np.array({literal(x)})  # (timesteps {len(x)}, features {D})\n"
                 f"h = tf.constant([{literal(h0)}], tf.float64)  # (batch 1, units {H})\n"
                 "for x_t in x:\n    _, h = cell(tf.constant(x_t[None]), h)\n"
                 "output = h[0].numpy()  # the last state\nprint(output)\n")
    return code


def _epynn(w, x, h0) -> str:
    cfg = w.config
    names = {cfg.activation, cfg.recurrent_activation}
    own = sorted(_EPYNN_OWN[n] for n in names if n in _EPYNN_OWN)
    defs = _definitions(sorted(n for n in names if n not in _EPYNN_OWN), deriv=True)

    def fn(name: str) -> str:
        return _EPYNN_OWN.get(name, _NUMPY[name][0])

    params = _entries(w, "np.array({})")
    code = ("import numpy as np\n"
            + (f"from epynn.commons.maths import {', '.join(own)}\n" if own else "")
            + "from epynn.gru.models import GRU\n\n" + (f"{defs}\n\n\n" if defs else "")
            + f"layer = GRU({cfg.units}, activate={fn(cfg.activation)}, "
            f"activate_update={fn(cfg.recurrent_activation)}, activate_reset={fn(cfg.recurrent_activation)}, "
            "sequences=True)\n"
            f"layer.p = {{\n{params}}}\n")
    if x is not None:
        code += (f"x = np.array([{literal(x)}])  # (samples 1, steps {len(x)}, features {cfg.input_dim})\n"
                 f"sequence_output = layer.forward(x)  # (1, steps, units); EpyNN always starts from h = 0\n"
                 "output = sequence_output[0, -1]  # the last state\nprint(output)\n")
    return code


def _numpy_program(w, x, h0, loop: str, prelude: str = "") -> str:
    cfg = w.config
    defs = _definitions((cfg.recurrent_activation, cfg.activation))
    phi, sigma = _NUMPY[cfg.activation][0], _NUMPY[cfg.recurrent_activation][0]
    roles = {s.key: s.role for s in w.SPECS}
    arrays = "".join(f"{k} = np.array({literal(a)})  # {a.shape}: {roles[k]}\n" for k, a in w.arrays().items())
    code = "import numpy as np\n\n" + (f"{defs}\n\n\n" if defs else "") + arrays
    code += prelude.format(H=w.config.units, D=w.config.input_dim)
    if x is not None:
        body = loop.format(phi=phi, sigma=sigma, H=w.config.units)
        code += (f"\nx = np.array({literal(x)})  # (timesteps {len(x)}, features {w.config.input_dim})\n"
                 f"h = np.array({literal(h0)})  # h_0\nfor x_t in x:\n{body}"
                 "output = h  # the last state\nprint(output)\n")
    return code


_DL4MT_LOOP = (
    "    preact = h @ U + x_t @ W + b\n"
    "    r, u = {sigma}(preact[:{H}]), {sigma}(preact[{H}:])\n"
    "    h_tilde = {phi}(r * (h @ Ux) + x_t @ Wx + bx)\n"
    "    h = u * h + (1 - u) * h_tilde\n"
)
_WIKIPEDIA_LOOP = (  # column vectors: the weights multiply from the left
    "    z = {sigma}(W_z @ x_t + U_z @ h + b_z)\n"
    "    r = {sigma}(W_r @ x_t + U_r @ h + b_r)\n"
    "    h_hat = {phi}(W_h @ x_t + U_h @ (r * h) + b_h)\n"
    "    h = (1 - z) * h + z * h_hat\n"
)

_CUDNN_PRELUDE = (  # how Keras 2 hands each block to cuDNN (keras/layers/cudnn_recurrent.py)
    "# cuDNN reads each kernel block, flattened in C order, as a (units, input_dim) matrix acting on x_t,\n"
    "# and each recurrent block as it is, acting on h; the bias is [input bias z, r, h | recurrent bias z, r, h].\n"
    "W_z, W_r, W_h = (k.reshape({H}, {D}) for k in np.hsplit(kernel, 3))\n"
    "R_z, R_r, R_h = np.hsplit(recurrent_kernel, 3)\n"
    "bx_z, bx_r, bx_h, bh_z, bh_r, bh_h = np.split(bias, 6)\n"
)
_CUDNN_LOOP = (
    "    z = {sigma}(W_z @ x_t + bx_z + R_z @ h + bh_z)\n"
    "    r = {sigma}(W_r @ x_t + bx_r + R_r @ h + bh_r)\n"
    "    h_tilde = {phi}(W_h @ x_t + bx_h + r * (R_h @ h + bh_h))\n"
    "    h = z * h + (1 - z) * h_tilde\n"
)
_WRITERS = {
    "keras": _keras,
    "pytorch": _pytorch,
    "tf1": _tf1,
    "epynn": _epynn,
    "dl4mt": lambda w, x, h0: _numpy_program(w, x, h0, _DL4MT_LOOP),
    "wikipedia": lambda w, x, h0: _numpy_program(w, x, h0, _WIKIPEDIA_LOOP),
    "onnx": onnx_code,
    "cudnngru": lambda w, x, h0: _numpy_program(w, x, h0, _CUDNN_LOOP, _CUDNN_PRELUDE),
    "flax": flax_code,
    "flax_linen": flax_linen_code,
    "equinox": equinox_code,
}


def caveats(weights: LayoutWeights, h0=None, convention: Convention | str | None = None) -> tuple[str, ...]:
    """What the real framework cannot do with these weights, so its numbers would differ."""
    name = layout_name(weights)
    notes = []
    if name != keras.NAME:
        limit = weights.limits(weights.config)
        if limit:
            notes.append(limit)
    if name == "epynn" and h0 is not None and np.any(h0):
        notes.append(_("EpyNN's GRU always starts from h = 0 and cannot take this h0, so its numbers differ."))
    if convention is not None and Convention(convention) is not native_convention(name):
        notes.append(_("these arrays compute the source only under the {rule} update rule, which {layout} does not "
                       "use.").format(rule=Convention(convention).value, layout=title(name)))
    return tuple(notes)


def snippet(weights: LayoutWeights, x=None, h0=None, convention: Convention | str | None = None) -> Snippet:
    """Python that loads `weights` into their framework; with `x` (the steps to feed,
    in order) it also runs them from `h0` and leaves the last state in `output`."""
    units = weights.config.units
    h0 = np.zeros(units) if h0 is None else np.asarray(h0, dtype=np.float64)
    x = None if x is None or len(x) == 0 else np.asarray(x, dtype=np.float64)
    name = layout_name(weights)
    code = _WRITERS[name](weights, x, h0)
    return Snippet("python", _header(list(caveats(weights, h0, convention))) + code)

