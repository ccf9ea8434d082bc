"""Backfill from WARC files: archived pages through the crawl's own pipeline.

Each ``response`` record of an HTML page with status 200 goes through what a
crawled page goes through: the wall gate (``pipelines.walls.gate``),
extraction with the site's learned boilerplate in worker processes (the
walls are judged there, on the text), the dedupe fingerprint, and
``store_article`` -- one transaction per article, stories, copies and feed
changes -- without queueing alerts unless asked (a backfill must not flood
inboxes).  Everything else is skipped and counted by kind.

Files are claimed in PostgreSQL (``warc_imports``): an importer holds a
session advisory lock on each file it works on, which the server releases if
the importer dies, so several importers given the same file list each take
different files.  Articles are stored by ``writers`` connections at once, so
they commit out of order: each stored record is marked in the transaction
that stores it (``warc_import_records``), and the file's checkpoint -- the
offset of the first record not handled yet, and the counts before it --
follows the handled prefix, deleting the marks it covers.  An interrupted
import resumes at the checkpoint and skips the marked records: no record is
handled twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import re
import socket
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from pebble import ProcessPool
from psycopg.rows import DictRow
from psycopg.types.json import Jsonb
from warcio.recordloader import ArcWarcRecord

from wirewatch.pipelines import db, workers
from wirewatch.pipelines.article import EXTRACTED
from wirewatch.pipelines.boilerplate import PendingPages, load_knowledge, save_pending
from wirewatch.pipelines.extract import SiteKnowledge
from wirewatch.pipelines.extract.metadata import parse_date
from wirewatch.pipelines.extract.sitelearn import site_domain

# The workers' task lives in a module without Scrapy or psycopg (a worker imports it).
from wirewatch.pipelines.extract.worker import extract_for_import
from wirewatch.pipelines.outcomes import EXTRACTION_FAILED, NOT_HTML, TOO_LARGE
from wirewatch.pipelines.queries import Q
from wirewatch.pipelines.storage import NEW, UNCHANGED, UPDATED, store_article
from wirewatch.pipelines.url_policy import url_problem
from wirewatch.pipelines.urls import outlet_of
from wirewatch.pipelines.walls import gate
from wirewatch.pipelines.warc_reader import (
    CORRUPT,
    TRUNCATED,
    Read,
    file_key,
    read_records,
    warc_date,
)

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "import"
MAX_RECORD_BYTES = 5 * 1024 * 1024
# Advisory-lock ids of files: sha256 of the file key in this keyspace.
LOCK_SALT = b"wirewatch:warc_imports:"
# Without a stored article for this long or this many records, checkpoint anyway.
CHECKPOINT_SECONDS = 10.0
CHECKPOINT_RECORDS = 1000
WORKER_MAX_TASKS = 500
# Boilerplate learned per domain is saved every this many pages (as in a crawl).
LEARN_FLUSH_PAGES = 200

# Outcome kinds: stored articles, and why the other records were skipped.
STORED = {NEW: "stored_new", UPDATED: "stored_updated", UNCHANGED: "unchanged"}
NOT_RESPONSE = "not_response"  # request, metadata, warcinfo, resource... records
REVISIT = "revisit"
NO_TARGET_URI = "no_target_uri"
BAD_URL = "bad_url"
NOT_200 = "not_200"
FILTERED_URL = "filtered_url"
FILTERED_DATE = "filtered_date"
FILTERED_LANG = "filtered_lang"
STORE_FAILED = "store_failed"
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)


@dataclass(frozen=True)
class ImportOptions:
    """What to import and how: the command line's options."""

    source: str = DEFAULT_SOURCE
    wire: bool = False
    url_filter: re.Pattern[str] | None = None
    language: str | None = None  # ISO 639-1; en-GB counts as en
    since: datetime | None = None
    until: datetime | None = None
    alerts: bool = False
    jobs: int = 2
    writers: int = 2  # storage connections: articles of a file commit concurrently
    checkpoint_records: int = CHECKPOINT_RECORDS
    timeout: float = 30.0
    max_record_bytes: int = MAX_RECORD_BYTES


@dataclass(frozen=True)
class Captured:
    """A record worth extracting: an HTML page with status 200."""

    url: str
    body: bytes
    encoding: str | None
    captured: datetime | None  # WARC-Date: when the archive fetched it


# -- screening records (before extraction) ---------------------------------------------


def screen(record: ArcWarcRecord, options: ImportOptions) -> str | Captured:
    """A skip kind for a record that is no page to import, else the page to extract.

    Cheap checks first, so most unwanted records are never read: a record
    larger than ``max_record_bytes`` is skipped on its declared length.
    """
    if record.rec_type == "revisit":
        return REVISIT
    if record.rec_type != "response":
        return NOT_RESPONSE
    url = (record.rec_headers.get_header("WARC-Target-URI") or "").strip().strip("<>")
    if not url:
        return NO_TARGET_URI
    if url_problem(url):
        return BAD_URL
    if options.url_filter is not None and not options.url_filter.search(url):
        return FILTERED_URL
    if (record.length or 0) > options.max_record_bytes:
        return TOO_LARGE
    http = record.http_headers
    if http is None or http.get_statuscode() != "200":
        return NOT_200
    content_type = (http.get_header("Content-Type") or "").lower()
    if content_type and not content_type.startswith(_HTML_TYPES):
        return NOT_HTML
    captured = warc_date(record.rec_headers.get_header("WARC-Date"))
    if options.since is not None and captured is not None and captured < options.since:
        return FILTERED_DATE  # published no later than it was archived
    if wall := gate(200, url):
        return wall.kind
    body = record.content_stream().read(options.max_record_bytes + 1)
    if len(body) > options.max_record_bytes:
        return TOO_LARGE
    if not content_type and not _looks_like_html(body):
        return NOT_HTML
    match = _CHARSET.search(content_type)
    return Captured(url, body, match.group(1) if match else None, captured)


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml", b"<!--")) or (
        b"<html" in head or b"<body" in head
    )


# -- after extraction --------------------------------------------------------------------


def language_matches(language: str | None, wanted: str | None) -> bool:
    """``en-GB`` and ``en_us`` count as ``en``; an unknown language never matches a wanted one."""
    if wanted is None:
        return True
    if not language:
        return False
    return re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0] == wanted.lower()


def in_window(moment: datetime | None, since: datetime | None, until: datetime | None) -> bool:
    if moment is None:
        return since is None and until is None
    return (since is None or moment >= since) and (until is None or moment <= until)


def article_from(
    result: Mapping[str, Any], page: Captured, options: ImportOptions
) -> str | dict[str, Any]:
    """The article to store, or the kind of outcome that keeps the page out."""
    if result.get("reason"):
        return str(result["reason"])
    if not language_matches(result.get("language"), options.language):
        return FILTERED_LANG
    if not in_window(result.get("published") or page.captured, options.since, options.until):
        return FILTERED_DATE
    article = {name: result.get(name) for name in EXTRACTED}
    article.update(
        url=page.url,
        source=options.source,
        outlet=outlet_of(page.url),
        wire=options.wire,
        fetched_at=page.captured or datetime.now(UTC),
        discovered_at=None,
        fingerprint=result.get("fingerprint"),
    )
    return article


def parse_when(value: str, *, end_of_day: bool = False, now: datetime | None = None) -> datetime:
    """A date (``2026-05-01``), a timestamp, or a duration back from now (``30d``)."""
    from wirewatch.pipelines.durations import parse_duration

    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = datetime.fromisoformat(text).replace(tzinfo=UTC)
        return day.replace(hour=23, minute=59, second=59, microsecond=999999) if end_of_day else day
    parsed = parse_date(text)
    if parsed is not None:
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        return (now or datetime.now(UTC)) - parse_duration(text)
    except ValueError:
        raise ValueError(f"bad date {value!r} (use 2026-05-01, an ISO timestamp or 30d)") from None


def lock_id(key: str) -> int:
    """A 64-bit advisory-lock id for a file key (signed, as PostgreSQL's bigint)."""
    digest = hashlib.sha256(LOCK_SALT + key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def importer_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# -- results -------------------------------------------------------------------------------


@dataclass
class FileReport:
    """What one importer did with one file of the list."""

    location: str
    state: str  # imported | already_done | taken | failed | lost
    counts: Counter[str] = field(default_factory=Counter)  # the file's totals (all runs)
    records: int = 0
    message: str | None = None


@dataclass
class Summary:
    files: list[FileReport] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)  # this run's work only
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(self.counts.values())

    @property
    def stored(self) -> int:
        return self.counts[STORED[NEW]] + self.counts[STORED[UPDATED]]


class LostClaim(RuntimeError):
    """Another importer took over the file (this one's lock was lost)."""


ProgressCallback = Callable[[str], None]


@dataclass
class _Pending:
    """One record on its way: extracting, then storing, then counted (in file order)."""

    read: Read
    page: Captured | None = None
    extraction: Future[dict[str, Any]] | None = None
    storing: Future[str] | None = None  # -> the stored kind
    kind: str | None = None  # the outcome, once known without storing
    resumed: bool = False  # stored by an earlier run: counted for the file, not this run


@dataclass
class _FileState:
    location: str
    key: str | None
    counts: Counter[str]  # every record before ``offset``, over all runs
    offset: int
    ordinal: int
    marked: dict[int, str] = field(default_factory=dict)  # stored past the checkpoint
    since_checkpoint: int = 0
    checkpointed_at: float = field(default_factory=time.monotonic)


# -- the importer --------------------------------------------------------------------------


class Importer:
    """Imports a list of WARC files into one database; ``run`` returns the summary."""

    def __init__(
        self,
        options: ImportOptions,
        database_url: str | None = None,
        *,
        on_record: ProgressCallback | None = None,
        on_file: ProgressCallback | None = None,
    ):
        self.options = options
        self.database_url = database_url
        self.on_record = on_record or (lambda kind: None)
        self.on_file = on_file or (lambda location: None)
        self.me = importer_id()
        self.summary = Summary()
        self.knowledge: dict[str, SiteKnowledge] = {}
        self.learning: dict[str, PendingPages] = {}
        self.pool: ProcessPool | None = None  # extraction workers
        self.storing: ThreadPoolExecutor | None = None  # one thread per writer
        self.writers: queue.SimpleQueue[psycopg.Connection[DictRow]] = queue.SimpleQueue()
        self.conn: psycopg.Connection[DictRow] | None = None  # checkpoints, site knowledge
        self.claims: psycopg.Connection[DictRow] | None = None  # holds the files' advisory locks

    def run(self, locations: Iterable[str]) -> Summary:
        started = time.monotonic()
        url = self.database_url or db.database_url()
        db.ensure_migrated(url)
        with ExitStack() as stack:
            self.conn = stack.enter_context(db.connect(url, autocommit=True))
            self.claims = stack.enter_context(db.connect(url, autocommit=True))
            for _ in range(self.options.writers):
                writer = stack.enter_context(db.connect(url, autocommit=True))
                # Safe, and no wait for the WAL flush per article: an article and its
                # record's mark commit together, so a commit the server loses in a
                # crash loses both, and the resumed import stores that article again.
                writer.execute("SET synchronous_commit = off")
                self.writers.put(writer)
            self.storing = stack.enter_context(ThreadPoolExecutor(self.options.writers))
            self.pool = stack.enter_context(
                workers.start_pool(
                    self.options.jobs,
                    max_tasks=WORKER_MAX_TASKS,
                    preload=["wirewatch.pipelines.warc_import"],
                )
            )
            self._ensure_source()
            try:
                self._run_files(_distinct(locations))
            except psycopg.OperationalError as exc:
                raise db.DatabaseError(
                    f"the database went away ({exc}); run the same import again to resume"
                ) from None
            finally:
                self._save_learning()
                self.pool.stop()
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _ensure_source(self) -> None:
        assert self.conn is not None
        self.conn.execute(Q.ensure_import_source, {"name": self.options.source})

    # -- the file list -------------------------------------------------------------

    def _run_files(self, locations: list[str]) -> None:
        remaining = locations
        while remaining:
            taken: list[str] = []
            imported = 0
            for location in remaining:
                report = self._import_location(location)
                if report.state == "taken":
                    taken.append(location)
                    continue
                imported += report.state == "imported"
                self.summary.files.append(report)
            if not taken or not imported:
                # Files still held by live importers are theirs: not ours to wait for.
                self.summary.files.extend(FileReport(loc, "taken") for loc in taken)
                return
            remaining = taken  # held a moment ago: maybe released (done, or its importer died)

    def _import_location(self, location: str) -> FileReport:
        try:
            key = file_key(location)
        except OSError as exc:
            return FileReport(location, "failed", message=str(exc))
        if key is None:
            return self._import_file(_FileState(location, None, Counter(), 0, 0))
        assert self.claims is not None
        lock = lock_id(key)
        self.claims.execute(
            Q.register_warc_file,
            {"file_key": key, "location": location, "source": self.options.source},
        )
        if not db.one_row(self.claims.execute(Q.try_lock_warc_file, {"lock_id": lock}))["locked"]:
            return FileReport(location, "taken")
        try:
            row = self.claims.execute(
                Q.claim_warc_file, {"file_key": key, "importer": self.me, "location": location}
            ).fetchone()
            if row is None:
                state = db.one_row(self.claims.execute(Q.warc_file_state, {"file_key": key}))
                return FileReport(location, "already_done", Counter(state["counts"]))
            marked = self.claims.execute(
                Q.marked_warc_records, {"file_key": key, "records_done": row["records_done"]}
            ).fetchall()
            return self._import_file(
                _FileState(
                    location,
                    key,
                    Counter(row["counts"]),
                    row["next_offset"],
                    row["records_done"],
                    {m["ordinal"]: m["kind"] for m in marked},
                )
            )
        finally:
            self.claims.execute(Q.unlock_warc_file, {"lock_id": lock})

    # -- one file ------------------------------------------------------------------

    def _import_file(self, state: _FileState) -> FileReport:
        self.on_file(state.location)
        extracting: deque[_Pending] = deque()
        storing: deque[_Pending] = deque()
        limit = 4 * self.options.jobs
        try:
            reads = read_records(
                state.location,
                lambda record: screen(record, self.options),
                offset=state.offset,
                ordinal=state.ordinal,
            )
            for read in reads:
                extracting.append(self._submit(read, state))
                self._extracted(extracting, storing, state, wait=len(extracting) > limit)
                self._settle(storing, state, wait=len(storing) > limit)
            while extracting or storing:
                self._extracted(extracting, storing, state, wait=True)
                self._settle(storing, state, wait=not extracting)
            self._finish(state)
        except LostClaim as exc:
            _cancel([*extracting, *storing])
            return FileReport(state.location, "lost", state.counts, state.ordinal, str(exc))
        except OSError as exc:
            _cancel([*extracting, *storing])
            self._settle_quietly(storing, state)
            return FileReport(state.location, "failed", state.counts, state.ordinal, str(exc))
        finally:
            self._save_learning()
        return FileReport(state.location, "imported", state.counts, state.ordinal)

    def _submit(self, read: Read, state: _FileState) -> _Pending:
        page = read.outcome
        if read.ordinal in state.marked:  # stored by an earlier run, after its checkpoint
            return _Pending(read, kind=state.marked.pop(read.ordinal), resumed=True)
        if not isinstance(page, Captured):
            return _Pending(read, kind=page if isinstance(page, str) else CORRUPT)
        assert self.pool is not None
        future = self.pool.schedule(
            extract_for_import,
            args=(page.body, page.url, page.encoding, self._snapshot(page.url)),
            timeout=self.options.timeout,
        )
        # The bytes now live in the worker's queue; keep only what storing needs.
        return _Pending(read, Captured(page.url, b"", None, page.captured), future)

    def _extracted(
        self, extracting: deque[_Pending], storing: deque[_Pending], state: _FileState, wait: bool
    ) -> None:
        """Move finished extractions, in file order, to storage (or straight to counting)."""
        while extracting and (wait or _ready(extracting[0])):
            wait = False
            pending = extracting.popleft()
            if pending.extraction is not None:
                assert pending.page is not None
                result = _result(pending.extraction, self.options.timeout)
                outcome = article_from(result, pending.page, self.options)
                if isinstance(outcome, str):
                    pending.kind = outcome
                else:
                    self._learn(pending.page.url, result.get("blocks") or [])
                    assert self.storing is not None
                    pending.storing = self.storing.submit(
                        self._store, outcome, state.key, pending.read.ordinal
                    )
            storing.append(pending)

    def _settle(self, storing: deque[_Pending], state: _FileState, wait: bool) -> None:
        """Count finished records in file order; the checkpoint follows the counted prefix."""
        while storing and (wait or storing[0].storing is None or storing[0].storing.done()):
            wait = False
            pending = storing.popleft()
            kind = pending.kind if pending.storing is None else pending.storing.result()
            assert kind is not None  # a record is settled once its kind is known
            state.offset, state.ordinal = pending.read.next_offset, pending.read.ordinal
            state.counts[kind] += 1
            state.since_checkpoint += 1
            if not pending.resumed:
                self.summary.counts[kind] += 1
            self.on_record(kind)
            if kind in (TRUNCATED, CORRUPT):
                log.warning("%s: %s near byte %d", state.location, kind, state.offset)
        self._maybe_checkpoint(state)

    def _settle_quietly(self, storing: deque[_Pending], state: _FileState) -> None:
        """After a read error: count what was stored, so the checkpoint stays exact."""
        try:
            while storing:
                self._settle(storing, state, wait=True)
        except Exception as exc:
            log.warning("%s: %s", state.location, exc)

    def _store(self, article: dict[str, Any], key: str | None, ordinal: int) -> str:
        """In a writer thread: the article and its record's mark, in one transaction."""
        conn = self.writers.get()
        try:
            with conn.transaction():
                kind = STORED[store_article(conn, article, alerts=self.options.alerts).status]
                if key is not None:
                    mark = {"file_key": key, "ordinal": ordinal, "kind": kind, "importer": self.me}
                    if conn.execute(Q.mark_warc_record, mark).fetchone() is None:
                        raise LostClaim(f"{key}: taken over by another importer")
            return kind
        except psycopg.DataError as exc:
            log.warning("%s: not stored: %s", article["url"], exc)
            return STORE_FAILED
        finally:
            self.writers.put(conn)

    def _maybe_checkpoint(self, state: _FileState) -> None:
        if state.key is None or not state.since_checkpoint:
            return
        due = time.monotonic() - state.checkpointed_at >= CHECKPOINT_SECONDS
        if due or state.since_checkpoint >= self.options.checkpoint_records:
            self._checkpoint(state, Q.checkpoint_warc_file)

    def _finish(self, state: _FileState) -> None:
        if state.key is not None:
            self._checkpoint(state, Q.finish_warc_file)

    def _checkpoint(self, state: _FileState, query: str) -> None:
        """The counted prefix, and the marks it now covers deleted, in one transaction."""
        assert self.conn is not None
        progress = {
            "file_key": state.key,
            "importer": self.me,
            "next_offset": state.offset,
            "records_done": state.ordinal,
            "counts": Jsonb(dict(state.counts)),
        }
        with self.conn.transaction():
            if self.conn.execute(query, progress).fetchone() is None:
                raise LostClaim(f"{state.location}: taken over by another importer")
            self.conn.execute(Q.forget_warc_records, progress)
        state.since_checkpoint, state.checkpointed_at = 0, time.monotonic()

    # -- site boilerplate, as the crawl learns it ---------------------------------

    def _snapshot(self, url: str) -> SiteKnowledge | None:
        domain = site_domain(url)
        if not domain:
            return None
        site = self.knowledge.get(domain)
        if site is None:
            assert self.conn is not None
            site = self.knowledge[domain] = load_knowledge(self.conn, domain)
        return site.verdicts()

    def _learn(self, url: str, blocks: list[str]) -> None:
        domain = site_domain(url)
        site = self.knowledge.get(domain) if domain else None
        if site is None or domain is None:
            return
        pending = self.learning.setdefault(domain, PendingPages(domain))
        if pending.add(url, blocks):
            site.observe(blocks)
        if len(pending) >= LEARN_FLUSH_PAGES:
            self._save_learning([domain])

    def _save_learning(self, domains: Iterable[str] | None = None) -> None:
        """A failure costs what this import learned, never its articles."""
        if self.conn is None or self.conn.closed:
            return
        for domain in list(domains if domains is not None else self.learning):
            pending = self.learning.pop(domain, None)
            if pending is None:
                continue
            try:
                save_pending(self.conn, pending)
            except psycopg.Error as exc:
                log.warning("could not save boilerplate knowledge of %s: %s", domain, exc)


def _distinct(locations: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(locations))


def _ready(pending: _Pending) -> bool:
    return pending.extraction is None or pending.extraction.done()


def _cancel(window: Iterable[_Pending]) -> None:
    for pending in window:
        if pending.extraction is not None:
            pending.extraction.cancel()


def _result(future: Future[dict[str, Any]], timeout: float) -> dict[str, Any]:
    """The worker's result, or a failed extraction saying why."""
    result, detail = workers.outcome(future, timeout)
    return result if detail is None else {"reason": EXTRACTION_FAILED, "detail": detail}
