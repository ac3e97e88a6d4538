"""Time gruviz's full trace (every intermediate recorded) against Keras running the
same layer, in one run, and print medians and ratios: against `model.predict`, what a
person calls, and against the bridge's compiled call (no predict overhead).

    make bench      (or: .venv/bin/python benchmarks/trace_vs_keras.py)

Target: the trace takes at most 0.3x `model.predict` at T=1000, D=32, H=64.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from gruviz import GRUConfig, GRUWeights, run  # noqa: E402
from gruviz.io.keras_bridge import run_keras  # noqa: E402


def median_ms(fn, repeats: int) -> float:
    fn()  # warm: Keras traces its graph on the first call
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def keras_predict(weights: GRUWeights):
    """model.predict on a Sequential holding one keras.layers.GRU with these weights."""
    import keras

    cfg = weights.config
    layer = keras.layers.GRU(cfg.units, reset_after=cfg.reset_after, return_sequences=True)
    model = keras.Sequential([keras.Input((None, cfg.input_dim)), layer])
    layer.set_weights([a.astype("float32") for a in weights.keras_arrays()])
    return lambda x: model.predict(x[None].astype("float32"), verbose=0)


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"{'size':<22}{'trace ms':>10}{'predict ms':>12}{'ratio':>7}{'call ms':>9}{'ratio':>7}")
    for T, D, H, repeats in ((1000, 32, 64, 15), (10, 2, 4, 200)):
        for reset_after in (True, False):
            config = GRUConfig(units=H, input_dim=D, reset_after=reset_after)
            shape = (2, 3 * H) if reset_after else (3 * H,)
            weights = GRUWeights.create(
                config, rng.normal(0, 0.2, (D, 3 * H)), rng.normal(0, 0.2, (H, 3 * H)), rng.normal(0, 0.2, shape)
            )
            x = rng.normal(size=(T, D))
            predict = keras_predict(weights)
            ours = median_ms(lambda: run(weights, x), repeats)
            predicted = median_ms(lambda: predict(x), repeats)
            called = median_ms(lambda: run_keras(weights, x), repeats)
            label = f"T={T} D={D} H={H} {'after' if reset_after else 'before'}"
            print(f"{label:<22}{ours:>10.2f}{predicted:>12.2f}{ours / predicted:>7.3f}{called:>9.2f}{ours / called:>7.3f}")


if __name__ == "__main__":
    main()
