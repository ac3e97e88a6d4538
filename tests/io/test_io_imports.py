"""The readers in gruviz/io import without circles: the sandbox's child depends on the
readers, and no reader depends on the sandbox. Imports inside functions count, since
they tie modules together just the same; the package-wide layering test covers the rest."""

from __future__ import annotations

import ast
from pathlib import Path

IO = Path(__file__).resolve().parents[2] / "gruviz" / "io"


def _imports(path: Path) -> set[str]:
    """The modules of `path`'s folder (gruviz.io) it imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:  # from .x import y, from . import x
            names = [node.module] if node.module else [alias.name for alias in node.names]
            found |= {name.split(".")[0] for name in names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "gruviz.io":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("gruviz.io."):
            found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[2] for a in node.names if a.name.startswith("gruviz.io.")}
    return {name for name in found if (path.parent / f"{name}.py").exists()}


def graph(folder: Path = IO) -> dict[str, set[str]]:
    return {path.stem: _imports(path) - {path.stem} for path in sorted(folder.glob("*.py"))}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for target in sorted(edges.get(module, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and (found := visit(target, path + [target])):
                return found
        state[module] = 2
        return None

    for module in sorted(edges):
        if module not in state and (found := visit(module, [module])):
            return found
    return None


def test_the_cycle_finder_finds_a_circle_through_a_function_level_import(tmp_path):
    """The check could fail: the circle this module guards against, onnx_file → sandbox →
    sandbox_child → onnx_file, is found when it is written as the code once had it."""
    (tmp_path / "a.py").write_text("def f():\n    from .b import g\n")
    (tmp_path / "b.py").write_text("from . import c\n")
    (tmp_path / "c.py").write_text("import gruviz.io.a\n")
    assert cycle(graph(tmp_path)) == ["a", "b", "c", "a"]
    (tmp_path / "c.py").write_text("from gruviz.io import b\n")
    assert cycle(graph(tmp_path)) == ["b", "c", "b"]


def test_io_has_no_import_circle():
    edges = graph()
    assert {"sandbox", "sandbox_child", "onnx_file", "model_files", "legacy_h5"} <= set(edges)
    assert cycle(edges) is None, " → ".join(cycle(edges))


def test_no_reader_depends_on_the_sandbox():
    edges = graph()
    sandbox = {"sandbox", "sandbox_child"}
    readers = [m for m in edges if m not in sandbox]
    leaning = {m: sorted(edges[m] & sandbox) for m in readers if edges[m] & sandbox}
    assert not leaning, leaning
    assert "onnx_file" in edges["sandbox_child"] or "onnx_file" in edges["sandbox"]
