"""The page's modules import each other in one direction: no circle among gruviz/ui/*.py,
counting imports inside functions, and no private name (`_x`) taken from another module."""

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "gruviz" / "ui"
GETTEXT = "_"  # gruviz.text's `_()`, the one underscore name every module imports by design


def imports(path: Path) -> tuple[set[str], list[str]]:
    """The ui modules `path` imports anywhere in it, and the private names it imports."""
    found, private = set(), []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        names = [alias.name for alias in node.names]
        private += [f"{node.module}.{name}" for name in names if name.startswith("_") and name != GETTEXT]
        if node.level == 1 and node.module:  # from .state import RunInputs
            found.add(node.module.split(".")[0])
        elif node.level == 1:  # from . import sources, state
            found.update(names)
    return found, private


def graph() -> dict[str, set[str]]:
    modules = {path.stem: imports(path)[0] for path in UI.glob("*.py")}
    return {name: edges & set(modules) for name, edges in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every circle, as the path that closes it (depth-first search, colouring nodes)."""
    found, state, path = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_the_search_finds_a_circle_through_a_function_level_import(tmp_path):
    """The checker itself can fail: the circle issue 23 reported, rebuilt in miniature."""
    (tmp_path / "sources.py").write_text("def f():\n    from . import keras_panel\n")
    (tmp_path / "keras_panel.py").write_text("from .inputs import RunInputs\n")
    (tmp_path / "inputs.py").write_text("def g():\n    from . import sources\n")
    (tmp_path / "onnx_source.py").write_text("def h():\n    from .sources import _read_cached\n")
    edges = {path.stem: imports(path)[0] for path in tmp_path.glob("*.py")}
    assert cycles(edges) == [["inputs", "sources", "keras_panel", "inputs"]]
    assert imports(tmp_path / "onnx_source.py")[1] == ["sources._read_cached"]


def test_no_import_circle_in_the_page():
    assert cycles(graph()) == []


def test_no_private_name_is_imported_across_modules():
    private = {path.name: imports(path)[1] for path in UI.glob("*.py")}
    assert {name: names for name, names in private.items() if names} == {}
