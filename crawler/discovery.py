"""Finding article URLs in feeds, sitemaps and section pages (pure functions).

Spiders hand these functions response bodies and get back ``Listing``s; all
parsing is here so it is tested without a network or a reactor.
"""

from __future__ import annotations

import calendar
import gzip
import json
import re
import struct
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.etree
import lxml.html

NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


@dataclass(frozen=True)
class Listing:
    """An article URL as a feed, sitemap or section page lists it."""

    url: str
    title: str | None = None
    published: datetime | None = None


@dataclass(frozen=True)
class SitemapContent:
    """A parsed sitemap: either child sitemaps (an index) or article listings."""

    is_index: bool
    sitemaps: tuple[str, ...] = ()
    listings: tuple[Listing, ...] = ()
    # Markup errors the parser recovered from (a truncated or broken file):
    # the entries before the damage are still usable.
    problems: tuple[str, ...] = ()


class DiscoveryError(ValueError):
    """A feed or sitemap that cannot be read at all."""

    # The crawl_errors kind, when it says more than "bad_feed" / "bad_sitemap".
    kind: str | None = None


class UnsafeXml(DiscoveryError):
    """A document declaring the entities XML bombs and external-entity reads are made of."""

    kind = "unsafe_xml"


class TooLarge(DiscoveryError):
    """A compressed listing that inflates past the download size limit (a gzip bomb)."""

    kind = "too_large"


# Entity declarations a feed or sitemap may make: named characters, as HTML has
# (``<!ENTITY nbsp "&#160;">``), or a few characters of text.  Every other kind
# is what attacks are made of: entities built from entities or one long text
# referenced over and over (billion laughs, quadratic blowup), external ones
# (``SYSTEM "file:///etc/passwd"``) and parameter entities (error-based reads).
# The parsers neither expand nor load them either (see parse_feed and
# parse_sitemap); refusing the document says so instead of reading it half-way.
MAX_ENTITY_TEXT = 8
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ENTITY_DECL = re.compile(
    rb"""<!ENTITY\s+(?P<parameter>%\s+)?(?P<name>[^\s"'%>]+)\s+"""
    rb"""(?:(?P<external>SYSTEM|PUBLIC)\b|"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""",
    re.IGNORECASE,
)
_CHAR_REF = re.compile(rb"&#(?:[0-9]{1,7}|x[0-9a-fA-F]{1,6});")
_UTF16_STARTS = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")
_GUNZIP_CHUNK = 64 * 1024


def _struct_to_datetime(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None


def parse_feed(body: bytes, base_url: str) -> list[Listing]:
    """Entries of an RSS, Atom or JSON Feed; relative links resolved against ``base_url``.

    feedparser copes with wrong or missing charsets and mildly broken XML; a
    body that holds no feed at all raises ``DiscoveryError``, one declaring
    unsafe entities ``UnsafeXml``.  (feedparser itself strips entity
    declarations other than simple ones, never loads external entities, and
    its expat refuses billion-laughs expansion.)
    """
    if body.lstrip()[:1] == b"{":
        return parse_json_feed(body, base_url)
    reject_unsafe_entities(body)
    parsed = feedparser.parse(body, response_headers={"content-location": base_url})
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise DiscoveryError(f"not a feed: {reason}")
    listings = []
    for entry in parsed.entries:
        link = entry.get("link") or _first_alternate(entry)
        if not link:
            continue
        # dict.get bypasses feedparser's deprecated published -> updated aliasing.
        published = _struct_to_datetime(
            dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
        )
        title = (entry.get("title") or "").strip() or None
        listings.append(Listing(urljoin(base_url, link.strip()), title, published))
    return listings


def parse_json_feed(body: bytes, base_url: str) -> list[Listing]:
    """Items of a JSON Feed (jsonfeed.org 1.x); DiscoveryError when it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DiscoveryError(f"not a JSON Feed: {exc}") from None
    if not isinstance(data, dict) or "jsonfeed.org" not in str(data.get("version", "")):
        raise DiscoveryError("not a JSON Feed: no jsonfeed.org version")
    listings = []
    for item in data.get("items") or []:
        if not isinstance(item, dict):
            continue
        link = item.get("url") or item.get("external_url")
        if not isinstance(link, str) or not link.strip():
            continue
        when = item.get("date_published") or item.get("date_modified")
        title = item.get("title") if isinstance(item.get("title"), str) else None
        published = _parse_w3c_datetime(when) if isinstance(when, str) else None
        listings.append(Listing(urljoin(base_url, link.strip()), title, published))
    return listings


def _first_alternate(entry: dict) -> str | None:
    for link in entry.get("links", []):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"]
    return None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _parse_w3c_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_sitemap(body: bytes, base_url: str) -> SitemapContent:
    """A sitemap index, a plain sitemap or a Google News sitemap.

    Parsed like Scrapy's own ``Sitemap``: no entities resolved, nothing
    loaded from the network or disk, recovering from broken markup; news
    sitemaps also give title and publication date.  A sitemap declaring
    unsafe entities raises ``UnsafeXml``.
    """
    if not body.strip():
        raise DiscoveryError("empty sitemap")
    reject_unsafe_entities(body)
    try:
        events = lxml.etree.iterparse(
            BytesIO(body),
            events=("end",),
            recover=True,
            resolve_entities=False,
            remove_comments=True,
            remove_pis=True,
            huge_tree=True,
            no_network=True,
        )
        found_entries = False
        sitemaps: list[str] = []
        listings: list[Listing] = []
        for _, elem in events:
            name = _local(elem.tag)
            if name not in ("url", "sitemap"):
                continue
            fields = {_local(child.tag): child for child in elem}
            loc = fields.get("loc")
            if loc is not None and loc.text and loc.text.strip():
                url = urljoin(base_url, loc.text.strip())
                if name == "sitemap":
                    sitemaps.append(url)
                else:
                    listings.append(_news_listing(url, fields))
                found_entries = True
            elem.clear()
        problems = tuple(
            f"line {error.line}: {error.message}"
            for error in events.error_log
            if error.level_name in ("ERROR", "FATAL")
        )
    except lxml.etree.XMLSyntaxError as exc:
        raise DiscoveryError(f"not a sitemap: {exc}") from None
    if not found_entries:
        detail = f" ({problems[0]})" if problems else ""
        raise DiscoveryError(f"not a sitemap: no <url> or <sitemap> entries{detail}")
    return SitemapContent(
        is_index=bool(sitemaps) and not listings,
        sitemaps=tuple(sitemaps),
        listings=tuple(listings),
        problems=problems,
    )


def reject_unsafe_entities(body: bytes) -> None:
    """Raise ``UnsafeXml`` when the document's DOCTYPE declares more than named characters.

    Everything after the DOCTYPE is searched, not only its internal subset:
    a ``]>`` hidden in a comment must not end the search early.
    """
    if body.startswith(_UTF16_STARTS):
        body = body.decode("utf-16", errors="replace").encode("utf-8")
    doctype = _DOCTYPE.search(body)
    if doctype is None:
        return
    for start in _ENTITY.finditer(body, doctype.end()):
        if reason := _entity_problem(body, start.start()):
            raise UnsafeXml(
                f"unsafe XML: {reason}; only named characters may be declared "
                '(<!ENTITY nbsp "&#160;">), the rest is what XML bombs and '
                "external-entity reads are made of: nothing in it is used"
            )


def _entity_problem(body: bytes, at: int) -> str | None:
    """What is wrong with the entity declaration at ``at``, or None for a named character."""
    decl = _ENTITY_DECL.match(body, at)
    if decl is None:
        snippet = body[at : at + 60].decode("utf-8", errors="replace")
        return f"an entity declaration it cannot read: {snippet!r}"
    name = decl["name"].decode("utf-8", errors="replace")
    if decl["parameter"]:
        return f"parameter entity {name!r}"
    if decl["external"]:
        return f"external entity {name!r} ({decl['external'].decode().upper()})"
    value = decl["dq"] if decl["dq"] is not None else decl["sq"]
    if _CHAR_REF.fullmatch(value):
        return None
    if b"&" in value or b"%" in value:
        return f"entity {name!r} refers to other entities"
    length = len(value.decode("utf-8", errors="replace"))
    if length > MAX_ENTITY_TEXT:
        return f"entity {name!r} stands for {length:,} characters"
    return None


def gunzip_listing(body: bytes, max_size: int) -> bytes:
    """A gzipped listing inflated, but never past ``max_size`` bytes (0: no limit).

    A gzip bomb (a megabyte that inflates to gigabytes) raises ``TooLarge``
    once the limit is reached, with only that much ever in memory.  A
    truncated or damaged file gives what could be read before the damage.
    """
    stream = gzip.GzipFile(fileobj=BytesIO(body))
    out = BytesIO()
    while True:
        try:
            chunk = stream.read1(_GUNZIP_CHUNK)
        except (OSError, EOFError, zlib.error, struct.error) as exc:
            if out.tell():
                break
            raise DiscoveryError(f"bad gzip: {exc}") from None
        if not chunk:
            return out.getvalue()
        if max_size and out.tell() + len(chunk) > max_size:
            raise TooLarge(
                f"gzipped listing inflates to more than {max_size:,} bytes "
                "(DOWNLOAD_MAXSIZE, [crawl] max_page_bytes): not read"
            )
        out.write(chunk)
    return out.getvalue()


def _news_listing(url: str, fields: dict) -> Listing:
    news = fields.get("news")
    title = published = None
    if news is not None:
        parts = {_local(child.tag): (child.text or "").strip() for child in news}
        title = parts.get("title") or None
        published = _parse_w3c_datetime(parts.get("publication_date"))
    if published is None and fields.get("lastmod") is not None:
        published = _parse_w3c_datetime(fields["lastmod"].text)
    return Listing(url, title, published)


def section_links(body: bytes | str, base_url: str, follow: str | None) -> list[Listing]:
    """Links of a section page that look like articles.

    With ``follow``, a link must match that regex (searched in the absolute
    URL); without it, any link on the page's own host whose path has at
    least two segments.  Order is kept, duplicates dropped.
    """
    try:
        doc = lxml.html.fromstring(body)
    except (lxml.etree.ParserError, ValueError):
        return []
    pattern = re.compile(follow) if follow else None
    host = urlsplit(base_url).hostname
    seen: set[str] = set()
    listings = []
    for anchor in doc.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:")):
            continue
        url = urljoin(base_url, href).split("#", 1)[0]
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            continue
        if pattern is not None:
            if not pattern.search(url):
                continue
        elif parts.hostname != host or len([p for p in parts.path.split("/") if p]) < 2:
            continue
        if url in seen:
            continue
        seen.add(url)
        title = " ".join(anchor.text_content().split()) or None
        listings.append(Listing(url, title))
    return listings
