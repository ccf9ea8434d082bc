"""An article's fields are declared once (``pipelines/article.py``) and everything follows it.

The item, the extraction workers' results, the ``upsert_article`` query, the
``articles`` table and the records of ``wirewatch extract --jsonl`` and
``wirewatch.extract()`` are checked against the declaration, so a field
added in one place and forgotten in another fails here, not in production.
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

import wirewatch
from tests.conftest import run_wirewatch
from tests.support.gazette import STORIES, article
from wirewatch.pipelines.article import EXTRACTED, FIELDS, STORED, stored_values
from wirewatch.pipelines.extract.core import Extracted
from wirewatch.pipelines.extract.worker import extract_in_worker
from wirewatch.pipelines.items import ArticleItem
from wirewatch.pipelines.queries import Q

# Columns ``upsert_article`` binds but storage computes, not carried by the item.
COMPUTED_PARAMS = {"url_key", "crawl_run_id"}
# Bound too, not a column: the words of the first revision it writes for a new article.
REVISION_PARAMS = {"first_words"}


def an_item(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "source": "gazette",
        "url": "https://gazette.example/n/1",
        "text": "A paragraph.",
        "content_hash": "ab" * 32,
        "fetched_at": datetime(2026, 11, 29, tzinfo=UTC),
    }
    item.update(changes)
    return item


def test_the_item_has_exactly_the_declared_fields() -> None:
    assert list(ArticleItem.fields) == [f.name for f in FIELDS]
    assert ArticleItem.fields["text"]["set_by"] == "extraction"


def test_every_extracted_field_is_an_attribute_of_the_extraction_result() -> None:
    attributes = {f.name for f in fields(Extracted)}
    assert set(EXTRACTED) <= attributes


def test_the_upsert_binds_exactly_the_stored_fields() -> None:
    params = set(re.findall(r"%\((\w+)\)s", Q.upsert_article))
    assert params == set(STORED) | COMPUTED_PARAMS | REVISION_PARAMS


def test_the_articles_table_has_a_column_for_every_stored_field(conn: psycopg.Connection) -> None:
    columns = {
        row["column_name"]
        for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'articles'"
        )
    }
    assert set(STORED) | COMPUTED_PARAMS <= columns


def test_stored_values_convert_and_fall_back_as_declared() -> None:
    values = stored_values(an_item(authors=("A. Writer",), paywalled=None, outlet=""))
    assert set(values) == set(STORED)
    assert values["authors"] == ["A. Writer"]
    assert values["paywalled"] is False
    assert values["outlet"] == "gazette"  # an empty outlet is the source's
    assert values["title"] is None  # optional and absent


@pytest.mark.parametrize("missing", ["source", "url", "text", "content_hash", "fetched_at"])
def test_an_item_without_a_required_field_is_refused_by_name(missing: str) -> None:
    item = an_item()
    del item[missing]
    with pytest.raises(KeyError, match=missing):
        stored_values(item)


def test_a_worker_sends_back_every_extracted_field() -> None:
    result = extract_in_worker(
        article(STORIES[0]).encode(), "https://gazette.example/n/1", None, None
    )
    assert set(EXTRACTED) <= set(result)
    assert result["text"].startswith(STORIES[0])


def test_the_python_api_and_the_jsonl_records_carry_every_extracted_field(tmp_path: Path) -> None:
    html = article(STORIES[0])
    page = wirewatch.extract(html, url="https://gazette.example/n/1")
    assert set(EXTRACTED) <= set(page)

    source = tmp_path / "pages.jsonl"
    source.write_text(json.dumps({"id": "p", "url": "https://gazette.example/n/1", "html": html}))
    result = run_wirewatch("extract", "--jsonl", str(source))
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert list(record)[:2] == ["id", "url"]
    assert list(record)[2 : 2 + len(EXTRACTED)] == list(EXTRACTED)
    assert record["text"] == page["text"]
