"""The URL policy (``pipelines.url_policy``) applied to every request and every DNS answer.

``UrlGuardMiddleware`` is the first downloader middleware, so it sees every
request before anything is sent: start URLs, listing entries, each redirect
hop and robots.txt.  Non-http(s) and malformed URLs are refused; so are hosts
that are, or resolve to, non-public addresses, unless they are hosts of the
source's own configured URLs.  IP literals are judged without any lookup, so
``http://169.254.169.254/`` is refused before a packet is sent.

``GuardedResolver`` (``TWISTED_DNS_RESOLVER``) makes the same check on the
answer the connection is about to use.  Checking a name once and connecting
to whatever it resolves to later would leave a DNS-rebinding window; here the
address checked is the address connected to.  A reactor has one resolver for
every crawler in the process, so it exempts the hosts of all their sources;
the middleware's check, made per source, is the strict one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies

import scrapy
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CannotResolveHostError
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from wirewatch.pipelines.url_policy import (
    Refusal,
    UrlRefused,
    address_refusal,
    exempt_hosts,
    ip_literal,
    normalize_host,
    url_problem,
)

log = logging.getLogger(__name__)

REFUSED_STAT = "wirewatch/refused/{kind}"

# Hosts the resolver lets resolve to non-public addresses: those of the sources
# crawled by this process, and its HTTP proxies.  Process-wide, like the resolver.
_EXEMPT: set[str] = set()
# The resolver's refusals (host -> message), to name a download that failed on one.
_REFUSED: dict[str, str] = {}
_REFUSED_KEEP = 1000


def exempt(hosts: Iterable[str]) -> None:
    """Let the resolver answer with non-public addresses for these hosts."""
    _EXEMPT.update(normalize_host(host) for host in hosts)


def proxy_hosts() -> frozenset[str]:
    """Hosts of the proxies in the environment (``http_proxy``...), which Scrapy connects to."""
    proxies = [url for kind, url in getproxies().items() if kind != "no"]
    return exempt_hosts(url if "://" in url else f"http://{url}" for url in proxies)


class AddressRefused(DNSLookupError):
    """A DNS answer the guard refused (a lookup error, so Twisted drops the attempt quietly)."""


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver that never hands a connection a non-public address."""

    guard = True

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.guard = not crawler.settings.getbool("WIREWATCH_ALLOW_PRIVATE_ADDRESSES")
        return resolver

    def lookup(self, name: str) -> Deferred[str]:
        """The (cached) answer for ``name``, unchecked: the middleware judges it per source."""
        return super().getHostByName(name)

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        answer = super().getHostByName(name, timeout)
        if self.guard:
            answer.addCallback(self._check, name)
        return answer

    def _check(self, address: str, name: str) -> str:
        refusal = address_refusal(name, address, _EXEMPT)
        if refusal is None:
            return address
        if len(_REFUSED) >= _REFUSED_KEEP:
            _REFUSED.clear()
        _REFUSED[normalize_host(name)] = refusal.message
        log.warning("refused to connect: %s", refusal.message)
        raise AddressRefused(refusal.message)


class UrlGuardMiddleware:
    """Downloader middleware: a request the URL policy refuses fails as ``UrlRefused``."""

    def __init__(self, crawler: Crawler, allow_private: bool):
        self.crawler = crawler
        self.allow_private = allow_private
        self.own_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UrlGuardMiddleware:
        mw = cls(crawler, crawler.settings.getbool("WIREWATCH_ALLOW_PRIVATE_ADDRESSES"))
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        exempt(proxy_hosts())
        return mw

    def spider_opened(self, spider: scrapy.Spider) -> None:
        urls = getattr(getattr(spider, "source", None), "urls", ())
        self.own_hosts = exempt_hosts(urls)
        exempt(self.own_hosts)

    async def process_request(self, request: Request, spider: scrapy.Spider | None = None) -> None:
        refusal = url_problem(request.url)
        if refusal is None and not self.allow_private:
            refusal = await self.address_refusal(request.url)
        if refusal is not None:
            self.crawler.stats.inc_value(REFUSED_STAT.format(kind=refusal.kind))
            raise UrlRefused(refusal)

    async def address_refusal(self, url: str) -> Refusal | None:
        """A refusal when the URL's host is not the source's own and is not public."""
        host = normalize_host(urlsplit(url).hostname or "")
        if host in self.own_hosts:
            return None
        if (literal := ip_literal(host)) is not None:
            return address_refusal(host, str(literal))
        try:
            address = await maybe_deferred_to_future(_lookup(host))
        except Exception:  # unresolvable: the download fails and says so
            return None
        return address_refusal(host, address)

    def process_exception(
        self, request: Request, exception: Exception, spider: scrapy.Spider | None = None
    ) -> None:
        """A download the resolver stopped is a refusal, not a DNS failure."""
        if isinstance(exception, CannotResolveHostError | DNSLookupError):
            message = _REFUSED.get(normalize_host(urlsplit(request.url).hostname or ""))
            if message is not None:
                raise UrlRefused(Refusal("forbidden_address", message))


def _lookup(host: str) -> Deferred[str]:
    from twisted.internet import reactor  # the one Scrapy installed

    resolver = reactor.resolver
    if isinstance(resolver, GuardedResolver):
        return resolver.lookup(host)
    # zope.interface declares IReactorCore's methods without self: mypy reads them wrong.
    return reactor.resolve(host)  # type: ignore[arg-type]
