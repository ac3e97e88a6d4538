"""The figures carry the trace's own numbers and mark the selected step."""

import numpy as np

from conftest import random_weights
from gruviz import GRUConfig, run
from gruviz.explain.figures import conventions, gates_over_time, heatmaps, weight_blocks


def traces():
    rng = np.random.default_rng(0)
    weights = random_weights(rng, GRUConfig(units=3, input_dim=2))
    x = rng.normal(size=(6, 2))
    return run(weights, x), run(weights, x, convention="bahdanau")


def test_gate_lines_hold_each_unit_and_shade_the_step():
    trace, _ = traces()
    fig = gates_over_time(trace, selected=2)
    z_lines = [d for d in fig.data if d.xaxis == "x"]
    assert len(z_lines) == 3
    np.testing.assert_allclose(z_lines[1].y, trace.z[:, 1])
    assert list(z_lines[0].x) == [1, 2, 3, 4, 5, 6]
    assert {(s.x0, s.x1) for s in fig.layout.shapes} == {(2.5, 3.5)}  # step 3 on the page


def test_heatmaps_are_units_by_time():
    trace, _ = traces()
    fig = heatmaps(trace, selected=0)
    h = fig.data[3]
    np.testing.assert_allclose(np.array(h.z), trace.h.T)
    assert len(fig.layout.shapes) == 4


def test_both_rules_and_keras_points():
    keras_rule, bahdanau = traces()
    fig = conventions(keras_rule, bahdanau, keras_live=keras_rule.sequence_output)
    assert len([d for d in fig.data if d.x != (None,)]) == 9  # the rest only explain the legend
    np.testing.assert_allclose(fig.data[1].y, bahdanau.sequence_output[:, 0])
    assert not np.allclose(fig.data[0].y, fig.data[1].y)


def test_weight_blocks_split_columns_at_the_gate_boundaries():
    keras_rule, _ = traces()
    fig = weight_blocks(keras_rule.weights)
    assert list(fig.data[0].x) == ["z1", "z2", "z3", "r1", "r2", "r3", "h1", "h2", "h3"]  # units count from 1
    assert list(fig.data[2].y) == ["input bias (row 0)", "recurrent bias (row 1)"]
    assert sorted({s.x0 for s in fig.layout.shapes}) == [2.5, 5.5]


def test_every_figure_spec_passes_plotly_validation():
    """The app skips plotly's validation for speed, so every builder is validated here."""
    import plotly.graph_objects as go

    from gruviz.math.backward import backward
    from gruviz.explain.figures_backward import gradient_norms, parameter_gradients

    keras_rule, bahdanau = traces()
    grads = backward(keras_rule)
    for fig in (gates_over_time(keras_rule, 1), heatmaps(keras_rule, 1), conventions(keras_rule, bahdanau,
                keras_rule.sequence_output, 1), weight_blocks(keras_rule.weights), gradient_norms(grads, 2),
                parameter_gradients(grads)):
        go.Figure(fig.to_dict())  # raises ValueError on any invalid property
