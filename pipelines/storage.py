"""Writing an extracted article, and everything that follows from it, in one transaction.

One transaction per article is the unit of "nothing lost, nothing twice": the
article row, its story and its alert outbox rows commit together or not at
all, so a crash or a dead database between two items leaves no half-stored
article, and a re-crawl simply finds the article already there.

While the database is away (a restart, a failover) an article is tried again
a few times with growing pauses; one that still cannot be stored fails the
item with ``StoreFailed``, which the crawl-run recorder keeps as a
``store_failed`` error and which makes the next run fetch the page again.
Trying again is safe even when a commit's answer was lost: the upsert by
``url_key`` finds the article already there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import psycopg
from itemadapter import ItemAdapter
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow
from scrapy.crawler import Crawler

from wirewatch.pipelines import db, resources, revisions, stories
from wirewatch.pipelines.alerts.outbox import (
    enqueue,
    matcher_for,
    may_enqueue,
    may_enqueue_any,
)
from wirewatch.pipelines.article import stored_values
from wirewatch.pipelines.items import ArticleItem
from wirewatch.pipelines.queries import Q
from wirewatch.pipelines.urls import url_key

log = logging.getLogger(__name__)

NEW, UPDATED, UNCHANGED = "new", "updated", "unchanged"


@dataclass(frozen=True)
class StoreResult:
    status: str  # NEW, UPDATED or UNCHANGED
    article_id: int | None = None
    story_id: int | None = None
    alerts_queued: int = 0


def article_params(article: Mapping[str, Any], run_id: int | None) -> dict[str, Any]:
    """Parameters of ``upsert_article``: the declared stored fields (``pipelines.article``),
    the URL's key, the crawl run, and the words of the first revision it writes when the
    article is new."""
    values = stored_values(article)
    return {
        **values,
        "url_key": url_key(article["url"]),
        "crawl_run_id": run_id,
        "first_words": revisions.first_words(values["text"]),
    }


def store_article(
    conn: psycopg.Connection[DictRow],
    article: Mapping[str, Any],
    run_id: int | None = None,
    *,
    alerts: bool = True,
) -> StoreResult:
    """Upsert one article and file it under its story, atomically.

    Unchanged text (same content hash and title) is a no-op: re-crawling
    never duplicates or rewrites an article.  A new or changed title or text
    is also kept as the article's next revision (``pipelines.revisions``).
    ``alerts=False`` files the story without matching subscriptions (a
    backfill must not flood inboxes).
    """
    if conn.autocommit or conn.info.transaction_status != TransactionStatus.IDLE:
        with conn.transaction():  # within the caller's transaction: a savepoint
            return _store(conn, article, run_id, alerts, commit=False)
    # This call owns the transaction: its first statement goes with the BEGIN, its last
    # with the COMMIT.  psycopg would send a BEGIN of its own and wait for it (in a
    # pipeline too); in autocommit mode it leaves the transaction to the statements.
    conn.autocommit = True
    try:
        return _store(conn, article, run_id, alerts, commit=True)
    except BaseException:
        try:
            conn.rollback()  # psycopg rolls back what the server says is open
        except psycopg.Error as undone:  # a broken connection: the first error says why
            log.warning("could not roll back after a failed store: %s", db.one_line(undone))
        raise
    finally:
        _give_back_transactions(conn)


def _give_back_transactions(conn: psycopg.Connection[DictRow]) -> None:
    """The connection as it came (psycopg opening its transactions), or closed when that
    cannot be (a broken connection): a pool then drops it rather than lend it out with
    autocommit on."""
    if conn.info.transaction_status == TransactionStatus.IDLE:
        with contextlib.suppress(psycopg.Error):
            conn.autocommit = False
            return
    conn.close()


def _store(
    conn: psycopg.Connection[DictRow],
    article: Mapping[str, Any],
    run_id: int | None,
    alerts: bool,
    *,
    commit: bool,
) -> StoreResult:
    """``store_article``'s statements; with ``commit``, the COMMIT too.

    Results are read after each pipeline block: read inside, each read costs a
    round trip of its own (``tests/test_storage_round_trips.py``).
    """
    # The upsert returns the alert subscriptions' version too, read here rather than by
    # enqueue() after stories.assign: the band-key locks assign takes are held to the
    # commit, and other copies of the story wait on them (issue 21).
    params = article_params(article, run_id)
    prepared = stories.prepare(article)
    with conn.pipeline():  # one round trip: BEGIN, the upsert, the story lookup
        if commit:
            conn.execute("BEGIN")
        upserted = conn.execute(Q.upsert_article, params)
        # An unchanged text needs no lookup, but which it is is known only after the
        # upsert: looking up anyway costs less than another round trip for every article.
        lookup = stories.queue_lookup(conn, prepared.keys, url_key=params["url_key"])
    row = upserted.fetchone()
    if row is None:
        if commit:
            conn.commit()
        return StoreResult(UNCHANGED)
    matcher = matcher_for(conn, row) if alerts else None
    status = NEW if row["inserted"] else UPDATED
    # Matches new stories and changed canonical texts only, not every copy.
    edited = row["id"] if status == UPDATED else None

    def finish(conn: psycopg.Connection[DictRow], *, commit: bool) -> None:
        """An edit's revision and the COMMIT, sent in the caller's pipeline: one round trip
        with what goes before them (conn.commit() would sync on its own).  psycopg reads
        the transaction's state from the server, so it sees this COMMIT like its own."""
        if status == UPDATED:  # a new article's first revision came with its upsert
            # After the story: a revision's feed change names the article's story.
            revisions.record(conn, row["id"], article)
        if commit:
            conn.execute("COMMIT")

    # Known before the assignment (with alerts off, nothing can be queued).
    if matcher is None or not may_enqueue_any(edited, matcher):
        # Nothing to queue: the revision and the COMMIT go with the story's last statement.
        sends = status == UPDATED or commit
        assignment = stories.assign(
            conn,
            row["id"],
            article,
            prepared=prepared,
            lookup=lookup,
            then=partial(finish, commit=commit) if sends else None,
        )
        return StoreResult(status, row["id"], assignment.story_id)
    assignment = stories.assign(conn, row["id"], article, prepared=prepared, lookup=lookup)
    alerting = may_enqueue(assignment, edited, matcher)
    if status == UPDATED or (commit and not alerting):
        with conn.pipeline():
            finish(conn, commit=commit and not alerting)
    queued = 0
    if alerting:
        # After the pipeline: edit alerts read the revision, and enqueue's row counts are
        # final only outside one.
        queued = enqueue(conn, assignment, edited_article_id=edited, matcher=matcher)
        if commit:
            conn.commit()
    return StoreResult(status, row["id"], assignment.story_id, queued)


def article_of(item: Any) -> dict[str, Any]:
    """The fields to store, as they are: a shallow copy without the raw page.

    Not ``ItemAdapter.asdict()``: it turns the ``Fingerprint`` the workers
    computed into a plain dict (so storing computed it again) and walks every
    value of every field, ~1 ms an article on the reactor thread.
    """
    article = dict(ItemAdapter(item))
    article.pop("body", None)
    return article


class StoreFailed(Exception):
    """An article that could not be stored, after every try the settings allow."""

    kind = "store_failed"

    def __init__(self, url: str | None, tries: int, cause: BaseException):
        reason = db.one_line(cause) or type(cause).__name__
        what = f"after {tries} tries" if tries > 1 else "not retried"
        super().__init__(f"could not store the article ({what}): {reason}")
        self.url = url
        self.tries = tries


def retry_delays(tries: int, first_delay: float) -> list[float]:
    """Pauses between ``tries`` attempts, doubling: 5 tries from 4 s wait 4+8+16+32 = 60 s."""
    return [first_delay * 2**n for n in range(max(0, tries - 1))]


class StoragePipeline:
    """Stores each item off the reactor thread, through the process's one database pool
    (``pipelines.resources``: every source's crawler borrows the same connections)."""

    def __init__(
        self,
        crawler: Crawler,
        database_url: str | None,
        pool_size: int,
        delays: Sequence[float] = (),
        connect_timeout: float = 30.0,
    ):
        self.crawler = crawler
        self.database_url = database_url
        self.pool_size = pool_size
        self.delays = list(delays)
        self.connect_timeout = connect_timeout
        self.pool: db.Pool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        settings = crawler.settings
        return cls(
            crawler,
            settings.get("DATABASE_URL"),
            settings.getint("WIREWATCH_DB_POOL_SIZE"),
            retry_delays(
                settings.getint("WIREWATCH_STORE_TRIES"),
                settings.getfloat("WIREWATCH_STORE_RETRY_DELAY"),
            ),
            settings.getfloat("WIREWATCH_DB_CONNECT_TIMEOUT"),
        )

    def open_spider(self, spider: Any = None) -> None:
        url = self.database_url or db.database_url()
        db.ensure_migrated(url)
        self.pool = resources.acquire_pool(
            url, max_size=self.pool_size, timeout=self.connect_timeout
        )

    def close_spider(self, spider: Any = None) -> None:
        if self.pool is not None:
            pool, self.pool = self.pool, None
            resources.release_pool(pool)

    async def process_item(self, item: ArticleItem, spider: Any = None) -> ArticleItem:
        result = await self._store_with_retries(article_of(item))
        self.crawler.stats.inc_value(f"wirewatch/articles_{result.status}")
        return item

    async def _store_with_retries(self, article: dict[str, Any]) -> StoreResult:
        """Store, pausing and trying again while the failure is the database's absence."""
        tries = len(self.delays) + 1
        for attempt, delay in enumerate([*self.delays, None], start=1):
            run_id = self.crawler.stats.get_value("wirewatch/crawl_run_id")
            try:
                return await asyncio.to_thread(self._store, article, run_id)
            except Exception as exc:
                if delay is None or not db.is_transient(exc):
                    raise StoreFailed(article.get("url"), attempt, exc) from exc
                log.warning(
                    "could not store %s (try %d of %d), trying again in %.0f s: %s",
                    article.get("url"),
                    attempt,
                    tries,
                    delay,
                    db.one_line(exc),
                )
                self.crawler.stats.inc_value("wirewatch/store_retries")
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _store(self, article: dict[str, Any], run_id: int | None) -> StoreResult:
        assert self.pool is not None
        with self.pool.connection() as conn:
            return store_article(conn, article, run_id)
