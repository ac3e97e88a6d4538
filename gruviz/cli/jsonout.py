"""What the commands print: a GRU trace as JSON, every intermediate of every step, and what a
conversion's proof found. Every command module imports this; it imports none of them."""

from __future__ import annotations

import numpy as np

from ..io import weights_file
from ..math.trace import Trace
from ..text import count, ngettext


def rows(array: np.ndarray) -> list:
    return array.tolist()


def trace_json(trace: Trace) -> dict:
    steps = [
        {
            "t": t,
            "input_index": int(trace.order[t]),
            "masked": not bool(trace.mask[t]),
            "x": rows(trace.x[t]),
            "z_pre": rows(trace.z_pre[t]),
            "r_pre": rows(trace.r_pre[t]),
            "h_tilde_pre": rows(trace.h_tilde_pre[t]),
            "z": rows(trace.z[t]),
            "r": rows(trace.r[t]),
            "h_tilde": rows(trace.h_tilde[t]),
            "h": rows(trace.h[t]),
        }
        for t in range(trace.steps)
    ]
    return {
        "config": weights_file.to_dict(trace.weights)["config"],
        "convention": trace.convention.value,
        "go_backwards": trace.go_backwards,
        "h0": rows(trace.h0),
        "steps": steps,
        "output": rows(trace.output),
        "sequence_output": rows(trace.sequence_output),
    }


def proved(steps: int, difference: float) -> str:
    """What a conversion's proof found, said on stderr: "proved on 10 steps: largest difference 2.2e-16"."""
    return ngettext("proved on {n} step: largest difference {difference}",
                    "proved on {n} steps: largest difference {difference}", steps).format(
        n=count(steps), difference=f"{difference:.1e}")
