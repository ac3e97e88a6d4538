"""The readers in gruviz/io import without circles: the sandbox's child depends on the
readers, and no reader depends on the sandbox. Imports inside functions count, since they tie
modules together just the same; the walk is tests/test_package_imports.py's."""

from __future__ import annotations

from test_package_imports import REPO, circles, imports, plant

SANDBOX = {"gruviz.io.sandbox", "gruviz.io.sandbox_child"}


def io_graph(found: dict) -> dict[str, set[str]]:
    return {module: {target for target, _name in targets if target.startswith("gruviz.io.")}
            for module, targets in found.items() if module.startswith("gruviz.io.")}


def test_the_cycle_finder_finds_a_circle_through_a_function_level_import(tmp_path):
    """The check could fail: the circle this module guards against, onnx_file → sandbox →
    sandbox_child → onnx_file, is found when it is written as the code once had it."""
    found = imports(plant(tmp_path, {"gruviz/io/onnx_file.py": "def f():\n    from .sandbox import run\n",
                                     "gruviz/io/sandbox.py": "from . import sandbox_child\n",
                                     "gruviz/io/sandbox_child.py": "import gruviz.io.onnx_file\n"}))
    assert circles(found) == [["gruviz.io.onnx_file", "gruviz.io.sandbox", "gruviz.io.sandbox_child"]]


def test_io_has_no_import_circle():
    edges = io_graph(imports(REPO))
    assert {"gruviz.io.onnx_file", "gruviz.io.model_files", "gruviz.io.legacy_h5"} | SANDBOX <= set(edges)
    assert circles({m: {(t, "") for t in targets} for m, targets in edges.items()}) == []


def test_no_reader_depends_on_the_sandbox():
    edges = io_graph(imports(REPO))
    leaning = {m: sorted(edges[m] & SANDBOX) for m in edges if m not in SANDBOX and edges[m] & SANDBOX}
    assert not leaning, leaning
    assert "gruviz.io.onnx_file" in edges["gruviz.io.sandbox_child"] | edges["gruviz.io.sandbox"]
