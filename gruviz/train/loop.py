"""Training: mini-batches of the task's sequences, one optimizer step each, and a
`Snapshot` of the weights, the loss and the gradient norms after every epoch.

`fit` is a generator, so a caller (the CLI, or the page's background thread) can show
each epoch as it ends and stop between epochs. Epoch 0 is the untrained model."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Iterator

import numpy as np

from ..errors import InputError
from ..limits import TRAIN_CLI, TrainLimits
from ..text import _
from . import model as model_lib, optim
from .model import NAMES, Model
from .tasks import Data, Task, get_task


@dataclass(frozen=True)
class TrainConfig:
    task: str
    units: int = 4
    length: int | None = None  # None: the task's default
    epochs: int = 100
    optimizer: str = "adam"
    lr: float | None = None  # None: the optimizer's default
    seed: int = 0
    sequences: int = 256
    eval_sequences: int = 128
    batch_size: int | None = 32  # None: full batch
    clip_norm: float = 1.0

    def check(self, limits: TrainLimits = TRAIN_CLI) -> None:
        """Refuse a run over the limits, in words; the task and optimizer check themselves."""
        get_task(self.task)
        optim.make(self.optimizer, self.lr)
        for name, low, high in (("units", 1, limits.max_units), ("length", 1, limits.max_length),
                                ("epochs", 1, limits.max_epochs), ("sequences", 1, limits.max_sequences),
                                ("eval_sequences", 1, limits.max_sequences)):
            value = getattr(self, name)
            if value is not None and not low <= value <= high:
                raise InputError(_("{name} must be between {low} and {high}, got {value}.").format(
                    name=name, low=low, high=high, value=value))
        if self.batch_size is not None and self.batch_size < 1:
            raise InputError(_("the batch size must be at least 1, got {size}.").format(size=self.batch_size))
        if not self.clip_norm > 0:
            raise InputError(_("the clipping norm must be above 0, got {norm}.").format(norm=self.clip_norm))

    @property
    def chosen_task(self) -> Task:
        return get_task(self.task)

    @property
    def steps(self) -> int:
        return self.chosen_task.default_length if self.length is None else self.length

    def train_data(self) -> Data:
        return self.chosen_task.data(self.sequences, self.steps, seed=self.seed)

    @property
    def eval_seed(self) -> int:
        """The evaluation set's seed: the same for every run of this task and length."""
        return 10_000 + self.steps

    def eval_data(self) -> Data:
        return self.chosen_task.data(self.eval_sequences, self.steps, seed=self.eval_seed)


@dataclass(frozen=True)
class GradNorms:
    """‖∂L/∂·‖ of each array, averaged over the epoch's mini-batches, before clipping."""

    kernel: float
    recurrent_kernel: float
    bias: float
    dense_kernel: float
    dense_bias: float

    @classmethod
    def of(cls, grads) -> "GradNorms":
        return cls(*(float(np.linalg.norm(g)) for g in grads))

    @classmethod
    def mean(cls, norms: list["GradNorms"]) -> "GradNorms":
        return cls(*(float(np.mean([getattr(n, f.name) for n in norms])) for f in fields(cls)))


@dataclass(frozen=True, eq=False)
class Snapshot:
    epoch: int
    model: Model
    loss: float  # on the evaluation data
    train_loss: float  # on the training data, with these weights
    accuracy: float  # on the evaluation data, as the task counts hits
    grad_norms: GradNorms


def _snapshot(epoch: int, model: Model, config: TrainConfig, train: Data, evals: Data, norms) -> Snapshot:
    prediction = model.predict(evals.x)
    return Snapshot(epoch, model, model_lib.loss(model, evals.x, evals.y, evals.scored),
                    model_lib.loss(model, train.x, train.y, train.scored),
                    config.chosen_task.score(prediction, evals), norms)


def fit(config: TrainConfig, limits: TrainLimits = TRAIN_CLI) -> Iterator[Snapshot]:
    """Yield the untrained snapshot, then one per epoch, config.epochs in all after it."""
    config.check(limits)
    task, train, evals = config.chosen_task, config.train_data(), config.eval_data()
    rng = np.random.default_rng([config.seed, 1])  # initial weights and batch order
    model = model_lib.initial(config.units, task.input_dim, train.y.shape[-1], rng)
    optimizer = optim.make(config.optimizer, config.lr)
    state = optimizer.start(model.arrays())
    _, grads = model_lib.loss_and_gradients(model, train.x, train.y, train.scored)
    yield _snapshot(0, model, config, train, evals, GradNorms.of(grads))
    size = len(train.x) if config.batch_size is None else config.batch_size
    for epoch in range(1, config.epochs + 1):
        order = rng.permutation(len(train.x))
        norms = []
        for start in range(0, len(order), size):
            rows = order[start : start + size]
            _, grads = model_lib.loss_and_gradients(model, train.x[rows], train.y[rows], train.scored)
            norms.append(GradNorms.of(grads))
            arrays, state = optimizer.step(model.arrays(), optim.clip(grads, config.clip_norm), state)
            model = model.with_arrays(arrays)
        yield _snapshot(epoch, model, config, train, evals, GradNorms.mean(norms))


assert tuple(f.name for f in fields(GradNorms)) == NAMES  # one order for arrays and their norms
