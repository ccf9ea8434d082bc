"""Word-level difference of a copy against the canonical text: what an outlet cut, added, changed.

Tokens are words with their punctuation attached, so a changed comma shows
as a changed word, and whitespace (line breaks, indentation) never counts.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_WORD = re.compile(r"\S+")
# Beyond this many words per side only the start is compared: the matcher is
# quadratic in the worst case and a page must stay fast.
MAX_WORDS = 20_000
# Unchanged runs longer than this are shown as their first and last words.
CONTEXT = 12


@dataclass(frozen=True)
class Segment:
    kind: str  # "same", "cut" (canonical only), "added" (copy only), "skip" (unchanged, elided)
    text: str
    words: int = 0


@dataclass(frozen=True)
class WordDiff:
    segments: tuple[Segment, ...]
    cut: int  # words of the canonical text missing from the copy
    added: int  # words of the copy missing from the canonical text
    same: int
    truncated: bool = False

    @property
    def identical(self) -> bool:
        return not self.cut and not self.added


def words(text: str | None) -> list[str]:
    return _WORD.findall(text or "")


def word_diff(canonical: str | None, copy: str | None, context: int = CONTEXT) -> WordDiff:
    """Segments turning ``canonical`` into ``copy``; long unchanged runs elided."""
    old, new = words(canonical), words(copy)
    truncated = len(old) > MAX_WORDS or len(new) > MAX_WORDS
    old, new = old[:MAX_WORDS], new[:MAX_WORDS]
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    segments: list[Segment] = []
    cut = added = same = 0
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            same += i2 - i1
            segments.extend(_same(old[i1:i2], context))
            continue
        if i2 > i1:
            cut += i2 - i1
            segments.append(Segment("cut", " ".join(old[i1:i2]), i2 - i1))
        if j2 > j1:
            added += j2 - j1
            segments.append(Segment("added", " ".join(new[j1:j2]), j2 - j1))
    return WordDiff(tuple(segments), cut, added, same, truncated)


def _same(run: list[str], context: int) -> list[Segment]:
    if len(run) <= 2 * context + 1:
        return [Segment("same", " ".join(run), len(run))]
    hidden = len(run) - 2 * context
    return [
        Segment("same", " ".join(run[:context]), context),
        Segment("skip", f"{hidden} unchanged words", hidden),
        Segment("same", " ".join(run[-context:]), context),
    ]
