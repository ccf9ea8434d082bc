"""Text fingerprints for finding syndicated copies: pure functions, no I/O.

normalised text -> words -> 5-word shingles (64-bit hashes) -> MinHash
signature -> LSH band keys.  Band keys only *find* candidates; whether two
texts are copies is decided by :func:`similarity` on their shingles: the share
of the shorter text's shingles found, in order, in the longer one
(containment, computed with rapidfuzz's LCS).  Containment rather than
resemblance, so a copy trimmed to its first paragraphs still matches its
full original, while a shared quote or boilerplate paragraph -- a small part
of either text -- does not make two articles one.

Bands are single MinHash rows: two texts become candidates when any of their
``BANDS`` minima agree, with probability 1 - (1 - J)^BANDS for resemblance J.
A copy trimmed to a third of its original (J ~ 0.3) is found with
probability ~0.998; the exact check then throws out the unrelated texts that
share a common phrase.

Every constant here is part of the stored index: changing one means bumping
``VERSION`` and re-fingerprinting stored articles.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
from rapidfuzz.distance import LCSseq

VERSION = 1
SHINGLE_WORDS = 5
BANDS = 18
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
_CHAR_BASE = np.uint64(int(_constants(0x5EED_0005, 1)[0]) | 1)
_CHAR_BASE_INVERSE = np.uint64(pow(int(_CHAR_BASE), -1, 1 << 64))


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised: spreads every input bit over the output."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def normalise(text: str) -> str:
    """NFKC and case-folded, cut to ``MAX_CHARS``: the text words are taken from."""
    text = text[:MAX_CHARS]
    if text.isascii():
        return text.lower()
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.casefold()


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


def word_hashes(text: str) -> np.ndarray:
    """A 64-bit hash per normalised word, in text order, computed without a Python loop.

    Polynomial hash of each word's code points from prefix sums, shifted back
    to the word's start with the inverse power, then mixed with its length.
    """
    normal = normalise(text)
    starts, ends = word_spans(normal)
    if not len(starts):
        return np.empty(0, dtype=np.uint64)
    points = np.frombuffer(normal.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)[: ends[-1]]
    powers, inverse = _powers(len(points))
    prefix = np.zeros(len(points) + 1, dtype=np.uint64)
    np.cumsum(points.astype(np.uint64) * powers, out=prefix[1:])
    raw = (prefix[ends] - prefix[starts]) * inverse[starts]
    return _mix(raw ^ (ends - starts).astype(np.uint64))


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


def minhash(shingles: np.ndarray) -> np.ndarray:
    """``BANDS`` minima of independent hash permutations of the shingle set."""
    permuted = _PERM_A[:, None] * shingles[None, :] + _PERM_B[:, None]
    return permuted.min(axis=1)


def band_keys_of(signature: np.ndarray) -> np.ndarray:
    """One key per band, salted by band so equal minima in different bands differ."""
    return _mix(signature ^ _BAND_SALT).view(np.int64)


def exact_key(hashes: np.ndarray) -> int:
    """A signed 64-bit key of the whole normalised word sequence."""
    digest = hashlib.blake2b(hashes.tobytes(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What the index stores for one text: its band keys (exact key first) and size."""

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
    shingle_list: list[int]  # low 32 bits of each shingle hash, in text order


class Shingled:
    """A text ready for fingerprinting and comparison; parts computed on first use."""

    def __init__(self, text: str):
        self.text = text

    @cached_property
    def hashes(self) -> np.ndarray:
        return word_hashes(self.text)

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
    def shingles32(self) -> np.ndarray:
        return (self.shingles & np.uint64(0xFFFFFFFF)).astype(np.uint32)

    @cached_property
    def shingle_list(self) -> list[int]:
        return self.shingles32.tolist()

    @cached_property
    def exact(self) -> int:
        return exact_key(self.hashes)

    def fingerprint(self) -> Fingerprint:
        """Band keys: the exact key always, MinHash bands unless the text is tiny or empty."""
        if not self.words:
            return Fingerprint(words=0, band_keys=())
        keys = [self.exact]
        if not self.tiny:
            keys.extend(band_keys_of(minhash(self.shingles)).tolist())
        return Fingerprint(words=self.words, band_keys=tuple(keys))


def fingerprint(text: str) -> Fingerprint:
    return Shingled(text).fingerprint()


def similarity(a: Shingled | Sketch, b: Shingled | Sketch) -> float:
    """Containment of the shorter text in the longer, 0..1.

    The share of the shorter text's shingles that occur in the same order in
    the longer one.  Tiny texts are 1.0 only when identical; an empty text
    is never similar to anything, not even another empty text.
    """
    if not a.words or not b.words:
        return 0.0
    if a.words < TINY_WORDS or b.words < TINY_WORDS:
        return 1.0 if a.exact == b.exact else 0.0
    shorter = min(len(a.shingle_list), len(b.shingle_list))
    return LCSseq.similarity(a.shingle_list, b.shingle_list) / shorter


def resemblance(a: Shingled | Sketch, b: Shingled | Sketch) -> float:
    """Jaccard resemblance of the two shingle sets (reported beside containment)."""
    sa, sb = set(a.shingle_list), set(b.shingle_list)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def is_copy(a: Shingled | Sketch, b: Shingled | Sketch) -> bool:
    return similarity(a, b) >= COPY_THRESHOLD
