"""What the typed-number parsers read, and what they refuse, for masks, printouts and loss
targets: each branch (JSON or text, one row or several, print()'s outer list) and each
boundary (a limit reached is allowed, one more is refused). Counting words are checked
where English changes them."""

import dataclasses

import numpy as np
import pytest

from gruviz import InputError
from gruviz.io.parsing import describe_sequence, parse_keras_printout, parse_mask, parse_sequence, \
    parse_target, parse_vector
from gruviz.limits import CLI

SMALL = dataclasses.replace(CLI, max_units=4, max_input_dim=4, max_steps=5, max_text_chars=30,
                            max_array_elements=12, who="the tester", instead="ask the teacher")
ROOMY = dataclasses.replace(SMALL, max_text_chars=1000, max_array_elements=100)


def refusal(parse, *args, **kwargs) -> str:
    with pytest.raises(InputError) as raised:
        parse(*args, **kwargs)
    return str(raised.value)


@pytest.mark.parametrize("shape, expected", [
    ((1, 1), "1 timestep × 1 feature"), ((4, 1), "4 timesteps × 1 feature"), ((1, 2), "1 timestep × 2 features"),
    ((1000, 3), "1,000 timesteps × 3 features"),
])
def test_a_sequence_is_described_in_timesteps_and_features(shape, expected):
    assert describe_sequence(np.zeros(shape)) == expected


@pytest.mark.parametrize("text, size, expected", [
    (" [0.5, -2] ", 2, [0.5, -2.0]),  # spaces around a JSON list
    ("1, 2,", 2, [1.0, 2.0]),  # a trailing comma is harmless
    ("1,\t2 3", None, [1.0, 2.0, 3.0]),
    ("7", 1, [7.0]),
])
def test_vectors_read_their_numbers(text, size, expected):
    v = parse_vector(text, "h0", size)
    assert v.dtype == np.float64 and v.tolist() == expected


def test_a_box_padded_with_spaces_is_measured_and_read_without_them():
    pad = " " * 20
    assert parse_vector(pad + "1, 2" + pad, "h0", 2, SMALL).tolist() == [1.0, 2.0]
    assert parse_vector(pad + "[1, 2]" + pad, "h0", 2, SMALL).tolist() == [1.0, 2.0]
    assert parse_sequence(pad + "1, 2" + pad, 1, SMALL).tolist() == [[1.0], [2.0]]
    assert parse_sequence(pad + "[1, 2]" + pad, 1, SMALL).tolist() == [[1.0], [2.0]]
    assert parse_target(pad + "[1, 2]" + pad, "mse", 2, 1, SMALL).tolist() == [1.0, 2.0]
    assert [a.tolist() for a in parse_keras_printout(pad + "[1 2]" + pad, SMALL)] == [[1.0, 2.0]]


@pytest.mark.parametrize("text, dim, expected", [
    ("1;2;", 1, [[1], [2]]),  # a trailing ';' is no timestep
    ("1;\n;2", 1, [[1], [2]]),  # a line break between the ';' is a separator too
    ("1\n\n2", 1, [[1], [2]]),
    ("1 2", 1, [[1], [2]]),
    ("1 2", 2, [[1, 2]]),
    ("1, 2,; 3, 4", 2, [[1, 2], [3, 4]]),
    ("[1, 2, 3]", 3, [[1, 2, 3]]),  # a flat JSON list with several features is one timestep
    ("[[1, 2, 3]]", 3, [[1, 2, 3]]),
    ("[7]", 1, [[7]]),
])
def test_sequences_read_their_timesteps(text, dim, expected):
    x = parse_sequence(text, dim)
    assert x.dtype == np.float64 and x.tolist() == expected


@pytest.mark.parametrize("text, expected", [
    ("1, 0, true, false", [True, False, True, False]),
    ("TRUE False 1.0 0.0", [True, False, True, False]),
    ("[1,0]", [True, False]),
    ("[ true , FALSE ]", [True, False]),
    ("0.0; 1", None),  # ';' is not a separator of masks
])
def test_masks_read_ones_zeros_and_truth_words(text, expected):
    if expected is None:
        assert refusal(parse_mask, text, 2) == "the mask at timestep 1: '0.0;' is not 1/0 or true/false."
        return
    mask = parse_mask(text, len(expected))
    assert mask.dtype == bool and mask.tolist() == expected


@pytest.mark.parametrize("text", [None, "", "   ", "[]", "[ ]"])
def test_a_blank_mask_is_no_mask(text):
    assert parse_mask(text, 3) is None


@pytest.mark.parametrize("text, steps, message", [
    ("1, 2", 2, "the mask at timestep 2: '2' is not 1/0 or true/false."),
    ("yes", 1, "the mask at timestep 1: 'yes' is not 1/0 or true/false."),
    ("1 1 1 0.5", 3, "the mask at timestep 4: '0.5' is not 1/0 or true/false."),  # what, before how many
    ("1, ✓", 2, "the mask at timestep 2: '✓' is not 1/0 or true/false (it contains CHECK MARK (U+2713))."),
    ("1 0 1", 4, "the mask has 3 entries but the sequence has 4 timesteps."),
    ("1", 2, "the mask has 1 entry but the sequence has 2 timesteps."),
    ("1 0", 1, "the mask has 2 entries but the sequence has 1 timestep."),
    ("1," * 16, 3, "the mask is 32 characters long; the tester reads at most 30 — ask the teacher."),
])
def test_mask_messages(text, steps, message):
    assert refusal(parse_mask, text, steps, SMALL) == message


PRINTED_3 = ("[array([[1., 2., 3.]], dtype=float32), array([[4., 5., 6.]], dtype=float32), "
             "array([7., 8., 9.], dtype=float32)]")


@pytest.mark.parametrize("text, expected", [
    (PRINTED_3, [[[1, 2, 3]], [[4, 5, 6]], [7, 8, 9]]),  # print()'s outer list holds the three arrays
    ("[array([[1., 2., 3.]], dtype=float32), array([[4., 5., 6.]], dtype=float32)]", [[[1, 2, 3]], [[4, 5, 6]]]),
    ("[[[1, 2, 3]], [[4, 5, 6]], [[7, 8, 9], [1, 2, 3]]]", [[[1, 2, 3]], [[4, 5, 6]], [[7, 8, 9], [1, 2, 3]]]),
    ("[[1 2 3]\n [4 5 6]]", [[[1, 2, 3], [4, 5, 6]]]),  # one matrix: its rows are not arrays
    ("[[1, 2, 3], [4, 5, 6], [7, 8, 9]]", [[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]),
    ("[[[1, 2, 3]]]", [[[[1, 2, 3]]]]),  # a list of one array
    ("[[[1, 2, 3]], [[4, 5, 6]], [[7, 8, 9]], [[1, 1, 1]]]", [[[[1, 2, 3]], [[4, 5, 6]], [[7, 8, 9]], [[1, 1, 1]]]]),
    ("[[1 2 3]] [[4 5 6]] [7 8 9]", [[[1, 2, 3]], [[4, 5, 6]], [7, 8, 9]]),  # arrays one after another
    ("[[]]", [[[]]]),
    ("array([-1.5e-3, +2, .5, 3.])", [[-0.0015, 2, 0.5, 3]]),
    ("[array([1, 2], dtype = float64)]", [[[1, 2]]]),
])
def test_printouts_read_back_as_their_arrays(text, expected):
    arrays = parse_keras_printout(text, ROOMY)
    assert [a.dtype for a in arrays] == [np.float64] * len(expected)
    assert [a.tolist() for a in arrays] == expected


@pytest.mark.parametrize("text", ["dtype=float32", "array()", ", ,"])
def test_a_printout_without_numbers_does_not_crash(text):
    try:
        assert parse_keras_printout(text) == []
    except InputError:
        pass


def test_sixteen_nested_brackets_are_read_and_seventeen_refused():
    arrays = parse_keras_printout("[" * 16 + "1" + "]" * 16, ROOMY)
    assert [a.shape for a in arrays] == [(1,) * 16]
    assert refusal(parse_keras_printout, "[" * 17 + "1" + "]" * 17, ROOMY) == (
        "the printout nests brackets 17 levels deep; gruviz reads at most 16 (a sequence needs 2, a weights "
        "file 3).")


RAGGED = "rows of different lengths{}; every row needs the same number of values."


@pytest.mark.parametrize("text, message", [
    (None, "paste the output of print(layer.get_weights())."),
    (" \n", "paste the output of print(layer.get_weights())."),
    ("[array([1., 2., ..., 9.])]", "the printout was shortened by numpy ('...'); print it in full with "
                                    "np.set_printoptions(threshold=sys.maxsize) and paste again."),
    ("[1, 2] hello", "cannot read 'hello' in the printout; paste exactly what print() showed."),
    ("[a, b]", "cannot read 'a' in the printout; paste exactly what print() showed."),
    ("[1, 2], x", "cannot read 'x' in the printout; paste exactly what print() showed."),
    ("[−0.5]", "cannot read '−' in the printout (it contains MINUS SIGN (U+2212)); paste exactly what print() "
               "showed."),
    ("[1, 2]]", "the printout has a ']' without its '['."),
    ("1]", "the printout has a ']' without its '['."),
    ("[[1, 2]", "the printout has a '[' that is never closed; paste all of it."),
    ("[nan]", "the printout: nan is not a finite number; use ordinary values like 0.5 or -2."),
    ("[[1, 2], [3]]", "the 1st array in the printout has " + RAGGED.format(" (1 and 2 numbers)")),
    ("[[1], [1, 2], [1, 2, 3]]", "the 1st array in the printout has " + RAGGED.format(" (1 and 2 and 3 numbers)")),
    ("[1, [2, 3]]", "the 1st array in the printout has " + RAGGED.format("")),  # one list among numbers
    ("[[], [1]]", "the 1st array in the printout has " + RAGGED.format(" (0 and 1 numbers)")),
    ("[[[1, 2, 3]], [[4, 5, 6]], 7]", "the 1st array in the printout has " + RAGGED.format("")),  # not all arrays
    ("[[1, 2, 3], [[4, 5, 6]]]", "the 1st array in the printout has " + RAGGED.format(" (1 and 3 numbers)")),  # the
    # first item is no matrix, so these are the rows of one array, not two arrays
    ("[[1 2] [3]] [1] [1] [1]", "the 1st array in the printout has " + RAGGED.format(" (1 and 2 numbers)")),
    ("[[[1, 2], [3]], [[1, 2, 3]], [1, 2, 3]]", "the 1st array (kernel) in the printout has "
                                                + RAGGED.format(" (1 and 2 numbers)")),
    ("[[[1, 2, 3]], [[1, 2, 3], [4]], [1, 2, 3]]", "the 2nd array (recurrent_kernel) in the printout has "
                                                   + RAGGED.format(" (1 and 3 numbers)")),
    ("[[[1, 2, 3]], [[1, 2, 3]], [[1, 2, 3], [4]]]", "the 3rd array (bias) in the printout has "
                                                     + RAGGED.format(" (1 and 3 numbers)")),
    ("[[1 2 3]] [[1 2 3], [4 5]]", "the 2nd array (recurrent_kernel) in the printout has "
                                   + RAGGED.format(" (2 and 3 numbers)")),
])
def test_printout_messages(text, message):
    assert refusal(parse_keras_printout, text, ROOMY) == message


def test_a_printout_too_long_to_read_names_the_printout():
    assert refusal(parse_keras_printout, "[" + "1 " * 15 + "]", SMALL) == (
        "the printout is 32 characters long; the tester reads at most 30 — ask the teacher.")


def ones(n: int) -> str:
    return "[" + " ".join(["1"] * n) + "]"


def test_an_array_of_twelve_numbers_is_read_and_thirteen_refused():
    assert [a.shape for a in parse_keras_printout(ones(12), SMALL)] == [(12,)]
    assert refusal(parse_keras_printout, ones(13), SMALL) == (
        "the 1st array in the printout has 13 numbers; the tester handles at most 12 — ask the teacher.")
    limits = dataclasses.replace(SMALL, max_text_chars=1000)
    assert refusal(parse_keras_printout, f"[[{ones(3)}] {ones(13)}]", limits) == (
        "the 2nd array in the printout has 13 numbers; the tester handles at most 12 — ask the teacher.")
    assert refusal(parse_keras_printout, f"[{ones(3)}] [{ones(3)}] {ones(13)}", limits) == (
        "the 3rd array in the printout has 13 numbers; the tester handles at most 12 — ask the teacher.")


def matrix(rows: int, columns: int) -> str:
    return "[" + " ".join([ones(columns)] * rows) + "]"


@pytest.mark.parametrize("kernel, message", [
    (matrix(1, 15), "units=5 is more than the tester shows (at most 4): save a smaller layer; ask the teacher."),
    (matrix(5, 3), "input_dim=5 is more than the tester shows (at most 4): save a smaller layer; ask the teacher."),
    (f"[{matrix(1, 15)} {matrix(5, 15)} {ones(15)}]",
     "units=5 is more than the tester shows (at most 4): save a smaller layer; ask the teacher."),
    (matrix(4, 12), None),  # 4 units and 4 features: within the limits
    (matrix(1, 16), None),  # not 3·units columns: not a kernel, its shape is judged later
    (matrix(5, 4), None),
    (ones(15), None),  # a vector is no kernel
    ("[" + matrix(1, 15) + "]", None),  # a list of one (1, 1, 15) array
])
def test_the_kernel_is_checked_against_the_unit_and_feature_limits(kernel, message):
    if message is None:
        assert len(parse_keras_printout(kernel, ROOMY)) == 1
    else:
        assert refusal(parse_keras_printout, kernel, ROOMY) == message


@pytest.mark.parametrize("text", [None, "", "  \n"])
def test_a_blank_target_is_none_for_sum_and_zeros_otherwise(text):
    assert parse_target(text, "sum", 2, 3) is None
    mse = parse_target(text, "mse", 2, 3)
    assert mse.shape == (2,) and not mse.any()
    mse_all = parse_target(text, "mse_all", 2, 3)
    assert mse_all.shape == (3, 2) and not mse_all.any()


@pytest.mark.parametrize("text, loss, units, steps, expected", [
    ("0.5, -1", "mse", 2, 3, [0.5, -1.0]),
    ("[0.5, -1]", "mse", 2, 1, [0.5, -1.0]),
    ("1, 2; 3, 4; 5, 6", "mse_all", 2, 3, [[1, 2], [3, 4], [5, 6]]),
    ("[[1, 2], [3, 4]]", "mse_all", 2, 2, [[1, 2], [3, 4]]),
    ("1, 2, 3", "mse_all", 1, 3, [[1], [2], [3]]),  # one unit: one row is the whole sequence
])
def test_a_typed_target_is_read_in_the_shape_its_loss_needs(text, loss, units, steps, expected):
    assert parse_target(text, loss, units, steps).tolist() == expected


@pytest.mark.parametrize("text, loss, units, steps, message", [
    ("1", "sum", 2, 3, "the sum loss takes no target; use --loss mse or mse_all to give one."),
    ("1", "mae", 2, 3, "loss 'mae' is not supported; choose one of sum, mse, mse_all."),
    ("1, 2, 3", "mse", 2, 3, "the target has 3 values but 2 are needed (one per unit)."),
    ("1", "mse", 2, 3, "the target has 1 value but 2 are needed (one per unit)."),
    ("1, 2, 3", "mse_all", 2, 3, "target: timestep 1 has 3 features but the GRU has units=2. Separate timesteps "
                                 "with ';' or new lines and features with commas or spaces."),
    ("1,,2", "mse_all", 2, 1, "target: the sequence has an empty value after its 1st value (two commas with nothing "
                              "between); type a number there or remove a comma."),
    ("1, 2", "mse_all", 2, 2, "the target has 1 timestep but the sequence has 2 timesteps; mse_all needs one "
                              "target row per output step."),
    ("1; 2; 3", "mse_all", 1, 1, "the target has 3 timesteps but the sequence has 1 timestep; mse_all needs one "
                                 "target row per output step."),
    ("1," * 16, "mse", 16, 1, "the target is 32 characters long; the tester reads at most 30 — ask the teacher."),
    ("1," * 16, "mse_all", 2, 8, "target: the sequence is 32 characters long; the tester reads at most 30 — ask "
                                  "the teacher."),
])
def test_target_messages(text, loss, units, steps, message):
    assert refusal(parse_target, text, loss, units, steps, SMALL) == message
