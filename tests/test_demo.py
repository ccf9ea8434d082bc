"""`wirewatch demo`: the offline newsroom, crawled end to end as a newcomer would."""

from __future__ import annotations

import json

import psycopg
from psycopg.conninfo import make_conninfo

from tests.conftest import run_wirewatch
from wirewatch.crawler.demo import site_dir


def test_demo_stores_the_whole_fixture_newsroom(db_url: str, pg_server_url: str) -> None:
    expected = json.loads((site_dir() / "MANIFEST.json").read_text())["expected"]
    result = run_wirewatch("demo", "--database", "ww_t_demo_run")
    assert result.returncode == 0, result.stderr
    assert f"articles stored:  {expected['articles']}" in result.stdout
    assert "export DATABASE_URL=" in result.stdout
    assert "Open the web interface" in result.stdout and " web\n" in result.stdout
    demo_url = make_conninfo(pg_server_url, dbname="ww_t_demo_run")
    try:
        with psycopg.connect(demo_url) as conn:
            per_source = dict(
                conn.execute("SELECT source, count(*) FROM wirewatch.articles GROUP BY source")
            )
            assert per_source == expected["articles_per_source"]
            statuses = {r[0] for r in conn.execute("SELECT status FROM wirewatch.crawl_runs")}
            assert statuses == {"ok"}
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS ww_t_demo_run WITH (FORCE)")
