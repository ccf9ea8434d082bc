"""`wirewatch extract`: one page, or a JSONL batch treated as one crawl."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import run_wirewatch
from tests.support.gazette import PROMO, article
from tests.support.gazette import STORIES as GAZETTE_STORIES
from wirewatch.crawler.demo.server import FixtureServer, raw

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
CONTRACT = ["id", "url", "canonical_url", "title", "text", "published", "authors", "language"]
STORIES = GAZETTE_STORIES[:3]


def jsonl_input() -> str:
    lines = [
        json.dumps({"id": f"p{i}", "url": f"https://gazette.example/n/{i}", "html": article(s)})
        for i, s in enumerate(STORIES)
    ]
    lines.insert(1, "{not json")
    lines.insert(3, json.dumps({"id": "nohtml", "url": "https://gazette.example/x"}))
    return "\n".join(lines) + "\n"


def test_jsonl_gives_one_line_per_input_in_order_with_errors_for_bad_lines(tmp_path: Path) -> None:
    source = tmp_path / "pages.jsonl"
    source.write_text(jsonl_input(), encoding="utf-8")
    result = run_wirewatch("extract", "--jsonl", str(source))
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["p0", None, "p1", "nohtml", "p2"]
    assert "line 2: not JSON" in out[1]["error"]
    assert out[3]["error"] == "line 4: no html"
    assert "line 2" in result.stderr and "line 4" in result.stderr
    assert result.returncode == 1
    for record, story in zip([out[0], out[2], out[4]], STORIES, strict=True):
        assert list(record)[: len(CONTRACT)] == CONTRACT
        assert record["text"].startswith(story)
        # The batch is one crawl: the promo on all three pages is the site's boilerplate.
        assert PROMO not in record["text"]


def test_jsonl_reads_stdin() -> None:
    line = json.dumps({"id": "a", "url": None, "html": article(STORIES[0])})
    result = subprocess.run(
        [sys.executable, "-m", "wirewatch.crawler.cli", "extract", "--jsonl", "-"],
        input=line + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [record] = [json.loads(x) for x in result.stdout.splitlines()]
    assert record["id"] == "a"
    assert record["url"] is None
    assert record["text"].startswith(STORIES[0])


def test_one_file_prints_its_text() -> None:
    result = run_wirewatch("extract", str(FIXTURES / "article.html"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("PORT ELLEN (AP) — The harbour authority")


def test_one_url_is_fetched_and_extracted_as_json() -> None:
    with FixtureServer() as srv:
        srv.route("/news/ferry", raw((FIXTURES / "article.html").read_bytes()))
        result = run_wirewatch("extract", "--json", srv.base_url + "/news/ferry")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["title"] == "Ferry line to link the islands again"
    assert record["canonical_url"].endswith("/news/2025/03/ferry-line")
    assert record["wire_credit"] == "AP"
    assert record["paywalled"] is False


def test_jsonl_flags_paywalled_articles_and_names_walls(tmp_path: Path) -> None:
    from tests.support.walls import CLOUDFLARE_STYLE, METERED_FULL_TEXT

    pages = tmp_path / "pages.jsonl"
    pages.write_text(
        "".join(
            json.dumps({"id": i, "url": f"https://gazette.example/n/{i}", "html": html.decode()})
            + "\n"
            for i, html in enumerate([METERED_FULL_TEXT, CLOUDFLARE_STYLE])
        )
    )
    result = run_wirewatch("extract", "--jsonl", str(pages))
    metered, challenge = (json.loads(line) for line in result.stdout.splitlines())
    assert metered["paywalled"] is True and "harbour council" in metered["text"]
    assert challenge["rejected"] == "blocked" and challenge["text"] == ""


def test_a_page_with_no_article_says_why() -> None:
    result = run_wirewatch("extract", str(FIXTURES / "index.html"))
    assert result.returncode == 1
    assert "not_article" in result.stderr


def test_usage_errors_are_clear() -> None:
    assert run_wirewatch("extract").returncode == 2
    missing = run_wirewatch("extract", "/nonexistent/page.html")
    assert missing.returncode == 2
    assert "cannot read /nonexistent/page.html" in missing.stderr


def test_learned_uses_what_crawls_saved_for_the_site(db_url: str, tmp_path: Path) -> None:
    from wirewatch.pipelines import db
    from wirewatch.pipelines.boilerplate import PendingPages, save_pending

    pending = PendingPages("gazette.example")
    for i in range(3):
        pending.add(f"https://gazette.example/old/{i}", [PROMO])
    with db.session(db_url) as conn:
        save_pending(conn, pending)
    page = tmp_path / "page.html"
    page.write_text(article(STORIES[0]), encoding="utf-8")
    url = "https://www.gazette.example/n/new"
    plain = run_wirewatch("extract", str(page), "--url", url)
    learned = run_wirewatch("extract", str(page), "--url", url, "--learned")
    assert PROMO in plain.stdout
    assert learned.returncode == 0, learned.stderr
    assert PROMO not in learned.stdout
    assert learned.stdout.startswith(STORIES[0])
