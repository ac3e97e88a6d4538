"""The practice page through Streamlit's AppTest: numbers checked as typed, mistakes named,
answers kept off the student's page until asked for, everything typed kept in the link."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
from streamlit.testing.v1 import AppTest

from gruviz.classroom import exercises, room
from gruviz.store import Store
from gruviz.ui.views import exercise_view

APP = str(Path(__file__).resolve().parents[2] / "app.py")
SEED = 7


def start(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"exercise": str(SEED), **params})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at: AppTest) -> str:
    """Everything the page shows as text: markdown, LaTeX, notes, alerts, labels, tables."""
    parts = [e.value for kind in ("markdown", "latex", "caption", "info", "success", "warning", "error", "title",
                                  "subheader") for e in getattr(at, kind)]
    parts += [t.label for t in at.text_input] + [str(t.value) for t in at.text_input]
    parts += [str(p.proto) for p in at.get("progress")]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [re.sub(r"\\(.)", r"\1", t.value.to_csv()) for t in at.table]  # its Markdown escapes undone
    return "\n".join(parts)


def answers(ex: exercises.Exercise) -> set[str]:
    k = ex.answer_decimals
    return {f"{getattr(ex.truth, q)[t, j]:.{k}f}" for t, q, j in ex.cells()}


def test_student_page_checks_each_number_and_names_the_mistake():
    ex = exercises.generate(SEED)
    flipped = next(r for r in ex.mistakes if r.mistakes[0].id == "update_rule_flipped")
    at = start(mode="student")
    assert len(at.text_input) == len(ex.cells())
    at.text_input(key="exercise_z.0.0").input(ex.rounded(ex.answer(0, "z", 0)))
    at.text_input(key="exercise_h.0.0").input(ex.rounded(float(flipped.trace.h[0, 0])))
    at.run()
    text = page_text(at)
    assert "✓ right" in text and "✗ not right" in text
    assert flipped.detail in text  # the detective's story for that number
    assert f"1 of {len(ex.cells())} right" in text
    assert at.query_params["h.0.0"] == ex.rounded(float(flipped.trace.h[0, 0]))
    # A wrong later number built on the wrong h says so.
    at.text_input(key="exercise_z.1.0").input(ex.rounded(float(flipped.trace.z[1, 0])))
    at.run()
    assert "built on h1[1]" in page_text(at)


def test_answers_stay_off_the_student_page_until_revealed():
    ex = exercises.generate(SEED)
    at = start(mode="student")
    wrong = f"{ex.answer(0, 'h', 0) + 0.2:.{ex.answer_decimals}f}"
    at.text_input(key="exercise_h.0.0").input(wrong)
    at.run()
    truth = ex.rounded(ex.answer(0, "h", 0))
    leaked = [a for a in answers(ex) if a in page_text(at)]
    assert leaked == [], leaked
    at.button(key="exercise_show_h.0.0").click()
    at.run()
    text = page_text(at)
    assert f"h1[1] = {truth}" in text
    assert [a for a in answers(ex) - {truth} if a in text] == []
    assert "shown" not in at.query_params  # a revealed number is a fact of the server session


def test_a_link_that_lists_every_number_as_shown_reveals_none():
    ex = exercises.generate(SEED)
    typed = {f"{q}.{t}.{j}": "0.5" for t, q, j in ex.cells()}
    every = ",".join(typed)
    at = start(mode="student", shown=every, **typed)
    leaked = [a for a in answers(ex) if a in page_text(at)]
    assert leaked == [], leaked
    assert [i.value for i in at.info if "=" in i.value] == []  # no "h1[1] = …" box before "Show this number"


def test_a_reload_from_the_link_keeps_what_was_typed():
    ex = exercises.generate(SEED)
    z = ex.rounded(ex.answer(0, "z", 1))
    at = start(mode="student", **{"z.0.1": z, "r.0.0": "0.1"})
    assert at.text_input(key="exercise_z.0.1").value == z
    assert at.text_input(key="exercise_r.0.0").value == "0.1"
    text = page_text(at)
    assert "✓ right" in text and f"write {ex.answer_decimals} decimals" in text  # "0.1": too few decimals
    assert f"1 of {len(ex.cells())} right" in text


def teacher_key(**params) -> str:
    query = urlencode({"exercise": str(SEED), **params})
    return room.exercise_key(Store(), query)


def test_teacher_page_has_the_key_and_every_mistakes_answers():
    ex = exercises.generate(SEED)
    at = start(mode="teacher", key=teacher_key())
    text = page_text(at)
    assert [a for a in answers(ex) if a not in text] == []
    for run in ex.mistakes:
        assert run.detail in text
        h = run.trace.h
        assert f"{h[-1, 0]:.{ex.answer_decimals}f}" in text
    assert any(c.value.endswith(f"?exercise={SEED}&mode=student") for c in at.code)  # the full address, copyable
    assert any("alt='QR code" in h.proto.body and "data:image/png" in h.proto.body for h in at.get("html"))  # QR


def test_a_broken_link_says_what_is_wrong():
    at = start(units="9", mode="student")
    assert at.error and "units" in at.error[0].value
    assert not np.any([t.label for t in at.text_input])


def test_mode_teacher_without_the_key_shows_no_answer_and_says_why():
    ex = exercises.generate(SEED)
    at = start(mode="teacher")
    text = page_text(at)
    assert [a for a in answers(ex) if a in text] == []
    assert not at.dataframe and not at.table
    assert any("needs the teacher link" in w.value for w in at.warning)


def test_a_key_for_another_exercise_or_made_up_opens_nothing():
    ex = exercises.generate(SEED)
    for key in (teacher_key(units="1"), "0" * 32, "x"):
        at = start(mode="teacher", key=key)
        assert [a for a in answers(ex) if a in page_text(at)] == [], key
        assert any("does not belong" in w.value or "needs the teacher link" in w.value for w in at.warning)


def test_the_teacher_link_is_signed_for_exactly_its_exercise():
    params = {"exercise": str(SEED), "units": "2", "mode": "student"}
    link = exercise_view.link(params, "teacher", Store())
    assert "mode=teacher" in link and f"key={teacher_key(units='2')}" in link
    assert len(teacher_key(units="2")) == 32 and teacher_key(units="2") != teacher_key()


def test_every_box_stops_at_what_grading_reads_and_a_longer_link_is_cut_there():
    from gruviz.classroom import grading

    ex = exercises.generate(SEED)
    at = start(mode="student", **{"z.0.0": "0." + "1" * 100})  # a link can carry more than a box takes
    assert [b.proto.max_chars for b in at.text_input] == [grading.TYPED_MAX] * len(ex.cells())
    assert at.text_input(key="exercise_z.0.0").value == ("0." + "1" * 100)[: grading.TYPED_MAX]
    assert "✗ not right" in page_text(at) or "✓ right" in page_text(at)  # graded, not refused
