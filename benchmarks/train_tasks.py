"""How long each toy task takes to learn on this machine, and what its gates learned.

    .venv/bin/python benchmarks/train_tasks.py [--repeats 3] [--units 4]

For each task with seed 0 and its default length (256 training sequences, Adam, lr 0.01,
batches of 32): the first epoch whose evaluation loss is 10x below the untrained loss
and whose accuracy reaches the task's stated one, the median wall-clock seconds to get
there over the repeats, and one sentence each on z and r at that epoch.
Target: every task reaches it within a few seconds on one core.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gruviz.train.describe import learned  # noqa: E402
from gruviz.train.loop import TrainConfig, fit  # noqa: E402
from gruviz.train.tasks import TASKS  # noqa: E402

MAX_EPOCHS = 300


def to_target(name: str, units: int):
    """(epoch, seconds, first snapshot, snapshot at the target, config) or epoch None if never."""
    config = TrainConfig(task=name, units=units, epochs=MAX_EPOCHS)
    task = TASKS[name]
    started = time.perf_counter()
    first = None
    for snapshot in fit(config):
        first = first or snapshot
        if snapshot.epoch and snapshot.loss <= first.loss / 10 and snapshot.accuracy >= task.target_accuracy:
            return snapshot.epoch, time.perf_counter() - started, first, snapshot, config
    return None, time.perf_counter() - started, first, snapshot, config


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--units", type=int, default=4)
    args = parser.parse_args()
    print(f"{'task':15} {'length':>6} {'untrained':>9} {'epochs':>6} {'median s':>8}  loss at target")
    for name, task in TASKS.items():
        runs = [to_target(name, args.units) for _ in range(args.repeats)]
        epoch, _, first, reached, config = runs[0]
        seconds = statistics.median(r[1] for r in runs)
        print(f"{name:15} {config.steps:>6} {first.loss:9.4f} {epoch or 'never':>6} {seconds:8.2f}  "
              f"{reached.loss:.5f} (accuracy {reached.accuracy:.0%})")
        for sentence in learned(first.model.gru, reached.model.gru, config.eval_data().x[0]):
            print(f"    {sentence}")


if __name__ == "__main__":
    main()
