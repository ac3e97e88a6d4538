"""The GRU vs LSTM view of the app, looked at in Debian's chromium at 1280×720, on a link
carrying its own two-unit example: both Keras columns fill in and match, and the screenshots
are kept for a person."""

import urllib.parse

import numpy as np
import pytest

from gruviz.io import share
from gruviz.math.weights import GRUConfig, GRUWeights
from live_app import REPO, settled

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

SHOTS = REPO / "test-output" / "screenshots"  # for a person to look at; not committed
WEIGHTS = GRUWeights.create(GRUConfig(2, 1), [[-0.9, 1.04, -0.4, 0.3, 0.2, 0.9]],
                            [[0.24, 0.9, 0.37, -0.5, 0.1, 0.6], [0.3, -0.2, 0.5, 0.4, -0.7, 0.2]], np.zeros((2, 6)))
LINK = urllib.parse.urlencode({**share.encode(share.Shared(WEIGHTS, "1, 2, 9, 8, -3, 0.5")), "view": "GRU vs LSTM"})


def test_comparison_view_in_chromium_at_1280x720(browser, app_url):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        page.goto(f"{app_url}/?{LINK}")
        badges = page.locator(".st-key-view_body").get_by_text("match · largest difference")  # not the sidebar's
        playwright.expect(badges).to_have_count(2, timeout=400_000)  # TensorFlow loads once, then both fill in
        settled(page, 120_000)  # the Keras columns arrive by a run of their own: the page is drawn anew
        assert page.get_by_text("mismatch").count() == 0
        page.screenshot(path=str(SHOTS / "lstm_view_top.png"))
        for name in ("gates", "memory"):  # each chart's own container: Plotly may draw its inside anew
            settled(page, 120_000)
            page.locator(f".st-key-chart_lv_fig_{name}").scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / f"lstm_view_{name}.png"))
        playwright.expect(page.locator(".stException")).to_have_count(0)
    finally:
        context.close()
