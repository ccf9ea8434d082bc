"""Honouring ``Retry-After`` and backing off per domain on 429 and 503.

Scrapy's ``RetryMiddleware`` retries a 429 or 503 right away and AutoThrottle
only reacts to latency, so a site that says "slow down, come back in two
minutes" gets hammered again within a second.  ``BackoffRetryMiddleware``
extends ``RetryMiddleware``: on a 429/503 it holds every request to that
domain until the time the server asked for (``Retry-After``, else an
exponential default), raises the domain's AutoThrottle delay so the pace
stays slow afterwards, and retries as usual; requests already queued in
the domain's download slot wait too.  A wait longer than
``WIREWATCH_RETRY_AFTER_MAX`` is not sat out: the domain's remaining requests
fail as ``HostBackingOff`` and the wait is stored, so the next run (cron,
daemon, another machine) respects it too.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic

import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.httpobj import urlparse_cached

from wirewatch.crawler.middlewares.fetch_state import FetchState

log = logging.getLogger(__name__)

BACKOFF_STATUSES = frozenset({429, 503})


class HostBackingOff(IgnoreRequest):
    """The host asked for a pause longer than this run is willing to wait."""


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds a ``Retry-After`` asks for (delta-seconds or HTTP-date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_delay(retry_after: float | None, attempt: int, base: float, cap: float) -> float:
    """How long to leave a domain alone after its ``attempt``-th 429/503 in a row."""
    if retry_after is not None:
        return retry_after
    return min(cap, base * 2**attempt)


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.max_wait = settings.getfloat("WIREWATCH_RETRY_AFTER_MAX")
        self.base = settings.getfloat("WIREWATCH_BACKOFF_BASE")
        self.max_delay = settings.getfloat("AUTOTHROTTLE_MAX_DELAY")
        self.not_before: dict[str, float] = {}  # slot key -> epoch seconds
        self.reasons: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        mw = super().from_crawler(crawler)
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def _fetch_state(self) -> FetchState:
        return FetchState.of(self.crawler)

    def spider_opened(self, spider: scrapy.Spider) -> None:
        try:
            stored = self._fetch_state().host_backoffs()
        except Exception as exc:
            log.warning("could not read stored host backoffs: %s", exc)
            return
        for host, (not_before, reason) in stored.items():
            self.not_before[host] = not_before.timestamp()
            self.reasons[host] = reason

    def spider_closed(self, spider: scrapy.Spider, reason: str) -> None:
        now = time.time()
        for host, until in self.not_before.items():
            if until - now > self.max_wait:
                try:
                    self._fetch_state().save_host_backoff(
                        host, datetime.fromtimestamp(until, UTC), self.reasons.get(host, "")
                    )
                except Exception as exc:
                    log.warning("could not store the backoff of %s: %s", host, exc)

    def _slot_key(self, request: Request) -> str:
        return request.meta.get("download_slot") or urlparse_cached(request).hostname or ""

    def process_request(self, request: Request, spider: scrapy.Spider | None = None) -> None:
        key = self._slot_key(request)
        if self.not_before.get(key, 0.0) - time.time() > self.max_wait:
            raise self._backing_off(key)
        # Shorter waits are kept by the download slot itself (see _back_off).

    def _backing_off(self, key: str) -> HostBackingOff:
        until = datetime.fromtimestamp(self.not_before[key], UTC)
        return HostBackingOff(
            f"{key} asked us to stay away until {until:%Y-%m-%d %H:%M:%S} UTC "
            f"({self.reasons.get(key, 'backoff')})"
        )

    def process_response(
        self, request: Request, response: Response, spider: scrapy.Spider | None = None
    ) -> Request | Response:
        if response.status not in BACKOFF_STATUSES or request.meta.get("dont_retry"):
            return super().process_response(request, response)
        header = response.headers.get("Retry-After")
        asked = retry_after_seconds(header.decode("latin-1") if header else None, datetime.now(UTC))
        delay = backoff_delay(asked, request.meta.get("retry_times", 0), self.base, self.max_wait)
        self._back_off(request, response.status, delay, asked is not None)
        if delay > self.max_wait:
            return response  # not worth retrying in this run; the errback records the status
        return super().process_response(request, response)

    def _back_off(self, request: Request, status: int, delay: float, asked: bool) -> None:
        key = self._slot_key(request)
        until = time.time() + delay
        if until > self.not_before.get(key, 0.0):
            self.not_before[key] = until
            self.reasons[key] = f"HTTP {status}" + (", Retry-After" if asked else "")
        self.crawler.stats.inc_value("wirewatch/backoff")
        log.info("%s answered %s: leaving it alone for %.0f s", key, status, delay)
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        slot = downloader.slots.get(key) if downloader else None
        if slot is None:
            return
        # AutoThrottle owns slot.delay: start it again from a polite pace; it
        # decays as 200s come back.
        slot.delay = max(slot.delay, min(delay, self.max_delay))
        if delay <= self.max_wait:
            # The slot sends its next request no sooner than lastseen + delay,
            # requests already queued in it included.
            slot.lastseen = max(slot.lastseen, monotonic() + delay)
            return
        # Requests already queued for the host are not sent: they fail now.
        while slot.queue:
            _request, deferred = slot.queue.popleft()
            deferred.errback(self._backing_off(key))
