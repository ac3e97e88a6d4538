"""`python -m gruviz train`: train a GRU + Dense on a toy task and print the run as JSON.

    python -m gruviz train --task NAME [--units H] [--length T] [--epochs N]
                           [--optimizer adam|sgd] [--lr X] [--seed S] [--batch-size B | --full-batch]
                           [--out WEIGHTS.json]

`main` registers it; bad input raises InputError like every other command."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

from ..errors import InputError
from ..limits import TRAIN_CLI
from ..train import optim
from ..train.loop import TrainConfig, fit
from ..train.tasks import TASKS
from ..text import _


def add_to(commands) -> None:
    train = commands.add_parser("train", help=_("train a small GRU on a toy task, one snapshot per epoch"))
    train.add_argument("--task", required=True, choices=list(TASKS))
    train.add_argument("--units", type=int, default=4, help=_("1 to {most} (default {default})").format(
        most=TRAIN_CLI.max_units, default=4))
    train.add_argument("--length", type=int, help=_("timesteps per sequence (default: the task's)"))
    train.add_argument("--epochs", type=int, default=100)
    train.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    train.add_argument("--lr", type=float, help=_("learning rate (default 0.01 for adam, 0.1 for sgd)"))
    train.add_argument("--seed", type=int, default=0, help=_("the training data and the initial weights"))
    size = train.add_mutually_exclusive_group()
    size.add_argument("--batch-size", type=int, default=32)
    size.add_argument("--full-batch", action="store_true", help=_("one step per epoch over every sequence"))
    train.add_argument("--out", help=_("also write the trained weights (with the readout) to this JSON file"))


def config_of(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(task=args.task, units=args.units, length=args.length, epochs=args.epochs,
                       optimizer=args.optimizer, lr=args.lr, seed=args.seed,
                       batch_size=None if args.full_batch else args.batch_size)


def train(args: argparse.Namespace) -> dict:
    config = config_of(args)
    started = time.perf_counter()
    snapshots = list(fit(config, TRAIN_CLI))
    seconds = time.perf_counter() - started
    last, evals = snapshots[-1], config.eval_data()
    weights = last.model.to_json()
    if args.out:
        try:
            Path(args.out).write_text(json.dumps(weights, indent=1))
        except OSError as error:
            raise InputError(_("could not write {file}: {reason}.").format(file=args.out,
                                                                          reason=error.strerror or error)) from None
    return {
        "task": config.task,
        "story": _(config.chosen_task.story),  # sentences, in the reader's language; ids stay English
        "config": {"units": config.units, "length": config.steps, "epochs": config.epochs,
                   "optimizer": config.optimizer, "lr": optim.make(config.optimizer, config.lr).lr,
                   "seed": config.seed,
                   "batch_size": config.batch_size, "clip_norm": config.clip_norm},
        "untrained_loss": snapshots[0].loss,
        "loss": [s.loss for s in snapshots[1:]],
        "accuracy": [s.accuracy for s in snapshots[1:]],
        "grad_norm": [asdict(s.grad_norms) for s in snapshots[1:]],
        "final_loss": last.loss,
        "final_accuracy": last.accuracy,
        "accuracy_means": _(config.chosen_task.accuracy_name),
        "seconds": round(seconds, 3),
        "weights": weights,
        "eval": {"seed": config.eval_seed, "x": evals.x.tolist(), "y": evals.y.tolist(),
                 "scored": evals.scored.tolist()},
    }


COMMANDS = {"train": train}
