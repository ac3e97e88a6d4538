"""The mismatch detective against "hand" numbers made by an independent small GRU
written here, with each mistake made the way a person would make it."""

import json

import numpy as np
import pytest

import cli_run

from gruviz import GRUConfig, GRUWeights, InputError
from gruviz.explain.claims import parse_cells, parse_output_claim, parse_step_claims
from gruviz.explain.detective import diagnose, diagnosis_json
from gruviz.explain.mistakes import MISTAKES, Setup

SIGMOIDS = {
    "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
    "hard_sigmoid": lambda a: np.clip(a / 6 + 0.5, 0, 1),
    "hard_sigmoid_legacy": lambda a: np.clip(0.2 * a + 0.5, 0, 1),
}


def hand_gru(W, U, bx, bh, x, h0, *, rule="keras", reset_after=True, gate="sigmoid", candidate=np.tanh,
             order="zrh"):
    """A person's GRU: columns read in `order`, one step per row of x, returns every step's z, r, h~, h."""
    H = U.shape[0]
    block = {g: slice(i * H, (i + 1) * H) for i, g in enumerate(order)}
    sig = SIGMOIDS[gate]
    h, steps = np.array(h0, float), []
    for xt in x:
        z = sig(xt @ W[:, block["z"]] + bx[block["z"]] + h @ U[:, block["z"]] + bh[block["z"]])
        r = sig(xt @ W[:, block["r"]] + bx[block["r"]] + h @ U[:, block["r"]] + bh[block["r"]])
        if reset_after:
            a = xt @ W[:, block["h"]] + bx[block["h"]] + r * (h @ U[:, block["h"]] + bh[block["h"]])
        else:
            a = xt @ W[:, block["h"]] + bx[block["h"]] + bh[block["h"]] + (r * h) @ U[:, block["h"]]
        ht = candidate(a)
        h = z * h + (1 - z) * ht if rule == "keras" else (1 - z) * h + z * ht
        steps.append({"z": z, "r": r, "h_tilde": ht, "h": h})
    return steps


def hand_numbers(mistake, W, U, bx, bh, x, h0, gate):
    """The steps a person gets after making `mistake` (None: no mistake)."""
    kw = dict(gate=gate)
    if mistake == "sequence_summed_into_one_step":
        x = x.sum(axis=0, keepdims=True)
    elif mistake == "update_rule_flipped":
        kw["rule"] = "bahdanau"
    elif mistake in ("reset_placement_swapped", "linear_before_reset_dropped"):  # ONNX names the same slip
        kw["reset_after"] = False  # the true model resets after; the bias rows add up outside r
        bx, bh = bx + bh, 0 * bh
    elif mistake == "recurrent_bias_ignored":
        bh = 0 * bh
    elif mistake == "bias_rows_swapped":
        bx, bh = bh, bx
    elif mistake == "gate_order_swapped":
        kw["order"] = "rzh"  # PyTorch's r, z, n
    elif mistake == "hard_sigmoid_variant_swapped":
        kw["gate"] = {"hard_sigmoid": "hard_sigmoid_legacy", "hard_sigmoid_legacy": "hard_sigmoid"}[gate]
    elif mistake == "sigmoid_vs_hard_sigmoid":
        kw["gate"] = "hard_sigmoid" if gate == "sigmoid" else "sigmoid"
    elif mistake == "sequence_reversed":
        x = x[::-1]
    elif mistake == "initial_state_ignored":
        h0 = 0 * h0
    elif mistake == "candidate_activation_missing":
        kw["candidate"] = lambda a: a
    return hand_gru(W, U, bx, bh, x, h0, **kw)


def gate_for(mistake: str) -> str:
    return "hard_sigmoid" if mistake == "hard_sigmoid_variant_swapped" else "sigmoid"


def random_case(seed: int, gate: str):
    rng = np.random.default_rng(seed)
    D, H, T = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(3, 7))
    W, U = rng.normal(0, 0.8, (D, 3 * H)), rng.normal(0, 0.8, (H, 3 * H))
    bx, bh = rng.normal(0, 0.5, 3 * H), rng.normal(0, 0.5, 3 * H)
    x, h0 = rng.normal(0, 1, (T, D)), rng.normal(0, 0.5, H)
    weights = GRUWeights.create(GRUConfig(H, D, recurrent_activation=gate), W, U, np.stack([bx, bh]))
    return (W, U, bx, bh, x, h0), Setup(weights, x, h0)


def typed(values, decimals: int) -> str:
    return ", ".join(f"{v:.{decimals}f}" for v in values)


def equivalent_mistakes(args, gate, target, decimals):
    """Every catalog mistake whose hand output equals `target` at this precision."""
    same = set()
    for m in MISTAKES:
        if m.id in ("hard_sigmoid_variant_swapped",) and gate == "sigmoid":
            continue
        out = hand_numbers(m.id, *args, gate)[-1]["h"]
        if np.all(np.abs(out - target) <= 0.5 * 10**-decimals + 1e-9):
            same.add(m.id)
    return same


@pytest.mark.parametrize("mistake", [m.id for m in MISTAKES])
@pytest.mark.parametrize("seed", range(4))
def test_each_mistake_is_named_first(mistake, seed):
    gate = gate_for(mistake)
    args, setup = random_case(100 * seed + len(mistake), gate)
    claimed = hand_numbers(mistake, *args, gate)[-1]["h"]
    diagnosis = diagnose(setup, parse_output_claim(typed(claimed, 6), setup.weights.config.units))
    assert diagnosis.verdict == "explained"
    best = diagnosis.explanations[0]
    assert best.explains
    assert best.id in equivalent_mistakes(args, gate, claimed, 6) | {mistake}
    if best.id == "gate_order_swapped":
        assert "PyTorch" in best.detail


@pytest.mark.parametrize("decimals", [2, 3, 4, 5, 6])
def test_rounded_claims_follow_their_precision(decimals):
    args, setup = random_case(7, "sigmoid")
    claimed = hand_numbers("update_rule_flipped", *args, "sigmoid")[-1]["h"]
    diagnosis = diagnose(setup, parse_output_claim(typed(claimed, decimals), setup.weights.config.units))
    explaining = [e.id for e in diagnosis.explanations if e.explains]
    assert "update_rule_flipped" in explaining
    if decimals >= 4:
        assert explaining[0] in equivalent_mistakes(args, "sigmoid", claimed, decimals) | {"update_rule_flipped"}


def test_the_truth_matches():
    args, setup = random_case(3, "sigmoid")
    truth = hand_numbers(None, *args, "sigmoid")[-1]["h"]
    diagnosis = diagnose(setup, parse_output_claim(typed(truth, 4), setup.weights.config.units))
    assert diagnosis.verdict == "matches" and diagnosis.first_divergence is None


def test_partial_table_finds_the_first_divergence():
    """The flipped rule leaves z at step 0 right and h wrong: the divergence is h at t=0."""
    args, setup = random_case(11, "sigmoid")
    steps = hand_numbers("update_rule_flipped", *args, "sigmoid")
    table = [{"t": 0, "z": [round(v, 5) for v in steps[0]["z"]], "h": [round(v, 5) for v in steps[0]["h"]]},
             {"t": 2, "h": [round(v, 5) for v in steps[2]["h"]]}]
    claims = parse_step_claims(json.dumps(table), setup.weights.config.units, len(setup.x))
    diagnosis = diagnose(setup, claims)
    assert diagnosis.verdict == "explained"
    assert (diagnosis.first_divergence.claim.t, diagnosis.first_divergence.claim.quantity) == (0, "h")
    assert diagnosis.explanations[0].id == "update_rule_flipped"


def test_pairs_of_mistakes_are_found():
    args, setup = random_case(5, "sigmoid")
    W, U, bx, bh, x, h0 = args
    claimed = hand_gru(W, U, bx, bh, x[::-1], h0, rule="bahdanau")[-1]["h"]
    diagnosis = diagnose(setup, parse_output_claim(typed(claimed, 6), setup.weights.config.units))
    assert diagnosis.verdict == "explained"
    assert set(diagnosis.explanations[0].id.split("+")) == {"update_rule_flipped", "sequence_reversed"}


SEED = GRUWeights.create(GRUConfig(1, 1), [[-0.90954137, 1.0425225, -0.04404902]],
                         [[0.24168766, 0.8981342, 0.36734456]], np.zeros((2, 3)))


def test_seed_hand_result_is_the_summed_sequence():
    diagnosis = diagnose(Setup(SEED, np.array([[1.0], [2], [9], [8]])), parse_output_claim("-0.70691013", 1))
    assert diagnosis.verdict == "explained"
    assert diagnosis.explanations[0].id == "sequence_summed_into_one_step"


def test_seed_reported_keras_output_is_honestly_unexplained():
    diagnosis = diagnose(Setup(SEED, np.array([[1.0], [2], [9], [8]])), parse_output_claim("0.9680257", 1))
    assert diagnosis.verdict == "unexplained"
    assert not any(e.explains for e in diagnosis.explanations)
    assert "different model instance" in diagnosis_json(diagnosis)["message"]


@pytest.mark.parametrize("text, message", [
    ('[{"t": 0, "h": [0.1, 0.2]}]', "has 2 values but the GRU has 1 unit"),
    ('[{"t": 9, "h": [0.1]}]', "timesteps 0 to 3"),
    ('[{"t": 0, "h": ["abc"]}]', "'abc' is not a number"),
    ('[{"t": 0, "q": [1]}]', "'q'"),
    ('[{"h": [1]}]', '"t"'),
    ("[{", "not valid JSON"),
])
def test_bad_claimed_steps(text, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[")):
        parse_step_claims(text, 1, 4)


def test_bad_claimed_output():
    with pytest.raises(InputError, match="not a number"):
        parse_output_claim("abc", 1)
    with pytest.raises(InputError, match="has 2 values"):
        parse_output_claim("1, 2", 1)


def test_cli_diagnose_contract(tmp_path):
    weights = tmp_path / "w.json"
    from gruviz.io import weights_file

    weights.write_text(weights_file.dumps(SEED))
    steps = tmp_path / "steps.json"
    steps.write_text('[{"t": 0, "z": [0.2871], "h": [-0.0314]}, {"t": 3, "h": [-0.7069]}]')
    run = lambda *a: cli_run.gruviz("diagnose", str(weights), "--sequence", "1,2,9,8", *a)  # noqa: E731
    done = run("--claimed-output", "-0.7069")
    result = json.loads(done.stdout)
    assert result["verdict"] == "explained"
    assert result["explanations"][0]["mistake"] == "sequence_summed_into_one_step"
    assert set(result["first_divergence"]) == {"t", "quantity", "expected", "claimed"}
    result = json.loads(run("--claimed-steps", str(steps)).stdout)
    assert result["first_divergence"]["t"] == 3 and result["first_divergence"]["quantity"] == "h"
    bad = run("--claimed-output", "x")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    both = run("--claimed-output", "1", "--claimed-steps", str(steps))
    assert both.returncode == 2 and "not allowed with" in both.stderr


def test_a_partly_filled_app_table_becomes_cell_claims():
    from gruviz.ui.views.check_view import table_claims

    setup = Setup(SEED, np.array([[1.0], [2], [9], [8]]))
    truth = setup.run()
    # Row 0 is step 1 on the page; a student has z and a wrong h (the Wikipedia rule's) for it.
    edits = {0: {"z": f"{truth.z[0, 0]:.4f}", "h": "-0.0126"}, 2: {"r": " "}}
    claims = table_claims(edits, 4, 1)
    assert [(c.t, c.quantity, c.unit) for c in claims] == [(0, "z", 0), (0, "h", 0)]
    diagnosis = diagnose(setup, claims)
    assert diagnosis.first_divergence.claim.quantity == "h"
    assert diagnosis.explanations[0].id == "update_rule_flipped"
    with pytest.raises(InputError, match="not a number"):
        table_claims({1: {"h": "abc"}}, 4, 1)


# --- the JSON contract, the messages and the search, value by value --------------------------

SEED_X = np.array([[1.0], [2], [9], [8]])
SEED_ARGS = (SEED.kernel, SEED.recurrent_kernel, np.zeros(3), np.zeros(3))


def test_diagnosis_json_of_the_seed_hand_result():
    truth = hand_gru(*SEED_ARGS, SEED_X, np.zeros(1))[-1]["h"]
    summed = hand_gru(*SEED_ARGS, SEED_X.sum(axis=0, keepdims=True), np.zeros(1))[-1]["h"]
    diagnosis = diagnose(Setup(SEED, SEED_X), parse_output_claim("-0.7069", 1))
    result = diagnosis_json(diagnosis)
    assert set(result) == {"verdict", "first_divergence", "explanations", "message"}
    assert result["verdict"] == "explained"
    divergence = result["first_divergence"]
    assert set(divergence) == {"t", "quantity", "expected", "claimed"}
    assert divergence["t"] == 3 and divergence["quantity"] == "output" and divergence["claimed"] == [-0.7069]
    np.testing.assert_allclose(divergence["expected"], truth, atol=1e-12)
    best = result["explanations"][0]
    assert set(best) == {"mistake", "detail", "max_abs_error", "explains", "explanation"}
    assert best["mistake"] == "sequence_summed_into_one_step" and best["explains"] is True
    assert best["max_abs_error"] == pytest.approx(abs(summed[0] - -0.7069), abs=1e-12)
    assert best["explanation"] == MISTAKES[0].explanation
    assert result["message"] == f"Reproduced by: {best['detail']}."
    assert diagnosis.explanations[0].trace.output == pytest.approx(summed, abs=1e-12)
    assert diagnosis.truth.output == pytest.approx(truth, abs=1e-12)
    # A single mistake explains it, so no pair is even tried.
    assert all("+" not in e["mistake"] for e in result["explanations"])


def test_diagnosis_json_of_a_match_and_of_a_pair():
    truth = hand_gru(*SEED_ARGS, SEED_X, np.zeros(1))[-1]["h"]
    diagnosis = diagnose(Setup(SEED, SEED_X), parse_output_claim(f"{truth[0]:.5f}", 1))
    assert diagnosis.explanations == () and diagnosis.truth.output == pytest.approx(truth, abs=1e-12)
    assert diagnosis_json(diagnosis) == {"verdict": "matches", "first_divergence": None, "explanations": [],
                                         "message": "Your numbers match Keras."}
    args, setup = random_case(5, "sigmoid")
    W, U, bx, bh, x, h0 = args
    claimed = hand_gru(W, U, bx, bh, x[::-1], h0, rule="bahdanau")[-1]["h"]
    result = diagnosis_json(diagnose(setup, parse_output_claim(typed(claimed, 6), setup.weights.config.units)))
    best = result["explanations"][0]
    first, second = (next(m for m in MISTAKES if m.id == i) for i in best["mistake"].split("+"))
    assert best["explanation"] == f"{first.explanation} {second.explanation}"


def test_a_unit_claim_reports_its_unit_and_checks_only_that_unit():
    args, setup = random_case(1, "sigmoid")  # three units
    H = setup.weights.config.units
    assert H >= 2
    steps = hand_numbers(None, *args, "sigmoid")
    # the true h of unit 1 at step 0 matches on its own, whatever the other units hold
    claims = parse_cells({(0, "h", 1): f"{steps[0]['h'][1]:.5f}"}, len(setup.x))
    assert diagnose(setup, claims).verdict == "matches"
    wrong = {(1, "z", 1): f"{steps[1]['z'][1] + 0.01:.5f}", (1, "z", 0): f"{steps[1]['z'][0] + 0.01:.5f}"}
    result = diagnosis_json(diagnose(setup, parse_cells(wrong, len(setup.x))))
    assert result["first_divergence"]["unit"] == 0 and result["first_divergence"]["t"] == 1
    assert result["first_divergence"]["expected"] == pytest.approx([steps[1]["z"][0]], abs=1e-12)


def test_cells_come_back_in_step_quantity_unit_order():
    cells = {(1, "h", 1): "0.91", (1, "h", 0): "0.19", (0, "h", 0): "0.5", (1, "z", 1): "0.3", (1, "z", 0): "0.7"}
    order = [(c.t, c.quantity, c.unit) for c in parse_cells(cells, 4)]
    assert order == [(0, "h", 0), (1, "z", 0), (1, "z", 1), (1, "h", 0), (1, "h", 1)]


def test_a_claim_past_a_shorter_variant_run_is_simply_not_reproduced():
    """Summing the sequence leaves one step; a claim about step 1 cannot be reproduced by it."""
    claims = parse_step_claims('[{"t": 1, "h": [0.5]}]', 1, 4)
    diagnosis = diagnose(Setup(SEED, SEED_X), claims)
    assert diagnosis.verdict != "matches"
    summed = next(e for e in diagnosis.explanations if e.id == "sequence_summed_into_one_step") \
        if any(e.id == "sequence_summed_into_one_step" for e in diagnosis.explanations) else None
    assert summed is None or summed.max_abs_error == float("inf")


def test_pairs_are_every_two_different_mistakes_in_catalog_order():
    from gruviz.explain.detective import _pairs

    args, setup = random_case(2, "hard_sigmoid")
    seen = set()
    for mistakes, _, _ in _pairs(setup):
        first, second = (MISTAKES.index(m) for m in mistakes)
        assert first < second
        seen.add((first, second))
    # every later mistake that can still be made on top of some way of making the first one
    possible = {(a, b) for a, first in enumerate(MISTAKES) for _, variant in first.variants(setup)
                for b in range(a + 1, len(MISTAKES)) if any(True for _ in MISTAKES[b].variants(variant))}
    assert possible == seen
    assert any(b == a + 1 for a, b in seen)


def test_an_unexplained_claim_keeps_eight_explanations_closest_first():
    result = diagnose(Setup(SEED, SEED_X), parse_output_claim("0.9680257", 1))
    assert len(result.explanations) == 8
    errors = [e.max_abs_error for e in result.explanations]
    assert errors == sorted(errors)


@pytest.mark.parametrize("call, message", [
    (lambda: parse_output_claim(None, 1), "type the output you got, one number per unit, like -0.7069."),
    (lambda: parse_output_claim(" , ", 2), "type the output you got, one number per unit, like -0.7069."),
    (lambda: parse_output_claim("1 2", 1), "the claimed output has 2 values but the GRU has 1 unit."),
    (lambda: parse_output_claim("1", 2), "the claimed output has 1 value but the GRU has 2 units."),
    (lambda: parse_output_claim("1, x", 2), "claimed output: 'x' is not a number."),
    (lambda: parse_step_claims("{}", 1, 4),
     'the claimed steps must be a JSON list like [{"t": 0, "z": [0.29], "h": [-0.03]}].'),
    (lambda: parse_step_claims('{"t": 0, "h": [0.1]}', 1, 4),
     'the claimed steps must be a JSON list like [{"t": 0, "z": [0.29], "h": [-0.03]}].'),
    (lambda: parse_step_claims("[]", 1, 4),
     'the claimed steps must be a JSON list like [{"t": 0, "z": [0.29], "h": [-0.03]}].'),
    (lambda: parse_step_claims('[{"t": 0}]', 1, 4),
     "the claimed steps name no quantity; give z, r, h_tilde or h for some step."),
    (lambda: parse_cells({(4, "h", 0): "1"}, 4), "step 5 is past the end of the sequence (4 steps)."),
    (lambda: parse_cells({(1, "r", 0): "1..2"}, 4), "step 2, r of unit 1: '1..2' is not a number."),
])
def test_messages_say_exactly_what_is_wrong(call, message):
    with pytest.raises(InputError) as raised:
        call()
    assert str(raised.value) == message


PAGE_STEPS = "0 to 3 (the page's steps 1 to 4)."


@pytest.mark.parametrize("text, units, steps, message", [
    ('[{"t": 0, "q": [1]}]', 1, 4, "the 1st claimed step has 'q'; use any of z, r, h_tilde, h."),
    ('[{"t": 0, "h": [1]}, {"t": 4, "h": [1]}]', 1, 4,
     f'the 2nd claimed step has "t": 4, but the sequence has 4 timesteps: "t" counts from 0, so it names timesteps '
     f"{PAGE_STEPS}"),
    ('[{"t": -1, "h": [1]}]', 1, 4,
     f'the 1st claimed step has "t": -1, but the sequence has 4 timesteps: "t" counts from 0, so it names timesteps '
     f"{PAGE_STEPS}"),
    ('[{"t": 1234567890, "h": [1]}]', 1, 10**10,
     'the 1st claimed step has "t": 1234567890, but the sequence has 10,000,000,000 timesteps: "t" counts from 0, '
     "so it names timesteps 0 to 9999999999 (the page's steps 1 to 10000000000)."),
    *[(f'[{{"t": {typed}, "h": [1]}}]', 1, 4, f'the 1st claimed step has "t": {said}, but the sequence has 4 '
       f'timesteps: "t" counts from 0, so it names timesteps {PAGE_STEPS}')
      for typed, said in (('"x"', "'x'"), ("[1]", "a list"), ('{"a": 1}', "an object"),
                          ("true", "true"), ("null", "null"), ("1.5", "1.5"), ("1e0", "1e0"))],
    ('[{"t": 1, "h": [1, 2]}]', 1, 4, 'timestep 2 ("t": 1), h has 2 values but the GRU has 1 unit.'),
    ('[{"t": 1, "h": 1}]', 2, 4, 'timestep 2 ("t": 1), h has 1 value but the GRU has 2 units.'),
    ('[{"t": 2, "z": ["x"]}]', 1, 4, "timestep 3 (\"t\": 2), z: 'x' is not a number."),
    ('[{"h": [1]}]', 1, 4, 'the 1st claimed step needs a "t": the timestep, counted from 0 (the page\'s step 1 is "t": 0).'),
    ("[" + ", ".join(['{"t": 0, "h": [1]}'] * 9) + "]", 1, 2,
     "the claimed steps have 9 entries for 2 timesteps; give at most one entry per timestep and quantity."),
    ("[{", 1, 4, "the claimed steps is not valid JSON (Expecting property name enclosed in double quotes at line 1, "
                 "column 3)."),
])
def test_step_claim_messages_name_the_entry_and_the_fix(text, units, steps, message):
    with pytest.raises(InputError) as raised:
        parse_step_claims(text, units, steps)
    assert str(raised.value).replace(",", "") == message.replace(",", "")  # thousands separators aside


def test_step_claims_at_the_edges_of_what_is_accepted():
    assert len(parse_step_claims("[" + ", ".join(['{"t": 0, "h": [1]}'] * 8) + "]", 1, 2)) == 8  # 4 per step
    big = parse_step_claims('[{"t": 123456789, "h": [1]}]', 1, 200_000_000)  # nine digits are read
    assert big[0].t == 123456789
    bare = parse_step_claims('[{"t": 1, "h": 0.25}]', 1, 4)  # one unit's value without brackets
    assert bare[0].typed.values.tolist() == [0.25] and bare[0].typed.tolerance[0] == pytest.approx(0.005)


def test_an_empty_value_between_commas_and_an_overlong_claim_are_named():
    from gruviz.limits import APP

    with pytest.raises(InputError) as raised:
        parse_output_claim("0.1, , 0.2", 2)
    assert str(raised.value) == ("the claimed output has an empty value (two commas with nothing between); "
                                 "type a number there or remove a comma.")
    with pytest.raises(InputError) as raised:
        parse_output_claim("1 " * (APP.max_text_chars // 2 + 1), 1, APP)
    assert str(raised.value).startswith(f"the claimed output is {APP.max_text_chars + 2:,} characters long")


def test_a_diagnosis_too_big_to_run_every_mistake_on_is_refused_before_the_first_run():
    """timesteps × units over the limit: a refusal that says what to shrink; at the limit, the runs."""
    from dataclasses import replace

    from conftest import random_weights
    from gruviz.explain.detective import candidate_runs
    from gruviz.limits import CLI

    rng = np.random.default_rng(5)
    weights = random_weights(rng, GRUConfig(units=3, input_dim=1))
    small = replace(CLI, max_diagnose_cells=12)
    assert len(candidate_runs(Setup(weights, rng.normal(size=(4, 1))), small)) > 100  # 4 × 3 = 12
    with pytest.raises(InputError, match=r"5 timesteps × 3 units is more than it allows \(12\)"):
        candidate_runs(Setup(weights, rng.normal(size=(5, 1))), small)
    long = Setup(SEED, np.ones((CLI.max_diagnose_cells + 1, 1)))
    with pytest.raises(InputError, match="Claim the output of a shorter sequence"):
        diagnose(long, parse_output_claim("0.123456", 1))
