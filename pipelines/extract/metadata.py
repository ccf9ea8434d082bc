"""Page metadata, structured data first: JSON-LD, then Open Graph and ``<meta>``, then guesses.

Publishers fill JSON-LD and Open Graph for search engines and social cards,
so those are the most deliberate statements a page makes about itself;
trafilatura's and htmldate's heuristics are the fallback.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from courlan import normalize_url
from lxml import etree
from lxml import html as lxml_html
from trafilatura.metadata import extract_author

from wirewatch.pipelines.extract.language import normalize_language

ARTICLE_TYPES = {
    "article",
    "newsarticle",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "backgroundnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "blogposting",
    "liveblogposting",
    "report",
    "webpage",
}
_TZ_SUFFIX = re.compile(r"\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})$")
# "Name | Outlet", "Name - Outlet", "Name — Outlet": the part after the last separator.
_TITLE_SEPARATORS = re.compile(r"\s+[|–—:»-]\s+|\s+::\s+")
# Markup in a text value: block tags part words, inline ones (<b>, <a>) do not.  An
# unclosed tag at the end is what a description cut at a fixed length leaves.
_BLOCK_TAG = re.compile(
    r"</?(?:p|br|div|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|figure|figcaption|hr)\b[^<>]*>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<!--.*?(?:-->|$)|</?[a-zA-Z][^<>]*(?:>|$)", re.DOTALL)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_UNESCAPE_ROUNDS = 3
_AMPERSAND = re.compile(r"&(?:amp|#0*38|#x0*26);", re.IGNORECASE)


@dataclass
class PageMeta:
    title: str | None = None
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    canonical_url: str | None = None
    top_image: str | None = None
    section: str | None = None
    summary: str | None = None
    site_name: str | None = None
    # (where, text) of every headline the page states, when they disagree: for inspection.
    title_candidates: list[tuple[str, str]] = field(default_factory=list)


def parse_date(value: str | None) -> datetime | None:
    """ISO 8601 or RFC 2822 text to an aware datetime (UTC assumed when no zone is given)."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            match = re.match(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)", text)
            if match:
                try:
                    parsed = datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}")
                except ValueError:
                    parsed = None
    if parsed is None:
        return None
    if parsed.year < 1990 or parsed.year > 2100:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def clean_text(value: object) -> str | None:
    """Displayed text (a title, summary, section, name) as a reader should see it.

    JSON-LD and ``<meta>`` values are often escaped once more than needed, some
    twice (``&amp;quot;``), and some hold markup (``<p>``, ``<b>``): entities are
    decoded until stable (at most three rounds, so a runaway value cannot loop),
    then tags are dropped and white space, including invisible characters, collapsed.
    """
    if not isinstance(value, str):
        return None
    text = value
    for _ in range(_UNESCAPE_ROUNDS):
        decoded = html_lib.unescape(text)
        if decoded == text:
            break
        text = decoded
    text = _TAG.sub("", _BLOCK_TAG.sub(" ", text))
    return " ".join(text.translate(_INVISIBLE).split()) or None


def clean_value(value: object) -> str | None:
    """A URL or date as stated, trimmed, with only an escaped ``&`` decoded.

    JSON-LD often escapes it (``&amp;``, WordPress's ``&#038;``); decoding every
    entity, as ``clean_text`` does, would turn a query's ``&copy=2`` into ``©=2``.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    for _ in range(_UNESCAPE_ROUNDS):
        text, found = _AMPERSAND.subn("&", text)
        if not found:
            break
    return text or None


# Compiled once: a path given as a string is compiled again on every call (~7 us).
_LD_JSON = etree.XPath('//script[@type="application/ld+json"]')
_PUBLISHED_TIME = etree.XPath("//time[@datetime][@pubdate or @itemprop='datePublished']")
_CANONICAL = etree.XPath('//link[@rel="canonical"]/@href')
_H1 = etree.XPath("//h1")


def json_ld_objects(tree: lxml_html.HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's ld+json scripts, @graph members flattened."""
    for script in _LD_JSON(tree):
        raw = script.text_content() or ""
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            obj = stack.pop(0)
            if isinstance(obj, list):
                stack.extend(obj)
            elif isinstance(obj, dict):
                if "@graph" in obj:
                    stack.extend(
                        obj["@graph"] if isinstance(obj["@graph"], list) else [obj["@graph"]]
                    )
                yield obj


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.lower() for k in kinds if isinstance(k, str)}


def article_object(tree: lxml_html.HtmlElement) -> dict[str, Any]:
    """The JSON-LD object describing the article; news types win over a generic WebPage."""
    best: dict[str, Any] = {}
    best_rank = 0
    for obj in json_ld_objects(tree):
        kinds = _types(obj) & ARTICLE_TYPES
        if not kinds:
            continue
        rank = 1 if kinds == {"webpage"} else 3 if any("news" in k for k in kinds) else 2
        if rank > best_rank:
            best, best_rank = obj, rank
    return best


def _names(value: object) -> list[str]:
    """Author names from a JSON-LD author value (string, Person, list of either)."""
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, list):
            names.extend(n for n in (clean_text(x) for x in name) if n)
        elif (text := clean_text(name)) is not None:
            names.extend(split_authors(text))
    return names


def split_authors(text: str) -> list[str]:
    """'By A, B and C' -> ['A', 'B', 'C'] (also ';' and '|' separated lists)."""
    text = re.sub(r"^\s*(by|von|par|por|от)\s+", "", text.strip(), flags=re.IGNORECASE)
    parts = re.split(r"\s*(?:;|\||,|\band\b|&)\s*", text)
    return [p.strip() for p in parts if p.strip() and not p.strip().startswith("http")]


def byline_authors(tree: lxml_html.HtmlElement) -> list[str]:
    """Authors from the page's visible byline, found by trafilatura's author heuristics."""
    try:
        found = extract_author(tree)  # works on a copy of the tree
    except Exception:  # a guess is optional; never fail a page over it
        return []
    names = [n for part in (found or "").split(";") for n in split_authors(clean_text(part) or "")]
    return _dedupe(names)


def _image(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return clean_value(value)


class Metas:
    """The page's ``<meta>`` contents by (attribute, key), read in one pass over the tree.

    A page has a few dozen ``<meta>`` tags and the metadata asks for some thirty
    keys, each under three attributes: an XPath per question walked the whole
    tree ~100 times a page.
    """

    ATTRIBUTES = ("property", "name", "itemprop")

    def __init__(self, tree: lxml_html.HtmlElement):
        self._contents: dict[tuple[str, str], list[str]] = {}
        self.content_language: list[str | None] = []  # <meta http-equiv="content-language">
        for node in tree.iter("meta"):
            for attribute in self.ATTRIBUTES:
                key = node.get(attribute)
                if key is not None:
                    self._contents.setdefault((attribute, key), []).append(
                        node.get("content") or ""
                    )
            if (node.get("http-equiv") or "").lower() == "content-language":
                self.content_language.append(node.get("content"))

    def contents(self, *keys: str) -> Iterator[str]:
        """Every content among property/name/itemprop keys, in key order, raw."""
        for key in keys:
            for attribute in self.ATTRIBUTES:
                yield from self._contents.get((attribute, key), ())

    def first(self, *keys: str, cleaner: Callable[[object], str | None] = clean_text) -> str | None:
        """First non-empty content among the keys, in key order, as ``cleaner`` leaves it
        (``clean_value`` for URLs and dates)."""
        for value in self.contents(*keys):
            if cleaned := cleaner(value):
                return cleaned
        return None


def _squashed(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def is_site_name(part: str, site_name: str | None, host: str | None) -> bool:
    """A title part that names the outlet: its og:site_name, or its domain spelled out."""
    squashed = _squashed(part)
    if not squashed:
        return False
    if site_name and squashed in {_squashed(site_name), _squashed(site_name).removeprefix("the")}:
        return True
    if host:
        domain = _squashed(host.removeprefix("www.").rsplit(".", 1)[0])
        return len(squashed) >= 3 and (squashed in domain or domain in squashed)
    return False


def strip_site_name(title: str, site_name: str | None, host: str | None = None) -> str:
    """Drop a leading or trailing ' | Outlet' that page and social-card titles carry
    (and the "Outlet: Headline" of blog platforms)."""
    head, colon, rest = title.partition(": ")
    if colon and rest.strip() and not _TITLE_SEPARATORS.search(head):
        if is_site_name(head, site_name, host):
            return rest.strip()
    parts = [p for p in _TITLE_SEPARATORS.split(title) if p.strip()]
    if len(parts) < 2:
        return title
    if is_site_name(parts[-1], site_name, host):
        return title[: title.rfind(parts[-1])].rstrip(" |–—-:»").strip()
    if is_site_name(parts[0], site_name, host):
        return title[title.find(parts[0]) + len(parts[0]) :].lstrip(" |–—-:»").strip()
    return title


def page_metadata(tree: lxml_html.HtmlElement, url: str | None) -> PageMeta:
    """Metadata the page states about itself (no guessing from text layout)."""
    ld = article_object(tree)
    metas = Metas(tree)
    meta = PageMeta()
    meta.site_name = metas.first("og:site_name", "application-name")
    publisher = ld.get("publisher")
    if not meta.site_name and isinstance(publisher, dict):
        meta.site_name = clean_text(publisher.get("name"))

    host = urlsplit(url).hostname if url else None
    stated = [
        ("json-ld headline", clean_text(ld.get("headline"))),
        ("og:title", metas.first("og:title")),
        ("twitter:title", metas.first("twitter:title")),
    ]
    shown = headlines(tree, meta.site_name, host)
    meta.title = choose_title(
        [stated[0][1], stated[1][1] or stated[2][1]], shown, meta.site_name, host
    ) or document_title(tree, meta.site_name, host)
    meta.title_candidates = title_candidates(
        [*stated, *(("h1", h) for h in shown), ("title", clean_text(tree.findtext(".//title")))]
    )

    meta.published = parse_date(clean_value(ld.get("datePublished"))) or parse_date(
        metas.first(
            "article:published_time",
            "datePublished",
            "og:published_time",
            "publishdate",
            "publish-date",
            "pubdate",
            "parsely-pub-date",
            "sailthru.date",
            "dc.date.issued",
            "DC.date.issued",
            "dcterms.created",
            "date",
            cleaner=clean_value,
        )
    )
    if meta.published is None:
        for node in _PUBLISHED_TIME(tree):
            meta.published = parse_date(node.get("datetime"))
            if meta.published:
                break

    meta.authors = _dedupe(_names(ld.get("author")))
    if not meta.authors:
        byline = metas.first("author", "article:author", "parsely-author", "sailthru.author")
        if byline and not byline.startswith("http"):
            meta.authors = _dedupe(split_authors(byline))
    if not meta.authors:
        meta.authors = byline_authors(tree)

    meta.language = stated_language(tree, ld, metas)

    canonical = _CANONICAL(tree)
    declared = canonical[0] if canonical else metas.first("og:url", cleaner=clean_value)
    raw_canonical = clean_value(declared)
    meta.canonical_url = canonical_url(raw_canonical, url)

    image = _image(ld.get("image")) or metas.first("og:image", "twitter:image", cleaner=clean_value)
    meta.top_image = urljoin(url, image) if image and url else image

    section = ld.get("articleSection")
    if isinstance(section, list):
        section = section[0] if section else None
    meta.section = clean_text(section) or metas.first("article:section", "section")
    meta.summary = clean_text(ld.get("description")) or metas.first(
        "og:description", "description", "twitter:description"
    )
    return meta


def stated_language(tree: lxml_html.HtmlElement, ld: dict[str, Any], metas: Metas) -> str | None:
    """The first well-formed language the page states, as an ISO 639-1 code.

    JSON-LD ``inLanguage``, then ``<html lang>``, then Open Graph and ``<meta>``
    (including ``http-equiv``); a malformed one ("x-default", "*") is skipped
    rather than ending the search.
    """
    candidates = (
        ld.get("inLanguage"),
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        *metas.contents("og:locale", "language", "content-language", "dc.language", "DC.language"),
        *metas.content_language,
    )
    return next((code for value in candidates if (code := normalize_language(value))), None)


def headlines(tree: lxml_html.HtmlElement, site_name: str | None, host: str | None) -> list[str]:
    """The page's visible ``<h1>`` headlines (not a logo naming the site, not a one-word label)."""
    found = (clean_text(node.text_content()) for node in _H1(tree))
    return [h for h in found if h and len(h.split()) >= 3 and not is_site_name(h, site_name, host)]


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def title_candidates(found: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """The stated headlines, one per distinct text; none when they all agree."""
    distinct: dict[str, tuple[str, str]] = {}
    for where, text in found:
        if text and _fold(text) not in distinct:
            distinct[_fold(text)] = (where, text)
    return list(distinct.values()) if len(distinct) > 1 else []


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def shown_within(candidate: str, shown: list[str]) -> str | None:
    """The shown headline a structured title wraps in a few extra words: "Local: <h1>",
    "<h1> - Opinion".  Readers see the ``<h1>``; the rest is a section or a label."""
    folded = _fold(candidate)
    for headline in shown:
        inner = _fold(headline)
        if inner and inner != folded and inner in folded:
            rest = folded.replace(inner, " ", 1).strip(" |–—-:»·,")
            if len(rest.split()) <= 6:
                return headline
    return None


def choose_title(
    structured: list[str | None], shown: list[str], site_name: str | None, host: str | None
) -> str | None:
    """The structured headline (JSON-LD, then Open Graph) the page shows as its ``<h1>``;
    the ``<h1>`` when a structured one wraps it in a section or label; when none is
    shown, the first one.  Pages often carry an SEO and a social variant; the one
    readers see is the headline."""
    candidates = [strip_site_name(c, site_name, host) for c in structured if c]
    for candidate in candidates:
        if any(_same(candidate, h) for h in shown):
            return candidate
    for candidate in candidates:
        if headline := shown_within(candidate, shown):
            return headline
    return candidates[0] if candidates else None


def document_title(
    tree: lxml_html.HtmlElement, site_name: str | None, host: str | None
) -> str | None:
    """Headline from the document itself: its one ``<h1>``, an ``<h1>`` the ``<title>``
    repeats, else the ``<title>``."""
    tag = clean_text(tree.findtext(".//title")) or ""
    shown = headlines(tree, site_name, host)
    if len(shown) == 1:
        return shown[0]
    for heading in shown:
        if heading in tag:
            return heading
    if tag:
        return strip_site_name(tag, site_name, host)
    return shown[0] if shown else None


def canonical_url(declared: str | None, url: str | None) -> str | None:
    """The page's declared canonical URL, absolute and normalised; the fetch URL otherwise."""
    candidate = urljoin(url, declared) if declared and url else declared or url
    if not candidate or not candidate.startswith(("http://", "https://")):
        return url
    try:
        return normalize_url(candidate, strict=False)
    except (ValueError, AttributeError):
        return candidate


def _dedupe(names: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for name in names:
        if name.lower() not in seen and len(name) < 100:
            seen.add(name.lower())
            out.append(name)
    return out
