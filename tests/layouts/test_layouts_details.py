"""The layouts in detail: every array's place, every rewrite's note and every refusal, word for word.

Expected arrays come from the frameworks' documented equations (spec §3) written out here,
expected numbers from those equations or a real torch.nn.GRU, and expected messages are the
literal text the app shows. Nothing expected is read off gruviz's own output.
"""

import numpy as np
import pytest
import torch

from conftest import random_weights
from gruviz import Convention, GRUConfig, GRUWeights, InputError
from gruviz import layouts as L
from gruviz.layouts import exact, keras as keras_layout


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def reference(w: GRUWeights, x, h0=None, bahdanau=False, mask=None, act=np.tanh, gate=sigmoid):
    """keras.layers.GRU as spec §1 writes it (row vectors, blocks z | r | h): states, and the
    sequence output (a masked step repeats the last kept output, 0 before any)."""
    H = w.config.units
    kernel, recurrent = np.asarray(w.kernel), np.asarray(w.recurrent_kernel)
    if w.bias is None:
        bx, bh = np.zeros(3 * H), np.zeros(3 * H)
    elif w.config.reset_after:
        bx, bh = w.bias[0], w.bias[1]
    else:
        bx, bh = w.bias, np.zeros(3 * H)
    h = np.zeros(H) if h0 is None else np.asarray(h0, float)
    shown, out = np.zeros(H), []
    for t, x_t in enumerate(np.asarray(x, float)):
        if mask is None or mask[t]:
            a = x_t @ kernel + bx
            hu = h @ recurrent + bh
            z = gate(a[:H] + hu[:H])
            r = gate(a[H:2 * H] + hu[H:2 * H])
            if w.config.reset_after:
                cand = act(a[2 * H:] + r * hu[2 * H:])
            else:
                cand = act(a[2 * H:] + (r * h) @ recurrent[:, 2 * H:])
            h = (1 - z) * h + z * cand if bahdanau else z * h + (1 - z) * cand
            shown = h
        out.append(shown)
    return np.array(out)


def keras_weights(H, D, reset_after=True, use_bias=True, seed=0, **config):
    return random_weights(np.random.default_rng(seed), GRUConfig(H, D, reset_after=reset_after, use_bias=use_bias,
                                                                 **config))


def with_recurrent(w: GRUWeights, U_h, b_hh=None) -> GRUWeights:
    """`w` with U_h replaced and, for reset_after=True, the candidate's recurrent bias set."""
    H = w.config.units
    recurrent = np.array(w.recurrent_kernel)
    recurrent[:, 2 * H:] = U_h
    bias = None if w.bias is None else np.array(w.bias)
    if b_hh is not None:
        bias[1, 2 * H:] = b_hh
    return GRUWeights.create(w.config, w.kernel, recurrent, bias)


def message(excinfo) -> str:
    return str(excinfo.value)


U_H = np.array([[0.5, 0.125], [-0.25, 0.75]])  # its largest off-diagonal entry, by size, is U_h[1, 0] = -0.25
KEEP_REFUSAL = ("negating z's parameters swaps the update rules only when σ(−a) = 1 − σ(a), which holds for "
                "sigmoid, hard_sigmoid, hard_sigmoid_legacy but not for the gate activation 'relu': the numbers "
                "would change. Keep the update rule instead (keep_rule=True, --keep-rule).")
KERAS_RULE, BAHDANAU_RULE = "h = z⊙h' + (1−z)⊙h~", "h = (1−z)⊙h' + z⊙h~"


# --- moving the reset: exact.py's notes and refusals -------------------------------------------------

def test_reset_before_refused_for_reset_after_names_the_largest_off_diagonal_entry():
    w = with_recurrent(keras_weights(2, 3, reset_after=False), U_H)
    with pytest.raises(L.ConversionRefused) as excinfo:
        L.convert(w, "pytorch")
    assert message(excinfo) == (
        "PyTorch nn.GRU applies the reset after the recurrent matmul, r ⊙ (h U_h + b), but these weights use "
        "reset_after=False, which computes (r ⊙ h) U_h. The two agree only when U_h is diagonal, and this U_h has "
        "off-diagonal entries (U_h[1, 0] = -0.25), so no PyTorch nn.GRU weights compute the same outputs. A Keras "
        "model built with reset_after=True (the Keras 3 default) converts exactly.")


def test_an_off_diagonal_entry_is_written_with_six_significant_digits():
    w = with_recurrent(keras_weights(2, 1, reset_after=False), [[1.0, 0.0], [0.123456789, 1.0]])
    with pytest.raises(L.ConversionRefused, match=r"\(U_h\[1, 0\] = 0\.123457\), so no dl4mt \(Theano\) weights"):
        L.convert(w, "dl4mt")


@pytest.mark.parametrize("U_h, b_hh, problems", [
    (U_H, [0.5, -1.5], "U_h has off-diagonal entries (U_h[1, 0] = -0.25) and bʰₕ = bias[1, 4:6] = [ 0.5, -1.5] "
                       "is not zero"),
    (U_H, [0.0, 0.0], "U_h has off-diagonal entries (U_h[1, 0] = -0.25)"),
    ([[0.5, 0.0], [0.0, -2.0]], [0.1234567, 0.0], "bʰₕ = bias[1, 4:6] = [0.123457, 0.      ] is not zero"),
])
@pytest.mark.parametrize("name, title", [("tf1", "TF1 GRUCell"), ("epynn", "EpyNN GRU"),
                                         ("wikipedia", "Wikipedia / Chung 2014")])
def test_reset_after_refused_for_reset_before_lists_each_problem(U_h, b_hh, problems, name, title):
    w = with_recurrent(keras_weights(2, 3), U_h, b_hh)
    with pytest.raises(L.ConversionRefused) as excinfo:
        L.convert(w, name)
    assert message(excinfo) == (
        f"{title} applies the reset before the recurrent matmul, (r ⊙ h) U_h, but these weights use reset_after=True, "
        "which computes r ⊙ (h U_h + bʰₕ). The two agree only when U_h is diagonal and the candidate's recurrent "
        f"bias bʰₕ is zero; here {problems}, so no {title} weights compute the same outputs. A Keras model built "
        "with reset_after=False converts exactly.")


def test_units_1_needs_only_a_zero_candidate_recurrent_bias():
    w = with_recurrent(keras_weights(1, 2, seed=3), [[0.7]], [0.1234567])
    with pytest.raises(L.ConversionRefused, match=r"here bʰₕ = bias\[1, 2:3\] = \[0\.123457\] is not zero, so"):
        L.convert(w, "tf1")


@pytest.mark.parametrize("H, why", [(1, " (as it always is for units=1)"), (2, "")])
def test_a_diagonal_U_h_moves_the_reset_either_way_with_a_note(H, why):
    diagonal = np.diag([0.5, -2.0][:H])
    before = with_recurrent(keras_weights(H, 2, reset_after=False, seed=H), diagonal)
    after = with_recurrent(keras_weights(H, 2, seed=H), diagonal, np.zeros(H))
    x, h0 = np.random.default_rng(H).normal(size=(6, 2)), np.linspace(-0.5, 0.5, H)
    for w, target, where in ((before, "pytorch", "after"), (after, "tf1", "before")):
        converted = L.convert(w, target)
        assert converted.notes == (f"U_h is diagonal{why}, so (r ⊙ h) U_h = r ⊙ (h U_h): moving the reset "
                                   f"{where} the matmul is exact.",)
        np.testing.assert_allclose(L.run_layout(converted.weights, x, h0).sequence_output, reference(w, x, h0),
                                   atol=1e-13)


def test_moving_the_reset_before_adds_the_gates_recurrent_bias_to_the_input_bias():
    w = with_recurrent(keras_weights(2, 1, seed=4), np.diag([0.3, 0.6]), np.zeros(2))
    tf1 = L.convert(w, "tf1").weights
    b = w.bias[0] + w.bias[1]  # z | r | h, the candidate's recurrent part zero
    np.testing.assert_array_equal(tf1.gates_bias, np.concatenate([b[2:4], b[0:2]]))  # r | u
    np.testing.assert_array_equal(tf1.candidate_bias, w.bias[0, 4:])


def test_dl4mt_refuses_a_candidate_recurrent_bias_word_for_word():
    w = with_recurrent(keras_weights(2, 2), U_H, [0.5, -1.5])
    with pytest.raises(L.ConversionRefused) as excinfo:
        L.convert(w, "dl4mt")
    assert message(excinfo) == (
        "dl4mt (Theano) has no bias inside the reset: its candidate is φ(x W_x + b_x + r ⊙ (h U_x)). These weights "
        "have a candidate recurrent bias bʰₕ = bias[1, 4:6] = [ 0.5, -1.5], which is multiplied by r, so no dl4mt "
        "(Theano) bias reproduces it. (The z and r parts of bias row 1 would fold into b: for the gates only "
        "bˣ + bʰ matters.)")


def test_dl4mt_folds_the_gates_recurrent_bias_into_b_and_says_so():
    w = with_recurrent(keras_weights(2, 3, seed=5), U_H, np.zeros(2))
    converted = L.convert(w, "dl4mt")
    assert converted.notes == ("bias row 1's z and r parts were added to row 0: for the gates only bˣ + bʰ "
                               "matters, and dl4mt (Theano) has one bias for them.",)
    b = w.bias[0] + w.bias[1]
    np.testing.assert_array_equal(converted.weights.b, np.concatenate([b[2:4], b[0:2]]))  # r | u
    np.testing.assert_array_equal(converted.weights.bx, w.bias[0, 4:])


@pytest.mark.parametrize("use_bias", [True, False])
def test_dl4mt_needs_no_fold_when_row_1_is_zero_or_absent(use_bias):
    w = keras_weights(2, 2, use_bias=use_bias, seed=6)
    if use_bias:
        w = GRUWeights.create(w.config, w.kernel, w.recurrent_kernel, np.stack([w.bias[0], np.zeros(6)]))
    folded, note = exact.without_recurrent_bias(w, "dl4mt (Theano)")
    assert folded is w and note is None
    converted = L.convert(w, "dl4mt")
    assert converted.notes == ()
    np.testing.assert_array_equal(converted.weights.b, np.concatenate([w.b_x("r"), w.b_x("z")]))


# --- the update rule: negating z ----------------------------------------------------------------------

@pytest.mark.parametrize("gate, symmetric", [("sigmoid", True), ("hard_sigmoid", True), ("hard_sigmoid_legacy", True),
                                             ("tanh", False), ("relu", False), ("linear", False),
                                             ("softsign", False)])
def test_only_gates_with_sigma_of_minus_a_equal_one_minus_sigma_can_negate_z(gate, symmetric):
    assert exact.can_negate_z(gate) is symmetric


def test_negate_z_flips_only_z_and_leaves_no_negative_zero():
    w = keras_weights(2, 2, seed=7)
    kernel = np.array(w.kernel)
    kernel[0, 0] = 0.0
    w = GRUWeights.create(w.config, kernel, w.recurrent_kernel, w.bias)
    flipped = exact.negate_z(w)
    for before, after in ((w.kernel, flipped.kernel), (w.recurrent_kernel, flipped.recurrent_kernel),
                          (w.bias, flipped.bias)):
        np.testing.assert_array_equal(after[..., :2], -before[..., :2])
        np.testing.assert_array_equal(after[..., 2:], before[..., 2:])
    assert not np.signbit(flipped.kernel[0, 0])
    assert exact.negate_z(keras_weights(1, 1, use_bias=False)).bias is None


def test_negate_z_itself_refuses_a_non_symmetric_gate():
    with pytest.raises(L.ConversionRefused) as excinfo:
        exact.negate_z(keras_weights(1, 1, recurrent_activation="relu"))
    assert message(excinfo) == KEEP_REFUSAL


def _rule_head(source, target, rule, source_rule, target_rule):
    return f"{source} → {target} changes the update rule ({rule}: {source_rule}; {target}: {target_rule}):"


def test_changing_the_rule_by_negating_z_says_why_it_is_exact():
    w = keras_weights(3, 2, reset_after=False, seed=8)
    converted = L.convert(w, "wikipedia")
    head = _rule_head("Keras 3 GRU", "Wikipedia / Chung 2014", "keras", KERAS_RULE, BAHDANAU_RULE)
    assert converted.notes == (f"{head} negated z's parameters (W_z, U_z and z's biases), exact because σ(−a) = "
                               "1 − σ(a) for sigmoid. keep_rule=True (--keep-rule) would keep the arrays and the "
                               "keras rule instead.",)
    assert converted.convention is Convention.BAHDANAU and converted.native and converted.layout == "wikipedia"


def test_keeping_the_rule_says_which_rule_the_arrays_need():
    w = keras_weights(3, 2, reset_after=False, seed=9)
    converted = L.convert(w, "wikipedia", keep_rule=True)
    head = _rule_head("Keras 3 GRU", "Wikipedia / Chung 2014", "keras", KERAS_RULE, BAHDANAU_RULE)
    assert converted.notes == (f"{head} kept the keras rule. These arrays reproduce the source only when run with "
                               f"the keras rule (--convention keras); a real Wikipedia / Chung 2014 computes "
                               f"{BAHDANAU_RULE}.",)
    assert converted.convention is Convention.KERAS and not converted.native


def test_an_undecided_rule_is_kept_for_a_non_symmetric_gate_and_refused_when_negation_is_demanded():
    w = keras_weights(2, 2, reset_after=False, seed=10, recurrent_activation="relu")
    head = _rule_head("Keras 3 GRU", "Wikipedia / Chung 2014", "keras", KERAS_RULE, BAHDANAU_RULE)
    kept = L.convert(w, "wikipedia")
    assert kept.notes[0].startswith(f"{head} kept the keras rule (negating z is not exact for relu gates). These")
    with pytest.raises(L.ConversionRefused) as excinfo:
        L.convert(w, "wikipedia", keep_rule=False)
    assert message(excinfo) == f"{head} {KEEP_REFUSAL}"


def test_wikipedia_to_pytorch_moves_the_reset_then_negates_z():
    wiki = L.convert(with_recurrent(keras_weights(1, 2, reset_after=False, seed=11), [[0.9]]), "wikipedia").weights
    converted = L.convert(wiki, "pytorch")
    head = _rule_head("Wikipedia / Chung 2014", "PyTorch nn.GRU", "bahdanau", BAHDANAU_RULE, KERAS_RULE)
    assert converted.notes[0].startswith("U_h is diagonal (as it always is for units=1)")
    assert converted.notes[1].startswith(f"{head} negated z's parameters")
    assert converted.notes[1].endswith("would keep the arrays and the bahdanau rule instead.")
    assert converted.convention is Convention.KERAS and converted.go_backwards is False


def test_a_source_run_with_another_rule_is_converted_for_that_rule():
    w = keras_weights(2, 3, seed=12)
    x, h0 = np.random.default_rng(12).normal(size=(5, 3)), np.array([0.3, -0.2])
    converted = L.convert(w, "pytorch", convention="bahdanau")
    assert converted.convention is Convention.KERAS and "negated z's parameters" in converted.notes[0]
    torch_gru = torch.nn.GRU(3, 2, batch_first=True, dtype=torch.float64)
    torch_gru.load_state_dict({k: torch.tensor(v) for k, v in converted.weights.arrays().items()})
    with torch.no_grad():
        out = torch_gru(torch.tensor(x[None]), torch.tensor(h0[None, None]))[0][0].numpy()
    np.testing.assert_allclose(out, reference(w, x, h0, bahdanau=True), atol=1e-13)
    assert L.prove(w, converted, x, h0, convention="bahdanau") < 1e-13
    assert L.prove(w, converted, x, h0) > 1e-3  # the source's own rule is another GRU


# --- convert's names and bookkeeping --------------------------------------------------------------------

def test_an_unknown_layout_lists_every_layout():
    with pytest.raises(InputError) as excinfo:
        L.convert(keras_weights(1, 1), "caffe")
    assert message(excinfo) == ("unknown layout 'caffe'; choose one of keras, pytorch, tf1, dl4mt, epynn, wikipedia, "
                                "onnx, cudnngru, flax, flax_linen, equinox.")


@pytest.mark.parametrize("name, title, rule", [
    ("keras", "Keras 3 GRU", "keras"), ("pytorch", "PyTorch nn.GRU", "keras"), ("tf1", "TF1 GRUCell", "keras"),
    ("dl4mt", "dl4mt (Theano)", "keras"), ("epynn", "EpyNN GRU", "keras"),
    ("wikipedia", "Wikipedia / Chung 2014", "bahdanau"), ("onnx", "ONNX GRU", "keras")])
def test_every_layout_has_its_title_and_update_rule(name, title, rule):
    assert L.title(name) == title
    assert L.native_convention(name) is Convention(rule)


def test_keras_weights_are_their_own_layout():
    w = keras_weights(2, 1)
    assert L.layout_name(w) == "keras" and L.to_keras(w) == (w, Convention.KERAS)
    assert list(L.named_arrays(w)) == ["kernel", "recurrent_kernel", "bias"]
    assert L.named_arrays(w)["bias"] is w.bias and L.named_arrays(w)["kernel"] is w.kernel
    assert list(L.named_arrays(keras_weights(2, 1, use_bias=False))) == ["kernel", "recurrent_kernel"]
    assert L.reads_backwards(w) is False
    x = np.ones((3, 1))
    assert L.own_inputs(w, x, None, None) == (x, None, None)
    converted = L.convert(w, "keras")
    assert converted.weights is w and converted.notes == () and converted.native and converted.layout == "keras"


@pytest.mark.parametrize("backwards", [False, True])
def test_run_layout_takes_the_rule_the_direction_and_the_mask_it_is_given(backwards):
    w = keras_weights(2, 2, reset_after=False, seed=13)
    wiki = L.convert(w, "wikipedia", keep_rule=True).weights  # w's arrays, transposed
    rng = np.random.default_rng(13)
    x, h0, mask = rng.normal(size=(6, 2)), rng.normal(size=2), np.array([1, 0, 1, 1, 0, 1], bool)
    order = slice(None, None, -1) if backwards else slice(None)
    own = L.run_layout(wiki, x, h0, go_backwards=backwards, mask=mask).sequence_output
    np.testing.assert_allclose(own, reference(w, x[order], h0, bahdanau=True, mask=mask[order]), atol=1e-13)
    keras_rule = L.run_layout(wiki, x, h0, "keras", backwards, mask).sequence_output
    np.testing.assert_allclose(keras_rule, reference(w, x[order], h0, mask=mask[order]), atol=1e-13)


def test_an_onnx_reverse_node_carries_its_direction_start_state_and_length():
    rng = np.random.default_rng(14)
    H, D = 2, 3
    w = keras_weights(H, D, seed=14)
    initial_h = rng.normal(size=(1, 1, H))
    node = L.OnnxGRU(L.LayoutConfig(H, D), w.kernel.T[None], w.recurrent_kernel.T[None],
                     np.concatenate([w.bias[0], w.bias[1]])[None], initial_h, np.array([4.0]), 1, "reverse")
    converted = L.convert(node, "keras")
    assert converted.notes == (
        "direction=\"reverse\" reads the sequence from its last step: run the converted GRU backwards (Keras "
        "go_backwards=True, or flip the input); ONNX's Y is in input order, Keras's sequence output in processing "
        "order.",
        "initial_h is an input of the node, not a weight: pass it as the initial state (Keras initial_state, "
        "PyTorch h0).",
        "sequence_lens=4 is an input of the node: feed only the first 4 steps.")
    assert converted.go_backwards is True and L.reads_backwards(node) is True
    x = rng.normal(size=(6, D))
    expected = reference(w, x[:4][::-1], initial_h[0, 0])
    np.testing.assert_allclose(L.run_layout(node, x).sequence_output, expected, atol=1e-13)
    np.testing.assert_allclose(L.run_layout(converted.weights, x[:4], initial_h[0, 0], go_backwards=True)
                               .sequence_output, expected, atol=1e-13)
    assert L.prove(node, converted, x) < 1e-13
    forwards = L.Converted(converted.weights, Convention.KERAS, ())  # reads forwards: wrong
    assert L.prove(node, forwards, x) > 1e-3
    h0, mask = rng.normal(size=H), np.array([1, 0, 1, 1, 0, 0], bool)  # a given h0 replaces initial_h
    expected = np.max(np.abs(reference(w, x[:4][::-1], h0, mask=mask[:4][::-1]) - reference(w, x[:4], h0,
                                                                                             mask=mask[:4])))
    assert L.prove(node, forwards, x, h0, mask=mask) == pytest.approx(expected, rel=1e-12)


def test_an_onnx_node_without_extras_carries_no_notes():
    w = keras_weights(2, 1, seed=15)
    node = L.convert(w, "onnx").weights
    assert L.convert(node, "pytorch").notes == () and L.convert(node, "keras").go_backwards is False


def test_prove_applies_the_direction_and_the_mask_to_both_runs():
    w = keras_weights(2, 2, seed=16)
    wrong = GRUWeights.create(w.config, w.kernel, w.recurrent_kernel, np.stack([w.bias[0], 0 * w.bias[1]]))
    x, h0 = np.random.default_rng(16).normal(size=(5, 2)), np.array([0.5, -0.5])
    right = L.convert(w, "pytorch")
    for backwards in (False, True):
        assert L.prove(w, right, x, h0, go_backwards=backwards, mask=[1, 1, 0, 1, 1]) < 1e-13
    expected = np.max(np.abs(reference(w, x, h0) - reference(wrong, x, h0)))
    np.testing.assert_allclose(L.prove(w, L.Converted(wrong, Convention.KERAS, ()), x, h0), expected, rtol=1e-12)
    one_step = np.max(np.abs(reference(w, x[-1:], h0) - reference(wrong, x[-1:], h0)))
    assert L.prove(w, L.Converted(wrong, Convention.KERAS, ()), x, h0, mask=[0, 0, 0, 0, 1]) == pytest.approx(
        one_step, rel=1e-12)


# --- each framework's arrays, as its documentation lays them out ---------------------------------------

def shapes(name, D, H):
    return {
        "pytorch": {"weight_ih_l0": (3 * H, D), "weight_hh_l0": (3 * H, H), "bias_ih_l0": (3 * H,),
                    "bias_hh_l0": (3 * H,)},
        "tf1": {"gates/kernel": (D + H, 2 * H), "gates/bias": (2 * H,), "candidate/kernel": (D + H, H),
                "candidate/bias": (H,)},
        "dl4mt": {"W": (D, 2 * H), "b": (2 * H,), "U": (H, 2 * H), "Wx": (D, H), "bx": (H,), "Ux": (H, H)},
        "epynn": {"Uz": (D, H), "Vz": (H, H), "bz": (1, H), "Ur": (D, H), "Vr": (H, H), "br": (1, H),
                  "Uhh": (D, H), "Vhh": (H, H), "bhh": (1, H)},
        "wikipedia": {"W_z": (H, D), "U_z": (H, H), "b_z": (H,), "W_r": (H, D), "U_r": (H, H), "b_r": (H,),
                      "W_h": (H, D), "U_h": (H, H), "b_h": (H,)},
    }[name]


def documented_keras(name, a, D, H):
    """Keras's (kernel, recurrent_kernel, bias) from a layout's arrays, as spec §3 and each module's
    sources write the mapping: blocks z | r | h."""
    if name == "pytorch":
        def cols(m):
            return np.hstack([m[H:2 * H].T, m[:H].T, m[2 * H:].T])

        def order(b):
            return np.concatenate([b[H:2 * H], b[:H], b[2 * H:]])
        return cols(a["weight_ih_l0"]), cols(a["weight_hh_l0"]), np.stack([order(a["bias_ih_l0"]),
                                                                           order(a["bias_hh_l0"])])
    if name == "tf1":
        g, c, bg = a["gates/kernel"], a["candidate/kernel"], a["gates/bias"]
        return (np.hstack([g[:D, H:], g[:D, :H], c[:D]]), np.hstack([g[D:, H:], g[D:, :H], c[D:]]),
                np.concatenate([bg[H:], bg[:H], a["candidate/bias"]]))
    if name == "dl4mt":
        return (np.hstack([a["W"][:, H:], a["W"][:, :H], a["Wx"]]), np.hstack([a["U"][:, H:], a["U"][:, :H], a["Ux"]]),
                np.stack([np.concatenate([a["b"][H:], a["b"][:H], a["bx"]]), np.zeros(3 * H)]))
    if name == "epynn":
        return (np.hstack([a["Uz"], a["Ur"], a["Uhh"]]), np.hstack([a["Vz"], a["Vr"], a["Vhh"]]),
                np.concatenate([a["bz"][0], a["br"][0], a["bhh"][0]]))
    return (np.hstack([a[f"W_{g}"].T for g in "zrh"]), np.hstack([a[f"U_{g}"].T for g in "zrh"]),
            np.concatenate([a[f"b_{g}"] for g in "zrh"]))


NAMES = ("pytorch", "tf1", "dl4mt", "epynn", "wikipedia")
RESET_AFTER = {"pytorch": True, "dl4mt": True, "tf1": False, "epynn": False, "wikipedia": False}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("H, D", [(1, 1), (2, 3), (3, 2)])
def test_each_layout_maps_to_keras_blocks_as_documented_and_back(name, H, D):
    rng = np.random.default_rng(H * 10 + D)
    arrays = {key: rng.normal(size=shape) for key, shape in shapes(name, D, H).items()}
    config = L.LayoutConfig(H, D, "softsign", "hard_sigmoid")
    layout = L.LAYOUTS[name].from_arrays(config, {k: v.tolist() for k, v in arrays.items()})
    assert list(layout.arrays()) == list(arrays)  # the framework's own order
    assert L.layout_name(layout) == name and list(L.named_arrays(layout)) == list(arrays)
    for key, value in layout.arrays().items():
        assert value.dtype == np.float64 and not value.flags.writeable
        np.testing.assert_array_equal(value, arrays[key])
    w, rule = layout.to_keras()
    assert rule is (Convention.BAHDANAU if name == "wikipedia" else Convention.KERAS)
    assert w.config == GRUConfig(H, D, reset_after=RESET_AFTER[name], activation="softsign",
                                 recurrent_activation="hard_sigmoid")
    for got, expected in zip((w.kernel, w.recurrent_kernel, w.bias), documented_keras(name, arrays, D, H)):
        np.testing.assert_array_equal(got, expected)
    back = L.LAYOUTS[name].from_keras(w)
    assert back.config == config
    for key, value in back.arrays().items():
        np.testing.assert_array_equal(value, arrays[key])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("H", [1, 2, 3])
def test_keras_weights_reach_each_layout_as_documented(name, H):
    D = 2
    w = keras_weights(H, D, reset_after=RESET_AFTER[name], seed=20 + H, activation="relu",
                      recurrent_activation="hard_sigmoid_legacy")
    if name == "dl4mt":
        w = GRUWeights.create(w.config, w.kernel, w.recurrent_kernel, np.stack([w.bias[0], np.zeros(3 * H)]))
    converted = L.convert(w, name, keep_rule=True)
    assert len(converted.notes) == (name == "wikipedia")  # only the kept rule is noted
    assert converted.weights.config == L.LayoutConfig(H, D, "relu", "hard_sigmoid_legacy")
    kernel, recurrent, bias = documented_keras(name, converted.weights.arrays(), D, H)
    np.testing.assert_array_equal(kernel, w.kernel)
    np.testing.assert_array_equal(recurrent, w.recurrent_kernel)
    np.testing.assert_array_equal(bias, w.bias)


@pytest.mark.parametrize("name", ["tf1", "dl4mt", "epynn", "wikipedia"])
def test_layouts_that_always_have_biases_hold_zeros_for_use_bias_false(name):
    w = keras_weights(2, 3, reset_after=RESET_AFTER[name], use_bias=False, seed=30)
    layout = L.convert(w, name, keep_rule=True).weights
    bias_keys = {"tf1": ("gates/bias", "candidate/bias"), "dl4mt": ("b", "bx"), "epynn": ("bz", "br", "bhh"),
                 "wikipedia": ("b_z", "b_r", "b_h")}[name]
    for key in bias_keys:
        assert not layout.arrays()[key].any(), key
    assert {k: v.shape for k, v in layout.arrays().items()} == shapes(name, 3, 2)


@pytest.mark.parametrize("H, D", [(1, 1), (2, 3), (3, 2)])
@pytest.mark.parametrize("bias", [True, False])
def test_pytorch_layout_computes_what_torch_computes_both_ways(H, D, bias):
    torch.manual_seed(H * 7 + D)
    gru = torch.nn.GRU(D, H, batch_first=True, bias=bias, dtype=torch.float64)
    with torch.no_grad():
        for p in gru.parameters():
            p.mul_(3.0)
    state = {k: v.numpy() for k, v in gru.state_dict().items()}
    layout = L.PyTorchGRU.from_arrays(L.LayoutConfig(H, D), state)
    assert layout.bias is bias and list(layout.arrays()) == list(state)
    w, _ = layout.to_keras()
    assert w.config.use_bias is bias and w.config.reset_after
    rng = np.random.default_rng(H)
    x, h0 = rng.normal(size=(7, D)), rng.normal(size=H)
    with torch.no_grad():
        expected = gru(torch.tensor(x[None]), torch.tensor(h0[None, None]))[0][0].numpy()
    np.testing.assert_allclose(L.run_layout(layout, x, h0).sequence_output, expected, atol=1e-12)
    np.testing.assert_allclose(reference(w, x, h0), expected, atol=1e-12)
    back = L.PyTorchGRU.from_keras(w)
    assert back.bias is bias
    for key, value in state.items():
        np.testing.assert_array_equal(back.arrays()[key], value)


@pytest.mark.parametrize("given, absent", [("bias_ih_l0", "bias_hh_l0"), ("bias_hh_l0", "bias_ih_l0")])
def test_pytorch_refuses_one_bias_without_the_other(given, absent):
    arrays = {"weight_ih_l0": np.zeros((3, 1)), "weight_hh_l0": np.zeros((3, 1)), given: np.zeros(3)}
    with pytest.raises(InputError) as excinfo:
        L.PyTorchGRU.from_arrays(L.LayoutConfig(1, 1), arrays)
    assert message(excinfo) == (f"{given} is given but {absent} is missing: nn.GRU has both biases (bias=True) or "
                                "neither (bias=False).")


def test_a_wrongly_shaped_optional_array_is_named_even_when_the_one_before_is_absent():
    with pytest.raises(InputError) as excinfo:
        L.PyTorchGRU(L.LayoutConfig(1, 1), np.zeros((3, 1)), np.zeros((3, 1)), None, np.zeros(4))
    assert message(excinfo) == ("bias_hh_l0 has shape (4,) but units=1, input_dim=1 needs (3,): b_hr | b_hz | b_hn, "
                                "added to W_h* hₜ₋₁; b_hn sits inside r ⊙ (…).")


@pytest.mark.parametrize("name, key, role", [
    ("tf1", "gates/kernel", "columns r | u; rows [:input_dim] act on xₜ, the rest on hₜ₋₁"),
    ("dl4mt", "Ux", "the candidate's recurrent weights, inside r ⊙ (…)"),
    ("epynn", "bhh", "the candidate's bias, a (1, units) row"),
    ("wikipedia", "W_z", "the update gate's input weights, W_z xₜ"),
    ("wikipedia", "U_r", "the reset gate's recurrent weights, on hₜ₋₁"),
    ("wikipedia", "U_h", "the candidate's recurrent weights, on rₜ ⊙ hₜ₋₁"),
    ("wikipedia", "b_h", "the candidate's bias"),
])
def test_a_wrong_shape_names_the_array_the_shape_needed_and_what_it_holds(name, key, role):
    D, H = 3, 2
    arrays = {k: np.zeros(shape) for k, shape in shapes(name, D, H).items()}
    expected = arrays[key].shape
    arrays[key] = np.zeros((7,) * len(expected))
    with pytest.raises(InputError) as excinfo:
        L.LAYOUTS[name].from_arrays(L.LayoutConfig(H, D), arrays)
    shape = (7,) * len(expected)
    assert message(excinfo) == f"{key} has shape {shape} but units={H}, input_dim={D} needs {expected}: {role}."


def test_constructing_without_a_required_array_names_it():
    with pytest.raises(InputError) as excinfo:
        L.TF1GRUCell(L.LayoutConfig(1, 1), np.zeros((2, 2)), np.zeros(2), None, np.zeros(1))
    assert message(excinfo) == "TF1 GRUCell needs candidate/kernel; it is missing."


def test_unknown_and_missing_names_are_said_in_the_frameworks_words():
    arrays = {k: np.zeros(s) for k, s in shapes("epynn", 1, 1).items()}
    with pytest.raises(InputError) as excinfo:
        L.EpyNNGRU.from_arrays(L.LayoutConfig(1, 1), {**arrays, "zz": [0.0], "Wz": [0.0]})
    assert message(excinfo) == ("'Wz' is not an array of EpyNN GRU; its arrays are Uz, Vz, bz, Ur, Vr, br, Uhh, Vhh, "
                                "bhh.")
    del arrays["Vr"]
    with pytest.raises(InputError) as excinfo:
        L.EpyNNGRU.from_arrays(L.LayoutConfig(1, 1), arrays)
    assert message(excinfo) == ("EpyNN GRU needs Vr, which is missing; its arrays are Uz, Vz, bz, Ur, Vr, br, Uhh, "
                                "Vhh, bhh.")


def test_layout_config_is_checked_like_a_keras_config_and_passes_everything_on():
    with pytest.raises(InputError, match="^units must be a whole number of at least 1, got 0.$"):
        L.LayoutConfig(0, 1)
    with pytest.raises(InputError, match="'swish'"):
        L.LayoutConfig(1, 1, recurrent_activation="swish")
    config = L.LayoutConfig(2, 3, "relu", "hard_sigmoid")
    assert config.keras(reset_after=False, use_bias=False) == GRUConfig(
        units=2, input_dim=3, reset_after=False, use_bias=False, activation="relu", recurrent_activation="hard_sigmoid")
    assert config.keras(reset_after=True).use_bias is True
    assert (config.phi.name, config.sigma.name) == ("relu", "hard_sigmoid")
    assert L.LayoutConfig(4, 5) == L.LayoutConfig(4, 5, "tanh", "sigmoid")
    assert L.LayoutConfig.of(GRUConfig(4, 5, activation="linear", recurrent_activation="tanh")) == L.LayoutConfig(
        4, 5, "linear", "tanh")


# --- what the Frameworks view writes: equations, array roles, limits ----------------------------------

SOFTSIGN_SIGMOID = L.LayoutConfig(1, 1, "softsign", "sigmoid")  # φ and σ written differently


@pytest.mark.parametrize("name, lines", [
    ("pytorch", (r"r_t = \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr})",
                 r"z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz})",
                 r"n_t = \mathrm{softsign}(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))",
                 r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}")),
    ("tf1", (r"[r_t,\ u_t] = \sigma([x_t,\ h_{t-1}]\, W_{\mathrm{gates}} + b_{\mathrm{gates}})",
             r"c_t = \mathrm{softsign}([x_t,\ r_t \odot h_{t-1}]\, W_{\mathrm{candidate}} + b_{\mathrm{candidate}})",
             r"h_t = u_t \odot h_{t-1} + (1 - u_t) \odot c_t")),
    ("dl4mt", (r"a_t = h_{t-1} U + x_t W + b",
               r"r_t = \sigma(a_t[:H]),\quad u_t = \sigma(a_t[H:])",
               r"\tilde h_t = \mathrm{softsign}(r_t \odot (h_{t-1} U_x) + x_t W_x + b_x)",
               r"h_t = u_t \odot h_{t-1} + (1 - u_t) \odot \tilde h_t")),
    ("epynn", (r"r = \sigma(X\,U_r + h_p V_r + b_r)",
               r"z = \sigma(X\,U_z + h_p V_z + b_z)",
               r"h_h = \mathrm{softsign}(X\,U_{hh} + (r \odot h_p)\, V_{hh} + b_{hh})",
               r"h = z \odot h_p + (1 - z) \odot h_h")),
    ("wikipedia", (r"z_t = \sigma(W_z x_t + U_z h_{t-1} + b_z)",
                   r"r_t = \sigma(W_r x_t + U_r h_{t-1} + b_r)",
                   r"\hat h_t = \mathrm{softsign}(W_h x_t + U_h (r_t \odot h_{t-1}) + b_h)",
                   r"h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \hat h_t")),
])
def test_each_layout_writes_its_frameworks_equations(name, lines):
    assert L.LAYOUTS[name].equations(SOFTSIGN_SIGMOID) == lines


KERAS_UPDATE = r"h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t"


@pytest.mark.parametrize("reset_after, use_bias, z, candidate", [
    (True, True, r"z_t = \sigma(x_t W_z + b^x_z + h_{t-1} U_z + b^h_z)",
     r"\tilde h_t = \mathrm{softsign}(x_t W_h + b^x_h + r_t \odot (h_{t-1} U_h + b^h_h))"),
    (False, True, r"z_t = \sigma(x_t W_z + b_z + h_{t-1} U_z)",
     r"\tilde h_t = \mathrm{softsign}(x_t W_h + b_h + (r_t \odot h_{t-1}) U_h)"),
    (True, False, r"z_t = \sigma(x_t W_z + h_{t-1} U_z)",
     r"\tilde h_t = \mathrm{softsign}(x_t W_h + r_t \odot (h_{t-1} U_h))"),
    (False, False, r"z_t = \sigma(x_t W_z + h_{t-1} U_z)",
     r"\tilde h_t = \mathrm{softsign}(x_t W_h + (r_t \odot h_{t-1}) U_h)"),
])
def test_keras_writes_its_equations_for_each_bias_and_reset_placement(reset_after, use_bias, z, candidate):
    config = GRUConfig(1, 1, reset_after=reset_after, use_bias=use_bias, activation="softsign")
    r = z.replace("z_t", "r_t").replace("_z", "_r")
    assert keras_layout.equations(config) == (z, r, candidate, KERAS_UPDATE)


@pytest.mark.parametrize("reset_after, bias_role", [
    (True, "row 0 the input bias bˣ, row 1 the recurrent bias bʰ (inside r ⊙ (…) for h)"),
    (False, "z | r | h, all beside xₜ W (reset_after=False has no recurrent bias)"),
])
def test_keras_says_what_each_array_holds(reset_after, bias_role):
    assert keras_layout.roles(GRUConfig(1, 1, reset_after=reset_after)) == {
        "kernel": "columns W_z | W_r | W_h, one row per input feature",
        "recurrent_kernel": "columns U_z | U_r | U_h, one row per unit of hₜ₋₁",
        "bias": bias_role,
    }


@pytest.mark.parametrize("activation, gate", [("tanh", "hard_sigmoid"), ("relu", "sigmoid"), ("linear", "tanh")])
def test_nn_gru_limits_name_both_activations(activation, gate):
    assert L.PyTorchGRU.limits(L.LayoutConfig(1, 1, "tanh", "sigmoid")) is None
    assert L.PyTorchGRU.limits(L.LayoutConfig(1, 1, activation, gate)) == (
        f"nn.GRU always uses sigmoid gates and a tanh candidate; this GRU uses activation='{activation}', "
        f"recurrent_activation='{gate}', so a real nn.GRU loaded with these arrays computes other numbers. The arrays "
        "are still the exact PyTorch layout.")


def test_grucell_limits_only_its_gates():
    assert L.TF1GRUCell.limits(L.LayoutConfig(1, 1, "relu", "sigmoid")) is None
    assert L.TF1GRUCell.limits(L.LayoutConfig(1, 1, "tanh", "hard_sigmoid")) == (
        "GRUCell's gates are always sigmoid (its call hard-codes math_ops.sigmoid); this GRU's gates use "
        "'hard_sigmoid', so a real GRUCell loaded with these variables computes other numbers. Its candidate "
        "activation is configurable.")
    for cls in (L.Dl4mtGRU, L.EpyNNGRU, L.WikipediaGRU):
        assert cls.limits(L.LayoutConfig(1, 1, "relu", "hard_sigmoid")) is None


@pytest.mark.parametrize("specs", ["the class's", "built again"])
def test_wikipedia_names_each_array_its_shape_and_what_it_holds(specs):
    """Built once when the module is imported, so also built again here, where a test can see it."""
    from gruviz.layouts.wikipedia import WikipediaGRU, _specs

    built = WikipediaGRU.SPECS if specs == "the class's" else _specs()
    assert [(s.key, s.field, s.role, s.optional) for s in built] == [
        ("W_z", "W_z", "the update gate's input weights, W_z xₜ", False),
        ("U_z", "U_z", "the update gate's recurrent weights, on hₜ₋₁", False),
        ("b_z", "b_z", "the update gate's bias", False),
        ("W_r", "W_r", "the reset gate's input weights, W_r xₜ", False),
        ("U_r", "U_r", "the reset gate's recurrent weights, on hₜ₋₁", False),
        ("b_r", "b_r", "the reset gate's bias", False),
        ("W_h", "W_h", "the candidate's input weights, W_h xₜ", False),
        ("U_h", "U_h", "the candidate's recurrent weights, on rₜ ⊙ hₜ₋₁", False),
        ("b_h", "b_h", "the candidate's bias", False)]
    assert [s.shape(3, 2) for s in built] == [(2, 3), (2, 2), (2,)] * 3  # (H, D), (H, H), (H,)
    assert isinstance(built, tuple)
