"""A claim typed with too few digits to tell mistakes apart: the detective asks for more
digits instead of naming one story (−0.3 at one decimal was "reproduced" by one gate order,
while a pair of mistakes lands within ±0.05 of it too)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import cli_run

from gruviz.classroom import presets
from gruviz.explain.claims import parse_output_claim
from gruviz.explain.detective import _pairs, _singles, diagnose, diagnosis_json
from gruviz.explain.mistakes import Setup
from gruviz.io import weights_file
from gruviz.io.parsing import parse_sequence

REPO = Path(__file__).resolve().parents[2]
PRESET = presets.BY_KEY["stack_exchange"]
SETUP = Setup(PRESET.weights, parse_sequence(PRESET.sequence, 1), None)


def outputs(candidates) -> dict[str, float]:
    return {detail: float(variant.run().output[0]) for _, detail, variant in candidates(SETUP)}


def test_one_decimal_that_a_single_mistake_and_a_pair_both_give_asks_for_digits():
    singles = [v for v in outputs(_singles).values() if abs(v + 0.3) <= 0.05]
    pairs = [v for v in outputs(_pairs).values() if abs(v + 0.3) <= 0.05]
    assert singles and pairs and max(abs(p - singles[0]) for p in pairs) > 1e-4  # the premise, in numbers
    diagnosis = diagnose(SETUP, parse_output_claim("-0.3", 1))
    assert diagnosis.verdict == "ambiguous"
    assert diagnosis.more_digits >= 2
    message = diagnosis_json(diagnosis)["message"]
    assert f"at least {diagnosis.more_digits} decimals" in message
    assert "order" not in message and "Reproduced" not in message  # no story is named


def _visible() -> list[str]:
    """The single mistakes whose answer differs from the truth at 4 decimals on these numbers."""
    truth = float(SETUP.run().output[0])
    return sorted(d for d, v in outputs(_singles).items() if abs(round(v, 4) - truth) > 5e-5)


@pytest.mark.parametrize("detail", _visible())
def test_four_decimals_of_any_single_mistake_are_never_ambiguous(detail):
    value = outputs(_singles)[detail]
    diagnosis = diagnose(SETUP, parse_output_claim(f"{value:.4f}", 1))
    assert diagnosis.verdict == "explained", diagnosis_json(diagnosis)["message"]


def test_the_askers_number_is_still_explained_by_the_summed_sequence():
    diagnosis = diagnose(SETUP, parse_output_claim("-0.7069", 1))
    assert diagnosis.verdict == "explained"
    assert diagnosis.explanations[0].id == "sequence_summed_into_one_step"


def test_the_cli_says_ambiguous_with_the_digits_it_needs(tmp_path):
    weights = tmp_path / "w.json"
    weights.write_text(weights_file.dumps(PRESET.weights))
    done = cli_run.gruviz("diagnose", str(weights), "--sequence", "1,2,9,8", "--claimed-output", "-0.3", cwd=REPO)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["verdict"] == "ambiguous" and "decimals" in result["message"]
    assert np.isclose(result["first_divergence"]["expected"][0], -0.4628, atol=1e-4)
