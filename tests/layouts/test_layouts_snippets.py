"""The code each layout's snippet writes, run in the framework it names (Keras, PyTorch,
TensorFlow 1's GRUCell, EpyNN, NumPy), and what the snippets, caveats, equations and refusals
of the CuDNNGRU, Flax and Equinox layouts say.

Expected numbers come from a real keras.layers.GRU (float64) on the source weights; the
words are the product's wording, and the equations are the frameworks' published ones."""

import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from conftest import random_weights  # noqa: E402
from gruviz import GRUConfig, GRUWeights, InputError  # noqa: E402
from gruviz import layouts as L  # noqa: E402
from gruviz.layouts.base import LayoutConfig  # noqa: E402

CUDNN_LIMIT = ("CuDNNGRU always uses sigmoid gates and a tanh candidate (cuDNN has no other); these arrays are the "
               "exact layout, but a real CuDNNGRU computes other numbers with them.")
EQUINOX_LIMIT = ("eqx.nn.GRUCell always uses sigmoid gates and a tanh candidate; these arrays are the exact layout, "
                 "but the real cell computes other numbers with them.")
EPYNN_H0 = "EpyNN's GRU always starts from h = 0 and cannot take this h0, so its numbers differ."


def keras_gru(seed, H=3, D=2, hh_zero=False, **config):
    w = random_weights(np.random.default_rng(seed), GRUConfig(H, D, **config), scale=0.8)
    if hh_zero:  # cells with no bias inside r ⊙ (…) need b^h_h = 0
        bias = w.bias.copy()
        bias[1, 2 * H:] = 0
        w = GRUWeights.create(w.config, w.kernel, w.recurrent_kernel, bias)
    return w


def run_snippet(weights, x, h0=None, convention=None) -> dict:
    snippet = L.snippet(weights, x, h0, convention)
    assert snippet.language == "python"
    namespace = {}
    with warnings.catch_warnings(), np.errstate(over="ignore"):
        warnings.simplefilter("ignore")
        exec(snippet.code.replace("print(output)", ""), namespace)
    return namespace | {"code": snippet.code}


ACTIVATIONS = {"tanh": np.tanh, "sigmoid": lambda a: 1 / (1 + np.exp(-a)), "relu": lambda a: np.maximum(a, 0.0),
               "linear": lambda a: a, "softsign": lambda a: a / (1 + np.abs(a)),
               "hard_sigmoid": lambda a: np.clip(a / 6 + 0.5, 0.0, 1.0),  # Keras 3's (spec §1)
               "hard_sigmoid_legacy": lambda a: np.clip(0.2 * a + 0.5, 0.0, 1.0)}


def truth(w, x, h0=None):
    """keras.layers.GRU's last state as the spec writes it: row vectors, column blocks z | r | h,
    h = z ⊙ h' + (1 − z) ⊙ h~ (real Keras runs the Keras snippet itself, below)."""
    cfg = w.config
    H, f, g = cfg.units, ACTIVATIONS[cfg.recurrent_activation], ACTIVATIONS[cfg.activation]
    bias = np.zeros(3 * H) if w.bias is None else np.asarray(w.bias)
    bx, bh = (bias[0], bias[1]) if bias.ndim == 2 else (bias, np.zeros(3 * H))
    Wz, Wr, Wh = np.split(w.kernel, 3, axis=1)
    Uz, Ur, Uh = np.split(w.recurrent_kernel, 3, axis=1)
    h = np.zeros(H) if h0 is None else np.asarray(h0, dtype=float)
    for x_t in x:
        z = f(x_t @ Wz + bx[:H] + h @ Uz + bh[:H])
        r = f(x_t @ Wr + bx[H : 2 * H] + h @ Ur + bh[H : 2 * H])
        inside = r * (h @ Uh + bh[2 * H :]) if cfg.reset_after else (r * h) @ Uh
        h = z * h + (1 - z) * g(x_t @ Wh + bx[2 * H :] + inside)
    return h


# --- snippets that need only NumPy, run ----------------------------------------------------------

@pytest.mark.parametrize("name", ["dl4mt", "wikipedia", "cudnngru"])
@pytest.mark.parametrize("activation, gate", [("relu", "hard_sigmoid"), ("softsign", "sigmoid"),
                                              ("linear", "hard_sigmoid_legacy"), ("tanh", "tanh")])
def test_numpy_snippets_run_with_every_activation(name, activation, gate):
    reset_after = name != "wikipedia"
    w = keras_gru(9, reset_after=reset_after, hh_zero=name == "dl4mt", activation=activation,
                  recurrent_activation=gate)
    rng = np.random.default_rng(10)
    x, h0 = rng.normal(size=(4, 2)), rng.normal(size=3)
    converted = L.convert(w, name)  # to Wikipedia's rule by negating z, where that is exact
    ran = run_snippet(converted.weights, x, h0, converted.convention)
    if converted.native:
        np.testing.assert_allclose(ran["output"], truth(w, x, h0), atol=1e-12)
    else:  # a tanh gate: the arrays keep Keras's rule, which the written loop does not use
        assert ran["code"].startswith("# NOTE: these arrays compute the source only under the keras update rule")
        assert np.abs(ran["output"] - truth(w, x, h0)).max() > 1e-3
    for used in {activation, gate} - {"tanh"}:
        assert ran["code"].count(f"def {used}(a):") == 1  # defined once, without EpyNN's deriv


def test_a_one_step_sequence_is_run_and_an_empty_one_is_not():
    w = keras_gru(11)
    x = np.array([[0.5, -1.0]])
    np.testing.assert_allclose(run_snippet(L.convert(w, "cudnngru").weights, x)["output"], truth(w, x), atol=1e-12)
    for empty in (None, np.zeros((0, 2)), []):
        code = L.snippet(L.convert(w, "pytorch").weights, empty).code
        assert "output" not in code and "gru.load_state_dict" in code


def test_matrices_are_written_one_row_per_line_and_rows_of_one_on_one_line():
    cudnn = L.CuDNNGRU(LayoutConfig(1, 2), [[0.5, -1.0, 2.0], [1.5, 0.0, -2.5]], [[0.25, 0.75, -0.5]],
                       [1, 2, 3, 4, 5, 6])
    code = L.snippet(cudnn).code
    assert ("\nkernel = np.array([\n    [0.5, -1.0, 2.0],\n    [1.5, 0.0, -2.5],\n])  # (2, 3): blocks z | r | h"
            in code)
    assert "\nrecurrent_kernel = np.array([[0.25, 0.75, -0.5]])  # (1, 3): " in code
    assert "\nbias = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])  # (6,): " in code
    torch_like = L.PyTorchGRU(LayoutConfig(1, 2), [[1, 2], [3, 4], [5, 6]], [[7], [8], [9]], None, None)
    assert ('gru.load_state_dict({\n    "weight_ih_l0": torch.tensor([\n        [1.0, 2.0],\n        [3.0, 4.0],\n'
            '        [5.0, 6.0],\n    ], dtype=torch.float64),  # (3, 2): ') in L.snippet(torch_like).code
    eqx = L.EquinoxGRU(LayoutConfig(1, 1), [[1], [2], [3]], [[4], [5], [6]], [7, 8, 9], [10])
    assert ("cell, (\n    jnp.array([\n        [1.0],\n        [2.0],\n        [3.0],\n    ]),  # weight_ih (3, 1)\n"
            in L.snippet(eqx).code)
    assert "    jnp.array([7.0, 8.0, 9.0]),  # bias (3,)\n    jnp.array([10.0]),  # bias_n (1,)\n))\n" in (
        L.snippet(eqx).code)


def test_a_numpy_snippet_with_no_activation_to_define_starts_with_its_arrays():
    w = keras_gru(19, activation="tanh", recurrent_activation="tanh", hh_zero=True)
    assert L.snippet(L.convert(w, "dl4mt").weights).code.startswith("import numpy as np\n\nW = np.array(")
    relu = keras_gru(19, activation="relu", hh_zero=True)
    assert L.snippet(L.convert(relu, "dl4mt").weights).code.startswith(
        "import numpy as np\n\ndef sigmoid(a):\n    return 1 / (1 + np.exp(-a))\n\n\n"
        "def relu(a):\n    return np.maximum(a, 0.0)\n\n\nW = np.array(")


# --- caveats, written as NOTE lines at the top -----------------------------------------------------

def test_caveats_name_what_the_real_framework_cannot_do():
    other = keras_gru(12, activation="relu", recurrent_activation="sigmoid")
    gates = keras_gru(12, activation="tanh", recurrent_activation="hard_sigmoid")
    for w in (other, gates):
        assert L.caveats(L.convert(w, "cudnngru").weights) == (CUDNN_LIMIT,)
        assert L.caveats(L.convert(w, "equinox").weights) == (EQUINOX_LIMIT,)
        assert L.caveats(L.convert(w, "flax_linen").weights) == ()  # gate_fn and activation_fn are arguments
    plain = keras_gru(12)
    assert L.caveats(L.convert(plain, "cudnngru").weights, np.ones(3)) == ()
    assert L.caveats(plain, np.ones(3), "keras") == ()
    assert L.snippet(L.convert(other, "cudnngru").weights).code.startswith(f"# NOTE: {CUDNN_LIMIT}\nimport numpy")


def test_only_epynn_is_warned_about_a_non_zero_h0():
    w = keras_gru(13, reset_after=False)
    epynn = L.convert(w, "epynn").weights
    assert L.caveats(epynn, np.array([0.0, 0.0, 0.0])) == () and L.caveats(epynn) == ()
    assert L.caveats(epynn, np.array([0.0, 0.1, 0.0])) == (EPYNN_H0,)
    assert L.caveats(L.convert(w, "tf1").weights, np.array([0.0, 0.1, 0.0])) == ()
    assert L.snippet(epynn, None, [0.0, 0.1, 0.0]).code.startswith(f"# NOTE: {EPYNN_H0}\nimport numpy")


def test_a_rule_the_framework_does_not_use_is_named_in_a_note():
    w = keras_gru(14, reset_after=False, recurrent_activation="hard_sigmoid")
    kept = L.convert(w, "wikipedia", keep_rule=True)
    note = ("these arrays compute the source only under the keras update rule, which Wikipedia / Chung 2014 does "
            "not use.")
    assert L.caveats(kept.weights, None, kept.convention) == (note,)
    assert L.caveats(kept.weights, None, "bahdanau") == ()
    assert L.caveats(w, None, "bahdanau") == ("these arrays compute the source only under the bahdanau update rule, "
                                              "which Keras 3 GRU does not use.",)
    both = L.caveats(L.convert(w, "epynn").weights, np.ones(3), "bahdanau")
    assert both == (EPYNN_H0, "these arrays compute the source only under the bahdanau update rule, which EpyNN GRU "
                              "does not use.")
    code = L.snippet(L.convert(w, "epynn").weights, None, np.ones(3), "bahdanau").code
    assert code.startswith(f"# NOTE: {both[0]}\n# NOTE: {both[1]}\nimport numpy as np\n")


# --- the JAX snippets, run on stand-ins written from the cells' published source ------------------
# JAX is not installed for the tests; these stand-ins follow flax/nnx/nn/recurrent.py,
# flax/linen/recurrent.py and equinox/nn/_rnn.py, and refuse parameters of the wrong shape.

def _jax_modules():
    from types import ModuleType, SimpleNamespace as NS

    def module(name, **attributes):
        m = ModuleType(name)
        m.__dict__.update(attributes)
        return m

    sigmoid = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    nn = NS(tanh=np.tanh, sigmoid=sigmoid, relu=lambda a: np.maximum(a, 0.0), soft_sign=lambda a: a / (1 + np.abs(a)),
            hard_sigmoid=lambda a: np.minimum(np.maximum(a + 3, 0.0), 6.0) / 6)  # relu6(x + 3) / 6
    jax = module("jax", config=NS(update=lambda *a: None), nn=nn, random=NS(PRNGKey=lambda seed: ("key", seed)))
    jnp = module("jax.numpy", array=lambda a: np.array(a, dtype=np.float64), clip=np.clip, float64=np.float64)

    def shaped(value, shape):
        assert np.shape(value) == shape, (np.shape(value), shape)
        return np.asarray(value)

    class NnxCell:
        def __init__(self, in_features, hidden_features, *, gate_fn, activation_fn, param_dtype, rngs):
            D, H = in_features, hidden_features
            self.shapes, self.gate_fn, self.activation_fn = (D, H), gate_fn, activation_fn
            self.dense_i = NS(kernel=NS(value=None), bias=NS(value=None))
            self.dense_h = NS(kernel=NS(value=None))

        def __call__(self, carry, inputs):
            D, H = self.shapes
            x_r, x_z, x_n = np.split(inputs @ shaped(self.dense_i.kernel.value, (D, 3 * H))
                                     + shaped(self.dense_i.bias.value, (3 * H,)), 3)
            h_r, h_z, h_n = np.split(carry @ shaped(self.dense_h.kernel.value, (H, 3 * H)), 3)
            r, z = self.gate_fn(x_r + h_r), self.gate_fn(x_z + h_z)
            n = self.activation_fn(x_n + r * h_n)
            new_h = (1.0 - z) * n + z * carry
            return new_h, new_h

    class LinenCell:
        def __init__(self, features, *, gate_fn, activation_fn, param_dtype):
            self.H, self.gate_fn, self.activation_fn = features, gate_fn, activation_fn

        def apply(self, variables, carry, inputs):
            p = variables["params"]
            assert {k: sorted(v) for k, v in p.items()} == {
                **{f"i{g}": ["bias", "kernel"] for g in "rzn"}, "hr": ["kernel"], "hz": ["kernel"],
                "hn": ["bias", "kernel"]}
            dense = lambda name, v, n: v @ shaped(p[name]["kernel"], (n, self.H)) + p[name].get("bias", 0)  # noqa
            D = len(inputs)
            r = self.gate_fn(dense("ir", inputs, D) + dense("hr", carry, self.H))
            z = self.gate_fn(dense("iz", inputs, D) + dense("hz", carry, self.H))
            n = self.activation_fn(dense("in", inputs, D) + r * dense("hn", carry, self.H))
            new_h = (1.0 - z) * n + z * carry
            return new_h, new_h

    class EqxCell:
        def __init__(self, input_size, hidden_size, use_bias=True, dtype=None, *, key):
            self.sizes, self.use_bias = (input_size, hidden_size), use_bias
            self.weight_ih = self.weight_hh = self.bias = self.bias_n = None

        def __call__(self, input, hidden):
            D, H = self.sizes
            bias = shaped(self.bias, (3 * H,)) if self.use_bias else 0
            bias_n = shaped(self.bias_n, (H,)) if self.use_bias else 0
            igates = np.split(shaped(self.weight_ih, (3 * H, D)) @ input + bias, 3)
            hgates = np.split(shaped(self.weight_hh, (3 * H, H)) @ hidden, 3)
            reset = sigmoid(igates[0] + hgates[0])
            inp = sigmoid(igates[1] + hgates[1])
            new = np.tanh(igates[2] + reset * (hgates[2] + bias_n))
            return new + inp * (hidden - new)

    def tree_at(where, pytree, replace):
        import copy

        names = where(NS(**{k: k for k in ("weight_ih", "weight_hh", "bias", "bias_n")}))
        assert len(names) == len(replace)
        out = copy.copy(pytree)
        for name, value in zip(names, replace):
            setattr(out, name, value)
        return out

    nnx = module("flax.nnx", GRUCell=NnxCell, Rngs=lambda seed: ("rngs", seed))
    linen = module("flax.linen", GRUCell=LinenCell)
    flax = module("flax", nnx=nnx, linen=linen)
    eqx = module("equinox", nn=NS(GRUCell=EqxCell), tree_at=tree_at)
    return {"jax": jax, "jax.numpy": jnp, "flax": flax, "flax.nnx": nnx, "flax.linen": linen, "equinox": eqx}


JAX_CONFIGS = [dict(), dict(activation="relu", recurrent_activation="hard_sigmoid"),
               dict(activation="linear", recurrent_activation="hard_sigmoid_legacy"),
               dict(activation="softsign", recurrent_activation="tanh"), dict(use_bias=False)]


@pytest.mark.parametrize("name, config", [(name, config) for name in ("flax", "flax_linen", "equinox")
                                          for config in JAX_CONFIGS
                                          if name != "equinox" or "activation" not in config])  # eqx: fixed
def test_the_jax_snippets_load_the_arrays_into_the_cells(monkeypatch, name, config):
    w = keras_gru(15, H=3, D=2, hh_zero=name == "flax" and config.get("use_bias", True), **config)
    rng = np.random.default_rng(16)
    x, h0 = rng.normal(size=(4, 2)), rng.normal(size=3)
    expected = truth(w, x, h0)
    for key, fake in _jax_modules().items():
        monkeypatch.setitem(__import__("sys").modules, key, fake)
    ran = run_snippet(L.convert(w, name).weights, x, h0)
    np.testing.assert_allclose(ran["output"], expected, atol=1e-12)
    if name == "equinox":
        assert ("use_bias=False" in ran["code"]) is (config == dict(use_bias=False))
    bare = run_snippet(L.convert(w, name).weights, None)
    assert "cell" in bare and "output" not in bare and "x = " not in bare["code"]


# --- the CuDNNGRU, Flax and Equinox layouts: equations, limits, refusals ------------------------

def test_porting_equations_are_the_frameworks_published_ones():
    plain, other = LayoutConfig(2, 1), LayoutConfig(2, 1, "relu", "hard_sigmoid_legacy")
    gates = (r"r = \sigma(x W_{ir} + b_{ir} + h W_{hr})", r"z = \sigma(x W_{iz} + b_{iz} + h W_{hz})")
    update = r"h' = (1 - z) \odot n + z \odot h"
    assert L.FlaxGRU.equations(plain) == (*gates, r"n = \tanh(x W_{in} + b_{in} + r \odot (h W_{hn}))", update)
    assert L.FlaxLinenGRU.equations(plain) == (
        *gates, r"n = \tanh(x W_{in} + b_{in} + r \odot (h W_{hn} + b_{hn}))", update)
    assert L.FlaxLinenGRU.equations(other)[0] == (
        r"r = \mathrm{clip}\left(0.2\,(x W_{ir} + b_{ir} + h W_{hr})+0.5,\,0,\,1\right)")
    assert L.FlaxLinenGRU.equations(other)[2] == r"n = \max(0,x W_{in} + b_{in} + r \odot (h W_{hn} + b_{hn}))"
    assert L.EquinoxGRU.equations(plain) == (
        r"r = \sigma((W_{ih} x + b)_r + (W_{hh} h)_r)", r"z = \sigma((W_{ih} x + b)_z + (W_{hh} h)_z)",
        r"n = \tanh((W_{ih} x + b)_n + r \odot ((W_{hh} h)_n + b_n))", r"h' = n + z \odot (h - n)")
    assert L.EquinoxGRU.equations(other)[2] == r"n = \max(0,(W_{ih} x + b)_n + r \odot ((W_{hh} h)_n + b_n))"
    assert L.CuDNNGRU.equations(plain) == (
        r"z_t = \sigma(W^{c}_z x_t + b^x_z + R^{c}_z h_{t-1} + b^h_z)",
        r"r_t = \sigma(W^{c}_r x_t + b^x_r + R^{c}_r h_{t-1} + b^h_r)",
        r"\tilde h_t = \tanh(W^{c}_h x_t + b^x_h + r_t \odot (R^{c}_h h_{t-1} + b^h_h))",
        r"h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t,\quad W^{c}_g = k_g.\mathrm{reshape}(H, D),"
        r"\ R^{c}_g = k^{rec}_g")
    assert L.CuDNNGRU.equations(other)[1].startswith(r"r_t = \mathrm{clip}\left(0.2\,(W^{c}_r x_t")


@pytest.mark.parametrize("activation, gate", [("tanh", "sigmoid"), ("relu", "sigmoid"), ("tanh", "hard_sigmoid")])
def test_cudnn_and_equinox_limits_name_their_fixed_activations(activation, gate):
    config = LayoutConfig(2, 1, activation, gate)
    fixed = (activation, gate) == ("tanh", "sigmoid")
    assert L.CuDNNGRU.limits(config) == (None if fixed else CUDNN_LIMIT)
    assert L.EquinoxGRU.limits(config) == (None if fixed else EQUINOX_LIMIT)


@pytest.mark.parametrize("specs", ["the class's", "built again"])
def test_linen_names_each_dense_its_field_shape_and_what_it_holds(specs):
    from gruviz.layouts.porting import _linen_specs

    built = L.FlaxLinenGRU.SPECS if specs == "the class's" else _linen_specs()
    assert [(s.key, s.field, s.role, s.optional) for s in built] == [
        ("ir/kernel", "ir_kernel", "Dense 'ir', acting on x", False),
        ("ir/bias", "ir_bias", "Dense 'ir''s bias", False),
        ("iz/kernel", "iz_kernel", "Dense 'iz', acting on x", False),
        ("iz/bias", "iz_bias", "Dense 'iz''s bias", False),
        ("in/kernel", "in_kernel", "Dense 'in', acting on x", False),
        ("in/bias", "in_bias", "Dense 'in''s bias", False),
        ("hr/kernel", "hr_kernel", "Dense 'hr', acting on h", False),
        ("hz/kernel", "hz_kernel", "Dense 'hz', acting on h", False),
        ("hn/kernel", "hn_kernel", "Dense 'hn', acting on h", False),
        ("hn/bias", "hn_bias", "Dense 'hn''s bias, inside r ⊙ (…)", False)]
    assert [s.shape(3, 2) for s in built] == [(3, 2), (2,)] * 3 + [(2, 2)] * 3 + [(2,)]
    assert isinstance(built, tuple)


@pytest.mark.parametrize("bias, bias_n", [(np.ones(6), None), (None, np.ones(2))])
def test_equinox_needs_both_biases_or_neither(bias, bias_n):
    with pytest.raises(InputError) as refused:
        L.EquinoxGRU(LayoutConfig(2, 1), np.ones((6, 1)), np.ones((6, 2)), bias, bias_n)
    assert str(refused.value) == ("GRUCell(use_bias=True) has bias and bias_n, use_bias=False neither; only one is "
                                  "here.")


@pytest.mark.parametrize("kernel, recurrent", [((2, 6, 1), (2, 6)), ((2, 5), (2, 6)), ((2, 6), (3, 6)),
                                               ((2, 6), (2, 5))])
def test_raw_cudnngru_arrays_of_the_wrong_shape_are_refused(kernel, recurrent):
    with pytest.raises(InputError) as refused:
        L.cudnn_gru_weights(np.ones(kernel), np.ones(recurrent), np.ones(12))
    assert str(refused.value) == ("a CuDNNGRU has kernel (input_dim, 3·units) and recurrent_kernel (units, 3·units); "
                                  f"these are {kernel} and {recurrent}.")


def test_raw_cudnngru_arrays_keep_their_activations_and_read_units_off_the_shapes():
    rng = np.random.default_rng(17)
    w = L.cudnn_gru_weights(rng.normal(size=(3, 6)).tolist(), rng.normal(size=(2, 6)).tolist(), rng.normal(size=12),
                            activation="relu", recurrent_activation="hard_sigmoid")
    assert (w.config.units, w.config.input_dim, w.config.activation, w.config.recurrent_activation) == (
        2, 3, "relu", "hard_sigmoid")
    assert L.cudnn_gru_weights(np.ones((1, 3)), np.ones((1, 3)), np.ones(6)).config.activation == "tanh"


def _stand_in_run(cell, x, h0, call):
    h = h0
    for x_t in x:
        h = call(cell, h, x_t)
    return h


@pytest.mark.parametrize("H, D", [(1, 1), (2, 3), (3, 2)])
def test_jax_layouts_built_from_their_own_arrays_trace_like_the_cells(H, D):
    fakes = _jax_modules()
    rng = np.random.default_rng(18 + H)
    x, h0 = rng.normal(size=(5, D)), rng.normal(size=H)
    sigmoid, tanh = fakes["jax"].nn.sigmoid, np.tanh
    flax = L.FlaxGRU(LayoutConfig(H, D), rng.normal(size=(D, 3 * H)), rng.normal(size=3 * H),
                     rng.normal(size=(H, 3 * H)))
    nnx = fakes["flax.nnx"].GRUCell(D, H, gate_fn=sigmoid, activation_fn=tanh, param_dtype=None, rngs=None)
    nnx.dense_i.kernel.value, nnx.dense_i.bias.value = flax.dense_i_kernel, flax.dense_i_bias
    nnx.dense_h.kernel.value = flax.dense_h_kernel
    want = _stand_in_run(nnx, x, h0, lambda c, h, x_t: c(h, x_t)[0])
    np.testing.assert_allclose(L.run_layout(flax, x, h0).output, want, atol=1e-12)
    params = {key: rng.normal(size=spec.shape(D, H)) for spec in L.FlaxLinenGRU.SPECS for key in [spec.key]}
    linen = L.FlaxLinenGRU.from_arrays(LayoutConfig(H, D), params)
    nested = {}
    for key, value in params.items():
        nested.setdefault(key.split("/")[0], {})[key.split("/")[1]] = value
    cell = fakes["flax.linen"].GRUCell(H, gate_fn=sigmoid, activation_fn=tanh, param_dtype=None)
    want = _stand_in_run(cell, x, h0, lambda c, h, x_t: c.apply({"params": nested}, h, x_t)[0])
    np.testing.assert_allclose(L.run_layout(linen, x, h0).output, want, atol=1e-12)
    for use_bias in (True, False):
        biases = (rng.normal(size=3 * H), rng.normal(size=H)) if use_bias else (None, None)
        eqx = L.EquinoxGRU(LayoutConfig(H, D), rng.normal(size=(3 * H, D)), rng.normal(size=(3 * H, H)), *biases)
        cell = fakes["equinox"].nn.GRUCell(D, H, use_bias=use_bias, key=None)
        cell.weight_ih, cell.weight_hh, cell.bias, cell.bias_n = eqx.weight_ih, eqx.weight_hh, *biases
        want = _stand_in_run(cell, x, h0, lambda c, h, x_t: c(x_t, h))
        np.testing.assert_allclose(L.run_layout(eqx, x, h0).output, want, atol=1e-12)
        assert L.to_keras(eqx)[0].config.use_bias is use_bias


@pytest.mark.parametrize("H, D", [(2, 3), (3, 2)])
def test_cudnngru_built_from_its_own_arrays_traces_like_cudnn(H, D):
    """cuDNN reads each (D, H) kernel block, flattened in C order, as the (H, D) matrix on x;
    each recurrent block is R acting on h; the bias is [b^x | b^h] (keras/layers/cudnn_recurrent.py)."""
    rng = np.random.default_rng(20 + H)
    cell = L.CuDNNGRU(LayoutConfig(H, D), rng.normal(size=(D, 3 * H)), rng.normal(size=(H, 3 * H)),
                      rng.normal(size=6 * H))
    x, h = rng.normal(size=(5, D)), rng.normal(size=H)
    W = [k.reshape(H, D) for k in np.hsplit(cell.kernel, 3)]
    R = np.hsplit(cell.recurrent_kernel, 3)
    bx_z, bx_r, bx_h, bh_z, bh_r, bh_h = np.split(cell.bias, 6)
    start = h
    for x_t in x:
        z = 1 / (1 + np.exp(-(W[0] @ x_t + bx_z + R[0] @ h + bh_z)))
        r = 1 / (1 + np.exp(-(W[1] @ x_t + bx_r + R[1] @ h + bh_r)))
        h = z * h + (1 - z) * np.tanh(W[2] @ x_t + bx_h + r * (R[2] @ h + bh_h))
    np.testing.assert_allclose(L.run_layout(cell, x, start).output, h, atol=1e-12)
    w = L.cudnn_gru_weights(cell.kernel, cell.recurrent_kernel, cell.bias)
    np.testing.assert_allclose(L.run_layout(w, x, start).output, h, atol=1e-12)
    assert w.config.reset_after is True


# --- each framework runs its snippet to Keras's numbers (last: these import the frameworks) ------

KERAS_CASES = [dict(reset_after=True), dict(reset_after=False, use_bias=False, activation="softsign",
                                            recurrent_activation="hard_sigmoid_legacy"),
               dict(reset_after=True, activation="linear", recurrent_activation="hard_sigmoid")]


@pytest.mark.parametrize("config", KERAS_CASES)
def test_the_keras_snippet_runs_in_keras(config):
    w = keras_gru(1, **config)
    rng = np.random.default_rng(2)
    x, h0 = rng.normal(size=(4, 2)), rng.normal(size=3)
    ran = run_snippet(w, x, h0)
    np.testing.assert_allclose(ran["output"], truth(w, x, h0), atol=1e-12)
    assert f"reset_after={config['reset_after']}, use_bias={config.get('use_bias', True)}, " in ran["code"]
    assert "layer.set_weights([\n    np.array([\n        [" in ran["code"]  # kernel (2, 9): one row per line
    assert "],\n    ]),  # kernel (2, 9): columns W_z | W_r | W_h, one row per input feature\n" in ran["code"]


@pytest.mark.parametrize("use_bias", [True, False])
def test_the_pytorch_snippet_runs_in_torch(use_bias):
    w = keras_gru(3, use_bias=use_bias)
    rng = np.random.default_rng(4)
    x, h0 = rng.normal(size=(5, 2)), rng.normal(size=3)
    ran = run_snippet(L.convert(w, "pytorch").weights, x, h0)
    np.testing.assert_allclose(ran["output"], truth(w, x, h0), atol=1e-12)
    assert ("bias=False" in ran["code"]) is not use_bias
    assert list(ran["gru"].state_dict()) == (["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
                                             if use_bias else ["weight_ih_l0", "weight_hh_l0"])


@pytest.mark.parametrize("activation", ["relu", "softsign", "linear", "hard_sigmoid", "hard_sigmoid_legacy"])
def test_the_tf1_snippet_runs_in_grucell_with_each_candidate_activation(activation):
    w = keras_gru(5, H=2, D=3, reset_after=False, activation=activation)
    rng = np.random.default_rng(6)
    x, h0 = rng.normal(size=(4, 3)), rng.normal(size=2)
    ran = run_snippet(L.convert(w, "tf1").weights, x, h0)
    np.testing.assert_allclose(ran["output"], truth(w, x, h0), atol=1e-12)
    assert "# TF 1.x: tf.nn.rnn_cell.GRUCell. TF 2.x keeps the same class here:\n" in ran["code"]


def test_whole_number_steps_and_start_state_are_fed_as_floats():
    w = keras_gru(21, H=2, D=3, reset_after=False)
    x, h0 = [[1, -2, 0], [0, 1, 2]], [1, 0]
    for name in ("tf1", "keras"):
        ran = run_snippet(L.convert(w, name).weights, x, h0)
        np.testing.assert_allclose(ran["output"], truth(w, np.array(x, float), h0), atol=1e-12, err_msg=name)


@pytest.mark.parametrize("activation, gate, imported", [
    ("relu", "sigmoid", "from epynn.commons.maths import relu, sigmoid\n"),
    ("linear", "tanh", "from epynn.commons.maths import identity, tanh\n"),
    ("softsign", "hard_sigmoid", None), ("tanh", "hard_sigmoid_legacy", "from epynn.commons.maths import tanh\n"),
])
def test_the_epynn_snippet_runs_in_epynn_with_its_own_or_written_activations(activation, gate, imported):
    w = keras_gru(7, reset_after=False, activation=activation, recurrent_activation=gate)
    x = np.random.default_rng(8).normal(size=(5, 2))
    ran = run_snippet(L.convert(w, "epynn").weights, x)
    np.testing.assert_allclose(ran["output"], truth(w, x), atol=1e-12)
    if imported:
        assert imported in ran["code"]
    else:
        assert "epynn.commons" not in ran["code"]
    if {activation, gate} <= {"relu", "sigmoid", "tanh", "linear"}:  # nothing to define
        assert "from epynn.gru.models import GRU\n\nlayer = GRU(3, " in ran["code"]
    for name in {activation, gate} - {"relu", "sigmoid", "tanh", "linear"}:  # written, as EpyNN calls them
        assert f"def {name}(a, deriv=False):" in ran["code"]
