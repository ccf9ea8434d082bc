"""A second opinion on the article text: readability-lxml, merged with trafilatura by agreement.

Extractors fail differently: trafilatura drops text that is not in ``<p>``
(a ``div`` of text, a translation box) and sometimes keeps a stray prompt;
readability keeps one container whole, so it keeps such text but also the
container's clutter, and sometimes picks the wrong container.  Combined per
page, each checks the other:

- the span where both agree (from the first line both have to the last) is
  the article; trafilatura's lines outside it that readability does not have
  are dropped when they are not prose (``outside_agreement``);
- readability's lines inside the span that trafilatura lacks are added when
  they are prose and no junk rule objects (``gap_fill``);
- when the two barely agree, one of them failed: trafilatura is kept as it is.

Lines are matched by word 4-grams, so two extractors that split a paragraph
differently still agree on it.

Two readability implementations give the opinion: trafilatura's port
(``port_lines``, one pass, a third of the cost), and readability-lxml itself
(``readability_lines``) when the port's opinion settles nothing: trafilatura
found too little, the two disagree, or no article is left after merging
(``core.extract_page``).  On the 78 real pages of ``../shared`` the body F1
is the same with the port first (0.983); the crawl's extraction is ~0.7 ms a
page cheaper (issue 21).

trafilatura itself runs its port on the same page, to compare its own
extraction with readability's.  ``readability_tap`` keeps the lines of that
pass, so the port runs once a page, not twice (issue 21); ``port_lines`` is
the fallback when trafilatura did not get that far.
"""

from __future__ import annotations

import copy
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from itertools import chain, repeat
from typing import NamedTuple, TypeAlias, cast

from lxml import etree
from lxml import html as lxml_html
from lxml.html import xhtml_to_html
from trafilatura import external as trafilatura_external
from trafilatura.readability_lxml import Document as ReadabilityPort

log = logging.getLogger(__name__)

# Share of a line's 4-grams the other text must hold for the line to be agreed on.
AGREE_SHARE = 0.6
# Share of trafilatura's text readability must agree with for its opinion to count.
TRUST_SHARE = 0.5
# A gap line must be prose of at least this many words.
GAP_MIN_WORDS = 12

_INLINE = {"a", "b", "i", "em", "strong", "span", "font", "br", "small", "sup", "sub", "u", "q"}
_WORD = re.compile(r"\w+")
# Items of lists and tables: a box's feature list or links, not paragraphs a gap may take.
_LIST_TAGS = {"li", "dt", "dd", "td", "th"}
# What a reading copy of a page drops (``reading_copy``), as readability-lxml does.
_KILLED = ("script", "style", "link", etree.Comment, etree.ProcessingInstruction)


# A text's word 4-grams (a text of fewer words: one shorter gram), counted.
Grams: TypeAlias = Counter[tuple[str, ...]]


class Line(NamedTuple):
    tag: str
    text: str


def reading_copy(tree: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
    """A copy of ``tree`` for the readability passes: without what holds no readable text
    (hidden elements, scripts, styles, ``<link>``, comments, processing instructions;
    tails kept), as readability-lxml reads a page."""
    doc = copy.deepcopy(tree)
    hidden_style = _display_none()
    for element in doc.xpath("//*[@hidden]"):
        element.drop_tree()
    for element in doc.xpath("//*[@style]"):
        if hidden_style.search(element.get("style")):
            element.drop_tree()
    xhtml_to_html(doc)
    for element in doc.iter("image"):
        element.tag = "img"
    for element in list(doc.iter(*_KILLED)):
        element.drop_tree()
    return doc


def port_lines(tree: lxml_html.HtmlElement) -> list[Line]:
    """trafilatura's port of readability-lxml over the ``reading_copy`` of ``tree`` (which
    stays as it is), as ``readability_lines`` reads its own copy.

    One "ruthless" pass, at about a third of readability-lxml's cost; it
    picks another container more often (an old table layout's footer, say),
    so ``extract_page`` asks readability-lxml itself when this one disagrees.
    """
    try:
        summary = ReadabilityPort(reading_copy(tree), min_text_length=25).summary()
        content = lxml_html.fromstring(summary)
    except Exception:  # no opinion on a page it cannot score
        log.debug("readability port failed", exc_info=True)
        return []
    return text_blocks(content)


# The lines of trafilatura's readability pass, while a ``readability_tap`` is open.
_tapped: ContextVar[list[list[Line]] | None] = ContextVar("readability_tap", default=None)
_try_readability = trafilatura_external.try_readability


def _tapped_try_readability(htmlinput: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
    """trafilatura's ``try_readability``, unchanged for trafilatura, keeping the lines of
    its first pass for an open ``readability_tap`` (read now: trafilatura may go on to
    change the tree it returns)."""
    found = _try_readability(htmlinput)
    slot = _tapped.get()
    if slot is not None and not slot:
        try:
            slot.append(text_blocks(found))
        except Exception:  # no opinion kept; port_lines gives it instead
            log.debug("reading trafilatura's readability pass failed", exc_info=True)
    return found


trafilatura_external.try_readability = _tapped_try_readability


@contextmanager
def readability_tap() -> Iterator[list[list[Line]]]:
    """Keep the lines of the first readability pass trafilatura makes inside the block.

    trafilatura's comparison (``external.compare_extraction``) runs its port of
    readability over the page it extracts, as ``port_lines`` would over the
    reading copy of the same page: the same lines on 781 of the 784 comparison
    pages, and the same article text on all 784 (of the other three, a gallery
    and a page where the port found only the headline end the same; trafilatura
    keeps a hidden registration prompt the reading copy drops, and the junk
    rules drop it).  The list stays empty when trafilatura returned before
    comparing, or if a trafilatura release stops calling ``try_readability``:
    ``port_lines`` then.  A context variable: threads extracting at once each
    keep their own.
    """
    slot: list[list[Line]] = []
    token = _tapped.set(slot)
    try:
        yield slot
    finally:
        _tapped.reset(token)


def readability_lines(tree: lxml_html.HtmlElement) -> list[Line]:
    """readability-lxml's main content of ``tree`` (left as it is), a line per text block."""
    try:
        summary = _reader()(tree).summary(html_partial=True)
        content = lxml_html.fromstring(summary)
    except Exception:  # readability raises on pages it cannot score; no opinion then
        log.debug("readability failed", exc_info=True)
        return []
    return text_blocks(content)


@cache
def _display_none() -> re.Pattern[str]:
    """readability-lxml's own test of a hidden style (imported on first use, as the
    reader is)."""
    from readability.readability import REGEXES

    return cast("re.Pattern[str]", REGEXES["displayNoneRe"])


@cache
def _reader() -> type:
    """readability's ``Document``, reading a copy of the tree cleaned only of what holds no text.

    readability's own ``_parse`` drops hidden elements from the tree it is
    given, then copies it through lxml_html_clean's ``Cleaner``, which also
    rewrites every attribute and link for safety (a fifth of readability's
    time), and makes links absolute.  Only the text is read here: the same
    elements go (hidden ones; scripts, styles, ``<link>``, comments and
    processing instructions, tails kept), from one copy, so the caller's tree
    stays as it was.
    """
    from readability import Document

    class TextReader(Document):  # type: ignore[misc]  # readability has no type hints
        def _parse(self, input: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
            self.encoding = "utf-8"
            doc = reading_copy(input)
            doc.resolve_base_href(handle_failures=self.handle_failures)
            return doc

    return TextReader


def text_blocks(root: lxml_html.HtmlElement) -> list[Line]:
    """Lines of text as a reader sees them, in page order, with the tag they are in: each
    innermost block (split at ``<br>``), and the loose text between blocks."""
    lines: list[Line] = []
    _walk(root, lines)
    return lines


def _walk(node: lxml_html.HtmlElement, lines: list[Line]) -> None:
    tag = cast(str, node.tag)  # blocks and what holds them are named elements
    if not _has_blocks(node):
        lines.extend(_lines(tag, _leaf_text(node)))
        return
    loose = [(node.text or "").replace("\n", " ")]
    for child in node:
        if child.tag == "br":
            loose.append("\n")
        elif _is_block(child) or _has_blocks(child):
            lines.extend(_lines(tag, "".join(loose)))
            loose = []
            _walk(child, lines)
        elif isinstance(child.tag, str):
            loose.append(_leaf_text(child))
        loose.append((child.tail or "").replace("\n", " "))
    lines.extend(_lines(tag, "".join(loose)))


def _has_blocks(node: lxml_html.HtmlElement) -> bool:
    return any(_is_block(d) for d in node.iterdescendants())


def _lines(tag: str, text: str) -> list[Line]:
    return [Line(tag, " ".join(p.split())) for p in text.split("\n") if p.strip()]


def _leaf_text(node: lxml_html.HtmlElement) -> str:
    """The text of an element with inline content only, a ``\n`` at each ``<br>``."""
    parts = [(node.text or "").replace("\n", " ")]
    for child in node:
        if child.tag == "br":
            parts.append("\n")
        elif isinstance(child.tag, str):
            parts.append(_leaf_text(child))
        parts.append((child.tail or "").replace("\n", " "))
    return "".join(parts)


def _is_block(node: lxml_html.HtmlElement) -> bool:
    return isinstance(node.tag, str) and node.tag not in _INLINE


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _grams(found: list[str], n: int = 4) -> Grams:
    if len(found) < n:
        return Counter([tuple(found)]) if found else Counter()
    return Counter(zip(*(found[i:] for i in range(n)), strict=False))


def agreed(line: Grams, other: Grams, other_text: str) -> bool:
    """The other extractor has this line, given as its 4-grams: most of them; a line of
    fewer than four words (one shorter gram) whole."""
    if not line:
        return False
    first = next(iter(line))
    if len(first) < 4:
        return " ".join(first) in other_text
    return _common(line, other) >= AGREE_SHARE * sum(line.values())


def _common(own: Grams, other: Grams) -> int:
    """``sum((own & other).values())`` without building the intersection; for the usual
    line, each of whose 4-grams occurs once, the size of the shared key set."""
    if len(own) == sum(own.values()):
        return len(own.keys() & other.keys())
    return sum(min(count, other[gram]) for gram, count in own.items() if gram in other)


class _Split:
    """Each line's words and 4-grams, worked out once for both sides of a merge."""

    __slots__ = ("_grams", "_words")

    def __init__(self) -> None:
        self._words: dict[str, list[str]] = {}
        self._grams: dict[str, Grams] = {}

    def words(self, line: str) -> list[str]:
        if line not in self._words:
            self._words[line] = words(line)
        return self._words[line]

    def grams(self, line: str) -> Grams:
        if line not in self._grams:
            self._grams[line] = _grams(self.words(line))
        return self._grams[line]


class _Text:
    """One extractor's lines with their 4-grams counted once: what the other's lines are
    checked against (and placed in) without recounting the text for each line."""

    def __init__(self, lines: Sequence[str], split: _Split):
        self.lines = lines
        self.grams = split.grams
        self._words = split.words
        self._own = set(lines)
        self._counted: tuple[Grams, str] | None = None
        self._where: dict[tuple[str, ...], list[int]] | None = None

    def has(self, line: str) -> bool:
        if line in self._own:
            # One of this text's lines: its words are a run of the text's, so it holds
            # every 4-gram of the line (or the short line whole) and ``agreed`` would say
            # yes, unless the line has no words.  The two extractors mostly give the same
            # lines: no line's 4-grams are then counted at all (issue 21).
            return bool(self._words(line))
        counts, text = self._count()
        return agreed(self.grams(line), counts, text)

    def _count(self) -> tuple[Grams, str]:
        """The text's 4-grams and its words joined, counted on first need."""
        if self._counted is None:
            # A word never spans the space that would join two lines: the text's words
            # are its lines' words in turn.
            found = [word for line in self.lines for word in self._words(line)]
            self._counted = (_grams(found), " ".join(found))
        return self._counted

    def best_line(self, line: str) -> int:
        """Index of the line sharing most 4-grams with ``line`` (the first on a tie)."""
        if self._where is None:
            self._where = {}
            for index, text in enumerate(self.lines):
                for gram in self.grams(text):
                    self._where.setdefault(gram, []).append(index)
        own = self.grams(line)
        holders = map(self._where.get, own, repeat(()))
        if len(own) == sum(own.values()):
            # Each gram once: a line's score (``_common``) is how many of them it holds,
            # and ``_where`` lists a line once per gram it holds.
            scores: dict[int, int] = Counter(chain.from_iterable(holders))
        else:
            sharing = set().union(*holders)
            scores = {index: _common(own, self.grams(self.lines[index])) for index in sharing}
        if not scores:
            return 0
        best = max(scores.values())
        return min(index for index, score in scores.items() if score == best)


def is_prose(line: str) -> bool:
    """A sentence of some length: what article text is made of, unlike labels and links."""
    count = len(line.split())
    return count >= 15 or (count >= 6 and line.rstrip("\"'”’»)").endswith((".", "!", "?", ":")))


def merge(
    primary: Sequence[str], second: Sequence[Line], is_junk: Callable[[str], bool]
) -> tuple[list[str], list[tuple[str, str]]]:
    """trafilatura's lines corrected by readability's: (lines, (rule, line) of each change).

    ``is_junk(line)`` tells a line no gap may be filled with.  Dropped lines
    come back as ``("outside_agreement", line)``, added ones as
    ``("gap_fill", line)``.  When the two barely agree, trafilatura's as they are.
    """
    return agreed_merge(primary, second, is_junk) or (list(primary), [])


def agreed_merge(
    primary: Sequence[str], second: Sequence[Line], is_junk: Callable[[str], bool]
) -> tuple[list[str], list[tuple[str, str]]] | None:
    """``merge``, or None when readability found another block (no opinion)."""
    if not primary or not second:
        return None
    split = _Split()
    support = _support(primary, second, split)
    if not _trusted(primary, support):
        return None
    first = support.index(True)
    last = len(support) - 1 - support[::-1].index(True)
    changes: list[tuple[str, str]] = []
    kept: list[str] = []
    for index, line in enumerate(primary):
        if not support[index] and (index < first or index > last) and not is_prose(line):
            changes.append(("outside_agreement", line))
        else:
            kept.append(line)
    return fill_gaps(kept, second, is_junk, changes, split)


def _support(primary: Sequence[str], second: Sequence[Line], split: _Split) -> list[bool]:
    """For each of trafilatura's lines, whether readability has it."""
    other = _Text([line.text for line in second], split)
    return [other.has(line) for line in primary]


def _trusted(primary: Sequence[str], support: Sequence[bool]) -> bool:
    agreed_words = sum(len(line.split()) for line, ok in zip(primary, support, strict=True) if ok)
    return agreed_words >= TRUST_SHARE * sum(len(line.split()) for line in primary)


def fill_gaps(
    primary: list[str],
    second: Sequence[Line],
    is_junk: Callable[[str], bool],
    changes: list[tuple[str, str]],
    split: _Split | None = None,
) -> tuple[list[str], list[tuple[str, str]]]:
    """Add readability's prose lines that sit between two lines both extractors have.

    Only paragraphs and loose text qualify, not list items (a box's feature
    list is prose too), and a line only once.
    """
    ours = _Text(primary, split or _Split())
    # Readability's lines that trafilatura has too.
    known = [i for i, (_, line) in enumerate(second) if ours.has(line)]
    if len(known) < 2:
        return primary, changes
    held = set(known)
    # Where a known line sits in trafilatura's (the index of the line it matches): only
    # asked for the lines before a gap, and most pages have no gap.
    position: dict[int, int] = {}

    def sits_at(index: int) -> int:
        if index not in position:
            position[index] = ours.best_line(second[index].text)
        return position[index]

    inserts: dict[int, list[str]] = {}
    added: set[str] = set()
    for index in range(known[0] + 1, known[-1]):
        tag, line = second[index]
        if index in held or len(line.split()) < GAP_MIN_WORDS:
            continue
        if tag in _LIST_TAGS or line in added or not is_prose(line) or is_junk(line):
            continue
        added.add(line)
        before = max(sits_at(i) for i in known if i < index)
        inserts.setdefault(before, []).append(line)
        changes.append(("gap_fill", line))
    merged: list[str] = []
    for index, line in enumerate(primary):
        merged.append(line)
        merged.extend(inserts.get(index, []))
    return merged, changes
