"""The ONNX GRU node in detail: every attribute, input and refusal of gruviz.layouts.onnx,
its equations, and the onnxruntime snippet, run.

Expected numbers come from onnxruntime on a node built here from the same arrays, or from
identities read off the operator's documentation (W's row blocks z | r | h transposed are
Keras's column blocks; B is [Wb | Rb]); messages are the product's wording."""

import numpy as np
import pytest

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from gruviz import InputError  # noqa: E402
from gruviz import layouts as L  # noqa: E402
from gruviz.layouts.base import LayoutConfig  # noqa: E402
from gruviz.layouts.onnx import activation_from_onnx  # noqa: E402

REFUSED_TAIL = (" has no gruviz equivalent: gruviz computes sigmoid, tanh, relu, softsign, HardSigmoid with "
                "(alpha, beta) = (0.2, 0.5) or (1/6, 0.5), and Affine(1, 0); LeakyRelu, ThresholdedRelu, ScaledTanh, "
                "Elu, Softplus and other alphas would give other numbers.")


def f32(rng, *shape):
    """Random numbers float32 holds exactly, so onnxruntime and gruviz read the same weights."""
    return rng.normal(size=shape).astype(np.float32).astype(np.float64)


def arrays(rng, H, D, dirs=1):
    return {"W": f32(rng, dirs, 3 * H, D), "R": f32(rng, dirs, 3 * H, H), "B": f32(rng, dirs, 6 * H),
            "initial_h": f32(rng, dirs, 1, H)}


def ort_gru(x, W, R, B=None, initial_h=None, lens=None, **attributes):
    """onnxruntime's GRU on x (T, D), batch 1, time first: Y (T, dirs, 1, H) and Y_h (dirs, 1, H)."""
    inits, names = [], ["X"]
    for key, value, kind in (("W", W, np.float32), ("R", R, np.float32), ("B", B, np.float32),
                             ("sequence_lens", lens, np.int32), ("initial_h", initial_h, np.float32)):
        names.append("" if value is None else key)
        if value is not None:
            inits.append(numpy_helper.from_array(np.asarray(value).astype(kind), key))
    node = helper.make_node("GRU", names, ["Y", "Y_h"], hidden_size=R.shape[-1], **attributes)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", TensorProto.FLOAT, None)],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None),
                               helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], ir_version=8)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"X": np.asarray(x)[:, None, :].astype(np.float32)})


def message(excinfo) -> str:
    return str(excinfo.value)


# --- activations ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, alpha, beta, ours", [
    ("Sigmoid", None, None, "sigmoid"), ("TANH", None, None, "tanh"), ("relu", None, None, "relu"),
    ("softSign", None, None, "softsign"),
    ("HardSigmoid", None, None, "hard_sigmoid_legacy"),  # the operator's defaults: alpha 0.2, beta 0.5
    ("hardsigmoid", 0.2, None, "hard_sigmoid_legacy"), ("HardSigmoid", None, 0.5, "hard_sigmoid_legacy"),
    ("HardSigmoid", 1 / 6, 0.5, "hard_sigmoid"), ("HardSigmoid", float(np.float32(1 / 6)), None, "hard_sigmoid"),
    ("AFFINE", 1.0, 0.0, "linear"),
])
def test_each_activation_gruviz_computes_is_named_whatever_its_case(name, alpha, beta, ours):
    assert activation_from_onnx(name, alpha, beta) == ours


@pytest.mark.parametrize("name, alpha, beta, shown", [
    ("LeakyRelu", None, None, "LeakyRelu(alpha=0.01)"), ("thresholdedrelu", None, None, "ThresholdedRelu(alpha=1)"),
    ("ELU", None, None, "Elu(alpha=1)"), ("ScaledTanh", None, None, "ScaledTanh"),
    ("scaledtanh", 1.0, 1.0, "ScaledTanh(alpha=1, beta=1)"), ("Softplus", None, None, "Softplus"),
    ("HardSigmoid", 0.3, None, "HardSigmoid(alpha=0.3, beta=0.5)"),
    ("HardSigmoid", 0.2, 0.6, "HardSigmoid(alpha=0.2, beta=0.6)"),
    ("Affine", None, None, "Affine"), ("Affine", 2.0, 0.0, "Affine(alpha=2, beta=0)"),
    ("Affine", 1.0, None, "Affine(alpha=1)"),
])
def test_activations_with_other_numbers_are_refused_naming_their_parameters(name, alpha, beta, shown):
    with pytest.raises(InputError) as refused:
        activation_from_onnx(name, alpha, beta)
    assert message(refused) == "the ONNX activation " + shown + REFUSED_TAIL


def test_a_name_the_operator_does_not_define_is_refused():
    with pytest.raises(InputError) as refused:
        activation_from_onnx("Gelu", None, None)
    assert message(refused) == "the ONNX activation 'Gelu' is not one the GRU operator defines."


def test_an_affine_without_alpha_is_not_the_identity_in_onnxruntime_so_refusing_it_is_right():
    rng = np.random.default_rng(1)
    a = arrays(rng, 2, 2)
    x = f32(rng, 4, 2)
    plain = ort_gru(x, a["W"], a["R"], a["B"], activations=["Sigmoid", "Affine"])[0]
    identity = ort_gru(x, a["W"], a["R"], a["B"], activations=["Sigmoid", "Affine"], activation_alpha=[1.0],
                       activation_beta=[0.0])[0]
    assert np.abs(plain - identity).max() > 0.1


def test_hard_sigmoid_with_the_operator_defaults_traces_like_onnxruntime():
    rng = np.random.default_rng(2)
    a = arrays(rng, 3, 2)
    x = 3 * f32(rng, 6, 2)  # large enough to reach both clip limits
    gate = activation_from_onnx("HardSigmoid", None, None)
    node = L.OnnxGRU(LayoutConfig(3, 2, "tanh", gate), a["W"], a["R"], a["B"], linear_before_reset=0)
    Y, Y_h = ort_gru(x, a["W"], a["R"], a["B"], activations=["HardSigmoid", "Tanh"])
    assert np.abs(L.onnx_outputs(node, x).Y - Y).max() <= 1e-5


# --- the node's own checks -----------------------------------------------------------------------

def node(H=2, D=3, direction="forward", seed=0, **fields):
    a = arrays(np.random.default_rng(seed), H, D, 2 if direction == "bidirectional" else 1)
    a.pop("initial_h")
    return L.OnnxGRU(LayoutConfig(H, D), **{**a, **fields}, direction=direction)


def test_an_unknown_direction_is_refused_listing_the_three():
    with pytest.raises(InputError) as refused:
        node(direction="sideways")
    assert message(refused) == ("direction 'sideways' is not an ONNX GRU direction; use one of forward, reverse, "
                                "bidirectional.")


@pytest.mark.parametrize("layout", [2, -1])
def test_a_layout_other_than_0_or_1_is_refused(layout):
    with pytest.raises(InputError) as refused:
        node(layout=layout)
    assert message(refused) == f"layout={layout} is not an ONNX GRU layout; it is 0 (time first) or 1 (batch first)."


@pytest.mark.parametrize("lbr, read", [(0, 0), (1, 1), (2, 1), (5, 1), (-2, 1)])
def test_any_non_zero_linear_before_reset_reads_as_1(lbr, read):
    assert node(linear_before_reset=lbr).linear_before_reset == read


@pytest.mark.parametrize("missing", ["W", "R"])
def test_a_missing_weight_is_named(missing):
    with pytest.raises(InputError) as refused:
        node(**{missing: None})
    assert message(refused) == f"ONNX GRU needs {missing}; it is missing."


@pytest.mark.parametrize("direction, field, shape, needs, role", [
    ("forward", "R", (1, 6, 3), (1, 6, 2), "rows R_z | R_r | R_h, one column per unit of Hₜ₋₁"),
    ("forward", "W", (1, 6, 2), (1, 6, 3), "rows W_z | W_r | W_h, one column per input feature"),
    ("bidirectional", "B", (1, 12), (2, 12), "Wb_z | Wb_r | Wb_h | Rb_z | Rb_r | Rb_h; absent means 0"),
    ("bidirectional", "initial_h", (1, 1, 2), (2, 1, 2), "H₀ per direction (batch 1); absent means 0"),
    ("bidirectional", "sequence_lens", (2,), (1,), "steps read (batch 1); Y is 0 after them"),
    ("reverse", "sequence_lens", (1, 1), (1,), "steps read (batch 1); Y is 0 after them"),
])
def test_a_wrong_shape_is_refused_with_the_shape_needed_and_what_it_holds(direction, field, shape, needs, role):
    with pytest.raises(InputError) as refused:
        node(direction=direction, **{field: np.ones(shape)})
    assert message(refused) == (f"{field} has shape {shape} but hidden_size=2, input_size=3, direction={direction} "
                                f"needs {needs}: {role}.")


def test_initial_h_is_checked_and_read_when_b_is_absent():
    with pytest.raises(InputError, match=r"^initial_h has shape \(1, 2\) but"):
        node(B=None, initial_h=[[0.5, -0.5]])
    read = node(B=None, initial_h=[[[0.5, -0.5]]], sequence_lens=[2])
    assert isinstance(read.initial_h, np.ndarray) and read.initial_h.tolist() == [[[0.5, -0.5]]]
    assert isinstance(read.sequence_lens, np.ndarray) and read.sequence_lens.tolist() == [2.0]


def test_one_sequence_lens_serves_both_directions():
    both = node(direction="bidirectional", sequence_lens=[3])
    assert [d.sequence_lens.tolist() for d in both.directions()] == [[3.0], [3.0]]


def test_a_non_finite_weight_is_named_with_its_place():
    W = np.ones((1, 6, 3))
    W[0, 4, 1] = np.nan
    with pytest.raises(InputError) as refused:
        node(W=W)
    assert message(refused) == "W contains nan at index [0, 4, 1]; every value must be a finite number."


@pytest.mark.parametrize("lens, shown", [(0, "0"), (-3, "-3"), (2.5, "2.5")])
def test_sequence_lens_must_be_a_whole_number_of_steps_at_least_1(lens, shown):
    with pytest.raises(InputError) as refused:
        node(sequence_lens=[lens])
    assert message(refused) == f"sequence_lens is {shown}; it must be a whole number of steps, at least 1."


def test_sequence_lens_of_1_reads_only_the_first_step_as_onnxruntime_does():
    one = node(sequence_lens=[1], linear_before_reset=1)
    x = f32(np.random.default_rng(3), 4, 3)
    Y, Y_h = ort_gru(x, one.W, one.R, one.B, lens=[1], linear_before_reset=1)
    ours = L.onnx_outputs(one, x)
    assert np.abs(ours.Y - Y).max() <= 1e-5 and np.abs(ours.Y_h - Y_h).max() <= 1e-5
    assert not Y[1:].any()  # onnxruntime: Y is 0 after sequence_lens


# --- the weights JSON's arrays and attributes ----------------------------------------------------

def json_arrays(**extra):
    a = arrays(np.random.default_rng(4), 2, 1)
    return {k: v.tolist() for k, v in a.items()} | extra


def test_from_arrays_reads_every_input_and_attribute():
    given = json_arrays(linear_before_reset=0, direction="reverse", io_layout=1, sequence_lens=[2])
    read = L.OnnxGRU.from_arrays(LayoutConfig(2, 1), given)
    assert read.attributes() == {"linear_before_reset": 0, "direction": "reverse", "io_layout": 1}
    for key in ("W", "R", "B", "initial_h", "sequence_lens"):
        np.testing.assert_array_equal(getattr(read, key), given[key])
    assert read.config == LayoutConfig(2, 1)
    assert L.OnnxGRU.from_arrays(LayoutConfig(2, 1), json_arrays(linear_before_reset=1)).attributes() == {
        "linear_before_reset": 1, "direction": "forward", "io_layout": 0}


def test_from_arrays_needs_linear_before_reset():
    with pytest.raises(InputError) as refused:
        L.OnnxGRU.from_arrays(LayoutConfig(2, 1), json_arrays())
    assert message(refused) == ('an ONNX GRU needs "linear_before_reset": 0 (reset before R_h, the operator\'s '
                                'default) or 1 (reset after, as PyTorch exports); the two compute different numbers.')


@pytest.mark.parametrize("attributes, text", [
    ({"linear_before_reset": True}, "linear_before_reset must be 0 or 1, got True."),
    ({"linear_before_reset": "1"}, "linear_before_reset must be 0 or 1, got '1'."),
    ({"linear_before_reset": 1.0}, "linear_before_reset must be 0 or 1, got 1.0."),
    ({"linear_before_reset": 1, "direction": 1}, "direction must be a name, got 1."),
    ({"linear_before_reset": 1, "direction": True}, "direction must be a name, got True."),
    ({"linear_before_reset": 1, "io_layout": "1"}, "layout must be 0 or 1, got '1'."),
    ({"linear_before_reset": 1, "io_layout": True}, "layout must be 0 or 1, got True."),
])
def test_attributes_of_the_wrong_type_are_refused(attributes, text):
    with pytest.raises(InputError) as refused:
        L.OnnxGRU.from_arrays(LayoutConfig(2, 1), json_arrays(**attributes))
    assert message(refused) == text


@pytest.mark.parametrize("extra, first", [({"layout": 1}, "layout"), ({"Wb": 1, "Rb": 2}, "Rb")])
def test_unknown_keys_are_refused_naming_the_first_in_order(extra, first):
    with pytest.raises(InputError) as refused:
        L.OnnxGRU.from_arrays(LayoutConfig(2, 1), json_arrays(linear_before_reset=1, **extra))
    assert message(refused) == (f"{first!r} is not an input or attribute of an ONNX GRU; its inputs are W, R, B, "
                                "initial_h, sequence_lens and its attributes linear_before_reset, direction, "
                                "io_layout.")


# --- directions ----------------------------------------------------------------------------------

def test_a_one_direction_node_is_its_own_only_direction():
    forward = node()
    assert forward.directions() == (forward,) and node(direction="reverse").num_directions == 1


def test_a_bidirectional_node_splits_into_forward_then_reverse_and_joins_back():
    a = arrays(np.random.default_rng(5), 2, 3, dirs=2)
    both = L.OnnxGRU(LayoutConfig(2, 3), **a, sequence_lens=[4], linear_before_reset=0, direction="bidirectional",
                     layout=1)
    forward, reverse = both.directions()
    assert (forward.direction, reverse.direction) == ("forward", "reverse")
    for d, one in enumerate((forward, reverse)):
        for key in ("W", "R", "B", "initial_h"):
            np.testing.assert_array_equal(getattr(one, key), a[key][d : d + 1])
        assert (one.linear_before_reset, one.layout, one.sequence_lens.tolist()) == (0, 1, [4.0])
    joined = L.OnnxGRU.join(forward, reverse)
    assert (joined.direction, joined.linear_before_reset, joined.layout, joined.config) == (
        "bidirectional", 0, 1, LayoutConfig(2, 3))
    for key in ("W", "R", "B", "initial_h"):
        np.testing.assert_array_equal(getattr(joined, key), a[key])
    assert joined.sequence_lens.tolist() == [4.0]
    bare = L.OnnxGRU.join(*node(direction="bidirectional").directions())
    assert bare.initial_h is None and bare.sequence_lens is None and bare.B.shape == (2, 12)
    no_bias = L.OnnxGRU.join(*node(direction="bidirectional", B=None).directions())
    assert no_bias.B is None and no_bias.W.shape == (2, 6, 3)


@pytest.mark.parametrize("name, forward, reverse, shown", [
    ("linear_before_reset", {"linear_before_reset": 1}, {"linear_before_reset": 0}, ("1", "0")),
    ("layout", {"layout": 0}, {"layout": 1}, ("0", "1")),
])
def test_join_refuses_directions_that_disagree_on_an_attribute(name, forward, reverse, shown):
    with pytest.raises(L.ConversionRefused) as refused:
        L.OnnxGRU.join(node(**forward), node(direction="reverse", seed=1, **reverse))
    assert message(refused) == (f"one bidirectional ONNX node has one {name} for both directions; here forward has "
                                f"{shown[0]} and reverse {shown[1]}.")


def test_join_refuses_directions_with_different_configs():
    other = L.OnnxGRU(LayoutConfig(2, 3, "relu"), node().W, node().R, direction="reverse")
    with pytest.raises(L.ConversionRefused) as refused:
        L.OnnxGRU.join(node(), other)
    assert message(refused) == (
        "one bidirectional ONNX node has one config for both directions; here forward has "
        "LayoutConfig(units=2, input_dim=3, activation='tanh', recurrent_activation='sigmoid') and reverse "
        "LayoutConfig(units=2, input_dim=3, activation='relu', recurrent_activation='sigmoid').")


@pytest.mark.parametrize("name, value", [("B", None), ("initial_h", [[[0.1, 0.2]]]), ("sequence_lens", [2])])
@pytest.mark.parametrize("holder", ["forward", "reverse"])
def test_join_refuses_an_input_only_one_direction_has(name, value, holder):
    has = {name: value if value is not None else np.ones((1, 12))}
    hasnt = {name: None}
    forward = node(**(has if holder == "forward" else hasnt))
    reverse = node(direction="reverse", **(has if holder == "reverse" else hasnt))
    with pytest.raises(L.ConversionRefused) as refused:
        L.OnnxGRU.join(forward, reverse)
    assert message(refused) == (f"one bidirectional ONNX node has {name} for both directions or for neither; only "
                                "one direction has it here.")


def test_join_refuses_two_sequence_lens():
    with pytest.raises(L.ConversionRefused) as refused:
        L.OnnxGRU.join(node(sequence_lens=[2]), node(direction="reverse", sequence_lens=[3]))
    assert message(refused) == "both directions of one ONNX node read the same sequence_lens."


# --- to and from Keras's arrays ------------------------------------------------------------------

def test_a_bidirectional_node_is_not_one_set_of_keras_arrays():
    with pytest.raises(L.ConversionRefused) as refused:
        node(direction="bidirectional").to_keras()
    assert message(refused) == (
        "a bidirectional ONNX node holds two GRUs, one per direction, and one set of Keras arrays holds one. Convert "
        "each direction on its own (OnnxGRU.directions(), or trace the .onnx file, which shows both).")


@pytest.mark.parametrize("H", [1, 2, 3])
@pytest.mark.parametrize("lbr", [0, 1])
def test_keras_arrays_are_the_row_blocks_transposed_and_the_biases_as_the_reset_needs(H, lbr):
    rng = np.random.default_rng(10 * H + lbr)
    a = arrays(rng, H, 2)
    one = L.OnnxGRU(LayoutConfig(H, 2), a["W"], a["R"], a["B"], linear_before_reset=lbr, direction="reverse")
    w, rule = one.to_keras()
    assert rule is L.native_convention("keras") and w.config.reset_after is bool(lbr) and w.config.use_bias
    np.testing.assert_array_equal(w.kernel, a["W"][0].T)
    np.testing.assert_array_equal(w.recurrent_kernel, a["R"][0].T)
    Wb, Rb = a["B"][0, : 3 * H], a["B"][0, 3 * H :]
    np.testing.assert_array_equal(w.bias, np.stack([Wb, Rb]) if lbr else Wb + Rb)  # reset before: Rb_h folds in
    x = f32(rng, 5, 2)
    Y, Y_h = ort_gru(x, a["W"], a["R"], a["B"], linear_before_reset=lbr, direction="reverse")
    ours = L.onnx_outputs(one, x)
    assert np.abs(ours.Y - Y).max() <= 1e-5 and np.abs(ours.Y_h - Y_h).max() <= 1e-5


def test_a_node_without_b_is_keras_use_bias_false():
    w, _ = node(B=None, linear_before_reset=1).to_keras()
    assert w.config.use_bias is False and w.bias is None and w.config.reset_after is True


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("use_bias", [True, False])
def test_keras_arrays_become_a_node_onnxruntime_runs_to_the_same_numbers(reset_after, use_bias):
    from conftest import random_weights
    from gruviz import GRUConfig

    rng = np.random.default_rng(20 + 2 * reset_after + use_bias)
    w = random_weights(rng, GRUConfig(3, 2, reset_after=reset_after, use_bias=use_bias), scale=1.0)
    one = L.OnnxGRU.from_keras(w)
    np.testing.assert_array_equal(one.W, w.kernel.T[None])
    np.testing.assert_array_equal(one.R, w.recurrent_kernel.T[None])
    assert one.linear_before_reset == int(reset_after) and one.config == LayoutConfig(3, 2)
    if not use_bias:
        assert one.B is None
    elif reset_after:
        np.testing.assert_array_equal(one.B, w.bias.reshape(1, 6 * 3))  # [input row | recurrent row]
    else:
        np.testing.assert_array_equal(one.B, np.concatenate([w.bias, np.zeros(9)])[None])
    x = rng.normal(size=(6, 2))
    Y, _ = ort_gru(x, one.W, one.R, one.B, linear_before_reset=one.linear_before_reset)
    assert np.abs(Y[:, 0, 0] - keras_gru_steps(w, x)).max() <= 1e-5


def keras_gru_steps(w, x):
    """keras.layers.GRU's states, spec §1: columns z | r | h, h = z ⊙ h' + (1 − z) ⊙ h~, from h = 0."""
    H = w.config.units
    bias = np.zeros(3 * H) if w.bias is None else w.bias
    bx, bh = (bias[0], bias[1]) if bias.ndim == 2 else (bias, np.zeros(3 * H))
    U, h, out = w.recurrent_kernel, np.zeros(H), []
    for x_t in x:
        a, b = x_t @ w.kernel + bx, h @ U + bh
        z, r = (1 / (1 + np.exp(-(a[i * H : (i + 1) * H] + b[i * H : (i + 1) * H]))) for i in (0, 1))
        inside = r * b[2 * H :] if w.config.reset_after else (r * h) @ U[:, 2 * H :]
        h = z * h + (1 - z) * np.tanh(a[2 * H :] + inside)
        out.append(h)
    return np.array(out)


# --- the node's own inputs: sequence_lens and initial_h -----------------------------------------

def test_sequence_lens_longer_than_the_sequence_is_refused_and_equal_is_whole():
    with pytest.raises(InputError) as refused:
        node(sequence_lens=[5]).run_inputs(np.ones((3, 3)), None, None)
    assert message(refused) == "the node's sequence_lens is 5 but the sequence has 3 steps."
    x, h0, mask = node(sequence_lens=[3]).run_inputs([[1, 2, 3]] * 3, None, None)
    assert x.dtype == np.float64 and x.tolist() == [[1.0, 2.0, 3.0]] * 3 and h0 is None and mask is None


def test_sequence_lens_cuts_the_mask_with_the_steps():
    x = np.arange(12.0).reshape(4, 3)
    kept, _, mask = node(sequence_lens=[2]).run_inputs(x, None, [True, False, True, True])
    assert kept.tolist() == x[:2].tolist() and mask.tolist() == [True, False]
    assert node().run_inputs(x, None, [True, False, True, True])[2] == [True, False, True, True]


def test_initial_h_is_the_start_state_unless_h0_is_given():
    one = node(initial_h=[[[0.25, -0.75]]])
    assert one.run_inputs(np.ones((2, 3)), None, None)[1].tolist() == [0.25, -0.75]
    assert one.run_inputs(np.ones((2, 3)), [1.0, 2.0], None)[1] == [1.0, 2.0]
    both = node(direction="bidirectional", initial_h=np.ones((2, 1, 2)))
    assert both.run_inputs(np.ones((2, 3)), None, None)[1] is None  # each direction takes its own


@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_a_start_state_given_to_onnx_outputs_is_each_directions_initial_h(direction):
    rng = np.random.default_rng(30)
    dirs = 2 if direction == "bidirectional" else 1
    a = arrays(rng, 3, 2, dirs)
    one = L.OnnxGRU(LayoutConfig(3, 2), a["W"], a["R"], a["B"], direction=direction)
    x = f32(rng, 5, 2)
    Y, Y_h = ort_gru(x, a["W"], a["R"], a["B"], a["initial_h"], linear_before_reset=1, direction=direction)
    ours = L.onnx_outputs(one, x, a["initial_h"].reshape(dirs, 3))
    assert np.abs(ours.Y - Y).max() <= 1e-5 and np.abs(ours.Y_h - Y_h).max() <= 1e-5
    assert len(ours.traces) == dirs
    for d, trace in enumerate(ours.traces):  # each in its processing order
        steps = Y[::-1, d, 0] if trace.go_backwards else Y[:, d, 0]
        assert np.abs(trace.h - steps).max() <= 1e-5


def test_reverse_with_sequence_lens_reads_its_kept_steps_backwards_and_zeroes_the_rest():
    rng = np.random.default_rng(31)
    a = arrays(rng, 2, 2, 2)
    both = L.OnnxGRU(LayoutConfig(2, 2), a["W"], a["R"], a["B"], a["initial_h"], [3], direction="bidirectional")
    x = f32(rng, 5, 2)
    Y, Y_h = ort_gru(x, a["W"], a["R"], a["B"], a["initial_h"], [3], linear_before_reset=1,
                     direction="bidirectional")
    ours = L.onnx_outputs(both, x)
    assert np.abs(ours.Y - Y).max() <= 1e-5 and np.abs(ours.Y_h - Y_h).max() <= 1e-5
    assert not ours.Y[3:].any() and [t.order.tolist() for t in ours.traces] == [[0, 1, 2], [2, 1, 0]]


def test_batch_first_puts_the_batch_axis_in_front():
    rng = np.random.default_rng(32)
    a = arrays(rng, 2, 3, 2)
    x = f32(rng, 4, 3)
    Y, Y_h = ort_gru(x, a["W"], a["R"], a["B"], linear_before_reset=1, direction="bidirectional")
    ours = L.onnx_outputs(node(direction="bidirectional", W=a["W"], R=a["R"], B=a["B"], layout=1), x)
    assert ours.Y.shape == (1, 4, 2, 2) and ours.Y_h.shape == (1, 2, 2)
    assert np.abs(ours.Y[0] - Y[:, :, 0]).max() <= 1e-5 and np.abs(ours.Y_h[0] - Y_h[:, 0]).max() <= 1e-5
    assert [t.go_backwards for t in ours.traces] == [False, True]
    assert np.abs(ours.traces[1].h - Y[::-1, 1, 0]).max() <= 1e-5


def test_a_non_finite_step_is_named_as_the_sequences():
    x = np.ones((3, 3))
    x[1, 2] = np.inf
    with pytest.raises(InputError) as refused:
        L.onnx_outputs(node(), x)
    assert message(refused) == "sequence contains inf at index [1, 2]; every value must be a finite number."


# --- equations -----------------------------------------------------------------------------------

GATES = (r"z_t = \sigma(X_t W_z^\top + H_{t-1} R_z^\top + Wb_z + Rb_z)",
         r"r_t = \sigma(X_t W_r^\top + H_{t-1} R_r^\top + Wb_r + Rb_r)")
UPDATE = r"H_t = (1 - z_t) \odot h_t + z_t \odot H_{t-1}"


def test_equations_are_the_operators_own_for_each_linear_before_reset():
    after = r"h_t = \tanh(X_t W_h^\top + r_t \odot (H_{t-1} R_h^\top + Rb_h) + Wb_h)"
    before = r"h_t = \tanh(X_t W_h^\top + (r_t \odot H_{t-1}) R_h^\top + Rb_h + Wb_h)"
    assert L.OnnxGRU.equations(LayoutConfig(2, 3)) == (*GATES, after, UPDATE)
    assert node(linear_before_reset=1).equations_here() == (*GATES, after, UPDATE)
    assert node(linear_before_reset=0).equations_here() == (*GATES, before, UPDATE)
    relu = L.OnnxGRU.equations(LayoutConfig(2, 3, "relu", "linear"), 0)
    assert relu == ("z_t = X_t W_z^\\top + H_{t-1} R_z^\\top + Wb_z + Rb_z",
                    "r_t = X_t W_r^\\top + H_{t-1} R_r^\\top + Wb_r + Rb_r",
                    r"h_t = \max(0,X_t W_h^\top + (r_t \odot H_{t-1}) R_h^\top + Rb_h + Wb_h)", UPDATE)


# --- the onnxruntime snippet, run ----------------------------------------------------------------

def run_snippet(weights, x=None, h0=None) -> dict:
    code = L.snippet(weights, x, h0).code
    namespace = {}
    exec(code.replace("print(output)", ""), namespace)
    return namespace | {"code": code}


@pytest.mark.parametrize("direction, lbr, activations, ours", [
    ("forward", 1, None, ("sigmoid", "tanh")),
    ("reverse", 0, {"activations": ["HardSigmoid", "Affine"], "activation_alpha": [1 / 6, 1.0],
                    "activation_beta": [0.5, 0.0]}, ("hard_sigmoid", "linear")),
    ("bidirectional", 1, {"activations": ["Relu", "Softsign"] * 2}, ("relu", "softsign")),
    ("forward", 1, {"activations": ["HardSigmoid", "Tanh"], "activation_alpha": [0.2],
                    "activation_beta": [0.5]}, ("hard_sigmoid_legacy", "tanh")),
])
def test_the_snippet_builds_the_node_onnxruntime_runs(direction, lbr, activations, ours):
    rng = np.random.default_rng(40 + lbr)
    dirs = 2 if direction == "bidirectional" else 1
    a = arrays(rng, 3, 2, dirs)
    x = f32(rng, 4, 2)
    config = LayoutConfig(3, 2, ours[1], ours[0])
    h0 = a["initial_h"][:, 0] if dirs == 1 else None
    one = L.OnnxGRU(config, a["W"], a["R"], a["B"], linear_before_reset=lbr, direction=direction)
    Y, Y_h = ort_gru(x, a["W"], a["R"], a["B"], a["initial_h"] if dirs == 1 else None,
                     linear_before_reset=lbr, direction=direction, **(activations or {}))
    ran = run_snippet(one, x, h0)
    np.testing.assert_allclose(ran["output"], Y_h[-1, 0], atol=1e-6)
    np.testing.assert_allclose(ran["Y"], Y, atol=1e-6)
    assert ("activations=" in ran["code"]) is (activations is not None)
    assert ("activation_alpha=" in ran["code"]) is ("activation_alpha" in (activations or {}))
    assert ("activation_beta=" in ran["code"]) is ("activation_beta" in (activations or {}))


def test_the_snippet_feeds_sequence_lens_as_int32_and_the_nodes_own_initial_h():
    rng = np.random.default_rng(50)
    a = arrays(rng, 2, 3)
    one = L.OnnxGRU(LayoutConfig(2, 3), a["W"], a["R"], None, a["initial_h"], [3], linear_before_reset=0)
    x = f32(rng, 5, 3)
    Y, Y_h = ort_gru(x, a["W"], a["R"], None, a["initial_h"], [3], linear_before_reset=0)
    ran = run_snippet(one, x)
    np.testing.assert_allclose(ran["output"], Y_h[-1, 0], atol=1e-6)
    assert ran["Y"][3:].tolist() == np.zeros((2, 1, 1, 2)).tolist()
    assert "['X', 'W', 'R', '', 'sequence_lens', 'initial_h']" in ran["code"]
    assert 'numpy_helper.from_array(sequence_lens.astype(np.int32), "sequence_lens")' in ran["code"]


def test_the_snippet_adds_h0_as_initial_h_only_when_it_is_not_zero():
    rng = np.random.default_rng(51)
    a = arrays(rng, 2, 3)
    one = L.OnnxGRU(LayoutConfig(2, 3), a["W"], a["R"], a["B"], linear_before_reset=1)
    x = f32(rng, 3, 3)
    zero = run_snippet(one, x, np.zeros(2))
    assert "initial_h" not in zero["code"] and "['X', 'W', 'R', 'B']" in zero["code"]
    np.testing.assert_allclose(zero["output"], ort_gru(x, a["W"], a["R"], a["B"], linear_before_reset=1)[1][0, 0],
                               atol=1e-6)
    started = run_snippet(one, x, a["initial_h"][0, 0])
    assert "['X', 'W', 'R', 'B', '', 'initial_h']" in started["code"]
    assert "initial_h = np.array([[[" in started["code"]
    Y_h = ort_gru(x, a["W"], a["R"], a["B"], a["initial_h"], linear_before_reset=1)[1]
    np.testing.assert_allclose(started["output"], Y_h[0, 0], atol=1e-6)


def test_the_snippet_without_steps_builds_the_session_only():
    bare = L.OnnxGRU(LayoutConfig(2, 1), np.ones((1, 6, 1)), np.ones((1, 6, 2)), linear_before_reset=1)
    ran = run_snippet(bare, None, np.ones(2))
    assert "session" in ran and "output" not in ran and "x = " not in ran["code"]
    assert "initial_h" not in ran["code"] and "['X', 'W', 'R']" in ran["code"]
    assert ('hidden_size=2, linear_before_reset=1, direction="forward")\n' in ran["code"])
