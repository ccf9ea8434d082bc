"""Finding an outlet's feeds, sitemaps and section pages from its homepage.

``wirewatch sources discover`` and ``discover = true`` sources both start
from a homepage.  Feeds come from the page's ``<link rel="alternate">``
(RSS, Atom, JSON Feed) and from the paths sites commonly use; sitemaps from
robots.txt's ``Sitemap:`` lines and the common paths, with the Google News
sitemaps inside sitemap indexes; section pages from the homepage's
navigation.  Every candidate is fetched once and kept only when it parses as
what it claims, so nothing that does not exist is suggested.

The parsing and the suggestions are pure functions; ``Fetcher`` is the one
place that touches the network, and it obeys robots.txt and the URL policy
(``pipelines.url_policy``): only http(s), and no private addresses except the
hosts the operator named.
"""

from __future__ import annotations

import hashlib
import re
import socket
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html

from wirewatch.crawler.discovery import (
    NEWS_NS,
    DiscoveryError,
    Listing,
    gunzip_listing,
    parse_feed,
    parse_json_feed,
    parse_sitemap,
    section_links,
)
from wirewatch.pipelines.url_policy import address_refusal, exempt_hosts, ip_literal, url_problem
from wirewatch.pipelines.urls import url_key

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
    }
)
COMMON_FEED_PATHS = (
    "/feed",
    "/feed/",
    "/rss",
    "/rss/",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/feed.json",
)
COMMON_SITEMAP_PATHS = (
    "/sitemap.xml",
    "/sitemap_index.xml",
    "/sitemap-index.xml",
    "/news-sitemap.xml",
    "/sitemap-news.xml",
    "/sitemap_news.xml",
)
# Section pages: at most this many navigation links fetched, each with at
# least this many article-looking links to count.
MAX_SECTIONS = 6
MIN_SECTION_LINKS = 5
# Child sitemaps of an index looked at for news sitemaps.
MAX_CHILD_SITEMAPS = 4
MAX_BYTES = 10 * 1024 * 1024
_NOT_SECTIONS = re.compile(
    r"(?:^|/)(?:about|contact|login|log-in|signin|sign-in|register|subscribe|subscription|"
    r"account|privacy|terms|cookies?|search|help|faq|jobs|careers|advertis\w*|shop|store|"
    r"donate|newsletters?|podcasts?|video|live|tag|tags|author|authors|feed|rss)(?:/|$)",
    re.I,
)
# Cron steps a suggestion is rounded down to (minutes).
_STEPS = (5, 10, 15, 20, 30, 60, 120, 180, 240, 360)


# -- parsing (pure) ----------------------------------------------------------------------


def feed_links(html: bytes | str, base_url: str) -> list[str]:
    """Feeds a page declares with ``<link rel="alternate" type=...>``, comment feeds left out."""
    doc = _html(html)
    if doc is None:
        return []
    found: list[str] = []
    for link in doc.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").split(";")[0].strip().lower()
        href = (link.get("href") or "").strip()
        if "alternate" not in rel or kind not in FEED_TYPES or not href:
            continue
        url = urljoin(base_url, href)
        label = f"{link.get('title') or ''} {url}".lower()
        if "comment" in label:
            continue
        if url not in found:
            found.append(url)
    return found


def robots_sitemaps(text: str, base_url: str) -> list[str]:
    """The ``Sitemap:`` lines of a robots.txt, in order, resolved against its URL."""
    found: list[str] = []
    for line in text.splitlines():
        name, _, value = line.partition(":")
        value = value.split("#", 1)[0].strip()
        if name.strip().lower() == "sitemap" and value:
            url = urljoin(base_url, value)
            if url not in found:
                found.append(url)
    return found


def is_robots_url(url: str) -> bool:
    return urlsplit(url).path.rstrip("/").lower().endswith("/robots.txt")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def section_candidates(html: bytes | str, base_url: str, limit: int = MAX_SECTIONS) -> list[str]:
    """Section fronts the homepage's navigation links to: same host, one or two path segments.

    Links inside ``<nav>``, ``<header>`` or a menu come first; account,
    search, tag and similar pages are left out.
    """
    doc = _html(html)
    if doc is None:
        return []
    host = urlsplit(base_url).hostname
    home = url_key(base_url)
    ranked: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    for position, anchor in enumerate(doc.iter("a")):
        url = urljoin(base_url, (anchor.get("href") or "").strip()).split("#", 1)[0]
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if parts.scheme not in ("http", "https") or parts.hostname != host or parts.query:
            continue
        if not 1 <= len(segments) <= 2 or "." in segments[-1] or _NOT_SECTIONS.search(parts.path):
            continue
        key = url_key(url)
        if key in seen or key == home:
            continue
        seen.add(key)
        in_nav = any(
            el.tag in ("nav", "header") or "menu" in (el.get("class") or "").lower()
            for el in anchor.iterancestors()
        )
        ranked.append((0 if in_nav else 1, position, url))
    return [url for _, _, url in sorted(ranked)[:limit]]


@dataclass(frozen=True)
class Parsed:
    """What a fetched candidate turned out to be."""

    kind: str  # feed | sitemap | section
    listings: tuple[Listing, ...] = ()
    children: tuple[str, ...] = ()  # a sitemap index's sitemaps
    news: bool = False  # a Google News sitemap


def parse_listing(body: bytes, url: str) -> Parsed | None:
    """A feed or a sitemap (plain, index or news), judged by its content; None otherwise."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip_listing(body, MAX_BYTES)  # a gzip bomb stops at the limit
        except DiscoveryError:
            return None
    head = body[:4096].lstrip().lower()
    if head.startswith(b"{"):
        try:
            return Parsed("feed", tuple(parse_json_feed(body, url)))
        except DiscoveryError:
            return None
    if b"<urlset" in head or b"<sitemapindex" in head:
        try:
            content = parse_sitemap(body, url)
        except DiscoveryError:
            return None
        news = NEWS_NS.encode() in body[:65536]
        return Parsed("sitemap", content.listings, content.sitemaps, news)
    if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
        try:
            return Parsed("feed", tuple(parse_feed(body, url)))
        except DiscoveryError:
            return None
    return None


def suggest_schedule(
    dates: Iterable[datetime | None], items: int, now: datetime, url: str = ""
) -> str:
    """A cron expression from how fast the listing fills.

    A run every ~2 new items, but at least 4 runs per turnover of the
    listing (so nothing scrolls off unseen), between every 5 minutes and
    every 6 hours; daily for a listing whose newest item is a month old, and
    hourly when there are no dates to go by.  The minute is spread by URL so
    many sources do not all start at :00.
    """
    minute = int(hashlib.sha1(url.encode()).hexdigest(), 16) % 60
    known = sorted(d for d in dates if d is not None and d <= now + timedelta(hours=1))
    if not known:
        return f"{minute} * * * *"
    if now - known[-1] > timedelta(days=30):
        return f"{minute} {minute % 24} * * *"
    if len(known) < 2 or known[-1] == known[0]:
        return f"{minute} * * * *"
    per_minute = (len(known) - 1) / ((known[-1] - known[0]).total_seconds() / 60)
    interval = min(2 / per_minute, max(items, len(known)) / per_minute / 4)
    step = max([s for s in _STEPS if s <= interval] or [_STEPS[0]])
    if step < 60:
        return f"*/{step} * * * *"
    hours = step // 60
    return f"{minute} * * * *" if hours == 1 else f"{minute} */{hours} * * *"


def _html(html: bytes | str) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None


# -- what was found ------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """One listing found for a site, as fetched once."""

    kind: str  # feed | sitemap | section
    url: str
    via: str  # where it was found: "homepage <link>", "robots.txt", "common path"...
    items: int
    newest: datetime | None
    schedule: str
    news: bool = False  # a Google News sitemap
    children: int = 0  # a sitemap index: its sitemaps

    def age(self, now: datetime) -> str:
        if self.newest is None:
            return "-"
        return format_age(now - self.newest)


@dataclass
class SiteReport:
    homepage: str
    found: list[Found] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def suggested(self) -> list[Found]:
        """What to crawl: every feed, the news sitemaps (else the other sitemaps), and
        section pages only when the site has neither feeds nor sitemaps."""
        feeds = [f for f in self.found if f.kind == "feed"]
        sitemaps = [f for f in self.found if f.kind == "sitemap"]
        news = [f for f in sitemaps if f.news]
        chosen = feeds + (news or sitemaps)
        return chosen or [f for f in self.found if f.kind == "section"]


def format_age(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


# -- fetching (the network edge) -----------------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes


class Refused(Exception):
    """A URL the policy, robots.txt or the server would not let us have."""


class Fetcher:
    """GETs for discovery: robots.txt obeyed, URL policy applied to every hop."""

    def __init__(
        self,
        user_agent: str,
        *,
        exempt: Iterable[str] = (),
        allow_private: bool = False,
        timeout: float = 20.0,
        max_bytes: int = MAX_BYTES,
    ):
        self.user_agent = user_agent
        self.exempt = exempt_hosts(exempt)
        self.allow_private = allow_private
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.fetched: list[str] = []  # every URL requested, in order
        self._robots: dict[str, object] = {}
        self._robots_text: dict[str, str | None] = {}
        policy = self

        class _Redirects(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
                policy.check(newurl)
                return super().redirect_request(req, fp, code, msg, headers, newurl)

        self._opener = urllib.request.build_opener(_Redirects)

    def check(self, url: str) -> None:
        """Raise Refused for a URL the URL policy forbids (scheme, address)."""
        if refusal := url_problem(url):
            raise Refused(refusal.message)
        host = urlsplit(url).hostname or ""
        if self.allow_private:
            return
        addresses = [host] if ip_literal(host) is not None else _resolve(host)
        for address in addresses:
            if refusal := address_refusal(host, address, self.exempt):
                raise Refused(refusal.message)

    def robots_text(self, url: str) -> str | None:
        """The robots.txt of ``url``'s site (None when it has none or it cannot be read)."""
        origin = origin_of(url)
        if origin not in self._robots_text:
            text = None
            try:
                got = self._get(origin + "/robots.txt")
                if got.status == 200:
                    text = got.body.decode("utf-8", errors="replace")
            except Refused:
                text = None
            self._robots_text[origin] = text
        return self._robots_text[origin]

    def allowed(self, url: str) -> bool:
        import protego

        origin = origin_of(url)
        if origin not in self._robots:
            self._robots[origin] = protego.Protego.parse(self.robots_text(url) or "")
        return self._robots[origin].can_fetch(url, self.user_agent)  # type: ignore[attr-defined]

    def get(self, url: str) -> Fetched:
        """The page, if robots.txt and the URL policy allow it; Refused otherwise."""
        if not self.allowed(url):
            raise Refused(f"{url}: disallowed by robots.txt")
        return self._get(url)

    def _get(self, url: str) -> Fetched:
        self.check(url)
        self.fetched.append(url)
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                body = response.read(self.max_bytes + 1)
                return Fetched(
                    response.geturl(),
                    response.status,
                    response.headers.get("Content-Type", ""),
                    body[: self.max_bytes],
                )
        except urllib.error.HTTPError as exc:
            return Fetched(url, exc.code, exc.headers.get("Content-Type", ""), b"")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, Refused):
                raise reason from None
            raise Refused(f"{url}: {reason}") from None


def _resolve(host: str) -> list[str]:
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})
    except OSError:
        return []  # the fetch itself reports the lookup failure


# -- discovery of one site -----------------------------------------------------------------


def discover_site(homepage: str, fetcher: Fetcher, now: datetime | None = None) -> SiteReport:
    """Every feed, sitemap and section page of the site at ``homepage``, each fetched once."""
    now = now or datetime.now(UTC)
    report = SiteReport(homepage)
    try:
        home: Fetched | None = fetcher.get(homepage)
    except Refused as exc:
        report.problems.append(str(exc))
        home = None
    if home is not None and home.status != 200:
        report.problems.append(f"{homepage}: HTTP {home.status}")
        home = None
    base = home.url if home is not None else homepage
    origin = origin_of(base)
    feeds = [(u, "homepage <link>") for u in feed_links(home.body, base)] if home else []
    feeds += [(origin + path, "common path") for path in COMMON_FEED_PATHS]
    robots = fetcher.robots_text(base) or ""
    sitemaps = [(u, "robots.txt") for u in robots_sitemaps(robots, origin + "/robots.txt")]
    sitemaps += [(origin + path, "common path") for path in COMMON_SITEMAP_PATHS]
    probe = _Prober(fetcher, report, now)
    for url, via in [*feeds, *sitemaps]:
        probe.listing(url, via)
    if home is not None:
        for url in section_candidates(home.body, base):
            probe.section(url)
    return report


class _Prober:
    """Fetches candidates once each and keeps those that are what they claim."""

    def __init__(self, fetcher: Fetcher, report: SiteReport, now: datetime):
        self.fetcher, self.report, self.now = fetcher, report, now
        self.seen_urls: set[str] = set()
        self.seen_items: set[tuple[str, ...]] = set()

    def _fetch(self, url: str, via: str) -> Fetched | None:
        # Exact URLs: /feed and /feed/ share a url_key but are different resources.
        if url in self.seen_urls:
            return None
        self.seen_urls.add(url)
        try:
            got = self.fetcher.get(url)
        except Refused as exc:
            if via != "common path":  # guesses that fail are not worth a line
                self.report.problems.append(str(exc))
            return None
        if got.status != 200 or (got.url != url and got.url in self.seen_urls):
            return None  # missing, or a redirect to something already looked at
        self.seen_urls.add(got.url)
        return got

    def listing(self, url: str, via: str, *, depth: int = 0) -> None:
        got = self._fetch(url, via)
        parsed = parse_listing(got.body, got.url) if got is not None else None
        if got is None or parsed is None:
            return
        items = tuple(sorted(url_key(item.url) for item in parsed.listings))
        if items and items in self.seen_items:
            return  # the same listing under another path
        self.seen_items.add(items)
        dates = [item.published for item in parsed.listings]
        count = len(parsed.listings) or len(parsed.children)  # an index: its sitemaps
        self.report.found.append(
            Found(
                parsed.kind,
                got.url,
                via,
                count,
                max((d for d in dates if d is not None), default=None),
                suggest_schedule(dates, count, self.now, got.url),
                news=parsed.news,
                children=len(parsed.children),
            )
        )
        if parsed.children and depth == 0:
            for child in _news_first(parsed.children)[:MAX_CHILD_SITEMAPS]:
                self.listing(child, "sitemap index", depth=1)

    def section(self, url: str) -> None:
        got = self._fetch(url, "homepage navigation")
        if got is None or "html" not in got.content_type.lower():
            return
        links = section_links(got.body, got.url, None)
        if len(links) >= MIN_SECTION_LINKS:
            schedule = suggest_schedule([], len(links), self.now, got.url)
            self.report.found.append(
                Found("section", got.url, "homepage navigation", len(links), None, schedule)
            )


def _news_first(children: Sequence[str]) -> list[str]:
    """Child sitemaps named like news sitemaps first, then the last listed (often newest)."""
    news = [c for c in children if "news" in c.lower()]
    rest = [c for c in reversed(children) if c not in news]
    return news + rest


# -- [[source]] tables ---------------------------------------------------------------------


def base_name(url: str) -> str:
    """A source name from a site's host: www.herald.example -> herald."""
    host = (urlsplit(url).hostname or "site").lower()
    if ip_literal(host) is not None:
        return re.sub(r"[^a-z0-9]+", "-", host).strip("-")
    labels = [p for p in host.split(".") if p not in ("www", "news", "feeds", "rss", "m")]
    return re.sub(r"[^a-z0-9_-]+", "-", (labels or [host])[0]).strip("-") or "site"


def source_name(found: Found, homepage: str, taken: set[str]) -> str:
    """A unique ``[a-z0-9_-]+`` name for a found listing, not among ``taken`` (then added)."""
    base = base_name(homepage)
    if found.kind == "section":
        segment = [s for s in urlsplit(found.url).path.split("/") if s][-1:] or ["section"]
        suffix = re.sub(r"[^a-z0-9_-]+", "-", segment[0].lower()).strip("-") or "section"
    elif found.kind == "sitemap":
        suffix = "news" if found.news else "sitemap"
    else:
        suffix = "feed"
    name = f"{base}-{suffix}"
    number = 2
    while name in taken:
        name, number = f"{base}-{suffix}-{number}", number + 1
    taken.add(name)
    return name


def source_table(found: Found, name: str) -> dict[str, object]:
    """The ``[[source]]`` table for a found listing."""
    return {"name": name, "kind": found.kind, "url": found.url, "schedule": found.schedule}


def render_tables(tables: Sequence[dict[str, object]]) -> str:
    """``[[source]]`` tables as TOML text."""
    import tomlkit

    doc = tomlkit.document()
    array = tomlkit.aot()
    for table in tables:
        array.append(tomlkit.item(table))
    doc.append("source", array)
    return tomlkit.dumps(doc)


def append_tables(config_text: str, tables: Sequence[dict[str, object]]) -> str:
    """``config_text`` with ``tables`` appended as ``[[source]]``; its comments and layout kept."""
    import tomlkit

    doc = tomlkit.parse(config_text)
    existing = doc.get("source")
    if existing is None:
        array = tomlkit.aot()
        for table in tables:
            array.append(tomlkit.item(table))
        if config_text and not config_text.endswith("\n\n"):
            doc.add(tomlkit.nl())
        doc.append("source", array)
    else:
        for table in tables:
            existing.append(tomlkit.item(table))
    return tomlkit.dumps(doc)


# -- discover = true sources, at crawl time ------------------------------------------------


# The run's listing changes ("<homepage>: now also ...; no longer ..."), kept in
# its crawl_runs stats as ``listing_changes`` for ``wirewatch status SOURCE``.
DISCOVERY_CHANGES_STAT = "wirewatch/discovery_changes"


def start_urls(kind: str, urls: Sequence[str], discover: bool) -> list[str]:
    """Where a crawl of a source starts: its URLs, or for a discovering sitemap source the
    robots.txt of each homepage's site (its ``Sitemap:`` lines are the sitemaps)."""
    if not discover or kind != "sitemap":
        return list(urls)
    return list(dict.fromkeys(origin_of(url) + "/robots.txt" for url in urls))


def robots_listings(text: str, url: str) -> list[str]:
    """The sitemaps a robots.txt names; ``/sitemap.xml`` of its site when it names none."""
    return robots_sitemaps(text, url) or [origin_of(url) + "/sitemap.xml"]


def listing_change(previous: Iterable[str] | None, current: Iterable[str]) -> str | None:
    """What changed between the listings a homepage led to last time and now, or None."""
    if previous is None:
        return None
    before, after = list(dict.fromkeys(previous)), list(dict.fromkeys(current))
    if set(before) == set(after):
        return None
    added = [u for u in after if u not in before]
    gone = [u for u in before if u not in after]
    parts = ([f"now also {', '.join(added)}"] if added else []) + (
        [f"no longer {', '.join(gone)}"] if gone else []
    )
    return "; ".join(parts)
