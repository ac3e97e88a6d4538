"""Printable worksheets: the PDF's own text (read back with pypdf) holds every answer on the
key pages and none on the student's page; both paper sizes hold the content; the LaTeX
source carries the same; pages are rendered to PNG with pdftoppm for a person to look at."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import cli_run
from pypdf import PdfReader

from gruviz.classroom import exercises, sheet, worksheet
from gruviz.io import weights_file

OUT = Path(__file__).resolve().parents[2] / "test-output" / "worksheets"
MM = 72 / 25.4  # PDF points per millimetre


def answers(ex: exercises.Exercise) -> set[str]:
    """Every number of the key, as the key writes it (the pre-activations too)."""
    k, truth = ex.answer_decimals, ex.truth
    values = [getattr(truth, q) for q in ("z_pre", "r_pre", "h_tilde_pre", "z", "r", "h_tilde", "h")]
    return {f"{v:.{k}f}" for array in values for v in array.ravel()}


def pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


@pytest.mark.parametrize("seed", [0, 3, 7, 12, 21])
def test_key_holds_every_answer_and_the_student_page_none(seed):
    ex = exercises.generate(seed)
    with_key = pages(worksheet.pdf(ex, answers=True))
    student = pages(worksheet.pdf(ex, answers=False))
    assert len(student) == 1 and len(with_key) >= 2
    key_text = " ".join(with_key[1:])
    assert [a for a in answers(ex) if a not in key_text] == []
    assert [a for a in answers(ex) if a in student[0]] == []
    assert with_key[0] == student[0]  # the handout is the same with or without the key
    for run in ex.mistakes:  # the grading table: each mistake's h at every step it has
        assert f"{run.trace.h[0, 0]:.{ex.answer_decimals}f}" in key_text
        assert run.mistakes[0].title in key_text


def test_student_page_shows_the_weights_the_sequence_and_a_box_per_number():
    ex = exercises.generate(7)
    text = pages(worksheet.pdf(ex))[0]
    shown = worksheet._number
    w = ex.setup.weights
    for value in np.concatenate([w.kernel.ravel(), w.recurrent_kernel.ravel(), np.ravel(w.bias), ex.setup.x.ravel()]):
        assert shown(value) in text
    assert "Your answers (4 decimal places)" in text.replace("\n", " ") or f"({ex.answer_decimals} decimal" in text


@pytest.mark.parametrize("paper, size_mm", [("a4", (210, 297)), ("letter", (215.9, 279.4))])
def test_both_paper_sizes_hold_the_largest_sheet(paper, size_mm):
    ex = exercises.generate(3, exercises.Options(units=2, input_dim=2, steps=3))
    doc = worksheet.build(ex, answers=True, paper=paper)
    content = doc.output()
    box = PdfReader(io.BytesIO(content)).pages[0].mediabox
    assert (float(box.width) / MM, float(box.height) / MM) == pytest.approx(size_mm, abs=0.2)
    # Everything drawn stays inside the box both papers hold, with a margin to spare on Letter.
    assert doc.lowest <= worksheet.MARGIN + worksheet.HEIGHT <= 279.4 - 15
    assert worksheet.MARGIN + worksheet.WIDTH <= 210 - 15


def test_latex_source_is_the_same_sheet():
    ex = exercises.generate(12)
    student, key = worksheet.tex(ex), worksheet.tex(ex, answers=True)
    assert student.startswith("\\documentclass") and student.rstrip().endswith("\\end{document}")
    for equation in sheet.equations(ex):  # the equations exactly as gruviz writes them
        assert equation.latex.split(" = ", 1)[1] in student
    assert [a for a in answers(ex) if a in student] == []
    assert [a for a in answers(ex) if a not in key] == []
    assert student.count("\\begin{") == student.count("\\end{")


def test_worksheet_cli_writes_pdf_and_tex(tmp_path):
    ex = exercises.generate(5)
    path = tmp_path / "w.json"
    path.write_text(json.dumps(weights_file.to_dict(ex.setup.weights)))
    seq = json.dumps(ex.setup.x.tolist())
    h0 = [] if ex.setup.h0 is None else ["--h0", ",".join(map(str, ex.setup.h0))]
    done = cli_run.gruviz("worksheet", str(path), "--sequence", seq, *h0, "--convention", ex.setup.convention.value,
                          "--out", str(tmp_path / "s.pdf"), "--answers")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["pages"] >= 2 and summary["bytes"] == (tmp_path / "s.pdf").stat().st_size
    key_text = " ".join(pages((tmp_path / "s.pdf").read_bytes())[1:])
    assert [a for a in answers(ex) if a not in key_text] == []
    done = cli_run.gruviz("worksheet", str(path), "--sequence", seq, "--out", str(tmp_path / "s.tex"))
    assert done.returncode == 0 and (tmp_path / "s.tex").read_text().startswith("\\documentclass")
    bad = cli_run.gruviz("worksheet", str(path), "--sequence", json.dumps([[0.5] * ex.setup.weights.config.input_dim] * 8),
                         "--out", str(tmp_path / "x.pdf"))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "at most" in bad.stderr


def test_pages_render_to_png_for_a_person_to_look_at():
    """pdftoppm draws each page; a page that came out blank or all ink fails."""
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: apt-get install poppler-utils")
    from PIL import Image

    OUT.mkdir(parents=True, exist_ok=True)
    ex = exercises.generate(7)
    (OUT / "exercise-7.pdf").write_bytes(worksheet.pdf(ex, answers=True))
    (OUT / "exercise-7.tex").write_text(worksheet.tex(ex, answers=True))
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(OUT / "exercise-7.pdf"), str(OUT / "exercise-7")],
                   check=True, timeout=120)
    rendered = sorted(OUT.glob("exercise-7-*.png"))
    assert len(rendered) >= 2
    for png in rendered[:2]:
        ink = 1 - np.asarray(Image.open(png).convert("L"), float) / 255
        assert 0.01 < ink.mean() < 0.25, png
