"""Scale-out: several crawler processes (or machines) share one frontier in Redis.

With a ``[scale]`` table in ``wirewatch.toml`` every ``wirewatch crawl`` uses
scrapy-redis's scheduler queue and dupefilter in Redis instead of its own
memory, so the workers crawling a source split its pages between them and no
URL is fetched twice::

    [scale]
    redis_url = "redis://127.0.0.1:6379/0"
    key_prefix = "wirewatch"      # Redis keys: <prefix>:<source>:...
    idle_timeout = "30s"          # how long an idle worker waits for work

One crawl of a source by any number of workers is a *round*.  The first
worker to start claims it (``SET NX`` on ``<prefix>:<source>:round``, kept
alive by a heartbeat while it runs) and is the only one to schedule the
source's feeds, sitemaps and section pages; the others take requests from the
round's shared queue.  A round's queue and dupefilter keys are its own, so the
next round fetches listings again and skips stored articles by the database
as usual.  The workers' listing outcomes are merged in Redis and the last
worker to finish writes the validators, so an article that failed on one
worker is retried next round even when its listing is not modified.

All workers write to the same PostgreSQL; articles are upserted by
``url_key``, so concurrent writers cannot store a page twice.  Politeness
limits (concurrency per domain, AutoThrottle) are per worker: two workers
may send a site twice the requests of one.

When Redis cannot be reached as a crawl starts, the source is not crawled:
its run is recorded ``failed`` with a ``redis_unavailable`` error, one line
is logged per source, and ``wirewatch crawl`` exits 1.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

import scrapy
from redis.exceptions import RedisError
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider
from scrapy.utils.misc import load_object
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from wirewatch.crawler import signals as ww_signals
from wirewatch.crawler.middlewares.fetch_state import FetchState, Ledger, ListingState
from wirewatch.crawler.middlewares.seed_once import SHARED_SCHEDULER
from wirewatch.crawler.scale_config import ScaleOptions
from wirewatch.pipelines.redact import redact_url

log = logging.getLogger(__name__)

# How long a round outlives its seeder's last heartbeat.
ROUND_TTL = 60
# Seconds between looks at an empty shared queue while the round goes on.
IDLE_POLL = 0.5
# Keys of a finished round are kept this long (a straggling worker may still read them).
ROUND_KEYS_TTL = 3600
# Finish reason of the run and kind of its crawl error when Redis is down.
REDIS_UNAVAILABLE = "redis_unavailable"


def redis_settings(options: ScaleOptions) -> dict[str, Any]:
    """Scrapy settings that put the crawl's frontier in Redis."""
    return {
        "SCHEDULER": SHARED_SCHEDULER,
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_URL": options.redis_url,
        # Rounds are cleaned up by the workers themselves (see SharedScheduler.close).
        "SCHEDULER_PERSIST": True,
        "WIREWATCH_REDIS_PREFIX": options.key_prefix,
        "WIREWATCH_SCALE_IDLE_TIMEOUT": options.idle_timeout,
    }


@dataclass(frozen=True)
class Round:
    """One crawl of a source by every worker that joins it."""

    base: str  # <prefix>:<source>
    id: str
    seeder: bool

    @property
    def scope(self) -> str:
        return f"{self.base}:{self.id}"


_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_REFRESH = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end
return 0
"""


def claim_round(server: Any, base: str, ttl: int = ROUND_TTL) -> Round:
    """Join the source's running round, or start one (and seed it)."""
    token = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    key = f"{base}:round"
    for _ in range(5):
        if server.set(key, token, nx=True, ex=ttl):
            return Round(base, token, seeder=True)
        current = server.get(key)
        if current is not None:
            return Round(base, _text(current), seeder=False)
    raise RuntimeError(f"could not claim or join the crawl round at Redis key {key}")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def redis_problem(redis_url: str | None, exc: BaseException) -> str:
    """One line saying why the shared frontier is unusable; the URL without its password."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return f"cannot use the shared frontier in Redis at {redact_url(redis_url or '?')}: {detail}"


class SharedScheduler(Scheduler):
    """scrapy-redis scheduler with keys per source and round, and a seeding worker."""

    crawler: Crawler
    round: Round | None = None
    # Why Redis could not be used (the crawl then records it and stops), or None.
    unavailable: str | None = None
    idle_since: float | None  # since when a joining worker has found nothing to do
    heartbeat: task.LoopingCall | None  # the seeder's refresh of its round

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedScheduler:
        try:
            instance = super().from_crawler(crawler)
        except (RedisError, OSError) as exc:  # scrapy-redis pings the server here
            instance = cls(server=None)
            instance.stats = crawler.stats
            instance.unavailable = redis_problem(crawler.settings.get("REDIS_URL"), exc)
        instance.crawler = crawler
        instance.prefix = crawler.settings.get("WIREWATCH_REDIS_PREFIX", "wirewatch")
        instance.idle_timeout = crawler.settings.getfloat("WIREWATCH_SCALE_IDLE_TIMEOUT", 30.0)
        instance.idle_since = None
        instance.heartbeat = None
        crawler.signals.connect(instance.spider_idle, signal=signals.spider_idle)
        return instance

    def open(self, spider: scrapy.Spider) -> None:
        self.spider = spider
        if self.unavailable is None:
            try:
                self._open_round(spider)
            except (RedisError, OSError) as exc:
                self.unavailable = redis_problem(self.crawler.settings.get("REDIS_URL"), exc)
        if self.unavailable is not None:
            self._give_up(spider)

    def _give_up(self, spider: scrapy.Spider) -> None:
        """Close the spider before it fetches anything, once its crawl run is started."""
        source = getattr(spider, "source_name", None) or spider.name
        log.error("source %s: %s; not crawling it", source, self.unavailable)
        self.crawler.signals.connect(self._record_unavailable, signal=signals.spider_opened)

    def _record_unavailable(self, spider: scrapy.Spider) -> None:
        """Record the failure on the run, then close the spider with that reason.

        Connected after the crawl-run recorder, so the run exists by now; a
        ``CloseSpider`` from a spider_opened handler makes Scrapy close the
        spider cleanly once it is open (raised from ``open`` itself, it would
        leave the scraper unopened and its closing would fail).
        """
        self.crawler.signals.send_catch_log(
            signal=ww_signals.page_failed,
            url=redact_url(self.crawler.settings.get("REDIS_URL") or ""),
            kind=REDIS_UNAVAILABLE,
            message=self.unavailable,
            listing=True,
            spider=spider,
        )
        raise CloseSpider(REDIS_UNAVAILABLE)

    def has_pending_requests(self) -> bool:
        return self.unavailable is None and super().has_pending_requests()

    def _open_round(self, spider: scrapy.Spider) -> None:
        source = getattr(spider, "source_name", None) or spider.name
        self.round = claim_round(self.server, f"{self.prefix}:{source}")
        spider.wirewatch_round = self.round  # type: ignore[attr-defined]  # read with getattr
        scope = self.round.scope
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=f"{scope}:requests", serializer=self.serializer
        )
        self.df = RFPDupeFilter(self.server, key=f"{scope}:dupefilter")
        self.server.incr(f"{scope}:workers")
        self.server.expire(f"{scope}:workers", ROUND_KEYS_TTL)
        FetchState.of(self.crawler).closing_ledger = self._closing_ledger
        if self.round.seeder:
            self.heartbeat = task.LoopingCall(self._refresh_round)
            self.heartbeat.start(ROUND_TTL / 3, now=False)
        log.info(
            "crawl round %s of %s: %s",
            self.round.id,
            source,
            "seeding it" if self.round.seeder else "joining it",
        )

    def _refresh_round(self) -> None:
        assert self.round is not None
        try:
            self.server.eval(_REFRESH, 1, f"{self.round.base}:round", self.round.id, ROUND_TTL)
        except Exception as exc:  # a Redis hiccup must not kill the crawl
            log.warning("could not refresh the crawl round: %s", exc)

    def round_alive(self) -> bool:
        """The seeder of this round is still running (it may still add work)."""
        assert self.round is not None
        return _text(self.server.get(f"{self.round.base}:round") or "") == self.round.id

    def spider_idle(self, spider: scrapy.Spider) -> None:
        """A joining worker waits while the seeder runs: its queue may fill again."""
        if self.round is None or self.round.seeder or not self.round_alive():
            return
        now = time.monotonic()
        self.idle_since = self.idle_since or now
        if now - self.idle_since < self.idle_timeout:
            # Look at the shared queue again soon rather than at Scrapy's next
            # 5-second heartbeat: the seeder may be filling it right now.
            from twisted.internet import reactor  # the one Scrapy installed

            # zope.interface declares IReactorTime's methods without self: mypy reads them wrong.
            reactor.callLater(IDLE_POLL, self._wake)  # type: ignore[arg-type]
            raise DontCloseSpider

    def _wake(self) -> None:
        slot = getattr(self.crawler.engine, "_slot", None)  # Scrapy has no public "poll now"
        if slot is not None:
            slot.nextcall.schedule()

    # As scrapy-redis's, without the ``spider`` argument newer Scrapy deprecates.
    def enqueue_request(self, request: scrapy.Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> scrapy.Request | None:
        request = self.queue.pop(self.idle_before_close)
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
            self.idle_since = None
        return request

    def close(self, reason: str) -> None:
        if self.heartbeat is not None and self.heartbeat.running:
            self.heartbeat.stop()
        if self.round is None or self.unavailable is not None:
            return
        scope = self.round.scope
        try:
            for suffix in ("requests", "dupefilter", "ledger", "dirty", "aborted"):
                self.server.expire(f"{scope}:{suffix}", ROUND_KEYS_TTL)
            if self.round.seeder:
                self.server.eval(_RELEASE, 1, f"{self.round.base}:round", self.round.id)
        except (RedisError, OSError) as exc:  # the round's keys expire by themselves
            log.warning("could not close crawl round %s in Redis: %s", self.round.id, exc)

    def _closing_ledger(self, ledger: Ledger, finished: bool) -> Ledger | None:
        """Merge this worker's listing outcomes into the round's; the last worker commits."""
        assert self.round is not None
        scope = self.round.scope
        pipe = self.server.pipeline()
        for state in ledger.pending.values():
            children = ledger.children.get(state.url, list(state.children))
            pipe.hset(f"{scope}:ledger", state.url, _dump_state(state, children))
        if ledger.dirty:
            pipe.sadd(f"{scope}:dirty", *ledger.dirty)
        if not finished:
            pipe.set(f"{scope}:aborted", "1")
        pipe.decr(f"{scope}:workers")
        remaining = pipe.execute()[-1]
        if remaining > 0:
            log.info("crawl round %s: %d other worker(s) still running", self.round.id, remaining)
            return None
        if self.server.exists(f"{scope}:aborted"):
            return None
        merged = Ledger()
        for raw in self.server.hvals(f"{scope}:ledger"):
            state, children = _load_state(raw)
            merged.fetched(state)
            merged.led_to(state.url, children)
        merged.dirty = {_text(url) for url in self.server.smembers(f"{scope}:dirty")}
        merged.distrusted = dict(ledger.distrusted)
        return merged


def _dump_state(state: ListingState, children: list[str]) -> str:
    return json.dumps(
        {
            "url": state.url,
            "content_hash": state.content_hash,
            "etag": state.etag,
            "last_modified": state.last_modified,
            "children": children,
            "trusted": state.trusted,
            "fetches_since_full": state.fetches_since_full,
        }
    )


def _load_state(raw: bytes | str) -> tuple[ListingState, list[str]]:
    data = json.loads(raw)
    children = data.pop("children")
    return ListingState(**data, children=tuple(children)), children
