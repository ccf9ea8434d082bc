"""Which URLs the crawler may fetch: one policy for every request it makes.

Feeds and sitemaps are written by third parties, and whatever they list is
fetched by a process that may sit on a cloud VM or an intranet.  So only
``http`` and ``https`` are ever fetched (never ``file:``, ``data:``,
``ftp:``...), malformed URLs are skipped rather than guessed at, and hosts
that are, or resolve to, addresses that are not public (loopback, RFC 1918,
link-local with the cloud metadata service, multicast...) are refused unless
the source's own configured URLs live there.  These are the pure decisions;
``crawler.middlewares.url_guard`` applies them to requests and DNS answers.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

FETCHABLE_SCHEMES = frozenset({"http", "https"})
# Scrapy's URLLENGTH_LIMIT: its UrlLengthMiddleware drops longer requests with
# only an INFO line, so the spiders check first and record each one.
DEFAULT_MAX_URL_LENGTH = 2083

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# C0/C1 control characters are never part of a URL we fetch.  (A space in a
# path is not malformed: it is percent-encoded, as browsers do.)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Host names as DNS spells them (IDNs arrive punycoded or as letters: both fine).
_HOST_CHARS = re.compile(r"^[^\s/\\?#@%<>\"'`{}|^\[\]]+$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


@dataclass(frozen=True)
class Refusal:
    """Why a URL is not fetched: ``kind`` as recorded in ``crawl_errors``, and the detail."""

    kind: str  # unsupported_scheme | bad_url | forbidden_address | url_too_long
    message: str


class UrlRefused(IgnoreRequest):
    """A request the URL policy stopped before it left the process."""

    def __init__(self, refusal: Refusal):
        super().__init__(refusal.message)
        self.kind = refusal.kind


def url_problem(url: str) -> Refusal | None:
    """Why ``url`` must not be fetched whatever its host, or None when it may be."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return Refusal("bad_url", f"malformed URL {url!r}: {exc}")
    scheme = parts.scheme.lower()
    if not scheme:
        return Refusal("bad_url", f"malformed URL {url!r}: no scheme")
    if scheme not in FETCHABLE_SCHEMES:
        return Refusal("unsupported_scheme", f"{scheme}: URLs are never fetched: {url[:200]!r}")
    if _CONTROL_CHARS.search(url):
        return Refusal("bad_url", f"malformed URL {url!r}: control character")
    host = parts.hostname
    if not host or not parts.netloc:
        return Refusal("bad_url", f"malformed URL {url!r}: no host")
    if "\\" in parts.netloc:  # browsers read it as "/": another host than ours
        return Refusal("bad_url", f"malformed URL {url!r}: bad host {parts.netloc!r}")
    if not _HOST_CHARS.match(host) and ip_literal(host) is None:  # fe80::1%eth0 is one
        return Refusal("bad_url", f"malformed URL {url!r}: bad host {host!r}")
    if port == 0:
        return Refusal("bad_url", f"malformed URL {url!r}: port 0")
    return None


def length_problem(url: str, limit: int = DEFAULT_MAX_URL_LENGTH) -> Refusal | None:
    """A ``url_too_long`` refusal when ``url``, as it would be requested, exceeds ``limit``.

    Give it the request's own URL (after tracking parameters are dropped and
    the URL is escaped), which is what Scrapy measures; 0 means no limit.
    """
    if not limit or len(url) <= limit:
        return None
    return Refusal(
        "url_too_long",
        f"URL of {len(url):,} characters, longer than {limit:,} (URLLENGTH_LIMIT): {url[:120]}...",
    )


@lru_cache(maxsize=1024)
def ip_literal(host: str) -> IPAddress | None:
    """The address a host written as an IP literal stands for (``[::1]`` or ``::1``), else None.

    Asked for every request of a crawl, of its few hosts: kept (addresses are immutable).
    """
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one merely wraps (mapped, 6to4, NAT64), else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def address_class(address: str | IPAddress) -> str | None:
    """What kind of non-public address this is ("loopback", "private"...), None when public."""
    ip = _embedded_ipv4(ipaddress.ip_address(address))
    kind = _non_public_kind(ip)
    if kind is not None and ip in _METADATA:
        return f"{kind} (cloud metadata service)"
    return kind


def _non_public_kind(ip: IPAddress) -> str | None:
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_reserved:
        return "reserved"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "not globally routable"
    return None


def normalize_host(host: str) -> str:
    """A host as the exemption list and the resolver compare it: lower case, no brackets."""
    return host.strip("[]").rstrip(".").lower()


def exempt_hosts(urls: Iterable[str]) -> frozenset[str]:
    """The hosts of a source's own configured URLs: it may fetch from them whatever they are."""
    hosts = set()
    for url in urls:
        try:
            host = urlsplit(url).hostname
        except ValueError:
            continue
        if host:
            hosts.add(normalize_host(host))
    return frozenset(hosts)


def address_refusal(host: str, address: str, exempt: Iterable[str] = ()) -> Refusal | None:
    """A ``forbidden_address`` refusal when ``host`` (resolved to ``address``) is not public.

    A host among ``exempt`` (the source's own hosts) is never refused.
    """
    if normalize_host(host) in exempt:
        return None
    try:
        kind = address_class(address)
    except ValueError:
        return Refusal("forbidden_address", f"{host}: resolved to a non-address {address!r}")
    if kind is None:
        return None
    where = host if normalize_host(host) == normalize_host(address) else f"{host} -> {address}"
    return Refusal(
        "forbidden_address",
        f"{where}: {kind} address, not fetched (only the hosts of the source's own URLs may "
        "be non-public; [crawl] allow_private_addresses = true allows every host)",
    )
