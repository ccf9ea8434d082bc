"""Storing articles: wirewatch's storing transaction beside a bare INSERT, per article.

The generated newsroom's articles (``GeneratedNewsroom``, the crawl benchmark's
site) are extracted in this process as a crawl's workers would extract them,
then stored one after another into a fresh database, twice:

* **wirewatch**: ``store_article``, one transaction each (the upsert, the
  story lookup and assignment, the revision, the alert check), as the crawl's
  storage threads run it;
* **bare INSERT**: one ``INSERT ... ON CONFLICT`` each on an autocommit
  connection, what ``benchmarks/bare_spider.py`` does.

For each: this process's CPU per article (the crawl's storing thread: psycopg,
the story comparison, the kernel's send and receive), wall time, the server
backend's CPU (read from /proc when the server runs on this machine), and
round trips to the server (the times psycopg waited for an answer).  One
process, one connection, nothing else running: the cost of storing itself,
without the crawl around it (issue 21).

    .venv/bin/python benchmarks/store.py --articles 2100

Needs ``DATABASE_URL`` naming a server where it may create and drop databases
(else the embedded PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.crawl import fresh_database
from demo.generated import GeneratedNewsroom
from tests.support.round_trips import count_round_trips
from wirewatch.pipelines import db
from wirewatch.pipelines.extract.worker import extract_in_worker
from wirewatch.pipelines.storage import store_article

BASE = "http://127.0.0.2:8000"
BARE_TABLE = (
    "CREATE TABLE IF NOT EXISTS public.articles (url text PRIMARY KEY, title text, "
    "text text NOT NULL, fetched_at timestamptz NOT NULL DEFAULT now())"
)
BARE_INSERT = (
    "INSERT INTO public.articles (url, title, text) VALUES (%s, %s, %s) "
    "ON CONFLICT (url) DO UPDATE SET title = excluded.title, text = excluded.text"
)


def crawled_articles(room: GeneratedNewsroom, count: int) -> Iterator[dict[str, Any]]:
    """Articles as the crawl's pipelines hand them to storage: the page's fields, the
    extracted ones and the workers' fingerprint."""
    fetched = datetime(2026, 11, 1, tzinfo=UTC)
    for i in range(min(count, room.n_articles)):
        url = BASE + room.path(i)
        resource = room.get(room.path(i), BASE)
        if resource is None:
            continue
        result = extract_in_worker(resource.body, url, "utf-8", None)
        if result.get("reason"):
            continue
        site = room.article(i).site
        yield {
            "source": f"gen-{site}",
            "outlet": f"{site}.example",
            "wire": site == "wire",
            "url": url,
            "final_url": url,
            "status": 200,
            "discovered_at": fetched + timedelta(seconds=i),
            "fetched_at": fetched + timedelta(seconds=i, milliseconds=200),
            **{k: v for k, v in result.items() if k not in ("reason", "detail", "learnable")},
        }


def backend_cpu(pid: int) -> float | None:
    """CPU seconds of a server backend, if the server runs on this machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    label: str, conn: psycopg.Connection, articles: list[dict[str, Any]], store: Callable
) -> None:
    trips = count_round_trips(conn)
    server_before = backend_cpu(conn.info.backend_pid)
    cpu, wall = time.process_time(), time.perf_counter()
    for article in articles:
        store(conn, article)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    server_after = backend_cpu(conn.info.backend_pid)
    n = len(articles)
    server = (
        f"{1000 * (server_after - server_before) / n:6.2f}"
        if server_before is not None and server_after is not None
        else "     ?"
    )
    print(
        f"{label:<14}{1000 * cpu / n:>14.2f}{1000 * wall / n:>12.2f}{server:>16}"
        f"{trips() / n:>14.1f}",
        flush=True,
    )


def add_sources(conn: psycopg.Connection, articles: list[dict[str, Any]]) -> None:
    for name, wire in sorted({(a["source"], a["wire"]) for a in articles}):
        conn.execute(
            "INSERT INTO wirewatch.sources (name, kind, urls, wire)"
            " VALUES (%s, 'sitemap', '{}', %s)",
            (name, wire),
        )
    conn.commit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2100)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of each")
    args = parser.parse_args(argv)
    room = GeneratedNewsroom(args.articles, n_outlets=5, seed=1)
    started = time.perf_counter()
    articles = list(crawled_articles(room, args.articles))
    print(
        f"{len(articles):,} articles extracted in {time.perf_counter() - started:.1f} s; "
        f"each stored in a fresh database, {args.rounds} alternating rounds\n"
    )
    print(f"{'':<14}{'CPU ms/art':>14}{'wall ms/art':>12}{'server ms/art':>16}{'round trips':>14}")
    server_url = os.environ.get("DATABASE_URL") or db.database_url()
    for _ in range(args.rounds):
        with fresh_database(server_url) as url, db.connect(url) as conn:
            add_sources(conn, articles)
            measure("wirewatch", conn, articles, lambda c, a: store_article(c, a))
        with fresh_database(server_url) as url, psycopg.connect(url, autocommit=True) as conn:
            conn.execute(BARE_TABLE)
            measure(
                "bare INSERT",
                conn,
                articles,
                lambda c, a: c.execute(BARE_INSERT, (a["url"], a["title"], a["text"])),
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
