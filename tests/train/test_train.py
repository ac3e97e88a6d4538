"""Training a GRU + Dense on the toy tasks: the batched backward pass against the
per-sequence one, the readout's gradient against finite differences, one optimizer
step against its published rule and PyTorch's, each task learning, and the CLI's
final loss against a real keras.layers.GRU + keras.layers.Dense."""

import json
import numpy as np
import pytest

from conftest import random_weights
from gruviz import GRUConfig, InputError, run
from gruviz.math.backward import backward
from gruviz.train import batch, model as model_lib, optim
from gruviz.train.loop import TrainConfig, fit
from gruviz.train.tasks import TASKS, get_task


def test_batched_forward_and_backward_equal_the_per_sequence_passes():
    rng = np.random.default_rng(3)
    w = random_weights(rng, GRUConfig(units=3, input_dim=2))
    x = rng.normal(size=(4, 5, 2))  # (N, T, D)
    Y = rng.normal(size=(4, 5, 3))  # a target for every state
    tr = batch.forward(w, x)
    per = [backward(run(w, x[n]), "mse_all", Y[n]) for n in range(4)]
    for n in range(4):
        np.testing.assert_allclose(tr.h[n], per[n].trace.h, rtol=0, atol=1e-14)
    # mse_all is mean((h − Y)²) over (T, H): its ∂/∂h, fed to the batched pass, sums the N backward passes
    g = batch.backward(tr, 2.0 * (tr.h - Y) / (5 * 3))
    for name in ("kernel", "recurrent_kernel", "bias"):
        summed = sum(getattr(p, name) for p in per)
        np.testing.assert_allclose(getattr(g, name), summed, rtol=1e-12, atol=1e-14)


def test_training_refuses_a_gru_it_does_not_train():
    w = random_weights(np.random.default_rng(0), GRUConfig(units=2, input_dim=1, reset_after=False))
    with pytest.raises(InputError, match="reset_after=True"):
        batch.forward(w, np.zeros((1, 3, 1)))


def test_readout_and_gru_gradients_equal_central_differences():
    rng = np.random.default_rng(5)
    m = model_lib.initial(2, 2, 1, rng)
    m = m.with_arrays(tuple(a + rng.normal(0, 0.3, a.shape) for a in m.arrays()))  # non-zero biases too
    data = get_task("reset").data(6, 5, seed=1)
    _, grads = model_lib.loss_and_gradients(m, data.x, data.y, data.scored)
    eps = 1e-6
    for i, array in enumerate(m.arrays()):
        for index in np.ndindex(array.shape):
            moved = []
            for sign in (1, -1):
                arrays = [a.copy() for a in m.arrays()]
                arrays[i][index] += sign * eps
                moved.append(model_lib.loss(m.with_arrays(arrays), data.x, data.y, data.scored))
            assert grads[i][index] == pytest.approx((moved[0] - moved[1]) / (2 * eps), rel=1e-5, abs=1e-9)


def _checked_gradients():
    """A model's arrays and their gradients from the pass the tests above check."""
    m = model_lib.initial(3, 1, 1, np.random.default_rng(1))
    data = get_task("parity").data(16, 6, seed=2)
    return m.arrays(), model_lib.loss_and_gradients(m, data.x, data.y, data.scored)[1]


def test_one_sgd_step_is_the_hand_computed_step_and_the_second_adds_momentum():
    arrays, g = _checked_gradients()
    sgd = optim.SGD(lr=0.05, momentum=0.9)
    one, state = sgd.step(arrays, g, sgd.start(arrays))
    for a, gi, new in zip(arrays, g, one):
        assert np.array_equal(new, a - 0.05 * gi)  # θ₁ = θ₀ − η g, exactly
    two, _ = sgd.step(one, g, state)
    for a, gi, new in zip(one, g, two):
        np.testing.assert_allclose(new, a - 0.9 * 0.05 * gi - 0.05 * gi, rtol=1e-15, atol=1e-17)


def _torch_steps(torch_optimizer, arrays, grads_per_step):
    """PyTorch's optimizer over the same arrays, fed the same gradient at each step."""
    torch = pytest.importorskip("torch")
    params = [torch.tensor(np.array(a), dtype=torch.float64, requires_grad=True) for a in arrays]
    opt = torch_optimizer(torch, params)
    for grads in grads_per_step:
        for p, g in zip(params, grads):
            p.grad = torch.tensor(np.array(g), dtype=torch.float64)
        opt.step()
    return [p.detach().numpy() for p in params]


def _our_steps(optimizer, arrays, grads_per_step):
    state = optimizer.start(arrays)
    for grads in grads_per_step:
        arrays, state = optimizer.step(arrays, grads, state)
    return arrays


def test_sgd_with_momentum_equals_pytorch_over_three_steps():
    arrays, g = _checked_gradients()
    steps = [tuple(gi * (k + 1) for gi in g) for k in range(3)]
    ours = _our_steps(optim.SGD(lr=0.05, momentum=0.9), arrays, steps)
    theirs = _torch_steps(lambda torch, p: torch.optim.SGD(p, lr=0.05, momentum=0.9), arrays, steps)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-16)


def test_one_adam_step_is_the_published_update_and_equals_pytorch():
    arrays, g = _checked_gradients()
    one = _our_steps(optim.Adam(lr=0.01), arrays, [g])
    for a, gi, new in zip(arrays, g, one):
        # Kingma & Ba, Algorithm 1 at t = 1: m̂ = g, v̂ = g², θ₁ = θ₀ − η g / (|g| + ε)
        np.testing.assert_allclose(new, a - 0.01 * gi / (np.abs(gi) + 1e-8), rtol=1e-14, atol=1e-17)
    steps = [tuple(gi * (k + 1) for gi in g) for k in range(3)]
    ours = _our_steps(optim.Adam(lr=0.01), arrays, steps)
    theirs = _torch_steps(lambda torch, p: torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8),
                          arrays, steps)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_clipping_scales_every_gradient_by_the_same_factor_to_the_norm():
    g = (np.array([3.0]), np.array([[4.0]]))
    clipped = optim.clip(g, 1.0)
    assert optim.global_norm(clipped) == pytest.approx(1.0)
    assert clipped[0][0] / clipped[1][0, 0] == pytest.approx(0.75)
    assert optim.clip(g, 10.0) is g


def test_tasks_are_seeded_and_their_length_adjustable():
    for task in TASKS.values():
        a, b = task.data(20, 7, seed=4), task.data(20, 7, seed=4)
        assert np.array_equal(a.x, b.x) and np.array_equal(a.y, b.y)
        assert not np.array_equal(a.x, task.data(20, 7, seed=5).x)
        assert a.x.shape == (20, 7, task.input_dim) and a.y.shape[:2] == (20, 7) and a.scored.shape == (7,)
        assert task.story
    with pytest.raises(InputError, match="at least 3 steps"):
        get_task("delay").data(5, 2, seed=0)
    with pytest.raises(InputError, match="choose one of"):
        get_task("sorting")


def test_task_targets_are_what_the_stories_say():
    d = get_task("parity").data(1, 4, seed=0)
    bits = d.x[0, :, 0]
    assert list(d.y[0, :, 0]) == [1.0 if bits[: t + 1].sum() % 2 else -1.0 for t in range(4)]
    d = get_task("reset").data(50, 6, seed=0)
    n, t = np.argwhere(d.x[:, :, 1] == 1)[0]
    assert d.y[n, t, 0] == 0  # a token forgets everything
    d = get_task("delay").data(3, 6, seed=0)
    assert np.array_equal(d.y[:, 2:, 0], d.x[:, :4, 0]) and not d.scored[:2].any()


# Epochs each task needs with seed 0 (measured: several times fewer than these reach the target).
EPOCHS = {"remember_first": 30, "count": 20, "parity": 80, "delay": 40, "reset": 30}


@pytest.mark.parametrize("name", sorted(TASKS))
def test_each_task_learns_to_a_tenth_of_its_untrained_loss_and_its_accuracy(name):
    snapshots = list(fit(TrainConfig(task=name, epochs=EPOCHS[name], seed=0)))
    assert [s.epoch for s in snapshots] == list(range(EPOCHS[name] + 1))
    first, last = snapshots[0], snapshots[-1]
    assert last.loss <= first.loss / 10, (first.loss, last.loss)
    assert last.accuracy >= get_task(name).target_accuracy > first.accuracy
    assert last.grad_norms.kernel > 0 and np.isfinite(last.grad_norms.recurrent_kernel)


def test_full_batch_sgd_lowers_the_loss_too():
    snapshots = list(fit(TrainConfig(task="count", epochs=30, optimizer="sgd", lr=0.5, batch_size=None)))
    assert snapshots[-1].loss < snapshots[0].loss / 10


def test_training_refuses_what_it_cannot_do_in_words():
    for config, words in ((TrainConfig(task="count", units=9), "units must be between 1 and 8"),
                          (TrainConfig(task="count", optimizer="rmsprop"), "adam or sgd"),
                          (TrainConfig(task="count", lr=-1.0), "learning rate"),
                          (TrainConfig(task="count", epochs=0), "epochs")):
        with pytest.raises(InputError, match=words):
            next(fit(config))


def _cli(capsys, *args, status=0, command="train"):
    """`python -m gruviz train ARGS` in this process: its JSON, or its one line on stderr."""
    from gruviz.cli import main

    try:
        code = main([command, *args])
    except SystemExit as exit:  # argparse's refusals leave this way
        code = exit.code
    assert code == status
    out, err = capsys.readouterr()
    return json.loads(out) if status == 0 else err


def _keras_loss(weights: dict, evals: dict) -> float:
    """The loss of a real keras.layers.GRU + keras.layers.Dense holding these weights,
    by Keras's own MeanSquaredError over the scored steps."""
    from gruviz.io.keras_bridge import keras_module

    keras = keras_module()
    cfg = weights["config"]
    x, y, scored = np.array(evals["x"]), np.array(evals["y"]), np.array(evals["scored"])
    gru = keras.layers.GRU(cfg["units"], return_sequences=True, reset_after=cfg["reset_after"],
                           dtype="float64")
    dense = keras.layers.Dense(len(weights["dense_bias"]), dtype="float64")
    net = keras.Sequential([keras.Input(x.shape[1:], dtype="float64"), gru, dense])
    gru.set_weights([np.array(weights[k]) for k in ("kernel", "recurrent_kernel", "bias")])
    dense.set_weights([np.array(weights["dense_kernel"]), np.array(weights["dense_bias"])])
    prediction = np.asarray(net(x))  # (N, T, K)
    loss = keras.losses.MeanSquaredError()(y[:, scored], prediction[:, scored])
    return float(np.asarray(loss))


@pytest.mark.parametrize("name", ["reset", "remember_first"])
def test_cli_final_loss_equals_a_real_keras_gru_and_dense_on_its_eval_data(name, tmp_path, capsys):
    out = tmp_path / "trained.json"
    result = _cli(capsys, "--task", name, "--units", "3", "--length", "6", "--epochs", "4", "--seed", "2",
                  "--out", str(out))
    assert result["task"] == name and len(result["loss"]) == 4 and result["final_loss"] == result["loss"][-1]
    assert json.loads(out.read_text()) == result["weights"]
    assert np.array(result["eval"]["x"]).shape == (128, 6, get_task(name).input_dim)
    assert result["final_loss"] == pytest.approx(_keras_loss(result["weights"], result["eval"]), rel=1e-5)
    assert result["untrained_loss"] != pytest.approx(result["final_loss"], rel=1e-3)  # it did train


def test_cli_trained_weights_load_as_a_gruviz_weights_file(tmp_path, capsys):
    out = tmp_path / "w.json"
    _cli(capsys, "--task", "count", "--epochs", "1", "--optimizer", "sgd", "--full-batch", "--out", str(out))
    assert len(_cli(capsys, str(out), "--sequence", "1,0,1", command="trace")["steps"]) == 3


def test_cli_refuses_a_run_over_the_limits_in_one_line(capsys):
    message = _cli(capsys, "--task", "parity", "--units", "9", status=2)
    assert message.startswith("gruviz: units must be between 1 and 8") and message.count("\n") == 1
    negative = _cli(capsys, "--task", "parity", "--lr", "-0.1", status=2)
    assert "learning rate must be a number above 0" in negative
    assert "invalid choice: 'sorting'" in _cli(capsys, "--task", "sorting", status=2)


def test_gate_sentences_say_what_the_numbers_show():
    from gruviz.train.describe import gate_sentence

    before = np.full((5, 2), 0.5)
    after = np.column_stack([np.full(5, 0.5), [0.3, 0.97, 0.98, 0.99, 0.97]])  # unit 2 keeps after step 1
    sentence = gate_sentence("z", before, after)
    assert sentence.startswith("In unit 2, z now stays near 1 (on average 0.98) after step 1")
    assert sentence.endswith("it keeps its state.") and "before training it stayed around 0.50" in sentence
    swing = np.array([[0.5], [0.9], [0.05], [0.9]])
    assert gate_sentence("r", swing, swing).startswith(
        "R still swings between 0.05 (step 3) and 0.90 (step 2)")


def _train_page():
    import streamlit as st

    from gruviz.io.parsing import parse_sequence
    from gruviz.math.trace import run
    from gruviz.ui.views import results, train_view
    from gruviz.ui.kit import state

    state.init()
    train_view.render()
    weights = state.weights()
    results.magnifier(run(weights, parse_sequence(st.session_state.seq_text, weights.config.input_dim)))


def _page():
    from streamlit.testing.v1 import AppTest

    return AppTest.from_function(_train_page, default_timeout=60).run()


def _finish(app, task: str, epochs: int, stop: bool = False):
    app.selectbox(key="train_task").set_value(task)
    app.number_input(key="train_epochs").set_value(epochs)
    app.button(key="train_start").click().run()
    job = app.session_state["train_job"]
    if stop:
        app.button(key="train_stop").click().run()
    job.thread.join(60)
    assert job.done and not job.thread.is_alive()
    return job, app.run()


def test_app_scrubbing_with_follow_on_puts_that_epochs_numbers_in_the_magnifier():
    app = _page()
    job, app = _finish(app, "reset", 6)
    assert not app.exception and len(job.snapshots) == 7
    app.toggle(key="train_follow").set_value(True).run()
    shown = {}
    for epoch in (1, 6):
        app.slider(key="train_epoch").set_value(epoch).run()
        assert not app.exception
        assert np.array_equal(app.session_state["weights"].kernel, job.snapshots[epoch].model.gru.kernel)
        shown[epoch] = [line.value for line in app.latex]
    assert shown[1] != shown[6]  # the magnifier's equations carry each epoch's numbers
    example = job.evals.x[0]
    assert app.session_state["seq_text"].startswith(f"{example[0, 0]:.6g} {example[0, 1]:.6g};")
    assert any("unit" in m.value and " z " in m.value for m in app.markdown)  # the before/after sentence
    job, app = _finish(app, "reset", 2)  # a shorter run after it: the scrubber starts at its end
    assert not app.exception and app.slider(key="train_epoch").value == 2


def test_app_stop_ends_a_long_run_early_and_the_page_says_so():
    app = _page()
    job, app = _finish(app, "parity", 400, stop=True)
    assert job.stop.is_set() and len(job.snapshots) < 401
    assert not app.exception
    assert any(c.value.startswith(("Stopped after", "The run was stopped")) for c in app.caption)
    assert not app.button(key="train_start").disabled


def test_training_clips_each_step_to_the_clipping_norm():
    config = TrainConfig(task="parity", epochs=1, optimizer="sgd", lr=0.1, batch_size=None, clip_norm=1e-3)
    before, after = fit(config)
    moved = [a - b for a, b in zip(after.model.arrays(), before.model.arrays())]
    assert before.grad_norms.kernel > 1e-2  # so the clip is what bounds this step
    assert optim.global_norm(moved) == pytest.approx(0.1 * 1e-3, rel=1e-9)  # one step of η·c


def test_app_a_run_waits_for_the_servers_trainer_says_so_and_can_be_stopped():
    from gruviz.ui.views import train_view

    assert train_view._TRAINERS.acquire(timeout=60)  # another session is training
    try:
        app = _page()
        app.button(key="train_start").click().run()
        job = app.session_state["train_job"]
        assert job.waiting and any("Waiting for a free trainer" in i.value for i in app.info)
        app.button(key="train_stop").click().run()
        job.thread.join(10)
        assert job.done and not job.snapshots
        assert any(c.value == "The run was stopped before its first epoch." for c in app.run().caption)
    finally:
        train_view._TRAINERS.release()


def test_app_a_run_past_the_time_limit_stops_and_says_why(monkeypatch):
    from dataclasses import replace

    from gruviz.ui.views import train_view

    monkeypatch.setattr(train_view, "TRAIN_APP", replace(train_view.TRAIN_APP, max_seconds=0.0))
    job, app = _finish(_page(), "count", 50)
    assert job.out_of_time and len(job.snapshots) == 1
    assert any(c.value.startswith("Stopped at the 0 s limit after 0 epochs") for c in app.caption)
