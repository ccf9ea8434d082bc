"""ExtractionPipeline under a real reactor with real worker processes and a real PostgreSQL.

Each scenario runs ``tests/fixtures/extraction/driver.py`` in a child process
(Twisted's reactor cannot be restarted within one test process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.support.gazette import PROMO, article
from tests.support.gazette import STORIES as GAZETTE_STORIES
from wirewatch.pipelines.boilerplate import load_knowledge
from wirewatch.pipelines.extract.sitelearn import block_key

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
DRIVER = FIXTURES / "driver.py"
STORIES = GAZETTE_STORIES[:4]
BUS_STORY = STORIES[0].replace("ferry", "bus")


def drive(request: dict, timeout: float = 90) -> list[dict]:
    done = subprocess.run(
        [sys.executable, str(DRIVER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def site_pages(prefix: str = "news") -> list[dict]:
    return [
        {"url": f"https://www.gazette.example/{prefix}/{i}", "html": article(story)}
        for i, story in enumerate(STORIES)
    ]


def test_fills_the_article_fields_and_drops_the_body(db_url: str) -> None:
    html = (FIXTURES / "article.html").read_text(encoding="utf-8")
    [item] = drive({"pages": [{"url": "https://www.gazette.example/news/ferry", "html": html}]})
    assert item["has_body"] is False
    assert item["has_fingerprint"] is True  # computed in the worker, for dedupe
    assert item["title"] == "Ferry line to link the islands again"
    assert item["published"] == "2025-03-04T07:30:00+01:00"
    assert item["authors"] == ["Ana Ribeiro", "Tom Field"]
    assert (item["wire_credit"], item["dateline"]) == ("AP", "PORT ELLEN")
    assert item["text"].startswith("PORT ELLEN (AP)")
    assert len(item["content_hash"]) == 64
    for name in ("canonical_url", "language", "top_image", "section", "summary"):
        assert item[name]


def test_a_page_with_no_article_is_rejected_by_kind(db_url: str) -> None:
    index = (FIXTURES / "index.html").read_text(encoding="utf-8")
    [item] = drive({"pages": [{"url": "https://www.gazette.example/local", "html": index}]})
    assert item["rejected"] == "not_article"


def test_a_hanging_or_crashing_page_fails_alone_and_the_crawl_goes_on(db_url: str) -> None:
    hang = {"url": "https://www.gazette.example/hang", "html": "<p>HANG-HERE</p>"}
    crash = {"url": "https://www.gazette.example/crash", "html": "<p>CRASH-HERE</p>"}
    results = drive({"pages": [hang, crash, *site_pages()], "worker": "misbehaving", "timeout": 2})
    assert results[0] == {
        "url": hang["url"],
        "rejected": "extraction_failed",
        "detail": "extraction took longer than 2s",
    }
    assert results[1]["rejected"] == "extraction_failed"
    assert "worker died" in results[1]["detail"]
    assert all(r.get("text", "").startswith(s) for r, s in zip(results[2:], STORIES, strict=True))


def test_learned_boilerplate_is_saved_once_per_page_and_cleans_a_page_fetched_alone(
    db_url: str,
) -> None:
    first = drive({"pages": site_pages(), "sequential": True})
    # Learning in the crawl itself: pages after the third no longer carry the promo.
    assert PROMO in first[0]["text"]
    assert PROMO not in first[-1]["text"]

    # A later crawl: the same pages again, and a new page of the site on its own.
    lone = {"url": "https://gazette.example/news/new", "html": article(BUS_STORY)}
    *again, later = drive({"pages": [*site_pages(), lone], "sequential": True})
    assert PROMO not in later["text"]
    assert later["text"].startswith("The bus line")
    assert all(PROMO not in r["text"] for r in again)
    with psycopg.connect(db_url, options="-c search_path=wirewatch,public") as conn:
        conn.row_factory = psycopg.rows.dict_row
        site = load_knowledge(conn, "gazette.example")
    # Re-crawled pages were not counted twice: four pages, then the new one.
    assert site.block_pages[block_key(PROMO)] == len(STORIES) + 1


def test_without_a_database_extraction_still_works(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    results = drive({"pages": site_pages(), "sequential": True})
    assert all(r.get("text") for r in results)
    assert PROMO not in results[-1]["text"]  # learned in memory
