"""Matching stories against many subscriptions at once, through spelling variants.

Names reach the news transliterated many ways (Mansur/Mansour,
Qaddafi/Gaddafi/Kadhafi, Zelensky/Zelenskyy/Zelenskiy). A query word matches
a story word when, after folding case and diacritics:

1. they are equal; or
2. (both at least ``MIN_VARIANT_LENGTH`` letters) their transliteration
   *skeletons* are equal — digraphs and doubled letters reduced, ou/oo→u,
   y→i, q→k, kh→k… (:func:`skeleton`); or
3. (skeletons of at least ``MIN_FUZZY_LENGTH`` letters) with letters that
   transliterations swap merged into sound classes (G/K/Q/C, D/T, B/P, S/Z,
   V/W/F, I/J/Y — Gathafi/Kadafi), rapidfuzz's ratio of the rest after the
   first letter reaches the threshold, the lengths differ by at most one, and
   the first and last classes are the same. The same last letter keeps
   "Zelenska" (his wife) from matching "Zelensky" and "Mansura" from
   "Mansur"; the threshold (85) allows no vowel change in a six-letter name,
   so "Mansur" does not match every word one edit away (Manser, Mensur).
   From seven letters on, one inner vowel may differ (Mohammed/Mohammad).

Words with digits (keyword42, G7) only ever match exactly.

``=word`` and exact-only subscriptions use rule 1 alone; ``prefix*`` words
match folded words starting with the prefix.

Subscriptions are compiled once into inverted indexes (folded word, skeleton,
fuzzy buckets keyed by length/first/last class, prefixes, filters), so
a story costs a lookup per distinct word, not a scan of every subscription.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rapidfuzz import fuzz, process

from wirewatch.pipelines.alerts.query import (
    And,
    Filter,
    Leaf,
    Node,
    Not,
    Or,
    Phrase,
    Word,
    evaluate,
)
from wirewatch.pipelines.alerts.text import Token, fold, tokenize

DEFAULT_THRESHOLD = 85.0
MIN_VARIANT_LENGTH = 5  # shorter words (gold, Tyre, curt) only match exactly
MIN_FUZZY_LENGTH = 6
MAX_TEXT_CHARS = 200_000  # matching reads this much of a huge story's body
WORD_CACHE_SIZE = 200_000
LONG_NAME = 7  # from this length one inner vowel may differ
_VOWELS = frozenset("aeiou")
# process.extract pre-filters fuzzy candidates at this score; _fuzzy_ok decides.
_CANDIDATE_CUTOFF = 70.0

_SKELETON_RULES = [
    (re.compile(p), r)
    for p, r in [
        (r"tsch", "ch"),
        (r"sch", "sh"),
        (r"tch", "ch"),
        (r"dzh|dj|zh", "j"),
        (r"kh", "k"),
        (r"gh", "g"),
        (r"dh", "d"),
        (r"th", "t"),
        (r"ph", "f"),
        (r"ck", "k"),
        (r"q", "k"),
        (r"x", "ks"),
        (r"w", "v"),
        (r"ou|oo", "u"),
        (r"y", "i"),
        (r"(?<=.)j", "i"),  # Zelenskij, Aleksej; an initial J stays
        (r"(.)\1+", r"\1"),
        (r"(?<=.{4}[^aeiou])e$", ""),  # a silent final e: Prigojine, Poutine
    ]
]
# Letters transliteration systems swap for one another (G/K/Q, voiced/voiceless
# pairs, S/Z, V/W/F, I/J/Y): the fuzzy comparison sees them as one.
_SOUND_CLASS = str.maketrans({"g": "k", "q": "k", "c": "k", "d": "t", "b": "p", "z": "s",
                              "w": "v", "f": "v", "j": "i", "y": "i"})  # fmt: skip


@lru_cache(maxsize=WORD_CACHE_SIZE)
def skeleton(word: str) -> str:
    """Spelling-insensitive key of a folded Latin word; other scripts are returned as they are."""
    if not word.isascii() or not word.isalpha():
        return word
    for pattern, replacement in _SKELETON_RULES:
        word = pattern.sub(replacement, word)
    return word


def sound_classes(skel: str) -> str:
    """The skeleton with interchangeable letters merged (what the fuzzy step compares)."""
    return skel.translate(_SOUND_CLASS)


def _fuzzy_key(classes: str) -> tuple[int, str, str]:
    return len(classes), classes[0], classes[-1]


def _fuzzy_ok(term_skel: str, word_skel: str, threshold: float) -> bool:
    a, b = sound_classes(term_skel), sound_classes(word_skel)
    if min(len(a), len(b)) < MIN_FUZZY_LENGTH or abs(len(a) - len(b)) > 1:
        return False
    if a[0] != b[0] or a[-1] != b[-1]:
        return False
    if threshold < 100 and _one_inner_vowel_apart(a, b):
        return True
    return fuzz.ratio(a[1:], b[1:]) >= threshold


def _one_inner_vowel_apart(a: str, b: str) -> bool:
    """Long names differing in one inner vowel only (Mohammed/Mohammad, Gorbachev/Gorbachov).

    Vowels are the least stable letters across transliterations (Arabic does not
    write short ones); six-letter names are excluded so Mansur/Mensur stay apart.
    """
    if len(a) != len(b) or len(a) < LONG_NAME:
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return len(diff) == 1 and a[diff[0]] in _VOWELS and b[diff[0]] in _VOWELS


def is_variant(term: str, word: str, threshold: float = DEFAULT_THRESHOLD) -> bool:
    """Whether story word ``word`` counts as a spelling of query word ``term``."""
    term, word = fold(term), fold(word)
    if term == word:
        return True
    if min(len(term), len(word)) < MIN_VARIANT_LENGTH or not (term.isalpha() and word.isalpha()):
        return False
    ts, ws = skeleton(term), skeleton(word)
    if ts == ws:
        return True
    return _fuzzy_ok(ts, ws, threshold)


def exact_only(tree: Node) -> Node:
    """The same query with every word and phrase made exact (no spelling variants)."""
    if isinstance(tree, And | Or):
        return type(tree)(tuple(exact_only(c) for c in tree.children))
    if isinstance(tree, Not):
        return Not(exact_only(tree.child))
    if isinstance(tree, Word | Phrase):
        return replace(tree, exact=True)
    return tree


def positive_leaves(tree: Node, negated: bool = False) -> Iterable[Leaf]:
    """Leaves whose presence can make the query match (under an even number of NOTs)."""
    if isinstance(tree, And | Or):
        for child in tree.children:
            yield from positive_leaves(child, negated)
    elif isinstance(tree, Not):
        yield from positive_leaves(tree.child, not negated)
    elif not negated:
        yield tree


# --- the story side -----------------------------------------------------------------------


@dataclass(frozen=True)
class StoryDoc:
    """What a query is matched against: the canonical copy's text and the story's attributes."""

    title: str
    text: str
    sources: frozenset[str] = frozenset()  # source names and outlet hosts, folded
    language: str | None = None
    paywalled: bool = False  # the canonical copy was marked for subscribers


def source_keys(*names: str | None) -> frozenset[str]:
    """Values ``source:`` accepts for these sources and outlets ('tass.com' → also 'tass')."""
    keys: set[str] = set()
    for name in names:
        if not name:
            continue
        value = fold(name.strip())
        value = value.removeprefix("www.")
        keys.add(value)
        if "." in value:
            keys.add(value.split(".")[0])
    return frozenset(keys)


@dataclass
class _Analysed:
    stream: list[str | None]  # folded title words, a None separator, folded body words
    tokens: list[Token | None]
    title_end: int


def _analyse(doc: StoryDoc) -> _Analysed:
    title = tokenize(doc.title or "")
    body = tokenize((doc.text or "")[:MAX_TEXT_CHARS])
    tokens: list[Token | None] = [*title, None, *body]
    return _Analysed([t.folded if t else None for t in tokens], tokens, len(title))


# --- the index ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    subscription_id: int
    terms: tuple[str, ...]  # the story's words that made it match, as written there


@dataclass
class _Spec:
    """One distinct (word, exact, prefix) used by some query."""

    word: str
    exact: bool
    prefix: bool


@dataclass
class _Compiled:
    subscription_id: int
    tree: Node
    positive: list[Leaf] = field(default_factory=list)


class Matcher:
    """All active subscriptions, indexed for matching one story at a time."""

    def __init__(
        self,
        subscriptions: Iterable[tuple[int, Node]],
        *,
        threshold: float = DEFAULT_THRESHOLD,
    ):
        self.threshold = threshold
        self._specs: list[_Spec] = []
        self._spec_ids: dict[tuple[str, bool, bool], int] = {}
        self._by_word: dict[str, list[int]] = defaultdict(list)
        self._by_skeleton: dict[str, list[int]] = defaultdict(list)
        self._fuzzy: dict[tuple[int, str, str], dict[str, list[int]]] = defaultdict(dict)
        self._prefixes: dict[str, list[int]] = defaultdict(list)
        self._leaf_specs: dict[Leaf, tuple[int, ...]] = {}
        self._leaf_subs: dict[Leaf, list[int]] = defaultdict(list)
        self._spec_leaves: dict[int, list[Leaf]] = defaultdict(list)
        self._filters: dict[tuple[str, str], list[Leaf]] = defaultdict(list)
        self._subs: list[_Compiled] = []
        self._word_cache: dict[str, tuple[int, ...]] = {}
        for subscription_id, tree in subscriptions:
            self._add(subscription_id, tree)
        self._fuzzy_choices = {
            key: {classes: classes[1:] for classes in bucket} for key, bucket in self._fuzzy.items()
        }

    def __len__(self) -> int:
        return len(self._subs)

    # building

    def _spec(self, word: str, exact: bool, prefix: bool) -> int:
        key = (word, exact, prefix)
        found = self._spec_ids.get(key)
        if found is not None:
            return found
        spec_id = len(self._specs)
        self._specs.append(_Spec(word, exact, prefix))
        self._spec_ids[key] = spec_id
        if prefix:
            self._prefixes[word[:3]].append(spec_id)
        else:
            self._by_word[word].append(spec_id)
            if not exact and len(word) >= MIN_VARIANT_LENGTH and word.isalpha():
                skel = skeleton(word)
                self._by_skeleton[skel].append(spec_id)
                if len(skel) >= MIN_FUZZY_LENGTH:
                    classes = sound_classes(skel)
                    self._fuzzy[_fuzzy_key(classes)].setdefault(classes, []).append(spec_id)
        return spec_id

    def _add(self, subscription_id: int, tree: Node) -> None:
        index = len(self._subs)
        compiled = _Compiled(subscription_id, tree, list(positive_leaves(tree)))
        self._subs.append(compiled)
        for leaf in set(_all_leaves(tree)):
            self._leaf_subs[leaf].append(index)
            if isinstance(leaf, Filter):
                self._filters[(leaf.field, leaf.value)].append(leaf)
                continue
            if leaf in self._leaf_specs:
                continue
            if isinstance(leaf, Word):
                specs: tuple[int, ...] = (self._spec(leaf.text, leaf.exact, leaf.prefix),)
            else:
                specs = tuple(self._spec(w, leaf.exact, False) for w in leaf.words)
            self._leaf_specs[leaf] = specs
            for spec_id in set(specs):
                self._spec_leaves[spec_id].append(leaf)

    # matching

    def _specs_for(self, word: str) -> tuple[int, ...]:
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        found: set[int] = set(self._by_word.get(word, ()))
        if len(word) >= MIN_VARIANT_LENGTH and word.isalpha():
            skel = skeleton(word)
            found.update(self._by_skeleton.get(skel, ()))
            if len(skel) >= MIN_FUZZY_LENGTH:
                classes = sound_classes(skel)
                length, first, last = _fuzzy_key(classes)
                for size in (length - 1, length, length + 1):
                    bucket = self._fuzzy.get((size, first, last))
                    if not bucket:
                        continue
                    # A bucket shares length, first and last class: ratio the rest.
                    for _rest, _score, key in process.extract(
                        classes[1:],
                        self._fuzzy_choices[(size, first, last)],
                        scorer=fuzz.ratio,
                        score_cutoff=min(self.threshold, _CANDIDATE_CUTOFF),
                        limit=None,
                    ):
                        if _fuzzy_ok(classes, key, self.threshold):
                            found.update(bucket[key])
        for spec_id in self._prefixes.get(word[:3], ()):
            if word.startswith(self._specs[spec_id].word):
                found.add(spec_id)
        result = tuple(sorted(found))
        if len(self._word_cache) >= WORD_CACHE_SIZE:
            self._word_cache.clear()
        self._word_cache[word] = result
        return result

    def match(self, doc: StoryDoc) -> list[Match]:
        """Subscriptions whose query matches ``doc``, with the words that matched."""
        analysed = _analyse(doc)
        specs_of: dict[str | None, tuple[int, ...]] = {}
        for word in set(analysed.stream):
            if word is not None and (found_specs := self._specs_for(word)):
                specs_of[word] = found_specs
        positions: dict[int, list[int]] = defaultdict(list)
        for i, word in enumerate(analysed.stream):
            for spec_id in specs_of.get(word, ()):
                positions[spec_id].append(i)

        hits: dict[Leaf, list[int]] = {}
        candidate_leaves = {leaf for s in positions for leaf in self._spec_leaves[s]}
        for leaf in candidate_leaves:
            found = _leaf_positions(leaf, self._leaf_specs[leaf], positions, analysed.title_end)
            if found:
                hits[leaf] = found
        for source in doc.sources:
            for leaf in self._filters.get(("source", source), ()):
                hits[leaf] = []
        if doc.language:
            language = fold(doc.language).split("-")[0].split("_")[0]
            for leaf in self._filters.get(("lang", language), ()):
                hits[leaf] = []
        for leaf in self._filters.get(("paywalled", "true" if doc.paywalled else "false"), ()):
            hits[leaf] = []

        candidates = sorted({i for leaf in hits for i in self._leaf_subs[leaf]})
        matches = []
        for index in candidates:
            compiled = self._subs[index]
            if not evaluate(compiled.tree, hits.keys()):
                continue
            used = sorted({p for leaf in compiled.positive for p in hits.get(leaf, ())})
            terms = dict.fromkeys(
                _surface(doc, analysed.tokens[p], p < analysed.title_end) for p in used
            )
            matches.append(Match(compiled.subscription_id, tuple(terms)))
        return matches


def _all_leaves(tree: Node) -> Iterable[Leaf]:
    if isinstance(tree, And | Or):
        for child in tree.children:
            yield from _all_leaves(child)
    elif isinstance(tree, Not):
        yield from _all_leaves(tree.child)
    else:
        yield tree


def _leaf_positions(
    leaf: Leaf, specs: tuple[int, ...], positions: dict[int, list[int]], title_end: int
) -> list[int]:
    """Stream positions of the words that make ``leaf`` match (empty when it does not)."""
    limit = title_end if getattr(leaf, "field", None) == "title" else None
    if len(specs) == 1 and isinstance(leaf, Word):
        found = positions.get(specs[0], [])
        return [p for p in found if limit is None or p < limit]
    sets = [set(positions.get(s, ())) for s in specs]
    result: list[int] = []
    for start in sorted(sets[0]):
        if limit is not None and start + len(specs) > limit:
            break
        if all(start + k in sets[k] for k in range(1, len(specs))):
            result.extend(range(start, start + len(specs)))
    return result


def _surface(doc: StoryDoc, token: Token | None, in_title: bool) -> str:
    assert token is not None
    source = doc.title if in_title else doc.text
    return source[token.start : token.end]
