"""A bounded word-level diff of two versions of an article, for edit alerts.

Words are whitespace-separated with their punctuation attached, so a changed
comma shows as a changed word and reflowed lines never count.  The message
shows each changed place with a few unchanged words either side; how much it
shows is bounded however large the edit (a rewrite of a long article is a
handful of places and "N more"), and so is the work: common leading and
trailing words are set aside before difflib compares what is left, and only
the first :data:`MAX_WORDS` words of each version are compared.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

MAX_WORDS = 20_000  # per version; beyond, only the start is compared
CONTEXT = 8  # unchanged words shown either side of a change
MAX_PLACES = 12  # changed places shown; the others are counted
MAX_CHARS = 4_000  # of diff text shown; the places past it are counted
PART_CHARS = 600  # of one removed or added run


@dataclass(frozen=True)
class Part:
    kind: str  # "same", "removed" or "added"
    text: str


@dataclass(frozen=True)
class Place:
    """One changed place: its changes between unchanged context words."""

    parts: tuple[Part, ...]
    before: bool  # unchanged text precedes it that is not shown
    after: bool  # unchanged text follows it that is not shown


@dataclass(frozen=True)
class TextDiff:
    places: tuple[Place, ...]
    more: int = 0  # changed places not shown
    truncated: bool = False  # a version was longer than MAX_WORDS: only its start compared

    @property
    def empty(self) -> bool:
        return not self.places and not self.more


def _clip(words: list[str]) -> str:
    text = " ".join(words)
    return text if len(text) <= PART_CHARS else text[: PART_CHARS - 1].rstrip() + "…"


def _opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib opcodes of a -> b, the common head and tail compared for free."""
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    middle = difflib.SequenceMatcher(
        None, a[head : len(a) - tail], b[head : len(b) - tail], autojunk=False
    )
    return [
        (op, i1 + head, i2 + head, j1 + head, j2 + head)
        for op, i1, i2, j1, j2 in middle.get_opcodes()
        if op != "equal"
    ]


def text_diff(old: str | None, new: str | None) -> TextDiff:
    """The changed places turning ``old`` into ``new``."""
    a, b = (old or "").split(), (new or "").split()
    truncated = len(a) > MAX_WORDS or len(b) > MAX_WORDS
    a, b = a[:MAX_WORDS], b[:MAX_WORDS]
    changes = _opcodes(a, b)
    # Changes closer than two contexts apart are one place: the words between are shown.
    groups: list[list[tuple[str, int, int, int, int]]] = []
    for change in changes:
        if groups and change[1] - groups[-1][-1][2] <= 2 * CONTEXT:
            groups[-1].append(change)
        else:
            groups.append([change])
    places: list[Place] = []
    chars = 0
    for group in groups:
        if len(places) >= MAX_PLACES or chars >= MAX_CHARS:
            break
        start = max(0, group[0][1] - CONTEXT)
        end = min(len(a), group[-1][2] + CONTEXT)
        parts: list[Part] = []
        if start < group[0][1]:
            parts.append(Part("same", " ".join(a[start : group[0][1]])))
        for index, (_op, i1, i2, j1, j2) in enumerate(group):
            if index:
                between = a[group[index - 1][2] : i1]
                if between:
                    parts.append(Part("same", " ".join(between)))
            if i2 > i1:
                parts.append(Part("removed", _clip(a[i1:i2])))
            if j2 > j1:
                parts.append(Part("added", _clip(b[j1:j2])))
        if group[-1][2] < end:
            parts.append(Part("same", " ".join(a[group[-1][2] : end])))
        chars += sum(len(p.text) for p in parts)
        places.append(Place(tuple(parts), before=start > 0, after=end < len(a)))
    return TextDiff(tuple(places), len(groups) - len(places), truncated)
