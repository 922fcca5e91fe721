"""Transcript text: printable ASCII only, folded from any input (accents, typography, fullwidth forms),
one line at a time, cut to a length; and how a bad value is shown in an error message."""

from __future__ import annotations

import string
import unicodedata

# Printable ASCII (letters, digits, punctuation, space, \t \n \r \x0b \x0c), given as a str so the
# Text space's charset order does not depend on the hash seed.
CHARSET = string.printable
_PRINTABLE = frozenset(CHARSET)


_ASCII_SUBSTITUTES = str.maketrans({
    "\u00b0": " degrees ", "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"',
    "\u201d": '"', "\u2026": "...", "\u00d7": "x", "\u2212": "-", "\u00a0": " ", "\u0131": "i",
    "\u00f8": "o", "\u00d8": "O", "\u00e6": "ae", "\u00c6": "AE", "\u00df": "ss", "\u0142": "l",
    "\u0141": "L", "\u0111": "d", "\u0110": "D",
})


def to_ascii(text: str) -> str:
    """Accents dropped ("Bogotá" -> "Bogota"), compatibility forms folded (fullwidth and mathematical
    letters become plain ones), common typography replaced ("°C" -> " degrees C", dashes, curly
    quotes), invisible format characters (zero-width spaces and joiners, soft hyphens) dropped,
    anything else outside printable ASCII becomes '?'."""
    text = unicodedata.normalize("NFKD", text.translate(_ASCII_SUBSTITUTES))
    text = "".join(c for c in text if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    return "".join(c if c in _PRINTABLE else "?" for c in text)


def sanitize(text: object, max_chars: int) -> str:
    """One line of transcript text: ASCII (see :func:`to_ascii`), whitespace runs become one space,
    at most ``max_chars`` characters. Any input is accepted (non-str is converted with ``str``)."""
    if not isinstance(text, str):
        text = str(text)
    text = " ".join(text.split())
    if not text.isascii() or not all(c in _PRINTABLE for c in text):
        text = " ".join(to_ascii(text).split())
    if len(text) > max_chars:
        text = text[: max_chars - 3].rstrip() + "..."
    return text


def shown(value: object, max_chars: int = 80) -> str:
    """``value`` for an error message: its type and a repr cut to ``max_chars``."""
    text = repr(value)
    if len(text) > max_chars:
        text = text[: max_chars - 3] + "..."
    return f"{type(value).__name__} {text}"
