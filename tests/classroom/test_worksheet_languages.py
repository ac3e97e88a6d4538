"""Worksheets in every language: the PDF (read back with pypdf) and the LaTeX source say the
sheet's sentences as the language's catalogue translates them, and no English sentence of the
sheet is left in Spanish or Chinese; every character of the Chinese sheet has a glyph in a font
the PDF embeds (checked against the embedded fonts' own cmaps, with a planted case that lacks
them); every language's sheet stays inside the box both papers print; a missing Chinese font
is a one-line message naming its Debian package; the pages are rendered to PNG for a person to
look at (test-output/screenshots/worksheet-<language>-<page>.png).

Expected values: the catalogues (gruviz/locale, read with Babel, wherever `text.LOCALES` says
they are) and the exercise's own facts (units, features, steps, decimals, seed).
"""

from __future__ import annotations

import functools
import gettext
import io
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from gruviz import text
from gruviz.classroom import exercises, worksheet
from gruviz.errors import InputError

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
LANGUAGES = ("en", "es", "zh-Hans")
TRANSLATED = ("es", "zh-Hans")
SEEDS = (7, 12)  # 7: reset after, two input features; 12: reset before (the bias note), one feature
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")

# The sheet's own sentences (English msgids). None of them may be left in English in another
# language; the mistakes' stories the grading table quotes are other files' sentences.
SHEET_SENTENCES = (
    "A GRU by hand — exercise {seed}",
    "Name: {name}    Date: {date}",
    "{units}, {features}, {timesteps}. Vectors are rows: x_t W is (1 × units).",
    "Gates σ = {gate}, candidate φ = {candidate}; reset applied after the recurrent product (reset_after=True).",
    "Gates σ = {gate}, candidate φ = {candidate}; reset applied before the recurrent product (reset_after=False).",
    "Update rule: {rule}.",
    "Write every answer to {decimals} decimal places; steps count from 1, h_0 is the initial state.",
    "With reset_after=False Keras keeps one bias: every b^h is 0 and b_h = b^x_h.",
    "The weights",
    "The input sequence and the initial state",
    "The equations (for {steps})",
    "update gate",
    "reset gate",
    "new state",
    "Your answers ({decimals} decimal places)",
    "Work each step in order: h_t needs z_t and h~_t, and step t+1 needs h_t.",
    "Answer key — {title}",
    "For the teacher. {names} are the values inside σ and φ.",
    "Grading: what each classic mistake gives",
    "If you got",
    "you probably did",
    "— (one step only)",
    "nothing wrong: these are the answers",
)


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    text.use("en")


@functools.cache
def catalogue(language: str):
    with open(text.LOCALES / text.FOLDERS[language] / "LC_MESSAGES" / "gruviz.po", "rb") as f:
        return read_po(f)


def said(language: str, msgid: str, plural: str | None = None, n: int = 1) -> str:
    """What `language` says for a sentence: its catalogue's translation (the form for `n` when
    it has a plural), or the sentence itself in English."""
    if language == "en":
        return msgid if plural is None or n == 1 else plural
    po = catalogue(language)
    message = po.get(msgid)
    strings = () if message is None or message.fuzzy else message.string
    if plural is not None and isinstance(strings, (tuple, list)) and all(strings):
        return strings[gettext.c2py(po.plural_expr)(n)]
    if plural is None and isinstance(strings, str) and strings:
        return strings
    pytest.fail(f"{language}'s catalogue does not translate {msgid!r} yet")


def squashed(words: str) -> str:
    """Without whitespace: a PDF's text breaks lines and spaces justified words where it likes."""
    return re.sub(r"\s+", "", words)


def pieces(sentence: str) -> list[str]:
    """The words of a sentence between its placeholders (whose values the sheet's layout picks)."""
    return [p for p in map(squashed, PLACEHOLDER.split(sentence)) if p]


@functools.cache
def built(language: str, seed: int) -> tuple[bytes, str]:
    """The PDF with the answer key and the LaTeX source of exercise `seed`, in `language`."""
    before = text.language()
    text.use(language)
    try:
        ex = exercises.generate(seed)
        return worksheet.pdf(ex, answers=True), worksheet.tex(ex, answers=True)
    finally:
        text.use(before)


def pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def expected(language: str, seed: int) -> dict[str, list[str]]:
    """What exercise `seed`'s sheet must say in `language`: page ("student" or "key") → words,
    each whole or, when a placeholder's value is the layout's, as its pieces."""
    ex = exercises.generate(seed)
    cfg, k = ex.setup.weights.config, ex.answer_decimals
    title = said(language, "A GRU by hand — exercise {seed}").format(seed=seed)
    units = said(language, "{count} unit", "{count} units", ex.units).format(count=ex.units)
    features = said(language, "{count} input feature", "{count} input features", cfg.input_dim).format(
        count=cfg.input_dim)
    timesteps = said(language, "{count} timestep", "{count} timesteps", ex.steps).format(count=ex.steps)
    gates = (said(language, SHEET_SENTENCES[3]) if cfg.reset_after else said(language, SHEET_SENTENCES[4])).format(
        gate=cfg.recurrent_activation, candidate=cfg.activation)
    student = [
        title, gates, units, features, timesteps,
        said(language, "Write every answer to {decimals} decimal place; steps count from 1, h_0 is the initial state.",
             "Write every answer to {decimals} decimal places; steps count from 1, h_0 is the initial state.",
             k).format(decimals=k),
        said(language, "Your answers ({decimals} decimal place)", "Your answers ({decimals} decimal places)",
             k).format(decimals=k),
        said(language, "The weights"), said(language, "The input sequence and the initial state"),
        *(f"({i}) {said(language, name)}" for i, name in enumerate(
            ("update gate", "reset gate", "candidate", "new state"), start=1)),
        said(language, "Work each step in order: h_t needs z_t and h~_t, and step t+1 needs h_t."),
        *pieces(said(language, "Name: {name}    Date: {date}")),
        *pieces(said(language, "{units}, {features}, {timesteps}. Vectors are rows: x_t W is (1 × units).")),
        *pieces(said(language, "Update rule: {rule}.")),
        *pieces(said(language, "The equations (for {steps})")),
    ]
    if not cfg.reset_after:
        student.append(said(language, "With reset_after=False Keras keeps one bias: every b^h is 0 and b_h = b^x_h."))
    key = [
        said(language, "Answer key — {title}").format(title=title),
        said(language, "Grading: what each classic mistake gives"),
        said(language, "If you got"), said(language, "you probably did"),
        said(language, "nothing wrong: these are the answers"),
        said(language, "— (one step only)"),
        *(said(language, "Unit {unit}").format(unit=j) for j in range(1, ex.units + 1)),
        *pieces(said(language, "For the teacher. {names} are the values inside σ and φ.")),
    ]
    return {"student": student, "key": key}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sheet_says_its_sentences_in_the_language(language, seed):
    pages = pdf_text(built(language, seed)[0])
    student, key = squashed(pages[0]), squashed(" ".join(pages[1:]))
    wanted = expected(language, seed)
    assert [w for w in wanted["student"] if squashed(w) not in student] == []
    assert [w for w in wanted["key"] if squashed(w) not in key] == []


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("language", TRANSLATED)
def test_no_english_sentence_of_the_sheet_is_left(language, seed):
    pdf, source = built(language, seed)
    shown = squashed(" ".join(pdf_text(pdf)))
    left = [piece for sentence in SHEET_SENTENCES for piece in pieces(sentence)
            if len(piece) >= 5 and piece in shown]
    assert left == []
    english_source = built("en", seed)[1]
    for heading in re.findall(r"\\subsection\*\{([^}$]+)", english_source):  # the LaTeX's headings too
        assert f"\\subsection*{{{heading}}}" not in source


def test_the_english_sheet_is_english():
    """The check above finds English words when they are there: on the English sheet it finds all."""
    shown = squashed(" ".join(pdf_text(built("en", 7)[0])))
    for sentence in ("The weights", "Grading: what each classic mistake gives", "If you got"):
        assert squashed(sentence) in shown


def embedded_cmaps(content: bytes) -> dict[tuple[str, int], set[int]]:
    """Every font the PDF embeds, (base name, object number) → the characters its embedded cmap
    maps to a glyph. A regular and a bold subset of one font may share a base name."""
    fonts = {}
    for page in PdfReader(io.BytesIO(content)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            data = described["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()
            embedded = TTFont(io.BytesIO(data))
            fonts[str(font["/BaseFont"]), ref.idnum] = {code for code, glyph in embedded.getBestCmap().items()
                                                       if glyph != ".notdef"}
    return fonts


def without_glyph(content: bytes, words: str) -> list[str]:
    covered = set().union(*embedded_cmaps(content).values())
    return sorted({ch for ch in words if not ch.isspace() and ord(ch) not in covered})


def chinese_words(seed: int) -> str:
    """The Chinese sentences the sheet shows, as the catalogue writes them."""
    wanted = expected("zh-Hans", seed)
    return "".join(wanted["student"] + wanted["key"])


@pytest.mark.parametrize("seed", SEEDS)
def test_every_character_of_the_chinese_sheet_has_a_glyph(seed):
    """The catalogue's sentences and all the text the PDF holds (the mistakes' stories too)."""
    content = built("zh-Hans", seed)[0]
    words = chinese_words(seed) + "".join(pdf_text(content))
    assert len(re.findall(r"[\u4e00-\u9fff]", words)) > 100  # Chinese indeed, not an empty check
    assert without_glyph(content, words) == []
    assert any("WenQuanYi" in name for name, _number in embedded_cmaps(content))


def test_the_glyph_check_finds_a_font_without_chinese(monkeypatch):
    """Planted: the Chinese sheet set in DejaVu Sans alone (fpdf2 then drops the characters it
    cannot draw); the check names the Chinese characters that have no glyph."""
    monkeypatch.setattr(worksheet, "CJK_LANGUAGES", ())
    text.use("zh-Hans")
    content = worksheet.pdf(exercises.generate(7), answers=True)
    missing = without_glyph(content, chinese_words(7))
    assert "门" in missing and "练" in missing
    assert not any("WenQuanYi" in name for name, _number in embedded_cmaps(content))


@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_stays_inside_the_box_both_papers_print(language, paper):
    """The largest sheet: longer words (Spanish) or another font (Chinese) still fit, the
    equations' longer names push no formula off the page, and the handout is one page."""
    text.use(language)
    ex = exercises.generate(3, exercises.Options(units=2, input_dim=2, steps=3))
    doc = worksheet.build(ex, answers=True, paper=paper)
    assert doc.lowest <= worksheet.MARGIN + worksheet.HEIGHT
    assert 100 < doc.rightmost <= worksheet.MARGIN + worksheet.WIDTH
    assert worksheet.page_count(worksheet.pdf(ex, answers=False, paper=paper)) == 1


def test_a_missing_chinese_font_is_a_message(monkeypatch, tmp_path):
    monkeypatch.setattr(worksheet, "CJK_FONT", tmp_path / "wqy-microhei.ttc")
    ex = exercises.generate(7)
    text.use("zh-Hans")
    with pytest.raises(InputError) as refused:
        worksheet.pdf(ex)
    message = str(refused.value)
    assert "fonts-wqy-microhei" in message and "\n" not in message
    assert message == said("zh-Hans", "A Chinese worksheet needs the font WenQuanYi Micro Hei ({path}), which is not "
                                      "installed: install the Debian package fonts-wqy-microhei (sudo apt-get install "
                                      "fonts-wqy-microhei, or make fonts), or print the worksheet in another "
                                      "language.").format(path=tmp_path / "wqy-microhei.ttc")
    with pytest.raises(InputError):
        worksheet.check_fonts()  # what a page asks before it offers the download
    text.use("es")  # the other languages do not need it
    assert worksheet.check_fonts() is None
    assert worksheet.page_count(worksheet.pdf(ex)) == 1


@pytest.mark.parametrize("language", TRANSLATED)
def test_pages_render_to_png_for_a_person_to_look_at(language):
    """pdftoppm draws each page of the sheet with its key; a blank or all-ink page fails."""
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: apt-get install poppler-utils")
    from PIL import Image

    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob(f"worksheet-{language}-*.png"):
        old.unlink()
    pdf = SHOTS / f"worksheet-{language}.pdf"
    pdf.write_bytes(built(language, 7)[0])
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(SHOTS / f"worksheet-{language}")],
                   check=True, timeout=120)
    rendered = sorted(SHOTS.glob(f"worksheet-{language}-*.png"))
    assert len(rendered) == len(pdf_text(pdf.read_bytes())) >= 2
    for png in rendered:
        ink = 1 - np.asarray(Image.open(png).convert("L"), float) / 255
        assert 0.01 < ink.mean() < 0.25, png


def test_the_latex_source_in_chinese_loads_xecjk_and_says_to_use_xelatex():
    source = built("zh-Hans", 12)[1]
    lines = source.splitlines()
    assert lines[0].startswith("\\documentclass")
    assert "\\usepackage{xeCJK}" in lines
    note = "% " + said("zh-Hans", "Compile this file with xelatex (xelatex worksheet.tex): its Chinese text needs "
                                  "the xeCJK package.")
    assert note in lines and lines.index(note) < lines.index("\\begin{document}")
    title = said("zh-Hans", "A GRU by hand — exercise {seed}").format(seed=12).replace("—", "---")
    assert f"{{\\Large\\bfseries {title}}}" in source
    assert f"\\subsection*{{{said('zh-Hans', 'The weights')}}}" in source
    assert source.count("\\begin{") == source.count("\\end{")


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_latex_source_in_english_and_spanish_is_for_pdflatex(language):
    source = built(language, 12)[1]
    assert "xeCJK" not in source and "xelatex" not in source
    title = said(language, "A GRU by hand — exercise {seed}").format(seed=12).replace("—", "---")
    assert f"{{\\Large\\bfseries {title}}}" in source
    assert f"\\subsection*{{{said(language, 'Grading: what each classic mistake gives')}}}" in source
    for j in (1, 2):
        assert f"\\textbf{{{said(language, 'Unit {unit}').format(unit=j)}}}" in source
    assert source.count("\\begin{") == source.count("\\end{")
