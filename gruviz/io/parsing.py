"""Reading numbers that people type: sequences, vectors, masks and Keras printouts.

Everything here either returns finite float64 arrays or raises InputError with a
message that says what was wrong and how to write it instead.
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import InputError
from ..text import _, ordinal
from ..limits import CLI, Limits
from ..math.backward import get_loss, target_shape
from .untrusted import MAX_DEPTH, check_depth, check_length, loads, number, odd_character, over, shown

_FEATURE_SPLIT = re.compile(r"[,\s]+")
_STEP_SPLIT = re.compile(r"[;\n]+")
_EMPTY_STEP = re.compile(r"^\s*;|;[ \t\r]*;")


def plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return f"{n:,} {word[:-1]}ies" if word.endswith("y") else f"{n:,} {word}s"


def describe_sequence(x: np.ndarray) -> str:
    """How a (T, D) sequence was read, in the words the page uses."""
    return f"{plural(x.shape[0], 'timestep')} × {plural(x.shape[1], 'feature')}"


def _words(text: str, name: str) -> list[str]:
    """The values of one row, split by commas or spaces. Two commas with nothing
    between them are a slip, not a separator: reading '1,,2' as two values would
    hide it. A trailing comma is harmless and allowed."""
    pieces = text.split(",")
    for i, piece in enumerate(pieces[:-1]):
        if not piece.strip():
            after = "at its start" if i == 0 else f"after its {ordinal(len(_split(','.join(pieces[:i]))))} value"
            raise InputError(f"{name} has an empty value {after} (two commas with nothing between); type a "
                             "number there or remove a comma.")
    return _split(text)


def _split(text: str) -> list[str]:
    return [w for w in _FEATURE_SPLIT.split(text.strip()) if w]


_ONE_DECIMAL_COMMA = re.compile(r"\s*([-+]?\d+),(\d+)\s*")
_DIGIT_COMMA_DIGIT = re.compile(r"\d,\d")


def decimal_comma(text: str) -> tuple[str, str | None]:
    """A box that holds one number: "0,132" is read as 0.132, with a note saying so; any other
    text comes back unchanged, with no note."""
    found = _ONE_DECIMAL_COMMA.fullmatch(text or "")
    if found is None:
        return text, None
    read = f"{found.group(1)}.{found.group(2)}"
    return read, _("{typed} was read as {read}: gruviz writes decimals with a point.").format(
        typed=text.strip(), read=read)


def comma_hint(text: str) -> str:
    """For a count that does not add up: a comma between digits may have been meant as a decimal point."""
    if not _DIGIT_COMMA_DIGIT.search(text or ""):
        return ""
    return " " + _("Commas separate values here: write decimals with a point (0.132, not 0,132).")


def parse_vector(text: str, name: str, size: int | None = None, limits: Limits = CLI) -> np.ndarray:
    """'0.1, -0.2' or '[0.1, -0.2]' → (size,)."""
    text = check_length((text or "").strip(), name, limits)
    if text.startswith("["):
        values = loads(text, name, limits)
        if not isinstance(values, list) or any(isinstance(v, (list, dict)) for v in values):
            raise InputError(f"{name} must be a flat list of numbers, like [0.1, -0.2].")
    else:
        values = _words(text, name)
    if not values:
        raise InputError(f"{name} is empty; type numbers separated by commas, like 0.1, -0.2.")
    if size is not None and len(values) != size:
        raise InputError(f"{name} has {plural(len(values), 'value')} but {size} {'is' if size == 1 else 'are'} "
                         "needed (one per unit)." + comma_hint(text))
    return np.array([number(v, f"the {ordinal(i + 1)} value of {name}") for i, v in enumerate(values)])


def parse_sequence(text: str, input_dim: int, limits: Limits = CLI) -> np.ndarray:
    """A sequence as typed → (T, input_dim).

    Accepts a JSON array of steps ([[1], [2]]) or text in which ';' or newlines
    separate timesteps and commas or spaces separate features. With one feature,
    '1, 2, 9, 8' is four timesteps: a list of scalars can only mean that. Messages
    count timesteps from 1, as the page does.
    """
    text = (text or "").strip()
    if len(text) > limits.max_text_chars and _rough_steps(text, input_dim) > limits.max_steps:
        # the count a person can act on, rather than a count of characters
        raise over("the sequence", _rough_steps(text, input_dim), "timesteps", limits.max_steps, limits)
    check_length(text, "the sequence", limits)
    if not text:
        raise InputError("the sequence is empty; type at least one timestep, for example 1, 2, 9, 8.")
    if text.startswith("["):
        steps = loads(text, "the sequence", limits)
        if not isinstance(steps, list) or not steps:
            raise InputError("the sequence is an empty JSON list; give at least one timestep.")
        if all(not isinstance(s, list) for s in steps):
            steps = [[s] for s in steps] if input_dim == 1 else [steps]
    else:
        if _EMPTY_STEP.search(text):
            raise InputError("the sequence has an empty timestep (two ';' with nothing between); type its "
                             "values there or remove a ';'.")
        rows = [row for row in _STEP_SPLIT.split(text) if row.strip()]
        steps = [_words(row, "the sequence" if len(rows) == 1 else f"timestep {t + 1}") for t, row in enumerate(rows)]
        if input_dim == 1 and len(steps) == 1:
            steps = [[value] for value in steps[0]]
    if len(steps) > limits.max_steps:
        raise over("the sequence", len(steps), "timesteps", limits.max_steps, limits)
    x = []
    for t, step in enumerate(steps):
        if not isinstance(step, list) or any(isinstance(v, (list, dict)) for v in step):
            raise InputError(f"timestep {t + 1} must be a flat list of numbers.")
        if len(step) != input_dim:
            raise InputError(
                f"timestep {t + 1} has {plural(len(step), 'feature')} but the model has input_dim={input_dim}. "
                "Separate timesteps with ';' or new lines and features with commas or spaces."
            )
        x.append([number(v, f"timestep {t + 1}") for v in step])
    return np.array(x, dtype=np.float64).reshape(len(x), input_dim)


def _rough_steps(text: str, input_dim: int) -> int:
    """How many timesteps a long text holds, counted without splitting it."""
    rows = text.count(";") + text.count("\n") + 1
    if rows > 1 or input_dim != 1:
        return rows
    return text.count(",") + 1 if "," in text else text.count(" ") + 1


def parse_mask(text: str, steps: int, limits: Limits = CLI) -> np.ndarray | None:
    """'1, 1, 0, 1' (or true/false) → (steps,) bool; blank means no mask."""
    text = check_length(text or "", "the mask", limits)
    check_depth(text, "the mask")  # its brackets are read as spaces, but only as deep as any box's
    words = _words(text.replace("[", " ").replace("]", " "), "the mask")
    if not words:
        return None
    truth = {"1": True, "0": False, "true": True, "false": False, "1.0": True, "0.0": False}
    for t, word in enumerate(words):
        if word.lower() not in truth:
            odd = odd_character(word)
            raise InputError(f"the mask at timestep {t + 1}: {shown(word)} is not 1/0 or true/false"
                             + (f" (it contains {odd})." if odd else "."))
    if len(words) != steps:
        raise InputError(f"the mask has {plural(len(words), 'entry')} but the sequence has {plural(steps, 'timestep')}.")
    return np.array([truth[w.lower()] for w in words])


_DTYPE = re.compile(r"dtype\s*=\s*[\w.]+")
_TOKEN = re.compile(r"\[|\]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)\b", re.IGNORECASE | re.ASCII)


def parse_keras_printout(text: str, limits: Limits = CLI) -> list[np.ndarray]:
    """The text `print(layer.get_weights())` shows → the list of arrays.

    Handles `array([...], dtype=float32)`, numpy's str form without commas
    (`[[1. 2.]]`), and JSON. A printout that numpy shortened with '...' cannot be
    read back, and the message says how to print it in full.
    """
    text = check_length((text or "").strip(), "the printout", limits)
    check_depth(text, "the printout")
    if not text:
        raise InputError("paste the output of print(layer.get_weights()).")
    if "..." in text:
        raise InputError(
            "the printout was shortened by numpy ('...'); print it in full with "
            "np.set_printoptions(threshold=sys.maxsize) and paste again."
        )
    cleaned = _DTYPE.sub(" ", text).replace("array(", " ").replace(")", " ")
    leftovers = re.sub(_TOKEN, " ", cleaned).replace(",", " ").split()
    if leftovers:
        odd = odd_character(leftovers[0])
        raise InputError(f"cannot read {shown(leftovers[0])} in the printout"
                         + (f" (it contains {odd})" if odd else "") + "; paste exactly what print() showed.")
    stack: list[list] = [[]]
    for token in _TOKEN.findall(cleaned):
        if token == "[":
            if len(stack) > MAX_DEPTH:
                raise InputError(f"the printout nests brackets more than {MAX_DEPTH} levels deep; a GRU's "
                                 "arrays nest 3.")
            stack.append([])
        elif token == "]":
            if len(stack) == 1:
                raise InputError("the printout has a ']' without its '['.")
            closed = stack.pop()
            stack[-1].append(closed)
        else:
            stack[-1].append(number(token, "the printout"))
    if len(stack) != 1:
        raise InputError("the printout has a '[' that is never closed; paste all of it.")
    items = stack[0]
    # print(list_of_arrays) wraps the arrays in one more list.
    if len(items) == 1 and isinstance(items[0], list) and items[0] and all(isinstance(a, list) for a in items[0]):
        nested_arrays = [a for a in items[0] if isinstance(a, list)]
        if len(nested_arrays) in (2, 3) and _looks_like_weights(nested_arrays):
            items = nested_arrays
    names = _ARRAY_NAMES if len(items) in (2, 3) else ()
    arrays = []
    for i, item in enumerate(items):
        try:
            arrays.append(np.array(item, dtype=np.float64))
        except ValueError:
            name = f" ({names[i]})" if i < len(names) else ""
            lengths = sorted({len(row) for row in item if isinstance(row, list)})
            found = f" ({' and '.join(map(str, lengths))} numbers)" if len(lengths) > 1 else ""
            raise InputError(f"the {ordinal(i + 1)} array{name} in the printout has rows of different "
                             f"lengths{found}; every row needs the same number of values.") from None
        if arrays[-1].size > limits.max_array_elements:
            raise over(f"the {ordinal(i + 1)} array in the printout", arrays[-1].size, "numbers", limits.max_array_elements,
                       limits)
    if arrays and arrays[0].ndim == 2 and arrays[0].shape[1] % 3 == 0:
        limits.check_layer(arrays[0].shape[1] // 3, arrays[0].shape[0])  # kernel: (input_dim, 3·units)
    return arrays


_ARRAY_NAMES = ("kernel", "recurrent_kernel", "bias")  # get_weights()'s order


def _looks_like_weights(arrays: list) -> bool:
    """The items are separate arrays, not the rows of one matrix: the first (the kernel)
    is itself a matrix. Shapes are judged later, so that a wrong one is named."""
    first = arrays[0]
    return bool(first) and isinstance(first[0], list)


def parse_target(text: str | None, loss: str, units: int, steps: int, limits: Limits = CLI) -> np.ndarray | None:
    """A typed target for `loss`: none for sum, H values for mse, a sequence of T steps
    of H values for mse_all (written like --sequence, in processing order). Blank
    means zeros."""
    chosen = get_loss(loss)
    blank = not (text or "").strip()
    shape = target_shape(chosen, units, steps)
    if shape is None:
        if not blank:
            raise InputError(f"the {chosen.name} loss takes no target; use --loss mse or mse_all to give one.")
        return None
    if blank:
        return np.zeros(shape)
    if chosen.target == "vector":
        return parse_vector(text, "the target", units, limits)
    try:
        target = parse_sequence(text, units, limits)
    except InputError as problem:
        # parse_sequence speaks of inputs; a target row has one value per unit
        message = str(problem).replace("the model has input_dim=", "the GRU has units=")
        raise InputError(f"target: {message}") from None
    if len(target) != steps:
        raise InputError(f"the target has {plural(len(target), 'timestep')} but the sequence has "
                         f"{plural(steps, 'timestep')}; mse_all needs one target row per output step.")
    return target
