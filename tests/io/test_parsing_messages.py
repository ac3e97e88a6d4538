"""Every refusal of the typed-number parsers, word for word: the message is what a person
reads, so its wording is the spec. Counts and ordinals are checked at the sizes where the
words change (1 value / 2 values, 1st 2nd 3rd 4th 11th 12th 13th 21st …)."""

import dataclasses

import pytest

from gruviz import InputError
from gruviz.io.parsing import parse_keras_printout, parse_mask, parse_sequence, parse_target, parse_vector
from gruviz.limits import CLI

# Limits small enough to reach with a few characters; `who` and `instead` are what the messages quote.
SMALL = dataclasses.replace(CLI, max_units=4, max_input_dim=4, max_steps=5, max_text_chars=30,
                            max_array_elements=12, who="the tester", instead="ask the teacher")
ROOMY = dataclasses.replace(SMALL, max_text_chars=1000)


def refusal(parse, *args, **kwargs) -> str:
    with pytest.raises(InputError) as raised:
        parse(*args, **kwargs)
    return str(raised.value)


EMPTY_VALUE = "(two commas with nothing between); type a number there or remove a comma."


@pytest.mark.parametrize("text, where", [
    (",1, 2", "at its start"),
    (" , 1", "at its start"),
    ("1,,2", "after its 1st value"),
    ("1,, 2", "after its 1st value"),
    ("1,,", "after its 1st value"),  # a trailing comma is allowed, two are not
    ("1, 2,,3", "after its 2nd value"),
    ("1 , 2,,3", "after its 2nd value"),  # spaces before a comma are not values
    ("1 2 3,,4", "after its 3rd value"),  # nor are the spaces between values: three values
    ("1,2,3,4,,5", "after its 4th value"),
    (",".join("1" * 11) + ",,1", "after its 11th value"),
    (",".join("1" * 12) + ",,1", "after its 12th value"),
    (",".join("1" * 13) + ",,1", "after its 13th value"),
    (",".join("1" * 21) + ",,1", "after its 21st value"),
    (",".join("1" * 22) + ",,1", "after its 22nd value"),
    (",".join("1" * 23) + ",,1", "after its 23rd value"),
])
def test_two_commas_name_the_value_they_follow(text, where):
    assert refusal(parse_vector, text, "h0") == f"h0 has an empty value {where} {EMPTY_VALUE}"


@pytest.mark.parametrize("text, name", [
    ("1,,2", "the sequence"),  # one row: the sequence itself
    ("1, 2; 3,,4", "timestep 2"),  # several rows: the row, counted from 1
    ("1,,2; 3, 4", "timestep 1"),
    ("1 2\n3 4\n5,,6", "timestep 3"),
])
def test_an_empty_value_in_a_sequence_names_its_row(text, name):
    assert refusal(parse_sequence, text, 2) == f"{name} has an empty value after its 1st value {EMPTY_VALUE}"


def test_an_empty_value_in_a_mask_names_the_mask():
    assert refusal(parse_mask, "1,,0", 3) == f"the mask has an empty value after its 1st value {EMPTY_VALUE}"
    assert refusal(parse_mask, ",1", 1) == f"the mask has an empty value at its start {EMPTY_VALUE}"


@pytest.mark.parametrize("text, name, size, message", [
    ("", "h0", None, "h0 is empty; type numbers separated by commas, like 0.1, -0.2."),
    ("  ", "h0", 2, "h0 is empty; type numbers separated by commas, like 0.1, -0.2."),
    (None, "h0", 2, "h0 is empty; type numbers separated by commas, like 0.1, -0.2."),
    ("[]", "the target", 1, "the target is empty; type numbers separated by commas, like 0.1, -0.2."),
    ("[1, [2]]", "h0", 2, "h0 must be a flat list of numbers, like [0.1, -0.2]."),
    ('[1, {"a": 2}]', "h0", 2, "h0 must be a flat list of numbers, like [0.1, -0.2]."),
    ("1, 2", "h0", 3, "h0 has 2 values but 3 are needed (one per unit)."),
    ("1, 2", "h0", 1, "h0 has 2 values but 1 is needed (one per unit)."),
    ("[1]", "h0", 2, "h0 has 1 value but 2 are needed (one per unit)."),
    ("1 2 3 4", "h0", 3, "h0 has 4 values but 3 are needed (one per unit)."),
    ("x", "h0", None, "the 1st value of h0: 'x' is not a number."),
    ("1, 2]", "h0", 2, "the 2nd value of h0: '2]' is not a number."),  # not JSON: it does not start with '['
    ("1 2 x", "h0", 3, "the 3rd value of h0: 'x' is not a number."),
    ("[1, 2, 3, true]", "h0", 4, "the 4th value of h0: 'true' is not a number."),
    ("1 " * 10 + "nan", "h0", 11, "the 11th value of h0: nan is not a finite number; use ordinary values like 0.5 or -2."),
])
def test_vector_messages(text, name, size, message):
    assert refusal(parse_vector, text, name, size) == message


def test_a_vector_that_starts_with_a_bracket_is_read_as_json():
    assert refusal(parse_vector, "[1, 2", "h0", 2).startswith("h0 is not valid JSON (")


def test_a_vector_too_long_to_read_names_the_box_and_the_limit():
    assert refusal(parse_vector, "1," * 16, "h0", None, SMALL) == (
        "h0 is 32 characters long; the tester reads at most 30 — ask the teacher.")
    assert refusal(parse_vector, "[" + "1," * 15 + "1]", "h0", None, SMALL) == (
        "h0 is 33 characters long; the tester reads at most 30 — ask the teacher.")


FEATURES_HINT = "Separate timesteps with ';' or new lines and features with commas or spaces."


@pytest.mark.parametrize("text, dim, message", [
    ("", 1, "the sequence is empty; type at least one timestep, for example 1, 2, 9, 8."),
    (" \n ", 2, "the sequence is empty; type at least one timestep, for example 1, 2, 9, 8."),
    (None, 1, "the sequence is empty; type at least one timestep, for example 1, 2, 9, 8."),
    ("[]", 1, "the sequence is an empty JSON list; give at least one timestep."),
    ("[ ]", 2, "the sequence is an empty JSON list; give at least one timestep."),
    ("1;;2", 1, "the sequence has an empty timestep (two ';' with nothing between); type its values there or "
                "remove a ';'."),
    ("1; \t;2", 1, "the sequence has an empty timestep (two ';' with nothing between); type its values there or "
                   "remove a ';'."),
    ("; 1; 2", 1, "the sequence has an empty timestep (two ';' with nothing between); type its values there or "
                  "remove a ';'."),
    ("1 2", 1, None),  # one row with one feature: two timesteps, no message (checked below)
    ("1 2; 3", 2, f"timestep 2 has 1 feature but the model has input_dim=2. {FEATURES_HINT}"),
    ("1 2 3", 2, f"timestep 1 has 3 features but the model has input_dim=2. {FEATURES_HINT}"),
    ("1 2; 3", 1, f"timestep 1 has 2 features but the model has input_dim=1. {FEATURES_HINT}"),
    ("1", 3, f"timestep 1 has 1 feature but the model has input_dim=3. {FEATURES_HINT}"),
    ("[1, 2, 3]", 2, f"timestep 1 has 3 features but the model has input_dim=2. {FEATURES_HINT}"),
    ("[[1, 2], [3]]", 2, f"timestep 2 has 1 feature but the model has input_dim=2. {FEATURES_HINT}"),
    ("[[1], 2]", 1, "timestep 2 must be a flat list of numbers."),
    ("[[1, [2]]]", 2, "timestep 1 must be a flat list of numbers."),
    ('[[1, {"a": 2}]]', 2, "timestep 1 must be a flat list of numbers."),
    ('[{"a": 2}]', 1, "timestep 1 must be a flat list of numbers."),
    ('[{"a": 2}]', 2, "timestep 1 must be a flat list of numbers."),
    ("[[1, true]]", 2, "timestep 1: 'true' is not a number."),
    ("1, 2; 3, x", 2, "timestep 2: 'x' is not a number."),
    ("1; 2; 3; 4; -", 1, "timestep 5: '-' is not a number."),
])
def test_sequence_messages(text, dim, message):
    if message is None:
        assert parse_sequence(text, dim).tolist() == [[1.0], [2.0]]
    else:
        assert refusal(parse_sequence, text, dim) == message


def test_a_sequence_that_starts_with_a_bracket_is_read_as_json():
    assert refusal(parse_sequence, "[1, 2", 1).startswith("the sequence is not valid JSON (")


# The count of timesteps a long text would hold is what a person can act on, so a text over the
# character limit is refused by that count when it is also over the step limit (5 here).
def numbers(n: int) -> list[str]:
    return [str(i) for i in range(1, n + 1)]


@pytest.mark.parametrize("text, dim, steps", [
    (",".join(numbers(15)), 1, 15),  # one row with one feature: each comma separates a timestep
    (" ".join(numbers(15)), 1, 15),  # or, without commas, each space
    (",  ".join(numbers(12)), 1, 12),  # commas win over the spaces after them
    (";".join(numbers(15)), 1, 15),
    ("\n".join(numbers(15)), 1, 15),
    (";\n".join(numbers(12)), 1, 23),  # each ';' and each new line counts; blank ones are not looked at
    (";".join(["1 2"] * 8), 2, 8),
    (";".join(["1111111"] * 6), 1, 6),
])
def test_a_long_text_with_too_many_timesteps_is_refused_by_its_count(text, dim, steps):
    assert len(text) > 30
    assert refusal(parse_sequence, text, dim, SMALL) == (
        f"the sequence has {steps} timesteps; the tester handles at most 5 — ask the teacher.")


@pytest.mark.parametrize("text, dim", [
    (";".join(["1111111"] * 5), 1),  # exactly 5 timesteps: the length is what is over
    (",".join(numbers(15)) + ";1", 1),  # two rows: two timesteps, however many commas
    (" ".join(["1"] * 20), 20),  # one row of many features: one timestep
    (" ".join(["1"] * 20), 3),
])
def test_a_long_text_within_the_step_limit_is_refused_by_its_length(text, dim):
    assert refusal(parse_sequence, text, dim, SMALL) == (
        f"the sequence is {len(text)} characters long; the tester reads at most 30 — ask the teacher.")


def test_a_text_within_the_length_limit_is_refused_by_its_real_count_of_timesteps():
    # Blank lines separate nothing: six timesteps, although eleven line breaks would say more.
    text = "1\n\n2\n\n3\n\n4\n\n5\n\n6." + "0" * 13
    assert len(text) == 30
    assert refusal(parse_sequence, text, 1, SMALL) == "the sequence has 6 timesteps; the tester handles at most 5 — ask the teacher."
    assert refusal(parse_sequence, text + "0", 1, SMALL) == (
        "the sequence has 11 timesteps; the tester handles at most 5 — ask the teacher.")
    assert refusal(parse_sequence, "1\n\n2\n\n3\n\n4\n\n5\n\n6", 1, SMALL) == (
        "the sequence has 6 timesteps; the tester handles at most 5 — ask the teacher.")


@pytest.mark.parametrize("six, five, dim", [
    ("1;2;3;4;5;6", "1;2;3;4;5", 1),
    ("1,2,3,4,5,6", "1,2,3,4,5", 1),
    ("[1, 2, 3, 4, 5, 6]", "[1, 2, 3, 4, 5]", 1),
    ("[[1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2]]", "[[1, 2], [1, 2], [1, 2], [1, 2], [1, 2]]", 2),
])
def test_six_timesteps_are_one_too_many_for_a_limit_of_five(six, five, dim):
    limits = dataclasses.replace(SMALL, max_text_chars=100)
    assert refusal(parse_sequence, six, dim, limits) == (
        "the sequence has 6 timesteps; the tester handles at most 5 — ask the teacher.")
    assert parse_sequence(five, dim, limits).shape == (5, dim)


def test_the_app_names_itself_and_the_command_line():
    from gruviz.limits import APP

    assert refusal(parse_sequence, ";".join(["1"] * 401), 1, APP) == (
        "the sequence has 401 timesteps; the app handles at most 400 — use the command line (python -m gruviz) "
        "for larger examples.")
