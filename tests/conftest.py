import functools
import gc
import io
import os
import tempfile
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# The app keeps classes (and the key that signs exercise links) in SQLite under this folder: a
# test run gets its own, and the apps the browser tests start inherit it.
os.environ.setdefault("GRUVIZ_DATA_DIR", tempfile.mkdtemp(prefix="gruviz-test-data-"))

import numpy as np
import pytest

from gruviz import GRUConfig, GRUWeights

# The Stack Exchange question's weights, as printed by Keras (spec §5).
SEED_KERNEL = [[-0.90954137, 1.0425225, -0.04404902]]
SEED_RECURRENT = [[0.24168766, 0.8981342, 0.36734456]]
SEED_SEQUENCE = [[1.0], [2.0], [9.0], [8.0]]


@pytest.fixture
def seed_weights() -> GRUWeights:
    return GRUWeights.create(GRUConfig(units=1, input_dim=1), SEED_KERNEL, SEED_RECURRENT, np.zeros((2, 3)))


def random_weights(rng: np.random.Generator, config: GRUConfig, scale: float = 0.6) -> GRUWeights:
    """Weights with every array, both bias rows included, random and non-zero."""
    D, H = config.input_dim, config.units
    bias = None
    if config.use_bias:
        bias = rng.normal(0, scale, (2, 3 * H) if config.reset_after else (3 * H,))
    return GRUWeights.create(
        config, rng.normal(0, scale, (D, 3 * H)), rng.normal(0, scale, (H, 3 * H)), bias
    )


def zipped(**members) -> bytes:
    """A zip archive in memory; a member's "_" stands for "." (config_json → config.json)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, blob in members.items():
            archive.writestr(name.replace("_", "."), blob)
    return buffer.getvalue()


# The class database: every test using `class_store` (or `class_url`) runs on SQLite and on a
# real PostgreSQL server started for the session (tests/class_db.py), never on a mock.
@pytest.fixture(scope="session")
def postgres_server():
    from class_db import PostgresServer, bin_dir

    server = PostgresServer(bin_dir()).start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def class_url(request, tmp_path):
    """A fresh, empty database's URL: a new SQLite file, or a new PostgreSQL database."""
    from class_db import sqlite_url
    from gruviz.store.engine import forget

    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
        yield url
        forget(url)
        return
    server = request.getfixturevalue("postgres_server")
    name = server.create_database()
    url = server.url(name)
    yield url
    forget(url)
    server.drop_database(name)


@pytest.fixture
def class_store(class_url):
    """A `gruviz.store.Store` on a fresh database, migrated; `class_url` names the same database."""
    from gruviz.store import Store

    return Store(class_url)


@pytest.fixture
def backend(class_url) -> str:
    return "sqlite" if class_url.startswith("sqlite") else "postgresql"


def _scan_for_components_once() -> None:
    """Every new AppTest scans the metadata of each installed package (about a hundred) for
    Streamlit components: 0.25 s each time, most of a short AppTest. Nothing is installed while the
    tests run, so the first scan's answer stands for the rest."""
    from streamlit.components.v2 import manifest_scanner

    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


_scan_for_components_once()


def pytest_collection_finish(session):
    """Collecting imports TensorFlow, Keras and PyTorch into every test process: half a million
    objects that live as long as it does. After each script run Streamlit clears Keras's session,
    whose gc.collect() scanned them all (0.4-0.8 s of every AppTest run of a page that had not
    loaded TensorFlow itself, which holds the session). Frozen, they are left out of every later
    collection."""
    gc.collect()
    gc.freeze()


# Marks by what a test needs, so a developer can run the fast core alone (make test-fast):
# browser (a real `streamlit run` in chromium: tests/browser, tests/serve), keras (a real
# framework: TensorFlow, PyTorch, onnxruntime, EpyNN), slow (the page through AppTest, tests/ui,
# and the command line as real processes, tests/cli).
_FRAMEWORKS = ("keras", "tensorflow", "torch", "onnxruntime", "epynn")


def _needs_framework(path: str, seen: dict = {}) -> bool:  # noqa: B006 - a cache for the session
    if path not in seen:
        text = open(path, encoding="utf-8").read()
        seen[path] = "--keras" in text or any(
            f"import {name}" in text or f"importorskip(\"{name}" in text or f"{name}_bridge" in text
            for name in _FRAMEWORKS)
    return seen[path]


# The slowest folders first: with --dist loadfile --no-loadscope-reorder a worker takes whole files
# in this order, so the run ends on short files instead of one worker finishing a long one alone.
_FIRST = ("browser", "serve", "ui", "model", "classroom", "io", "cli")


def _folder(item) -> str:
    return os.path.basename(os.path.dirname(str(item.fspath)))


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: _FIRST.index(_folder(item)) if _folder(item) in _FIRST else len(_FIRST))
    for item in items:
        folder = _folder(item)
        if folder in ("browser", "serve"):
            item.add_marker(pytest.mark.browser)
        if folder in ("ui", "cli"):
            item.add_marker(pytest.mark.slow)
        if _needs_framework(str(item.fspath)):
            item.add_marker(pytest.mark.keras)


# What the browser test modules share: one app under `streamlit run` per test worker (its log in
# test-output/streamlit-<worker>.log), started by the first module that asks and stopped when the
# worker ends. Each test gets a browser context no other test holds, its cookies and storage
# cleared, and each page load opens a new Streamlit session, so no state passes between tests.
# Starting an app imports TensorFlow for seconds, once per worker instead of once per module. A module that needs another app (no TensorFlow, the Train view alone,
# two processes behind nginx) defines its own app_url.
@pytest.fixture(scope="session")
def shared_app_url():
    from live_app import running_app

    with running_app(f"streamlit-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log") as url:
        yield url


@pytest.fixture(scope="module")
def app_url(shared_app_url):
    return shared_app_url


# One chromium per test worker, shared by the modules that use `browser`: its contexts are lent to
# the tests one at a time and taken back (live_app.Tabs), so a module's first page load runs in a
# renderer that already holds Streamlit's compiled JavaScript. Playwright's sync API keeps an event
# loop running while chromium is open, and a module that drives its own Playwright or asyncio
# cannot start its own inside it: before such a module (any that does not use `browser`) the shared
# chromium is closed, and the next module that needs it starts it again.
class _SharedChromium:
    def __init__(self):
        self._open, self.tabs = None, None

    def tabs_now(self):
        if self.tabs is None:
            from live_app import Tabs, chromium

            self._open = chromium()
            self.tabs = Tabs(self._open.__enter__())
        return self.tabs

    def close(self) -> None:
        if self.tabs is not None:
            tabs, opened, self.tabs, self._open = self.tabs, self._open, None, None
            try:
                tabs.close()
            finally:
                opened.__exit__(None, None, None)


@pytest.fixture(scope="session")
def _shared_chromium():
    shared = _SharedChromium()
    yield shared
    shared.close()


@pytest.fixture(scope="module", autouse=True)
def _no_chromium_left_open(request, _shared_chromium):
    if not any("browser" in item.fixturenames for item in request.session.items if item.module is request.module):
        _shared_chromium.close()


@pytest.fixture(scope="module")
def browser(_shared_chromium):
    return _shared_chromium.tabs_now()
