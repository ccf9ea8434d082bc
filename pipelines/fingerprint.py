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
import zlib
from dataclasses import dataclass
from functools import cached_property

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


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, vectorised: spreads every input bit over the output."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def words(text: str) -> list[str]:
    """Normalised words: NFKC, case-folded, punctuation dropped, any script.

    Characters of scripts without word spaces (CJK, Thai, ...) count as one
    word each.  Only the first ``MAX_CHARS`` / ``MAX_WORDS`` are used.
    """
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).casefold()
    pattern = _WORD_OR_CHAR if _HAS_NO_SPACE.search(text) else _WORD
    return pattern.findall(text)[:MAX_WORDS]


def shingle_hashes(tokens: list[str]) -> np.ndarray:
    """64-bit hashes of every run of ``SHINGLE_WORDS`` words, in text order."""
    if not tokens:
        return np.empty(0, dtype=np.uint64)
    h = np.fromiter(
        (zlib.crc32(t.encode("utf-8")) for t in tokens), dtype=np.uint64, count=len(tokens)
    )
    k = min(SHINGLE_WORDS, len(h))
    n = len(h) - k + 1
    combined = np.zeros(n, dtype=np.uint64)
    for j in range(k):
        combined += h[j : j + n] * _SHINGLE_MULT[j]
    return _mix(combined)


def minhash(shingles: np.ndarray) -> np.ndarray:
    """``BANDS`` minima of independent hash permutations of the shingle set."""
    permuted = _PERM_A[:, None] * shingles[None, :] + _PERM_B[:, None]
    return permuted.min(axis=1)


def band_keys_of(signature: np.ndarray) -> np.ndarray:
    """One key per band, salted by band so equal minima in different bands differ."""
    return _mix(signature ^ _BAND_SALT).view(np.int64)


def exact_key(tokens: list[str]) -> int:
    """A signed 64-bit key of the whole normalised word sequence."""
    digest = hashlib.blake2b("\x1f".join(tokens).encode("utf-8"), digest_size=8).digest()
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


class Shingled:
    """A text ready for the exact comparison: its words and shingle hashes."""

    def __init__(self, text: str):
        self.tokens = words(text)

    @property
    def words(self) -> int:
        return len(self.tokens)

    @property
    def tiny(self) -> bool:
        return len(self.tokens) < TINY_WORDS

    @cached_property
    def shingles(self) -> np.ndarray:
        return shingle_hashes(self.tokens)

    @cached_property
    def shingle_list(self) -> list[int]:
        return self.shingles.tolist()

    @cached_property
    def exact(self) -> int:
        return exact_key(self.tokens)

    def fingerprint(self) -> Fingerprint:
        """Band keys: the exact key always, MinHash bands unless the text is tiny or empty."""
        if not self.tokens:
            return Fingerprint(words=0, band_keys=())
        keys = [self.exact]
        if not self.tiny:
            keys.extend(band_keys_of(minhash(self.shingles)).tolist())
        return Fingerprint(words=len(self.tokens), band_keys=tuple(keys))


def fingerprint(text: str) -> Fingerprint:
    return Shingled(text).fingerprint()


def similarity(a: Shingled, b: Shingled) -> float:
    """Containment of the shorter text in the longer, 0..1.

    The share of the shorter text's shingles that occur in the same order in
    the longer one.  Tiny texts are 1.0 only when identical; an empty text
    is never similar to anything, not even another empty text.
    """
    if not a.tokens or not b.tokens:
        return 0.0
    if a.tiny or b.tiny:
        return 1.0 if a.exact == b.exact else 0.0
    shorter = min(len(a.shingle_list), len(b.shingle_list))
    return LCSseq.similarity(a.shingle_list, b.shingle_list) / shorter


def resemblance(a: Shingled, b: Shingled) -> float:
    """Jaccard resemblance of the two shingle sets (reported beside containment)."""
    sa, sb = set(a.shingle_list), set(b.shingle_list)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def is_copy(a: Shingled, b: Shingled) -> bool:
    return similarity(a, b) >= COPY_THRESHOLD
