"""Where the page meets the unforeseen: nothing a person types, and no bug, reaches
them as a traceback.

- `attempt` runs a parser on typed text and turns whatever it raises into a message
  for the control (InputError's own words; anything else a plain apology, logged).
- `section` wraps one part of the page: if drawing it fails, that part says so and
  the rest of the page is drawn as usual.

Streamlit's own st.stop() and st.rerun() raise BaseException subclasses, which pass
through both untouched.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

import streamlit as st

from ...errors import InputError
from ...text import N_, _

log = logging.getLogger("gruviz.ui")
T = TypeVar("T")

UNEXPECTED = N_("gruviz could not read this: something in it tripped an unexpected problem (logged on the "
                "server). Check it for odd characters, or type it again.")


def attempt(parse: Callable[..., T], *args, **kwargs) -> tuple[T | None, str | None]:
    """(value, None) when `parse` succeeds, (None, message) whatever it raised."""
    try:
        return parse(*args, **kwargs), None
    except InputError as problem:
        return None, str(problem)
    except Exception:  # RecursionError, MemoryError, a bug: still a message beside the box
        log.exception("reading typed input with %s failed", getattr(parse, "__name__", parse))
        return None, _(UNEXPECTED)


def message(title: str, error: Exception) -> str:
    """`title` as the caller translated it; the message in the reader's language."""
    reason = str(error) if isinstance(error, InputError) else _("an unexpected error, logged on the server")
    return _("This part of the page could not be drawn ({title}): {reason}. The rest of the page still "
             "works.").format(title=title, reason=reason.rstrip(".。"))


@contextmanager
def section(title: str) -> Iterator[None]:
    """`with section("Gates over time"): ...` draws that part, or says it could not."""
    try:
        yield
    except Exception as error:
        log.exception("drawing %r failed", title)
        st.error(message(title, error), icon=":material/error:")
