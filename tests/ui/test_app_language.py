"""The page's language in AppTest: `lang=` in a link opens it in that language, the picker
changes it and writes it into the link (English leaves no `lang=`), a language gruviz does not
have opens English, and an exercise link keeps its language. The expected words are the
catalogues' own translations of the English sentences."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import pytest
from babel.messages.pofile import read_po
from streamlit.testing.v1 import AppTest

from gruviz import text

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")
TITLE = "Stack Exchange: the math of a Keras GRU"


def translated(language: str, english: str) -> str:
    if language == "en":
        return english
    with open(REPO / "gruviz" / "locale" / text.FOLDERS[language] / "LC_MESSAGES" / "gruviz.po", "rb") as f:
        return read_po(f)[english].string


def page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("language", ["es", "zh-Hans"])
def test_a_link_with_lang_opens_the_page_in_that_language(language):
    at = page(lang=language)
    assert [t.value for t in at.title] == [translated(language, TITLE)]
    assert translated(language, "Weights") in [h.value for h in at.sidebar.header]
    assert at.selectbox(key="lang").value == language and at.query_params["lang"] == language


@pytest.fixture
def test_thread_language():
    """AppTest formats the page's menu values again in the test's own thread, so that thread
    follows the page's language (a browser sends the chosen index instead)."""
    yield text.use
    text.use("en")


def test_the_picker_changes_the_language_and_the_link(test_thread_language):
    at = page()
    assert [t.value for t in at.title] == [TITLE] and "lang" not in at.query_params
    at.selectbox(key="lang").set_value("zh-Hans").run()
    assert not at.exception
    assert [t.value for t in at.title] == [translated("zh-Hans", TITLE)] and at.query_params["lang"] == "zh-Hans"
    assert at.selectbox(key="preset_choice").value == "stack_exchange"  # the example stays
    test_thread_language("zh-Hans")
    at.selectbox(key="lang").set_value("en").run()
    assert not at.exception
    assert [t.value for t in at.title] == [TITLE] and "lang" not in at.query_params


@pytest.mark.parametrize("tag", ["fr", "<b>x</b>", "zh-Hant"])
def test_a_language_gruviz_does_not_have_opens_english(tag):
    at = page(lang=tag)
    assert [t.value for t in at.title] == [TITLE] and at.selectbox(key="lang").value == "en"


def test_an_exercise_link_keeps_its_language():
    at = page(exercise="12", lang="es")
    assert at.query_params["lang"] == "es" and at.query_params["mode"] == "student"
    assert at.selectbox(key="lang").value == "es"


@pytest.mark.parametrize("params, view", [
    ({"view": "Backward"}, "Backward"),
    ({"view": "Backward", "lang": "es"}, "Backward"),  # an English lesson link opened in Spanish
    ({"view": "Entrenar"}, "Train"),  # a Spanish page's link opened in English
    ({"view": translated("zh-Hans", "Gates over time"), "lang": "es"}, "Gates over time"),
    ({"view": "no such view", "lang": "es"}, "One step under the magnifier"),
])
def test_a_view_in_a_link_opens_whatever_language_wrote_it(params, view):
    at = page(**params)
    assert at.button_group(key="view").value == view


@pytest.mark.parametrize("language, example, tolerance", [
    ("en", "0.7069", "0.00005"), ("es", "0,7069", "0,00005"), ("zh-Hans", "0.7069", "0.00005")])
def test_numbers_in_prose_take_the_languages_decimal_sign(language, example, tolerance):
    """Spanish writes a decimal comma in a sentence (Babel's es rules); the equations keep the point."""
    at = page(lang=language, view="Check my calculation")
    told = [m.value for m in at.markdown if "±" in m.value]
    assert len(told) == 1 and f"**{example}**" in told[0] and f"±{tolerance}" in told[0], told


def test_the_copy_link_names_a_view_that_another_languages_link_opened(test_thread_language):
    """Streamlit drops an English view name from a Spanish page's address bar; the page's own
    Copy link still names the view, in the page's language."""
    at = page(view="Gates over time", lang="es")
    test_thread_language("es")
    at.run()
    [link] = [c.value for c in at.code if "?" in c.value]
    assert parse_qs(link.split("?", 1)[1])["view"] == [translated("es", "Gates over time")]
