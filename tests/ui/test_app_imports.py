"""The page's modules import each other in one direction: no circle among gruviz/ui's modules,
counting imports inside functions, and no private name (`_x`) taken from another module. The
walk over the imports is tests/test_package_imports.py's; this file holds the page to it."""

from test_package_imports import REPO, circles, imports, plant, private


def in_ui(found: dict) -> dict:
    return {module: targets for module, targets in found.items() if module.startswith("gruviz.ui.")}


def test_the_search_finds_a_circle_through_a_function_level_import(tmp_path):
    """The checker itself can fail: the circle issue 23 reported, rebuilt in miniature."""
    found = imports(plant(tmp_path, {
        "gruviz/ui/sources.py": "def f():\n    from . import keras_panel\n",
        "gruviz/ui/keras_panel.py": "from .inputs import RunInputs\n",
        "gruviz/ui/inputs.py": "def g():\n    from . import sources\n",
        "gruviz/ui/onnx_source.py": "def h():\n    from .sources import _read_cached\n"}))
    assert circles(in_ui(found)) == [["gruviz.ui.inputs", "gruviz.ui.keras_panel", "gruviz.ui.sources"]]
    assert private(in_ui(found)) == ["gruviz.ui.onnx_source takes gruviz.ui.sources._read_cached"]


def test_no_import_circle_in_the_page():
    assert circles(in_ui(imports(REPO))) == []


def test_no_private_name_is_imported_across_modules():
    assert private(in_ui(imports(REPO))) == []
