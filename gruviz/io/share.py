"""A whole example in a URL's query string, so a teacher can hand out a link.

The weights travel as the gruviz weights JSON, deflated and base64url-encoded;
the typed inputs travel as typed. Decoding validates like any other upload.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass

from . import weights_file
from ..errors import InputError
from ..math.weights import GRUWeights

MAX_PARAM_CHARS = 6000  # browsers and proxies cut URLs somewhere past 8 KB


@dataclass(frozen=True)
class Shared:
    weights: GRUWeights
    sequence: str
    h0: str = ""
    mask: str = ""
    go_backwards: bool = False


def encode(shared: Shared) -> dict[str, str]:
    """Query parameters for this example; {} when the weights are too big for a link."""
    compact = json.dumps(weights_file.to_dict(shared.weights), separators=(",", ":"))
    packed = base64.urlsafe_b64encode(zlib.compress(compact.encode(), 9)).decode().rstrip("=")
    if len(packed) > MAX_PARAM_CHARS:
        return {}
    params = {"w": packed, "seq": shared.sequence}
    params.update({k: v for k, v in (("h0", shared.h0), ("mask", shared.mask)) if v.strip()})
    if shared.go_backwards:
        params["back"] = "1"
    return params


def decode(params: dict[str, str]) -> Shared | None:
    """The example a link carries, None when it carries none."""
    if "w" not in params:
        return None
    packed = params["w"]
    if len(packed) > MAX_PARAM_CHARS:
        raise InputError("the link's weights are too long to be a gruviz link.")
    damaged = InputError("the link's weights are damaged; copy the whole link again.")
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(base64.b64decode(packed + "=" * (-len(packed) % 4), b"-_", validate=True), 1_000_000)
        text = raw.decode("utf-8")
    except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError):
        raise damaged from None
    if not inflater.eof:  # cut short, or larger than any link should carry
        raise damaged
    return Shared(
        weights=weights_file.loads(text),
        sequence=params.get("seq", ""),
        h0=params.get("h0", ""),
        mask=params.get("mask", ""),
        go_backwards=params.get("back") == "1",
    )
