"""Mutation score of gruviz's core: mutmut plants small bugs in one package at a time and
runs the fast tests that exercise that package; a mutant the tests miss "survives".

    make mutation                                  every package
    make mutation MUTATION_PACKAGES="math layouts"  some of them
    make mutation MUTATION_PACKAGES=classroom       the exercises' generator and grading
    make mutation MUTATION_ARGS=--survivors         only the last run's survivors
    .venv/bin/python tools/mutation.py math --children 2

Each package runs in its own copy of the tree under MUTATION_DIR (default
/tmp/gruviz-mutation), so the working tree is never touched. The score is
(killed + timed out) / (mutants tested), as mutmut's own badge counts it, beside the
package's target; every survivor is printed with its diff; tools/mutation-survivors.md
gives each one's reason.
It takes one to two hours on two cores: run it before a release and whenever the
core changes, not in `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MUTMUT = Path(sys.executable).with_name("mutmut")


@dataclass(frozen=True)
class Package:
    mutate: tuple[str, ...]  # globs, relative to the repository
    oracle: tuple[str, ...]  # globs of test files under tests/, fast and browser-free
    target: float = 90.0  # percent killed that the README promises

    def tests(self) -> list[Path]:
        return sorted({path for pattern in self.oracle for path in (REPO / "tests").glob(pattern)})


PACKAGES = {
    "math": Package(tuple(f"gruviz/math/{name}.py" for name in (
        "activations", "cell", "weights", "trace", "backward", "cell_backward")), (
        "math/test_gru_identities.py", "math/test_seed_example.py", "io/test_weights_and_parsing.py", "explain/test_equations.py",
        "explain/test_detective_precision.py", "layouts/test_layouts.py", "math/test_backward_vs_keras.py", "math/test_math_*.py")),
    "lstm": Package(("gruviz/math/lstm_*", "gruviz/math/params.py"), ("math/test_lstm_vs_keras.py", "math/test_lstm_backward.py",
                                                                     "math/test_lstm_details.py")),
    "layouts": Package(("gruviz/layouts/*",), (
        "layouts/test_layouts*.py", "layouts/test_frameworks_real.py", "layouts/test_porting_layouts.py", "io/test_onnx_file.py", "layouts/test_onnx_node.py",
        "math/test_lstm_vs_keras.py")),
    "parsing": Package(("gruviz/io/parsing.py",), (
        "io/test_weights_and_parsing.py", "io/test_printout.py", "math/test_backward_vs_keras.py", "io/test_fuzz_parsers.py",
        "io/test_parsing_*.py"), 80.0),
    "detective": Package(("gruviz/explain/detective.py", "gruviz/explain/claims.py"),
                         ("explain/test_detective.py", "explain/test_detective_precision.py"), 80.0),
    "readers": Package(("gruviz/io/model_files.py", "gruviz/io/legacy_h5.py", "gruviz/io/keras_config.py"),
                       ("io/test_model_files*.py", "io/test_hostile_files.py"), 80.0),
    # The generator's checks and the grading; the app's pages, the class and the worksheets are not mutated.
    "classroom": Package(("gruviz/classroom/grading.py", "gruviz/classroom/exercises.py"), (
        "classroom/test_grading_*.py", "classroom/test_exercise_*.py", "classroom/test_exercises.py")),
}


KILLED = ("killed", "timeout", "caught by type check")
NOT_RUN = ("skipped", "not checked", "check was interrupted by user")


# Tests that drive the page through Streamlit's AppTest: slow, and an upload there is read in a
# child process that imports the unmutated package.
PAGE_TESTS = "not frameworks_view and not state_dict_source and not backward_view and not teacher_page"


@dataclass(frozen=True)
class Score:
    package: str
    statuses: dict[str, str]  # mutant name -> killed, survived, timeout, no tests, ...
    target: float = 90.0

    def count(self, *statuses: str) -> int:
        return sum(s in statuses for s in self.statuses.values())

    @property
    def tested(self) -> int:
        return len(self.statuses) - self.count(*NOT_RUN)

    @property
    def percent(self) -> float:
        return 100.0 * self.count(*KILLED) / max(self.tested, 1)

    def line(self) -> str:
        unfinished = self.count("not checked", "check was interrupted by user")
        return (f"{self.package:10s} {self.percent:5.1f}% killed, target {self.target:.0f}%"
                f"{'' if self.percent >= self.target else ' (below)'}  ({self.count(*KILLED)} of "
                f"{self.tested}; survived {self.count('survived')}, no tests {self.count('no tests')}, "
                f"other {self.tested - self.count(*KILLED, 'survived', 'no tests')})"
                + (f"  [{unfinished} of {len(self.statuses)} mutants not run yet]" if unfinished else ""))


def copy_tests(package: Package, work: Path) -> None:
    """The oracle's test files and the tests' helpers, and nothing else, in work/tests, each in its
    folder as in the repository: the selection is the folder,
    so a test file added later joins a rerun without changing mutmut's configuration."""
    helpers = [p for p in (REPO / "tests").glob("*.py") if not p.name.startswith("test_")]  # conftest & co
    for path in (*helpers, *package.tests()):
        target = work / "tests" / path.relative_to(REPO / "tests")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def write_config(package: Package, work: Path) -> None:
    lines = lambda items: "".join(f"\n    {item}" for item in items)  # noqa: E731
    (work / "setup.cfg").write_text(
        "[mutmut]\n"
        "source_paths = gruviz\n"
        f"only_mutate ={lines(package.mutate)}\n"
        "pytest_add_cli_args_test_selection =\n    tests\n"
        # Workers fork from a server that has run no test: forked from a process whose TensorFlow
        # or PyTorch thread pools were busy, a worker can wait forever on a lock no thread holds.
        "process_isolation = forkserver\n"
        # -x: one failing test kills the mutant; the rest would only cost time.
        f"pytest_add_cli_args ={lines(['-x', '-q', '-p', 'no:cacheprovider', '-k', PAGE_TESTS])}\n"
    )


def prepare(name: str, package: Package, root: Path) -> Path:
    work = root / name
    shutil.rmtree(work, ignore_errors=True)
    (work / "tests").mkdir(parents=True)
    shutil.copytree(REPO / "gruviz", work / "gruviz", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "pyproject.toml", work)
    copy_tests(package, work)
    write_config(package, work)
    return work


def mutmut(work: Path, *args: str, capture: bool = False) -> subprocess.CompletedProcess:
    # GRUVIZ_FUZZ_SCALE: a tenth of the parsers' fuzz rounds, run for every mutant they reach
    env = os.environ | {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1", "GRUVIZ_FUZZ_SCALE": "0.1"}
    return subprocess.run([str(MUTMUT), *args], cwd=work, env=env, text=True,
                          capture_output=capture, check=False)


def score(name: str, work: Path) -> Score:
    listed = mutmut(work, "results", "--all", "true", capture=True).stdout
    statuses = dict(re.findall(r"^\s+(\S+): (.+)$", listed, re.MULTILINE))
    return Score(name, statuses, PACKAGES[name].target)


def show_survivors(result: Score, work: Path) -> None:
    for mutant, status in sorted(result.statuses.items()):
        if status in KILLED or status in NOT_RUN:
            continue
        diff = mutmut(work, "show", mutant, capture=True).stdout
        changed = [line for line in diff.splitlines()
                   if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        print(f"  {status:9s} {mutant}")
        for line in changed:
            print(f"      {line.strip()}")


def rerun_survivors(name: str, package: Package, work: Path, children: int) -> None:
    changed = [str(path.relative_to(REPO)) for pattern in package.mutate for path in REPO.glob(pattern)
               if path.is_file() and path.read_bytes() != (work / path.relative_to(REPO)).read_bytes()]
    if changed:
        sys.exit(f"{name}: {', '.join(changed)} changed since the last run; run the package in full")
    copy_tests(package, work)
    write_config(package, work)
    # Timeouts too: a worker forked from a busy process could hang without any mutant's help.
    left = [m for m, status in score(name, work).statuses.items() if status in ("survived", "no tests", "timeout")]
    print(f"== {name}: rerunning {len(left)} survivors and timeouts against the current tests", flush=True)
    if left:
        mutmut(work, "run", "--max-children", str(children), *left)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="*", default=list(PACKAGES), help=" ".join(PACKAGES))
    parser.add_argument("--children", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--dir", default=os.environ.get("MUTATION_DIR", "/tmp/gruviz-mutation"))
    parser.add_argument("--report-only", action="store_true", help="print the last run's results")
    parser.add_argument("--survivors", action="store_true",
                        help="rerun only the last run's survivors against today's tests (the package's own "
                             "source must be unchanged; a killed mutant stays killed when tests are added)")
    args = parser.parse_args()
    unknown = sorted(set(args.packages) - set(PACKAGES))
    if unknown:
        parser.error(f"no package {unknown[0]!r}; choose from {', '.join(PACKAGES)}")
    results = []
    for name in args.packages:
        work = Path(args.dir) / name
        if args.survivors:
            rerun_survivors(name, PACKAGES[name], work, args.children)
        elif not args.report_only:
            work = prepare(name, PACKAGES[name], Path(args.dir))
            print(f"== {name}: mutating {', '.join(PACKAGES[name].mutate)}", flush=True)
            if mutmut(work, "run", "--max-children", str(args.children)).returncode != 0:
                print(f"== {name}: mutmut did not finish (see above)", flush=True)
        result = score(name, work)
        print(f"== {name}: {result.line()}")
        show_survivors(result, work)
        (work / "score.json").write_text(json.dumps(result.statuses, indent=1))
        results.append(result)
    print("\nMutation score (killed or timed out / tested):")
    for result in results:
        print("  " + result.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
