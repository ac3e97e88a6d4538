"""Ready-made examples for class, each one click in the app."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..io.parsing import parse_sequence, parse_vector
from ..math.weights import GRUConfig, GRUWeights
from ..text import N_, _


@dataclass(frozen=True)
class Preset:
    key: str
    english_title: str
    english_story: str  # what the example teaches, shown under its title
    weights: GRUWeights
    sequence: str
    h0: str = ""
    claimed: tuple[str, float] | None = None  # (who got it, the number) for a wrong hand result

    @property
    def title(self) -> str:
        return _(self.english_title)

    @property
    def story(self) -> str:
        return _(self.english_story)


def _preset(key, title, story, config, kernel, recurrent, bias, sequence, h0="", claimed=None) -> Preset:
    weights = GRUWeights.create(config, kernel, recurrent, bias)
    return Preset(key, title, story, weights, sequence, h0, claimed)


PRESETS: tuple[Preset, ...] = (
    _preset(
        "stack_exchange",
        N_("Stack Exchange: the math of a Keras GRU"),
        N_("From the question “To understand the underlying math of GRU neural network in TensorFlow "
           "Keras”. One unit, one input feature, the sequence 1, 2, 9, 8. The asker multiplied the kernel "
           "by the whole sequence at once and got -0.7069; Keras steps through four timesteps and gets "
           "-0.4628."),
        GRUConfig(units=1, input_dim=1),
        [[-0.90954137, 1.0425225, -0.04404902]],
        [[0.24168766, 0.8981342, 0.36734456]],
        np.zeros((2, 3)),
        "1, 2, 9, 8",
        claimed=(N_("the asker's hand calculation"), -0.7069),  # translated where it is shown
    ),
    _preset(
        "two_units_linear",
        N_("units=2 with linear activation"),
        N_("From “How to interpret get_weights for Keras GRU?”: GRU(units=2, input_shape=(3, 1), "
           "activation='linear'). The six kernel columns are [z z | r r | h h]; bias row 0 is the input "
           "bias, row 1 the recurrent bias."),
        GRUConfig(units=2, input_dim=1, activation="linear"),
        [[-0.64266175, -0.0870676, -0.25356603, -0.03685969, 0.22260845, -0.04923642]],
        [
            [0.01929092, -0.4932567, 0.3723044, -0.6559699, -0.33790302, 0.27062896],
            [-0.4214194, 0.46456426, 0.27233726, -0.00461334, -0.6533575, -0.32483965],
        ],
        np.zeros((2, 6)),
        "1, 2, 3",
    ),
    _preset(
        "old_keras_hard_sigmoid",
        N_("Old Keras: hard_sigmoid gates, reset before"),
        N_("Keras 1.x–2.2 defaulted to recurrent_activation='hard_sigmoid', meaning clip(0.2x+0.5), and "
           "reset_after=False with a (3·units,) bias. Keras 3 redefined hard_sigmoid as clip(x/6+0.5): "
           "switch the gate activation to see the same weights give another output."),
        GRUConfig(units=2, input_dim=2, reset_after=False, recurrent_activation="hard_sigmoid_legacy"),
        [[0.5, -0.3, 0.8, 0.2, -0.6, 0.4], [-0.2, 0.7, -0.5, 0.3, 0.9, -0.8]],
        [[0.4, 0.1, -0.3, 0.6, 0.2, -0.5], [-0.6, 0.3, 0.5, -0.2, 0.7, 0.1]],
        [0.1, -0.2, 0.3, 0.0, -0.1, 0.2],
        "1 0.5; -0.5 2; 0.3 -1",
    ),
    _preset(
        "pytorch_style",
        N_("PyTorch-style: reset after, non-zero recurrent bias"),
        N_("PyTorch's nn.GRU and Keras 3's default both apply the reset gate after the recurrent matmul, "
           "and both keep a second bias: r ⊙ (h·U_h + b^h_h). Dropping bias row 1, or adding it outside "
           "r ⊙ (…), gives another answer."),
        GRUConfig(units=2, input_dim=2, reset_after=True),
        [[0.3, -0.5, 0.6, 0.2, -0.4, 0.7], [-0.6, 0.4, -0.2, 0.5, 0.3, -0.3]],
        [[0.5, -0.2, 0.1, 0.4, 0.6, -0.5], [0.2, 0.3, -0.4, 0.1, -0.7, 0.4]],
        [[0.1, -0.1, 0.2, -0.3, 0.05, 0.3], [-0.2, 0.3, 0.1, 0.2, 0.6, -0.4]],
        "0.5 -1; 1 0.25; -0.75 0.5; 2 1",
        h0="0.1, -0.2",
    ),
)

BY_KEY = {preset.key: preset for preset in PRESETS}


def unchanged(preset: Preset, weights: GRUWeights, x: np.ndarray, h0: np.ndarray | None,
              mask: np.ndarray | None, go_backwards: bool) -> bool:
    """Whether the inputs on screen are still exactly this preset's: its title, story and
    hand result describe these numbers only, and must not outlive an edit."""
    mine = preset.weights
    same_weights = mine.config == weights.config and all(
        a.shape == b.shape and np.array_equal(a, b) for a, b in zip(mine.keras_arrays(), weights.keras_arrays()))
    preset_h0 = parse_vector(preset.h0, "h0", mine.config.units) if preset.h0 else np.zeros(mine.config.units)
    shown_h0 = np.zeros(weights.config.units) if h0 is None else h0
    return (same_weights and not go_backwards and (mask is None or bool(np.all(mask)))
            and np.array_equal(parse_sequence(preset.sequence, mine.config.input_dim), x)
            and np.array_equal(preset_h0, shown_h0))


def matching(weights: GRUWeights, x: np.ndarray, h0: np.ndarray | None, mask: np.ndarray | None,
             go_backwards: bool) -> Preset | None:
    """The preset whose inputs these are exactly, however they arrived (a click, a link)."""
    return next((p for p in PRESETS if p.weights.config == weights.config
                 and unchanged(p, weights, x, h0, mask, go_backwards)), None)
