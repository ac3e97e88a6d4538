"""Numbers inside sentences, as each language writes them (Babel's locale rules): whole numbers
grouped (1,000 · 1.000), the decimal sign (0.25 · 0,25) and how a person counts (1st · 1.º · 第1).
Equations keep the point; these are for prose only."""

from __future__ import annotations

import pytest

from gruviz import text


@pytest.fixture
def speaking():
    yield text.use
    text.use("en")


@pytest.mark.parametrize("n, expected", [
    (0, "0th"), (1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (9, "9th"), (10, "10th"), (11, "11th"),
    (12, "12th"), (13, "13th"), (19, "19th"), (20, "20th"), (21, "21st"), (22, "22nd"), (23, "23rd"),
    (101, "101st"), (102, "102nd"), (103, "103rd"), (110, "110th"), (111, "111th"), (112, "112th"),
    (113, "113th"), (120, "120th"), (121, "121st"), (1000, "1,000th"), (1001, "1,001st"), (1011, "1,011th"),
    (1_000_002, "1,000,002nd"),
])
def test_english_ordinals_are_how_a_person_counts(n, expected):
    assert text.ordinal(n) == expected


@pytest.mark.parametrize("language, n, expected", [
    ("es", 1, "1.º"), ("es", 12, "12.º"), ("es", 1001, "1.001.º"),
    ("zh-Hans", 1, "第1"), ("zh-Hans", 12, "第12"), ("zh-Hans", 1001, "第1,001"),
])
def test_ordinals_in_spanish_and_chinese(speaking, language, n, expected):
    speaking(language)
    assert text.ordinal(n) == expected


@pytest.mark.parametrize("language, n, x, places, whole, fraction", [
    ("en", 1234567, -0.28714, 4, "1,234,567", "-0.2871"),
    ("es", 1234567, -0.28714, 4, "1.234.567", "-0,2871"),
    ("zh-Hans", 1234567, -0.28714, 4, "1,234,567", "-0.2871"),
    ("es", 12, 2.0, 2, "12", "2,00"),
    ("en", 0, 0.5, 0, "0", "0"),  # half to even, as Python's own format does
])
def test_numbers_in_prose_follow_the_language(speaking, language, n, x, places, whole, fraction):
    speaking(language)
    assert text.count(n) == whole
    assert text.decimal(x, places) == fraction
    assert text.decimal(x, places) == (f"{x:.{places}f}".replace(".", ",") if language == "es" else f"{x:.{places}f}")
