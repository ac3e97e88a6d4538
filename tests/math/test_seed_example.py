"""The Stack Exchange seed question: Keras 3 gives -0.46279544, the Wikipedia rule -0.02399954."""

import numpy as np

from conftest import SEED_SEQUENCE
from gruviz import run
from gruviz.io.keras_bridge import run_keras


def test_seed_matches_live_keras(seed_weights):
    keras = run_keras(seed_weights, SEED_SEQUENCE)
    assert abs(keras.output[0] - -0.46279544) < 1e-7  # the spec's recorded Keras value
    ours = run(seed_weights, SEED_SEQUENCE)
    np.testing.assert_allclose(ours.output, keras.output, atol=1e-6)
    assert ours.steps == 4  # four timesteps of one feature, not one step of four


def test_seed_bahdanau_rule(seed_weights):
    ours = run(seed_weights, SEED_SEQUENCE, convention="bahdanau")
    np.testing.assert_allclose(ours.output, [-0.02399954], atol=1e-7)


def test_seed_first_step_by_hand(seed_weights):
    """Step 0 from h0 = 0 written out: only x·W and the activations matter."""
    step = run(seed_weights, SEED_SEQUENCE)
    z = 1 / (1 + np.exp(0.90954137))
    r = 1 / (1 + np.exp(-1.0425225))
    h_tilde = np.tanh(-0.04404902)
    assert np.allclose([step.z[0, 0], step.r[0, 0], step.h_tilde[0, 0]], [z, r, h_tilde], atol=1e-12)
    assert np.isclose(step.h[0, 0], (1 - z) * h_tilde, atol=1e-12)
