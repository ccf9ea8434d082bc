"""After a config change or with `crawl --full`, listings and articles are read again.

A section page that has not changed answers 304, and stored articles are
not fetched again: right for a steady source, wrong right after the operator
changed what the source should follow, or fixed something.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from tests.conftest import run_wirewatch
from tests.support.pages import article_html
from wirewatch.crawler.demo.server import FixtureServer, raw

SECTION = "".join(
    f"<li><a href='/{kind}/2024/{n}.html'>District report {n}</a></li>"
    for kind, n in [("news", 1), ("news", 2), ("opinion", 3), ("opinion", 4)]
)


def serve(server: FixtureServer) -> None:
    server.route("/world/", raw(f"<html><body><ul>{SECTION}</ul></body></html>"))
    for kind, n in [("news", 1), ("news", 2), ("opinion", 3), ("opinion", 4)]:
        server.route(f"/{kind}/2024/{n}.html", raw(article_html(n)))


def write(config: Path, base: str, follow: str) -> None:
    config.write_text(
        f'[[source]]\nname = "section"\nkind = "section"\nurl = "{base}/world/"\n'
        f'follow = "{follow}"\n'
    )


def stored(db_url: str) -> set[str]:
    with psycopg.connect(db_url) as conn:
        return {
            row[0].split("/", 3)[3] for row in conn.execute("SELECT url FROM wirewatch.articles")
        }


def test_a_changed_follow_reads_the_unchanged_section_page_again(
    tmp_path: Path, db_url: str
) -> None:
    config = tmp_path / "wirewatch.toml"
    with FixtureServer() as server:
        serve(server)
        write(config, server.base_url, "/news/")
        assert run_wirewatch("--config", str(config), "crawl").returncode == 0
        assert stored(db_url) == {"news/2024/1.html", "news/2024/2.html"}
        write(config, server.base_url, "/(news|opinion)/")
        assert run_wirewatch("--config", str(config), "crawl").returncode == 0
        section_fetches = [r for r in server.log if r.target == "/world/"]
    assert stored(db_url) == {
        f"{k}/2024/{n}.html" for k, n in [("news", 1), ("news", 2), ("opinion", 3), ("opinion", 4)]
    }
    # The second fetch of the section page was a full one, not a conditional 304.
    assert section_fetches[-1].status == 200


def test_crawl_full_fetches_stored_articles_again_and_updates_them(
    tmp_path: Path, db_url: str
) -> None:
    config = tmp_path / "wirewatch.toml"
    with FixtureServer() as server:
        serve(server)
        write(config, server.base_url, "/news/")
        assert run_wirewatch("--config", str(config), "crawl").returncode == 0
        corrected = article_html(1).replace(
            "District report 1</h1>",
            "District report 1</h1>"
            "<p>Correction: the bridge reopens in May, not June, "
            "the council said on Friday evening.</p>",
        )
        server.route("/news/2024/1.html", raw(corrected))
        assert run_wirewatch("--config", str(config), "crawl").returncode == 0
        with psycopg.connect(db_url) as conn:
            before = conn.execute("SELECT text FROM wirewatch.articles WHERE url LIKE '%/1.html'")
            assert "Correction" not in before.fetchone()[0]  # a stored article is not refetched
        full = run_wirewatch("--config", str(config), "crawl", "--full")
        assert full.returncode == 0, full.stderr
        article_hits = [r for r in server.log if r.target == "/news/2024/1.html"]
    with psycopg.connect(db_url) as conn:
        text = conn.execute("SELECT text FROM wirewatch.articles WHERE url LIKE '%/1.html'")
        assert "Correction: the bridge reopens in May" in text.fetchone()[0]
    assert len(article_hits) == 2
