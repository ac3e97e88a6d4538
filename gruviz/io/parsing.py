"""Reading numbers that people type: sequences, vectors, masks and Keras printouts.

Everything here either returns finite float64 arrays or raises InputError with a
message that says what was wrong and how to write it instead.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np

from ..math.backward import get_loss, target_shape
from ..errors import InputError

_FEATURE_SPLIT = re.compile(r"[,\s]+")
_STEP_SPLIT = re.compile(r"[;\n]+")


def plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


def describe_sequence(x: np.ndarray) -> str:
    """How a (T, D) sequence was read, in the words the page uses."""
    return f"{plural(x.shape[0], 'timestep')} × {plural(x.shape[1], 'feature')}"


def _number(token, where: str) -> float:
    if isinstance(token, bool) or not isinstance(token, (int, float, str)):
        raise InputError(f"{where}: {json.dumps(token)} is not a number.")
    try:
        value = float(token)
    except ValueError:
        raise InputError(f"{where}: {token!r} is not a number.") from None
    if not math.isfinite(value):
        raise InputError(f"{where}: {token} is not a finite number; use ordinary values like 0.5 or -2.")
    return value


def _words(text: str) -> list[str]:
    return [w for w in _FEATURE_SPLIT.split(text.strip()) if w]


def parse_vector(text: str, name: str, size: int | None = None) -> np.ndarray:
    """'0.1, -0.2' or '[0.1, -0.2]' → (size,)."""
    text = (text or "").strip()
    if text.startswith("["):
        values = _json(text, name)
        if not isinstance(values, list) or any(isinstance(v, list) for v in values):
            raise InputError(f"{name} must be a flat list of numbers, like [0.1, -0.2].")
    else:
        values = _words(text)
    if not values:
        raise InputError(f"{name} is empty; type numbers separated by commas, like 0.1, -0.2.")
    vector = np.array([_number(v, f"{name} entry {i}") for i, v in enumerate(values)])
    if size is not None and vector.size != size:
        raise InputError(f"{name} has {plural(vector.size, 'value')} but {size} {'is' if size == 1 else 'are'} needed (one per unit).")
    return vector


def _json(text: str, name: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{name} looks like JSON but is not valid JSON ({error.msg}, column {error.colno}).") from None


def parse_sequence(text: str, input_dim: int) -> np.ndarray:
    """A sequence as typed → (T, input_dim).

    Accepts a JSON array of steps ([[1], [2]]) or text in which ';' or newlines
    separate timesteps and commas or spaces separate features. With one feature,
    '1, 2, 9, 8' is four timesteps: a list of scalars can only mean that.
    """
    text = (text or "").strip()
    if not text:
        raise InputError("the sequence is empty; type at least one timestep, for example 1, 2, 9, 8.")
    if text.startswith("["):
        steps = _json(text, "the sequence")
        if not isinstance(steps, list) or not steps:
            raise InputError("the sequence is an empty JSON list; give at least one timestep.")
        if all(not isinstance(s, list) for s in steps):
            steps = [[s] for s in steps] if input_dim == 1 else [steps]
    else:
        rows = [_words(row) for row in _STEP_SPLIT.split(text)]
        steps = [row for row in rows if row]
        if input_dim == 1 and len(steps) == 1:
            steps = [[value] for value in steps[0]]
    x = []
    for t, step in enumerate(steps):
        if not isinstance(step, list) or any(isinstance(v, list) for v in step):
            raise InputError(f"timestep {t} must be a flat list of numbers.")
        if len(step) != input_dim:
            raise InputError(
                f"timestep {t} has {plural(len(step), 'feature')} but the model has input_dim={input_dim}. "
                "Separate timesteps with ';' or new lines and features with commas or spaces."
            )
        x.append([_number(v, f"timestep {t}") for v in step])
    return np.array(x, dtype=np.float64).reshape(len(x), input_dim)


def parse_mask(text: str, steps: int) -> np.ndarray | None:
    """'1, 1, 0, 1' (or true/false) → (steps,) bool; blank means no mask."""
    words = _words((text or "").replace("[", " ").replace("]", " "))
    if not words:
        return None
    truth = {"1": True, "0": False, "true": True, "false": False, "1.0": True, "0.0": False}
    bad = [w for w in words if w.lower() not in truth]
    if bad:
        raise InputError(f"mask entry {bad[0]!r} is not 1/0 or true/false.")
    if len(words) != steps:
        raise InputError(f"the mask has {plural(len(words), 'entry')} but the sequence has {plural(steps, 'timestep')}.")
    return np.array([truth[w.lower()] for w in words])


_DTYPE = re.compile(r"dtype\s*=\s*[\w.]+")
_TOKEN = re.compile(r"\[|\]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)\b", re.IGNORECASE)


def parse_keras_printout(text: str) -> list[np.ndarray]:
    """The text `print(layer.get_weights())` shows → the list of arrays.

    Handles `array([...], dtype=float32)`, numpy's str form without commas
    (`[[1. 2.]]`), and JSON. A printout that numpy shortened with '...' cannot be
    read back, and the message says how to print it in full.
    """
    text = (text or "").strip()
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
        raise InputError(f"cannot read {leftovers[0]!r} in the printout; paste exactly what print() showed.")
    stack: list[list] = [[]]
    for token in _TOKEN.findall(cleaned):
        if token == "[":
            stack.append([])
        elif token == "]":
            if len(stack) == 1:
                raise InputError("the printout has a ']' without its '['.")
            closed = stack.pop()
            stack[-1].append(closed)
        else:
            stack[-1].append(_number(token, "the printout"))
    if len(stack) != 1:
        raise InputError("the printout has a '[' that is never closed; paste all of it.")
    items = stack[0]
    # print(list_of_arrays) wraps the arrays in one more list.
    if len(items) == 1 and isinstance(items[0], list) and items[0] and all(isinstance(a, list) for a in items[0]):
        nested_arrays = [a for a in items[0] if isinstance(a, list)]
        if len(nested_arrays) in (2, 3) and _looks_like_weights(nested_arrays):
            items = nested_arrays
    arrays = []
    for i, item in enumerate(items):
        try:
            arrays.append(np.array(item, dtype=np.float64))
        except ValueError:
            raise InputError(f"array {i} in the printout has rows of different lengths.") from None
    return arrays


def _looks_like_weights(arrays: list) -> bool:
    """kernel and recurrent_kernel are 2-D with the same 3H columns."""
    try:
        kernel, recurrent = np.array(arrays[0], float), np.array(arrays[1], float)
    except ValueError:
        return True  # ragged: they are separate arrays, not one matrix
    return kernel.ndim == 2 and recurrent.ndim == 2 and kernel.shape[1] == recurrent.shape[1]


def parse_target(text: str | None, loss: str, units: int, steps: int) -> np.ndarray | None:
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
        return parse_vector(text, "the target", units)
    try:
        target = parse_sequence(text, units)
    except InputError as problem:
        # parse_sequence speaks of inputs; a target row has one value per unit
        message = str(problem).replace("the model has input_dim=", "the GRU has units=")
        raise InputError(f"target: {message}") from None
    if len(target) != steps:
        raise InputError(f"the target has {plural(len(target), 'timestep')} but the sequence has "
                         f"{plural(steps, 'timestep')}; mse_all needs one target row per output step.")
    return target
