"""The Train view in Debian's chromium at a projector's 1280×720, served by a real
`streamlit run`: the progress bar and loss curve fill in while the run trains in the
background (the page's polling fragment, not a test's rerun), Stop is live during the
run, and the finished view draws the scrubber and both gate charts. Screenshots go to
test-output/screenshots/train-*.png."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from live_app import REPO, free_port, stop_app

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "test-output" / "screenshots"
PROJECTOR = {"width": 1280, "height": 720}
WAIT_MS = 90_000


@pytest.fixture(scope="module")
def page_url():
    port = free_port()
    (REPO / "test-output").mkdir(exist_ok=True)
    with open(REPO / "test-output" / "streamlit-train-tests.log", "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "tests/browser/train_page.py",
                                 "--server.headless", "true", "--server.port", str(port),
                                 "--browser.gatherUsageStats", "false"], cwd=REPO, stdout=log,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("streamlit run tests/browser/train_page.py did not start; "
                            "see test-output/streamlit-train-tests.log")
            time.sleep(0.2)
        yield url
    finally:
        stop_app(proc)


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_training_shows_live_progress_then_the_scrubber_and_gates_at_1280x720(browser, page_url):
    context = browser.new_context(viewport=PROJECTOR)
    try:
        page = context.new_page()
        page.goto(page_url)
        train = page.get_by_role("button", name="Train")
        train.wait_for(timeout=WAIT_MS)
        epochs = page.get_by_label("Epochs")
        epochs.fill("150")
        epochs.press("Enter")
        page.wait_for_timeout(500)
        train.click()
        progress = page.get_by_text("Epoch ", exact=False).filter(has_text=" of 150").first
        progress.wait_for(timeout=WAIT_MS)
        expect(page.get_by_role("button", name="Stop")).to_be_enabled(timeout=WAIT_MS)
        first = progress.inner_text()
        page.wait_for_timeout(2500)
        later = page.get_by_text("Epoch ", exact=False).filter(has_text=" of 150").first
        if later.count():  # still training: the polling fragment moved the bar on its own
            assert later.inner_text() != first
            shoot(page, "train-live")
        page.get_by_text("Trained after 150 epochs", exact=False).wait_for(timeout=WAIT_MS)
        before = page.get_by_text("Before training (epoch 0): z solid, r dashed")
        expect(before).to_have_count(1, timeout=WAIT_MS)
        expect(page.get_by_role("slider")).to_have_count(1)
        expect(page.get_by_role("button", name="Use these weights")).to_be_visible()
        page.get_by_role("button", name="Use these weights").scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        shoot(page, "train-finished")
    finally:
        context.close()
