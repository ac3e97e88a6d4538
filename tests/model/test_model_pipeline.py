"""Whole models: random small architectures built and saved by real Keras, read back by
gruviz as data, must print what Keras's model.predict prints; counts equal count_params()."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import cli_run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
keras = pytest.importorskip("keras")
Lk = keras.layers

from gruviz.errors import InputError  # noqa: E402
from gruviz.model.counts import count  # noqa: E402
from gruviz.model.files import read_model  # noqa: E402
from gruviz.model.pipeline import run  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
RTOL, ATOL = 1e-5, 1e-6  # float32 Keras against float64 gruviz
SEEDS = range(13)
FORMATS = (".keras", ".h5", ".weights.h5")
worst = {"abs": 0.0}


def _rnn(rng, kind, units, return_sequences, backwards_allowed=True):
    options = dict(return_sequences=return_sequences, go_backwards=backwards_allowed and bool(rng.random() < 0.25),
                   activation=str(rng.choice(["tanh", "tanh", "relu", "softsign"])),
                   recurrent_activation=str(rng.choice(["sigmoid", "sigmoid", "hard_sigmoid"])),
                   use_bias=bool(rng.random() < 0.85))
    if kind == "GRU":
        options["reset_after"] = bool(rng.random() < 0.6)
    return getattr(Lk, kind)(units, **options)


def random_model(seed: int):
    """A random small chain: an input stage, one to three recurrent layers, a head."""
    rng = np.random.default_rng(seed)
    T, D = int(rng.integers(3, 7)), int(rng.integers(1, 4))
    front = rng.choice(["embedding", "masking", "plain"])
    layers, takes_ids = [], front == "embedding"
    if takes_ids:
        vocabulary = int(rng.integers(5, 12))
        layers += [Lk.Input((None,), dtype="int32"),
                   Lk.Embedding(vocabulary, int(rng.integers(2, 5)), mask_zero=bool(rng.random() < 0.7))]
        x = rng.integers(1, vocabulary, size=T)
        x[rng.integers(T // 2, T):] = 0 if rng.random() < 0.7 else x[-1]  # padding at the end
    else:
        fixed = rng.random() < 0.3
        layers.append(Lk.Input((T if fixed else None, D)))
        x = rng.normal(size=(T, D))
        if front == "masking":
            layers.append(Lk.Masking(0.0))
            x[rng.integers(1, T)] = 0.0
            x[-1] = 0.0
    if rng.random() < 0.3:
        layers.append(getattr(Lk, str(rng.choice(["Dropout", "SpatialDropout1D", "GaussianNoise"])))(0.3))
    depth = int(rng.integers(1, 4))
    head = rng.choice(["last", "average", "max", "timedistributed", "flatten"])
    for i in range(depth):
        kind = "LSTM" if rng.random() < 0.2 else "GRU"
        units = int(rng.integers(1, 5))
        sequences = i < depth - 1 or head != "last"
        if rng.random() < 0.45:
            merge = str(rng.choice(["concat", "sum", "mul", "ave"]))
            layers.append(Lk.Bidirectional(_rnn(rng, kind, units, sequences, False), merge_mode=merge))
        else:
            layers.append(_rnn(rng, kind, units, sequences))
    if head == "average":
        layers.append(Lk.GlobalAveragePooling1D())
    elif head == "max":
        layers.append(Lk.GlobalMaxPooling1D())
    elif head == "timedistributed":
        layers.append(Lk.TimeDistributed(Lk.Dense(int(rng.integers(1, 4)), activation="tanh")))
    elif head == "flatten":
        layers.append(Lk.Flatten() if layers[0].shape[1] is not None else Lk.GlobalAveragePooling1D())
    if rng.random() < 0.3:
        layers.append(Lk.Activation(str(rng.choice(["relu", "sigmoid", "tanh"]))))
    activation = str(rng.choice(["softmax", "linear", "sigmoid", "relu"]))
    layers.append(Lk.Dense(int(rng.integers(1, 4)), activation=activation, use_bias=bool(rng.random() < 0.9)))
    keras.utils.set_random_seed(seed)
    if rng.random() < 0.3:  # the same chain as a Functional model
        inputs = layers[0]
        y = inputs
        for layer in layers[1:]:
            y = layer(y)
        model = keras.Model(inputs, y)
    else:
        model = keras.Sequential(layers)
    for layer in model.layers:  # random biases, so a dropped bias shows
        layer.set_weights([w + rng.normal(scale=0.3, size=w.shape) for w in layer.get_weights()])
    return model, (x.astype(np.int64) if takes_ids else x.astype(np.float32))


def save(model, folder: Path, suffix: str) -> tuple[bytes, str, str | None]:
    path = folder / f"model{suffix}"
    if suffix == ".weights.h5":
        model.save_weights(path)
        return path.read_bytes(), path.name, model.to_json()
    model.save(path)
    return path.read_bytes(), path.name, None


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    cases = []
    for seed in SEEDS:
        model, x = random_model(seed)
        folder = tmp_path_factory.mktemp(f"m{seed}")
        data, name, config = save(model, folder, FORMATS[seed % 3])
        expected = np.asarray(model.predict(x[None], verbose=0), np.float64)[0]
        counts = [layer.count_params() for layer in model.layers if not isinstance(layer, Lk.InputLayer)]
        cases.append((seed, model, x, expected, counts, data, name, config, read_model(data, name, config)))
    return cases


def test_random_models_match_keras_predict(built):
    for seed, model, x, expected, _, data, name, config, gruviz_model in built:
        ours = run(gruviz_model, x).output
        arch = " → ".join(type(layer).__name__ for layer in model.layers)
        np.testing.assert_allclose(ours, expected, rtol=RTOL, atol=ATOL, err_msg=f"seed {seed}: {arch} ({name})")
        worst["abs"] = max(worst["abs"], float(np.max(np.abs(ours - expected))))
    print(f"\n{len(built)} architectures, worst |gruviz - keras| = {worst['abs']:.2e}")


def test_every_layer_output_matches_keras(built):
    """Not only the end: each layer's output agrees with a Keras model cut after that layer."""
    seed, model, x, _, _, data, name, config, gruviz_model = built[3]
    steps = run(gruviz_model, x).steps[1:]  # after the InputLayer
    for step in steps:
        cut = keras.Model(model.inputs, model.get_layer(step.layer.name).output)
        theirs = np.asarray(cut.predict(x[None], verbose=0), np.float64)[0]
        np.testing.assert_allclose(step.output, theirs, rtol=RTOL, atol=ATOL, err_msg=step.layer.name)


def test_parameter_counts_equal_count_params(built):
    for seed, _, x, _, counts, data, name, config, gruviz_model in built:
        layers = [layer for layer in gruviz_model.layers if type(layer).__name__ != "InputLayer"]
        assert [count(layer, len(x)).params for layer in layers] == counts, f"seed {seed}"


def test_time_distributed_count_against_a_dense_per_step():
    T, D, out = 7, 5, 3
    model = keras.Sequential([Lk.Input((T, D)), Lk.TimeDistributed(Lk.Dense(out))])
    per_step = keras.Sequential([Lk.Input((D,)), Lk.Dense(out)]).count_params() * T
    with_path = Path(os.environ.get("TMPDIR", "/tmp")) / "gruviz-td.keras"
    model.save(with_path)
    [_, td] = read_model(with_path.read_bytes(), with_path.name).layers
    c = count(td, T)
    assert c.params == model.count_params() == (D + 1) * out
    assert f"= {per_step}" in c.note and c.filled == f"({D} + 1)·{out} = {(D + 1) * out}"


def test_gru_formula_filled_in():
    model = keras.Sequential([Lk.Input((None, 4)), Lk.GRU(3, return_sequences=True), Lk.GRU(2, reset_after=False)])
    path = Path(os.environ.get("TMPDIR", "/tmp")) / "gruviz-formula.keras"
    model.save(path)
    _, a, b = read_model(path.read_bytes(), path.name).layers
    assert count(a).filled == "3·(4·3 + 3·3 + 3) + 3·3 = 81" == f"3·(4·3 + 3·3 + 3) + 3·3 = {model.layers[0].count_params()}"
    assert count(b).filled == f"3·(3·2 + 2·2 + 2) = {model.layers[1].count_params()}"


# --- refusals: nothing in the file runs ---------------------------------------------------

CANARY = Path(os.environ.get("TMPDIR", "/tmp")) / f"gruviz-model-canary-{os.getpid()}"
ARMED = {"on": False}


@keras.saving.register_keras_serializable(package="gruviz_test")
class Shouter(Lk.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if ARMED["on"]:
            CANARY.write_text("ran")

    def call(self, x):
        return x


def _refused(model, tmp_path, suffix=".keras") -> str:
    path = tmp_path / f"hostile{suffix}"
    model.save(path)
    ARMED["on"] = True
    try:
        with pytest.raises(InputError) as caught:
            read_model(path.read_bytes(), path.name)
    finally:
        ARMED["on"] = False
    assert not CANARY.exists()
    return str(caught.value)


def test_custom_layer_is_refused_by_name_without_running(tmp_path):
    model = keras.Sequential([Lk.Input((None, 2)), Shouter(name="shouter"), Lk.GRU(2)])
    message = _refused(model, tmp_path)
    assert "'shouter'" in message and "Shouter" in message and "GRU" in message and "Bidirectional(GRU)" in message


def test_lambda_is_refused_without_running(tmp_path):
    command = f"open({str(CANARY)!r}, 'w').write('ran')"
    model = keras.Sequential([Lk.Input((None, 2)), Lk.Lambda(lambda x: x + 0 * len(command)), Lk.GRU(2)])
    for suffix in (".keras", ".h5"):
        assert "Lambda" in _refused(model, tmp_path, suffix)


def test_conv1d_is_refused_with_the_supported_list(tmp_path):
    model = keras.Sequential([Lk.Input((5, 2)), Lk.Conv1D(3, 2), Lk.GRU(2)])
    message = _refused(model, tmp_path, ".h5")
    assert "Conv1D" in message and "TimeDistributed(Dense)" in message


def test_weights_file_without_config_asks_for_it(tmp_path):
    model = keras.Sequential([Lk.Input((None, 2)), Lk.GRU(2)])
    data, name, _ = save(model, tmp_path, ".weights.h5")
    with pytest.raises(InputError, match="--config"):
        read_model(data, name)


def test_branching_functional_model_is_refused(tmp_path):
    inputs = keras.Input((None, 2))
    a, b = Lk.GRU(2)(inputs), Lk.GRU(2)(inputs)
    model = keras.Model(inputs, Lk.Concatenate()([a, b]))
    assert "chain" in _refused(model, tmp_path)


# --- the CLI and the Keras rebuild ---------------------------------------------------------


def _cli(*args) -> subprocess.CompletedProcess:
    return cli_run.gruviz("model", *map(str, args), cwd=ROOT)


def _sequence(x: np.ndarray) -> str:
    return json.dumps(x.tolist())


def test_cli_prints_every_layer_and_the_output_of_predict(built):
    for seed, model, x, expected, counts, data, name, config, _ in built[1:3]:
        folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"gruviz-cli-{os.getpid()}-{seed}"
        folder.mkdir(exist_ok=True)
        (folder / name).write_bytes(data)
        extra = []
        if config is not None:
            (folder / "model_config.json").write_text(config)
            extra = ["--config", folder / "model_config.json"]
        done = _cli(folder / name, "--sequence", _sequence(x), *extra)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        np.testing.assert_allclose(result["output"], expected, rtol=RTOL, atol=ATOL)
        body = [layer for layer in result["layers"] if layer["class"] != "InputLayer"]
        assert [layer["params"] for layer in body] == counts
        assert [layer["name"] for layer in body] == [layer.name for layer in model.layers
                                                     if not isinstance(layer, Lk.InputLayer)]
        for layer in body:
            if layer["class"] in ("GRU", "LSTM"):
                assert len(layer["trace"]["steps"]) == len(x)


def test_cli_keras_rebuild_agrees(built):
    seed, model, x, expected, _, data, name, config, _ = next(case for case in built if case[7] is None)
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"gruviz-cli-keras-{os.getpid()}-{name}"
    path.write_bytes(data)
    done = _cli(path, "--sequence", _sequence(x), "--keras")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    np.testing.assert_allclose(result["keras_output"], expected, rtol=RTOL, atol=ATOL)
    assert result["max_abs_diff"] <= 1e-5


def test_rebuilt_models_predict_what_the_saved_ones_do(built):
    from gruviz.model.compare import keras_predict

    for seed, model, x, expected, _, _, _, _, gruviz_model in built:
        np.testing.assert_allclose(keras_predict(gruviz_model, x), expected, rtol=1e-6, atol=1e-7,
                                   err_msg=f"seed {seed}")


def test_cli_refusals_are_one_line(tmp_path):
    model = keras.Sequential([Lk.Input((None,), dtype="int32"), Lk.Embedding(5, 2), Lk.GRU(2)])
    path = tmp_path / "ids.keras"
    model.save(path)
    done = _cli(path, "--sequence", "1,2.5")
    assert done.returncode == 2 and "token ids" in done.stderr and "Traceback" not in done.stderr
    done = _cli(path, "--sequence", "1,7")
    assert done.returncode == 2 and "outside the Embedding's 5 rows" in done.stderr


# --- the detective: whole-model mistakes planted with real Keras ------------------------------


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    ops = keras.ops
    keras.utils.set_random_seed(7)
    emb, bi = Lk.Embedding(8, 3), Lk.Bidirectional(Lk.GRU(3, return_sequences=True), merge_mode="concat")
    gru, pool, head = Lk.GRU(2, return_sequences=True), Lk.GlobalAveragePooling1D(), Lk.Dense(2, activation="softmax")
    inputs = keras.Input((None,), dtype="int32")
    model = keras.Model(inputs, head(pool(gru(bi(emb(inputs))))))
    for layer in model.layers:
        layer.set_weights([w + np.random.default_rng(1).normal(scale=0.4, size=w.shape) for w in layer.get_weights()])
    ids = np.array([3, 1, 4, 1, 5])

    def predict(outputs, x=ids):
        return np.asarray(keras.Model(inputs, outputs).predict(x[None], verbose=0), np.float64)[0]

    seq = gru(bi(emb(inputs)))
    f, b = bi.forward_layer(emb(inputs)), ops.flip(bi.backward_layer(emb(inputs)), axis=1)
    claims = {
        None: predict(model.outputs[0]),
        "head_forgotten": predict(seq)[-1],
        "first_step_pooled": predict(head(ops.take(seq, 0, axis=1))),
        "last_step_instead_of_pooling": predict(head(ops.take(seq, -1, axis=1))),
        "bidirectional_order_swapped": predict(head(pool(gru(ops.concatenate([b, f], axis=-1))))),
        "backward_not_flipped": predict(head(pool(gru(ops.concatenate([f, ops.flip(b, axis=1)], axis=-1))))),
        "embedding_off_by_one": predict(model.outputs[0], ids + 1),
    }
    path = tmp_path_factory.mktemp("planted") / "planted.keras"
    model.save(path)
    return run(read_model(path.read_bytes(), path.name), ids), claims


def test_detective_names_each_planted_whole_model_mistake(planted):
    from gruviz.model.mistakes import diagnose_model

    result, claims = planted
    for mistake, claim in claims.items():
        diagnosis = diagnose_model(result, ", ".join(f"{v:.7g}" for v in claim))
        if mistake is None:
            assert diagnosis.matches
            continue
        assert not diagnosis.matches, mistake
        assert mistake in [e.mistake for e in diagnosis.explanations], (mistake, diagnosis.explanations)


def test_detective_return_sequences_confused(tmp_path):
    from gruviz.model.mistakes import diagnose_model

    keras.utils.set_random_seed(3)
    model = keras.Sequential([Lk.Input((None, 2)), Lk.GRU(3, return_sequences=True), Lk.GRU(2)])
    x = np.random.default_rng(0).normal(size=(4, 2)).astype(np.float32)
    confused = keras.Sequential([Lk.Input((None, 2)), Lk.GRU(3, return_sequences=True),
                                 Lk.GRU(2, return_sequences=True)])
    confused.set_weights(model.get_weights())
    claim = np.asarray(confused.predict(x[None], verbose=0), np.float64)[0]
    path = tmp_path / "stack.keras"
    model.save(path)
    diagnosis = diagnose_model(run(read_model(path.read_bytes(), path.name), x),
                               json.dumps([[float(f"{v:.7g}") for v in row] for row in claim]))
    assert not diagnosis.matches
    assert "return_sequences_confused" in [e.mistake for e in diagnosis.explanations]
