"""Folding and tokenising text the same way for queries and stories.

Both sides go through :func:`fold` so that case, diacritics and a few
letters without a decomposition (ø, ł, ß…) never decide a match. Tokens keep
their character offsets in the original text, so matched words can be
highlighted where the reader sees them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

# Letters NFKD does not decompose into base letter + mark.
_LETTERS = str.maketrans(
    {
        "ø": "o",
        "đ": "d",
        "ł": "l",
        "ħ": "h",
        "ı": "i",
        "ð": "d",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "ŀ": "l",
    }
)

# Scripts written without spaces: each character is a token, so a query word
# in them matches as a phrase of characters (substring semantics).
_UNSPACED = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f"
_TOKEN = re.compile(rf"[{_UNSPACED}]|[^\W_{_UNSPACED}]+")


class Token(NamedTuple):
    start: int  # offsets in the original (unfolded) text
    end: int
    folded: str


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Zelenskyy', 'ZELENSKYY' and 'Zelénskyy' agree."""
    if text.isascii():
        return text.lower()  # the common case, and casefold() of ASCII
    return _fold_unicode(text)


@lru_cache(maxsize=100_000)
def _fold_unicode(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped.translate(_LETTERS))


def tokenize(text: str) -> list[Token]:
    """Words of ``text`` with their offsets; punctuation and underscores separate words."""
    tokens = []
    for match in _TOKEN.finditer(text):
        folded = fold(match.group())
        # Folding can leave nothing (a lone combining mark) or split nothing;
        # keep only tokens that still carry letters or digits.
        if folded:
            tokens.append(Token(match.start(), match.end(), folded))
    return tokens


def words(text: str) -> list[str]:
    """Folded words of ``text`` (no offsets)."""
    return [t.folded for t in tokenize(text)]
