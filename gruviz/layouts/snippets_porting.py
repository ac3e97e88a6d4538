"""Code that loads the ONNX, Flax and Equinox layouts into their frameworks and runs them.

Like `snippets`, each ends with `output`, the last state (H,). onnxruntime runs float32
(its GRU's type); JAX is switched to float64 so it receives these exact numbers.
"""

from __future__ import annotations

import json

import numpy as np

from .onnx import ONNX_ACTIVATIONS


def literal(array: np.ndarray, indent: int = 0) -> str:
    """A nested list literal; matrices one row per line."""
    if array.ndim < 2 or len(array) == 1:
        return json.dumps(array.tolist())
    pad = " " * (indent + 4)
    rows = "".join(f"\n{pad}{json.dumps(row)}," for row in array.tolist())
    return f"[{rows}\n{' ' * indent}]"


_JAX = {"tanh": "jax.nn.tanh", "sigmoid": "jax.nn.sigmoid", "relu": "jax.nn.relu", "softsign": "jax.nn.soft_sign",
        "hard_sigmoid": "jax.nn.hard_sigmoid",  # relu6(x + 3) / 6: Keras 3's
        "hard_sigmoid_legacy": "lambda a: jnp.clip(0.2 * a + 0.5, 0.0, 1.0)", "linear": "lambda a: a"}
_JAX_HEAD = ("import jax\njax.config.update(\"jax_enable_x64\", True)  # float64, like these numbers\n"
             "import jax.numpy as jnp\nimport numpy as np\n")


def _jax_run(x, h0, step: str) -> str:
    if x is None:
        return ""
    return (f"x = jnp.array({literal(x)})  # (timesteps {len(x)}, features {x.shape[1]})\n"
            f"h = jnp.array({literal(h0)})  # h_0\nfor x_t in x:\n    {step}\n"
            "output = np.asarray(h)  # the last state\nprint(output)\n")


def flax_code(w, x, h0) -> str:
    cfg = w.config
    code = (_JAX_HEAD + "from flax import nnx\n\n"
            f"cell = nnx.GRUCell({cfg.input_dim}, {cfg.units}, gate_fn={_JAX[cfg.recurrent_activation]}, "
            f"activation_fn={_JAX[cfg.activation]},\n                    param_dtype=jnp.float64, rngs=nnx.Rngs(0))\n")
    roles = {s.key: s.role for s in w.SPECS}
    for key, array in w.arrays().items():
        module, name = key.split("/")
        code += f"cell.{module}.{name}.value = jnp.array({literal(array)})  # {array.shape}: {roles[key]}\n"
    return code + _jax_run(x, h0, "h, _ = cell(h, x_t)")


def flax_linen_code(w, x, h0) -> str:
    cfg = w.config
    groups: dict[str, list[str]] = {}
    for key, array in w.arrays().items():
        module, name = key.split("/")
        groups.setdefault(module, []).append(f'"{name}": jnp.array({literal(array)})')
    params = "".join(f'    "{m}": {{{", ".join(v)}}},\n' for m, v in groups.items())
    code = (_JAX_HEAD + "import flax.linen as nn\n\n"
            f"cell = nn.GRUCell({cfg.units}, gate_fn={_JAX[cfg.recurrent_activation]}, "
            f"activation_fn={_JAX[cfg.activation]}, param_dtype=jnp.float64)\n"
            f"params = {{\"params\": {{\n{params}}}}}\n")
    return code + _jax_run(x, h0, "h, _ = cell.apply(params, h, x_t)")


def equinox_code(w, x, h0) -> str:
    cfg = w.config
    fields = [k for k in ("weight_ih", "weight_hh", "bias", "bias_n") if k in w.arrays()]
    values = "".join(f"    jnp.array({literal(w.arrays()[k], 4)}),  # {k} {w.arrays()[k].shape}\n" for k in fields)
    use_bias = "" if w.bias is not None else ", use_bias=False"
    code = (_JAX_HEAD + "import equinox as eqx\n\n"
            f"cell = eqx.nn.GRUCell({cfg.input_dim}, {cfg.units}{use_bias}, dtype=jnp.float64, "
            "key=jax.random.PRNGKey(0))\n"
            f"cell = eqx.tree_at(lambda c: ({', '.join('c.' + k for k in fields)},), cell, (\n{values}))\n")
    return code + _jax_run(x, h0, "h = cell(x_t, h)")


def onnx_code(w, x, h0) -> str:
    """The node built with onnx.helper and run by onnxruntime (float32, its GRU's type)."""
    cfg = w.config
    H, D = cfg.units, cfg.input_dim
    arrays = dict(w.arrays())
    if x is not None and np.any(h0) and w.initial_h is None:
        arrays["initial_h"] = np.asarray(h0, dtype=np.float64).reshape(1, 1, H)
    names = [k if k in arrays else "" for k in ("W", "R", "B", "sequence_lens", "initial_h")]
    while names and not names[-1]:
        names.pop()
    lines = "".join(f"{k} = np.array({literal(a)})  # {a.shape}\n" for k, a in arrays.items())
    attrs = f"hidden_size={H}, linear_before_reset={w.linear_before_reset}, direction=\"{w.direction}\""
    pair = (cfg.recurrent_activation, cfg.activation)
    if pair != ("sigmoid", "tanh"):
        spelled = [ONNX_ACTIVATIONS[a] for a in pair] * w.num_directions
        attrs += f",\n                        activations={[s[0] for s in spelled]!r}"
        alphas, betas = [s[1] for s in spelled if s[1] is not None], [s[2] for s in spelled if s[2] is not None]
        attrs += f", activation_alpha={alphas!r}" if alphas else ""
        attrs += f", activation_beta={betas!r}" if betas else ""
    kinds = {"sequence_lens": "np.int32"}
    inits = ", ".join(f"numpy_helper.from_array({k}.astype({kinds.get(k, 'np.float32')}), \"{k}\")"
                      for k in arrays)
    code = ("import numpy as np\nimport onnxruntime as ort\nfrom onnx import TensorProto, helper, numpy_helper\n\n"
            + lines
            + f"node = helper.make_node(\"GRU\", {['X', *names]!r}, [\"Y\", \"Y_h\"], {attrs})\n"
            "graph = helper.make_graph(\n    [node], \"gru\",\n"
            f"    [helper.make_tensor_value_info(\"X\", TensorProto.FLOAT, [\"sequence\", 1, {D}])],\n"
            "    [helper.make_tensor_value_info(\"Y\", TensorProto.FLOAT, None),\n"
            "     helper.make_tensor_value_info(\"Y_h\", TensorProto.FLOAT, None)],\n"
            f"    [{inits}])\n"
            "model = helper.make_model(graph, opset_imports=[helper.make_opsetid(\"\", 14)], ir_version=8)\n"
            "session = ort.InferenceSession(model.SerializeToString(), providers=[\"CPUExecutionProvider\"])\n")
    if x is not None:
        code += (f"x = np.array({literal(x)})  # (timesteps {len(x)}, features {D})\n"
                 "Y, Y_h = session.run(None, {\"X\": x[:, None, :].astype(np.float32)})  # (T, dirs, 1, H), (dirs, 1, H)\n"
                 "output = Y_h[-1, 0]  # the last state (float32)\nprint(output)\n")
    return code
