"""Every sentence a person reads passes through here, so that GNU gettext catalogues
(`gruviz/locale/<folder>/LC_MESSAGES/gruviz.po`, compiled to `.mo` by `make`) translate it.

    from ..text import _, ngettext
    st.error(_("No class has the code {code}.").format(code=code))

The language is per person, not per process: the page sets it for its session's script run
(`use`), the CLI for its one command. A sentence written at import time (a table of mistakes,
say) is marked with `N_` and translated where it is shown, with `_(sentence)`.
"""

from __future__ import annotations

import gettext as _gettext
import os
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Callable

DOMAIN = "gruviz"
LOCALES = Path(__file__).resolve().parent / "locale"
ENGLISH = "en"
# What a person picks (in their own language), by the tag a link and `--lang` use.
LANGUAGES = {"en": "English", "es": "Español", "zh-Hans": "简体中文"}
FOLDERS = {"en": "en", "es": "es", "zh-Hans": "zh_Hans"}  # gettext's folder names

_language: ContextVar[str | None] = ContextVar("gruviz_language", default=None)
_outside_a_run: Callable[[], str | None] = lambda: None


@cache
def translation(language: str) -> _gettext.NullTranslations:
    if language == ENGLISH:
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALES, languages=[FOLDERS[language]], fallback=True)


def use(language: str) -> None:
    """Show this run's sentences in `language` (a key of LANGUAGES)."""
    _language.set(language if language in LANGUAGES else ENGLISH)


def follow(source: Callable[[], str | None]) -> None:
    """Where to find the language where `use` has not set it: the page's widget callbacks run
    before the page does, in a thread of their own, and read the person's language from here."""
    global _outside_a_run
    _outside_a_run = source


def language() -> str:
    found = _language.get() or _outside_a_run()
    return found if found in LANGUAGES else ENGLISH


def _(message: str) -> str:
    return translation(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translation(language()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in a context of its own (gettext's msgctxt), where the same English words
    translate differently: the key printed "Home" is "Home" on a Chinese keyboard, while a
    sentence naming it says "Home 键"."""
    return translation(language()).pgettext(context, message)


def count(n: int) -> str:
    """A whole number in prose, grouped as the person's language writes it (1,000 · 1.000)."""
    from babel.numbers import format_decimal  # Babel's locale data loads on first use

    return format_decimal(n, locale=FOLDERS[language()])


def decimal(x: float, places: int) -> str:
    """A decimal number in prose, with the language's decimal sign (0.25 · 0,25). Never inside an
    equation, where the point stays."""
    from babel.numbers import format_decimal

    return format_decimal(x, format="0." + "0" * places if places > 0 else "0", locale=FOLDERS[language()],
                          decimal_quantization=True)


def ordinal(n: int) -> str:
    """How a person counts things: 1st, 2nd, 3rd, 11th, 21st · 2.º · 第2."""
    if language() == "es":
        return f"{count(n)}.º"
    if language() == "zh-Hans":
        return f"第{count(n)}"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{count(n)}{suffix}"


def N_(message: str) -> str:
    """Marks a sentence for the catalogue without translating it yet (it is defined at import)."""
    return message


def chosen(tag: str | None) -> str | None:
    """The language a tag names ("es-MX", "zh_CN.UTF-8", "zh-Hans", "EN"), or None."""
    if not tag:
        return None
    tag = tag.split(".")[0].split("@")[0].replace("_", "-").strip().lower()
    main, _sep, rest = tag.partition("-")
    if main == "zh":
        return None if rest.startswith(("hant", "tw", "hk", "mo")) else "zh-Hans"
    return main if main in LANGUAGES else None


def from_environment(environ=os.environ) -> str:
    """The language gettext programs take from LANGUAGE (a list), LC_ALL and LANG; English if none
    of them names one gruviz has. "C" and "POSIX" mean English."""
    for name in ("LANGUAGE", "LC_ALL", "LANG"):
        value = environ.get(name, "")
        if name == "LANGUAGE":
            found = next((chosen(part) for part in value.split(":") if chosen(part)), None)
        else:
            found = chosen(value)
        if found:
            return found
        if value and name != "LANGUAGE":
            return ENGLISH  # LC_ALL=C: the set variable wins over LANG, as in gettext
    return ENGLISH
