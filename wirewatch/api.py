"""The public Python API (see ``wirewatch/__init__.py``): small functions, plain data out."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any

from wirewatch.pipelines import db
from wirewatch.pipelines.errors import UsageError


def extract(html: bytes | str, url: str | None = None) -> dict[str, Any]:
    """The article in one page: text, title, published, authors, language, paywalled...

    The same extraction (and wall judgement) a crawl applies to a page it
    fetched, without site learning.  ``text`` is empty and ``rejected``
    names the reason (``not_article``, ``blocked``, ``paywall``...) when the
    page holds no article.
    """
    from wirewatch.pipelines.article import extracted_values
    from wirewatch.pipelines.extract import extract_article

    result = extract_article(html, url)
    record: dict[str, Any] = {"url": url, **extracted_values(result)}
    record["title_candidates"] = result.title_candidates  # (where, text) when headlines disagree
    record["rejected"] = result.reason
    record["rejected_because"] = result.detail
    return record


def dedupe(texts: Mapping[str, str] | Sequence[str]) -> list[list[Any]]:
    """Groups of near-identical copies among ``texts`` (a mapping id -> text, or a list).

    Returns one list of ids (list indexes for a sequence) per story, largest
    first; a text with no copy is a group of one.  The same fingerprints and
    containment check as the crawl's dedupe, in memory.
    """
    from wirewatch.pipelines.clustering import cluster

    ids: list[Any]
    if isinstance(texts, Mapping):
        ids = list(texts)
        bodies = [texts[i] for i in ids]
    else:
        ids = list(range(len(texts)))
        bodies = list(texts)
    roots = cluster(bodies)
    groups: dict[int, list[Any]] = {}
    for identifier, root in zip(ids, roots.tolist(), strict=True):
        groups.setdefault(root, []).append(identifier)
    return sorted(groups.values(), key=lambda group: (-len(group), str(group[0])))


def connect(database_url: str | None = None) -> Store:
    """The store at ``database_url`` ($DATABASE_URL, else the embedded server), migrated."""
    url = database_url or db.database_url()
    db.ensure_migrated(url)
    return Store(url)


class Store:
    """A wirewatch database: stories, search, the change feed, and crawling into it.

    Reads go through the documented ``wirewatch_feed`` views (the contract
    downstream tools rely on), one short transaction each.  Use it as a
    context manager, or call ``close()``.
    """

    def __init__(self, database_url: str):
        self.database_url = database_url
        self._conn = db.connect(database_url, autocommit=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    def stories(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest stories (``wirewatch_feed.stories`` rows), newest first."""
        from wirewatch.pipelines.queries import Q

        return self._conn.execute(Q.api_latest_stories, {"limit": _positive(limit)}).fetchall()

    def search(self, query: str, limit: int = 20, sort: str = "published") -> list[dict[str, Any]]:
        """Stories matching ``query`` in the alert query language (as ``wirewatch search``)."""
        from wirewatch.pipelines.search import search

        return search(self._conn, query, limit=_positive(limit), sort=sort)

    def changes(self, since: str = "0", limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Changes after the cursor ``since`` (as ``wirewatch feed``), oldest first."""
        from wirewatch.pipelines.cursor import parse_cursor
        from wirewatch.pipelines.feed import iter_changes

        yield from iter_changes(self._conn, parse_cursor(since), limit=limit)

    def crawl(
        self, sources: Iterable[str] | None = None, config: str | None = None
    ) -> list[dict[str, Any]]:
        """Crawl configured sources into this store, in a child process; one summary each.

        A child process, because Scrapy's reactor cannot be started twice in
        one process: a notebook can crawl as often as it likes.
        """
        import json
        import os
        import subprocess
        import sys

        names = [] if sources is None else [f"--source={name}" for name in sources]
        options = [f"--config={config}"] if config else []
        child = subprocess.run(
            [sys.executable, "-m", "wirewatch.crawl_json", *options, *names],
            capture_output=True,
            text=True,
            env={**os.environ, "DATABASE_URL": self.database_url},
            check=False,
        )
        if child.returncode not in (0, 1) or not child.stdout.strip():
            last = child.stderr.strip().splitlines()[-1:] or ["crawl failed"]
            raise UsageError(last[0])
        return json.loads(child.stdout)


def _positive(limit: int) -> int:
    if limit < 1:
        raise UsageError(f"limit must be at least 1, got {limit}")
    return limit
