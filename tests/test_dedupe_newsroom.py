"""The fixture newsroom's ground truth: wire stories, outlet copies, a same-event hard negative.

``crawler/demo/site/MANIFEST.json`` lists every article's paragraphs and the
story it belongs to; both dedupe paths must recover exactly those stories.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from wirewatch.pipelines.clustering import cluster
from wirewatch.pipelines.queries import Q
from wirewatch.pipelines.storage import store_article

MANIFEST = json.loads(
    (Path(__file__).resolve().parents[1] / "crawler/demo/site/MANIFEST.json").read_text("utf-8")
)
ARTICLES = MANIFEST["articles"]


def text_of(article: dict[str, Any]) -> str:
    return "\n\n".join(article["paragraphs"])


def test_batch_clusters_are_the_manifest_stories() -> None:
    roots = cluster([text_of(a) for a in ARTICLES]).tolist()
    found = {frozenset(a["path"] for a, r in zip(ARTICLES, roots, strict=True) if r == root)
             for root in set(roots)}  # fmt: skip
    expected = {frozenset(paths) for paths in MANIFEST["stories"].values()}
    assert found == expected


def test_the_same_event_with_a_shared_quote_stays_two_stories() -> None:
    by_path = {a["path"]: text_of(a) for a in ARTICLES}
    for negative in MANIFEST["near_duplicates_that_are_distinct"]:
        roots = cluster([by_path[p] for p in negative["paths"]]).tolist()
        assert roots[0] != roots[1], negative["why"]


@pytest.fixture
def newsroom_sources(conn: psycopg.Connection) -> None:
    for site in MANIFEST["sites"].values():
        conn.execute(
            Q.upsert_source,
            {
                "name": site["source"],
                "kind": "feed",
                "urls": [f"http://newsroom.example{site['prefix']}feed.xml"],
                "wire": site["wire"],
                "schedule": None,
                "settings": "{}",
            },
        )
    conn.commit()


def test_stored_copies_fold_into_the_manifest_stories_with_the_wire_copy_canonical(
    conn: psycopg.Connection, newsroom_sources: None
) -> None:
    wire_sources = {s["source"] for s in MANIFEST["sites"].values() if s["wire"]}
    # Outlet copies first: the wire's own copy must still end up canonical.
    ordered = sorted(ARTICLES, key=lambda a: a["kind"] == "wire")
    story_of: dict[str, int] = {}
    for article in ordered:
        text = text_of(article)
        result = store_article(
            conn,
            {
                "url": f"http://newsroom.example{article['path']}",
                "source": article["source"],
                "outlet": article["site"],
                "wire": article["source"] in wire_sources,
                "title": article["title"],
                "text": text,
                "published": datetime.fromisoformat(article["published"]),
                "wire_credit": article.get("wire_credit"),
                "fetched_at": datetime.fromisoformat(article["published"]),
                "content_hash": hashlib.sha256(text.encode()).hexdigest(),
            },
        )
        conn.commit()
        story_of[article["path"]] = result.story_id
    for paths in MANIFEST["stories"].values():
        assert len({story_of[p] for p in paths}) == 1, paths
    assert len(set(story_of.values())) == MANIFEST["expected"]["stories"]
    canonical = {
        row["id"]: row["url"]
        for row in conn.execute(
            "SELECT s.id, a.url FROM stories s JOIN articles a ON a.id = s.canonical_article_id"
        )
    }
    for article in ARTICLES:
        if article["kind"] == "wire":
            assert canonical[story_of[article["path"]]].endswith(article["path"])
