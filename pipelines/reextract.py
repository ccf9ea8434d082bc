"""Re-extraction: stored articles extracted again from their archived pages, no network.

An improved extractor (or site boilerplate learned since) reaches articles
already stored: each archived article's page is read back from the WARC
archive and goes through what a crawled page goes through -- the wall gate
and extraction with the site's learned boilerplate, in the process's
extraction workers -- and, when its title or text come out different,
through ``store_article``: the article is fingerprinted, updated, re-filed
under its story and its new text kept as the next revision, in one
transaction.
Alerts are not queued (an extractor upgrade must not flood inboxes).  An
article whose page the extractor now rejects is left as it is, and so is
one a crawl updated meanwhile (its pointer moved on) or whose body was
pruned.

Articles are handled in id order and the selection (``--source``,
``--since``) is frozen when a run begins (``reextract_runs``): its horizon
and the last article id.  A changed article is stored in the same
transaction as the checkpoint that covers it, and unchanged stretches are
checkpointed every few hundred articles, so an interrupted run resumes
after the last checkpoint: every change is stored once, and the counts come
out as if the run had never stopped.  One run per selection at a time (a
session advisory lock).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb

from wirewatch.pipelines import db, resources, workers
from wirewatch.pipelines.archive.reader import reextract_in_worker
from wirewatch.pipelines.article import EXTRACTED
from wirewatch.pipelines.boilerplate import load_knowledge
from wirewatch.pipelines.errors import UsageError
from wirewatch.pipelines.extract import SiteKnowledge
from wirewatch.pipelines.extract.sitelearn import MIN_PAGES, site_domain
from wirewatch.pipelines.outcomes import EXTRACTION_FAILED
from wirewatch.pipelines.queries import Q
from wirewatch.pipelines.storage import UPDATED, store_article

log = logging.getLogger(__name__)

# What became of an archived article.
CHANGED = "changed"  # title or text differ: stored as the next revision
UNCHANGED = "unchanged"
REJECTED = "rejected"  # the extractor no longer takes the page for an article: left as is
SUPERSEDED = "superseded"  # a crawl stored a newer page meanwhile: left as is
UNREADABLE = "missing_archive"  # its file is gone or its record incomplete
STORE_FAILED = "store_failed"  # refused by the database (the reason is logged)
KINDS = (CHANGED, UNCHANGED, REJECTED, SUPERSEDED, UNREADABLE, STORE_FAILED)

LOCK_SALT = b"wirewatch:reextract:"
BATCH = 500
CHECKPOINT_ARTICLES = 500
CHECKPOINT_SECONDS = 10.0
WORKER_MAX_TASKS = 500


@dataclass(frozen=True)
class ReextractOptions:
    source: str | None = None
    since: timedelta | None = None  # articles fetched this recently
    dry_run: bool = False  # count what would change; write nothing
    restart: bool = False  # begin the selection again, even if a run of it stopped midway
    jobs: int = 2  # extraction workers (the process's one pool)
    timeout: float = 30.0  # seconds one page may take
    window: int = 0  # pages handed to the workers ahead (0: 8 per worker)


@dataclass
class ReextractReport:
    selection: str
    archived: int = 0  # archived articles in the selection
    not_archived: int = 0  # articles of the selection without an archived page
    resumed_at: int = 0  # articles done by an earlier, interrupted run
    counts: Counter[str] = field(default_factory=Counter)  # over the whole selection
    dry_run: bool = False
    seconds: float = 0.0
    handled: int = 0  # articles this run handled

    @property
    def reextracted(self) -> int:
        """Articles whose archived page was read and extracted again."""
        return sum(n for kind, n in self.counts.items() if kind != UNREADABLE)


def selection_key(source: str | None, since: timedelta | None) -> str:
    """A selection's name as given (``--since 7d`` is the same selection tomorrow)."""
    window = f"{int(since.total_seconds())}s" if since is not None else "all"
    return f"source={source or '*'} since={window}"


def lock_id(key: str) -> int:
    digest = hashlib.sha256(LOCK_SALT + key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def differs(row: Mapping[str, Any], article: Mapping[str, Any]) -> bool:
    """Whether storing ``article`` changes the row (``upsert_article``'s own test)."""
    return (
        article["content_hash"] != row["content_hash"]
        or article.get("title") != row["title"]
        or bool(article.get("paywalled")) != bool(row["paywalled"])
    )


def article_from(row: Mapping[str, Any], result: Mapping[str, Any]) -> dict[str, Any]:
    """The article to store: the stored row's identity, the new extraction's fields.

    The crawl falls back on the listing's title when the page has none; the
    stored title stands in for it here.
    """
    article = {name: result.get(name) for name in EXTRACTED}
    article.update(
        url=row["url"],
        source=row["source"],
        outlet=row["outlet"],
        wire=row["wire"],
        discovered_at=row["discovered_at"],
        fetched_at=result.get("fetched_at") or row["fetched_at"],
        warc_file=row["warc_file"],
        warc_offset=row["warc_offset"],
        warc_length=row["warc_length"],
    )
    if not article.get("title"):
        article["title"] = row["title"]
    return article


@dataclass
class _Run:
    """Where a run is: its frozen selection, its checkpoint, its counts."""

    selection: str
    source: str | None
    horizon: datetime | None
    last_id: int
    after_id: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    since_checkpoint: int = 0
    checkpointed_at: float = field(default_factory=time.monotonic)

    def params(self, **extra: Any) -> dict[str, Any]:
        return {
            "selection": self.selection,
            "source": self.source,
            "horizon": self.horizon,
            "last_id": self.last_id,
            "after_id": self.after_id,
            **extra,
        }


class Reextractor:
    """Re-extracts a selection of archived articles into one database; ``run`` reports."""

    def __init__(
        self,
        archive_dir: Path,
        options: ReextractOptions,
        database_url: str | None = None,
        *,
        on_article: Callable[[str], None] | None = None,
        on_start: Callable[[int], None] | None = None,
        now: datetime | None = None,
    ):
        self.root = archive_dir
        self.options = options
        self.database_url = database_url
        self.on_article = on_article or (lambda kind: None)
        self.on_start = on_start or (lambda remaining: None)
        self.now = now
        self.knowledge: dict[str, SiteKnowledge] = {}
        self.unreadable_files: set[str] = set()
        self.conn: psycopg.Connection[DictRow] | None = None

    def run(self) -> ReextractReport:
        started = time.monotonic()
        options = self.options
        key = selection_key(options.source, options.since)
        # Started first: the workers' forkserver loads the extractor while the
        # database is reached and the selection counted.
        pool = resources.acquire_workers(options.jobs, max_tasks=WORKER_MAX_TASKS)
        try:
            url = self.database_url or db.database_url()
            db.ensure_migrated(url)
            with db.connect(url, autocommit=True) as conn:
                self.conn = conn
                locked = db.one_row(conn.execute(Q.try_advisory_lock, {"key": lock_id(key)}))
                if not locked["locked"]:
                    raise UsageError(f"another reextract of this selection ({key}) is running")
                state = self._begin(conn, key)
                report = self._report(conn, state)
                report.dry_run = options.dry_run
                self.on_start(report.archived - report.resumed_at)
                try:
                    self._work(conn, state, pool, report)
                except psycopg.OperationalError as exc:
                    raise db.DatabaseError(
                        f"the database went away ({db.one_line(exc)}); "
                        "run the same command again to resume"
                    ) from None
                report.counts = Counter(state.counts)
        finally:
            if resources.release_workers(pool):
                resources.shutdown_workers(pool, options.timeout)
        report.seconds = time.monotonic() - started
        return report

    # -- the selection and its checkpoint ----------------------------------------

    def _begin(self, conn: psycopg.Connection[DictRow], key: str) -> _Run:
        options = self.options
        horizon = None
        if options.since is not None:
            horizon = (self.now or datetime.now(UTC)) - options.since
        last_id = db.one_row(conn.execute(Q.reextract_last_article))["id"]
        fresh = _Run(key, options.source, horizon, last_id)
        if options.dry_run:
            return fresh
        row = conn.execute(Q.reextract_run, {"selection": key}).fetchone()
        if row is not None and row["finished_at"] is None and not options.restart:
            log.info("resuming the re-extraction of %s after article %d", key, row["after_id"])
            return _Run(
                key,
                row["source"],
                row["horizon"],
                row["last_id"],
                row["after_id"],
                Counter(row["counts"]),
            )
        conn.execute(Q.reextract_begin, fresh.params())
        return fresh

    def _report(self, conn: psycopg.Connection[DictRow], state: _Run) -> ReextractReport:
        row = db.one_row(conn.execute(Q.reextract_counts, state.params()))
        return ReextractReport(
            selection=state.selection,
            archived=row["archived"],
            not_archived=row["not_archived"],
            resumed_at=row["done"],
        )

    def _checkpoint(
        self, conn: psycopg.Connection[DictRow], state: _Run, *, finished: bool = False
    ) -> None:
        if self.options.dry_run:
            return
        conn.execute(
            Q.reextract_checkpoint,
            state.params(counts=Jsonb(dict(state.counts)), finished=finished),
        )
        state.since_checkpoint, state.checkpointed_at = 0, time.monotonic()

    # -- the articles ------------------------------------------------------------

    def _work(
        self, conn: psycopg.Connection[DictRow], state: _Run, pool: Any, report: ReextractReport
    ) -> None:
        window = self.options.window or 8 * max(1, self.options.jobs)
        pending: deque[tuple[dict[str, Any], Future[dict[str, Any]]]] = deque()
        after = state.after_id
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < window:
                    rows = conn.execute(
                        Q.reextract_batch, state.params(after_id=after, limit=min(BATCH, window))
                    ).fetchall()
                    if not rows:
                        exhausted = True
                        break
                    for row in rows:
                        pending.append((row, self._submit(pool, row)))
                    after = rows[-1]["id"]
                if not pending:
                    break
                row, future = pending.popleft()
                self._settle(conn, state, row, future)
                report.handled += 1
        except BaseException:
            for _, waiting in pending:  # interrupted: the workers need not finish them
                waiting.cancel()
            raise
        self._checkpoint(conn, state, finished=True)

    def _submit(self, pool: Any, row: Mapping[str, Any]) -> Future[dict[str, Any]]:
        future: Future[dict[str, Any]] = pool.schedule(
            reextract_in_worker,
            args=(
                str(self.root),
                row["warc_file"],
                row["warc_offset"],
                row["warc_length"],
                self._site(row["url"]),
            ),
            timeout=self.options.timeout,
        )
        return future

    def _site(self, url: str) -> SiteKnowledge | None:
        """What the crawls learned about the page's site (only the verdicts: a small pickle)."""
        domain = site_domain(url)
        if not domain:
            return None
        if domain not in self.knowledge:
            assert self.conn is not None
            site = load_knowledge(self.conn, domain)
            self.knowledge[domain] = SiteKnowledge(
                domain, {k: MIN_PAGES for k in site.boilerplate()}
            )
        return self.knowledge[domain]

    def _settle(
        self,
        conn: psycopg.Connection[DictRow],
        state: _Run,
        row: Mapping[str, Any],
        future: Future[dict[str, Any]],
    ) -> None:
        result, detail = workers.outcome(future, self.options.timeout)
        if detail is not None:
            result = {"reason": EXTRACTION_FAILED, "detail": detail}
        assert result is not None
        if result.get("unreadable"):
            self._unreadable(row, result)
            kind = UNREADABLE
        elif result.get("reason"):
            log.info("%s: left as it is: %s", row["url"], result.get("detail") or result["reason"])
            kind = REJECTED
        else:
            article = article_from(row, result)
            if not differs(row, article):
                kind = UNCHANGED
            elif self.options.dry_run:
                kind = CHANGED
            else:
                try:
                    self.on_article(self._store(conn, state, row, article))
                    return
                except psycopg.DataError as exc:  # this article's values, not the database
                    log.warning("%s: not stored: %s", row["url"], db.one_line(exc))
                    kind = STORE_FAILED
        self._count(conn, state, row, kind)

    def _count(
        self, conn: psycopg.Connection[DictRow], state: _Run, row: Mapping[str, Any], kind: str
    ) -> None:
        state.counts[kind] += 1
        state.after_id = row["id"]
        state.since_checkpoint += 1
        due = time.monotonic() - state.checkpointed_at >= CHECKPOINT_SECONDS
        if due or state.since_checkpoint >= CHECKPOINT_ARTICLES:
            self._checkpoint(conn, state)
        self.on_article(kind)

    def _store(
        self,
        conn: psycopg.Connection[DictRow],
        state: _Run,
        row: Mapping[str, Any],
        article: dict[str, Any],
    ) -> str:
        """The changed article and the checkpoint that covers it, in one transaction."""
        counts = Counter(state.counts)
        with conn.transaction():
            locked = conn.execute(
                Q.reextract_lock_article,
                {"id": row["id"], "warc_file": row["warc_file"], "warc_offset": row["warc_offset"]},
            ).fetchone()
            kind = SUPERSEDED
            if locked is not None:
                stored = store_article(conn, article, row["crawl_run_id"], alerts=False)
                kind = CHANGED if stored.status == UPDATED else UNCHANGED
            counts[kind] += 1
            conn.execute(
                Q.reextract_checkpoint,
                state.params(after_id=row["id"], counts=Jsonb(dict(counts)), finished=False),
            )
        state.counts, state.after_id = counts, row["id"]
        state.since_checkpoint, state.checkpointed_at = 0, time.monotonic()
        return kind

    def _unreadable(self, row: Mapping[str, Any], result: Mapping[str, Any]) -> None:
        name = row["warc_file"]
        if name not in self.unreadable_files:
            self.unreadable_files.add(name)
            log.warning(
                "archive: cannot read the page of %s (%s): %s; skipped (counted as missing)",
                row["url"],
                result["unreadable"],
                result["detail"],
            )
        else:
            log.debug("archive: %s: %s", row["url"], result["detail"])


def reextract(
    archive_dir: Path,
    options: ReextractOptions,
    database_url: str | None = None,
    *,
    on_article: Callable[[str], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> ReextractReport:
    """Re-extract the selection ``options`` name; ``on_start(n)`` hears how many articles
    are left to do, ``on_article(kind)`` what became of each."""
    return Reextractor(
        archive_dir, options, database_url, on_article=on_article, on_start=on_start
    ).run()
