"""An article's fields, declared once.

The item the spiders yield (``pipelines.items.ArticleItem``), what an
extraction worker sends back (``pipelines.extract.worker``), the parameters
of the ``upsert_article`` query and the records of ``wirewatch extract
--jsonl`` and ``wirewatch.extract()`` are all read from ``FIELDS``.  A field
added here reaches each of them; ``tests/test_article_record.py`` says which
SQL (the upsert, the ``articles`` table) has to follow, because SQL stays in
``.sql`` files and is not generated.

Pure data and functions: no Scrapy, no database, so extraction workers and
the Python API can import it cheaply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

SetBy = Literal["spider", "extraction", "dedupe", "archive"]


def _as_list(value: Any) -> list[Any]:
    return list(value or [])


def _as_bool(value: Any) -> bool:
    return bool(value)


@dataclass(frozen=True)
class ArticleField:
    """One field of an article on its way from a fetched page to a stored row."""

    name: str
    set_by: SetBy  # the stage that fills it in
    doc: str
    stored: bool = False  # a column of ``articles``, bound by ``upsert_article``
    required: bool = False  # storing an item without it is a bug, not a missing value
    fallback: str | None = None  # stored: the field whose value an empty one takes
    to_column: Callable[[Any], Any] | None = None  # stored: the value as the column keeps it


FIELDS: tuple[ArticleField, ...] = (
    # Set by the spider.
    ArticleField("source", "spider", "source name from wirewatch.toml", stored=True, required=True),
    ArticleField("outlet", "spider", "publishing site (host)", stored=True, fallback="source"),
    ArticleField("wire", "spider", "the source is a wire service (bool)"),
    ArticleField(
        "url", "spider", "canonicalised URL the page was requested as", stored=True, required=True
    ),
    ArticleField("final_url", "spider", "the URL after redirects"),
    ArticleField("status", "spider", "HTTP status of the page"),
    ArticleField("body", "spider", "the raw page (bytes), dropped after extraction"),
    ArticleField("encoding", "spider", "the page's encoding as Scrapy detected it"),
    ArticleField(
        "discovered_at", "spider", "when a feed, sitemap or section first listed it", stored=True
    ),
    ArticleField("fetched_at", "spider", "when the page was fetched", stored=True, required=True),
    ArticleField("listed_title", "spider", "the title the feed or news sitemap gave"),
    ArticleField("listed_published", "spider", "the date the feed or news sitemap gave"),
    # Set by extraction (the attributes of ``pipelines.extract.core.Extracted`` of the same names).
    ArticleField("canonical_url", "extraction", "the page's canonical URL", stored=True),
    ArticleField("title", "extraction", "the headline", stored=True),
    ArticleField(
        "text", "extraction", "the article text, one paragraph a line", stored=True, required=True
    ),
    ArticleField("published", "extraction", "timezone-aware datetime or None", stored=True),
    ArticleField("authors", "extraction", "bylines (list of str)", stored=True, to_column=_as_list),
    ArticleField("language", "extraction", "ISO 639-1 code", stored=True),
    ArticleField("top_image", "extraction", "the lead image's URL", stored=True),
    ArticleField("section", "extraction", "the outlet's section", stored=True),
    ArticleField("summary", "extraction", "the page's own summary", stored=True),
    ArticleField(
        "wire_credit", "extraction", '"AP", "Reuters", ... when the text credits one', stored=True
    ),
    ArticleField("dateline", "extraction", 'dateline city, e.g. "MEXICO CITY"', stored=True),
    ArticleField(
        "content_hash", "extraction", "sha256 of the normalised text", stored=True, required=True
    ),
    ArticleField(
        "paywalled",
        "extraction",
        "marked for subscribers, but the text was served",
        stored=True,
        to_column=_as_bool,
    ),
    # Set by dedupe: filed under its story by the storing transaction, not a column.
    ArticleField("fingerprint", "dedupe", "the text's dedupe fingerprint (pipelines.fingerprint)"),
    # Set by the archive (crawler.middlewares.archive) when [archive] is enabled.
    ArticleField(
        "warc_file",
        "archive",
        "the page's WARC file, relative to the archive directory",
        stored=True,
    ),
    ArticleField("warc_offset", "archive", "byte offset of the record's gzip member", stored=True),
    ArticleField("warc_length", "archive", "bytes of that member", stored=True),
)

BY_NAME: dict[str, ArticleField] = {f.name: f for f in FIELDS}
# What extraction learns of a page, in the order records list it.
EXTRACTED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.set_by == "extraction")
# The columns an item fills; ``upsert_article`` binds these plus ``url_key`` and ``crawl_run_id``.
STORED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.stored)


def stored_values(article: Mapping[str, Any]) -> dict[str, Any]:
    """The stored fields of an item (or any mapping of its fields), as the columns keep them.

    A missing required field raises ``KeyError`` naming it: an item that
    reaches storage without its text or URL is a bug upstream, not an
    article without one.
    """
    values: dict[str, Any] = {}
    for field in FIELDS:
        if not field.stored:
            continue
        value = article[field.name] if field.required else article.get(field.name)
        if not value and field.fallback:
            value = article[field.fallback]
        values[field.name] = field.to_column(value) if field.to_column else value
    return values


def extracted_values(result: object) -> dict[str, Any]:
    """The ``EXTRACTED`` fields of an extraction result (an ``Extracted``), by name."""
    return {name: getattr(result, name) for name in EXTRACTED}
