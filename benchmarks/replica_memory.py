"""What one replica costs in memory: RSS of a fresh `streamlit run` process, idle and after
its first page view with the Keras column on and off, and with TensorFlow not importable.

    .venv/bin/python benchmarks/replica_memory.py

(benchmarks/load_test.py prints the same first.) A page view counts as done when its Keras
column is filled (the page's auto-reruns are followed, as a browser does); RSS is read once
it stops growing, and /proc/PID/maps tells whether TensorFlow's libraries are loaded.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "benchmarks")]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from live_app import start_app, stop_app  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402
from ws_client import Page  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tensorflow_mapped(pid: int) -> bool:
    return "_pywrap_tensorflow" in Path(f"/proc/{pid}/maps").read_text()


def settled_rss(pid: int, limit_s: float = 60) -> float:
    """RSS once it stops growing (a background TensorFlow import may still be running)."""
    deadline, last = time.monotonic() + limit_s, rss_mb(pid)
    while time.monotonic() < deadline:
        time.sleep(2)
        now = rss_mb(pid)
        if abs(now - last) < 0.01 * last:
            return now
        last = now
    return last


def blocked_tensorflow_path() -> str:
    """A PYTHONPATH on which `import tensorflow` / `import keras` fail: a replica without TensorFlow."""
    root = Path(tempfile.mkdtemp(prefix="gruviz-no-tf-"))
    for name in ("tensorflow", "keras"):
        (root / name).mkdir()
        (root / name / "__init__.py").write_text(f"raise ImportError('{name} left out for this figure')\n")
    return os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])])


def replica_memory() -> None:
    """RSS of a fresh process: idle, and after a first page view with the Keras column on or off,
    and with TensorFlow not importable at all."""
    print("Memory of one replica (fresh `streamlit run` process each time):")
    compare_id = None
    for keras_on, tf_importable in ((True, True), (False, True), (False, False)):
        log = Path(tempfile.mkdtemp(prefix="gruviz-mem-")) / "streamlit.log"
        saved = os.environ.get("PYTHONPATH")
        if not tf_importable:
            os.environ["PYTHONPATH"] = blocked = blocked_tensorflow_path()
        try:
            proc, url = start_app(log)
        finally:
            if saved is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = saved
        try:
            idle = settled_rss(proc.pid, 10)

            async def first_view() -> str:
                page = Page(url)
                await page.connect()
                changes = {}
                if not keras_on and compare_id:
                    changes[compare_id] = WidgetState(id=compare_id, bool_value=False)
                await page.run(changes, timeout=120)
                await page.settle(limit=300)  # the Keras column fills in once TensorFlow is loaded
                await page.close()
                return page.widgets["compare_keras"].id if "compare_keras" in page.widgets else ""

            seen_id = asyncio.run(first_view())
            compare_id = compare_id or seen_id
            after = settled_rss(proc.pid)
            tf = "loaded" if tensorflow_mapped(proc.pid) else "not loaded"
            case = f"Keras column {'on' if keras_on else 'off'}"
            case += "" if tf_importable else ", TensorFlow not importable"
            print(f"  {case + ':':<48} idle {idle:4.0f} MB, after the first page view {after:4.0f} MB "
                  f"(TensorFlow {tf})", flush=True)
        finally:
            stop_app(proc)
            shutil.rmtree(log.parent, ignore_errors=True)
            if not tf_importable:
                shutil.rmtree(blocked.split(os.pathsep)[0], ignore_errors=True)


if __name__ == "__main__":
    replica_memory()
