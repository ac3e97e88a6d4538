"""Time gruviz's full trace (every intermediate recorded) against Keras running the
same layer, in one run, and print medians and ratios: against `model.predict`, what a
person calls, and against the bridge's compiled call (no predict overhead).

    make bench      (or: .venv/bin/python benchmarks/trace_vs_keras.py)

Target: the trace takes at most 0.3x `model.predict` at T=1000, D=32, H=64. The machine's load
average is printed before and after: on a shared machine, compare ratios only between runs whose
load was alike.
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


def medians_ms(calls: dict, repeats: int) -> dict:
    """Each call's median time in ms. The calls take turns within every repeat, so a change
    in a shared machine's load reaches all of them alike and their ratios stay fair."""
    for call in calls.values():
        call()  # warm: Keras traces its graph on the first call
    times = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(seconds) for name, seconds in times.items()}


def keras_predict(weights: GRUWeights):
    """model.predict on a Sequential holding one keras.layers.GRU with these weights."""
    import keras

    cfg = weights.config
    layer = keras.layers.GRU(cfg.units, reset_after=cfg.reset_after, return_sequences=True)
    model = keras.Sequential([keras.Input((None, cfg.input_dim)), layer])
    layer.set_weights([a.astype("float32") for a in weights.keras_arrays()])
    return lambda x: model.predict(x[None].astype("float32"), verbose=0)


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages, as the shell's `uptime` shows them."""
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"load average before: {load_average()} ({os.cpu_count()} cores)")
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
            ours, predicted, called = medians_ms(
                {"trace": lambda: run(weights, x), "predict": lambda: predict(x),
                 "call": lambda: run_keras(weights, x)}, repeats
            ).values()
            label = f"T={T} D={D} H={H} {'after' if reset_after else 'before'}"
            print(f"{label:<22}{ours:>10.2f}{predicted:>12.2f}{ours / predicted:>7.3f}{called:>9.2f}{ours / called:>7.3f}")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
