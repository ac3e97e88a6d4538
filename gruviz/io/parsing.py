"""Reading numbers that people type: sequences, vectors, masks and Keras printouts.

Everything here either returns finite float64 arrays or raises InputError with a
message that says what was wrong and how to write it instead.
"""

from __future__ import annotations

import re
from functools import reduce

import numpy as np

from ..errors import InputError
from ..text import _, count, ngettext, ordinal
from ..limits import CLI, Limits
from ..math.backward import get_loss, target_shape
from .untrusted import MAX_DEPTH, check_depth, check_length, loads, number, odd_character, over, shown

_FEATURE_SPLIT = re.compile(r"[,\s]+")
_STEP_SPLIT = re.compile(r"[;\n]+")
_EMPTY_STEP = re.compile(r"^\s*;|;[ \t\r]*;")


def describe_sequence(x: np.ndarray) -> str:
    """How a (T, D) sequence was read, in the words the page uses."""
    return f"{timesteps(x.shape[0])} × {features(x.shape[1])}"


def timesteps(n: int) -> str:
    return ngettext("{count} timestep", "{count} timesteps", n).format(count=count(n))


def features(n: int) -> str:
    return ngettext("{count} feature", "{count} features", n).format(count=count(n))


def _words(text: str, name: str) -> list[str]:
    """The values of one row, split by commas or spaces. Two commas with nothing
    between them are a slip, not a separator: reading '1,,2' as two values would
    hide it. A trailing comma is harmless and allowed."""
    pieces = text.split(",")
    for i, piece in enumerate(pieces[:-1]):
        if not piece.strip():
            message = (_("{name} has an empty value at its start (two commas with nothing between); type a number "
                         "there or remove a comma.") if i == 0 else
                       _("{name} has an empty value after its {ordinal} value (two commas with nothing between); "
                         "type a number there or remove a comma."))
            raise InputError(message.format(name=name, ordinal=ordinal(len(_split(",".join(pieces[:i]))))))
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
            raise InputError(_("{name} must be a flat list of numbers, like [0.1, -0.2].").format(name=name))
    else:
        values = _words(text, name)
    if not values:
        raise InputError(_("{name} is empty; type numbers separated by commas, like 0.1, -0.2.").format(name=name))
    if size is not None and len(values) != size:
        has = ngettext("{count} value", "{count} values", len(values)).format(count=count(len(values)))
        raise InputError(ngettext("{name} has {values} but {count} is needed (one per unit).",
                                  "{name} has {values} but {count} are needed (one per unit).", size).format(
            name=name, values=has, count=count(size)) + comma_hint(text))
    return np.array([number(v, _("the {ordinal} value of {name}").format(ordinal=ordinal(i + 1), name=name))
                     for i, v in enumerate(values)])


def parse_sequence(text: str, input_dim: int, limits: Limits = CLI, *, target: bool = False) -> np.ndarray:
    """A sequence as typed → (T, input_dim).

    Accepts a JSON array of steps ([[1], [2]]) or text in which ';' or newlines
    separate timesteps and commas or spaces separate features. With one feature,
    '1, 2, 9, 8' is four timesteps: a list of scalars can only mean that. Messages
    count timesteps from 1, as the page does. A `target`'s rows hold one value per unit.
    """
    text = (text or "").strip()
    the_sequence = _("the sequence")
    if len(text) > limits.max_text_chars and _rough_steps(text, input_dim) > limits.max_steps:
        # the count a person can act on, rather than a count of characters
        raise over(the_sequence, timesteps(_rough_steps(text, input_dim)), limits.max_steps, limits)
    check_length(text, the_sequence, limits)
    if not text:
        raise InputError(_("the sequence is empty; type at least one timestep, for example 1, 2, 9, 8."))
    if text.startswith("["):
        steps = loads(text, the_sequence, limits)
        if not isinstance(steps, list) or not steps:
            raise InputError(_("the sequence is an empty JSON list; give at least one timestep."))
        if all(not isinstance(s, list) for s in steps):
            steps = [[s] for s in steps] if input_dim == 1 else [steps]
    else:
        if _EMPTY_STEP.search(text):
            raise InputError(_("the sequence has an empty timestep (two ';' with nothing between); type its "
                               "values there or remove a ';'."))
        rows = [row for row in _STEP_SPLIT.split(text) if row.strip()]
        steps = [_words(row, the_sequence if len(rows) == 1 else _timestep(t)) for t, row in enumerate(rows)]
        if input_dim == 1 and len(steps) == 1:
            steps = [[value] for value in steps[0]]
    if len(steps) > limits.max_steps:
        raise over(the_sequence, timesteps(len(steps)), limits.max_steps, limits)
    x = []
    for t, step in enumerate(steps):
        if not isinstance(step, list) or any(isinstance(v, (list, dict)) for v in step):
            raise InputError(_("timestep {number} must be a flat list of numbers.").format(number=t + 1))
        if len(step) != input_dim:
            wrong = (_("timestep {number} has {features} but the GRU has units={width}. Separate timesteps with "
                       "';' or new lines and features with commas or spaces.") if target else
                     _("timestep {number} has {features} but the model has input_dim={width}. Separate timesteps "
                       "with ';' or new lines and features with commas or spaces."))
            raise InputError(wrong.format(number=t + 1, features=features(len(step)), width=input_dim))
        x.append([number(v, _timestep(t)) for v in step])
    return np.array(x, dtype=np.float64).reshape(len(x), input_dim)


def _timestep(t: int) -> str:
    """Row t of a sequence as messages name it, counted from 1 as the page does."""
    return _("timestep {number}").format(number=t + 1)


def _rough_steps(text: str, input_dim: int) -> int:
    """How many timesteps a long text holds, counted without splitting it."""
    rows = text.count(";") + text.count("\n") + 1
    if rows > 1 or input_dim != 1:
        return rows
    return text.count(",") + 1 if "," in text else text.count(" ") + 1


def parse_mask(text: str, steps: int, limits: Limits = CLI) -> np.ndarray | None:
    """'1, 1, 0, 1' (or true/false) → (steps,) bool; blank means no mask."""
    the_mask = _("the mask")
    text = check_length(text or "", the_mask, limits)
    check_depth(text, the_mask)  # its brackets are read as spaces, but only as deep as any box's
    words = _words(text.replace("[", " ").replace("]", " "), the_mask)
    if not words:
        return None
    truth = {"1": True, "0": False, "true": True, "false": False, "1.0": True, "0.0": False}
    for t, word in enumerate(words):
        if word.lower() not in truth:
            odd = odd_character(word)
            message = (_("the mask at timestep {number}: {word} is not 1/0 or true/false (it contains {character}).")
                       if odd else _("the mask at timestep {number}: {word} is not 1/0 or true/false."))
            raise InputError(message.format(number=t + 1, word=shown(word), character=odd))
    if len(words) != steps:
        entries = ngettext("{count} entry", "{count} entries", len(words)).format(count=count(len(words)))
        raise InputError(_("the mask has {entries} but the sequence has {timesteps}.").format(
            entries=entries, timesteps=timesteps(steps)))
    return np.array([truth[w.lower()] for w in words])


_DTYPE = re.compile(r"dtype\s*=\s*[\w.]+")
_TOKEN = re.compile(r"\[|\]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)\b", re.IGNORECASE | re.ASCII)


def parse_keras_printout(text: str, limits: Limits = CLI) -> list[np.ndarray]:
    """The text `print(layer.get_weights())` shows → the list of arrays.

    Handles `array([...], dtype=float32)`, numpy's str form without commas
    (`[[1. 2.]]`), and JSON. A printout that numpy shortened with '...' cannot be
    read back, and the message says how to print it in full.
    """
    the_printout = _("the printout")
    text = check_length((text or "").strip(), the_printout, limits)
    check_depth(text, the_printout)
    if not text:
        raise InputError(_("paste the output of print(layer.get_weights())."))
    if "..." in text:
        raise InputError(_("the printout was shortened by numpy ('...'); print it in full with "
                           "np.set_printoptions(threshold=sys.maxsize) and paste again."))
    cleaned = _DTYPE.sub(" ", text).replace("array(", " ").replace(")", " ")
    leftovers = re.sub(_TOKEN, " ", cleaned).replace(",", " ").split()
    if leftovers:
        odd = odd_character(leftovers[0])
        message = (_("cannot read {token} in the printout (it contains {character}); paste exactly what print() "
                     "showed.") if odd else _("cannot read {token} in the printout; paste exactly what print() showed."))
        raise InputError(message.format(token=shown(leftovers[0]), character=odd))
    stack: list[list] = [[]]
    for token in _TOKEN.findall(cleaned):
        if token == "[":
            if len(stack) > MAX_DEPTH:
                raise InputError(_("the printout nests brackets more than {cap} levels deep; a GRU's arrays nest "
                                   "3.").format(cap=count(MAX_DEPTH)))
            stack.append([])
        elif token == "]":
            if len(stack) == 1:
                raise InputError(_("the printout has a ']' without its '['."))
            closed = stack.pop()
            stack[-1].append(closed)
        else:
            stack[-1].append(number(token, the_printout))
    if len(stack) != 1:
        raise InputError(_("the printout has a '[' that is never closed; paste all of it."))
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
            raise InputError(_ragged(item, i, names)) from None
        if arrays[-1].size > limits.max_array_elements:
            amount = ngettext("{count} number", "{count} numbers", arrays[-1].size).format(count=count(arrays[-1].size))
            raise over(_("the {ordinal} array in the printout").format(ordinal=ordinal(i + 1)), amount,
                       limits.max_array_elements, limits)
    if arrays and arrays[0].ndim == 2 and arrays[0].shape[1] % 3 == 0:
        limits.check_layer(arrays[0].shape[1] // 3, arrays[0].shape[0])  # kernel: (input_dim, 3·units)
    return arrays


_ARRAY_NAMES = ("kernel", "recurrent_kernel", "bias")  # get_weights()'s order


def _ragged(item: list, i: int, names: tuple[str, ...]) -> str:
    """The refusal for array i of a printout whose rows differ in length."""
    if i < len(names):
        array = _("the {ordinal} array ({name})").format(ordinal=ordinal(i + 1), name=names[i])
    else:
        array = _("the {ordinal} array").format(ordinal=ordinal(i + 1))
    lengths = sorted({len(row) for row in item if isinstance(row, list)})
    if len(lengths) < 2:
        return _("{array} in the printout has rows of different lengths; every row needs the same number of "
                 "values.").format(array=array)
    listed = reduce(lambda a, b: _("{first} and {second}").format(first=a, second=b), map(str, lengths))
    return _("{array} in the printout has rows of different lengths ({lengths} numbers); every row needs the same "
             "number of values.").format(array=array, lengths=listed)


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
            raise InputError(_("the {loss} loss takes no target; use --loss mse or mse_all to give one.").format(
                loss=chosen.name))
        return None
    if blank:
        return np.zeros(shape)
    if chosen.target == "vector":
        return parse_vector(text, _("the target"), units, limits)
    try:
        target = parse_sequence(text, units, limits, target=True)
    except InputError as problem:
        raise InputError(_("target: {message}").format(message=problem)) from None
    if len(target) != steps:
        raise InputError(_("the target has {timesteps} but the sequence has {steps}; mse_all needs one target row "
                           "per output step.").format(timesteps=timesteps(len(target)), steps=timesteps(steps)))
    return target
