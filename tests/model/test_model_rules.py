"""One test per whole-model rule, each against a real Keras model built here: masked average
pooling, every Bidirectional merge mode (with and without return_sequences), TimeDistributed
Dense (its output, its count, and the count of a different Dense per timestep).

Each test calls the one rule of gruviz.model directly, on arrays copied from the Keras
layer, so a failure names the rule that broke (test_model_pipeline.py matches whole random
models against model.predict).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
keras = pytest.importorskip("keras")
Lk = keras.layers

from gruviz.math.weights import GRUWeights  # noqa: E402
from gruviz.model import layers as L  # noqa: E402
from gruviz.model import recurrent as R  # noqa: E402
from gruviz.model.counts import count  # noqa: E402

RTOL, ATOL = 1e-5, 1e-6  # float32 Keras against float64 gruviz
T, D, H = 6, 3, 2


def sequence(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(T, D)).astype("float32")


def predict(layers: list, x: np.ndarray) -> np.ndarray:
    model = keras.Sequential([Lk.Input(x.shape), *layers])
    return np.asarray(model.predict(x[None], verbose=0))[0]


def test_masked_average_pooling_averages_only_the_kept_steps():
    """Masking(0) then GlobalAveragePooling1D: the mean of the steps that are not all zero."""
    x = sequence(1)
    x[[1, 4]] = 0.0
    expected = predict([Lk.Masking(0.0), Lk.GlobalAveragePooling1D()], x)
    kept = np.array([True, False, True, True, False, True])  # by hand: steps 1 and 4 are all zeros
    got, mask = L.global_average_pooling(L.GlobalAveragePooling1D("pool"), x.astype(float), kept)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
    assert mask is None  # the pool consumes the mask
    assert not np.allclose(expected, x.mean(axis=0), atol=1e-3)  # the mask changes the answer here
    unmasked, _ = L.global_average_pooling(L.GlobalAveragePooling1D("pool"), x.astype(float), None)
    np.testing.assert_allclose(unmasked, predict([Lk.GlobalAveragePooling1D()], x), rtol=RTOL, atol=ATOL)


def _half(keras_layer, return_sequences: bool, go_backwards: bool) -> R.Recurrent:
    weights = GRUWeights.from_keras_arrays(keras_layer.get_weights())
    # Keras's Bidirectional sets zero_output_for_mask = return_sequences on both halves.
    return R.Recurrent(keras_layer.name, "GRU", weights, return_sequences, go_backwards, return_sequences)


@pytest.mark.parametrize("return_sequences", [True, False])
@pytest.mark.parametrize("mode", R.MERGE_MODES)
def test_bidirectional_merge_mode(mode, return_sequences):
    keras.utils.set_random_seed(3)
    x = sequence(2)
    wrapper = Lk.Bidirectional(Lk.GRU(H, return_sequences=return_sequences,
                                      bias_initializer=keras.initializers.RandomNormal(stddev=0.5)),
                               merge_mode=mode)
    expected = predict([wrapper], x)
    layer = R.Bidirectional("bi", _half(wrapper.forward_layer, return_sequences, False),
                            _half(wrapper.backward_layer, return_sequences, True), mode)
    got, mask, (forward, backward) = R.bidirectional(layer, x.astype(float), None)
    width = 2 * H if mode == "concat" else H
    assert got.shape == expected.shape == ((T, width) if return_sequences else (width,))
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
    assert count(layer).params == wrapper.count_params()


def test_bidirectional_backward_half_is_flipped_back_only_with_return_sequences():
    """Keras's concat output, split in two: with return_sequences the backward half at step t saw
    input t (its run flipped back); without, it is the backward run's last output."""
    keras.utils.set_random_seed(4)
    x = sequence(3)
    for return_sequences in (True, False):
        wrapper = Lk.Bidirectional(Lk.GRU(H, return_sequences=return_sequences))
        expected = predict([wrapper], x)[..., H:]
        backward = _half(wrapper.backward_layer, return_sequences, True)
        run = R.run_cell(backward, x.astype(float), None).sequence_output  # in processing order
        by_hand = run[::-1] if return_sequences else run[-1]
        output = run if return_sequences else run[-1]  # what the backward layer returns
        got = R.backward_aligned(R.Bidirectional("bi", backward, backward), output)
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(by_hand, expected, rtol=RTOL, atol=ATOL)
        if return_sequences:
            assert not np.allclose(run, expected, atol=1e-3)  # unflipped, it would differ


def _dense(keras_dense, name: str = "dense") -> L.Dense:
    arrays = keras_dense.get_weights()
    return L.Dense(name, arrays[0], arrays[1] if len(arrays) > 1 else None,
                   keras_dense.get_config()["activation"])


def test_time_distributed_dense_is_one_dense_shared_over_time():
    keras.utils.set_random_seed(5)
    x = sequence(4)
    wrapper = Lk.TimeDistributed(Lk.Dense(4, activation="tanh", bias_initializer="random_normal"))
    expected = predict([wrapper], x)
    mask = np.array([True] * (T - 1) + [False])
    got, passed = L.time_distributed(L.TimeDistributed("td", _dense(wrapper.layer)), x.astype(float), mask)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
    assert passed is mask  # TimeDistributed passes the mask on


def test_time_distributed_count_is_one_dense():
    for use_bias in (True, False):
        model = keras.Sequential([Lk.Input((T, D)), Lk.TimeDistributed(Lk.Dense(4, use_bias=use_bias))])
        layer = L.TimeDistributed("td", _dense(model.layers[0].layer))
        assert count(layer, T).params == model.count_params() == (D + use_bias) * 4


def test_a_dense_per_timestep_counts_T_times_one_dense():
    """The TimeDistributed note's count for a different Dense per step, against a Keras model that
    has one: T Dense layers, each on its own timestep."""
    inputs = Lk.Input((T, D))
    outputs = keras.ops.stack([Lk.Dense(4)(inputs[:, t, :]) for t in range(T)], axis=1)
    per_step = keras.Model(inputs, outputs)
    assert len([layer for layer in per_step.layers if isinstance(layer, Lk.Dense)]) == T
    shared = keras.Sequential([Lk.Input((T, D)), Lk.TimeDistributed(Lk.Dense(4))])
    note = count(L.TimeDistributed("td", _dense(shared.layers[0].layer)), T).note
    assert note.endswith(f"= {per_step.count_params()}"), note
    assert per_step.count_params() == T * shared.count_params()


def test_dense_on_a_sequence_acts_on_each_step():
    """Keras 3's Dense on (T, D) without TimeDistributed: the same numbers, step by step."""
    keras.utils.set_random_seed(6)
    x = sequence(5)
    dense = Lk.Dense(3, activation="sigmoid", bias_initializer="random_normal")
    expected = predict([dense], x)
    got, _ = L.dense(_dense(dense), x.astype(float), None)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
