"""Shared by the archive and re-extraction tests: a small loopback newsroom crawled with
``[archive]`` on, and reading what the crawl stored and archived."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import run_wirewatch
from tests.support.gazette import STORIES, article
from wirewatch.crawler.demo.server import FixtureServer, raw, slow

PAGES = len(STORIES)


def page(n: int) -> str:
    """Article ``n``: its own story on every paragraph, nothing shared with the others
    (so learned boilerplate cannot change its text between a crawl and a re-extraction)."""
    return article(STORIES[n], promo=False)


def serve(server: FixtureServer, pages: int = PAGES, delay: float = 0.0) -> None:
    """A section page listing ``pages`` articles at /news/N.html (article N shows
    ``page(N % PAGES)``), each answered after ``delay`` seconds."""
    links = "".join(f"<a href='/news/{n}.html'>Story {n}</a>" for n in range(pages))
    server.route("/world/", raw(f"<html><body>{links}</body></html>"))
    for n in range(pages):
        body = page(n % PAGES)
        server.route(f"/news/{n}.html", slow(delay, body) if delay else raw(body))


def write_config(
    folder: Path, server: FixtureServer, archive: Path | None, extra: str = ""
) -> Path:
    """One section source; ``[archive]`` in ``archive`` (None: no table, not archived)."""
    config = folder / "wirewatch.toml"
    text = (
        f'[[source]]\nname = "gazette"\nkind = "section"\nurl = "{server.base_url}/world/"\n'
        'follow = "/news/"\n'
    )
    if archive is not None:
        text += f'\n[archive]\ndir = "{archive}"\n{extra}'
    config.write_text(text)
    return config


def crawl(config: Path, *args: str) -> str:
    """Run ``wirewatch crawl``; its log (stderr), after checking it succeeded."""
    done = run_wirewatch("--config", str(config), "crawl", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stderr


def crawled_newsroom(folder: Path, archive: Path | None, extra: str = "") -> Path:
    """Serve the newsroom, crawl it once with ``write_config``'s configuration, and
    return that configuration (the server is gone: later runs read the archive)."""
    with FixtureServer() as server:
        serve(server)
        config = write_config(folder, server, archive, extra)
        crawl(config)
    return config


def articles(db_url: str) -> list[dict[str, Any]]:
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        return conn.execute("SELECT * FROM wirewatch.articles ORDER BY id").fetchall()


def revisions(db_url: str) -> list[dict[str, Any]]:
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT * FROM wirewatch.article_revisions ORDER BY article_id, revision"
        ).fetchall()


def warc_files(archive: Path) -> list[Path]:
    return sorted(archive.glob("*/*.warc.gz*"))


def records(path: Path) -> list[dict[str, Any]]:
    """Every record of a WARC file as warcio reads it: type, target, offset, payload."""
    found = []
    with open(path, "rb") as handle:
        iterator = ArchiveIterator(handle)
        for record in iterator:
            payload = record.content_stream().read()  # before the offset: asking reads it
            found.append(
                {
                    "type": record.rec_type,
                    "url": record.rec_headers.get_header("WARC-Target-URI"),
                    "offset": iterator.get_record_offset(),
                    "payload": payload,
                    "http_headers": record.http_headers,
                    "warc_headers": record.rec_headers,
                }
            )
    return found


def cut_last_record(path: Path, keep: float = 0.5) -> int:
    """Leave ``path`` as a crawl killed while writing its last record would: the last
    gzip member cut to ``keep`` of its bytes, the file still named ``.open``.
    Returns the offset of the member cut short."""
    offsets = [r["offset"] for r in records(path)]
    data = path.read_bytes()
    last = offsets[-2]  # the last page's response record (its request record follows)
    cut = last + int((len(data) - last) * keep)
    opened = path.with_name(path.name + ".open")
    opened.write_bytes(data[:cut])
    path.unlink()
    return last
