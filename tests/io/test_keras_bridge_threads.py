"""The Keras bridge under concurrent sessions: many threads, each with its own weights,
run the same few configs at once, and every result must be that thread's own.

A result that matches another thread's numbers (or a mix) is a session seeing someone
else's work. Expected values: gruviz's float64 trace and backward pass for the thread's
own weights (each checked against Keras on its own in test_keras_differential.py and
test_backward.py)."""

import threading
from dataclasses import dataclass

import numpy as np
import pytest

from conftest import random_weights
from gruviz import GRUConfig, run
from gruviz.io.keras_bridge import fresh_weights, keras_gradients, run_keras
from gruviz.math.backward import backward

THREADS = 8
ITERATIONS = 50
GRADIENT_ITERATIONS = 20  # eager GradientTape costs ~10 ms a step; 8 × 20 runs keeps the test short
# Two configs only, so that several threads always share one cached Keras layer.
CONFIGS = (GRUConfig(units=3, input_dim=2), GRUConfig(units=3, input_dim=2, reset_after=False))


@dataclass(frozen=True)
class Case:
    weights: object
    x: np.ndarray  # (T, D)
    h0: np.ndarray | None  # (H,)
    go_backwards: bool
    mask: np.ndarray | None  # (T,)


def case(thread: int, iteration: int) -> Case:
    """Weights, sequence and options drawn for one (thread, iteration): no two alike."""
    rng = np.random.default_rng(1000 * thread + iteration)
    config = CONFIGS[thread % len(CONFIGS)]
    T = int(rng.integers(2, 7))
    return Case(random_weights(rng, config, scale=0.8), rng.normal(0, 1.5, (T, config.input_dim)),
                rng.normal(0, 0.5, config.units) if iteration % 2 else None, bool(iteration % 3 == 0),
                rng.random(T) < 0.8 if iteration % 4 == 1 else None)


def hammer(work, iterations: int) -> dict[tuple[int, int], object]:
    """Run work(thread, iteration) from THREADS threads released together; every result by key."""
    results, errors = {}, []
    start = threading.Barrier(THREADS)

    def worker(thread: int):
        start.wait()
        try:
            for i in range(iterations):
                results[thread, i] = work(thread, i)
        except Exception as problem:  # surfaced below, with the thread that raised it
            errors.append((thread, problem))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def foreign(results: dict, own, close) -> list[tuple[int, int]]:
    """The keys whose result is not close to its own expected value."""
    return [key for key, value in results.items() if not close(value, own[key])]


def test_forward_runs_keep_to_their_own_weights():
    cases = {(t, i): case(t, i) for t in range(THREADS) for i in range(ITERATIONS)}
    own = {key: run(c.weights, c.x, c.h0, "keras", c.go_backwards, c.mask).sequence_output
           for key, c in cases.items()}
    for config in CONFIGS:  # trace once per config first, so the threads race on calls, not on tracing
        c = next(c for c in cases.values() if c.weights.config == config)
        run_keras(c.weights, c.x)

    def work(thread, i):
        c = cases[thread, i]
        return run_keras(c.weights, c.x, c.h0, c.go_backwards, c.mask).sequence_output

    results = hammer(work, ITERATIONS)
    # float32 Keras against float64 gruviz: ≤ 1e-6 seen; another thread's weights differ by ≥ 1e-2.
    wrong = foreign(results, own, lambda got, want: got.shape == want.shape and np.allclose(got, want, atol=1e-5))
    assert len(results) == THREADS * ITERATIONS
    assert wrong == [], f"{len(wrong)} of {len(results)} results were not the thread's own: {wrong[:10]}"


def test_gradients_keep_to_their_own_weights():
    cases = {(t, i): case(t, i) for t in range(THREADS) for i in range(GRADIENT_ITERATIONS)}
    own = {key: backward(run(c.weights, c.x, c.h0, "keras", c.go_backwards, c.mask), "sum")
           for key, c in cases.items()}

    def work(thread, i):
        c = cases[thread, i]
        return keras_gradients(c.weights, c.x, c.h0, c.go_backwards, c.mask, loss="sum")

    def close(k, g):
        pairs = [(k.kernel, g.kernel), (k.recurrent_kernel, g.recurrent_kernel), (k.bias, g.bias),
                 (k.x, g.x), (k.h0, g.h0), (np.array(k.loss), np.array(g.loss))]
        return all(a.shape == b.shape and np.allclose(a, b, rtol=1e-9, atol=1e-9) for a, b in pairs)

    results = hammer(work, GRADIENT_ITERATIONS)
    wrong = foreign(results, own, close)
    assert len(results) == THREADS * GRADIENT_ITERATIONS
    assert wrong == [], f"{len(wrong)} of {len(results)} gradients were not the thread's own: {wrong[:10]}"


@pytest.mark.parametrize("random_bias", [False, True])
def test_fresh_weights_from_many_threads_are_each_seeds_own(random_bias):
    """Expected: a keras.layers.GRU built here with Keras's initializers and the same seed."""
    import keras

    config = GRUConfig(units=2, input_dim=3)
    seeds = range(THREADS * 4)
    init = keras.initializers

    def expected(seed):
        layer = keras.layers.GRU(2, kernel_initializer=init.GlorotUniform(seed=seed),
                                 recurrent_initializer=init.Orthogonal(seed=seed),
                                 bias_initializer=init.RandomNormal(stddev=0.5, seed=seed) if random_bias else "zeros")
        layer.build((None, None, 3))
        return layer.get_weights()

    want = {seed: expected(seed) for seed in seeds}
    results = hammer(lambda t, i: fresh_weights(config, t * 4 + i, random_bias), 4)
    for (t, i), w in results.items():
        for got, ref in zip(w.keras_arrays(), want[t * 4 + i]):
            np.testing.assert_array_equal(np.asarray(got, np.float32), ref)


def test_results_stay_their_own_while_streamlit_clears_the_keras_session():
    """Streamlit runs keras.backend.clear_session() after every script run of every session,
    which swaps Keras's thread-local state under all other threads. With the bridge's
    `hold_session` (the app applies it once TensorFlow loads), tracing new configs and
    eager gradients in other threads must not notice."""
    from streamlit.runtime.scriptrunner.script_runner import _clean_problem_modules
    from gruviz.io.keras_bridge import hold_session

    hold_session()
    stop = threading.Event()

    def server():  # what every finished script run does
        while not stop.is_set():
            _clean_problem_modules()

    cleaner = threading.Thread(target=server)
    cleaner.start()
    try:
        def work(thread, i):  # a config no call has traced yet: the trace runs while the session is cleared
            rng = np.random.default_rng(50_000 + 10 * thread + i)
            config = GRUConfig(units=4 + thread, input_dim=1 + i, reset_after=bool(thread % 2))
            c = Case(random_weights(rng, config), rng.normal(0, 1, (4, config.input_dim)), None, False, None)
            forward = run_keras(c.weights, c.x).sequence_output
            grads = keras_gradients(c.weights, c.x)
            return c, forward, grads

        results = hammer(work, 2)
    finally:
        stop.set()
        cleaner.join()
    for (c, forward, grads) in results.values():
        trace = run(c.weights, c.x)
        assert np.allclose(forward, trace.sequence_output, atol=1e-5)
        np.testing.assert_allclose(grads.kernel, backward(trace, "sum").kernel, rtol=1e-9, atol=1e-9)
