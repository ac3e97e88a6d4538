"""Every sentence a person reads passes through here, so that GNU gettext catalogues
(`gruviz/locale/<lang>/LC_MESSAGES/gruviz.mo`) can translate it. Without a catalogue
for the language, the English text is shown as written.

    from ..text import _, ngettext
    st.error(_("No class has the code {code}.").format(code=code))
"""

from __future__ import annotations

import gettext as _gettext
from pathlib import Path

DOMAIN = "gruviz"
LOCALES = Path(__file__).resolve().parent / "locale"
_translation = _gettext.translation(DOMAIN, LOCALES, fallback=True)


def _(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)
