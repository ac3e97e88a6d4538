"""The package's rooms import one way: `math` < `layouts` < `io` < `explain`/`store` <
`classroom`/`model`/`train` < `cli`/`ui`. No module imports a room above its own or a
sibling room, no two modules import each other through any path, and no private name
(`_x`) crosses from one module to another. Imports inside functions count: they are the
same tie, only hidden. Each rule is shown to fail on a planted case first."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOT = "gruviz"
# The base modules sit under everything; the package's face (__init__, __main__) above it.
RANKS = {"errors": 0, "limits": 0, "text": 0, "math": 1, "layouts": 2, "io": 3, "explain": 4, "store": 4,
         "classroom": 5, "model": 5, "train": 5, "cli": 6, "ui": 6, "__main__": 7}
FACE = 7
GETTEXT = "_"  # gruviz.text's `_()`: the one underscore name every room imports by design


def modules(top: Path) -> dict[str, Path]:
    """Every module under `top` (a folder holding the package) by its dotted name."""
    found = {}
    for path in sorted((top / ROOT).rglob("*.py")):
        parts = list(path.relative_to(top).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _targets(importer: str, path: Path, node: ast.AST, known: dict[str, Path]) -> list[tuple[str, str]]:
    """(module imported, name taken from it) for one import statement; the name is '' for `import x`."""
    def module_of(dotted: str) -> str:
        while dotted not in known and "." in dotted:
            dotted = dotted.rsplit(".", 1)[0]
        return dotted

    if isinstance(node, ast.Import):
        return [(module_of(a.name), "") for a in node.names if a.name.split(".")[0] == ROOT]
    package = importer.split(".") if path.name == "__init__.py" else importer.split(".")[:-1]
    if node.level:
        base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
    elif (node.module or "").split(".")[0] == ROOT:
        base = node.module
    else:
        return []
    return [(f"{base}.{a.name}", "") if f"{base}.{a.name}" in known else (module_of(base), a.name)
            for a in node.names]


def imports(top: Path) -> dict[str, set[tuple[str, str]]]:
    """Each module's imports of the package's modules, anywhere in its body."""
    known = modules(top)
    found = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found[name] = {target for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                       for target in _targets(name, path, node, known) if target[0] != name}
    return found


def rank(module: str) -> tuple[int, str]:
    parts = module.split(".")
    room = parts[1] if len(parts) > 1 else ""
    return (RANKS[room] if room in RANKS else FACE if len(parts) == 1 else -1), room


def upward(found: dict[str, set[tuple[str, str]]]) -> list[str]:
    """Imports of a room above the importer's, or of a sibling room at the same rank."""
    bad = []
    for module, targets in sorted(found.items()):
        (level, room) = rank(module)
        for target, _name in sorted(targets):
            (their_level, their_room) = rank(target)
            if their_level > level or (their_level == level and their_room != room and level > 0):
                bad.append(f"{module} → {target}")
    return bad


def circles(found: dict[str, set[tuple[str, str]]]) -> list[list[str]]:
    """The groups of modules that reach each other (Tarjan's strongly connected components)."""
    edges = {m: {t for t, _n in targets} for m, targets in found.items()}
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while not group or group[-1] != v:
                group.append(stack.pop())
                on_stack.discard(group[-1])
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return groups


def private(found: dict[str, set[tuple[str, str]]]) -> list[str]:
    return sorted(f"{module} takes {target}.{name}" for module, targets in found.items()
                  for target, name in targets if name.startswith("_") and name != GETTEXT)


def plant(tmp_path: Path, files: dict[str, str]) -> Path:
    for relative, text in {"gruviz/__init__.py": "", "gruviz/math/__init__.py": "",
                           "gruviz/io/__init__.py": "", "gruviz/ui/__init__.py": "", **files}.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    return tmp_path


PLANTED = {
    "circle through a function": ({"gruviz/io/a.py": "def f():\n    from .b import g\n",
                                   "gruviz/io/b.py": "from gruviz.io import a\n"}, circles, 1),
    "circle through the package's face": ({"gruviz/io/__init__.py": "from .a import x\n",
                                           "gruviz/io/a.py": "from . import y\n"}, circles, 1),
    "upward import": ({"gruviz/math/cell.py": "def f():\n    from ..ui import page\n",
                       "gruviz/ui/page.py": ""}, upward, 1),
    "sideways import": ({"gruviz/cli/main.py": "from gruviz.ui import page\n",
                         "gruviz/ui/page.py": ""}, upward, 1),
    "private name": ({"gruviz/io/a.py": "_secret = 1\n", "gruviz/io/b.py": "from .a import (x,\n    _secret)\n"},
                     private, 1),
    "gettext's underscore": ({"gruviz/text.py": "def _(s): return s\n",
                              "gruviz/io/a.py": "from ..text import _\n"}, private, 0),
}


@pytest.mark.parametrize("files, rule, expected", PLANTED.values(), ids=PLANTED.keys())
def test_each_rule_finds_what_is_planted(tmp_path, files, rule, expected):
    assert len(rule(imports(plant(tmp_path, files)))) == expected


def test_no_module_imports_a_room_above_or_beside_its_own():
    assert upward(imports(REPO)) == []


def test_no_import_circle():
    assert circles(imports(REPO)) == []


def test_no_private_name_crosses_modules():
    assert private(imports(REPO)) == []


def test_every_room_has_a_rank():
    rooms = {rank(m)[1] for m in modules(REPO)} - {""}
    assert rooms <= set(RANKS), sorted(rooms - set(RANKS))
