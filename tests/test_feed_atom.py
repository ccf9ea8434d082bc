"""The Atom writer: valid RFC 4287 documents a feed reader can subscribe to."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import feedparser

from wirewatch.pipelines.atom import feed_info, render_atom

A = "{http://www.w3.org/2005/Atom}"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def change(kind: str, cursor: int, **fields: object) -> dict:
    base = {
        "cursor": str(cursor),
        "kind": kind,
        "story_id": 7,
        "article_id": 70 + cursor,
        "title": "Quake hits coast",
        "url": f"https://news.example/quake-{cursor}",
        "outlet": "news.example",
        "published": T0 - timedelta(hours=1),
        "changed_at": T0 + timedelta(minutes=cursor),
        "summary": "A strong earthquake struck the coast on Sunday.",
    }
    return base | fields


def parse(document: bytes) -> ET.Element:
    root = ET.fromstring(document)
    assert root.tag == f"{A}feed"
    return root


def test_feed_and_entries_carry_every_element_rfc_4287_requires() -> None:
    changes = [change("story", 1), change("copy", 2, outlet="daily.example"), change("update", 3)]
    root = parse(render_atom(feed_info(None), changes))
    for tag in ("id", "title", "updated", "author"):
        assert root.find(f"{A}{tag}") is not None, tag
    entries = root.findall(f"{A}entry")
    assert len(entries) == 3
    for entry in entries:
        for tag in ("id", "title", "updated"):
            assert (entry.findtext(f"{A}{tag}") or "").strip(), tag
        link = entry.find(f"{A}link")
        assert link is not None and link.get("rel") == "alternate"
        assert link.get("href", "").startswith("https://news.example/")
    assert root.findtext(f"{A}updated") == "2026-03-01T12:03:00Z"
    # Newest first, as readers expect; each kind says what it is.
    assert [e.findtext(f"{A}title") for e in entries] == [
        "Quake hits coast (updated)",
        "Quake hits coast (also in daily.example)",
        "Quake hits coast",
    ]


def test_feedparser_reads_it_without_complaint() -> None:
    document = render_atom(
        feed_info("quake AND coast", "https://feeds.example/quake.xml"),
        [change("story", 1), change("copy", 2)],
    )
    parsed = feedparser.parse(document)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "wirewatch: quake AND coast"
    assert [e.link for e in parsed.entries] == [
        "https://news.example/quake-2",
        "https://news.example/quake-1",
    ]


def test_entry_ids_are_stable_per_story_copy_and_update() -> None:
    first = parse(render_atom(feed_info(None), [change("story", 1), change("copy", 2)]))
    again = parse(render_atom(feed_info(None), [change("story", 1)]))
    ids = [e.findtext(f"{A}id") for e in first.findall(f"{A}entry")]
    assert ids == ["tag:wirewatch,2024:story/7/copy/72", "tag:wirewatch,2024:story/7"]
    assert again.find(f"{A}entry").findtext(f"{A}id") == ids[1]


def test_each_query_is_its_own_feed() -> None:
    assert feed_info("quake").id != feed_info("flood").id != feed_info(None).id
    assert feed_info("quake").id == feed_info("quake").id


def test_text_xml_cannot_carry_is_dropped_and_markup_is_escaped() -> None:
    nasty = change("story", 1, title="Bad\x00 \x0bbytes <script>alert(1)</script> & co")
    root = parse(render_atom(feed_info(None), [nasty]))
    assert root.find(f"{A}entry").findtext(f"{A}title") == (
        "Bad bytes <script>alert(1)</script> & co"
    )


def test_an_entry_without_a_web_link_gets_content_instead() -> None:
    entry = parse(render_atom(feed_info(None), [change("story", 1, url=None)])).find(f"{A}entry")
    assert entry.find(f"{A}link") is None
    assert entry.findtext(f"{A}content") == "A strong earthquake struck the coast on Sunday."


def test_an_empty_feed_is_still_valid() -> None:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    root = parse(render_atom(feed_info(None), [], now=now))
    assert root.findtext(f"{A}updated") == "2026-01-02T03:04:05Z"
    assert root.findall(f"{A}entry") == []
