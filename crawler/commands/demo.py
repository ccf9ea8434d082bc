"""Crawl the bundled fictional newsroom end to end, offline.

Its options, and the description `wirewatch demo --help` prints, are in
crawler/usage/demo.py (imported without this module).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import DictRow

from wirewatch.crawler.config import loads_config
from wirewatch.crawler.demo import site_dir, sources_toml
from wirewatch.crawler.demo.server import FixtureServer
from wirewatch.crawler.runner import format_summaries, run_crawls
from wirewatch.pipelines import db


def recreate_database(server_url: str, name: str) -> str:
    """Drop and create ``name`` on the server of ``server_url``; return its URL."""
    if conninfo_to_dict(server_url).get("dbname") == name:
        raise ValueError("the demo database must not be the one wirewatch normally uses")
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_conninfo(server_url, dbname=name)


def _count(conn: psycopg.Connection[DictRow], table: str) -> int | None:
    """Rows in ``table``, or None where that part of the schema does not exist."""
    found = db.one_row(conn.execute("SELECT to_regclass(%s) AS t", (f"wirewatch.{table}",)))
    if found["t"] is None:
        return None
    query = sql.SQL("SELECT count(*) AS n FROM {}").format(sql.Identifier("wirewatch", table))
    count: int = db.one_row(conn.execute(query))["n"]
    return count


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    demo_url = recreate_database(db.database_url(), args.database)
    expected = json.loads((site_dir() / "MANIFEST.json").read_text(encoding="utf-8"))["expected"]
    home = db.wirewatch_home() / "demo"
    home.mkdir(parents=True, exist_ok=True)
    with FixtureServer(site_dir()) as server:
        config_file = home / "wirewatch.toml"
        config_file.write_text(sources_toml(server.base_url), encoding="utf-8")
        config = loads_config(config_file.read_text(encoding="utf-8"), config_file)
        print(f"serving the fixture newsroom at {server.base_url}")
        summaries = run_crawls(config, list(config.sources), database_url=demo_url)
        pages = sum(server.hits.values())
    print()
    print(format_summaries(summaries))
    with db.connect(demo_url) as conn:
        articles = _count(conn, "articles")
        stories = _count(conn, "stories")
        copies = _count(conn, "story_copies")
    print()
    print(f"requests served:  {pages}")
    print(f"articles stored:  {articles}  (the newsroom has {expected['articles']})")
    if stories is not None:
        print(f"stories:          {stories}  (expected {expected['stories']})")
        syndicated = expected["copies"]
        print(f"copies:           {copies}  (one per article; {syndicated} are syndicated)")
    print(f"took {time.monotonic() - started:.1f} s")
    print_how_to_look(demo_url, config_file)
    return 0 if all(s.status != "failed" for s in summaries) else 1


def print_how_to_look(demo_url: str, config_file: Path) -> None:
    print()
    print("Look at the data (the demo database is kept until the next `wirewatch demo`):")
    print(f"  export DATABASE_URL='{demo_url}'")
    print("  wirewatch feed --format jsonl          # every story and copy, oldest first")
    print("  wirewatch search 'Mansur AND flood*'    # full-text search, alert query syntax")
    print(f"  wirewatch --config {config_file} status   # per-source health")
    print('  psql "$DATABASE_URL" -c "SELECT * FROM wirewatch_feed.stories"   # if you have psql')
    print()
    print("Open the web interface on the demo data (then browse http://127.0.0.1:8080/):")
    print(f"  DATABASE_URL='{demo_url}' wirewatch --config {config_file} web")
