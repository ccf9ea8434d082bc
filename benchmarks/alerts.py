"""Alert matching: throughput against many subscriptions, and precision/recall on name variants.

(a) Throughput: ``--subscriptions`` synthetic subscriptions of mixed shapes
(words, phrases, AND/OR/NOT, title:, source:, prefix*, exact =word) over a
vocabulary of invented names, matched against a stream of ``--stories``
synthetic stories of ``--words`` words that mention some of those names
(and near-misses of them). Prints compile time, stories per second, matches
per story and, for comparison, the rate of a naive loop that evaluates every
subscription per story (on a sample).

(b) Accuracy: a labelled list of (query word, story word, same name?) pairs
built here: transliteration families (Mansur/Mansour, Qaddafi/Gaddafi/
Kadhafi, Zelensky/Zelenskyy/Zelenskiy, ...) as positives, and hard
negatives (Zelenska, Mansura, Khomeini vs Khamenei, Osama vs Obama, ...).
Prints precision / recall of exact folding alone, of skeletons alone, and of
the full matcher at several rapidfuzz thresholds.

(c) With ``--db URL``: the cost of matching inside ``store_article``'s
transaction, with no subscriptions and with ``--subscriptions`` of them, in a
scratch database created on that server and dropped afterwards.

    .venv/bin/python benchmarks/alerts.py [--subscriptions 10000] [--stories 2000]
        [--db postgresql://postgres@127.0.0.1:5432/postgres] [--only storage]
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wirewatch.pipelines.alerts.matching import (
    DEFAULT_THRESHOLD,
    Matcher,
    StoryDoc,
    is_variant,
    skeleton,
    source_keys,
)
from wirewatch.pipelines.alerts.query import evaluate, leaves, parse
from wirewatch.pipelines.alerts.text import fold

# --- (b) labelled name variants ------------------------------------------------------------

FAMILIES = [
    ["Mansur", "Mansour", "Mansoor", "Mansûr"],
    ["Qaddafi", "Gaddafi", "Kadhafi", "Gadhafi", "Qadhafi", "Kaddafi", "Khadafy", "Gadafy",
     "Kadafi", "Gathafi", "Qathafi"],
    ["Zelensky", "Zelenskyy", "Zelenskiy", "Zelenskyi", "Zelenskij", "Selenskyj", "Zelenski",
     "Zełenski"],
    ["Navalny", "Navalnyy", "Nawalny", "Navalnyi", "Navalni"],
    ["Prigozhin", "Prigojine", "Prigoschin", "Prigozin"],
    ["Shoigu", "Shoygu", "Schoigu"],
    ["Yanukovych", "Yanukovich", "Janukowytsch", "Ianoukovitch"],
    ["Khamenei", "Khameini", "Chamenei", "Jamenei"],
    ["Hezbollah", "Hizbollah", "Hizballah", "Hisbollah"],
    ["Muhammad", "Mohammed", "Mohamed", "Mohammad", "Muhammed"],
    ["Kadyrov", "Kadyrow"],
    ["Erdogan", "Erdoğan"],
    ["Tchaikovsky", "Tschaikowski", "Chaikovsky"],
    ["Medvedev", "Medwedew"],
    ["Abdulrahman", "Abdelrahman", "Abdurrahman"],
    ["Gorbachev", "Gorbachov", "Gorbatschow"],
    ["Khodorkovsky", "Chodorkowski", "Khodorkovskiy"],
    ["Osama", "Usama"],
    ["Lukashenko", "Lukaschenko", "Loukachenko"],
    ["Dmitry", "Dmitri", "Dmitriy"],
]  # fmt: skip

HARD_NEGATIVES = [
    ("Mansur", ["Mansura", "Mensur", "Mansion", "Manur", "Mansfield", "Manser", "Mansurov",
                "Manus", "Mansard"]),
    ("Zelensky", ["Zelenska", "Zelenskaya", "Zelenograd", "Zielinski", "Zelenko"]),
    ("Qaddafi", ["Qadri", "Gaffney", "Kadyrov", "Qatari", "Haddad"]),
    ("Navalny", ["Navalnaya", "Naval", "Navarro"]),
    ("Khamenei", ["Khomeini"]),
    ("Osama", ["Obama"]),
    ("Medvedev", ["Medvedeva", "Medved"]),
    ("Gorbachev", ["Gorbacheva"]),
    ("Muhammad", ["Mahmoud", "Muhammadu"]),
    ("Putin", ["Putina", "Putnam", "Putting", "Patin"]),
    ("Trump", ["Trumpet", "Trumps"]),
    ("Biden", ["Bidet", "Bidden"]),
    ("Assad", ["Assange", "Ahmad"]),
    ("Erdogan", ["Erdem"]),
    ("Kadyrov", ["Kadyrova"]),
    ("Lukashenko", ["Lukashenka"]),  # Belarusian form: counted as a different spelling here
    ("Shoigu", ["Shogun"]),
]  # fmt: skip


def labelled_pairs() -> list[tuple[str, str, bool]]:
    pairs = [(a, b, True) for family in FAMILIES for a, b in itertools.permutations(family, 2)]
    pairs += [(term, other, False) for term, others in HARD_NEGATIVES for other in others]
    names = [family[0] for family in FAMILIES]
    for a, b in itertools.permutations(names, 2):  # different people's names
        pairs.append((a, b, False))
    return pairs


def score(predict, pairs) -> tuple[float, float, int, int]:
    tp = fp = fn = 0
    misses, false_hits = [], []
    for term, word, same in pairs:
        hit = predict(term, word)
        if hit and same:
            tp += 1
        elif hit:
            fp += 1
            false_hits.append(f"{term}~{word}")
        elif same:
            fn += 1
            misses.append(f"{term}~{word}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, fp, fn


def accuracy_report(show_errors: bool) -> None:
    pairs = labelled_pairs()
    positives = sum(1 for p in pairs if p[2])
    print(f"(b) name variants: {len(pairs)} labelled pairs "
          f"({positives} same name, {len(pairs) - positives} different)")  # fmt: skip
    rows = [
        ("fold only (exact)", lambda t, w: fold(t) == fold(w)),
        ("skeleton only", lambda t, w: skeleton(fold(t)) == skeleton(fold(w))),
    ]
    for threshold in (75, 80, DEFAULT_THRESHOLD, 90, 95):
        rows.append(
            (f"wirewatch, threshold {threshold:g}" + (" (default)" if threshold ==
             DEFAULT_THRESHOLD else ""), lambda t, w, th=threshold: is_variant(t, w, th))
        )  # fmt: skip
    print(f"  {'method':36} {'precision':>9} {'recall':>7} {'F1':>6} {'FP':>4} {'FN':>4}")
    for label, predict in rows:
        p, r, fp, fn = score(predict, pairs)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"  {label:36} {p:9.3f} {r:7.3f} {f1:6.3f} {fp:4d} {fn:4d}")
    if show_errors:
        wrong_pos = [f"{t}~{w}" for t, w, s in pairs if s and not is_variant(t, w)]
        wrong_neg = [f"{t}~{w}" for t, w, s in pairs if not s and is_variant(t, w)]
        print("  missed at default:", ", ".join(wrong_pos) or "none")
        print("  false matches at default:", ", ".join(wrong_neg) or "none")


# --- (a) throughput ------------------------------------------------------------------------

SYLLABLES = [c + v for c in "bdfgklmnprstvzh" for v in "aeiou"] + ["sha", "kho", "zhe", "ou"]


def pseudo_word(rng: random.Random, low: int = 2, high: int = 4) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(low, high)))


def build_queries(rng: random.Random, names: list[str], count: int) -> list[str]:
    shapes = [
        lambda: rng.choice(names),
        lambda: f"{rng.choice(names)} AND {rng.choice(names)}",
        lambda: f'"{rng.choice(names)} {rng.choice(names)}"',
        lambda: f"{rng.choice(names)} NOT {rng.choice(names)}",
        lambda: f"title:{rng.choice(names)}",
        lambda: f"{rng.choice(names)[:5]}*",
        lambda: f"source:src{rng.randrange(50)} {rng.choice(names)}",
        lambda: f"({rng.choice(names)} OR {rng.choice(names)}) {rng.choice(names)}",
        lambda: f"={rng.choice(names)}",
    ]
    return [rng.choice(shapes)() for _ in range(count)]


def misspell(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + rng.choice("aeiouy") + word[i + 1 :]


def build_stories(
    rng: random.Random, names: list[str], filler: list[str], count: int, words: int
) -> list[StoryDoc]:
    stories = []
    for _ in range(count):
        body = [rng.choice(filler) for _ in range(words)]
        for _ in range(rng.randint(2, 8)):  # names and misspellings of them
            name = rng.choice(names)
            body[rng.randrange(words)] = misspell(rng, name) if rng.random() < 0.3 else name
        title = " ".join(rng.choice(filler) for _ in range(8)) + " " + rng.choice(names)
        stories.append(
            StoryDoc(
                title=title.title(),
                text=" ".join(body),
                sources=source_keys(f"src{rng.randrange(50)}"),
                language="en",
            )
        )
    return stories


def throughput_report(subscriptions: int, stories: int, words: int, seed: int) -> None:
    rng = random.Random(seed)
    names = sorted({pseudo_word(rng, 3, 4).capitalize() for _ in range(4000)})
    filler = [pseudo_word(rng, 1, 3) for _ in range(20000)]
    queries = build_queries(rng, names, subscriptions)
    trees = [(i, parse(q)) for i, q in enumerate(queries)]
    docs = build_stories(rng, names, filler, stories, words)

    start = time.perf_counter()
    matcher = Matcher(trees)
    compile_s = time.perf_counter() - start
    print(f"(a) {subscriptions} subscriptions, {stories} stories of {words} words "
          f"(+ title), seed {seed}")  # fmt: skip
    print(f"  compile: {compile_s * 1000:.0f} ms")

    total = 0
    start = time.perf_counter()
    for doc in docs:
        total += len(matcher.match(doc))
    elapsed = time.perf_counter() - start
    per_story = elapsed / stories * 1000
    print(f"  indexed matcher: {stories / elapsed:,.0f} stories/s "
          f"({per_story:.2f} ms/story), {total / stories:.1f} matches/story")  # fmt: skip

    # Naive: every subscription's every leaf checked against the story's words.
    sample = docs[: max(1, min(5, stories))]
    start = time.perf_counter()
    for doc in sample:
        story_words = {fold(w) for w in (doc.title + " " + doc.text).split()}
        for _, tree in trees:
            truth = set()
            for leaf in leaves(tree):
                text = getattr(leaf, "text", None)
                if text and any(is_variant(text, w) for w in story_words if w[:1] == text[:1]):
                    truth.add(leaf)
            evaluate(tree, truth)
    naive = (time.perf_counter() - start) / len(sample)
    print(f"  naive per-subscription loop (first-letter pruned, {len(sample)} stories): "
          f"{1 / naive:,.2f} stories/s ({naive * 1000:.0f} ms/story)")  # fmt: skip


def storage_report(server_url: str, subscriptions: int, stories: int, seed: int) -> None:
    """Cost of matching inside the storing transaction: store_article with and without subs."""
    import hashlib
    import os
    from datetime import UTC, datetime

    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    from wirewatch.pipelines import db
    from wirewatch.pipelines.storage import store_article

    rng = random.Random(seed)
    names = sorted({pseudo_word(rng, 3, 4).capitalize() for _ in range(4000)})
    filler = [pseudo_word(rng, 1, 3) for _ in range(20000)]
    queries = build_queries(rng, names, subscriptions)
    name = f"ww_bench_alerts_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_conninfo(server_url, dbname=name)
    try:
        with db.connect(url) as conn:
            db.migrate(conn)
            conn.execute("INSERT INTO sources (name, kind, urls) VALUES ('bench', 'feed', '{}')")
            conn.commit()

            def run(label: str, offset: int) -> float:
                docs = build_stories(rng, names, filler, stories, 400)
                start = time.perf_counter()
                queued = 0
                for i, doc in enumerate(docs):
                    result = store_article(conn, {
                        "url": f"https://bench.example/{offset + i}", "source": "bench",
                        "outlet": "bench.example", "title": doc.title, "text": doc.text,
                        "language": "en", "fetched_at": datetime.now(UTC),
                        "content_hash": hashlib.sha256(doc.text.encode()).hexdigest(),
                    })  # fmt: skip
                    conn.commit()
                    queued += result.alerts_queued
                per = (time.perf_counter() - start) / stories * 1000
                print(f"  store_article, {label}: {per:.2f} ms/article, {queued} alerts queued")
                return per

            print(f"(c) through PostgreSQL ({db.describe(server_url)}), {stories} new stories")
            bare = run("no subscriptions", 0)
            with (
                conn.cursor() as cur,
                cur.copy("COPY alert_subscriptions (query, channel, target) FROM STDIN") as copy,
            ):
                for query in queries:
                    copy.write_row((query, "email", "bench@example.org"))
            conn.commit()
            run("warm-up (compiles the matcher)", 10 * stories)
            loaded = run(f"{subscriptions} subscriptions", 20 * stories)
            print(f"  matching + outbox inside the transaction: {loaded - bare:+.2f} ms/article")
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--stories", type=int, default=2_000)
    parser.add_argument("--words", type=int, default=400)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--errors", action="store_true", help="list the misjudged pairs")
    parser.add_argument("--only", choices=["throughput", "accuracy", "storage"])
    parser.add_argument(
        "--db",
        metavar="URL",
        help="also measure the storing transaction on this PostgreSQL server "
        "(a scratch database is created on it and dropped)",
    )
    parser.add_argument("--db-stories", type=int, default=300)
    args = parser.parse_args()
    if args.only == "storage" or (args.db and args.only is None):
        if not args.db:
            parser.error("--only storage needs --db URL")
        storage_report(args.db, args.subscriptions, args.db_stories, args.seed)
        print()
        if args.only == "storage":
            return
    if args.only != "accuracy":
        throughput_report(args.subscriptions, args.stories, args.words, args.seed)
        print()
    if args.only != "throughput":
        accuracy_report(args.errors)


if __name__ == "__main__":
    main()
