"""A class's lesson: the example of a pasted gruviz link (or a preset) as a query string,
read as the main page reads it, and its trace."""

from __future__ import annotations

import functools
import urllib.parse

from ..errors import InputError
from ..explain.mistakes import Setup
from ..io import share
from ..io.parsing import parse_mask, parse_sequence, parse_vector
from ..limits import APP
from ..math.cell import Convention
from ..math.trace import Trace
from ..text import _
from . import presets


def query_of(link: str) -> str:
    """The example part of a pasted gruviz link (or query string); InputError if it holds none."""
    text = str(link).strip()[: APP.max_text_chars]
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(text).query or text.lstrip("?")))
    shared = share.decode({k: v for k, v in params.items() if k in share.EXAMPLE_KEYS}, limits=APP)
    if shared is None:
        raise InputError(_("This link holds no gruviz example: copy the address bar of the main page."))
    query = urllib.parse.urlencode(share.encode(shared))
    setup(query)  # the sequence, h0 and mask must read as the main page reads them
    return query


def preset_query(key: str) -> str:
    preset = presets.BY_KEY[key]
    return urllib.parse.urlencode(share.encode(share.Shared(preset.weights, preset.sequence, preset.h0)))


@functools.lru_cache(maxsize=32)
def setup(query: str) -> Setup:
    shared = share.decode(dict(urllib.parse.parse_qsl(query)), limits=APP)
    if shared is None:
        raise InputError(_("This class's lesson holds no example."))
    units = shared.weights.config.units
    x = parse_sequence(shared.sequence, shared.weights.config.input_dim, limits=APP)
    h0 = parse_vector(shared.h0, "h0", units, limits=APP) if shared.h0.strip() else None
    mask = parse_mask(shared.mask, len(x), limits=APP) if shared.mask.strip() else None
    return Setup(shared.weights, x, h0, Convention.KERAS, shared.go_backwards, mask)


@functools.lru_cache(maxsize=32)
def trace(query: str) -> Trace:
    return setup(query).run()
