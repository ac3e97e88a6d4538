"""Untrusted text, read without surprises: numbers as people type them, JSON whose
depth and digits are bounded before Python sees them, and sizes checked against
`Limits`. Every text parser of gruviz reads through here, so the refusals
(InputError, never RecursionError, ValueError or OverflowError) are written once.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..limits import Limits
from ..text import _, count, ngettext

MAX_DEPTH = 16  # the deepest real input (weights, step claims) nests 3 levels
MAX_NUMBER_CHARS = 64  # float64 has 17 significant digits; 64 leaves room for zeros and an exponent

_DECIMAL = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", re.ASCII)
_LONG_DECIMAL = re.compile(r"[-+]?[\d.]+(?:[eE][-+]?\d+)?", re.ASCII)
_NON_FINITE = re.compile(r"[-+]?(?:nan|inf|infinity)", re.IGNORECASE)
# A JSON string, closed or running to the end; possessive, so each quote is scanned once.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*+"?', re.DOTALL)


def shown(text: str, limit: int = 24) -> str:
    """A token as a message quotes it: repr'd, and cut when long."""
    if len(text) <= limit:
        return repr(text)
    return _long(repr(text[:limit]), len(text))


def _long(start: str, length: int) -> str:
    return ngettext("{start}… ({count} character)", "{start}… ({count} characters)", length).format(
        start=start, count=count(length))


def cut(text: str, limit: int = 80) -> str:
    """A name from a file as a message quotes it: whole, or its start and its length when long
    (a 4 MB layer name must not make a 4 MB message)."""
    return text if len(text) <= limit else _long(text[:limit], len(text))


def odd_character(text: str) -> str | None:
    """The first character outside printable ASCII, named for a person."""
    for ch in text:
        if not (" " <= ch <= "~"):
            name = unicodedata.name(ch, None) or _("an unnamed character")
            return f"{name} (U+{ord(ch):04X})"
    return None


def number_text(token: str, where: str) -> str:
    """`token` itself, once it is known to be a plain decimal that float64 holds finitely.

    Python's float() also reads '١٢', '１２', '1_000' and ' 1 '; a person who typed
    those meant something else, so they are refused by name rather than guessed."""
    if len(token) > MAX_NUMBER_CHARS:
        if _LONG_DECIMAL.fullmatch(token):
            digits = len(token) - sum(token.count(ch) for ch in ".eE+-")
            raise InputError(ngettext(
                "{where}: a number with {digits} digit ({token}); gruviz reads numbers of at most {cap} characters.",
                "{where}: a number with {digits} digits ({token}); gruviz reads numbers of at most {cap} characters.",
                digits).format(where=where, digits=count(digits), token=shown(token, 12), cap=count(MAX_NUMBER_CHARS)))
        raise _not_a_number(where, shown(token, 12))
    if _DECIMAL.fullmatch(token):
        if not math.isfinite(float(token)):
            raise InputError(_("{where}: {token} is beyond float64's range (about ±1.8e308), so it is not a finite "
                               "number; use ordinary values like 0.5 or -2.").format(where=where, token=token))
        return token
    if _NON_FINITE.fullmatch(token):
        raise _not_finite(where, token)
    odd = odd_character(token)
    if odd is not None:
        raise InputError(_("{where}: {token} contains {character}; type numbers with the digits 0-9, a '.' and an "
                           "optional e-exponent, like -0.25 or 1e-3.").format(where=where, token=shown(token),
                                                                             character=odd))
    raise _not_a_number(where, shown(token))


def _not_a_number(where: str, token: str) -> InputError:
    return InputError(_("{where}: {token} is not a number.").format(where=where, token=token))


def _not_finite(where: str, token) -> InputError:
    return InputError(_("{where}: {token} is not a finite number; use ordinary values like 0.5 or -2.").format(
        where=where, token=token))


def number(token, where: str) -> float:
    """A finite float from typed text, or from a value JSON already read."""
    if isinstance(token, bool) or not isinstance(token, (int, float, str)):
        raise _not_a_number(where, shown(json_text(token)))
    if isinstance(token, str):
        return float(number_text(token, where))
    value = float(token)  # JSON numbers arrive already checked by `loads`
    if not math.isfinite(value):
        raise _not_finite(where, token)
    return value


def json_text(value) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def check_length(text: str, what: str, limits: Limits, cap: int | None = None) -> str:
    """`text` unchanged, or a refusal naming the limit before anything reads it."""
    cap = limits.max_text_chars if cap is None else cap
    if len(text) > cap:
        length = len(text)
        if limits.instead:
            message = ngettext("{what} is {length} character long; {who} reads at most {cap} — {instead}.",
                               "{what} is {length} characters long; {who} reads at most {cap} — {instead}.", length)
        else:
            message = ngettext("{what} is {length} character long; {who} reads at most {cap}.",
                               "{what} is {length} characters long; {who} reads at most {cap}.", length)
        raise InputError(message.format(what=what, length=count(length), cap=count(cap), **_whom(limits)))
    return text


def _whom(limits: Limits) -> dict[str, str]:
    """Who applies `limits` and where to go beyond them, in the reader's language: both are English
    sentences marked where the limits are defined (never _(""), which is the catalogue's header)."""
    return {"who": _(limits.who), "instead": _(limits.instead) if limits.instead else ""}


def over(what: str, amount: str, cap: int, limits: Limits) -> InputError:
    """The refusal for `amount` ("6 timesteps", counted in the reader's language) where `limits`
    allow `cap`."""
    if limits.instead:
        message = _("{what} has {amount}; {who} handles at most {cap} — {instead}.")
    else:
        message = _("{what} has {amount}; {who} handles at most {cap}.")
    return InputError(message.format(what=what, amount=amount, cap=count(cap), **_whom(limits)))


def nesting_depth(text: str) -> int:
    """How deep [ and { nest in `text`, strings aside; linear time and no recursion."""
    raw = np.frombuffer(_JSON_STRING.sub("", text).encode("utf-8", "surrogatepass"), np.uint8)
    brackets = raw[(raw == ord("[")) | (raw == ord("{")) | (raw == ord("]")) | (raw == ord("}"))]
    if not brackets.size:
        return 0
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1).astype(np.int32)
    return int(np.cumsum(steps).max())


def check_depth(text: str, what: str) -> None:
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise InputError(_("{what} nests brackets {depth} levels deep; gruviz reads at most {cap} (a sequence "
                           "needs 2, a weights file 3).").format(what=what, depth=count(depth), cap=count(MAX_DEPTH)))


class NumberText(str):
    """A JSON number kept as typed, so its digits can set a tolerance."""


def loads(text: str, what: str, limits: Limits, cap: int | None = None, keep_number_text: bool = False):
    """json.loads with the length, depth and every number checked first.

    Numbers come back as float, or as NumberText with `keep_number_text`; NaN,
    Infinity, 1e999 and 5,000-digit integers are refused."""
    check_length(text, what, limits, cap)
    check_depth(text, what)

    def read_number(token: str, kind=float):
        token = number_text(token, what)
        return NumberText(token) if keep_number_text else kind(token)

    def refuse_constant(token: str):
        raise InputError(_("{what} contains {token}, which is not a finite number; every value must be an "
                           "ordinary number like 0.5.").format(what=what, token=token))

    try:
        return json.loads(text, parse_int=lambda token: read_number(token, int), parse_float=read_number, parse_constant=refuse_constant)
    except json.JSONDecodeError as error:
        # error.msg is Python's own English ("Expecting value"), quoted as json gives it
        raise InputError(_("{what} is not valid JSON ({error} at line {line}, column {column}).").format(
            what=what, error=error.msg, line=count(error.lineno), column=count(error.colno))) from None
    except RecursionError:  # the depth check makes this unreachable; kept so no path can crash
        raise InputError(_("{what} nests brackets too deeply to read.").format(what=what)) from None


def read_text(path: str | Path, what: str, max_bytes: int) -> str:
    """A named file's text, read no further than `max_bytes` (so /dev/zero cannot stall it)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as error:
        raise cannot_read(path, error) from None
    if len(raw) > max_bytes:
        raise InputError(_("{path} is larger than {cap} bytes, the most gruviz reads for {what}.").format(
            path=path, cap=count(max_bytes), what=what))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(_("{path} is not UTF-8 text; {what} is JSON.").format(path=path, what=what)) from None


def cannot_read(path, error: OSError) -> InputError:
    """A named file the system would not open; its reason is the system's own (English) words."""
    return InputError(_("cannot read {path}: {reason}.").format(path=path, reason=error.strerror or error))
