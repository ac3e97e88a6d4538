"""CuDNNGRU, Flax (nnx and linen) and Equinox layouts against loops transcribed from
their published source, and against a real keras.layers.GRU and torch.nn.GRU.

JAX (~620 MB with jaxlib) is not installed for `make test`, so Flax and Equinox are
checked against these transcriptions, not the packages; their snippets are compiled."""

import json

import numpy as np
import pytest

from gruviz import GRUConfig, GRUWeights
from gruviz import layouts as L
from gruviz.io import weights_file
from gruviz.layouts.base import LayoutConfig


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def keras_weights(rng, H, D, reset_after=True, hh_zero=False):
    bias = rng.normal(size=(2, 3 * H) if reset_after else (3 * H,))
    if hh_zero:
        bias[1, 2 * H:] = 0
    return GRUWeights.create(GRUConfig(H, D, reset_after=reset_after), rng.normal(size=(D, 3 * H)),
                             rng.normal(size=(H, 3 * H)), bias)


def flax_nnx_reference(p, x, h):
    """flax/nnx/nn/recurrent.py GRUCell.__call__: dense_i with bias, dense_h without."""
    out = []
    for x_t in x:
        xi_r, xi_z, xi_n = np.split(x_t @ p["dense_i/kernel"] + p["dense_i/bias"], 3)
        hh_r, hh_z, hh_n = np.split(h @ p["dense_h/kernel"], 3)
        r, z = sigmoid(xi_r + hh_r), sigmoid(xi_z + hh_z)
        n = np.tanh(xi_n + r * hh_n)
        h = (1.0 - z) * n + z * h
        out.append(h)
    return np.array(out)


def flax_linen_reference(p, x, h):
    """flax/linen/recurrent.py GRUCell: ir/iz/in with bias, hr/hz without, hn with (use_bias=True)."""
    dense = lambda name, v: v @ p[f"{name}/kernel"] + p.get(f"{name}/bias", 0)  # noqa: E731
    out = []
    for x_t in x:
        r = sigmoid(dense("ir", x_t) + dense("hr", h))
        z = sigmoid(dense("iz", x_t) + dense("hz", h))
        n = np.tanh(dense("in", x_t) + r * dense("hn", h))
        h = (1.0 - z) * n + z * h
        out.append(h)
    return np.array(out)


def equinox_reference(p, x, h):
    """equinox/nn/_rnn.py GRUCell.__call__."""
    bias, bias_n = p.get("bias", 0), p.get("bias_n", 0)
    out = []
    for x_t in x:
        igates = np.split(p["weight_ih"] @ x_t + bias, 3)
        hgates = np.split(p["weight_hh"] @ h, 3)
        reset = sigmoid(igates[0] + hgates[0])
        inp = sigmoid(igates[1] + hgates[1])
        new = np.tanh(igates[2] + reset * (hgates[2] + bias_n))
        h = new + inp * (h - new)
        out.append(h)
    return np.array(out)


def cudnn_reference(p, x, h, H, D):
    """cuDNN's GRU on Keras 2 CuDNNGRU's arrays: each kernel block flattened in C order is the
    (H, D) matrix W acting on x, each recurrent block the matrix R acting on h."""
    W = [k.reshape(H, D) for k in np.hsplit(p["kernel"], 3)]
    R = np.hsplit(p["recurrent_kernel"], 3)
    bx, bh = np.split(p["bias"], 2)
    bxz, bxr, bxh = np.split(bx, 3)
    bhz, bhr, bhh = np.split(bh, 3)
    out = []
    for x_t in x:
        z = sigmoid(W[0] @ x_t + bxz + R[0] @ h + bhz)
        r = sigmoid(W[1] @ x_t + bxr + R[1] @ h + bhr)
        h_tilde = np.tanh(W[2] @ x_t + bxh + r * (R[2] @ h + bhh))
        h = z * h + (1 - z) * h_tilde
        out.append(h)
    return np.array(out)


def keras2_convert_gru_weights(kernel, recurrent, bias):
    """Keras 2's hdf5 loading, `_convert_rnn_weights` for CuDNNGRU → GRU, transcribed."""
    transpose_input = lambda k: k.T.reshape(k.shape, order="F")  # noqa: E731
    kernels = np.hstack([transpose_input(k) for k in np.hsplit(kernel, 3)])
    recurrent_kernels = np.hstack([k.T for k in np.hsplit(recurrent, 3)])
    return kernels, recurrent_kernels, np.array(bias).reshape((2, -1))


@pytest.mark.parametrize("H,D", [(1, 1), (2, 3), (4, 2)])
def test_layouts_compute_what_their_sources_compute(H, D):
    rng = np.random.default_rng(H * 10 + D)
    w = keras_weights(rng, H, D, hh_zero=False)
    x, h0 = rng.normal(size=(6, D)), rng.normal(size=H)
    truth = L.run_layout(w, x, h0).sequence_output
    cudnn = L.convert(w, "cudnngru").weights
    np.testing.assert_allclose(cudnn_reference(cudnn.arrays(), x, h0, H, D), truth, atol=1e-12)
    for got, want in zip(keras2_convert_gru_weights(cudnn.kernel, cudnn.recurrent_kernel, cudnn.bias),
                         w.keras_arrays()):
        np.testing.assert_array_equal(got, want)
    linen = L.convert(w, "flax_linen").weights
    np.testing.assert_allclose(flax_linen_reference(linen.arrays(), x, h0), truth, atol=1e-12)
    eqx = L.convert(w, "equinox").weights
    np.testing.assert_allclose(equinox_reference(eqx.arrays(), x, h0), truth, atol=1e-12)
    nnx_ready = keras_weights(np.random.default_rng(H), H, D, hh_zero=True)
    nnx = L.convert(nnx_ready, "flax").weights
    np.testing.assert_allclose(flax_nnx_reference(nnx.arrays(), x, h0),
                               L.run_layout(nnx_ready, x, h0).sequence_output, atol=1e-12)


def test_layouts_read_back_to_the_same_keras_weights():
    rng = np.random.default_rng(5)
    w = keras_weights(rng, 3, 2, hh_zero=True)
    for name in ("cudnngru", "flax", "flax_linen", "equinox", "onnx"):
        layout = L.convert(w, name).weights
        back = L.to_keras(layout)[0]
        np.testing.assert_allclose(back.kernel, w.kernel, atol=0)
        np.testing.assert_allclose(back.recurrent_kernel, w.recurrent_kernel, atol=0)
        x = rng.normal(size=(5, 2))
        assert np.abs(L.run_layout(back, x).sequence_output - L.run_layout(w, x).sequence_output).max() <= 1e-14
        data = json.loads(weights_file.dumps_any(layout))
        assert data["layout"] == name
        again = weights_file.loads_any(json.dumps(data))
        for key, array in layout.arrays().items():
            np.testing.assert_array_equal(again.arrays()[key], array)


def test_flax_nnx_refuses_a_candidate_recurrent_bias_naming_it():
    w = keras_weights(np.random.default_rng(6), 2, 2)
    with pytest.raises(L.ConversionRefused, match=r"bʰₕ = bias\[1, 4:6\] = \[.*\]"):
        L.convert(w, "flax")
    torch_like = L.convert(w, "pytorch").weights
    with pytest.raises(L.ConversionRefused, match="Flax nnx.GRUCell has no bias inside the reset"):
        L.convert(torch_like, "flax")
    assert L.convert(torch_like, "flax_linen").weights.hn_bias.shape == (2,)  # linen's hn has a bias


def test_equinox_without_bias_and_half_biases_are_refused():
    rng = np.random.default_rng(7)
    cfg = LayoutConfig(2, 1)
    cell = L.EquinoxGRU(cfg, rng.normal(size=(6, 1)), rng.normal(size=(6, 2)))
    x = rng.normal(size=(4, 1))
    np.testing.assert_allclose(L.run_layout(cell, x).sequence_output,
                               equinox_reference(cell.arrays(), x, np.zeros(2)), atol=1e-12)
    with pytest.raises(Exception, match="bias and bias_n"):
        L.EquinoxGRU(cfg, rng.normal(size=(6, 1)), rng.normal(size=(6, 2)), rng.normal(size=6))


def test_cudnngru_converts_to_a_real_keras_gru():
    from gruviz.io.keras_bridge import run_keras

    rng = np.random.default_rng(8)
    H, D = 3, 2
    cudnn = L.CuDNNGRU(LayoutConfig(H, D), rng.normal(size=(D, 3 * H)), rng.normal(size=(H, 3 * H)),
                       rng.normal(size=6 * H))
    x, h0 = rng.normal(size=(5, D)), rng.normal(size=H)
    keras_gru = L.convert(cudnn, "keras").weights
    assert keras_gru.config.reset_after
    got = run_keras(keras_gru, x, h0, False, None).sequence_output
    np.testing.assert_allclose(got, cudnn_reference(cudnn.arrays(), x, h0, H, D), atol=1e-5)


def test_equinox_and_linen_convert_to_a_real_torch_gru():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    cfg = LayoutConfig(3, 2)
    cell = L.EquinoxGRU(cfg, rng.normal(size=(9, 2)), rng.normal(size=(9, 3)), rng.normal(size=9),
                        rng.normal(size=3))
    x = rng.normal(size=(5, 2))
    pt = L.convert(cell, "pytorch").weights
    gru = torch.nn.GRU(2, 3, batch_first=True, dtype=torch.float64)
    gru.load_state_dict({k: torch.tensor(v) for k, v in pt.arrays().items()})
    with torch.no_grad():
        out = gru(torch.tensor(x[None]))[0][0].numpy()
    np.testing.assert_allclose(out, equinox_reference(cell.arrays(), x, np.zeros(3)), atol=1e-12)
    linen = L.convert(pt, "flax_linen").weights
    np.testing.assert_allclose(out, flax_linen_reference(linen.arrays(), x, np.zeros(3)), atol=1e-12)


def test_snippets_load_these_arrays():
    rng = np.random.default_rng(10)
    w = keras_weights(rng, 2, 2, hh_zero=True)
    x, h0 = rng.normal(size=(4, 2)), rng.normal(size=2)
    truth = L.run_layout(w, x, h0).output
    cudnn = L.snippet(L.convert(w, "cudnngru").weights, x, h0).code
    namespace = {}
    exec(cudnn.replace("print(output)", ""), namespace)
    np.testing.assert_allclose(namespace["output"], truth, atol=1e-12)
    for name, marker in (("flax", "nnx.GRUCell"), ("flax_linen", "nn.GRUCell"), ("equinox", "eqx.nn.GRUCell")):
        code = L.snippet(L.convert(w, name).weights, x, h0).code
        assert marker in code
        compile(code, name, "exec")  # JAX is not installed here: the code is checked to be Python


def test_cudnngru_reads_raw_legacy_arrays():
    rng = np.random.default_rng(11)
    H, D = 2, 3
    kernel, recurrent, bias = rng.normal(size=(D, 3 * H)), rng.normal(size=(H, 3 * H)), rng.normal(size=6 * H)
    w = L.cudnn_gru_weights(kernel, recurrent, bias)
    for got, want in zip(w.keras_arrays(), keras2_convert_gru_weights(kernel, recurrent, bias)):
        np.testing.assert_array_equal(got, want)
