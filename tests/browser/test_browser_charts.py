"""Issue 22 §2 and §5 where the layout decides: every chart of the real app, in Debian's
chromium at a phone's 390×844 and a projector's 1280×720 (and a laptop's 1440×900 for the
screenshots), measured by bounding boxes: no subplot title runs into another or out of its
chart, Plotly's toolbar covers no title, legend, axis title or tick label, a legend sits on no
axis text, and every chart is named by its summary for a screen reader, with its numbers
beside it; axe-core judges the chart views' pages as these tests leave them. Screenshots:
test-output/screenshots/charts-*.png."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import numpy as np
import pytest
from playwright.sync_api import expect

from axe import serious
from conftest import random_weights
from gruviz import GRUConfig
from gruviz.io import share
from live_app import REPO, chromium, handed_on, resized

pytestmark = pytest.mark.browser

SCREENSHOTS = REPO / "test-output" / "screenshots"
SIZES = {"390x844": {"width": 390, "height": 844}, "1280x720": {"width": 1280, "height": 720},
         "1440x900": {"width": 1440, "height": 900}}
WAIT_MS = 90_000


def _six_units() -> str:
    """A link to a 6-unit GRU on 8 steps: busy legends and many lines."""
    rng = np.random.default_rng(3)
    weights = random_weights(rng, GRUConfig(units=6, input_dim=2))
    sequence = "; ".join(", ".join(f"{v:.1f}" for v in row) for row in rng.normal(size=(8, 2)))
    return urlencode(share.encode(share.Shared(weights, sequence, "", "", False)))


SIX = _six_units()
VIEWS = {  # name → query; the default example has 1 unit and 4 steps
    "gates": "view=Gates+over+time", "gates-6units": f"view=Gates+over+time&{SIX}",
    "weights": f"view=Weight+layout&{SIX}", "backward": "view=Backward", "backward-6units": f"view=Backward&{SIX}",
    "lstm": "view=GRU+vs+LSTM", "lstm-6units": f"view=GRU+vs+LSTM&{SIX}", "presenter": "present=true",
}

# Per chart: the boxes of its titles (annotations), legend entries, axis titles, tick labels
# and colour-bar labels, its toolbar, and what overlaps.
MEASURE = """() => {
  const box = (e) => { const r = e.getBoundingClientRect(); return {x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; };
  const meet = (a, b) => a.x0 < b.x1 - 0.5 && b.x0 < a.x1 - 0.5 && a.y0 < b.y1 - 0.5 && b.y0 < a.y1 - 0.5;
  return [...document.querySelectorAll('.js-plotly-plot')].map((plot) => {
    const chart = plot.closest('[data-testid=stPlotlyChart]');
    const whole = box(plot), texts = [], problems = [];
    const add = (selector, kind) => plot.querySelectorAll(selector).forEach((e) => {
      const b = box(e);
      if (b.x1 > b.x0 && b.y1 > b.y0) texts.push({kind, text: e.textContent.slice(0, 40), ...b});
    });
    add('g.annotation text', 'title');
    add('g.legend .traces', 'legend entry');
    add('.g-xtitle text, .g-ytitle text', 'axis title');
    add('.xtick text, .ytick text', 'tick label');
    add('.colorbar .cbaxis text', 'colour-bar label');
    const titles = texts.filter((t) => t.kind === 'title');
    titles.forEach((a, i) => titles.slice(i + 1).forEach((b) => {
      if (meet(a, b)) problems.push(`titles "${a.text}" and "${b.text}" overlap`); }));
    titles.forEach((t) => {
      if (t.x0 < whole.x0 - 0.5 || t.x1 > whole.x1 + 0.5) problems.push(`title "${t.text}" runs out of the chart`); });
    titles.forEach((a) => texts.forEach((t) => {
      if (t.kind !== 'title' && meet(a, t)) problems.push(`title "${a.text}" on ${t.kind} "${t.text}"`); }));
    const bar = plot.querySelector('.modebar');
    const toolbar = bar ? box(bar) : null;
    if (!toolbar || toolbar.x1 <= toolbar.x0) problems.push('no toolbar to measure');
    else texts.forEach((t) => { if (meet(toolbar, t)) problems.push(`the toolbar covers ${t.kind} "${t.text}"`); });
    texts.filter((t) => t.kind === 'legend entry').forEach((l) => texts.forEach((t) => {
      if (t.kind !== 'legend entry' && meet(l, t)) problems.push(`legend "${l.text}" on ${t.kind} "${t.text}"`); }));
    const holder = plot.closest('[class*="st-key-chart_"]');
    const caption = holder && holder.querySelector('[data-testid=stCaptionContainer]');
    return {key: holder ? holder.className.match(/st-key-chart_(\\S+)/)[1] : '?', problems, titles: titles.length,
            role: chart && chart.getAttribute('role'), name: chart && chart.getAttribute('aria-label'),
            summary: caption ? caption.innerText.trim() : null,
            numbers: holder ? [...holder.querySelectorAll('summary')].map((s) => s.innerText.trim()) : []};
  });
}"""


def settled(page) -> None:
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning",
                                                           timeout=WAIT_MS)
    page.wait_for_timeout(500)  # Plotly paints after the script ends


# Each chart drawn as wide as its place on the page (Plotly redraws a moment after a resize).
FITTED = """() => [...document.querySelectorAll('.js-plotly-plot')].every((plot) => {
  const svg = plot.querySelector('.main-svg'), holder = plot.closest('[data-testid=stPlotlyChart]');
  return svg && holder && Math.abs(svg.width.baseVal.value - holder.getBoundingClientRect().width) <= 1;
})"""
FIRST = "1280x720"  # the size a page is loaded at; the others are reached by resizing it


def resize(page, size: str) -> None:
    resized(page, SIZES[size])
    page.wait_for_function(FITTED, timeout=WAIT_MS)
    settled(page)


def open_view(browser, url: str, viewport: dict):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(url)
    page.locator(".js-plotly-plot").first.wait_for(timeout=WAIT_MS)
    settled(page)
    # The first page of a fresh server reruns whole when TensorFlow's import ends (the Keras column
    # fills in), drawing every chart again: measured mid-way, a chart vanishes under the test.
    expect(page.get_by_test_id("stApp")).not_to_contain_text("Loading TensorFlow", timeout=WAIT_MS)
    settled(page)
    return context, page


def look(page, name: str) -> list[dict]:
    """Hover each chart (its toolbar shows), screenshot it, then measure every chart."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    plots = page.locator(".js-plotly-plot")
    for i in range(plots.count()):
        plots.nth(i).scroll_into_view_if_needed()
        plots.nth(i).hover()
        page.wait_for_timeout(150)
        page.screenshot(path=str(SCREENSHOTS / f"charts-{name}-{i + 1}.png"))
    return page.evaluate(MEASURE)


NAMED = ["gates", "backward", "lstm", "presenter"]  # the views whose chart names are checked
KEPT: dict[str, tuple] = {}  # view → (context, page) the overlap test left at FIRST for the names test
AXED = ["gates", "backward", "lstm"]  # main-page views axe judges here, on the pages the tests above left
LEFT_FOR_AXE: dict[str, tuple] = {}  # view → (context, page) the names test left, its numbers open


@pytest.mark.parametrize("view", list(VIEWS))
def test_no_title_overlaps_and_the_toolbar_covers_nothing(browser, app_url, view):
    """One page load per view, looked at in each size in turn, as a window resized or a phone
    turned: Plotly lays every chart out again for its new width before it is measured."""
    context, page = open_view(browser, f"{app_url}/?{VIEWS[view]}", SIZES[FIRST])
    with handed_on(context, page, KEPT, view, view in NAMED):
        problems = {}
        for size in sorted(SIZES, key=lambda size: size != FIRST):  # the size it was loaded at first
            resize(page, size)
            charts = look(page, f"{view}-{size}")
            assert charts, f"no chart on the page at {size}"
            problems[size] = [(c["key"], p) for c in charts for p in c["problems"]]
            if view.startswith(("gates", "lstm", "presenter")):
                assert any(c["titles"] >= 4 for c in charts), size  # the subplot titles were there to measure
        assert problems == {size: [] for size in SIZES}
        if view in NAMED:  # turned back, the page serves the names test without a second load
            resize(page, FIRST)


@pytest.mark.parametrize("view", NAMED)
def test_every_chart_is_named_by_its_summary_and_has_its_numbers(browser, app_url, view):
    context, page = KEPT.pop(view, None) or open_view(browser, f"{app_url}/?{VIEWS[view]}", SIZES[FIRST])
    with handed_on(context, page, LEFT_FOR_AXE, view, view in AXED):
        charts = page.evaluate(MEASURE)
        for chart in charts:
            assert chart["role"] == "figure" and chart["summary"], chart
            assert chart["name"].endswith(chart["summary"]), chart  # the accessible name holds the summary
            assert [n.endswith("The numbers in this chart") for n in chart["numbers"]] == [True], chart
        page.get_by_text("The numbers in this chart").first.click()
        table = page.locator("[class*='st-key-chart_'] table").first
        expect(table).to_be_visible(timeout=WAIT_MS)
        assert re.search(r"\d\.\d{3}", table.inner_text())  # the plotted numbers, not just a header


@pytest.mark.parametrize("view", AXED)
def test_the_views_with_charts_pass_axe(browser, app_url, view):
    """axe-core over the main page's chart views (test_browser_axe_views.py judges the other views),
    on the page the tests above opened, resized, turned back and opened the numbers of; run alone,
    on a page of its own."""
    context, page = LEFT_FOR_AXE.pop(view, None) or open_view(browser, f"{app_url}/?{VIEWS[view]}", SIZES[FIRST])
    try:
        assert serious(page) == []
    finally:
        context.close()


def test_the_train_view_after_a_run(browser, app_url):
    """The Train view's charts (Altair): screenshots after a short run in each size, each chart
    named by its summary."""
    context = browser.new_context(viewport=SIZES[FIRST])
    page = context.new_page()
    try:
        page.goto(f"{app_url}/?view=Train")
        epochs = page.get_by_label("Epochs")
        epochs.wait_for(timeout=WAIT_MS)
        epochs.fill("20")
        epochs.press("Enter")
        settled(page)
        page.locator(".st-key-train_start button").click()
        page.get_by_text("Trained after 20 epochs", exact=False).wait_for(timeout=WAIT_MS)
        settled(page)
        charts = page.locator("[class*='st-key-chart_train_']")
        expect(charts).to_have_count(3, timeout=WAIT_MS)
        for size in SIZES:
            page.set_viewport_size(SIZES[size])
            settled(page)
            for i in range(3):
                chart = charts.nth(i)
                chart.scroll_into_view_if_needed()
                chart.locator("[role=graphics-document]").hover()
                page.wait_for_timeout(200)
                page.screenshot(path=str(SCREENSHOTS / f"charts-train-{size}-{i + 1}.png"))
                name = chart.locator("[role=graphics-document]").get_attribute("aria-label")
                assert name and chart.get_by_test_id("stCaptionContainer").inner_text().strip() in name, size
    finally:
        context.close()


def test_a_table_wider_than_a_phone_scrolls_by_keyboard(browser, app_url):
    """The weights' table (18 columns) on a phone scrolls sideways inside its box, which the keyboard
    reaches (a named region with tabindex 0), and its header is as dark as the text."""
    context, page = open_view(browser, f"{app_url}/?{VIEWS['weights']}", SIZES["390x844"])
    try:
        page.get_by_text("The numbers in this chart").first.click()
        table = page.locator(".st-key-chart_fig_weights table")
        expect(table).to_be_visible(timeout=WAIT_MS)
        page.wait_for_timeout(300)
        box = page.evaluate("""() => {
          const scroller = document.querySelector('.st-key-chart_fig_weights [data-testid=stTable] > div');
          const th = document.querySelector('.st-key-chart_fig_weights [data-testid=stTable] th');
          return {wide: scroller.scrollWidth > scroller.clientWidth, tabindex: scroller.getAttribute('tabindex'),
                  role: scroller.getAttribute('role'), page: document.documentElement.scrollWidth,
                  header: getComputedStyle(th.querySelector('p') || th).color};
        }""")
        assert box["wide"] and box["tabindex"] == "0" and box["role"] == "region", box
        assert box["page"] <= SIZES["390x844"]["width"], box  # the table scrolls, not the page
        assert box["header"] == "rgb(55, 65, 81)", box  # figures.TEXT, 10:1 on white
        page.screenshot(path=str(SCREENSHOTS / "charts-weights-table-390x844.png"))
    finally:
        context.close()
