"""The example in the address bar: what a link opens, and what the page writes back.

Where a link can break, and what the page can know of it:

- Longer than about 128 KB, a link never reaches the app: Streamlit's HTTP server resets the
  connection (measured on Streamlit 1.67), and nginx's default 8 KB request line (`make serve`)
  answers 414. Chat and mail apps cut long links too. So the page warns while it writes a link
  past `LINK_SAFE_CHARS`, and writes no example when the weights do not fit in one (share.encode
  gives nothing): a marker then says so, and the page the marker opens says it too.
- Streamlit empties a query string over 512 Ki characters or 1,000 parameters before the script
  runs (AppSession.request_rerun, sanitize_query_string), and st.context.url holds no query: such
  a link is, to the server, a link with none. Only the 1,000-parameter case gets past the HTTP
  server, and only a hand-made link has it.
- A link whose weights are longer than any gruviz link, or that holds a sequence, h₀ or mask but
  no weights, was edited or cut: it opens the default example with a note saying why.
"""

from __future__ import annotations

from urllib.parse import urlencode

from ...errors import InputError
from ...io import share
from ...io.parsing import parse_mask, parse_sequence, parse_vector
from ...limits import APP
from ...text import _, count

# Past this many characters of query string a link stops travelling safely: nginx's default buffer
# for a request line (large_client_header_buffers 8k, as `make serve` runs it) refuses it with 414.
LINK_SAFE_CHARS = 8_000
# What the address bar holds instead of an example whose weights do not fit in a link.
TOO_BIG_KEY, TOO_BIG = "example", "too-big-for-a-link"
KEYS = (*share.EXAMPLE_KEYS, TOO_BIG_KEY)  # every key this module writes; the rest belong to the view


def opened(params: dict[str, str]) -> share.Shared | None:
    """The link's example, each typed part read as the app reads it, so a link that opens never
    lands on a page with nothing good to show; None for a link without one; InputError, in words
    for the note "The link could not be opened: …", for a link that meant one and cannot give it."""
    if "w" not in params:
        if params.get(TOO_BIG_KEY) == TOO_BIG:
            raise InputError(_("it was copied from an example whose weights are too big for a link. Ask "
                               "for its weights file (Download weights (JSON)) and its sequence instead."))
        if any(key in params for key in share.EXAMPLE_KEYS):
            raise InputError(_("it holds part of an example (a sequence, h₀, mask or direction) but no "
                               "weights: it was cut short or edited. Copy the whole link again."))
        return None
    if len(params["w"]) > share.MAX_PARAM_CHARS:
        raise InputError(_("its weights are {length} characters long, and a gruviz link's are at most "
                           "{cap}: it was edited or joined with other text. Copy the whole link again, or "
                           "ask for the weights file (Download weights (JSON)).").format(
                               length=count(len(params["w"])), cap=count(share.MAX_PARAM_CHARS)))
    shared = share.decode(params, limits=APP)
    cfg = shared.weights.config
    x = parse_sequence(shared.sequence, cfg.input_dim, limits=APP)
    if shared.h0.strip():
        parse_vector(shared.h0, "h0", cfg.units, limits=APP)
    parse_mask(shared.mask, len(x), limits=APP)
    return shared


def written(example: share.Shared) -> dict[str, str]:
    """The keys the address bar holds for `example`: its own, or the marker when its weights
    are too big for a link (an old example left there would be shared in its place)."""
    return share.encode(example) or {TOO_BIG_KEY: TOO_BIG}


def warning(params: dict[str, str]) -> str | None:
    """What the person who shares this link must know, if anything."""
    if params.get(TOO_BIG_KEY) == TOO_BIG:
        return _("These weights are too big to travel in a link, so the address bar does not hold this "
                 "example. To share it, send the file from Download weights (JSON) in the sidebar, and the "
                 "sequence as text.")
    length = len(urlencode(params))
    if length > LINK_SAFE_CHARS:
        return _("This example's link is {length} characters long: links over about {cap} characters "
                 "are cut by chat and mail apps and refused by some servers. To share it safely, send the "
                 "file from Download weights (JSON) in the sidebar, and the sequence as text.").format(
                     length=count(length), cap=count(LINK_SAFE_CHARS))
    return None
