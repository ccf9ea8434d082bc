"""Syndication dedupe: accuracy on labelled sets, order independence, and cost at scale.

(a) Accuracy.  Two labelled sets built here from the real pages in
``../shared/fixtures/real/`` (their hand-checked bodies) and the seed pair in
``../shared/seeds/``:

* the *issue-4 set*: every real article plus syndicated variants generated
  from it (trimmed to a third / a half, new headline line, dateline and
  byline changed, paragraph inserted and dropped, outlet boilerplate around,
  typos, a quote lifted from another article) -- one cluster per article --
  and hard negatives: different articles from one site carrying the same
  site boilerplate, articles sharing a quote, the seed pair (two reports of
  one event quoting the same spokesman);
* the *extended set* (issue 20), each hard kind: HTML entities and markup
  left in a copy, reordered paragraphs, short copies half made of a long
  quotation from another story (hard negatives), and, for every second long
  article, an *excerpt family* with nothing to bridge it: a 170-word excerpt,
  three trimmed copies, a copy that rewrote the top, an escaped excerpt, and
  the original arriving after all of them (a late original).  Documents
  arrive shuffled.
* the *held-out set*: copies made by edits neither set makes and the rules
  were not tuned on, with random sizes (excerpts of 110-320 words under 0-60
  words of page furniture, ledes dropped, a new top over the tail, every
  third sentence dropped, excerpts with 5% typos, photo captions between
  CRLF paragraphs), and hard negatives: 80-word excerpts of different
  articles under the same ~100 words of furniture (more furniture than text).

Prints pairwise precision, recall, F1, adjusted Rand index, recall per
variant kind, whether the seed pair merged, and the ARI between the
partitions of five random orders of the extended set.

(b) Scale.  Synthetic newsrooms (Zipf vocabulary; 40% of documents are
edited copies of an earlier story).  ``wirewatch dedupe`` is run as a
subprocess on ``--sizes`` documents: wall time, documents per second, ms per
document and peak memory (largest process, RSS).  ``orders`` runs it on the
same ``--size`` documents (the extended set plus synthetic ones) in
``--runs`` random orders and prints the ARI between every two partitions.
The PostgreSQL path is measured at ``--db-sizes`` stored articles: the
archive is bulk-loaded (COPY, stories from the batch clustering), then
``--probe`` new articles go through ``store_article`` (upsert + story
assignment, one transaction each) and their ms per article is printed -- the
marginal cost at that archive size -- with the CPU of each assignment (this
thread's and its server backend's, which a busy machine does not inflate as
it does wall time) and the medians of new stories and of joins.  The story
lookup (key locks, candidates) is sent with the upsert, in its round trip: the
assignment's figures leave it out, store_article's include it.  A kept
archive (``--keep``) is probed again with ``--database``: interleave the
checkouts' runs on archives of the same size for a before/after.
``--without-search-indexes`` loads large archives much faster.
``--fingerprinted`` gives each probe the fingerprint (keys and sketch) an
extraction worker computes in a crawl, off the storing thread: assign then
shingles no text at all, as on a crawl's storing thread.

    .venv/bin/python benchmarks/dedupe.py accuracy
    .venv/bin/python benchmarks/dedupe.py orders --size 10000 --runs 5
    .venv/bin/python benchmarks/dedupe.py batch --sizes 10000,100000,1000000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/dedupe.py db --db-sizes 10000,100000

``WIREWATCH_CODE=DIR`` measures the wirewatch code of another checkout (for
instance ``git worktree add /tmp/dedupe-base HEAD`` before a change) on the
same sets and corpora.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from math import comb
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# The code measured: this checkout, or another one (the "before" of a change).
CODE = Path(os.environ.get("WIREWATCH_CODE") or ROOT).resolve()
sys.path.insert(0, str(CODE))

from bulk_load import build_indexes, drop_secondary_indexes  # noqa: E402

from wirewatch.pipelines.clustering import cluster  # noqa: E402
from wirewatch.pipelines.fingerprint import Shingled, fingerprint, similarity  # noqa: E402

SHARED = ROOT.parent / "shared"

# --- metrics ------------------------------------------------------------------------------


def pair_counts(truth: list[str], predicted: list[int]) -> tuple[int, int, int]:
    """(true positive, predicted, actual) same-cluster pairs, from a contingency table."""
    joint = Counter(zip(truth, predicted, strict=True))
    tp = sum(comb(n, 2) for n in joint.values())
    pred = sum(comb(n, 2) for n in Counter(predicted).values())
    actual = sum(comb(n, 2) for n in Counter(truth).values())
    return tp, pred, actual


def adjusted_rand_index(truth: list[str], predicted: list[int]) -> float:
    tp, pred, actual = pair_counts(truth, predicted)
    total = comb(len(truth), 2)
    expected = pred * actual / total if total else 0.0
    maximum = (pred + actual) / 2
    return 1.0 if maximum == expected else (tp - expected) / (maximum - expected)


# --- (a) labelled set ---------------------------------------------------------------------

OUTLET_BOILERPLATE = [
    (
        "Skip to main content. Menu. Search. Sign in. Subscribe to the Morning Briefing.",
        "Sign up for our newsletter to get the day's top stories in your inbox. Follow us on "
        "social media. Copyright 2026 Riverside Daily Media Group. All rights reserved. "
        "Terms of use. Privacy policy. Cookie settings. Contact the newsroom.",
    ),
    (
        "Advertisement. Most read. Trending now: weather, traffic, local sports.",
        "Support independent journalism: become a member today for less than a coffee a "
        "week. Comments are closed on this article. Reporting by our national desk. "
        "Related stories. More from this section. Back to top.",
    ),
]
BYLINES = ["With reporting by staff writers.", "Additional reporting by our correspondents."]
EDITOR_NOTES = [
    "Editor's note: This story has been updated with comment from local officials.",
    "This article was amended to correct the spelling of a name.",
]
DATELINES = ["LONDON —", "NEW YORK (Wire) —", "PARIS, March 2 —", "SINGAPORE:"]


def real_articles() -> list[tuple[str, str, str]]:
    """(outlet, title, body) of every real page with a body of 80+ words."""
    manifest = json.loads((SHARED / "fixtures/real/manifest.json").read_text("utf-8"))
    found = []
    for page in manifest["pages"]:
        truth = json.loads((SHARED / "fixtures/real" / page["ground_truth"]).read_text("utf-8"))
        body = truth.get("body") or ""
        if len(body.split()) >= 80:
            found.append((page["outlet"], truth.get("title") or "", body))
    return found


def paragraphs(text: str) -> list[str]:
    paras = [p.strip() for p in text.split("\n") if p.strip()]
    if len(paras) < 3:  # one long paragraph: cut it into sentences-ish blocks
        words = text.split()
        paras = [" ".join(words[i : i + 40]) for i in range(0, len(words), 40)]
    return paras


def leading(paras: list[str], share: float) -> list[str]:
    """The first paragraphs holding ``share`` of the words, as outlets trim."""
    total = sum(len(p.split()) for p in paras)
    kept, words = [], 0
    for para in paras:
        if words >= share * total:
            break
        kept.append(para)
        words += len(para.split())
    return kept


def typos(text: str, rng: random.Random, rate: float = 0.03) -> str:
    words = text.split(" ")
    for i in rng.sample(range(len(words)), int(len(words) * rate)):
        w = words[i]
        if len(w) > 3:
            j = rng.randrange(len(w) - 1)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def variants(body: str, title: str, rng: random.Random, other: str) -> Iterator[tuple[str, str]]:
    """(kind, text) of syndicated copies of ``body``; ``other`` lends a quote."""
    paras = paragraphs(body)
    n = len(paras)
    head, foot = rng.choice(OUTLET_BOILERPLATE)
    yield "trim_third", "\n\n".join(leading(paras, 1 / 3))
    yield (
        "trim_half_new_headline",
        "\n\n".join([f"{title.upper()} — LATEST", *leading(paras, 1 / 2)]),
    )
    first = paras[0].split("—", 1)[-1].strip()
    yield (
        "dateline_byline",
        "\n\n".join([f"{rng.choice(DATELINES)} {first}", *paras[1:], rng.choice(BYLINES)]),
    )
    if n >= 4:
        drop = rng.randrange(1, n)
        kept = [p for i, p in enumerate(paras) if i != drop]
        kept.insert(rng.randrange(1, len(kept)), rng.choice(EDITOR_NOTES))
        yield "insert_and_drop", "\n\n".join(kept)
    yield "boilerplate_around", "\n\n".join([head, *paras, foot])
    yield "typos", typos("\n\n".join(paras), rng)
    quote = " ".join(paragraphs(other)[1].split()[:30])
    yield (
        "quote_from_other",
        "\n\n".join([*paras[:2], f'"{quote}," the statement said.', *paras[2:]]),
    )


def labelled_set(seed: int = 7) -> tuple[list[str], list[str], list[str]]:
    """(texts, true cluster, variant kind) of the labelled set."""
    rng = random.Random(seed)
    articles = real_articles()
    texts, truth, kinds = [], [], []
    for n, (outlet, title, body) in enumerate(articles):
        cluster_name = f"real-{n}"
        texts.append(body)
        truth.append(cluster_name)
        kinds.append("original")
        other = articles[(n + 1) % len(articles)][2]
        for kind, text in variants(body, title, rng, other):
            texts.append(text)
            truth.append(cluster_name)
            kinds.append(kind)
        # A short copy inside its site's boilerplate; every article of one
        # site gets the same boilerplate, the hard negative across them.
        head, foot = OUTLET_BOILERPLATE[zlib.crc32(outlet.encode()) % 2]
        texts.append("\n\n".join([head, *paragraphs(body)[:3], foot]))
        truth.append(cluster_name)
        kinds.append("short_in_site_boilerplate")
    for path in sorted((SHARED / "seeds").glob("*.txt")):
        text = path.read_text("utf-8")
        texts.append(text)
        truth.append(f"seed-{path.stem}")
        kinds.append("seed")
        texts.append("\n\n".join(paragraphs(text)[:6]))
        truth.append(f"seed-{path.stem}")
        kinds.append("seed_trimmed")
    return texts, truth, kinds


# --- the extended set: the hard kinds of issue 20 ------------------------------------------

ENTITIES = [("&", "&amp;"), ('"', "&quot;"), ("“", "&quot;"), ("”", "&quot;"), ("’", "&#39;"),
            ("'", "&#39;"), ("—", "&mdash;"), ("–", "&#8211;")]  # fmt: skip
REWRITTEN_TOPS = [
    "Officials gave more details on Tuesday about the events described below, as reaction "
    "continued to come in from across the region and from abroad.",
    "Here is what we know so far, according to the people involved and the documents seen by "
    "reporters, in a story that is still developing.",
]
# Long quotations of the real articles: curly or straight, 25+ words, one paragraph.
LONG_QUOTE = re.compile(r"“([^“”\n]{150,600})”|\"([^\"\n]{150,600})\"")


def escaped(text: str) -> str:
    """The text as a CMS left it: entities for quotes, apostrophes and dashes, and
    ``&nbsp;`` after sentences (a double space once)."""
    for char, entity in ENTITIES:
        text = text.replace(char, entity)
    return text.replace(". ", ".&nbsp; ")


def with_markup(paras: list[str]) -> str:
    """Paragraphs with their HTML tags left in, one link and one emphasis."""
    words = paras[0].split(" ")
    if len(words) > 2:
        words[1] = f'<a href="https://example.org/x">{words[1]}</a>'
    tagged = [f"<p>{p}</p>" for p in [" ".join(words), *paras[1:]]]
    if len(tagged) > 1:
        tagged[1] = "<p><em>" + tagged[1][3:-4] + "</em></p>"
    return "".join(tagged)


def first_words(paras: list[str], count: int) -> list[str]:
    """The first ``count`` words, cut mid-paragraph if need be, paragraphs kept."""
    kept, total = [], 0
    for para in paras:
        words = para.split()
        if total + len(words) >= count:
            kept.append(" ".join(words[: count - total]))
            break
        kept.append(para)
        total += len(words)
    return kept


def long_quotes(body: str) -> list[str]:
    return [a or b for a, b in LONG_QUOTE.findall(body) if len((a or b).split()) >= 25]


def extended_variants(
    body: str, title: str, rng: random.Random, quote: str | None
) -> Iterator[tuple[str, str]]:
    """Hard kinds added to a standard cluster: entities, markup, reordering, a long quote."""
    paras = paragraphs(body)
    yield "escaped_entities", escaped("\n\n".join(paras))
    # Escaped twice (a feed's description of a CMS export), tags left in.
    yield (
        "double_escaped_markup_half",
        escaped(escaped(with_markup(leading(paras, 1 / 2)))),
    )
    yield "markup", with_markup(paras)
    shuffled = paras[:]
    rng.shuffle(shuffled)
    yield "reordered_paragraphs", "\n\n".join(shuffled)
    half = leading(paras, 1 / 2)
    rng.shuffle(half)
    yield "reordered_trimmed_half", "\n\n".join(half)
    if quote:
        # A short copy of this story, half of it a long quotation that
        # another story carries: it belongs here, and must not pull that one in.
        own = first_words(paras, int(len(quote.split()) * 0.8))
        yield "half_shared_quote", "\n\n".join([*own, f"“{quote},” the statement said."])


def excerpt_family(body: str, title: str, rng: random.Random) -> Iterator[tuple[str, str]]:
    """Copies of a long article that only its full text links: excerpts, a rewritten top."""
    paras = paragraphs(body)
    head, foot = rng.choice(OUTLET_BOILERPLATE)
    yield "excerpt_170", "\n\n".join(first_words(paras, 170))
    yield "trimmed_150_headline", "\n\n".join([title, *first_words(paras, 150)])
    yield "trimmed_210_byline", "\n\n".join([*first_words(paras, 210), rng.choice(BYLINES)])
    yield "trimmed_260_boilerplate", "\n\n".join([head, *first_words(paras, 260), foot])
    yield "escaped_excerpt", escaped("\n\n".join(first_words(paras, 190)))
    rest = paras[len(paras) // 2 :]
    yield "rewritten_top", "\n\n".join([rng.choice(REWRITTEN_TOPS), *rest])


def extended_set(seed: int = 11) -> tuple[list[str], list[str], list[str]]:
    """(texts, true cluster, kind) of the extended set, in arrival order.

    Every second article of 700+ words gets an excerpt family instead of the
    standard variants, its original arriving last; the others get the
    standard variants plus the hard kinds.  A long quotation of article n+1
    goes into a short copy of article n.
    """
    rng = random.Random(seed)
    articles = real_articles()
    quotes = [long_quotes(body) for _, _, body in articles]
    docs: list[tuple[str, str, str]] = []
    late: list[tuple[str, str, str]] = []
    long_seen = 0
    for n, (outlet, title, body) in enumerate(articles):
        name = f"real-{n}"
        if len(body.split()) >= 700:
            long_seen += 1
            if long_seen % 2 == 0:
                docs.extend((text, name, kind) for kind, text in excerpt_family(body, title, rng))
                late.append((body, name, "late_original"))
                continue
        docs.append((body, name, "original"))
        other = articles[(n + 1) % len(articles)][2]
        for kind, text in variants(body, title, rng, other):
            docs.append((text, name, kind))
        lifted = next((q for m in range(1, len(articles)) for q in quotes[(n + m) % len(articles)]),
                      None)  # fmt: skip
        for kind, text in extended_variants(body, title, rng, lifted):
            docs.append((text, name, kind))
        head, foot = OUTLET_BOILERPLATE[zlib.crc32(outlet.encode()) % 2]
        docs.append(("\n\n".join([head, *paragraphs(body)[:3], foot]), name,
                     "short_in_site_boilerplate"))  # fmt: skip
    for path in sorted((SHARED / "seeds").glob("*.txt")):
        text = path.read_text("utf-8")
        docs.append((text, f"seed-{path.stem}", "seed"))
        docs.append(("\n\n".join(paragraphs(text)[:6]), f"seed-{path.stem}", "seed_trimmed"))
    rng.shuffle(docs)
    docs.extend(late)
    texts, truth, kinds = (list(column) for column in zip(*docs, strict=True))
    return texts, truth, kinds


# --- the held-out set: copies made differently ------------------------------------------

# Page furniture an extractor may leave at the top of a copy, unlike OUTLET_BOILERPLATE.
FURNITURE = [
    "Home | News | World | Business | Sport | Culture | Opinion | Video. Breaking news "
    "alerts. Download our app for the latest updates.",
    "Listen to this article. 4 min read. Share on Facebook. Share on X. Share via email. "
    "Print this page. Save for later.",
    "Our coverage of this story is free to read. Please consider supporting our journalism "
    "with a subscription starting at one dollar a week, cancel anytime, terms apply. "
    "Already a subscriber? Log in here.",
]
CAPTIONS = ["Photo: File image. (Agency)", "Video: Watch the latest report below.",
            "Pictured: Officials at the scene on Monday."]  # fmt: skip


def held_out_variants(body: str, title: str, rng: random.Random) -> Iterator[tuple[str, str]]:
    """Copies made by edits the labelled sets do not make, with random sizes."""
    paras = paragraphs(body)
    furniture = " ".join(rng.sample(FURNITURE, 2)).split()
    for _ in range(2):
        head = furniture[: rng.choice([0, 10, 25, 40, 60])]
        top = ([title] if rng.random() < 0.5 else []) + ([" ".join(head)] if head else [])
        yield "excerpt_with_head", "\n\n".join([*top, *first_words(paras, rng.randint(110, 320))])
    if len(paras) >= 4:
        start = rng.randint(1, min(3, len(paras) - 2))
        yield "lede_dropped", "\n\n".join(paras[start:])
        yield "lede_dropped_trimmed", "\n\n".join(leading(paras[start:], rng.uniform(0.4, 0.7)))
        new_top = " ".join(rng.choice(REWRITTEN_TOPS).split()[: rng.randint(15, 40)])
        yield (
            "new_top_tail",
            "\n\n".join([new_top, *paras[rng.randint(len(paras) // 3, len(paras) // 2) :]]),
        )
    sentences = body.replace("\n", " \n ").split(". ")
    yield "sentences_dropped", ". ".join(x for n, x in enumerate(sentences) if n % 3 != 1)
    excerpt = "\n\n".join(first_words(paras, rng.randint(150, 300)))
    yield "typos_excerpt", typos(excerpt, rng, rate=0.05)
    captioned = [p for para in paras for p in (para, rng.choice(CAPTIONS))]
    yield "captions_crlf", "\r\n".join(captioned).replace("“", '"').replace("”", '"')


def held_out_set(seed: int = 2027) -> tuple[list[str], list[str], list[str]]:
    """(texts, true cluster, kind): every real article with copies made by
    :func:`held_out_variants` (not the edits the rules were tuned on), the seed
    pair with trimmed copies, and hard negatives: short excerpts of different
    articles under the same long page furniture.  Shuffled."""
    rng = random.Random(seed)
    docs: list[tuple[str, str, str]] = []
    furniture = "\n\n".join(FURNITURE)
    for n, (_outlet, title, body) in enumerate(real_articles()):
        name = f"real-{n}"
        docs.append((body, name, "original"))
        docs.extend((text, name, kind) for kind, text in held_out_variants(body, title, rng))
        docs.append(("\n\n".join([furniture, *first_words(paragraphs(body), 80)]), name,
                     "short_under_shared_furniture"))  # fmt: skip
    for path in sorted((SHARED / "seeds").glob("*.txt")):
        text = path.read_text("utf-8")
        docs.append((text, f"seed-{path.stem}", "seed"))
        docs.extend((t, f"seed-{path.stem}", k) for k, t in held_out_variants(text, "", rng))
    rng.shuffle(docs)
    texts, truth, kinds = (list(column) for column in zip(*docs, strict=True))
    return texts, truth, kinds


# --- accuracy -----------------------------------------------------------------------------


def cluster_in_order(texts: list[str], order: list[int]) -> list[int]:
    """Cluster the texts taken in ``order``; each text's cluster (a member's index)."""
    roots = cluster([texts[i] for i in order]).tolist()
    found = [0] * len(texts)
    for position, doc in enumerate(order):
        found[doc] = order[roots[position]]
    return found


def report(name: str, texts: list[str], truth: list[str], kinds: list[str]) -> None:
    started = time.perf_counter()
    roots = cluster(texts).tolist()
    elapsed = time.perf_counter() - started
    tp, pred, actual = pair_counts(truth, roots)
    precision = tp / pred if pred else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(
        f"{name}: {len(texts)} documents, {len(set(truth))} true clusters, "
        f"{len(set(roots))} predicted; {actual} same-story pairs; clustered in "
        f"{elapsed * 1000:.0f} ms"
    )
    print(f"  pairwise precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}")
    print(f"  adjusted Rand index {adjusted_rand_index(truth, roots):.4f}")
    # Recall per variant kind: does each copy land with its original?  And its
    # own containment in the original (what normalisation changes).
    heads = ("original", "seed", "late_original")
    original = {t: n for n, (t, k) in enumerate(zip(truth, kinds, strict=True)) if k in heads}
    per_kind: dict[str, list[tuple[bool, float]]] = defaultdict(list)
    for n, (t, r, k) in enumerate(zip(truth, roots, kinds, strict=True)):
        if k not in heads:
            direct = similarity(Shingled(texts[n]), Shingled(texts[original[t]]))
            per_kind[k].append((r == roots[original[t]], direct))
    for kind, rows in sorted(per_kind.items()):
        joined = sum(j for j, _ in rows)
        direct = [d for _, d in rows]
        print(
            f"    {kind:26s} with its original: {joined}/{len(rows)}; contained in it "
            f"(>= 0.5): {sum(d >= 0.5 for d in direct)}/{len(rows)}, "
            f"mean {statistics.mean(direct):.2f}"
        )
    seeds = [r for r, k in zip(roots, kinds, strict=True) if k == "seed"]
    seed_clusters = {r for r, t in zip(roots, truth, strict=True) if t.startswith("seed-")}
    print(
        f"  seed pair merged: {'YES' if len(set(seeds)) < 2 else 'no'} "
        f"(seed documents in {len(seed_clusters)} clusters)"
    )
    by_root = defaultdict(set)
    for t, r in zip(truth, roots, strict=True):
        by_root[r].add(t)
    merged = Counter(tuple(sorted(m)) for m in by_root.values() if len(m) > 1)
    for members, _ in merged.most_common(5):
        print(f"    merged clusters: {members}")


def order_agreement(texts: list[str], runs: int, seed: int = 5) -> float:
    """The lowest ARI between the partitions of ``runs`` random orders of the texts."""
    rng = random.Random(seed)
    partitions = []
    for _ in range(runs):
        order = list(range(len(texts)))
        rng.shuffle(order)
        partitions.append(cluster_in_order(texts, order))
    return min(
        adjusted_rand_index([str(x) for x in a], b)
        for a, b in itertools.combinations(partitions, 2)
    )


def run_accuracy(args: argparse.Namespace) -> None:
    if not SHARED.is_dir():
        print(f"{SHARED} is absent: no labelled set")
        return
    print(f"code measured: {CODE}")
    report("issue-4 set", *labelled_set())
    texts, truth, kinds = extended_set()
    report("extended set", texts, truth, kinds)
    print(
        f"extended set, {args.runs} random orders: lowest ARI between two partitions "
        f"{order_agreement(texts, args.runs):.4f}"
    )
    report("held-out set", *held_out_set())
    seed_texts = [Shingled(t) for t, k in zip(texts, kinds, strict=True) if k == "seed"]
    if len(seed_texts) == 2:
        print(f"seed pair containment {similarity(*seed_texts):.3f} (threshold 0.5)")


# --- (b) synthetic scale ------------------------------------------------------------------


class Newsroom:
    """Synthetic stories and their edited copies, reproducible from a seed."""

    def __init__(self, seed: int = 1, vocabulary: int = 50_000):
        self.rng = np.random.default_rng(seed)
        self.words = np.array([f"w{n:x}" for n in range(vocabulary)])
        ranks = np.arange(1, vocabulary + 1)
        self.cdf = np.cumsum(1 / ranks) / (1 / ranks).sum()
        self.stories: list[list[str]] = []

    def story(self) -> list[str]:
        n_paras = int(self.rng.integers(6, 14))
        idx = np.minimum(
            np.searchsorted(self.cdf, self.rng.random((n_paras, 45))), len(self.words) - 1
        )
        paras = [" ".join(row) + "." for row in self.words[idx]]
        self.stories.append(paras)
        if len(self.stories) > 5000:  # copies come from recent stories
            self.stories.pop(0)
        return paras

    def document(self) -> str:
        if not self.stories or self.rng.random() > 0.4:
            return "\n\n".join(self.story())
        paras = list(self.stories[int(self.rng.integers(len(self.stories)))])
        kind = int(self.rng.integers(4))
        if kind == 0:
            paras = paras[: max(1, len(paras) // 3)]
        elif kind == 1:
            paras.insert(1, "Editor's note: updated with reaction from officials.")
        elif kind == 2:
            paras = ["Skip to content. Subscribe.", *paras, "All rights reserved."]
        return "\n\n".join(paras)


def write_corpus(path: Path, size: int, seed: int = 1) -> None:
    room = Newsroom(seed)
    with path.open("w", encoding="utf-8") as out:
        for n in range(size):
            out.write(json.dumps({"id": f"doc{n}", "text": room.document()}) + "\n")


def child_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def dedupe_cli(path: Path, jobs: int) -> tuple[list[dict[str, str]], float, float]:
    """Run ``wirewatch dedupe`` on a file: (output rows, wall seconds, CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "wirewatch.crawler.cli", "--log-level", "WARNING",
         "dedupe", str(path), "--jobs", str(jobs)],
        cwd=CODE,
        stdout=subprocess.PIPE,
        check=True,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return [json.loads(line) for line in done.stdout.splitlines()], wall, cpu


def in_process_cpu(path: Path) -> float:
    """CPU seconds of clustering the file in this process, one job: no start-up, no workers."""
    from wirewatch.crawler.commands.dedupe import cluster_stream

    with path.open("rb") as stream:
        t0 = time.process_time()
        cluster_stream(stream, path.name, 1)
        return time.process_time() - t0


def run_batch(args: argparse.Namespace) -> None:
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="ww-bench-dedupe-") as tmp:
        for size in sizes:
            path = Path(tmp) / f"corpus-{size}.jsonl"
            t0 = time.perf_counter()
            write_corpus(path, size)
            generated = time.perf_counter() - t0
            rows, wall, cpu = dedupe_cli(path, args.jobs)
            clusters = len({row["cluster"] for row in rows})
            print(
                f"batch {size:>9,} docs ({path.stat().st_size / 1e6:.0f} MB, generated in "
                f"{generated:.0f}s): {wall:.1f}s wall, {size / wall:,.0f} docs/s, "
                f"{wall * 1000 / size:.3f} ms/doc, CPU {cpu * 1000 / size:.3f} ms/doc, "
                f"peak RSS {child_peak_rss_mb():.0f} MB (largest process so far), "
                f"{clusters:,} clusters",
                flush=True,
            )
            if args.in_process:
                cpu = min(in_process_cpu(path) for _ in range(args.in_process))
                print(
                    f"  in this process, one job (best of {args.in_process}): "
                    f"CPU {cpu * 1000 / size:.3f} ms/doc",
                    flush=True,
                )
            path.unlink()


def run_orders(args: argparse.Namespace) -> None:
    """The same documents in ``--runs`` random orders through the CLI: identical partitions?"""
    texts, truth, _ = extended_set() if SHARED.is_dir() else ([], [], [])
    docs = [{"id": f"labelled-{n}", "text": t} for n, t in enumerate(texts)]
    room = Newsroom(seed=3)
    filler = range(args.size - len(docs))
    docs += [{"id": f"synthetic-{n}", "text": room.document()} for n in filler]
    rng = random.Random(args.seed)
    partitions: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="ww-bench-orders-") as tmp:
        for run in range(args.runs):
            rng.shuffle(docs)
            path = Path(tmp) / f"order-{run}.jsonl"
            path.write_text("".join(json.dumps(d) + "\n" for d in docs), "utf-8")
            rows, wall, _ = dedupe_cli(path, args.jobs)
            partitions.append({row["id"]: row["cluster"] for row in rows})
            print(f"order {run + 1}: {len(set(partitions[-1].values())):,} clusters, {wall:.1f}s")
    ids = sorted(partitions[0])
    scores = [
        adjusted_rand_index([a[i] for i in ids], [b[i] for i in ids])  # type: ignore[arg-type]
        for a, b in itertools.combinations(partitions, 2)
    ]
    print(
        f"{len(docs):,} documents ({len(texts)} labelled), {args.runs} random orders: ARI "
        f"between every two partitions min {min(scores):.4f}, max {max(scores):.4f}"
    )
    if texts:
        labelled = [f"labelled-{n}" for n in range(len(texts))]
        for n, partition in enumerate(partitions, start=1):
            found = [partition[i] for i in labelled]
            tp, pred, actual = pair_counts(truth, found)  # type: ignore[arg-type]
            print(
                f"  order {n}: labelled documents among the others: precision "
                f"{tp / pred if pred else 1.0:.4f}, recall {tp / actual if actual else 1.0:.4f}"
            )


# --- (b) PostgreSQL path ------------------------------------------------------------------


# Seconds spent in stories.assign per stored article, while probing.
ASSIGN_TIMINGS: list[float] = []
# CPU seconds of each assign: this thread's plus its server backend's (from
# /proc/PID/schedstat, nanoseconds; only when the server runs on this machine
# and its processes are readable).  Unlike wall time, not inflated by other
# work on a busy machine.
ASSIGN_CPU: list[tuple[float, float]] = []  # (client, server)
# Whether each assign started a story (else the article joined or merged stories).
ASSIGN_CREATED: list[bool] = []


def backend_cpu(pid: int) -> float | None:
    """CPU seconds the server process ``pid`` has run, or None if it cannot be read."""
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            return int(stat.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def run_db(args: argparse.Namespace) -> None:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    from wirewatch.pipelines import db, stories

    # Time the story assignment inside store_article separately.
    untimed_assign = stories.assign

    def timed_assign(*args: Any, **kwargs: Any) -> stories.Assignment:
        pid = args[0].info.backend_pid
        server = backend_cpu(pid)
        client = time.thread_time()
        started = time.perf_counter()
        try:
            result = untimed_assign(*args, **kwargs)
            ASSIGN_CREATED.append(result.created)
            return result
        finally:
            ASSIGN_TIMINGS.append(time.perf_counter() - started)
            server_after = backend_cpu(pid)
            if server is not None and server_after is not None:
                ASSIGN_CPU.append((time.thread_time() - client, server_after - server))

    stories.assign = timed_assign
    server = os.environ.get("DATABASE_URL")
    if not server:
        sys.exit("set DATABASE_URL to a server the benchmark may create a database on")
    sizes = [int(s) for s in args.db_sizes.split(",")]
    if args.database and len(sizes) != 1:
        sys.exit("--database reuses one loaded archive: give the one size it was loaded with")
    for size in sizes:
        name = args.database or f"ww_bench_dedupe_{uuid.uuid4().hex[:8]}"
        if not args.database:
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = make_conninfo(server, dbname=name)
        try:
            room = Newsroom(seed=size)
            if args.database:
                # The archive is loaded: replay the generator past it and past earlier
                # probes, so that new probes are new texts and copies of recent ones.
                with db.connect(url) as conn:
                    db.migrate(conn)
                    conn.commit()
                    probed = conn.execute(
                        "SELECT count(*) AS n FROM articles WHERE outlet = 'probe.example'"
                    ).fetchone()["n"]
                    for _ in range(size + probed):
                        room.document()
                    bands = conn.execute("SELECT count(*) AS n FROM lsh_bands").fetchone()["n"]
                    size_mb = conn.execute(
                        "SELECT pg_total_relation_size('lsh_bands') / 1e6 AS mb"
                    ).fetchone()["mb"]
                prepared_s = loaded_s = 0.0
            else:
                bands, size_mb, prepared_s, loaded_s = load_archive(
                    url, room, size, search_indexes=not args.without_search_indexes
                )
            probe_timings(
                url, room, args.probe, size, bands, size_mb, prepared_s, loaded_s,
                fingerprinted=args.fingerprinted,
            )  # fmt: skip
        finally:
            if args.keep or args.database:
                print(f"kept database {name}", flush=True)
            else:
                with psycopg.connect(server, autocommit=True) as admin:
                    admin.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(name)
                        )
                    )


def load_archive(
    url: str, room: Newsroom, size: int, search_indexes: bool = True
) -> tuple[int, float, float, float]:
    """Bulk-load ``size`` documents as an archive already deduplicated (batch clustering).

    Without ``search_indexes`` the full-text GIN indexes of ``articles`` are
    not built: story assignment never reads them, and building them takes
    most of the load at large sizes (store_article gets cheaper without them;
    assign does not).
    """

    from wirewatch.pipelines import db
    from wirewatch.pipelines.clustering import (
        KeyTable,
        candidate_pairs,
        choose_clusters,
        pair_similarities,
    )
    from wirewatch.pipelines.fingerprint import VERSION
    from wirewatch.pipelines.urls import url_key

    t0 = time.perf_counter()
    texts = [room.document() for _ in range(size)]
    fps = [fingerprint(t) for t in texts]
    table = KeyTable()
    table.add(0, fps)
    candidates = candidate_pairs(table)
    sims = pair_similarities(candidates, lambda n, t=texts: Shingled(t[n]))
    roots = choose_clusters(size, candidates, sims)
    prepared_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    base = datetime(2026, 1, 1, tzinfo=UTC)
    with db.connect(url) as conn:
        db.migrate(conn)
        conn.execute(
            "INSERT INTO sources (name, kind, urls, wire) VALUES ('bench', 'feed', '{x}', false)"
        )
        conn.execute("ALTER TABLE lsh_bands DROP CONSTRAINT lsh_bands_pkey")
        secondary = drop_secondary_indexes(conn, ("articles", "stories", "story_copies"))
        # The archive is history, not news: no feed change rows, numbering
        # or NOTIFY for it (their per-row commit triggers would dominate the
        # load, and the probe below goes through them as usual).
        conn.execute("SET session_replication_role = replica")
        with conn.cursor().copy(
            "COPY articles (url, url_key, source, outlet, title, text, content_hash, "
            "fetched_at, published) FROM STDIN"
        ) as copy:
            for n, text in enumerate(texts):
                u = f"https://bench.example/a/{n}"
                copy.write_row(
                    (
                        u,
                        url_key(u),
                        "bench",
                        "bench.example",
                        f"story {n}",
                        text,
                        hashlib.md5(text.encode()).hexdigest(),
                        base + timedelta(seconds=n),
                        base + timedelta(seconds=n),
                    )
                )
        ids = [r["id"] for r in conn.execute("SELECT id FROM articles ORDER BY id")]
        heads = sorted(set(roots.tolist()))
        with conn.cursor().copy(
            "COPY stories (canonical_article_id, title, copy_count) FROM STDIN"
        ) as copy:
            counts = Counter(roots.tolist())
            for h in heads:
                copy.write_row((ids[h], f"story {h}", counts[h]))
        story_ids = [r["id"] for r in conn.execute("SELECT id FROM stories ORDER BY id")]
        story_of = dict(zip(heads, story_ids, strict=True))
        # Each copy's packed sketch, as assign stores it (checkouts before
        # story_copies.sketch have none: their copies are compared on the text).
        sketches = getattr(fps[0], "sketch", None) is not None
        with conn.cursor().copy(
            "COPY story_copies (article_id, story_id, similarity, words, band_keys, "
            f"fingerprint_version{', sketch' if sketches else ''}) FROM STDIN"
        ) as copy:
            for n, (root, fp) in enumerate(zip(roots.tolist(), fps, strict=True)):
                row = (ids[n], story_of[root], 1.0, fp.words, list(fp.band_keys), VERSION)
                copy.write_row((*row, fp.sketch) if sketches else row)
        with conn.cursor().copy("COPY lsh_bands (band_key, article_id) FROM STDIN") as copy:
            for n, fp in enumerate(fps):
                for key in set(fp.band_keys):
                    copy.write_row((key, ids[n]))
        conn.execute("SET session_replication_role = DEFAULT")
        if not search_indexes:
            secondary = [d for d in secondary if " USING gin " not in d]
            print("  (archive loaded without the full-text search indexes)", flush=True)
        build_indexes(conn, secondary)
        conn.execute("ALTER TABLE lsh_bands ADD PRIMARY KEY (band_key, article_id)")
        conn.commit()
        conn.execute("ANALYZE")
        conn.commit()
        bands = conn.execute("SELECT count(*) AS n FROM lsh_bands").fetchone()["n"]
        size_mb = conn.execute("SELECT pg_total_relation_size('lsh_bands') / 1e6 AS mb").fetchone()[
            "mb"
        ]
    loaded_s = time.perf_counter() - t0
    return bands, size_mb, prepared_s, loaded_s


def probe_timings(
    url: str,
    room: Newsroom,
    probe: int,
    size: int,
    bands: int,
    size_mb: float,
    prepared_s: float,
    loaded_s: float,
    fingerprinted: bool = False,
) -> None:
    """Store ``probe`` new articles through the real path, one transaction each, and time them.

    ``fingerprinted``: each item carries the fingerprint an extraction worker
    computes off the storing thread, as in a crawl (else assign computes it).
    """
    from wirewatch.pipelines import db
    from wirewatch.pipelines.storage import store_article

    timings: list[float] = []
    ASSIGN_TIMINGS.clear()
    ASSIGN_CPU.clear()
    ASSIGN_CREATED.clear()
    run = uuid.uuid4().hex[:8]
    with db.connect(url) as conn:
        for n in range(probe):
            text = room.document()
            u = f"https://probe.example/{run}/{n}"
            item = {
                "url": u,
                "source": "bench",
                "outlet": "probe.example",
                "wire": False,
                "title": f"probe {n}",
                "text": text,
                "content_hash": hashlib.md5(text.encode()).hexdigest(),
                **({"fingerprint": fingerprint(text)} if fingerprinted else {}),
                "fetched_at": datetime.now(UTC),
                "published": None,
            }
            t = time.perf_counter()
            store_article(conn, item)
            conn.commit()
            timings.append(time.perf_counter() - t)
        joined = conn.execute(
            "SELECT count(*) AS n FROM story_copies c"
            " JOIN articles a ON a.id = c.article_id"
            " WHERE a.outlet = 'probe.example' AND c.matched_article_id IS NOT NULL"
            " AND a.url LIKE %s",
            (f"https://probe.example/{run}/%",),
        ).fetchone()["n"]
    ms = [t * 1000 for t in timings]
    assign_ms = [t * 1000 for t in ASSIGN_TIMINGS]
    print(
        f"db {size:>9,} stored articles ({bands:,} band rows, lsh_bands {size_mb:.0f} MB; "
        f"prepared {prepared_s:.0f}s, loaded {loaded_s:.0f}s): store_article+assign "
        f"mean {statistics.mean(ms):.2f} ms, median {statistics.median(ms):.2f} ms, "
        f"p95 {sorted(ms)[int(len(ms) * 0.95)]:.2f} ms; of which assign mean "
        f"{statistics.mean(assign_ms):.2f} ms, median {statistics.median(assign_ms):.2f} "
        f"ms, p95 {sorted(assign_ms)[int(len(ms) * 0.95)]:.2f} ms; {len(ms)} new articles "
        f"({joined} joined an existing story)",
        flush=True,
    )
    if len(ASSIGN_CREATED) == len(ASSIGN_TIMINGS) and all(
        any(c == want for c in ASSIGN_CREATED) for want in (True, False)
    ):
        new = [t * 1000 for t, c in zip(ASSIGN_TIMINGS, ASSIGN_CREATED, strict=True) if c]
        joined_ms = [t * 1000 for t, c in zip(ASSIGN_TIMINGS, ASSIGN_CREATED, strict=True) if not c]
        print(
            f"  assign median by outcome: new story {statistics.median(new):.2f} ms "
            f"({len(new)}), into an existing story {statistics.median(joined_ms):.2f} ms "
            f"({len(joined_ms)})",
            flush=True,
        )
    if ASSIGN_CPU:
        cpu_ms = [(c + s) * 1000 for c, s in ASSIGN_CPU]
        client_ms = statistics.median(c * 1000 for c, _ in ASSIGN_CPU)
        server_ms = statistics.median(s * 1000 for _, s in ASSIGN_CPU)
        print(
            f"  assign CPU (client thread + its server backend) mean "
            f"{statistics.mean(cpu_ms):.2f} ms, median {statistics.median(cpu_ms):.2f} ms "
            f"(client {client_ms:.2f} + server {server_ms:.2f}, medians); "
            f"load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        if len(ASSIGN_CREATED) == len(ASSIGN_CPU) and all(
            any(c == want for c in ASSIGN_CREATED) for want in (True, False)
        ):
            # Joining compares the new text with stored copies: what their stored
            # sketches save shows there.
            by = {
                want: [c * 1000 for (c, _), made in zip(ASSIGN_CPU, ASSIGN_CREATED, strict=True)
                       if made == want]
                for want in (True, False)
            }  # fmt: skip
            print(
                f"  assign client CPU median by outcome: new story "
                f"{statistics.median(by[True]):.2f} ms, into an existing story "
                f"{statistics.median(by[False]):.2f} ms",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    accuracy = sub.add_parser("accuracy", help="(a) labelled sets from ../shared")
    accuracy.add_argument("--runs", type=int, default=5, help="random orders compared")
    batch = sub.add_parser("batch", help="(b) wirewatch dedupe at several sizes")
    batch.add_argument("--sizes", default="10000,100000")
    batch.add_argument("--jobs", type=int, default=2)
    batch.add_argument(
        "--in-process", type=int, default=0, metavar="N",
        help="also time clustering in this process (best of N): no start-up, no workers",
    )  # fmt: skip
    orders = sub.add_parser("orders", help="(b) the same documents in random orders")
    orders.add_argument("--size", type=int, default=10_000)
    orders.add_argument("--runs", type=int, default=5)
    orders.add_argument("--jobs", type=int, default=2)
    orders.add_argument("--seed", type=int, default=20)
    dbp = sub.add_parser("db", help="(b) the PostgreSQL pipeline path at several archive sizes")
    dbp.add_argument("--db-sizes", default="10000,100000")
    dbp.add_argument("--probe", type=int, default=2000, help="new articles timed per size")
    dbp.add_argument("--keep", action="store_true", help="keep the benchmark databases")
    dbp.add_argument("--database", help="probe again an archive kept by --keep (one size)")
    dbp.add_argument(
        "--fingerprinted", action="store_true",
        help="probe items carry their fingerprint, computed off the storing thread as "
        "extraction workers do in a crawl",
    )  # fmt: skip
    dbp.add_argument(
        "--without-search-indexes", action="store_true",
        help="load the archive without the full-text GIN indexes (assign never reads them)",
    )  # fmt: skip
    args = parser.parse_args()
    commands = {"accuracy": run_accuracy, "batch": run_batch, "orders": run_orders, "db": run_db}
    commands[args.what](args)


if __name__ == "__main__":
    main()
