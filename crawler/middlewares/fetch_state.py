"""What the incremental-fetch middlewares remember, in PostgreSQL and for the current run.

``FetchState`` is shared by the middlewares of one crawler (one source): it
borrows the process's database pool (``pipelines.resources``, shared with
every other source's crawler), holds the listing states loaded when the
spider opens, and the run's *ledger*, which decides what may be written back.

A listing's new validators are written only when the run finished and every
article the listing led to was handled.  Otherwise the next run would get a
304 for the listing and never retry the article that failed: "fetch only
what is new" must not turn into "lose what failed once".
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import psycopg
from psycopg.rows import DictRow
from scrapy import signals
from scrapy.crawler import Crawler

from wirewatch.pipelines import db, resources
from wirewatch.pipelines.queries import Q

log = logging.getLogger(__name__)

_ATTRIBUTE = "_wirewatch_fetch_state"
T = TypeVar("T")


def body_hash(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


@dataclass(frozen=True)
class ListingState:
    """The last fully handled fetch of one listing page."""

    url: str
    content_hash: str
    etag: str | None = None
    last_modified: str | None = None
    children: tuple[str, ...] = ()
    trusted: bool = True
    fetches_since_full: int = 0
    changed_at: datetime | None = None  # when its content last changed (as stored)


@dataclass
class Ledger:
    """This run's listing outcomes, and which of them are safe to remember."""

    pending: dict[str, ListingState] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)
    distrusted: dict[str, str] = field(default_factory=dict)  # url -> reason

    def fetched(self, state: ListingState) -> None:
        self.pending[state.url] = state

    def led_to(self, listing_url: str, children: list[str]) -> None:
        self.children[listing_url] = children

    def failed_below(self, listing_url: str | None) -> None:
        """An article (or child listing) of ``listing_url`` was not handled: refetch it fully."""
        if listing_url:
            self.dirty.add(listing_url)

    def distrust(self, url: str, reason: str) -> None:
        self.distrusted[url] = reason

    def states_to_save(self) -> list[ListingState]:
        """Pending states whose listings, and their children, were handled completely."""
        return [
            replace(state, children=tuple(self.children.get(url, state.children)))
            for url, state in self.pending.items()
            if url not in self.dirty
        ]


class FetchState:
    """Per-crawler database access and ledger for the incremental-fetch middlewares."""

    def __init__(self, database_url: str | None, pool_size: int = 6, timeout: float = 10.0):
        self.database_url = database_url
        self.pool_size = pool_size
        self.timeout = timeout  # seconds to wait for a connection of the pool
        self.ledger = Ledger()
        self.listings: dict[str, ListingState] = {}
        self.distrusted_hosts: set[str] = set()
        self.source_config: str | None = None  # listing_config() of the crawled source
        self._pool: db.Pool | None = None
        self._lock = threading.Lock()
        # What to write back when the spider closes: this run's ledger if the
        # run finished, else nothing.  Scale-out replaces it with a merge of
        # every worker's ledger (crawler.redis_scale).
        self.closing_ledger: Callable[[Ledger, bool], Ledger | None] = _own_ledger

    @classmethod
    def of(cls, crawler: Crawler) -> FetchState:
        """The crawler's instance, created (and closed with the engine) on first use."""
        state = getattr(crawler, _ATTRIBUTE, None)
        if state is None:
            settings = crawler.settings
            state = cls(
                settings.get("DATABASE_URL"),
                settings.getint("WIREWATCH_DB_POOL_SIZE"),
                settings.getfloat("WIREWATCH_DB_CONNECT_TIMEOUT"),
            )
            setattr(crawler, _ATTRIBUTE, state)
            crawler.signals.connect(state.close, signal=signals.engine_stopped)
        return state

    def pool(self) -> db.Pool:
        """The process's pool, borrowed on first use and given back by ``close``."""
        with self._lock:
            if self._pool is None:
                url = self.database_url or db.database_url()
                db.ensure_migrated(url)
                self._pool = resources.acquire_pool(
                    url, max_size=self.pool_size, timeout=self.timeout
                )
            return self._pool

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                pool, self._pool = self._pool, None
                resources.release_pool(pool)

    def _using(self, work: Callable[[psycopg.Connection[DictRow]], T]) -> T:
        """``work`` in one transaction of a pooled connection, tried again once when
        the connection broke under it (a restart: the database may be back already)."""
        try:
            return self._once(work)
        except psycopg.Error as exc:
            if not db.is_transient(exc):
                raise
            return self._once(work)

    def _once(self, work: Callable[[psycopg.Connection[DictRow]], T]) -> T:
        with self.pool().connection() as conn:
            return work(conn)

    def load_listings(self, source: str, config: str | None = None) -> None:
        """This source's listing states, as read with its current configuration ``config``.

        States read with another configuration (``listing_config``) are deleted:
        the next fetch of those listings is a full one.
        """
        self.source_config = config
        self._using(lambda conn: self._load_listings(conn, source))

    def _load_listings(self, conn: psycopg.Connection[DictRow], source: str) -> None:
        params = {"source": source, "source_config": self.source_config}
        if self.source_config is not None:
            forgotten = conn.execute(Q.forget_listings_of_old_config, params).fetchall()
            if forgotten:
                log.info(
                    "source %s: its kind, URLs or follow changed; %d listing(s) read in full again",
                    source,
                    len(forgotten),
                )
        rows = conn.execute(Q.listing_states_of_source, params).fetchall()
        self.listings = {
            row["url"]: ListingState(
                url=row["url"],
                content_hash=row["content_hash"],
                etag=row["etag"],
                last_modified=row["last_modified"],
                children=tuple(row["children"]),
                trusted=row["validators_trusted"],
                fetches_since_full=row["fetches_since_full"],
                changed_at=row["changed_at"],
            )
            for row in rows
        }
        self.distrusted_hosts = {row["host"] for row in conn.execute(Q.distrusted_hosts).fetchall()}

    def save_listings(self, source: str, states: Iterable[ListingState]) -> int:
        params = [
            {
                "url": s.url,
                "host": host_of(s.url),
                "source": source,
                "etag": s.etag,
                "last_modified": s.last_modified,
                "content_hash": s.content_hash,
                "children": list(s.children),
                "fetches_since_full": s.fetches_since_full,
                "source_config": self.source_config,
            }
            for s in states
        ]
        if params:
            self._using(lambda conn: _executemany(conn, Q.save_listing_state, params))
        return len(params)

    def save_distrust(self, source: str, distrusted: dict[str, str]) -> None:
        params = [
            {"url": url, "host": host_of(url), "source": source, "reason": reason}
            for url, reason in distrusted.items()
        ]
        if params:
            self._using(lambda conn: _executemany(conn, Q.distrust_listing_validators, params))

    def known_url_keys(self, keys: list[str], recheck_after: float = 0.0) -> set[str]:
        """Which of ``keys`` are stored articles not due for a recheck (thread-safe)."""
        params = {"url_keys": keys, "recheck_after": recheck_after}
        rows = self._using(lambda conn: conn.execute(Q.settled_url_keys, params).fetchall())
        return {row["url_key"] for row in rows}

    def host_backoffs(self) -> dict[str, tuple[datetime, str]]:
        rows = self._using(lambda conn: conn.execute(Q.active_host_backoffs).fetchall())
        return {row["host"]: (row["not_before"], row["reason"]) for row in rows}

    def save_host_backoff(self, host: str, not_before: datetime, reason: str) -> None:
        params = {"host": host, "not_before": not_before, "reason": reason}
        self._using(lambda conn: conn.execute(Q.save_host_backoff, params))


def _executemany(
    conn: psycopg.Connection[DictRow], query: str, params: list[dict[str, Any]]
) -> None:
    with conn.cursor() as cur:
        cur.executemany(query, params)


def _own_ledger(ledger: Ledger, finished: bool) -> Ledger | None:
    return ledger if finished else None


def listing_config(source: Any) -> str:
    """What a source's listings were read with: kind, URLs, ``follow``, ``discover``.

    A change to any of these makes the stored listing states meaningless (a
    304 for a section page would hide links a new ``follow`` accepts).
    """
    parts = [
        source.kind,
        *sorted(source.urls),
        f"follow={source.follow or ''}",
        f"discover={bool(getattr(source, 'discover', False))}",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def source_of(spider: Any) -> str | None:
    source = getattr(spider, "source", None)
    return getattr(source, "name", None)
