"""Text fingerprints for finding syndicated copies: pure functions, no I/O.

normalised text -> words -> 5-word shingles (64-bit hashes) -> candidate keys.
Keys only *find* candidates; whether two texts are copies is decided by
:func:`similarity`: the share of the shorter text's distinct shingles found
anywhere in the longer one (containment).  Containment rather than
resemblance, so a copy trimmed to its first paragraphs still matches its full
original; a set rather than a sequence, so reordered paragraphs do too.
Shingles inside quotation marks weigh ``QUOTE_WEIGHT`` of the reporter's own:
two stories quoting the same long statement stay apart.

Two kinds of candidate keys, each bounded per text whatever its length:

* ``BANDS`` MinHash minima of the whole text (single-row bands): two texts
  become candidates with probability 1 - (1 - J)^BANDS for resemblance J, so
  full copies with edits, reordered paragraphs or outlet boilerplate are found.
* up to ``MAX_ANCHORS`` *lede anchors*: the reporter's own shingles among the
  first ``LEDE_SHINGLES``, chosen by winnowing (the smallest hash of every
  ``ANCHOR_WINDOW`` consecutive ones).  Chosen by content, not position, so
  an excerpt that keeps the lede has anchors of its long original even though
  their resemblance is low.

Every constant here is part of the stored index: changing one means bumping
``VERSION`` and re-fingerprinting stored articles (``wirewatch dedupe
--rebuild-index``).
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np

VERSION = 2
SHINGLE_WORDS = 5
BANDS = 18
# Lede anchors (:func:`anchor_keys`): own shingles of the first LEDE_SHINGLES
# chosen by winnowing over windows of ANCHOR_WINDOW (about one in 8.5), at
# most MAX_ANCHORS of them, the earliest.  Two ledes sharing 20 consecutive
# own words share an anchor.
LEDE_SHINGLES = 160
ANCHOR_WINDOW = 16
MAX_ANCHORS = 12
# Weight of a shingle inside quotation marks, against 1 for the reporter's own.
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


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised: spreads every input bit over the output."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


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
    text = _DIACRITICS.sub("", text.casefold())
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


def word_spans(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the words of a normalised text, as code-point offsets.

    A word is a run of letters, digits and combining marks; each character of
    a script written without spaces is a word of its own.  Vectorised over
    the code points; texts with characters beyond the BMP (rare) take the
    equivalent regular expression.
    """
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if not len(points) or points.max() > 0xFFFF:
        spans = [(m.start(), m.end()) for m in _WORD_OR_CHAR.finditer(text, 0, len(text))]
        starts = np.fromiter((a for a, _ in spans), dtype=np.int64, count=len(spans))
        ends = np.fromiter((b for _, b in spans), dtype=np.int64, count=len(spans))
        return starts[:MAX_WORDS], ends[:MAX_WORDS]
    word_table, no_space_table = _char_classes()
    word, no_space = word_table[points], no_space_table[points]
    # A word starts where a word character follows a non-word character or a
    # no-space character, or is one; likewise for ends.
    split = np.zeros(len(points) + 1, dtype=bool)
    split[1:-1] = ~word[1:] | ~word[:-1] | no_space[1:] | no_space[:-1]
    split[0] = split[-1] = True
    starts = np.flatnonzero(word & split[:-1])
    ends = np.flatnonzero(word & split[1:]) + 1
    return starts[:MAX_WORDS], ends[:MAX_WORDS]


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


def _hashes_of(normal: str, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A 64-bit hash per word span of a normalised text, computed without a Python loop.

    Polynomial hash of each word's code points from prefix sums, shifted back
    to the word's start with the inverse power, then mixed with its length.
    """
    if not len(starts):
        return np.empty(0, dtype=np.uint64)
    points = np.frombuffer(normal.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)[: ends[-1]]
    powers, inverse = _powers(len(points))
    prefix = np.zeros(len(points) + 1, dtype=np.uint64)
    np.cumsum(points.astype(np.uint64) * powers, out=prefix[1:])
    raw = (prefix[ends] - prefix[starts]) * inverse[starts]
    return _mix(raw ^ (ends - starts).astype(np.uint64))


def word_hashes(text: str) -> np.ndarray:
    """A 64-bit hash per normalised word, in text order."""
    normal = normalise(text)
    return _hashes_of(normal, *word_spans(normal))


# Double quotation marks of any language.  Each one toggles between inside
# and outside, which reads “…”, „…“, «…», »…« and "…" alike; single quotes
# are left out (they are apostrophes too often).
QUOTE_MARKS = '"\u201c\u201d\u201e\u201f\u00ab\u00bb\u300c\u300d\u300e\u300f'
PARAGRAPH_ENDS = "\n\r\v\f\x85\u2028\u2029"


@cache
def _mark_kinds() -> np.ndarray:
    """Per BMP code point: 1 for a quotation mark, 2 for a paragraph end, else 0."""
    kinds = np.zeros(0x10000, dtype=np.uint8)
    kinds[[ord(c) for c in QUOTE_MARKS]] = 1
    kinds[[ord(c) for c in PARAGRAPH_ENDS]] = 2
    return kinds


def quoted_words(normal: str, starts: np.ndarray) -> np.ndarray:
    """Whether each word (by start offset) is inside quotation marks.

    A paragraph end closes an open quotation: news style reopens a quotation
    that runs over paragraphs at each one, and a stray mark then cannot turn
    the rest of the text into a quote.
    """
    flags = np.zeros(len(starts), dtype=bool)
    if not len(starts) or not any(mark in normal for mark in QUOTE_MARKS):
        return flags
    points = np.frombuffer(normal.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    kinds = _mark_kinds()[np.minimum(points, 0xFFFF)]
    marks, breaks = np.flatnonzero(kinds == 1), np.flatnonzero(kinds == 2)
    before = np.searchsorted(marks, starts)
    if len(breaks):
        at = np.searchsorted(breaks, starts)
        paragraph = np.where(at > 0, breaks[np.maximum(at - 1, 0)], -1)
        before = before - np.searchsorted(marks, paragraph)
    return before % 2 == 1


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
    """A shingle is quoted when most of its words are."""
    if not len(word_flags):
        return word_flags
    k = min(SHINGLE_WORDS, len(word_flags))
    n = len(word_flags) - k + 1
    inside = np.zeros(len(word_flags) + 1, dtype=np.int64)
    np.cumsum(word_flags, out=inside[1:])
    return (inside[k : k + n] - inside[:n]) * 2 > k


def minhash(shingles: np.ndarray) -> np.ndarray:
    """``BANDS`` minima of independent hash permutations of the shingle set."""
    permuted = _PERM_A[:, None] * shingles[None, :] + _PERM_B[:, None]
    return permuted.min(axis=1)


def band_keys_of(signature: np.ndarray) -> np.ndarray:
    """One key per band, salted by band so equal minima in different bands differ."""
    return _mix(signature ^ _BAND_SALT).view(np.int64)


def anchor_keys(shingles: np.ndarray, quoted: np.ndarray) -> np.ndarray:
    """Keys of the lede anchors: the lede's own shingles chosen by winnowing.

    Of every ``ANCHOR_WINDOW`` consecutive shingles the one with the smallest
    hash is chosen (quoted ones never are).  Chosen by content, so a stretch
    of ``ANCHOR_WINDOW`` own shingles that two ledes share gives both the same
    anchor: an excerpt that keeps the lede has anchors of its long original
    whatever their resemblance.  The earliest ``MAX_ANCHORS`` bound the cost.
    """
    lede = shingles[:LEDE_SHINGLES]
    if len(lede) < ANCHOR_WINDOW:
        return np.empty(0, dtype=np.int64)
    ranked = np.where(quoted[:LEDE_SHINGLES], np.uint64(_MASK64), lede)
    windows = np.lib.stride_tricks.sliding_window_view(ranked, ANCHOR_WINDOW)
    at = np.arange(len(windows)) + windows.argmin(axis=1)
    at = at[ranked[at] != np.uint64(_MASK64)]
    picked = dict.fromkeys(lede[np.unique(at)].tolist())  # in text order, distinct
    chosen = np.fromiter(picked, dtype=np.uint64, count=len(picked))[:MAX_ANCHORS]
    return _mix(chosen ^ _ANCHOR_SALT).view(np.int64)


def exact_key(hashes: np.ndarray) -> int:
    """A signed 64-bit key of the whole normalised word sequence."""
    digest = hashlib.blake2b(hashes.tobytes(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What the index stores for one text: its keys (exact key first) and size."""

    words: int
    band_keys: tuple[int, ...]
    version: int = VERSION

    @property
    def tiny(self) -> bool:
        return self.words < TINY_WORDS


@dataclass(frozen=True, slots=True)
class Sketch:
    """All :func:`similarity` needs of a text, compact enough to keep per document."""

    words: int
    exact: int
    own: frozenset[int]  # distinct low 32 bits of the shingles outside quotation marks
    quoted: frozenset[int]  # ... of those found only inside quotation marks

    @classmethod
    def of(cls, words: int, exact: int, own: np.ndarray, quoted: np.ndarray) -> Sketch:
        """From :meth:`Shingled.split32` arrays."""
        mine = frozenset(own.tolist())
        return cls(words, exact, mine, frozenset(quoted.tolist()) - mine)


class Shingled:
    """A text ready for fingerprinting and comparison; parts computed on first use."""

    def __init__(self, text: str):
        self.text = text

    @cached_property
    def normal(self) -> str:
        return normalise(self.text)

    @cached_property
    def _spans(self) -> tuple[np.ndarray, np.ndarray]:
        return word_spans(self.normal)

    @cached_property
    def hashes(self) -> np.ndarray:
        return _hashes_of(self.normal, *self._spans)

    @property
    def words(self) -> int:
        return len(self.hashes)

    @property
    def tiny(self) -> bool:
        return self.words < TINY_WORDS

    @cached_property
    def shingles(self) -> np.ndarray:
        return shingle_hashes(self.hashes)

    @cached_property
    def quoted_flags(self) -> np.ndarray:
        """Per shingle: inside quotation marks."""
        return quoted_shingles(quoted_words(self.normal, self._spans[0]))

    @cached_property
    def low32(self) -> np.ndarray:
        """Low 32 bits of each shingle hash, in text order: what comparisons use."""
        return (self.shingles & np.uint64(0xFFFFFFFF)).astype(np.uint32)

    def split32(self) -> tuple[np.ndarray, np.ndarray]:
        """(own, quoted) 32-bit shingles, repeats included, for a spool file."""
        flags = self.quoted_flags
        if not flags.any():
            return self.low32, self.low32[:0]
        return self.low32[~flags], self.low32[flags]

    @cached_property
    def own(self) -> frozenset[int]:
        """Distinct 32-bit shingles outside quotation marks."""
        return frozenset(self.split32()[0].tolist())

    @cached_property
    def quoted(self) -> frozenset[int]:
        """Distinct 32-bit shingles found only inside quotation marks."""
        inside = self.split32()[1]
        return frozenset(inside.tolist()) - self.own if len(inside) else frozenset()

    @cached_property
    def exact(self) -> int:
        return exact_key(self.hashes)

    @cached_property
    def order_key(self) -> int:
        """A signed 64-bit key of everything matching looks at (words and quotation marks).

        Texts with equal keys have equal fingerprints and sketches, so
        sorting by it gives an order that does not depend on input order.
        """
        content = self.hashes.tobytes() + np.packbits(self.quoted_flags).tobytes()
        digest = hashlib.blake2b(content, digest_size=8, person=b"order").digest()
        return int.from_bytes(digest, "big", signed=True)

    def sketch(self) -> Sketch:
        return Sketch(self.words, self.exact, self.own, self.quoted)

    def fingerprint(self) -> Fingerprint:
        """Keys: the exact key always; bands and anchors unless the text is tiny or empty."""
        if not self.words:
            return Fingerprint(words=0, band_keys=())
        keys = [self.exact]
        if not self.tiny:
            keys.extend(band_keys_of(minhash(self.shingles)).tolist())
            keys.extend(anchor_keys(self.shingles, self.quoted_flags).tolist())
        return Fingerprint(words=self.words, band_keys=tuple(keys))


def fingerprint(text: str) -> Fingerprint:
    return Shingled(text).fingerprint()


def _contained(a: Shingled | Sketch, b: Shingled | Sketch) -> float:
    """Weighted share of ``a``'s distinct shingles found in ``b``."""
    own = len(a.own & b.own) + (len(a.own & b.quoted) if b.quoted else 0)
    if not a.quoted:
        return own / len(a.own)
    quoted = len(a.quoted & b.own) + len(a.quoted & b.quoted)
    return (own + QUOTE_WEIGHT * quoted) / (len(a.own) + QUOTE_WEIGHT * len(a.quoted))


def similarity(a: Shingled | Sketch, b: Shingled | Sketch) -> float:
    """Containment of the shorter text in the longer, 0..1.

    The share of the shorter text's distinct shingles found anywhere in the
    longer one, quoted shingles weighing ``QUOTE_WEIGHT``.  Symmetric, so
    the order texts arrive in never matters.  Tiny texts are 1.0 only when
    identical; an empty text is never similar to anything, not even another
    empty text.
    """
    if not a.words or not b.words:
        return 0.0
    if a.words < TINY_WORDS or b.words < TINY_WORDS:
        return 1.0 if a.exact == b.exact else 0.0
    size_a, size_b = len(a.own) + len(a.quoted), len(b.own) + len(b.quoted)
    if size_a != size_b:
        return _contained(a, b) if size_a < size_b else _contained(b, a)
    return max(_contained(a, b), _contained(b, a))


def resemblance(a: Shingled | Sketch, b: Shingled | Sketch) -> float:
    """Jaccard resemblance of the two shingle sets (reported beside containment)."""
    sa, sb = a.own | a.quoted, b.own | b.quoted
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def is_copy(a: Shingled | Sketch, b: Shingled | Sketch) -> bool:
    return similarity(a, b) >= COPY_THRESHOLD
