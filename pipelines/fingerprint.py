"""Text fingerprints for finding syndicated copies: pure functions, no I/O.

normalised text -> words -> 5-word shingles (64-bit hashes) -> candidate keys.
Keys only *find* candidates; whether two texts are copies is decided by
:func:`similarity`: the share of the shorter text's distinct shingles found
anywhere in the longer one (containment).  Containment rather than
resemblance, so a copy trimmed to its first paragraphs still matches its full
original; a set rather than a sequence, so reordered paragraphs do too.
Weak evidence weighs ``QUOTE_WEIGHT`` of the reporter's own prose: shingles
inside quotation marks (two stories quoting the same long statement stay
apart) and page furniture an extractor left in, menus, share bars, captions
(:func:`furniture_words`: strings of fragments of a few words), so short
excerpts of different articles under one outlet's furniture stay apart while
each still joins its original.

Two kinds of candidate keys, each bounded per text whatever its length
(at most ``BANDS + MAX_ANCHORS`` = 23; a tiny text has its exact key only):

* ``BANDS`` MinHash minima of the whole text (single-row bands): two texts
  become candidates with probability 1 - (1 - J)^BANDS for resemblance J, so
  full copies with edits, reordered paragraphs or outlet boilerplate are found.
* up to ``MAX_ANCHORS`` *lede anchors*: the strong shingles among the
  first ``LEDE_SHINGLES``, chosen by winnowing (the smallest hash of every
  ``ANCHOR_WINDOW`` consecutive ones).  Chosen by content, not position, so
  an excerpt that keeps the lede has anchors of its long original even though
  their resemblance is low.

Every key costs a row in the index and a lookup per stored article, so there
are no more than recall needs: identical texts share every band, so only
tiny texts get a key of their exact words.

Every constant here is part of the stored index: changing one means bumping
``VERSION`` and re-fingerprinting stored articles (``wirewatch dedupe
--rebuild-index``).  Version 3 keeps version 2's bands and its first anchors
and drops the rest (the exact key of texts that are not tiny, anchors after
the 7th distinct one), so a text's version-3 keys are among its version-2
keys: an index of version 2 keeps finding the copies of new texts, and the
rebuild only drops the extra rows.  Version 4 never takes page furniture as
an anchor; the keys of a text without furniture are its version-3 keys, so
an older index keeps finding most copies until it is rebuilt.
"""

from __future__ import annotations

import hashlib
import html
import re
import struct
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar, overload

import numpy as np

VERSION = 4
SHINGLE_WORDS = 5
BANDS = 16
# Lede anchors (:func:`anchor_keys`): own shingles of the first LEDE_SHINGLES
# chosen by winnowing over windows of ANCHOR_WINDOW (about one in 8.5), at
# most MAX_ANCHORS distinct ones, the earliest.  Two ledes sharing 20
# consecutive own words among their first ~60 share an anchor.
LEDE_SHINGLES = 160
ANCHOR_WINDOW = 16  # a power of 2 (see _sliding)
MAX_ANCHORS = 7
# Weight of a weak shingle (quoted, or page furniture), against 1 for the reporter's own.
QUOTE_WEIGHT = 0.25
# Fewer words than this and a text is "tiny" (a headline, a caption): too
# little to tell a copy from a coincidence, so it only matches an identical text.
TINY_WORDS = 20
# Longer texts are fingerprinted on their beginning only, which bounds time
# and memory per document; syndicated copies differ in their tails anyway.
MAX_CHARS = 1_000_000
MAX_WORDS = 50_000
# Two texts are copies of one story at or above this containment.
COPY_THRESHOLD = 0.5

_MASK64 = (1 << 64) - 1

# Scripts written without spaces between words: each character is a word,
# so a CJK or Thai text yields shingles instead of one giant "word".
_NO_SPACE = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\U00020000-\U0003134f"
)
# \w plus the combining marks it leaves out, so Devanagari, Arabic or Hebrew
# words with vowel signs stay whole.
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7"  # Latin, Cyrillic, Hebrew marks
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"  # Arabic marks
    "\u0900-\u0dff"  # Indic scripts, whole blocks
)
_WORD = re.compile(f"[\\w{_MARKS}]+")
_HAS_NO_SPACE = re.compile(f"[{_NO_SPACE}]")
_WORD_OR_CHAR = re.compile(f"[{_NO_SPACE}]|(?:[^\\W{_NO_SPACE}]|[{_MARKS}])+")


def _splitmix64(state: int) -> tuple[int, int]:
    """Next (state, value) of splitmix64: portable constants, unlike numpy's RNG streams."""
    state = (state + 0x9E3779B97F4A7C15) & _MASK64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return state, z ^ (z >> 31)


def _constants(seed: int, count: int) -> np.ndarray:
    values = []
    state = seed
    for _ in range(count):
        state, value = _splitmix64(state)
        values.append(value)
    return np.array(values, dtype=np.uint64)


_SHINGLE_MULT = _constants(0x5EED_0001, SHINGLE_WORDS) | np.uint64(1)
_PERM_A = _constants(0x5EED_0002, BANDS) | np.uint64(1)
_PERM_B = _constants(0x5EED_0003, BANDS)
_BAND_SALT = _constants(0x5EED_0004, BANDS)
_ANCHOR_SALT = _constants(0x5EED_0006, 1)[0]
_CHAR_BASE = np.uint64(int(_constants(0x5EED_0005, 1)[0]) | 1)
_CHAR_BASE_INVERSE = np.uint64(pow(int(_CHAR_BASE), -1, 1 << 64))


_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_NEVER = np.uint64(_MASK64)  # ranks a weak shingle last: never an anchor
_LOW32 = np.uint64(0xFFFFFFFF)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised: spreads every input bit over the output."""
    x = x ^ (x >> _S30)
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    mixed: np.ndarray = x ^ (x >> _S31)
    return mixed


# Character references with their semicolon only: html.unescape alone would
# also read "Barnes&noble" as "Barnes¬ble" (HTML's legacy names).
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Markup left in a text: whole script/style elements, comments, and tags of
# known HTML elements (a bare "<" in prose is left alone).  Block elements
# become line breaks (paragraph ends matter to quotation marks), inline ones
# vanish so "<b>Kyiv</b>" reads "Kyiv".
_DROPPED_ELEMENTS = re.compile(
    r"<(script|style|noscript|template)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.DOTALL | re.IGNORECASE
)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|table|thead|tbody|tr|td|th|blockquote|pre"
    r"|section|article|header|footer|aside|nav|main|figure|figcaption|caption)\b[^<>]{0,500}>",
    re.IGNORECASE,
)
_INLINE_TAG = re.compile(
    r"</?(?:a|abbr|b|bdi|bdo|big|cite|code|del|dfn|em|font|i|img|ins|kbd|mark|picture|q|s"
    r"|samp|small|source|span|strike|strong|sub|sup|time|tt|u|var|wbr|iframe|video|audio)"
    r"\b[^<>]{0,500}>",
    re.IGNORECASE,
)
# Invisible format characters that split or join words depending on the
# outlet: soft hyphen, zero-width space/joiners, word joiner, BOM, bidi marks.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Combining diacritics on a Latin letter once decomposed: outlets drop accents
# (Erdoğan / Erdogan).  Other scripts keep theirs (Russian й is not и).
_DIACRITICS = re.compile("(?<=[a-z])[\u0300-\u036f]+")
# Any such mark, whatever precedes it: searched first, ~6x faster than the
# look-behind above, which most texts (no accents left after NFKD) never need.
_COMBINING = re.compile("[\u0300-\u036f]")
# Apostrophe-like letters (U+02BC) would glue "don't" into one word.
_APOSTROPHE_LETTERS = re.compile("[\u02bc\u02b9]")


def _unescape(text: str) -> str:
    """Character references decoded until stable (at most 3 rounds: "&amp;quot;")."""
    for _ in range(3):
        decoded = _ENTITY.sub(lambda m: html.unescape(m.group()), text)
        if decoded == text:
            break
        text = decoded
    return text


def _strip_markup(text: str) -> str:
    text = _DROPPED_ELEMENTS.sub(" ", text)
    return _INLINE_TAG.sub("", _BLOCK_TAG.sub("\n", text))


def normalise(text: str) -> str:
    """The text words are taken from: cut to ``MAX_CHARS``, markup and entities
    resolved, invisible characters dropped, case-folded, NFKC, diacritics of
    Latin letters removed.  Punctuation, quotation marks, dashes and white space stay (words
    are runs of letters and digits, so they never matter to words); line breaks
    mark paragraphs for :func:`quoted_words`.
    """
    text = text[:MAX_CHARS]
    if "&" in text:
        text = _unescape(text)
    if "<" in text:
        text = _strip_markup(text)
    if text.isascii():
        return text.lower()
    text = _APOSTROPHE_LETTERS.sub("'", _INVISIBLE.sub("", text))
    # NFC(strip(NFKD(t))) is NFKC without the diacritics; case-folded after
    # NFKD (Ⅻ -> XII -> xii), stripped after folding (İ -> i + dot -> i).
    if not unicodedata.is_normalized("NFKD", text):
        text = unicodedata.normalize("NFKD", text)
    text = text.casefold()
    if _COMBINING.search(text):
        text = _DIACRITICS.sub("", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


@cache
def _char_classes() -> tuple[np.ndarray, np.ndarray]:
    """(word character, no-space script) flags for every BMP code point.

    Built once per process from the same patterns the reference tokeniser
    (``_WORD_OR_CHAR``) uses, so both always agree.
    """
    word = np.zeros(0x10000, dtype=bool)
    no_space = np.zeros(0x10000, dtype=bool)
    bmp = "".join(chr(cp) if not 0xD800 <= cp < 0xE000 else " " for cp in range(0x10000))
    for match in _WORD_OR_CHAR.finditer(bmp):
        word[match.start() : match.end()] = True
    for match in re.finditer(f"[{_NO_SPACE}]", bmp):
        no_space[match.start()] = True
    return word, no_space


def code_points(text: str) -> np.ndarray:
    """The text's code points: one byte each for ASCII (most news), else four."""
    if text.isascii():
        return np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


# Double quotation marks of any language.  Each one toggles between inside
# and outside, which reads “…”, „…“, «…», »…« and "…" alike; single quotes
# are left out (they are apostrophes too often).
QUOTE_MARKS = '"\u201c\u201d\u201e\u201f\u00ab\u00bb\u300c\u300d\u300e\u300f'
PARAGRAPH_ENDS = "\n\r\v\f\x85\u2028\u2029"
# Besides a paragraph end and a full stop, what ends a fragment (see
# ``SHORT_FRAGMENT_WORDS``): sentence ends and the separators of menus and
# share bars ("News | World", "Email · Print").
FRAGMENT_ENDS = "!?;|\u00b7\u2022\u2026\u3002\uff01\uff1f"
# Bit flags of a code point (:func:`_classes`); the last four are its marks.
_WORD_CHAR, _NO_SPACE_CHAR, _QUOTE_MARK, _PARAGRAPH_END, _FRAGMENT_END, _FULL_STOP = (
    1,
    2,
    4,
    8,
    16,
    32,
)
_ANY_MARK = _QUOTE_MARK | _PARAGRAPH_END | _FRAGMENT_END | _FULL_STOP


@cache
def _classes() -> np.ndarray:
    """Bit flags of every BMP code point: word character, no-space script, and marks
    (quotation mark, paragraph end, fragment end, full stop)."""
    word, no_space = _char_classes()
    table = word.astype(np.uint8) * _WORD_CHAR | no_space.astype(np.uint8) * _NO_SPACE_CHAR
    table[[ord(c) for c in QUOTE_MARKS]] |= _QUOTE_MARK
    table[[ord(c) for c in PARAGRAPH_ENDS]] |= _PARAGRAPH_END | _FRAGMENT_END
    table[[ord(c) for c in FRAGMENT_ENDS]] |= _FRAGMENT_END
    table[ord(".")] |= _FULL_STOP
    return table


Marks = tuple[np.ndarray, np.ndarray]


def scan(text: str, points: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, Marks]:
    """(starts, ends, marks) of a normalised text, in one pass over its code points.

    starts, ends: of its words, as code-point offsets.  A word is a run of
    letters, digits and combining marks; each character of a script written
    without spaces is a word of its own.  marks: (offsets, flags) of its
    quotation marks, paragraph ends, fragment ends and full stops, which is
    all :func:`quoted_words` and :func:`furniture_words` look at.
    Vectorised over the code points (``points``: :func:`code_points` of the
    text, if known); texts with characters beyond the BMP (rare) take the
    equivalent regular expression.
    """
    if points is None:
        points = code_points(text)
    if not len(points) or (points.dtype != np.uint8 and points.max() > 0xFFFF):
        spans = [(m.start(), m.end()) for m in _WORD_OR_CHAR.finditer(text, 0, len(text))]
        starts = np.fromiter((a for a, _ in spans), dtype=np.int64, count=len(spans))
        ends = np.fromiter((b for _, b in spans), dtype=np.int64, count=len(spans))
        bmp = points if points.dtype == np.uint8 else np.minimum(points, 0xFFFF)
        flags = _classes()[bmp] & _ANY_MARK
        at = np.flatnonzero(flags)
        return starts[:MAX_WORDS], ends[:MAX_WORDS], (at, flags[at])
    classes = _classes()[points]
    if points.dtype == np.uint8:
        # ASCII has no no-space characters: words are the runs of word
        # characters, between the places where the flag changes.
        padded = np.zeros(len(points) + 2, dtype=np.uint8)
        np.bitwise_and(classes, _WORD_CHAR, out=padded[1:-1])
        edges = np.flatnonzero(padded[1:] != padded[:-1])
        starts, ends = edges[0::2], edges[1::2]
    else:
        # A word starts where a word character follows a non-word character or a
        # no-space character, or is one; likewise for ends.
        word = (classes & _WORD_CHAR).view(bool)
        no_space = (classes & _NO_SPACE_CHAR) != 0
        split = np.zeros(len(points) + 1, dtype=bool)
        split[1:-1] = ~word[1:] | ~word[:-1] | no_space[1:] | no_space[:-1]
        split[0] = split[-1] = True
        starts = np.flatnonzero(word & split[:-1])
        ends = np.flatnonzero(word & split[1:]) + 1
    # ASCII word characters are 1 and marks are never word characters.
    at = np.flatnonzero(classes > _WORD_CHAR if points.dtype == np.uint8 else classes & _ANY_MARK)
    return starts[:MAX_WORDS], ends[:MAX_WORDS], (at, classes[at] & _ANY_MARK)


def word_spans(text: str, points: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the words of a normalised text (see :func:`scan`)."""
    starts, ends, _ = scan(text, points)
    return starts, ends


def words(text: str) -> list[str]:
    """Normalised words of a text (see :func:`word_spans`)."""
    normal = normalise(text)
    starts, ends = word_spans(normal)
    return [normal[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]


_POWERS: list[np.ndarray] = [np.ones(1, np.uint64), np.ones(1, np.uint64)]


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """P**i and P**-i (mod 2**64) for i < n, grown on demand."""
    if len(_POWERS[0]) < n:
        size = max(n, 2 * len(_POWERS[0]), 4096)
        for slot, base in enumerate((_CHAR_BASE, _CHAR_BASE_INVERSE)):
            powers = np.empty(size, dtype=np.uint64)
            powers[0] = 1
            powers[1:] = np.cumprod(np.full(size - 1, base, dtype=np.uint64))
            _POWERS[slot] = powers
    return _POWERS[0][:n], _POWERS[1][:n]


def _hashes_of(points: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A 64-bit hash per word span of a text's code points, computed without a Python loop.

    Polynomial hash of each word's code points from prefix sums, shifted back
    to the word's start with the inverse power, then mixed with its length.
    """
    if not len(starts):
        return np.empty(0, dtype=np.uint64)
    points = points[: ends[-1]]
    powers, inverse = _powers(len(points))
    prefix = np.zeros(len(points) + 1, dtype=np.uint64)
    np.cumsum(points.astype(np.uint64) * powers, out=prefix[1:])
    raw = (prefix[ends] - prefix[starts]) * inverse[starts]
    return _mix(raw ^ (ends - starts).astype(np.uint64))


def word_hashes(text: str) -> np.ndarray:
    """A 64-bit hash per normalised word, in text order."""
    normal = normalise(text)
    points = code_points(normal)
    return _hashes_of(points, *word_spans(normal, points))


# Page furniture an extractor left in (a menu row, a share bar, "4 min read",
# "Photo: File image."): strings of fragments of a few words, where prose has
# sentences.  A fragment is what lies between two fragment ends (a paragraph
# end, ``FRAGMENT_ENDS``, or a full stop not glued to the next word: "U.S."
# and "3.5" cut nothing); a word in a fragment of at most
# SHORT_FRAGMENT_WORDS words is furniture, and so is every word of a
# paragraph at least half made of such words.  Real article text has ~1% of
# its words in such fragments; menus and share bars, most.
SHORT_FRAGMENT_WORDS = 4


def _has_quote_mark(text: str) -> bool:
    if text.isascii():
        return '"' in text
    return any(mark in text for mark in QUOTE_MARKS)


def quoted_words(normal: str, starts: np.ndarray, found: Marks | None = None) -> np.ndarray:
    """Whether each word (by start offset) is inside quotation marks.

    A paragraph end closes an open quotation: news style reopens a quotation
    that runs over paragraphs at each one, and a stray mark then cannot turn
    the rest of the text into a quote.  ``found``: the text's marks
    (:func:`scan`), if known.
    """
    flags = np.zeros(len(starts), dtype=bool)
    if not len(starts) or not _has_quote_mark(normal):
        return flags
    at, kinds = scan(normal)[2] if found is None else found
    quotes, breaks = at[(kinds & _QUOTE_MARK) != 0], at[(kinds & _PARAGRAPH_END) != 0]
    before = np.searchsorted(quotes, starts)
    if len(breaks):
        index = np.searchsorted(breaks, starts)
        paragraph = np.where(index > 0, breaks[np.maximum(index - 1, 0)], -1)
        before = before - np.searchsorted(quotes, paragraph)
    odd: np.ndarray = before % 2 == 1
    return odd


def _short_fragment(before: list[int], words: int) -> bool:
    """Whether cuts (the word after each, in order) leave a fragment of 1 to
    ``SHORT_FRAGMENT_WORDS`` words; a plain loop, as cuts are few."""
    previous = 0
    for word in before:
        if 0 < word - previous <= SHORT_FRAGMENT_WORDS:
            return True
        previous = word
    return 0 < words - previous <= SHORT_FRAGMENT_WORDS


def furniture_words(
    normal: str, spans: tuple[np.ndarray, np.ndarray], found: Marks | None = None
) -> np.ndarray:
    """Whether each word (``spans``: starts, ends) is page furniture (see ``SHORT_FRAGMENT_WORDS``).

    Works on the marks alone: a fragment end lies between two words, so the
    fragments are the runs of words between the gaps that hold one.
    """
    starts, ends = spans
    n = len(starts)
    at, kinds = scan(normal)[2] if found is None else found
    cutting = kinds >= _FRAGMENT_END  # fragment ends and full stops
    cuts = at[cutting]
    before = np.searchsorted(starts, cuts)  # the word after each cut
    # Most texts have no short fragment even counting every full stop as a
    # cut (fewer cuts only make longer fragments): that cheap test first.
    if n <= SHORT_FRAGMENT_WORDS or not _short_fragment(before.tolist(), n):
        return np.zeros(n, dtype=bool)
    # A full stop glued to the next word ("3.5", "U.S") or after a one-letter
    # word ("U.S.", "J. Smith") is not a sentence end.
    after = starts.take(before, mode="clip") == cuts + 1
    initial = ends.take(before - 1, mode="clip") == cuts
    initial &= ends.take(before - 1, mode="clip") - starts.take(before - 1, mode="clip") == 1
    glued = (after | initial) & (kinds[cutting] == _FULL_STOP)
    edges = np.concatenate(([0], before[~glued], [n]))
    sizes = edges[1:] - edges[:-1]
    short = (sizes <= SHORT_FRAGMENT_WORDS) & (sizes > 0)
    flags = np.repeat(short, sizes)
    # Paragraphs at least half made of short fragments are furniture all through.
    lines = np.concatenate(([0], np.searchsorted(starts, at[(kinds & _PARAGRAPH_END) != 0]), [n]))
    words = lines[1:] - lines[:-1]
    inside = np.concatenate(([0], np.cumsum(flags)))
    mostly = (inside[lines[1:]] - inside[lines[:-1]]) * 2 >= words
    furniture: np.ndarray = flags | np.repeat(mostly, words)
    return furniture


def shingle_hashes(hashes: np.ndarray) -> np.ndarray:
    """64-bit hashes of every run of ``SHINGLE_WORDS`` words, in text order."""
    if not len(hashes):
        return np.empty(0, dtype=np.uint64)
    k = min(SHINGLE_WORDS, len(hashes))
    n = len(hashes) - k + 1
    combined = np.zeros(n, dtype=np.uint64)
    for j in range(k):
        combined += hashes[j : j + n] * _SHINGLE_MULT[j]
    return _mix(combined)


def quoted_shingles(word_flags: np.ndarray) -> np.ndarray:
    """A shingle is weak (quoted, furniture) when most of its words are."""
    if not len(word_flags):
        return word_flags
    k = min(SHINGLE_WORDS, len(word_flags))
    n = len(word_flags) - k + 1
    if not word_flags.any():
        return np.zeros(n, dtype=bool)
    inside = np.zeros(len(word_flags) + 1, dtype=np.int64)
    np.cumsum(word_flags, out=inside[1:])
    mostly: np.ndarray = (inside[k : k + n] - inside[:n]) * 2 > k
    return mostly


def minhash(shingles: np.ndarray) -> np.ndarray:
    """``BANDS`` minima of independent hash permutations of the shingle set."""
    permuted = np.multiply.outer(_PERM_A, shingles)
    permuted += _PERM_B[:, None]
    minima: np.ndarray = permuted.min(axis=1)
    return minima


def band_keys_of(signature: np.ndarray) -> np.ndarray:
    """One key per band, salted by band so equal minima in different bands differ."""
    return _mix(signature ^ _BAND_SALT).view(np.int64)


def _sliding(values: np.ndarray, width: int, combine: np.ufunc) -> np.ndarray:
    """``combine`` (minimum, maximum) over every window of ``width`` (a power of 2)."""
    span = 1
    while span < width:
        values = combine(values[:-span], values[span:])
        span *= 2
    return values


def anchors(shingles: np.ndarray, quoted: np.ndarray) -> np.ndarray:
    """The lede anchors: the lede's own shingles chosen by winnowing.

    Of every ``ANCHOR_WINDOW`` consecutive shingles the one with the smallest
    hash is chosen (weak ones, quoted or furniture, never are).  Chosen by content, so a stretch
    of ``ANCHOR_WINDOW`` own shingles that two ledes share gives both the same
    anchor: an excerpt that keeps the lede has anchors of its long original
    whatever their resemblance.  The earliest ``MAX_ANCHORS`` distinct ones
    bound the cost (a phrase repeated in the lede is one anchor, not two keys
    of the budget).
    """
    lede = shingles[:LEDE_SHINGLES]
    if len(lede) < ANCHOR_WINDOW:
        return lede[:0]
    inside = quoted[:LEDE_SHINGLES]
    has_quotes = inside.any()
    ranked = np.where(inside, _NEVER, lede) if has_quotes else lede
    minima = _sliding(ranked, ANCHOR_WINDOW, np.minimum)
    # The minimum's position never moves back as the window slides, so the
    # chosen shingles, in text order, are where the run of minima changes.
    change = np.empty(len(minima), dtype=bool)
    change[0] = True
    np.not_equal(minima[1:], minima[:-1], out=change[1:])
    chosen = minima[change]
    if has_quotes:
        chosen = chosen[chosen != _NEVER]
    # Repeats dropped, first occurrences kept (rare: checked on a sorted copy).
    ordered = np.sort(chosen)
    if not (ordered[1:] != ordered[:-1]).all():
        chosen = np.fromiter(dict.fromkeys(chosen.tolist()), dtype=np.uint64)
    return chosen[:MAX_ANCHORS]


def anchor_keys(shingles: np.ndarray, quoted: np.ndarray) -> np.ndarray:
    """Keys of the lede anchors, salted apart from the band keys."""
    return _mix(anchors(shingles, quoted) ^ _ANCHOR_SALT).view(np.int64)


def exact_key(hashes: np.ndarray) -> int:
    """A signed 64-bit key of the whole normalised word sequence."""
    digest = hashlib.blake2b(np.ascontiguousarray(hashes).data, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What the index stores for one text: its candidate keys and size, and
    (from :func:`fingerprint`) its packed :class:`Sketch`, so whoever stores
    the text never shingles it again to compare it."""

    words: int
    band_keys: tuple[int, ...]
    version: int = VERSION
    sketch: bytes | None = None  # pack_sketch(); None from Shingled.fingerprint()

    @property
    def tiny(self) -> bool:
        return self.words < TINY_WORDS


@dataclass(frozen=True, slots=True)
class Sketch:
    """All :func:`similarity` needs of a text, compact enough to keep per document
    (the story index stores it packed, :func:`pack_sketch`, with each copy)."""

    words: int
    exact: int
    own: np.ndarray  # distinct low 32 bits of the strong shingles, sorted
    quoted: np.ndarray  # ... of those found only weak (quoted or furniture), sorted


_T = TypeVar("_T")


class _cached(Generic[_T]):
    """``functools.cached_property`` without its lock.

    Python 3.11's takes a lock on every first access, ~0.8 us each; a
    :class:`Shingled` computes a dozen parts per text, and the batch command
    millions of texts.  Not shared between threads, it needs none.
    """

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _cached[_T]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> _T | _cached[_T]:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.func(obj)
        return value


class Shingled:
    """A text ready for fingerprinting and comparison; parts computed on first use."""

    def __init__(self, text: str):
        self.text = text

    @_cached
    def normal(self) -> str:
        return normalise(self.text)

    @_cached
    def _points(self) -> np.ndarray:
        return code_points(self.normal)

    @_cached
    def _scanned(self) -> tuple[np.ndarray, np.ndarray, Marks]:
        return scan(self.normal, self._points)

    @_cached
    def _spans(self) -> tuple[np.ndarray, np.ndarray]:
        return self._scanned[0], self._scanned[1]

    @_cached
    def hashes(self) -> np.ndarray:
        return _hashes_of(self._points, *self._spans)

    @property
    def words(self) -> int:
        return len(self.hashes)

    @property
    def tiny(self) -> bool:
        return self.words < TINY_WORDS

    @_cached
    def shingles(self) -> np.ndarray:
        return shingle_hashes(self.hashes)

    @_cached
    def quoted_flags(self) -> np.ndarray:
        """Per shingle: weak evidence, inside quotation marks or page furniture.

        (Named before furniture was weak too, as are :attr:`quoted` and
        :attr:`Sketch.quoted`; the batch command's spool keeps the names.)
        """
        starts, ends, found = self._scanned
        weak = quoted_words(self.normal, starts, found)
        weak |= furniture_words(self.normal, (starts, ends), found)
        return quoted_shingles(weak)

    @_cached
    def low32(self) -> np.ndarray:
        """Low 32 bits of each shingle hash, in text order: what comparisons use."""
        return (self.shingles & _LOW32).astype(np.uint32)

    @_cached
    def own(self) -> np.ndarray:
        """Distinct 32-bit strong shingles (neither quoted nor furniture), sorted."""
        flags = self.quoted_flags
        return _distinct(self.low32[~flags] if flags.any() else self.low32)

    @_cached
    def quoted(self) -> np.ndarray:
        """Distinct 32-bit shingles found only weak (quoted or furniture), sorted."""
        flags = self.quoted_flags
        if not flags.any():
            return self.low32[:0]
        inside = _distinct(self.low32[flags])
        return inside[_found_in(inside, self.own) == 0] if len(self.own) else inside

    @_cached
    def exact(self) -> int:
        return exact_key(self.hashes)

    @_cached
    def order_key(self) -> int:
        """A signed 64-bit key of everything matching looks at (words and quotation marks).

        Texts with equal keys have equal fingerprints and sketches, so
        sorting by it gives an order that does not depend on input order.
        """
        if not self.quoted_flags.any():
            return self.exact
        content = (
            self.exact.to_bytes(8, "big", signed=True) + np.packbits(self.quoted_flags).tobytes()
        )
        digest = hashlib.blake2b(content, digest_size=8, person=b"order").digest()
        return int.from_bytes(digest, "big", signed=True)

    def sketch(self) -> Sketch:
        return Sketch(self.words, self.exact, self.own, self.quoted)

    def fingerprint(self) -> Fingerprint:
        """Keys: bands and anchors; the exact key alone for a tiny text; none when empty."""
        if not self.words:
            return Fingerprint(words=0, band_keys=())
        if self.tiny:
            return Fingerprint(words=self.words, band_keys=(self.exact,))
        # band_keys_of and anchor_keys in one pass of the mixer.
        salted = np.concatenate(
            [
                minhash(self.shingles) ^ _BAND_SALT,
                anchors(self.shingles, self.quoted_flags) ^ _ANCHOR_SALT,
            ]
        )
        keys = _mix(salted).view(np.int64).tolist()
        # dict: two equal minima of a very short text are one key.
        return Fingerprint(words=self.words, band_keys=tuple(dict.fromkeys(keys)))


def fingerprint(text: str) -> Fingerprint:
    """The text's keys with its packed sketch (see :func:`sketched`)."""
    return sketched(Shingled(text))


def sketched(prepared: Shingled) -> Fingerprint:
    """A text's keys with its packed sketch: what the story index stores of it.

    (The batch command, which keeps sketches its own way, asks
    :meth:`Shingled.fingerprint` for the keys alone.)
    """
    keys = prepared.fingerprint()
    return Fingerprint(keys.words, keys.band_keys, keys.version, pack_sketch(prepared.sketch()))


_SKETCH_HEAD = struct.Struct("<qI")  # exact key, number of strong shingles


def pack_sketch(sketch: Sketch) -> bytes:
    """A sketch as bytes: exact key (int64), number of strong shingles (uint32),
    then the strong and the weak shingles (uint32 each), little-endian.  About
    4 bytes per distinct shingle of the text; words are stored apart."""
    own = np.ascontiguousarray(sketch.own, dtype="<u4")
    weak = np.ascontiguousarray(sketch.quoted, dtype="<u4")
    return b"".join((_SKETCH_HEAD.pack(sketch.exact, len(own)), own.tobytes(), weak.tobytes()))


def unpack_sketch(words: int, packed: bytes) -> Sketch:
    """The :class:`Sketch` of :func:`pack_sketch` (arrays are views of ``packed``)."""
    exact, own = _SKETCH_HEAD.unpack_from(packed)
    shingles = np.frombuffer(packed, dtype="<u4", offset=_SKETCH_HEAD.size)
    return Sketch(words, exact, shingles[:own], shingles[own:])


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (np.unique, without its overhead on small arrays)."""
    ordered = np.sort(values)
    differs = ordered[1:] != ordered[:-1]
    if differs.all():
        return ordered
    return ordered[np.concatenate(([True], differs))]


def _found_in(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    """Per value: 1 if it is in ``sorted_values`` (sorted, non-empty), else 0."""
    at = np.searchsorted(sorted_values, values)
    np.minimum(at, len(sorted_values) - 1, out=at)  # past the last one: lands on it, differs
    found: np.ndarray = (sorted_values[at] == values).view(np.uint8)
    return found


def _count_in(values: np.ndarray, sorted_values: np.ndarray) -> int:
    if not len(values) or not len(sorted_values):
        return 0
    return int(np.count_nonzero(_found_in(values, sorted_values)))


def _every_shingle(text: Shingled | Sketch) -> np.ndarray:
    """``text``'s strong and weak shingles as one sorted array.

    The two are disjoint (a weak one is found only weak), so a lookup in this
    one counts what lookups in both would: half the lookups, each a few numpy
    calls on small arrays (``_contained`` runs for every candidate of every
    stored article).
    """
    return np.sort(np.concatenate((text.own, text.quoted))) if len(text.quoted) else text.own


def _contained(a: Shingled | Sketch, b: Shingled | Sketch) -> float:
    """Weighted share of ``a``'s distinct shingles found in ``b``."""
    whole = _every_shingle(b)
    own = _count_in(a.own, whole)
    quoted = _count_in(a.quoted, whole) if len(a.quoted) else 0
    return _share(own, quoted, a)


def _share(own: int, quoted: int, a: Shingled | Sketch) -> float:
    """The weighted share of ``a``'s shingles that ``own`` strong and ``quoted`` weak
    ones found elsewhere make."""
    if not len(a.quoted):
        return own / len(a.own)
    return (own + QUOTE_WEIGHT * quoted) / (len(a.own) + QUOTE_WEIGHT * len(a.quoted))


def similarity(a: Shingled | Sketch, b: Shingled | Sketch) -> float:
    """Containment of the shorter text in the longer, 0..1.

    The share of the shorter text's distinct shingles found anywhere in the
    longer one, weak shingles (quoted, furniture) weighing ``QUOTE_WEIGHT``.  Symmetric, so
    the order texts arrive in never matters.  Tiny texts are 1.0 only when
    identical; an empty text is never similar to anything, not even another
    empty text.
    """
    decided = _by_words(a, b)
    if decided is not None:
        return decided
    size_a, size_b = len(a.own) + len(a.quoted), len(b.own) + len(b.quoted)
    if size_a != size_b:
        return _contained(a, b) if size_a < size_b else _contained(b, a)
    return max(_contained(a, b), _contained(b, a))


def _by_words(a: Shingled | Sketch, b: Shingled | Sketch) -> float | None:
    """The similarity word counts alone decide (an empty text is like nothing, a tiny one
    only like the same words), or None when the shingles must be compared."""
    if not a.words or not b.words:
        return 0.0
    if a.words < TINY_WORDS or b.words < TINY_WORDS:
        return 1.0 if a.exact == b.exact else 0.0
    return None


def similarities(text: Shingled | Sketch, others: Sequence[Shingled | Sketch]) -> list[float]:
    """``[similarity(text, other) for other in others]``, from one search of all their
    shingles in ``text``'s.

    A story lookup verifies up to ``CANDIDATES`` stored copies for every article
    stored, most of them sharing one key and nothing else: one pass over them all
    costs about what two comparisons one by one did (issue 21).  The counts are
    the same integers :func:`similarity` counts, so the scores are equal to the bit.
    """
    scores = [0.0] * len(others)
    compared = []
    for i, other in enumerate(others):
        decided = _by_words(text, other)
        if decided is None:
            compared.append(i)
        else:
            scores[i] = decided
    if not compared:
        return scores
    mine = _every_shingle(text)
    if not len(mine):  # nothing to look theirs up in (no text of 20 words has no shingle)
        return [similarity(text, other) for other in others]
    # Theirs, one group per (candidate, strong or weak); mine flagged weak or not.
    groups = [part for i in compared for part in (others[i].own, others[i].quoted)]
    theirs = np.concatenate(groups)
    group = np.repeat(np.arange(len(groups)), [len(part) for part in groups])
    mine_weak = _found_in(mine, text.quoted) if len(text.quoted) else np.zeros(len(mine), np.uint8)
    at = np.searchsorted(mine, theirs)
    np.minimum(at, len(mine) - 1, out=at)
    hit = mine[at] == theirs
    # counts[2 * j + their weak][my weak]: candidate j's shingles found among mine.
    counts = (
        np.bincount(group[hit] * 2 + mine_weak[at[hit]], minlength=2 * len(groups))
        .reshape(len(groups), 2)
        .tolist()
    )
    size = len(text.own) + len(text.quoted)
    for j, i in enumerate(compared):
        other = others[i]
        (strong_strong, strong_weak), (weak_strong, weak_weak) = counts[2 * j], counts[2 * j + 1]
        theirs_in_mine = _share(strong_strong + strong_weak, weak_strong + weak_weak, other)
        mine_in_theirs = _share(strong_strong + weak_strong, strong_weak + weak_weak, text)
        other_size = len(other.own) + len(other.quoted)
        if size != other_size:
            scores[i] = mine_in_theirs if size < other_size else theirs_in_mine
        else:
            scores[i] = max(mine_in_theirs, theirs_in_mine)
    return scores


def resemblance(a: Shingled | Sketch, b: Shingled | Sketch) -> float:
    """Jaccard resemblance of the two shingle sets (reported beside containment)."""
    size_a, size_b = len(a.own) + len(a.quoted), len(b.own) + len(b.quoted)
    if not size_a or not size_b:
        return 0.0
    whole = _every_shingle(b)
    both = _count_in(a.own, whole) + _count_in(a.quoted, whole)
    return both / (size_a + size_b - both)


def is_copy(a: Shingled | Sketch, b: Shingled | Sketch) -> bool:
    return similarity(a, b) >= COPY_THRESHOLD
