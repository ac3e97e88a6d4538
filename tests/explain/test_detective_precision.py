"""The detective judges a typed number at the precision it was typed with, and no looser.

The truth here is built so its value is known by hand: with zero kernels, a zero h0 and
σ(0) = ½, one Keras step with a linear candidate gives z = r = ½,
h~ = b^x_h + ½·b^h_h and h = ½·h' + ½·h~. Setting b^x_h = 2v puts h_1 at exactly v,
h~_1 at 2v, and h_2 (same input, h' = v) at ½v + v = 1.5v.

A claim typed with d decimals stands for ±½ unit in its last digit, 0.5·10^-d; below
that, float32 frameworks print digits that are only good to about 1e-6, so the
tolerance never drops under 1e-6·(1 + |claim|). Every case places the truth 2% inside
and 2% outside that boundary, on both sides of the claim.
"""

import json

import numpy as np
import pytest

from gruviz import GRUConfig, GRUWeights
from gruviz.explain.claims import Typed, parse_cells, parse_output_claim, parse_step_claims
from gruviz.explain.detective import diagnose
from gruviz.explain.mistakes import Setup

DECIMALS = range(1, 8)
BASES = (-0.46279544, 0.0307, 2.718281828)


def hand_tolerance(claim_text: str) -> float:
    """Half a unit in the last typed digit, floored at float32's ~1e-6, derived by hand."""
    mantissa, _, exponent = claim_text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2]) - int(exponent or 0)
    return max(0.5 * 10.0**-decimals, 1e-6 * (1 + abs(float(claim_text))))


def setup_with_h1(v: float, steps: int = 1) -> Setup:
    """A units=1 GRU whose first state is exactly v (see the module docstring)."""
    config = GRUConfig(1, 1, activation="linear", recurrent_activation="sigmoid")
    weights = GRUWeights.create(config, np.zeros((1, 3)), np.zeros((1, 3)), [[0, 0, 2 * v], [0, 0, 0]])
    return Setup(weights, np.zeros((steps, 1)))


def truth_near(claim_text: str, side: float, inside: bool) -> float:
    """A true value just inside (98%) or just outside (102%) the claim's tolerance."""
    return float(claim_text) + side * (0.98 if inside else 1.02) * hand_tolerance(claim_text)


def test_the_construction_gives_the_hand_values():
    trace = setup_with_h1(0.3, steps=2).run()
    assert trace.z[0, 0] == 0.5 and trace.r[0, 0] == 0.5
    assert trace.h_tilde[0, 0] == pytest.approx(0.6, abs=1e-15)
    assert trace.h[:, 0] == pytest.approx([0.3, 0.45], abs=1e-15)


@pytest.mark.parametrize("decimals", DECIMALS)
@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("side", [-1, 1])
def test_output_claim_boundary(decimals, base, side):
    claim = f"{base:.{decimals}f}"
    for inside in (True, False):
        setup = setup_with_h1(truth_near(claim, side, inside))
        diagnosis = diagnose(setup, parse_output_claim(claim, 1))
        assert (diagnosis.verdict == "matches") is inside, (claim, setup.run().output, inside)
        if not inside:
            assert diagnosis.first_divergence.claim.quantity == "output"


@pytest.mark.parametrize("decimals", DECIMALS)
@pytest.mark.parametrize("side", [-1, 1])
def test_step_claim_boundary(decimals, side):
    """h at t=0 and h~ at t=0 from the JSON steps, and h at t=1, each at its own boundary."""
    claim = f"{-0.46279544:.{decimals}f}"
    for inside in (True, False):
        v = truth_near(claim, side, inside)
        setup = setup_with_h1(v, steps=2)
        text = f'[{{"t": 0, "h": [{claim}]}}]'
        assert (diagnose(setup, parse_step_claims(text, 1, 2)).verdict == "matches") is inside

        # h~_1 = 2v: the claim 2v typed with the same digits sits at twice the distance, so
        # put the truth at the boundary of the h~ claim itself.
        tilde_claim = f"{2 * float(claim):.{decimals}f}"
        tilde_setup = setup_with_h1(truth_near(tilde_claim, side, inside) / 2, steps=2)
        text = f'[{{"t": 0, "h_tilde": [{tilde_claim}]}}]'
        assert (diagnose(tilde_setup, parse_step_claims(text, 1, 2)).verdict == "matches") is inside

        second_claim = f"{1.5 * float(claim):.{decimals}f}"
        second_setup = setup_with_h1(truth_near(second_claim, side, inside) / 1.5, steps=2)
        text = f'[{{"t": 0, "z": [0.5]}}, {{"t": 1, "h": [{second_claim}]}}]'
        diagnosis = diagnose(second_setup, parse_step_claims(text, 1, 2))
        assert (diagnosis.verdict == "matches") is inside
        if not inside:
            assert (diagnosis.first_divergence.claim.t, diagnosis.first_divergence.claim.quantity) == (1, "h")


@pytest.mark.parametrize("decimals", DECIMALS)
def test_app_table_cell_boundary(decimals):
    claim = f"{0.0307:.{decimals}f}"
    for side in (-1, 1):
        for inside in (True, False):
            setup = setup_with_h1(truth_near(claim, side, inside))
            claims = parse_cells({(0, "h", 0): claim}, 1)
            assert (diagnose(setup, claims).verdict == "matches") is inside


def test_the_issue_example_does_not_match():
    """-0.4631 stands for [-0.46315, -0.46305]; the true -0.46280 is outside it."""
    diagnosis = diagnose(setup_with_h1(-0.46280), parse_output_claim("-0.4631", 1))
    assert diagnosis.verdict != "matches"
    assert diagnose(setup_with_h1(-0.46280), parse_output_claim("-0.4628", 1)).verdict == "matches"


@pytest.mark.parametrize("text, half_unit", [
    ("-4.628e-1", 0.5e-4), ("4628E-4", 0.5e-4), ("1e-2", 0.5e-2), ("0.5", 0.05), ("3", 0.5), ("-3.", 0.5),
    (".25", 0.005), ("+0.125", 0.0005), ("1.25e+1", 0.05),
])
def test_exponent_and_short_forms_set_the_precision(text, half_unit):
    value = float(text)
    typed = Typed.parse([text], "claim")
    assert typed.values[0] == value
    assert typed.tolerance[0] == pytest.approx(max(half_unit, 1e-6 * (1 + abs(value))), rel=1e-12)
    assert typed.matches(np.array([value + 0.98 * half_unit]))
    assert not typed.matches(np.array([value - 1.02 * half_unit]))


def test_every_unit_must_be_inside():
    typed = Typed.parse(["0.12", "-0.34"], "claim")
    assert typed.matches(np.array([0.1249, -0.3449]))
    assert not typed.matches(np.array([0.1249, -0.3451]))
    assert not typed.matches(np.array([0.1251, -0.3449]))
    assert typed.error(np.array([0.1249, -0.3451])) == pytest.approx(0.0051, abs=1e-15)
    assert typed.error(np.array([np.nan, -0.34])) == float("inf")


def test_step_claims_keep_the_typed_digits():
    """JSON numbers reach the detective as text: 0.50 has two decimals, not one."""
    claims = parse_step_claims(json.dumps([{"t": 1, "z": ["0.50"]}]).replace('"0.50"', "0.50"), 1, 2)
    assert claims[0].typed.tolerance[0] == pytest.approx(0.005)


def test_the_half_unit_itself_still_matches():
    """0.5 and 3.5 are exact in binary: |3.5 - 3| is exactly the half unit of "3"."""
    three = Typed.parse(["3"], "claim")
    assert three.matches(np.array([3.5])) and three.matches(np.array([2.5]))
    assert not three.matches(np.array([3.5000001]))


@pytest.mark.parametrize("word, message", [
    (True, "c: 'true' is not a number."), ([1], "c: '[1]' is not a number."),
    (None, "c: 'null' is not a number."), ("abc", "c: 'abc' is not a number."),
])
def test_what_is_not_a_number_is_named_as_json_writes_it(word, message):
    from gruviz import InputError

    with pytest.raises(InputError) as raised:
        Typed.parse([word], "c")
    assert str(raised.value) == message
