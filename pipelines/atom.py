"""Feed changes as an Atom 1.0 document (RFC 4287), for feed readers.

Pure: changes in, bytes out.  Entry ids are stable per change subject (a
story, one copy of it, one canonical change, one edit), so a reader polling a file
that cron rewrites shows each entry once.  Text that XML 1.0 cannot carry
(control characters from a badly encoded page) is dropped, never allowed to
make the whole feed unparsable.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

ATOM_NS = "http://www.w3.org/2005/Atom"
TAG_BASE = "tag:wirewatch,2024:"
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class FeedInfo:
    """Feed-level metadata; ``self_url`` is where the file will be served, if known."""

    id: str
    title: str
    self_url: str | None = None
    subtitle: str | None = None


def feed_info(query: str | None, self_url: str | None = None) -> FeedInfo:
    """The feed of all changes, or of the changes of stories matching ``query``."""
    if not query:
        return FeedInfo(f"{TAG_BASE}feed", "wirewatch: new stories", self_url)
    digest = hashlib.sha256(query.encode("utf-8")).hexdigest()[:16]
    return FeedInfo(f"{TAG_BASE}feed/{digest}", f"wirewatch: {query}", self_url)


def xml_text(value: Any) -> str:
    return _NOT_XML.sub("", "" if value is None else str(value))


def rfc3339(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def entry_id(change: Mapping[str, Any]) -> str:
    story = f"{TAG_BASE}story/{change['story_id']}"
    if change["kind"] == "copy":
        return f"{story}/copy/{change['article_id']}"
    if change["kind"] == "update":
        return f"{story}/update/{change['cursor']}"
    if change["kind"] == "revision":
        return f"{story}/revision/{change['cursor']}"
    return story


def entry_title(change: Mapping[str, Any]) -> str:
    title = xml_text(change.get("title") or change.get("article_title") or "(untitled)")
    if change["kind"] == "copy":
        return f"{title} (also in {xml_text(change.get('outlet'))})"
    if change["kind"] == "update":
        return f"{title} (updated)"
    if change["kind"] == "revision":
        return f"{xml_text(change.get('article_title') or title)} (edited)"
    return title


def _is_web_url(url: Any) -> bool:
    return isinstance(url, str) and urlsplit(url).scheme in ("http", "https")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def render_atom(
    info: FeedInfo, changes: Sequence[Mapping[str, Any]], now: datetime | None = None
) -> bytes:
    """The Atom document, newest entry first."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", info.id)
    _sub(feed, "title", xml_text(info.title))
    if info.subtitle:
        _sub(feed, "subtitle", xml_text(info.subtitle))
    times = [c["changed_at"] for c in changes if c.get("changed_at")]
    _sub(feed, "updated", rfc3339(max(times) if times else (now or datetime.now(UTC))))
    author = _sub(feed, "author")
    _sub(author, "name", "wirewatch")
    _sub(feed, "generator", "wirewatch")
    if info.self_url:
        _sub(feed, "link", rel="self", href=info.self_url, type="application/atom+xml")

    for change in reversed(changes):
        entry = _sub(feed, "entry")
        _sub(entry, "id", entry_id(change))
        _sub(entry, "title", entry_title(change))
        _sub(entry, "updated", rfc3339(change["changed_at"]))
        if change.get("published"):
            _sub(entry, "published", rfc3339(change["published"]))
        if change.get("outlet"):
            _sub(_sub(entry, "author"), "name", xml_text(change["outlet"]))
        _sub(entry, "category", term=change["kind"], scheme=f"{TAG_BASE}change-kind")
        summary = xml_text(change.get("summary")).strip()
        if _is_web_url(change.get("url")):
            _sub(entry, "link", rel="alternate", type="text/html", href=xml_text(change["url"]))
            if summary:
                _sub(entry, "summary", summary, type="text")
        else:  # RFC 4287 4.1.1: an entry without an alternate link must have content
            _sub(entry, "content", summary or entry_title(change), type="text")
    ET.indent(feed)
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document
