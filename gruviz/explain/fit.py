r"""Long equations broken over lines so that they fit a phone.

KaTeX cannot wrap a display equation: what does not fit the width is cut off. So
an aligned block whose row is wider than `PHONE` (in em, KaTeX's unit) gets that row
written one relation per line, `a &= b = c` → `a &= b \\ & = c`, and a relation that
is still too wide is broken after a `+` (or a `,` of a vector). `width` estimates from
KaTeX's font metrics how wide a fragment renders; it errs on the wide side.
"""

from __future__ import annotations

import re

# A phone's column (390 px less the page's margins: 358 px) at KaTeX's display size
# (1.21 × 16 px per em) holds 18.5 em; `width` may miss by a few per cent, so some is kept spare.
PHONE = 17.0
COLUMN = 15.0  # one of two columns on a tablet (~300 px): where an exercise with two units puts a hint

RELATION = r" \\ & = "  # a new line for the next relation (the space keeps " = value" at the end)
_WRAPS = {" + ": r" \\ &\quad{}+ ", ", ": r", \\ &\quad "}  # a long sum or vector, continued

_TOKEN = re.compile(r"\\[a-zA-Z]+|\\.|[{}_^&]|\s+|.")
_NARROW = {".": 0.28, ",": 0.45, ";": 0.45, ":": 0.28, "(": 0.39, ")": 0.39, "[": 0.28, "]": 0.28,
           "|": 0.28, "'": 0.3, "!": 0.28, "/": 0.5, "′": 0.3}
_SPACED = {"+": 1.22, "-": 1.22, "−": 1.22, "=": 1.34, "<": 1.34, ">": 1.34, "←": 1.56}
_COMMANDS = {"cdot": 0.72, "odot": 1.22, "times": 1.22, "pm": 1.22, "sigma": 0.57, "varphi": 0.65, "phi": 0.6,
             "delta": 0.45, "tanh": 2.1, "max": 1.8, "quad": 1.0, "qquad": 2.0, ",": 0.17, ";": 0.28, ":": 0.22,
             "!": -0.17, " ": 0.33, "top": 0.78, "ldots": 1.2, "dots": 1.2, "to": 1.0, "|": 0.5}
_SKIPPED = {"tilde", "hat", "bar", "mathrm", "mathbf", "left", "right", "big", "Big", "bigg", "small",
            "displaystyle", "textstyle", "hline", "operatorname"}


def width(tex: str) -> float:
    """Roughly how many em `tex` takes in KaTeX's display style."""
    return 1.02 * _group(_TOKEN.findall(tex), 0, 1.0, False)[0]


def _group(tokens: list[str], i: int, scale: float, text: bool) -> tuple[float, int]:
    """The width of tokens from `i` up to the `}` closing this group (or the end)."""
    total, operand = 0.0, False
    while i < len(tokens):
        tok = tokens[i]
        i += 1
        if tok == "}":
            break
        if tok == "{":
            w, i = _group(tokens, i, scale, text)
        elif tok in ("_", "^"):
            w, i = _argument(tokens, i, scale * (0.7 if scale > 0.6 else 0.72), text)
        elif tok.isspace():
            w = 0.33 * scale if text else 0.0
        elif tok.startswith("\\"):
            w, i = _command(tok[1:], tokens, i, scale, text)
        elif text:
            w = (0.5 if tok.isalnum() else 0.3) * scale
        elif tok in _SPACED:
            w = (_SPACED[tok] if operand or tok not in "+-−" else 0.78) * scale
            operand = tok not in "+-−=<>←"
            total += w
            continue
        elif tok == "&":
            w = 0.0
        elif tok.isdigit():
            w = 0.5 * scale
        elif tok in _NARROW:
            w = _NARROW[tok] * scale
        else:
            w = (0.86 if tok.isupper() else 0.56) * scale
        operand = tok not in "([&" and not tok.isspace()
        total += w
    return total, i


def _argument(tokens: list[str], i: int, scale: float, text: bool) -> tuple[float, int]:
    """One token or one braced group: a command's or a script's argument."""
    if i >= len(tokens):
        return 0.0, i
    if tokens[i] == "{":
        return _group(tokens, i + 1, scale, text)
    return _group([tokens[i]], 0, scale, text)[0], i + 1


def _command(name: str, tokens: list[str], i: int, scale: float, text: bool) -> tuple[float, int]:
    if name in ("text", "textrm", "mbox"):
        return _argument(tokens, i, scale, True)
    if name == "textcolor":
        return _argument(tokens, _argument(tokens, i, scale, text)[1], scale, text)
    if name in ("begin", "end"):
        return 0.0, _argument(tokens, i, scale, True)[1]
    if name in ("frac", "tfrac", "dfrac"):
        small = scale * (0.7 if name == "tfrac" else 1.0)
        top, i = _argument(tokens, i, small, text)
        bottom, i = _argument(tokens, i, small, text)
        return max(top, bottom) + 0.24 * scale, i
    if name == "boxed":
        inside, i = _argument(tokens, i, scale, text)
        return inside + 0.7 * scale, i
    if name == "phantom":
        return _argument(tokens, i, scale, text)
    if name in _SKIPPED:
        return 0.0, i
    return _COMMANDS.get(name, 0.6) * scale, i


def _top_level(tex: str, separator: str) -> list[str]:
    """`tex` split at `separator` where no brace and no \\left…\\right is open."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(tex):
        if tex.startswith("\\left", i) or tex.startswith("\\right", i):
            depth += 1 if tex.startswith("\\left", i) else -1
            i += 5
            continue
        char = tex[i]
        if char == "\\":
            i += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0 and tex.startswith(separator, i):
            parts.append(tex[start:i])
            start = i = i + len(separator)
            continue
        i += 1
    return parts + [tex[start:]]


def _rows(body: str) -> list[tuple[str, str]]:
    """An aligned body's rows, each with the break that ends it ("" for the last)."""
    pieces = re.split(r"( \\\\(?:\[[^\]]*\])? )", body)
    return list(zip(pieces[::2], pieces[1::2] + [""]))


def _wrapped(relation: str, room: float) -> str:
    """A relation broken after + or , into lines no wider than `room`, where it can be."""
    if width(relation) <= room:
        return relation
    for separator, join in _WRAPS.items():
        terms = _top_level(relation, separator)
        if len(terms) == 1:
            continue
        lines, line = [], terms[0]
        for term in terms[1:]:
            if width(line + separator + term) <= room - (2.2 if lines else 0.0):
                line += separator + term
            else:
                lines.append(line)
                line = term
        return join.join(lines + [line])
    return relation


def fit(latex: str, room: float = PHONE) -> str:
    """`latex` (an aligned block, or one equation) with every row that is wider than
    `room` em written one relation per line, and long sums broken too."""
    aligned = latex.startswith("\\begin{aligned}")
    if not aligned and width(latex) <= room:
        return latex
    body = latex.removeprefix("\\begin{aligned}").removesuffix("\\end{aligned}") if aligned else latex
    rows = _rows(body)
    split_rows = [_aligned_at(row) for row, _ in rows]
    left_room = max(width(left) for left, _, _ in split_rows)
    out = []
    for (left, amp, right), (_, end) in zip(split_rows, rows):
        if left_room + width(right) <= room:
            out.append(f"{left}{amp}{right}{end}")
            continue
        lead = "= " if right.lstrip().startswith("=") else ""
        relations = _top_level(right.lstrip().removeprefix("=").lstrip(), " = ")
        room_right = room - left_room - 1.4
        lines = [f"{left}&{lead}{_wrapped(relations[0], room_right)}"]
        lines += [_wrapped(relation, room_right) for relation in relations[1:]]
        out.append(RELATION.join(lines) + end)
    return "\\begin{aligned}" + "".join(out) + "\\end{aligned}"


def _aligned_at(row: str) -> tuple[str, str, str]:
    """A row's left side, its '&' and its right side; a row without '&' is aligned at its first '='."""
    parts = _top_level(row, "&")
    if len(parts) > 1:
        return parts[0], "&", "&".join(parts[1:])
    parts = _top_level(row, " = ")
    if len(parts) == 1:
        return "", "", row
    return parts[0] + " ", "&", "= " + " = ".join(parts[1:])

