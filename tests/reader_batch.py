"""Many untrusted files read by one child process, each exactly as the sandbox's child reads it.

`sandbox.run_child` starts a Python process per file; for a fuzz of hundreds of mutated files
that start-up (numpy, h5py, gruviz: about 0.2 CPU-s) is nearly all the cost. Here one process
reads the files in turn with the child's own `read` and `write`, under the child's memory cap,
and the parent keeps each file's time limit: a file that crashes the process or runs past
`FILES.seconds` is recorded as such (as `sandbox._run` reports it) and a new process takes up the
next file. `replay` hands the outcomes to the real parent side of the sandbox.

    python tests/reader_batch.py KIND FOLDER FIRST LANGUAGE      (the child side)
"""

from __future__ import annotations

import json
import os
import resource
import selectors
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _child(kind: str, folder: str, first: int, language: str) -> int:
    from gruviz import text
    from gruviz.io import sandbox_child
    from gruviz.limits import APP, FILES

    text.use(language)
    sandbox_child.READERS[kind]()  # imported before the cap, as the child does
    with open("/proc/self/status") as status:  # the child's own cap: what it holds now plus FILES.memory_bytes
        held = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    budget = held + FILES.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    names = json.loads((Path(folder) / "names.json").read_text())
    for i in range(first, len(names)):
        data = (Path(folder) / f"{i}.bin").read_bytes()
        header, arrays = sandbox_child.read(kind, data, names[i], APP)
        out = Path(folder) / str(i)
        out.mkdir()
        try:
            sandbox_child.write(str(out), header, arrays)
        except MemoryError:
            sandbox_child.write(str(out), {"status": "memory"}, {})
        print(i, flush=True)
    return 0


def read_all(kind: str, files: list[tuple[str, bytes]], folder: Path, language: str = "en") -> dict[int, int | None]:
    """Read every (name, bytes) in `folder`; each file's exit code as `sandbox._run` gives it:
    0 (its result is in folder/i), a negative signal (the process died on it) or None (it ran
    past the time limit and was killed)."""
    from gruviz.limits import FILES

    (folder / "names.json").write_text(json.dumps([name for name, _ in files]))
    for i, (_name, data) in enumerate(files):
        (folder / f"{i}.bin").write_bytes(data)
    codes: dict[int, int | None] = {}
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    while len(codes) < len(files):
        first = len(codes)
        child = subprocess.Popen([sys.executable, __file__, kind, str(folder), str(first), language],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=REPO, env=env, bufsize=0)
        pending = b""
        with selectors.DefaultSelector() as waiting:
            waiting.register(child.stdout, selectors.EVENT_READ)
            while len(codes) < len(files):
                if not waiting.select(timeout=FILES.seconds):  # this file stalls the reader
                    child.kill()
                    codes[len(codes)] = None
                    break
                chunk = os.read(child.stdout.fileno(), 4096)  # unbuffered: select sees every line
                if not chunk:  # the process died on this file
                    codes[len(codes)] = child.wait() or -9
                    break
                *done, pending = (pending + chunk).split(b"\n")
                codes.update((int(i), 0) for i in done)
        child.kill()
        child.wait()
        child.stdout.close()
    return codes


def replay(folder: Path, codes: dict[int, int | None]):
    """A stand-in for `sandbox._run` that gives the i-th call the i-th file's outcome from the
    batch instead of starting a child, so that `sandbox.read_*_file(data, name)`, called for the
    files in order, runs the parent side (the result's checks, the refusal's wording, rebuilding
    the weights) as for an upload."""
    turn = iter(range(len(codes)))

    def batched(_kind, _data, _filename, _limits, out_dir):
        i = next(turn)
        if codes[i] == 0:
            for part in (folder / str(i)).iterdir():
                shutil.copy(part, out_dir)
        return codes[i]
    return batched


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(_child(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]))
