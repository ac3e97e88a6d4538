"""A whole example in a URL's query string, so a teacher can hand out a link.

The weights travel as the gruviz weights JSON, deflated and base64url-encoded;
the typed inputs travel as typed. Decoding validates like any other upload.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from dataclasses import dataclass

from . import weights_file
from ..errors import InputError
from ..limits import CLI, Limits
from ..math.weights import GRUWeights
from ..text import _, count
from .untrusted import check_length

MAX_PARAM_CHARS = 6000  # browsers and proxies cut URLs somewhere past 8 KB
MAX_INFLATED_CHARS = 1_000_000  # far more than any link-sized deflate of weights could honestly hold


@dataclass(frozen=True)
class Shared:
    weights: GRUWeights
    sequence: str
    h0: str = ""
    mask: str = ""
    go_backwards: bool = False


EXAMPLE_KEYS = ("w", "seq", "h0", "mask", "back")  # the link's other keys belong to the page's view


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


def decode(params: dict[str, str], limits: Limits = CLI) -> Shared | None:
    """The example a link carries, None when it carries none. Everything in it is
    checked like typed text and uploaded files: damaged, huge, deep or non-finite
    content is refused with InputError."""
    if "w" not in params:
        return None
    packed = params["w"]
    if not isinstance(packed, str):
        raise InputError(_("the link's weights are not text."))
    if len(packed) > MAX_PARAM_CHARS:
        raise InputError(_("the link's weights are {length} characters long; a gruviz link carries at most "
                           "{cap}. Save the weights to a file and open that instead.").format(
            length=count(len(packed)), cap=count(MAX_PARAM_CHARS)))
    texts = {key: params.get(key, "") for key in ("seq", "h0", "mask")}
    names = {"seq": _("the link's sequence"), "h0": _("the link's h0"), "mask": _("the link's mask")}
    for key, text in texts.items():
        if not isinstance(text, str):
            raise InputError(_("{what} is not text.").format(what=names[key]))
        check_length(text, names[key], limits)
    damaged = InputError(_("the link's weights are damaged; copy the whole link again."))
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(base64.b64decode(packed + "=" * (-len(packed) % 4), b"-_", validate=True),
                                  MAX_INFLATED_CHARS)
    except (binascii.Error, zlib.error, ValueError):
        raise damaged from None
    if inflater.unconsumed_tail:  # whole, but unpacking to more than any link should carry
        raise _too_big(raw, limits)
    if not inflater.eof:  # cut short
        raise damaged
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise damaged from None
    return Shared(
        weights=weights_file.loads(text, limits),
        sequence=texts["seq"],
        h0=texts["h0"],
        mask=texts["mask"],
        go_backwards=params.get("back") == "1",
    )


_UNITS = re.compile(rb'"units"\s*:\s*(\d{1,9})\s*[,}]')
_INPUT_DIM = re.compile(rb'"input_dim"\s*:\s*(\d{1,9})\s*[,}]')


def _too_big(start: bytes, limits: Limits) -> InputError:
    """The refusal for weights too big for a link: the layer's own limit when the start of the
    JSON (where `encode` writes the config) names a layer over it, else the link's limit."""
    units, input_dim = _UNITS.search(start[:4096]), _INPUT_DIM.search(start[:4096])
    if units and input_dim:
        try:
            limits.check_layer(int(units.group(1)), int(input_dim.group(1)))
        except InputError as over:
            return over
    return InputError(_("the link's weights are too big for a link: they unpack to more than {cap} "
                        "characters, the most a gruviz link carries. Save the weights to a file and open "
                        "that instead.").format(cap=count(MAX_INFLATED_CHARS)))
