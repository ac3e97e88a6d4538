"""What a new user saw in a real browser: the outputs above the fold at 1280×720, the match
badge whole at 150% zoom, the layer options' selectboxes and the weight tables whole, and
a .pt dropped on the Keras uploader answered with how to export it.

    .venv/bin/python -m pytest -q tests/browser/test_browser_first_use.py        (or: -m browser)

Screenshots of every test, pass or fail, go to test-output/screenshots/."""

from __future__ import annotations

import pytest

from live_app import REPO, settled
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "test-output" / "screenshots"
RERUN_MS = 30_000
KERAS_MS = 150_000  # TensorFlow imports in the background on first view; a busy 2-core box is slow

# Every element that clips its text (overflow hidden or an ellipsis) and holds more than it shows.
CLIPPED = """(root) => [root, ...root.querySelectorAll('*')].filter(e => {
    const s = getComputedStyle(e);
    const clips = s.overflowX === 'hidden' || s.textOverflow === 'ellipsis';
    return clips && e.scrollWidth > e.clientWidth + 1 && e.textContent.trim();
}).map(e => e.textContent.trim().slice(0, 60))"""


@pytest.fixture
def open_page(browser, app_url, request):
    """open_page(width, height, query, scale): a fresh session, settled; a screenshot at the end."""
    contexts = []

    def open_(width: int, height: int, query: str = "", scale: float = 1):
        context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{app_url}/{query}")
        settle(page, "Keras rule")
        return page

    yield open_
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for i, context in enumerate(contexts):
        try:
            context.pages[0].screenshot(path=str(SCREENSHOTS / f"{request.node.name}-{i}.png"))
        finally:
            context.close()


def settle(page, *texts: str, timeout: int = RERUN_MS) -> None:
    main = page.get_by_test_id("stApp")
    for text in texts:
        expect(main).to_contain_text(text, timeout=timeout)
    expect(main).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)


def sidebar(page):
    return page.get_by_test_id("stSidebar")


@pytest.mark.parametrize("tab", ["One step under the magnifier", "Gates over time", "Check my calculation"])
def test_outputs_above_the_fold_at_1280x720(open_page, tab):
    page = open_page(1280, 720, f"?view={tab.replace(' ', '+')}")
    expect(page.get_by_role("radio", name=tab)).to_have_attribute("aria-checked", "true", timeout=60_000)
    metrics = page.get_by_test_id("stMetric")
    expect(metrics.first).to_be_visible()
    assert metrics.count() >= 2
    for i in range(metrics.count()):
        box = metrics.nth(i).bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= 720, (i, box)


def test_match_badge_whole_at_150_percent_zoom(open_page):
    # 150% zoom of a 1280×720 screen: CSS pixels 853×480, each drawn 1.5 device pixels wide.
    page = open_page(853, 480, scale=1.5)
    badge = page.locator(".stMarkdownBadge").filter(has_text="match ·")
    expect(badge).to_be_visible(timeout=KERAS_MS)
    settle(page)  # the Keras column's own rerun redraws the badge: measure the one that stays
    badge.scroll_into_view_if_needed()
    column = page.get_by_test_id("stColumn").filter(has=badge)
    for _ in range(20):  # the page's style rules arrive with the run; a clipped badge stays clipped
        if badge.evaluate(CLIPPED) == []:
            break
        page.wait_for_timeout(500)
    assert badge.evaluate(CLIPPED) == []
    assert badge.bounding_box()["x"] + badge.bounding_box()["width"] <= column.bounding_box()["x"] + \
        column.bounding_box()["width"] + 1
    expect(badge).to_contain_text("largest difference")


def test_layer_options_and_weight_tables_are_whole(open_page):
    page = open_page(1280, 720)
    box = sidebar(page).get_by_test_id("stSelectbox").filter(has_text="recurrent_activation")
    box.scroll_into_view_if_needed()
    box.click()
    # Typing picks the option wherever the list opens (near the window's edge it may open off screen).
    page.keyboard.type("hard_sigmoid_legacy")
    page.get_by_role("option", name="hard_sigmoid_legacy").click(timeout=RERUN_MS)
    settle(page)
    value = box.get_by_role("combobox")
    expect(value).to_have_value("hard_sigmoid_legacy")
    assert value.evaluate("e => e.scrollWidth <= e.clientWidth"), "the chosen activation is cut off"
    label = box.get_by_test_id("stWidgetLabel")
    # One line: "recurrent_activation σ" is not broken inside a word.
    assert label.bounding_box()["height"] < 30, label.bounding_box()
    assert box.evaluate(CLIPPED) == []
    # Two units: each table has 6 columns, all inside its frame.
    example = sidebar(page).get_by_test_id("stSelectbox").filter(has_text="Example")
    example.scroll_into_view_if_needed()
    example.click()
    page.keyboard.type("units=2")  # as above: the list may open past the window's edge
    page.get_by_role("option", name="units=2 with linear activation").click(timeout=RERUN_MS)
    sidebar(page).get_by_role("button", name="Load example").click()
    settle(page)
    page.get_by_test_id("stExpander").filter(has_text="Edit the weights").get_by_text("Edit the weights").click()
    settle(page)  # opening the expander runs the page again
    tables = page.get_by_test_id("stExpander").filter(has_text="Edit the weights").get_by_test_id("stDataFrame")
    # kernel, recurrent_kernel, bias (a rerun may briefly show the old ones too)
    expect(tables).to_have_count(3, timeout=RERUN_MS)
    settled(page, RERUN_MS)  # and the old tables are gone
    for i in range(tables.count()):
        scroller = tables.nth(i).locator(".dvn-scroller").first
        expect(scroller).to_be_attached(timeout=RERUN_MS)  # the grid draws itself after the run ends
        widths = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert widths[0] <= widths[1] + 1, (i, widths)


def test_pt_on_the_keras_uploader_says_how_to_export(open_page, tmp_path):
    page = open_page(1280, 900)
    sidebar(page).get_by_test_id("stRadio").get_by_text("Upload a Keras file", exact=True).click()
    settle(page)
    uploader = sidebar(page).get_by_test_id("stFileUploader").locator("input[type=file]")
    bad = tmp_path / "broken.keras"
    bad.write_bytes(b"not a zip at all")
    uploader.set_input_files(str(bad))
    first = sidebar(page).get_by_test_id("stAlert")
    expect(first).to_be_visible(timeout=RERUN_MS)
    first_text = first.inner_text()
    pt = tmp_path / "gru.pt"
    pt.write_bytes(b"\x80\x02}q\x00.")  # a pickle's first bytes: never opened
    uploader.set_input_files(str(pt))
    alert = sidebar(page).get_by_test_id("stAlert")
    expect(alert).to_contain_text("gru.pt is not a Keras file", timeout=RERUN_MS)
    expect(alert).to_contain_text("np.savez")
    expect(alert).to_contain_text("PyTorch state_dict")
    assert alert.count() == 1 and first_text not in alert.inner_text()
