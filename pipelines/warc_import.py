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
different files.  The file's checkpoint (the offset of the first record not
handled yet, and the counts so far) is written in the transaction of each
stored article, so an interrupted import resumes exactly where it stopped
and no record is handled twice.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
import socket
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, TimeoutError
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from pebble import ProcessExpired, ProcessPool
from psycopg.types.json import Jsonb
from warcio.recordloader import ArcWarcRecord

from crawler.url_policy import url_problem
from crawler.urls import outlet_of
from pipelines import db
from pipelines.boilerplate import PendingPages, load_knowledge, save_pending
from pipelines.extract import SiteKnowledge, extract_article
from pipelines.extract.metadata import parse_date
from pipelines.extract.sitelearn import MIN_PAGES, site_domain
from pipelines.extraction import ITEM_FIELDS
from pipelines.fingerprint import fingerprint
from pipelines.outcomes import EXTRACTION_FAILED, NOT_HTML, TOO_LARGE
from pipelines.queries import Q
from pipelines.storage import NEW, UNCHANGED, UPDATED, store_article
from pipelines.walls import gate
from pipelines.warc_reader import CORRUPT, TRUNCATED, Read, file_key, read_records

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


def warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml", b"<!--")) or (
        b"<html" in head or b"<body" in head
    )


# -- after extraction --------------------------------------------------------------------


def extract_for_import(
    body: bytes, url: str, encoding: str | None, site: SiteKnowledge | None
) -> dict[str, Any]:
    """Run in a worker process: the crawl's extraction, plus the dedupe fingerprint."""
    result = extract_article(body, url, site, encoding=encoding)
    out = {name: getattr(result, name) for name in ITEM_FIELDS}
    out.update(reason=result.reason, detail=result.detail, blocks=result.blocks)
    if not result.reason:
        out["fingerprint"] = fingerprint(result.text)
    return out


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
    article = {name: result.get(name) for name in ITEM_FIELDS}
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
    from pipelines.durations import parse_duration

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
    read: Read
    page: Captured | None = None
    future: Future | None = None


@dataclass
class _FileState:
    location: str
    key: str | None
    counts: Counter[str]
    offset: int
    ordinal: int
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
        self.pool: ProcessPool | None = None
        self.conn: psycopg.Connection | None = None  # storage and checkpoints
        self.claims: psycopg.Connection | None = None  # holds the files' advisory locks

    def run(self, locations: Iterable[str]) -> Summary:
        started = time.monotonic()
        url = self.database_url or db.database_url()
        db.ensure_migrated(url)
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["pipelines.warc_import"])
        with (
            db.connect(url, autocommit=True) as self.conn,
            db.connect(url, autocommit=True) as self.claims,
            ProcessPool(
                max_workers=self.options.jobs, max_tasks=WORKER_MAX_TASKS, context=context
            ) as self.pool,
        ):
            # Safe here, and several times faster: an article and its file's
            # checkpoint commit together, so a commit the server loses in a crash
            # loses both, and the resumed import stores that article again.
            self.conn.execute("SET synchronous_commit = off")
            self._ensure_source()
            try:
                self._run_files(_distinct(locations))
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
        if not self.claims.execute(Q.try_lock_warc_file, {"lock_id": lock}).fetchone()["locked"]:
            return FileReport(location, "taken")
        try:
            row = self.claims.execute(
                Q.claim_warc_file, {"file_key": key, "importer": self.me, "location": location}
            ).fetchone()
            if row is None:
                state = self.claims.execute(Q.warc_file_state, {"file_key": key}).fetchone()
                return FileReport(location, "already_done", Counter(state["counts"]))
            return self._import_file(
                _FileState(
                    location, key, Counter(row["counts"]), row["next_offset"], row["records_done"]
                )
            )
        finally:
            self.claims.execute(Q.unlock_warc_file, {"lock_id": lock})

    # -- one file ------------------------------------------------------------------

    def _import_file(self, state: _FileState) -> FileReport:
        self.on_file(state.location)
        window: deque[_Pending] = deque()
        limit = 4 * self.options.jobs
        try:
            reads = read_records(
                state.location,
                lambda record: screen(record, self.options),
                offset=state.offset,
                ordinal=state.ordinal,
            )
            for read in reads:
                window.append(self._submit(read))
                while window and (len(window) > limit or _ready(window[0])):
                    self._complete(window.popleft(), state)
            while window:
                self._complete(window.popleft(), state)
            self._finish(state)
        except LostClaim as exc:
            _cancel(window)
            return FileReport(state.location, "lost", state.counts, state.ordinal, str(exc))
        except OSError as exc:
            _cancel(window)
            return FileReport(state.location, "failed", state.counts, state.ordinal, str(exc))
        finally:
            self._save_learning()
        return FileReport(state.location, "imported", state.counts, state.ordinal)

    def _submit(self, read: Read) -> _Pending:
        page = read.outcome
        if not isinstance(page, Captured):
            return _Pending(read)
        assert self.pool is not None
        future = self.pool.schedule(
            extract_for_import,
            args=(page.body, page.url, page.encoding, self._snapshot(page.url)),
            timeout=self.options.timeout,
        )
        # The bytes now live in the worker's queue; keep only what storing needs.
        return _Pending(read, Captured(page.url, b"", None, page.captured), future)

    def _complete(self, pending: _Pending, state: _FileState) -> None:
        read = pending.read
        state.offset, state.ordinal = read.next_offset, read.ordinal
        if pending.future is None:
            kind = read.outcome if isinstance(read.outcome, str) else CORRUPT
            self._count(state, kind)
            if read.outcome == TRUNCATED or read.outcome == CORRUPT:
                log.warning("%s: %s near byte %d", state.location, kind, read.next_offset)
            self._maybe_checkpoint(state)
            return
        assert pending.page is not None
        result = _result(pending.future, self.options.timeout)
        outcome = article_from(result, pending.page, self.options)
        if isinstance(outcome, str):
            self._count(state, outcome)
            self._maybe_checkpoint(state)
            return
        self._learn(pending.page.url, result.get("blocks") or [])
        self._store(outcome, state)

    def _store(self, article: dict[str, Any], state: _FileState) -> None:
        """The article and the file's checkpoint, in one transaction."""
        assert self.conn is not None
        counts = state.counts.copy()
        try:
            with self.conn.transaction():
                stored = store_article(self.conn, article, alerts=self.options.alerts)
                counts[STORED[stored.status]] += 1
                self._write_checkpoint(state, counts)
        except psycopg.DataError as exc:
            log.warning("%s: not stored: %s", article["url"], exc)
            self._count(state, STORE_FAILED)
            return
        state.counts = counts
        self.summary.counts[STORED[stored.status]] += 1
        self.on_record(STORED[stored.status])
        state.since_checkpoint, state.checkpointed_at = 0, time.monotonic()

    def _count(self, state: _FileState, kind: str) -> None:
        state.counts[kind] += 1
        state.since_checkpoint += 1
        self.summary.counts[kind] += 1
        self.on_record(kind)

    def _maybe_checkpoint(self, state: _FileState) -> None:
        if state.key is None:
            return
        due = time.monotonic() - state.checkpointed_at >= CHECKPOINT_SECONDS
        if due or state.since_checkpoint >= CHECKPOINT_RECORDS:
            assert self.conn is not None
            with self.conn.transaction():
                self._write_checkpoint(state, state.counts)
            state.since_checkpoint, state.checkpointed_at = 0, time.monotonic()

    def _write_checkpoint(self, state: _FileState, counts: Counter[str]) -> None:
        if state.key is None:
            return
        assert self.conn is not None
        row = self.conn.execute(Q.checkpoint_warc_file, self._progress(state, counts)).fetchone()
        if row is None:
            raise LostClaim(f"{state.location}: taken over by another importer")

    def _finish(self, state: _FileState) -> None:
        if state.key is None:
            return
        assert self.conn is not None
        with self.conn.transaction():
            row = self.conn.execute(
                Q.finish_warc_file, self._progress(state, state.counts)
            ).fetchone()
        if row is None:
            raise LostClaim(f"{state.location}: taken over by another importer")

    def _progress(self, state: _FileState, counts: Counter[str]) -> dict[str, Any]:
        return {
            "file_key": state.key,
            "importer": self.me,
            "next_offset": state.offset,
            "records_done": state.ordinal,
            "counts": Jsonb(dict(counts)),
        }

    # -- site boilerplate, as the crawl learns it ---------------------------------

    def _snapshot(self, url: str) -> SiteKnowledge | None:
        domain = site_domain(url)
        if not domain:
            return None
        site = self.knowledge.get(domain)
        if site is None:
            assert self.conn is not None
            site = self.knowledge[domain] = load_knowledge(self.conn, domain)
        # Workers only need the verdicts, not every count: keep the pickle small.
        return SiteKnowledge(domain, {k: MIN_PAGES for k in site.boilerplate()})

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
    return pending.future is None or pending.future.done()


def _cancel(window: Iterable[_Pending]) -> None:
    for pending in window:
        if pending.future is not None:
            pending.future.cancel()


def _result(future: Future, timeout: float) -> dict[str, Any]:
    """The worker's result, or a failed extraction saying why."""
    try:
        return future.result()
    except TimeoutError:
        detail = f"extraction took longer than {timeout:g}s"
    except ProcessExpired as exc:
        detail = f"extraction worker died (exit code {exc.exitcode})"
    except Exception as exc:
        detail = f"extraction crashed: {type(exc).__name__}: {exc}"
    return {"reason": EXTRACTION_FAILED, "detail": detail}
