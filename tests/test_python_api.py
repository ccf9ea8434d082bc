"""`import wirewatch`: the library API notebooks and other programs use."""

from __future__ import annotations

from pathlib import Path

import pytest

import wirewatch
from tests.support.dedupe_texts import article
from tests.support.pages import article_html, feed_xml
from tests.support.walls import CLOUDFLARE_STYLE, METERED_FULL_TEXT
from wirewatch.crawler.demo.server import FixtureServer, raw
from wirewatch.pipelines.errors import UsageError


def test_extract_gives_the_article_and_says_why_not() -> None:
    page = wirewatch.extract(METERED_FULL_TEXT, url="https://gazette.example/n/1")
    assert "Paragraph 11 of the harbour council report" in page["text"]
    assert page["paywalled"] is True and page["rejected"] is None
    assert page["language"] == "en"
    wall = wirewatch.extract(CLOUDFLARE_STYLE)
    assert (wall["text"], wall["rejected"]) == ("", "blocked")
    assert "evidence" not in wall and "blocks" not in wall


def test_dedupe_groups_copies_by_id_or_by_index() -> None:
    wire = article(1)
    texts = {"wire": wire, "copy": "GENEVA (AP) — " + wire, "other": article(2)}
    assert wirewatch.dedupe(texts) == [["wire", "copy"], ["other"]]
    assert wirewatch.dedupe([article(2), wire, wire]) == [[1, 2], [0]]


def test_connect_reads_stories_search_and_changes_and_crawls(tmp_path: Path, db_url: str) -> None:
    with FixtureServer() as server:
        for n in (1, 2):
            server.route(f"/news/{n}.html", raw(article_html(n)))
        server.route("/feed.xml", raw(feed_xml(server.base_url, [1, 2]), "application/rss+xml"))
        config = tmp_path / "wirewatch.toml"
        config.write_text(
            f'[[source]]\nname = "f"\nkind = "feed"\nurl = "{server.base_url}/feed.xml"\n'
        )
        with wirewatch.connect(db_url) as ww:
            [summary] = ww.crawl(["f"], config=str(config))
            assert (summary["source"], summary["status"], summary["articles_new"]) == ("f", "ok", 2)
            # The two reports share their wording: one story, two copies.
            [story] = ww.stories(limit=10)
            assert story["copies"] == 2 and story["title"].startswith("District report")
            [hit] = ww.search("title:report")
            assert hit["story_id"] == story["story_id"]
            changes = list(ww.changes(since="0"))
            assert [c["kind"] for c in changes][:2] == ["story", "copy"]
            assert list(ww.changes(since=changes[-1]["cursor"])) == []
            with pytest.raises(UsageError):
                ww.stories(limit=0)
