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
