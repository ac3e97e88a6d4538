"""An uploaded file read once: the plumbing every upload source shares (the Keras, gruviz
JSON and state_dict sources in `sources`, the ONNX source in `onnx_source`).

It sits below those modules and imports none of them, so that no source reaches another
one's module to read a file."""

from __future__ import annotations

import streamlit as st

from ...errors import InputError
from ...limits import APP
from ...text import _, decimal, language

CACHE_KEY = "upload_cache"


def read_cached(upload, reader):
    """`reader(data, filename, APP)`, run once per uploaded file. A refusal is remembered
    too: a file that took 10 s to refuse must not be read again on every rerun. Anything a
    reader raises becomes a message; the weights on screen stay as they were. A refusal is a
    sentence in the reader's language: after a change of language the file is read again."""
    from ...io.sandbox import FileRefused  # h5py and the readers: about 0.2 s, paid by the first upload only

    cache = st.session_state.setdefault(CACHE_KEY, {})
    held = cache.get(upload.file_id)
    if held is None or (not held[0] and held[2] != language()):
        try:
            if upload.size > APP.max_file_bytes:
                raise InputError(_("the file is {size} MB; the app reads files up to {cap} MB.").format(
                    size=decimal(upload.size / 2**20, 1), cap=decimal(APP.max_file_bytes / 2**20, 0)))
            outcome = (True, reader(upload.getvalue(), upload.name, APP))
        except FileRefused as problem:
            if problem.reason == "busy":
                raise  # the server was busy, the file may be fine: read it on the next rerun
            outcome = (False, str(problem))
        except InputError as problem:
            outcome = (False, str(problem))
        except Exception:  # a reader's bug must not blank the page or lose what is on it
            outcome = (False, _("gruviz could not read this file; it may be damaged. Save it again and "
                                "upload it."))
        cache.clear()  # one upload at a time is enough
        cache[upload.file_id] = (*outcome, language())
    ok, value, _language = cache[upload.file_id]
    if not ok:
        raise InputError(value)
    return value
