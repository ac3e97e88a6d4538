"""The slowest hostile upload, through the real uploader of the real app, in Debian's chromium.

    .venv/bin/python -m pytest -q tests/browser/test_browser_hostile.py        (or: -m browser)

While the file is being read (libhdf5 spins on it until the reader's time limit, set here to
5 s through GRUVIZ_READ_SECONDS), the server's health endpoint must answer within 2 s; then the
page shows the refusal with that limit and no exception, and the example on screen is unchanged.
"""

from __future__ import annotations

import io
import json
import time
import urllib.request
from pathlib import Path

import h5py
import numpy as np
import pytest

from live_app import REPO, VIEWPORT, AppDidNotStart, start_app, stop_app
from playwright.sync_api import expect
from hostile_bytes import spinning_model_config

from gruviz.limits import READ_SECONDS_ENV

pytestmark = pytest.mark.browser

SEED_OUTPUT = "-0.462795"  # spec §5: Keras 3 gives -0.46279544 for the default example
PAGE_MS = 90_000
READ_SECONDS = 5  # long enough to ask for health a dozen times while the file is read, even on a busy machine


def legacy_h5() -> bytes:
    """A legacy model.save('m.h5') layout written with h5py: model_config is a
    variable-length string in the global heap, as Keras writes it."""
    layer = {"class_name": "GRU", "config": {"name": "gru", "units": 2, "reset_after": True}}
    out = io.BytesIO()
    with h5py.File(out, "w") as f:
        f.attrs["keras_version"] = "3.10.0"
        f.attrs["model_config"] = json.dumps({"class_name": "Sequential", "config": {"layers": [layer]}})
        group = f.create_group("model_weights/gru")
        group.attrs["weight_names"] = [b"gru/kernel", b"gru/recurrent_kernel", b"gru/bias"]
        for name, shape in (("kernel", (1, 6)), ("recurrent_kernel", (2, 6)), ("bias", (2, 6))):
            group.create_dataset("gru/" + name, data=np.ones(shape, "f4"))
    return out.getvalue()


def readers_running(server_pid: int) -> int:
    """How many sandboxed readers the server has started and not yet reaped."""
    count = 0
    for task in Path(f"/proc/{server_pid}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                count += b"sandbox_child" in Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                pass
    return count


def health_seconds(url: str) -> float:
    """How long /_stcore/health took to say ok; infinity when it did not within 2 s."""
    start = time.monotonic()
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
            assert answer.read().decode().strip() == "ok"
    except OSError:
        return float("inf")
    return time.monotonic() - start


def test_health_answers_while_a_stalling_file_is_read(browser, tmp_path, monkeypatch):
    stall = tmp_path / "stall.h5"
    stall.write_bytes(spinning_model_config(legacy_h5()))
    log = REPO / "test-output"
    log.mkdir(exist_ok=True)
    # No TensorFlow in this server: its import would hold the GIL for long stretches, and this test
    # times the file reader (which reads a Keras file without TensorFlow), not the import.
    monkeypatch.setenv("GRUVIZ_FAKE_TF_IMPORT", "fail")
    monkeypatch.setenv(READ_SECONDS_ENV, str(READ_SECONDS))  # an operator's limit: the app's, not 10 s
    try:
        proc, url = start_app(log / "streamlit-browser-hostile.log")
    except AppDidNotStart as problem:
        pytest.fail(str(problem))
    try:
        context = browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            page.goto(url)
            app = page.get_by_test_id("stApp")
            expect(app).to_contain_text(SEED_OUTPUT, timeout=PAGE_MS)
            expect(app).to_contain_text("TensorFlow is not available", timeout=PAGE_MS)
            sidebar = page.get_by_test_id("stSidebar")
            sidebar.get_by_test_id("stRadio").get_by_text("Upload a Keras file", exact=True).click()
            uploader = sidebar.get_by_test_id("stFileUploader")
            expect(uploader).to_be_visible(timeout=PAGE_MS)
            uploader.locator("input[type=file]").set_input_files(str(stall))

            answers, while_reading = [], 0
            deadline = time.monotonic() + READ_SECONDS + 20
            while time.monotonic() < deadline:
                reading = readers_running(proc.pid)
                answers.append(health_seconds(url))
                while_reading += reading > 0 and readers_running(proc.pid) > 0
                if while_reading and not reading:
                    break
                time.sleep(0.25)
            assert while_reading >= 3, "the stalling file was never seen being read"
            assert max(answers) < 2.0, answers

            refusal = sidebar.get_by_test_id("stAlert").filter(has_text="took longer than")
            expect(refusal).to_be_visible(timeout=PAGE_MS)
            expect(refusal).to_contain_text(f"{READ_SECONDS} s")
            expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=PAGE_MS)
            expect(page.get_by_test_id("stException")).to_have_count(0)
            assert "Traceback" not in app.inner_text()
            expect(app).to_contain_text(SEED_OUTPUT)  # the example on screen is still there
            shots = REPO / "test-output" / "screenshots"
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "hostile_upload.png"), full_page=True)
        finally:
            context.close()
        print(f"\nhealth answered {len(answers)} times, slowest {max(answers) * 1000:.0f} ms; "
              f"{while_reading} of them while the reader ran")
    finally:
        stop_app(proc)
