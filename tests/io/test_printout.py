"""Pasted `print(layer.get_weights())` text, made here by a real keras.layers.GRU, reads back
as that layer's own arrays: every value, not just the shapes."""

import contextlib
import io
import itertools
import json

import numpy as np
import pytest

from gruviz import GRUWeights, InputError
from gruviz.io.parsing import parse_keras_printout

keras = pytest.importorskip("keras")

# numpy prints a float32 as the shortest decimal that reads back as the same float32 (within
# half a float32 spacing of it), cut to at most 8 decimals (printoptions precision=8).
# What a Keras user has unless they changed it: numpy's defaults.
DEFAULT_PRINTOPTIONS = dict(precision=8, threshold=1000, linewidth=75, edgeitems=3, suppress=False,
                            floatmode="maxprec", sign="-", legacy=False)


def keras_layer(units: int, input_dim: int, use_bias: bool, reset_after: bool, seed: int):
    """A built keras.layers.GRU whose every array, biases included, is random and non-zero."""
    layer = keras.layers.GRU(units, use_bias=use_bias, reset_after=reset_after)
    layer.build((None, None, input_dim))
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(0, 0.6, w.shape).astype("float32") for w in layer.get_weights()])
    return layer


def printed(layer) -> str:
    """Exactly what a person sees after print(layer.get_weights())."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print(layer.get_weights())
    return out.getvalue()


def assert_same_arrays(parsed, layer):
    expected = layer.get_weights()
    assert [p.shape for p in parsed] == [e.shape for e in expected]
    for p, e in zip(parsed, expected):
        printed_within = 0.5 * np.spacing(np.abs(e)).astype(np.float64) + 0.5e-8
        assert np.all(np.abs(p - e.astype(np.float64)) <= printed_within * 1.001), (p, e)


CASES = [(u, b, r) for u, b, r in itertools.product((1, 2, 3, 4), (True, False), (True, False))
         if b or r]  # without a bias reset_after changes nothing in the arrays; one of the two is enough


@pytest.mark.parametrize("units, use_bias, reset_after", CASES)
def test_printed_weights_read_back(units, use_bias, reset_after):
    layer = keras_layer(units, 2, use_bias, reset_after, seed=units)
    with np.printoptions(**DEFAULT_PRINTOPTIONS):
        text = printed(layer)
        assert text == str(layer.get_weights()) + "\n"
    assert text.startswith("[array([[") and "dtype=float32" in text
    if units >= 3:
        assert len(text.splitlines()) >= 2 * (2 + units)  # numpy wrapped every row of 3·units numbers
    arrays = parse_keras_printout(text)
    assert_same_arrays(arrays, layer)
    weights = GRUWeights.from_keras_arrays(arrays)
    assert (weights.config.units, weights.config.input_dim) == (units, 2)
    assert weights.config.use_bias is use_bias
    if use_bias:
        assert weights.config.reset_after is reset_after


def test_the_no_bias_printout_is_unwrapped_from_print_s_list():
    """[kernel, recurrent_kernel] printed as a list is two arrays, not one 3-D array."""
    for units, input_dim in ((1, 1), (2, 2), (3, 1)):
        layer = keras_layer(units, input_dim, use_bias=False, reset_after=True, seed=10 + units)
        with np.printoptions(**DEFAULT_PRINTOPTIONS):
            arrays = parse_keras_printout(printed(layer))
        assert len(arrays) == 2
        assert_same_arrays(arrays, layer)
    # kernel and recurrent_kernel of the same shape (input_dim == units) would also read as one
    # (2, units, 3·units) array; the printout must still come back as two.
    layer = keras_layer(2, 2, use_bias=False, reset_after=False, seed=3)
    with np.printoptions(**DEFAULT_PRINTOPTIONS):
        arrays = parse_keras_printout(json.dumps([w.tolist() for w in layer.get_weights()]))
    assert [a.shape for a in arrays] == [(2, 6), (2, 6)]


def test_long_rows_wrapped_by_numpy_read_back():
    layer = keras_layer(4, 3, use_bias=True, reset_after=True, seed=7)
    with np.printoptions(**{**DEFAULT_PRINTOPTIONS, "linewidth": 40}):
        text = printed(layer)
    assert text.count("\n") > 30  # 9 rows of 12 numbers, about three to a line
    assert_same_arrays(parse_keras_printout(text), layer)


def test_elided_printouts_are_refused_with_the_fix():
    layer = keras_layer(4, 3, use_bias=True, reset_after=True, seed=8)
    with np.printoptions(**{**DEFAULT_PRINTOPTIONS, "threshold": 10, "edgeitems": 1}):
        text = printed(layer)
    assert "..." in text
    with pytest.raises(InputError, match=r"shortened by numpy.*np\.set_printoptions\(threshold=sys\.maxsize\)"):
        parse_keras_printout(text)


@pytest.mark.parametrize("use_bias, reset_after", [(True, True), (True, False), (False, True)])
def test_json_and_comma_free_forms(use_bias, reset_after):
    layer = keras_layer(3, 2, use_bias, reset_after, seed=20)
    arrays = layer.get_weights()
    as_json = json.dumps([a.tolist() for a in arrays])
    assert_same_arrays(parse_keras_printout(as_json), layer)
    with np.printoptions(**DEFAULT_PRINTOPTIONS):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            for a in arrays:  # for w in layer.get_weights(): print(w)
                print(a)
        comma_free = out.getvalue()
    assert "," not in comma_free and "array" not in comma_free
    assert_same_arrays(parse_keras_printout(comma_free), layer)


def test_small_values_print_in_scientific_notation_and_read_back():
    layer = keras_layer(2, 1, use_bias=True, reset_after=True, seed=30)
    layer.set_weights([w * 1e-5 for w in layer.get_weights()])
    with np.printoptions(**DEFAULT_PRINTOPTIONS):
        text = printed(layer)
    assert "e-0" in text
    for p, e in zip(parse_keras_printout(text), layer.get_weights()):
        np.testing.assert_allclose(p, e, rtol=1e-7, atol=0)


@pytest.mark.parametrize("text, message", [
    ("", "paste the output"),
    ("[array([[1., 2., 3.]], dtype=float32), array([[1., 2., 3.]]", "never closed"),
    ("[[1, 2, 3]]]", "without its"),
    ("[[1, 2, 3], [4, 5]]", "rows of different lengths"),
    ("[array([[1., x, 3.]])]", "cannot read"),
])
def test_damaged_printouts_say_what_is_wrong(text, message):
    with pytest.raises(InputError, match=message):
        parse_keras_printout(text)
