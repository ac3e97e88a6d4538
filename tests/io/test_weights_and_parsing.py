import numpy as np
import pytest

from gruviz import GRUConfig, GRUWeights, InputError
from gruviz.io.parsing import describe_sequence, parse_mask, parse_sequence, parse_vector


def test_named_blocks_follow_keras_column_order():
    config = GRUConfig(units=2, input_dim=3)
    kernel = np.arange(18.0).reshape(3, 6)
    recurrent = np.arange(12.0).reshape(2, 6)
    bias = np.arange(12.0).reshape(2, 6)
    w = GRUWeights.create(config, kernel, recurrent, bias)
    assert np.array_equal(w.W("z"), kernel[:, 0:2]) and np.array_equal(w.W("h"), kernel[:, 4:6])
    assert np.array_equal(w.U("r"), recurrent[:, 2:4])
    assert np.array_equal(w.b_x("h"), bias[0, 4:6]) and np.array_equal(w.b_h("z"), bias[1, 0:2])


def test_reset_before_bias_is_all_input_bias():
    w = GRUWeights.create(GRUConfig(1, 1, reset_after=False), np.ones((1, 3)), np.ones((1, 3)), [1, 2, 3])
    assert w.input_bias.tolist() == [1, 2, 3] and w.recurrent_bias.tolist() == [0, 0, 0]


@pytest.mark.parametrize("bias, reset_after, message", [
    ([0, 0, 0], True, "did this model use reset_after=False?"),
    ([[0, 0, 0], [0, 0, 0]], False, "reset_after=True (the Keras 3 default)"),
    ([[0] * 6, [0] * 6], True, "units=2"),
])
def test_bias_shape_messages_name_the_likely_cause(bias, reset_after, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        GRUWeights.create(GRUConfig(1, 1, reset_after=reset_after), np.ones((1, 3)), np.ones((1, 3)), bias)


def test_from_keras_arrays_reads_the_config_off_the_shapes():
    w = GRUWeights.from_keras_arrays([np.ones((3, 6)), np.ones((2, 6)), np.zeros(6)])
    assert (w.config.units, w.config.input_dim, w.config.reset_after, w.config.use_bias) == (2, 3, False, True)
    w = GRUWeights.from_keras_arrays([np.ones((3, 6)), np.ones((2, 6))])
    assert w.config.use_bias is False


def test_weights_are_read_only():
    w = GRUWeights.create(GRUConfig(1, 1), np.ones((1, 3)), np.ones((1, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError):
        w.kernel[0, 0] = 5


def test_with_config_relays_the_bias():
    w = GRUWeights.create(GRUConfig(1, 1), np.ones((1, 3)), np.ones((1, 3)), [[1, 2, 3], [4, 5, 6]])
    assert w.with_config(reset_after=False).bias.tolist() == [5, 7, 9]
    assert w.with_config(use_bias=False).bias is None


@pytest.mark.parametrize("text, dim, expected", [
    ("1, 2, 9, 8", 1, [[1], [2], [9], [8]]),
    ("1 2; 3 4", 2, [[1, 2], [3, 4]]),
    ("1 2\n3 4\n", 2, [[1, 2], [3, 4]]),
    ("1,2,9,8", 4, [[1, 2, 9, 8]]),
    ("[[1],[2],[9],[8]]", 1, [[1], [2], [9], [8]]),
    ("[1, 2, 9, 8]", 1, [[1], [2], [9], [8]]),
    ("[1, 2]", 2, [[1, 2]]),
    ("[[1, -2], [0.5, 3]]", 2, [[1, -2], [0.5, 3]]),
    ("-1e-3; 2.5", 1, [[-0.001], [2.5]]),
    ("  -.5 ;+3.25 ;\n 1E2  ", 1, [[-0.5], [3.25], [100]]),
    ("  -.5 ,+3.25  1E2  ", 1, [[-0.5], [3.25], [100]]),
    ("0.1 -0.2 0.3; 4 5 6", 3, [[0.1, -0.2, 0.3], [4, 5, 6]]),
])
def test_sequence_forms(text, dim, expected):
    x = parse_sequence(text, dim)
    assert x.dtype == np.float64
    np.testing.assert_array_equal(x, np.array(expected, dtype=np.float64))


def test_sequence_description():
    assert describe_sequence(parse_sequence("1, 2, 9, 8", 1)) == "4 timesteps × 1 feature"
    assert describe_sequence(parse_sequence("1 2", 2)) == "1 timestep × 2 features"


@pytest.mark.parametrize("text, dim, message", [
    ("", 1, "empty"),
    ("1, two", 1, "'two' is not a number"),
    ("1; NaN", 1, "not a finite number"),
    ("1 2; 3", 2, "timestep 2 has 1 feature but the model has input_dim=2"),  # counted from 1, as on the page
    ("[[1, [2]]]", 2, "flat list"),
    ("[]", 1, "empty"),
])
def test_sequence_errors(text, dim, message):
    with pytest.raises(InputError, match=message):
        parse_sequence(text, dim)


def test_vectors_and_masks():
    assert parse_vector("-0.5, 0.2", "h0", 2).tolist() == [-0.5, 0.2]
    assert parse_vector("[1, 2]", "h0").tolist() == [1, 2]
    assert parse_vector(" 3e-1  -4 ", "h0", 2).tolist() == [0.3, -4.0]
    assert parse_vector("[0.25]", "h0", 1).tolist() == [0.25]
    with pytest.raises(InputError, match="3 are needed"):
        parse_vector("1, 2", "h0", 3)
    assert parse_mask("1, 0, true, False", 4).tolist() == [True, False, True, False]
    assert parse_mask("[0, 1.0, 0.0, TRUE]", 4).tolist() == [False, True, False, True]
    assert parse_mask("  ", 4) is None
    with pytest.raises(InputError, match="not 1/0"):
        parse_mask("1, 2", 2)


def test_weights_json_round_trip_is_exact():
    from gruviz.io import weights_file

    rng = np.random.default_rng(0)
    for reset_after, use_bias in ((True, True), (False, True), (True, False)):
        config = GRUConfig(3, 2, reset_after=reset_after, use_bias=use_bias, activation="softsign")
        bias = rng.normal(size=config.bias_shape) if use_bias else None
        w = GRUWeights.create(config, rng.normal(size=(2, 9)), rng.normal(size=(3, 9)), bias)
        back = weights_file.loads(weights_file.dumps(w))
        assert back.config == w.config
        for a, b in zip(back.keras_arrays(), w.keras_arrays()):
            assert np.array_equal(a, b)


def test_share_link_round_trip_and_damage():
    from gruviz.io import share

    w = GRUWeights.create(GRUConfig(1, 1), [[0.1, 0.2, 0.3]], [[0.4, 0.5, 0.6]], np.zeros((2, 3)))
    params = share.encode(share.Shared(w, "1, 2", "0.5", "1, 0", True))
    back = share.decode(params)
    assert (back.sequence, back.h0, back.mask, back.go_backwards) == ("1, 2", "0.5", "1, 0", True)
    assert np.array_equal(back.weights.kernel, w.kernel)
    assert share.decode({}) is None
    with pytest.raises(InputError, match="damaged"):
        share.decode({"w": params["w"][:-7] + "!!"})


def test_table_edits_land_in_the_right_block():
    from gruviz.ui.sidebar.sources import edited_weights

    w = GRUWeights.create(GRUConfig(2, 1), np.zeros((1, 6)), np.zeros((2, 6)), np.zeros((2, 6)))
    new = edited_weights(w, "kernel", {0: {"r1": 0.5}})
    assert new.W("r")[0, 1] == 0.5 and new.kernel.sum() == 0.5
    new = edited_weights(w, "bias", {"1": {"h0": -2.0}})
    assert new.b_h("h")[0] == -2.0 and new.b_x("h")[0] == 0
    single = w.with_config(reset_after=False)
    assert edited_weights(single, "bias", {0: {"z1": 3.0}}).bias.tolist() == [0, 3, 0, 0, 0, 0]
    with pytest.raises(InputError, match="recurrent_kernel cell h\\[1\\], z0 is empty"):
        edited_weights(w, "recurrent_kernel", {1: {"z0": None}})


# --- validation messages and shape inference, value by value ----------------------------------

@pytest.mark.parametrize("make, message", [
    (lambda: GRUConfig(0, 1), "units must be a whole number of at least 1, got 0."),
    (lambda: GRUConfig(1, True), "input_dim must be a whole number of at least 1, got True."),
    (lambda: GRUConfig(1.0, 1), "units must be a whole number of at least 1, got 1.0."),
    (lambda: GRUConfig(1, 1, activation="gelu"),
     "activation 'gelu' is not supported; choose one of tanh, sigmoid, hard_sigmoid, hard_sigmoid_legacy, "
     "linear, relu, softsign."),
    (lambda: GRUConfig(1, 1, recurrent_activation="swish"), "recurrent_activation 'swish' is not supported"),
    (lambda: GRUConfig(1, 1, reset_after=1), "reset_after must be true or false, got 1."),
    (lambda: GRUConfig(1, 1, use_bias="yes"), "use_bias must be true or false, got 'yes'."),
    (lambda: GRUWeights.create(GRUConfig(2, 3), np.ones((3, 3)), np.ones((2, 6)), np.zeros((2, 6))),
     "kernel has shape (3, 3) but input_dim=3, units=2 needs (3, 6): one row per input feature and 3·units "
     "columns (z | r | h)."),
    (lambda: GRUWeights.create(GRUConfig(2, 3), np.ones((3, 6)), np.ones((6, 2)), np.zeros((2, 6))),
     "recurrent_kernel has shape (6, 2) but units=2 needs (2, 6)."),
    (lambda: GRUWeights.create(GRUConfig(1, 1, use_bias=False), np.ones((1, 3)), np.ones((1, 3)), [1, 2, 3]),
     "a bias was given but use_bias=False; remove it or set use_bias=True."),
    (lambda: GRUWeights.create(GRUConfig(1, 1), np.ones((1, 3)), np.ones((1, 3))),
     "use_bias=True needs a bias of shape (2, 3); none was given."),
    (lambda: GRUWeights.create(GRUConfig(1, 1), [["a", 1, 2]], np.ones((1, 3)), np.zeros((2, 3))),
     "kernel must contain only numbers."),
    (lambda: GRUWeights.create(GRUConfig(1, 1), np.ones((1, 3)), [[1, np.inf, 2]], np.zeros((2, 3))),
     "recurrent_kernel contains inf at index [0, 1]; every value must be a finite number."),
    (lambda: GRUWeights.create(GRUConfig(2, 1), np.ones((1, 6)), np.ones((2, 6)), np.zeros((2, 3))),
     "bias has shape (2, 3) but reset_after=True needs (2, 6) — this bias belongs to a GRU with units=1."),
    (lambda: GRUWeights.create(GRUConfig(1, 1), np.ones((1, 3)), np.ones((1, 3)), np.zeros((2, 4))),
     "bias has shape (2, 4) but reset_after=True needs (2, 3)."),
    (lambda: GRUWeights.create(GRUConfig(1, 1), np.ones((1, 3)), np.ones((1, 3)), [0, 0, 0]),
     "bias has shape (3,) but reset_after=True needs (2, 3) — did this model use reset_after=False?"),
    (lambda: GRUWeights.create(GRUConfig(1, 1, reset_after=False), np.ones((1, 3)), np.ones((1, 3)),
                               np.zeros((2, 3))),
     "bias has shape (2, 3) but reset_after=False needs (3,) — did this model use reset_after=True "
     "(the Keras 3 default)?"),
    (lambda: GRUWeights.create(GRUConfig(2, 1), np.ones((1, 6)), np.ones((2, 6)), np.zeros(6)),
     "bias has shape (6,) but reset_after=True needs (2, 6) — did this model use reset_after=False?"),
    (lambda: GRUWeights.create(GRUConfig(2, 1, reset_after=False), np.ones((1, 6)), np.ones((2, 6)),
                               np.zeros((2, 6))),
     "bias has shape (2, 6) but reset_after=False needs (6,) — did this model use reset_after=True "
     "(the Keras 3 default)?"),
    (lambda: GRUWeights.create(GRUConfig(1, 1, reset_after=False), np.ones((1, 3)), np.ones((1, 3)), np.zeros(4)),
     "bias has shape (4,) but reset_after=False needs (3,)."),
    (lambda: GRUWeights.create(GRUConfig(1, 1), np.ones((1, 3)), np.ones((1, 3)), np.zeros(6)),
     "bias has shape (6,) but reset_after=True needs (2, 3) — this bias belongs to a GRU with units=2."),
    (lambda: GRUWeights.create(GRUConfig(1, 1), np.ones((1, 3)), np.ones((1, 3)), np.zeros((6, 2))),
     "bias has shape (6, 2) but reset_after=True needs (2, 3)."),
    (lambda: GRUWeights.from_keras_arrays([np.ones((1, 3))]),
     "a Keras GRU has 2 arrays (no bias) or 3 (kernel, recurrent_kernel, bias); got 1."),
    (lambda: GRUWeights.from_keras_arrays([np.ones((1, 3))] * 4),
     "a Keras GRU has 2 arrays (no bias) or 3 (kernel, recurrent_kernel, bias); got 4."),
    (lambda: GRUWeights.from_keras_arrays([np.ones((1, 4)), np.ones((1, 3))]),
     "kernel has shape (1, 4); a GRU kernel is (input_dim, 3·units)."),
    (lambda: GRUWeights.from_keras_arrays([np.ones(6), np.ones((2, 6))]),
     "kernel has shape (6,); a GRU kernel is (input_dim, 3·units)."),
    (lambda: GRUWeights.from_keras_arrays([[[1, "x", 3]], np.ones((1, 3))]), "kernel must contain only numbers."),
    (lambda: GRUWeights.from_keras_arrays([np.ones((1, 3)), [[1, "x", 3]]]),
     "recurrent_kernel must contain only numbers."),
    (lambda: GRUWeights.from_keras_arrays([np.ones((3, 6)), np.ones((3, 6)), np.zeros(6)]),
     "the 2nd array, recurrent_kernel, has shape (3, 6); the kernel's 6 columns mean units=2, so it should be "
     "(2, 6)."),
])
def test_validation_messages(make, message):
    with pytest.raises(InputError) as raised:
        make()
    assert str(raised.value).startswith(message), str(raised.value)
    if message.endswith((".", "?")):
        assert str(raised.value) == message


def test_from_keras_arrays_keeps_every_value_and_takes_options():
    rng = np.random.default_rng(8)
    kernel, recurrent, bias = rng.normal(size=(4, 6)), rng.normal(size=(2, 6)), rng.normal(size=(2, 6))
    w = GRUWeights.from_keras_arrays([kernel, recurrent, bias])
    assert (w.config.units, w.config.input_dim, w.config.reset_after, w.config.use_bias) == (2, 4, True, True)
    assert np.array_equal(w.kernel, kernel) and np.array_equal(w.recurrent_kernel, recurrent)
    assert np.array_equal(w.input_bias, bias[0]) and np.array_equal(w.recurrent_bias, bias[1])
    w = GRUWeights.from_keras_arrays([kernel, recurrent], activation="relu")
    assert w.config.activation == "relu" and w.bias is None and not w.input_bias.any()
    single = GRUWeights.from_keras_arrays((kernel, recurrent, bias[0]))
    assert single.config.reset_after is False and np.array_equal(single.input_bias, bias[0])
    assert [a.tolist() for a in single.keras_arrays()] == [kernel.tolist(), recurrent.tolist(), bias[0].tolist()]


def test_gate_blocks_of_every_gate():
    H, D = 3, 2
    kernel, recurrent, bias = np.arange(D * 3 * H) * 1.0, np.arange(H * 3 * H) * 2.0, np.arange(6 * H) * 3.0
    w = GRUWeights.create(GRUConfig(H, D), kernel.reshape(D, 3 * H), recurrent.reshape(H, 3 * H),
                          bias.reshape(2, 3 * H))
    for i, gate in enumerate("zrh"):
        cols = slice(i * H, (i + 1) * H)
        assert np.array_equal(w.W(gate), kernel.reshape(D, 3 * H)[:, cols])
        assert np.array_equal(w.U(gate), recurrent.reshape(H, 3 * H)[:, cols])
        assert np.array_equal(w.b_x(gate), bias.reshape(2, 3 * H)[0, cols])
        assert np.array_equal(w.b_h(gate), bias.reshape(2, 3 * H)[1, cols])


def test_with_config_moves_the_bias_between_layouts():
    w = GRUWeights.create(GRUConfig(1, 1, reset_after=False), np.ones((1, 3)), np.ones((1, 3)), [1, 2, 3])
    back = w.with_config(reset_after=True)
    assert back.bias.tolist() == [[1, 2, 3], [0, 0, 0]]
    assert w.with_config(activation="relu").config.activation == "relu"
    assert w.with_config(activation="relu").bias.tolist() == [1, 2, 3]
    no_bias = GRUWeights.create(GRUConfig(1, 1, use_bias=False), np.ones((1, 3)), np.ones((1, 3)))
    assert no_bias.with_config(use_bias=True).bias.tolist() == [[0, 0, 0], [0, 0, 0]]


@pytest.mark.parametrize("loss, target, message", [
    ("sum", [1.0], "the sum loss takes no target."),
    ("mse", None, "the mse loss needs a target of shape (2,)."),
    ("mse", [1.0, 2.0, 3.0], "the mse target has shape (3,) but (2,) is needed (one value per unit)."),
    ("mse_all", [[1.0, 2.0]], "the mse_all target has shape (1, 2) but (3, 2) is needed "
                              "(one row per output step, one value per unit)."),
    ("mse", [1.0, float("nan")], "target contains nan at index [1]; every value must be a finite number."),
])
def test_loss_targets_are_checked_with_their_shape(loss, target, message):
    from gruviz.math.backward import check_target, get_loss

    with pytest.raises(InputError) as raised:
        check_target(get_loss(loss), target, units=2, steps=3)
    assert str(raised.value) == message
    assert check_target(get_loss("mse_all"), np.ones((3, 2)), 2, 3).tolist() == [[1, 1]] * 3
    assert check_target(get_loss("sum"), None, 2, 3) is None
