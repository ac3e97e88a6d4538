"""A seeded fuzz of every text parser, the share-link decoder, the weights JSON reader
and the CLI: whatever a person types or a link carries, only InputError (or, from the
CLI, exit status 2 with one line on stderr) may come out."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import random
import subprocess
import zlib

import pytest

import cli_run

from gruviz.errors import InputError
from gruviz.limits import APP, CLI

SEED_WEIGHTS = {
    "format": "gruviz-weights/1", "layout": "keras",
    "config": {"units": 1, "input_dim": 1, "reset_after": True, "use_bias": True,
               "activation": "tanh", "recurrent_activation": "sigmoid"},
    "kernel": [[-0.90954137, 1.0425225, -0.04404902]],
    "recurrent_kernel": [[0.24168766, 0.8981342, 0.36734456]],
    "bias": [[0, 0, 0], [0, 0, 0]],
}

# `make mutation` runs every surviving mutant through these tests; a tenth of the rounds keeps
# that affordable, while `make test` runs them all.
ROUNDS = max(1, round(float(os.environ.get("GRUVIZ_FUZZ_SCALE", "1")) * 300))

# The hostile pieces every case is built from.
DEEP = ["[" * 5000, "]" * 5000, "[" * 1200 + "1" + "]" * 1200, "{\"a\":" * 3000, "[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]"]
HUGE_NUMBERS = ["9" * 5000, "-" + "9" * 4301, "1" + "0" * 400, "0." + "0" * 5000 + "1", "1e999", "-1e999",
                "1e-999", "1e99999999999999999999", "1e" + "9" * 5000, "1" * 320 + ".5", "2e308"]
NON_FINITE = ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "-Infinity", "+inf", "infinity", "NAN"]
UNICODE = ["١٢", "٣.٥", "１２", "０．５", "۷", "߁", "²", "½", "Ⅻ", "𝟙𝟚", "1\u00a02", "1\u20092", "\u200b", "\ufeff1",
           "1_000", "0x10", "١e٣", "\u0000", "é", "\ud800"]
STRUCTURE = ["", " ", ",", ",,", ";", ";;", "\n", "\t", "[", "]", "[]", "[[]]", "{", "}", "{}", "\"", "'", "...",
             "array(", ")", "dtype=float32", "true", "false", "null", "1,,2", "1;;2", ".", "-", "+", "e5", "1e",
             "1.2.3", "--1", "1-", ":", "[1,]", "[,1]", "[1 2]", "[[1],[2,3]]", "[\"1\"]", "[true]", "[null]",
             "[{}]", "{\"t\": 0}", "[{\"t\": 0, \"z\": [1]}]", "[{\"t\": \"0\"}]", "[{\"t\": -1, \"h\": 1}]",
             "[{\"t\": 1e999, \"h\": [1]}]", "[{\"t\": 0, \"h\": [[1]]}]", "[{\"t\": 0, \"h\": {\"a\": 1}}]",
             "[{\"t\": 0, \"h\": [1e999]}]", "[{\"t\": 0, \"h\": [\"1e99999\"]}]", "[{\"t\": 0, \"z\": [NaN]}]",
             "[array([1.]), array([2.])]", "[array([[1., 2., 3.]]), array([[4., 5.], [6.]])]"]
NUMBERS = ["0", "1", "-1", "0.5", "-0.7069", "2", "9", "8", "1e-3", "3.25", "1.0", "0.0"]
REPEATS = [("1,", 150_000), ("[1],", 150_000), ("1;", 150_000), ("1 ", 70_000), ("[", 60_000), ("9", 60_000),
           ("1\n", 120_000)]


def _random_bytes(rng: random.Random) -> str:
    raw = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
    return raw.decode(rng.choice(["latin-1", "utf-8"]), errors=rng.choice(["replace", "ignore"]))


def hostile_text(rng: random.Random) -> str:
    """One to six hostile pieces, joined by separators a person might type."""
    parts = []
    for _ in range(rng.randrange(1, 7)):
        kind = rng.random()
        if kind < 0.12:
            parts.append(rng.choice(DEEP))
        elif kind < 0.27:
            parts.append(rng.choice(HUGE_NUMBERS))
        elif kind < 0.37:
            parts.append(rng.choice(NON_FINITE))
        elif kind < 0.5:
            parts.append(rng.choice(UNICODE))
        elif kind < 0.68:
            parts.append(rng.choice(STRUCTURE))
        elif kind < 0.9:
            parts.append(rng.choice(NUMBERS))
        elif kind < 0.93:
            piece, count = rng.choice(REPEATS)
            parts.append(piece * count)
        else:
            parts.append(_random_bytes(rng))
    return rng.choice([",", ", ", " ", ";", "\n", "", "], [", "],["]).join(parts)


def _hostile_value(rng: random.Random):
    """A JSON value of a wrong or hostile kind (as text, so non-JSON pieces fit too)."""
    return rng.choice([
        lambda: rng.choice(HUGE_NUMBERS + ["NaN", "Infinity", "-Infinity", "1e999"]),
        lambda: json.dumps(rng.choice(UNICODE + ["x", "1", ""])),
        lambda: rng.choice(["true", "null", "{}", "[]", "[[]]", "[[[[1]]]]", "\"tanh\"", "[\"tanh\"]", "{\"a\": 1}",
                            "-1", "0", "1.5", "1e30", "3000", "[1, [2]]", "[[1, 2], [3]]"]),
        lambda: "[" * rng.choice([30, 200, 1500, 5000]) + "1" + "]" * rng.choice([0, 30, 200, 1500, 5000]),
        lambda: "[" + ",".join(["1"] * rng.choice([2, 3, 6, 100_000])) + "]",
    ])()


def hostile_weights(rng: random.Random) -> str:
    """The seed weights JSON with one field replaced by something hostile, or cut and spliced."""
    data = json.loads(json.dumps(SEED_WEIGHTS))
    if rng.random() < 0.2:
        data["layout"] = rng.choice(["pytorch", "tf1", "dl4mt", "epynn", "wikipedia", "keras"])
    paths = [("format",), ("layout",), ("config",), ("kernel",), ("recurrent_kernel",), ("bias",),
             ("config", "units"), ("config", "input_dim"), ("config", "activation"),
             ("config", "recurrent_activation"), ("config", "reset_after"), ("config", "use_bias"),
             ("config", "bias"), ("weight_ih_l0",), ("kernel", 0), ("bias", 1), ("kernel", 0, 1)]
    path = rng.choice(paths)
    marker = "\"@@HOSTILE@@\""
    target = data
    for key in path[:-1]:
        target = target[key] if not isinstance(target, dict) or key in target else target.setdefault(key, {})
    if isinstance(target, list) and not isinstance(path[-1], int):
        target = data
    try:
        target[path[-1]] = "@@HOSTILE@@"
    except (IndexError, TypeError):
        data[str(path[-1])] = "@@HOSTILE@@"
    text = json.dumps(data).replace(marker, _hostile_value(rng))
    if rng.random() < 0.25:  # a textual splice on top
        at = rng.randrange(len(text) + 1)
        text = text[:at] + hostile_text(rng)[:2000] + text[at + rng.randrange(0, 20):]
    return text


# a deflate bomb: a small link whose weights inflate to 5 MB
BOMB = base64.urlsafe_b64encode(zlib.compress(b"[" * 5_000_000, 9)).decode().rstrip("=")


def _pack(text: str) -> str:
    return base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8", "surrogatepass"), 9)).decode().rstrip("=")


def hostile_link(rng: random.Random) -> dict[str, str]:
    choice = rng.random()
    if choice < 0.5:
        w = _pack(hostile_weights(rng))
    elif choice < 0.6:
        w = _pack(json.dumps(SEED_WEIGHTS))
    elif choice < 0.7:
        w = BOMB
    elif choice < 0.8:
        w = _pack("[" * 100_000)
    else:
        w = hostile_text(rng)[:10_000]
    params = {"w": w}
    for key in ("seq", "h0", "mask", "back"):
        if rng.random() < 0.5:
            params[key] = hostile_text(rng)
    return params


def escape(call, *args, **kwargs) -> str | None:
    """None when `call` returns or refuses with InputError; else what escaped."""
    try:
        call(*args, **kwargs)
    except InputError:
        return None
    except Exception as error:  # noqa: BLE001 — counting everything that is not InputError is the point
        return type(error).__name__
    return None


def _cases(rng: random.Random):
    """(target name, thunk) pairs: every text parser with hostile text."""
    from gruviz.explain import claims
    from gruviz.io import parsing, share, weights_file

    def shapes():
        return rng.choice([1, 2, 3]), rng.choice([1, 2, 4])

    def limits():  # the app's limits or the command line's, as each caller passes them
        return {"limits": rng.choice([APP, CLI])}

    yield "sequence", lambda: parsing.parse_sequence(hostile_text(rng), rng.choice([1, 2, 3]), **limits())
    yield "h0", lambda: parsing.parse_vector(hostile_text(rng), "h0", rng.choice([None, 1, 2]), **limits())
    yield "mask", lambda: parsing.parse_mask(hostile_text(rng), rng.choice([1, 4]), **limits())
    yield "target", lambda: parsing.parse_target(hostile_text(rng), rng.choice(["sum", "mse", "mse_all"]), *shapes(),
                                                 **limits())
    yield "printout", lambda: parsing.parse_keras_printout(hostile_text(rng), **limits())
    yield "output claim", lambda: claims.parse_output_claim(hostile_text(rng), rng.choice([1, 2]), **limits())
    yield "step claims", lambda: claims.parse_step_claims(
        rng.choice([hostile_text(rng), "[{\"t\": 0, \"h\": [" + hostile_text(rng) + "]}]",
                    "[{\"t\": " + hostile_text(rng) + ", \"z\": [0.5]}]"]), *shapes(), **limits())
    yield "step cells", lambda: claims.parse_cells({(rng.randrange(4), rng.choice(claims.QUANTITIES), 0):
                                                       hostile_text(rng)}, 4)
    yield "share link", lambda: share.decode(hostile_link(rng), **limits())
    yield "weights JSON", lambda: weights_file.loads(hostile_weights(rng), **limits())
    yield "weights JSON (any layout)", lambda: weights_file.loads_any(rng.choice([hostile_weights(rng),
                                                                                 hostile_text(rng)]), **limits())


def fuzz_parsers(seed: int, rounds: int) -> tuple[int, dict[str, dict[str, int]]]:
    rng = random.Random(seed)
    cases, escapes = 0, {}
    targets = list(_cases(rng))
    for _ in range(rounds):
        for name, thunk in targets:
            cases += 1
            escaped = escape(thunk)
            if escaped:
                escapes.setdefault(name, {}).setdefault(escaped, 0)
                escapes[name][escaped] += 1
    return cases, escapes


def test_every_text_parser_refuses_hostile_text_with_input_error():
    cases, escapes = fuzz_parsers(seed=10, rounds=ROUNDS)
    assert cases >= 10 * ROUNDS
    assert not escapes, escapes


@pytest.mark.parametrize("text, words", [
    ("[" * 5000, "deep"), ("9" * 5000, "digits"), ("1e999", "finite"), ("nan", "finite"),
    ("١٢", "ARABIC-INDIC DIGIT ONE"), ("１２", "FULLWIDTH DIGIT ONE"), ("1,,2", "empty value"),
    ("1_000", "'1_000' is not a number"),
])
def test_the_refusals_say_what_is_wrong(text, words):
    from gruviz.io.parsing import parse_sequence

    with pytest.raises(InputError, match=words):
        parse_sequence(text, 1)


def test_every_box_says_when_a_value_is_empty():
    from gruviz.explain.claims import parse_output_claim
    from gruviz.io.parsing import parse_mask, parse_sequence, parse_target, parse_vector

    for call in (lambda: parse_vector("1,,2", "h0"), lambda: parse_mask("1,,0", 2),
                 lambda: parse_output_claim("1,,2", 2), lambda: parse_target("1,,2", "mse", 2, 4),
                 lambda: parse_sequence("1 2; 3,,4", 2), lambda: parse_sequence("1;;2", 1)):
        with pytest.raises(InputError, match="empty"):
            call()
    assert parse_sequence("1, 2,", 1).tolist() == [[1], [2]]  # a trailing comma is harmless


def test_limits_name_the_limit_and_the_way_out():
    from gruviz.io.parsing import parse_sequence

    text = ", ".join(["1"] * 100_000)
    with pytest.raises(InputError, match="at most 400") as refused:
        parse_sequence(text, 1, limits=APP)
    assert "100,000 timesteps" in str(refused.value) and "command line" in str(refused.value)
    assert parse_sequence(text, 1, limits=CLI).shape == (100_000, 1)
    with pytest.raises(InputError, match="50,005 characters long; the app reads at most 40,000"):
        parse_sequence("1" + "\t" * 50_000 + "2; 3", 2, limits=APP)


@pytest.mark.parametrize("text, message", [
    ("1, x", "timestep 2"), ("1 2; 3", "timestep 2 has 1 feature"), ("[[1], [2, [3]]]", "timestep 2"),
])
def test_messages_count_timesteps_from_one(text, message):
    from gruviz.io.parsing import parse_sequence

    with pytest.raises(InputError, match=message):
        parse_sequence(text, 1 if "x" in text or "[" in text else 2)


# ------------------------------------------------------------------ the CLI, in process


def _hostile_argv(rng: random.Random, weights_path: str, hostile_path: str) -> list[str]:
    command = rng.choice(["trace", "diagnose", "backward", "convert", "trace", "backward"])
    weights = rng.choice([weights_path, weights_path, hostile_path])
    sequence = rng.choice([hostile_text(rng), "1,2,9,8", "1,2"])
    argv = [command, weights, "--sequence", sequence]
    if command == "convert":
        argv[2:] = (["--to", rng.choice(["pytorch", "tf1", "keras"])] +
                    (["--sequence", sequence] if rng.random() < 0.7 else []))
        return argv
    for option in ("--h0", "--mask"):
        if rng.random() < 0.3:
            argv += [option, hostile_text(rng)]
    if command == "diagnose":
        argv += rng.choice([["--claimed-output", hostile_text(rng)], ["--claimed-steps", hostile_path]])
    if command == "backward":
        argv += ["--loss", rng.choice(["sum", "mse", "mse_all"])]
        if rng.random() < 0.7:
            argv += ["--target", hostile_text(rng)]
    return argv


def run_cli(argv: list[str]) -> tuple[int | str, str]:
    """(exit status or the escaped exception's name, stderr) of main(argv) in this process."""
    from gruviz.cli import main

    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            status = main(argv)
        except SystemExit as exit_:
            status = exit_.code
        except BaseException as error:  # noqa: BLE001
            status = type(error).__name__
    return status, err.getvalue()


def fuzz_cli(seed: int, rounds: int, tmp_path) -> tuple[int, dict[str, int]]:
    rng = random.Random(seed)
    weights_path = tmp_path / "w.json"
    weights_path.write_text(json.dumps(SEED_WEIGHTS))
    hostile_path = tmp_path / "hostile.json"
    escapes: dict[str, int] = {}
    for _ in range(rounds):
        hostile_path.write_text(rng.choice([hostile_weights, hostile_text])(rng), encoding="utf-8",
                                errors="surrogatepass")
        status, err = run_cli(_hostile_argv(rng, str(weights_path), str(hostile_path)))
        one_line = err.count("\n") <= 1 and "Traceback" not in err
        if status in (0, 3) or (status == 2 and one_line and err.startswith("gruviz: ")):
            continue
        kind = status if isinstance(status, str) else f"exit {status}" + ("" if one_line else ", many lines")
        escapes[kind] = escapes.get(kind, 0) + 1
    return rounds, escapes


def test_cli_exits_2_with_one_line_for_every_hostile_input(tmp_path):
    cases, escapes = fuzz_cli(seed=10, rounds=2 * ROUNDS, tmp_path=tmp_path)
    assert not escapes, escapes


def gruviz(*args: str) -> subprocess.CompletedProcess:
    return cli_run.gruviz(*args, process=True)


@pytest.mark.parametrize("args, message", [
    (["trace", "{w}", "--sequence", "[" * 5000], "deep"),
    (["diagnose", "{w}", "--sequence", "1,2,9,8", "--claimed-output", "1e999"], "finite"),
    (["trace", "{w}", "--sequence", "9" * 5000], "digits"),
    (["trace", "{w}", "--sequence", "1,,2"], "empty value"),
    (["backward", "{w}", "--sequence", "1,2", "--loss", "mse", "--target", "١"], "ARABIC-INDIC"),
    (["trace", "{hostile}", "--sequence", "1"], "deep"),
])
def test_real_processes_exit_2_with_one_line(tmp_path, args, message):
    (tmp_path / "w.json").write_text(json.dumps(SEED_WEIGHTS))
    (tmp_path / "hostile.json").write_text(json.dumps(SEED_WEIGHTS).replace("[[0, 0, 0]", "[" * 3000))
    paths = {"{w}": str(tmp_path / "w.json"), "{hostile}": str(tmp_path / "hostile.json")}
    done = gruviz(*[paths.get(a, a) for a in args])
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("gruviz: ") and done.stderr.count("\n") == 1 and message in done.stderr


def test_no_arguments_prints_a_short_usage():
    done = gruviz()
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert done.stdout.startswith("usage: python -m gruviz") and "gruviz gruviz" not in done.stdout + done.stderr
    assert all(command in done.stdout for command in ("trace", "diagnose", "backward", "convert"))
    assert len(done.stdout.splitlines()) <= 25


def test_an_unexpected_error_still_becomes_one_line(monkeypatch):
    import gruviz.cli as cli

    def broken(args):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setitem(cli.COMMANDS, "trace", broken)
    status, err = run_cli(["trace", "w.json", "--sequence", "1"])
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err and "unexpected" in err
