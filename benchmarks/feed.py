"""The feed at scale: query latencies and storage per article with N stored articles.

Builds a throw-away database with ``--articles`` synthetic articles (default
1,000,000) grouped into stories of 1-6 copies, loaded with COPY: articles go
through the real schema (the generated search column is computed by
PostgreSQL on load); stories, copies and the change log are loaded with
triggers off (bulk load), then a sample of ``--trigger-sample`` stories is
written through the real triggers to measure their cost per change.

Then it times, warm, ``--repeat`` runs each (median, p95, max):
  - latest stories (wirewatch_feed.stories, newest 50),
  - stories of one outlet (newest 50),
  - search (pipelines.search.search) for a rare, a medium and a common term,
    a two-word AND and a phrase, in each order (--sort seen, published,
    relevance), with snippets, and the bounded count of the matches,
  - a cursor page of 1,000 changes (pipelines.feed.read_page) at the start,
    middle and end of the change log, and one through --query,
and prints the on-disk size per article (table, TOAST, indexes, whole DB).

Texts are ~350 words drawn from a Zipf-distributed invented vocabulary in
shared sentences (as syndicated copies share them).  The database runs in an
embedded PostgreSQL under --workdir unless --server-url names a server (a
database ``ww_bench_feed`` is created there and dropped unless --keep).

    .venv/bin/python benchmarks/feed.py [--articles 1000000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from bulk_load import build_indexes, drop_secondary_indexes
from psycopg import sql
from psycopg.conninfo import make_conninfo

from wirewatch.pipelines import db, feed
from wirewatch.pipelines.search import COUNT_BOUND, SORTS, count_matches, search

DB_NAME = "ww_bench_feed"
SYLLABLES = [
    c + v
    for c in ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "sh", "tr")
    for v in ("a", "e", "i", "o", "u", "ai", "ou")
]
OUTLETS = [f"outlet{i:03d}.example" for i in range(300)]


def vocabulary(rng: random.Random, size: int) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4)))))
    return sorted(words)


def zipf_words(rng: random.Random, vocab: list[str], n: int) -> list[str]:
    # Rank r drawn with probability ~ 1/r (Zipf, s=1) via inverse CDF on a log scale.
    top = len(vocab)
    return [vocab[min(top - 1, int(top ** rng.random()) - 1)] for _ in range(n)]


def sentences(rng: random.Random, vocab: list[str], count: int) -> list[str]:
    out = []
    for _ in range(count):
        words = zipf_words(rng, vocab, rng.randint(10, 20))
        out.append(" ".join(words).capitalize() + ".")
    return out


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    fn()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, times[-1]


def start_server(args: argparse.Namespace) -> str:
    """The server's maintenance URL: --server-url, else an embedded server in --workdir."""
    if args.server_url:
        return args.server_url
    import pgserver

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="ww-bench-feed-"))
    workdir.mkdir(parents=True, exist_ok=True)
    # Stopped when this script exits; the data stays in --workdir for --keep.
    return pgserver.get_server(workdir / "pgdata", cleanup_mode="stop").get_uri()


def load(conn: psycopg.Connection, n_articles: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    vocab = vocabulary(rng, 30_000)
    pool = sentences(rng, vocab, 100_000)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    figures: dict[str, float] = {}

    conn.execute("INSERT INTO sources (name, kind, urls) VALUES ('bench', 'feed', '{}')")
    secondary = drop_secondary_indexes(conn, ("articles",))
    conn.commit()

    # Story plan: copies per story 1..6 (mean ~2.3), copies share the story's sentences.
    started = time.perf_counter()
    story_of: list[int] = []
    story = 0
    while len(story_of) < n_articles:
        story += 1
        story_of.extend(
            [story] * min(rng.choice((1, 1, 1, 2, 2, 3, 4, 6)), n_articles - len(story_of))
        )
    with conn.cursor().copy(
        "COPY articles (url, url_key, source, outlet, title, text, published, language,"
        " content_hash, fetched_at, first_seen, updated_at) FROM STDIN"
    ) as copy:
        body: list[str] = []
        current = 0
        for i, s in enumerate(story_of, start=1):
            if s != current:
                current = s
                body = rng.sample(pool, 24)
                title = " ".join(zipf_words(rng, vocab, 7)).capitalize()
            text = " ".join(body if rng.random() < 0.7 else body[: rng.randint(6, 24)])
            when = t0 + timedelta(seconds=30 * i)
            url = f"https://{OUTLETS[i % len(OUTLETS)]}/news/{i}"
            copy.write_row(
                (
                    url,
                    url,
                    "bench",
                    OUTLETS[(i * 7 + s) % len(OUTLETS)],
                    title,
                    text,
                    when,
                    "en" if i % 10 else "de",
                    f"{s:x}-{i:x}",
                    when,
                    when,
                    when,
                )
            )
    conn.commit()
    figures["load_articles_s"] = time.perf_counter() - started

    started = time.perf_counter()
    build_indexes(conn, secondary)
    conn.commit()
    figures["build_indexes_s"] = time.perf_counter() - started

    # Stories, copies and change log in bulk (triggers off, like a restore).
    started = time.perf_counter()
    conn.execute("SET session_replication_role = replica")
    conn.execute(
        """INSERT INTO stories (id, canonical_article_id, title, copy_count, first_seen, updated_at)
           OVERRIDING SYSTEM VALUE
           SELECT s, min(id), min(title), count(*), min(first_seen), max(first_seen)
           FROM articles a JOIN unnest(%s::bigint[]) WITH ORDINALITY AS p(s, aid) ON p.aid = a.id
           GROUP BY s""",
        (story_of,),
    )
    conn.execute(
        """INSERT INTO story_copies (article_id, story_id, similarity, words, band_keys,
                                     fingerprint_version, first_seen)
           SELECT p.aid, p.s, CASE WHEN p.aid = st.canonical_article_id THEN 1 ELSE 0.9 END,
                  300, '{}', 1, st.first_seen
           FROM unnest(%s::bigint[]) WITH ORDINALITY AS p(s, aid)
           JOIN stories st ON st.id = p.s""",
        (story_of,),
    )
    conn.execute(
        """INSERT INTO feed_changes (seq, kind, story_id, article_id, changed_at)
           SELECT row_number() OVER (ORDER BY c.article_id),
                  CASE WHEN c.article_id = s.canonical_article_id THEN 'story' ELSE 'copy' END,
                  c.story_id, c.article_id, c.first_seen
           FROM story_copies c JOIN stories s ON s.id = c.story_id"""
    )
    conn.execute("UPDATE feed_clock SET last_seq = (SELECT max(seq) FROM feed_changes)")
    conn.execute(
        "SELECT setval(pg_get_serial_sequence('stories', 'id'), (SELECT max(id) FROM stories))"
    )
    conn.execute("SET session_replication_role = DEFAULT")
    conn.commit()
    figures["load_stories_s"] = time.perf_counter() - started

    started = time.perf_counter()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    conn.autocommit = False
    figures["vacuum_analyze_s"] = time.perf_counter() - started
    return figures


def trigger_cost(conn: psycopg.Connection, stories: int) -> tuple[float, float]:
    """ms per story-or-copy row written (a story and 2 copies per transaction, commit
    included), without and with the feed's triggers: the difference is their cost."""
    rows = conn.execute(
        "SELECT id FROM articles ORDER BY id DESC LIMIT %s", (stories * 6,)
    ).fetchall()
    ids = [r["id"] for r in rows]
    conn.execute("DELETE FROM feed_changes WHERE article_id = ANY(%s)", (ids,))
    conn.execute("DELETE FROM story_copies WHERE article_id = ANY(%s)", (ids,))
    conn.commit()

    def write(batch: list[int]) -> float:
        started = time.perf_counter()
        for k in range(0, len(batch), 3):
            a, b, c = batch[k : k + 3]
            with conn.transaction():
                story = conn.execute(
                    "INSERT INTO stories (canonical_article_id, title) VALUES (%s, 't')"
                    " RETURNING id",
                    (a,),
                ).fetchone()["id"]
                for article in (a, b, c):
                    conn.execute(
                        """INSERT INTO story_copies (article_id, story_id, similarity, words,
                                                     band_keys, fingerprint_version)
                           VALUES (%s, %s, 0.9, 300, '{}', 1)""",
                        (article, story),
                    )
        return (time.perf_counter() - started) * 1000 / len(batch)

    for table in ("stories", "story_copies"):
        conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(sql.Identifier(table)))
    conn.commit()
    try:
        without = write(ids[: stories * 3])
    finally:
        for table in ("stories", "story_copies"):
            conn.execute(
                sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(sql.Identifier(table))
            )
        conn.commit()
    return without, write(ids[stories * 3 :])


def bulk_transaction_cost(conn: psycopg.Connection, skip: int, n: int) -> tuple[float, float]:
    """Seconds to write ``n`` stories (each with its first copy) in ONE transaction,
    and of those the COMMIT, where the feed numbers and announces the changes."""
    ids = [
        r["id"]
        for r in conn.execute(
            "SELECT id FROM articles ORDER BY id DESC OFFSET %s LIMIT %s", (skip, n)
        )
    ]
    conn.execute("DELETE FROM feed_changes WHERE article_id = ANY(%s)", (ids,))
    conn.execute("DELETE FROM story_copies WHERE article_id = ANY(%s)", (ids,))
    conn.commit()
    started = time.perf_counter()
    for article in ids:
        story = conn.execute(
            "INSERT INTO stories (canonical_article_id, title) VALUES (%s, 't') RETURNING id",
            (article,),
        ).fetchone()["id"]
        conn.execute(
            """INSERT INTO story_copies (article_id, story_id, similarity, words,
                                         band_keys, fingerprint_version)
               VALUES (%s, %s, 1.0, 300, '{}', 1)""",
            (article, story),
        )
    committing = time.perf_counter()
    conn.commit()
    done = time.perf_counter()
    return done - started, done - committing


def sizes(conn: psycopg.Connection, n: int) -> list[tuple[str, float]]:
    def size(expr: str) -> int:
        return conn.execute(f"SELECT {expr} AS b").fetchone()["b"]

    return [
        ("articles heap+TOAST", size("pg_table_size('articles')") / n),
        ("articles indexes (all)", size("pg_indexes_size('articles')") / n),
        ("  of which search GIN", size("pg_relation_size('articles_search')") / n),
        (
            "stories + copies + change log (with indexes)",
            sum(
                size(f"pg_total_relation_size('{t}')")
                for t in ("stories", "story_copies", "feed_changes")
            )
            / n,
        ),
        ("whole database", size("pg_database_size(current_database())") / n),
    ]


def common_terms(conn: psycopg.Connection) -> dict[str, str]:
    """Pick real terms by document frequency from the index statistics."""
    rows = conn.execute(
        """SELECT word, ndoc
           FROM ts_stat('SELECT search_vector FROM articles TABLESAMPLE SYSTEM (1)')
           WHERE length(word) > 4 ORDER BY ndoc DESC"""
    ).fetchall()
    total = conn.execute("SELECT count(*) AS n FROM articles TABLESAMPLE SYSTEM (1)").fetchone()[
        "n"
    ]

    def near(share: float) -> str:
        return min(rows, key=lambda r: abs(r["ndoc"] / total - share))["word"]

    return {"rare (~0.01%)": near(0.0001), "medium (~1%)": near(0.01), "common (~20%)": near(0.2)}


def report(url: str, args: argparse.Namespace) -> None:
    with db.connect(url) as conn:
        db.migrate(conn)
        n = conn.execute("SELECT count(*) AS n FROM articles").fetchone()["n"]
        if n == 0:
            print(f"loading {args.articles:,} articles ...", flush=True)
            for name, value in load(conn, args.articles, args.seed).items():
                print(f"  {name}: {value:.1f}")
            n = args.articles
        else:
            print(f"reusing {n:,} articles in {DB_NAME}")
        facts = conn.execute(
            """SELECT current_setting('server_version') AS version,
                      current_setting('shared_buffers') AS shared_buffers,
                      current_setting('work_mem') AS work_mem,
                      (SELECT count(*) FROM stories) AS stories,
                      (SELECT count(*) FROM feed_changes) AS changes"""
        ).fetchone()
        print(
            f"PostgreSQL {facts['version']}, shared_buffers={facts['shared_buffers']}, "
            f"work_mem={facts['work_mem']}"
        )
        print(f"articles: {n:,}  stories: {facts['stories']:,}  changes: {facts['changes']:,}")
        conn.commit()

        print("\nstorage per article (bytes):")
        for label, value in sizes(conn, n):
            print(f"  {label:<46} {value:>8.0f}")

        terms = common_terms(conn)
        rare, medium = terms["rare (~0.01%)"], terms["medium (~1%)"]
        phrase = conn.execute(
            "SELECT split_part(text, ' ', 2) || ' ' || split_part(text, ' ', 3) AS p"
            " FROM articles ORDER BY id LIMIT 1 OFFSET 4242"
        ).fetchone()["p"]
        conn.commit()
        outlet = OUTLETS[17]
        checks: list[tuple[str, Callable[[], object]]] = [
            (
                "latest 50 stories",
                lambda: conn.execute(
                    "SELECT * FROM wirewatch_feed.stories WHERE merged_into IS NULL"
                    " ORDER BY first_seen DESC LIMIT 50"
                ).fetchall(),
            ),
            (
                f"latest 50 articles (copies) of {outlet}",
                lambda: conn.execute(
                    "SELECT article_id, story_id, title, url, first_seen"
                    " FROM wirewatch_feed.articles WHERE outlet = %s"
                    " ORDER BY first_seen DESC LIMIT 50",
                    (outlet,),
                ).fetchall(),
            ),
        ]
        queries = [(f"{label}: {term}", term) for label, term in terms.items()]
        queries += [
            (f"{medium} AND {rare}", f"{medium} AND {rare}"),
            (f'phrase "{phrase}"', f'"{phrase}"'),
        ]
        for sort in SORTS:
            for label, query in queries:
                checks.append(
                    (
                        f"search --sort {sort} {label}",
                        lambda q=query, s=sort: search(conn, q, sort=s),
                    )
                )
        for label, query in queries:
            checks.append(
                (f"search {label} + snippets", lambda q=query: search(conn, q, snippets=True))
            )
            checks.append(
                (f"count (up to {COUNT_BOUND:,}) {label}", lambda q=query: count_matches(conn, q))
            )

        with feed.reader_connection(url) as reader:
            with reader.transaction():
                last = reader.execute("SELECT last_seq FROM feed_clock").fetchone()["last_seq"]
            for label, position in (("start", 0), ("middle", last // 2), ("end", last - 1000)):
                checks.append(
                    (
                        f"cursor page of 1,000 changes ({label})",
                        lambda p=position: feed.read_page(reader, p, 1000),
                    )
                )
            for label, term in (("rare", rare), ("common", terms["common (~20%)"])):
                where = feed.story_filter(reader, term)
                checks.append(
                    (
                        f"cursor page of up to 1,000 changes (--query {label} term, start)",
                        lambda w=where: feed.read_page(reader, 0, 1000, w),
                    )
                )
            print(f"\nlatency, ms, warm ({args.repeat} runs):  median    p95    max")
            for label, fn in checks:
                median, p95, worst = timed(fn, args.repeat)
                conn.rollback()
                print(f"  {label:<62} {median:7.1f} {p95:6.1f} {worst:6.1f}")

        without, with_triggers = trigger_cost(conn, args.trigger_sample)
        print(
            "\nwriting stories and copies (a story + 2 copies per transaction, commit included):"
            f"\n  without feed triggers {without:.2f} ms per row, with them"
            f" {with_triggers:.2f} ms per row (= per change)"
        )
        total, commit = bulk_transaction_cost(conn, args.trigger_sample * 6, args.bulk_stories)
        print(
            f"one transaction writing {args.bulk_stories:,} stories: {total:.2f} s,"
            f" of which COMMIT (numbering + NOTIFY of {args.bulk_stories:,} changes) {commit:.2f} s"
        )


def bench_database(server_url: str, name: str, *, keep: bool) -> str:
    """URL of the benchmark database ``name``: kept from the last run with ``keep``
    (a large archive takes long to load), else created afresh."""
    with psycopg.connect(server_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and not keep:
            drop_database(server_url, name)
            exists = None
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_conninfo(server_url, dbname=name)


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--trigger-sample", type=int, default=300)
    parser.add_argument("--bulk-stories", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--server-url", help="server maintenance URL (default: embedded)")
    parser.add_argument("--workdir", help="embedded server directory (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the database (reuse it next run)")
    args = parser.parse_args()

    server_url = start_server(args)
    report(bench_database(server_url, DB_NAME, keep=args.keep), args)
    if not args.keep:
        drop_database(server_url, DB_NAME)
    return 0


if __name__ == "__main__":
    sys.exit(main())
