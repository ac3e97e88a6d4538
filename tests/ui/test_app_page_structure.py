"""The main page's structure in AppTest: one h1 (the example's title) in every mode, and the
hand calculation and pitfalls only under the views of the GRU's forward run."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PITFALLS = "Pitfalls: what the classic mistakes give on these numbers"


def page(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("params", [{}, {"present": "true"}, {"present": "true", "reveal": "true"}])
def test_the_page_has_one_h1_its_title(params):
    at = page(**params)
    assert [t.value for t in at.title] == ["Stack Exchange: the math of a Keras GRU"]


@pytest.mark.parametrize("view, shown", [("One step under the magnifier", True), ("Gates over time", True),
                                         ("Whole model", False), ("Train", False), ("Backward", False)])
def test_the_preset_box_and_pitfalls_belong_to_the_forward_views(view, shown):
    at = page(view=view)
    subheaders = [s.value for s in at.subheader]
    assert (PITFALLS in subheaders) == shown
    hand = any("-0.7069" in m.value for m in at.markdown) or any("-0.7069" in e.value for e in at.error)
    assert hand == shown  # the asker's -0.7069 beside Keras's -0.4628
