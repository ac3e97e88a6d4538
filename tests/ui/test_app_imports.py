"""The page's modules import each other in one direction: its rooms `kit` (what every page
uses) < `sidebar` (where the numbers come from) < `views` (one module per page or tab), no
room importing one above it; no circle among gruviz/ui's modules, counting imports inside
functions; and no private name (`_x`) taken from another module. The walk over the imports is
tests/test_package_imports.py's; this file holds the page to it."""

import pytest

from test_package_imports import REPO, circles, imports, plant, private

ROOMS = {"kit": 0, "sidebar": 1, "views": 2}


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


def against_the_rooms(found: dict) -> list[str]:
    """Imports from a ui room into one above it (views above sidebar above kit)."""
    def room(module: str) -> int:
        parts = module.split(".")
        return ROOMS.get(parts[2], -1) if len(parts) > 3 else -1

    return [f"{module} → {target}" for module, targets in sorted(in_ui(found).items())
            for target, _name in sorted(targets) if room(target) > room(module) >= 0]


@pytest.mark.parametrize("planted, expected", [
    ({"gruviz/ui/kit/memo.py": "def f():\n    from ..views import tabs\n", "gruviz/ui/views/tabs.py": ""},
     ["gruviz.ui.kit.memo → gruviz.ui.views.tabs"]),
    ({"gruviz/ui/sidebar/inputs.py": "from ..views.results import show\n", "gruviz/ui/views/results.py": ""},
     ["gruviz.ui.sidebar.inputs → gruviz.ui.views.results"]),
    ({"gruviz/ui/views/results.py": "from ..kit import memo\nfrom ..sidebar import inputs\n",
      "gruviz/ui/kit/memo.py": "", "gruviz/ui/sidebar/inputs.py": ""}, []),
])
def test_the_rooms_check_fails_on_a_planted_import_up_the_page(tmp_path, planted, expected):
    for package in ("gruviz/ui/kit", "gruviz/ui/sidebar", "gruviz/ui/views"):
        planted.setdefault(f"{package}/__init__.py", "")
    assert against_the_rooms(imports(plant(tmp_path, planted))) == expected


def test_no_room_of_the_page_imports_one_above_it():
    assert against_the_rooms(imports(REPO)) == []
