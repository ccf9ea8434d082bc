"""``extract_article``: one page's HTML in, its article text and metadata out.

Steps: decode the bytes; read the metadata the page states (JSON-LD, Open
Graph, ``<meta>``); prune caption and prompt elements; let trafilatura find
the main text (comments off, tables as text), with relaxed settings and then
trafilatura's baseline as fallbacks when it finds too little; drop junk lines
(``junk``) and what the site repeats on every page (``sitelearn``); read the
wire credit and dateline.  Never raises on bad input: an empty ``text`` comes
with a ``reason`` (a ``PageRejected`` kind) and a ``detail``.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import htmldate
import trafilatura
from lxml import etree
from lxml import html as lxml_html
from trafilatura.settings import Extractor
from trafilatura.utils import HTML_PARSER, load_html
from w3lib.encoding import html_body_declared_encoding, read_bom, resolve_encoding

from wirewatch.pipelines.extract.junk import clean_lines, junk_rule
from wirewatch.pipelines.extract.language import detect_language
from wirewatch.pipelines.extract.metadata import page_metadata, parse_date
from wirewatch.pipelines.extract.opinion import (
    Line,
    agreed_merge,
    merge,
    port_lines,
    readability_lines,
    readability_tap,
)
from wirewatch.pipelines.extract.sitelearn import SiteKnowledge, remove_boilerplate
from wirewatch.pipelines.extract.structure import ARTICLE_BODY, PRUNE_XPATH, prune_page
from wirewatch.pipelines.extract.wire import wire_credit
from wirewatch.pipelines.outcome_kinds import NOT_ARTICLE, NOT_HTML, TOO_LARGE
from wirewatch.pipelines.walls import NO_EVIDENCE, Evidence, judge, page_evidence

log = logging.getLogger(__name__)

# Less text than this is not an article (a teaser, an index tile, an error page).
MIN_ARTICLE_CHARS = 200
# Larger documents are not news articles; parsing them would only stall a worker.
MAX_HTML_CHARS = 8_000_000
_ARTICLE_OG_TYPES = {"article", "news", "newsarticle"}


@dataclass
class Extracted:
    """Everything extraction learned about one page; empty ``text`` means no article."""

    text: str = ""
    title: str | None = None
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    canonical_url: str | None = None
    top_image: str | None = None
    section: str | None = None
    summary: str | None = None
    wire_credit: str | None = None
    dateline: str | None = None
    content_hash: str | None = None
    reason: str | None = None  # why ``text`` is empty: a PageRejected kind
    detail: str | None = None
    # Paragraphs after the junk rules, before site cleanup: what site learning counts.
    blocks: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (rule, line)
    looks_like_article: bool = True  # the page says it is one (JSON-LD / og:type / <article>)
    # Traces of walls on the page (challenge scripts, consent, paywall), judged with the text.
    evidence: Evidence = NO_EVIDENCE
    paywalled: bool = False  # marked for subscribers, yet the article text is there
    # (where, text) of the page's headlines when they disagree (og:title, JSON-LD, <h1>...).
    title_candidates: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalise_text(text: str) -> str:
    """NFC, single spaces, one line per paragraph, no empty lines."""
    lines = (" ".join(line.split()) for line in unicodedata.normalize("NFC", text).splitlines())
    return "\n".join(line for line in lines if line)


def content_hash(text: str) -> str:
    """sha256 hex of the normalised text: equal text, equal hash."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def decode_html(html: bytes | str, encoding: str | None = None) -> str:
    """Text of a page, whatever its charset labels claim.

    UTF-8 wins whenever the bytes are valid UTF-8 with non-ASCII in them (a
    page labelled Latin-1 that is really UTF-8 is the common lie); otherwise
    the BOM, the HTTP ``encoding``, the ``<meta>`` charset, then windows-1252,
    the first that decodes without error; undecodable bytes become U+FFFD.
    """
    if isinstance(html, str):
        return html
    body = bytes(html)
    bom, _ = read_bom(body)
    if bom is None and not body.isascii():
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    declared = html_body_declared_encoding(body[:4096])
    for candidate in (bom, encoding, declared, "utf-8", "cp1252"):
        name = resolve_encoding(candidate) if candidate else None
        if not name:
            continue
        try:
            text = body.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
        return text.removeprefix("\ufeff")
    return body.decode("utf-8", errors="replace")


def _looks_binary(text: str) -> bool:
    sample = text[:2048]
    return bool(sample) and sample.count("\x00") + sample.count("\ufffd") > len(sample) // 10


def _element_classes_in_c(parser: etree.HTMLParser) -> None:
    """Have ``parser`` give every element lxml.html's ``HtmlElement`` through a lookup in C.

    lxml.html picks each element's class in a Python method, called whenever an element
    is first handed to Python: some 280 times a light page, in trafilatura's passes and
    ours, ~0.3 ms of a worker's ~8 ms a page (issue 21).  The classes it would pick
    besides ``HtmlElement`` are those of form fields (``FormElement``, ``InputElement``...),
    whose form-filling API nothing here uses; the extracted text is the same, as the
    digest of every field of 680 pages, real and generated, showed before and after.
    """
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml_html.HtmlElement,
            comment=lxml_html.HtmlComment,
            pi=lxml_html.HtmlProcessingInstruction,
            entity=lxml_html.HtmlEntity,
        )
    )


# trafilatura's parser, which ``load_html`` (so ``_parse``) uses: the pages trafilatura,
# readability's port and our rules read, and their copies, are made by it.
_element_classes_in_c(HTML_PARSER)


def _parse(text: str) -> lxml_html.HtmlElement | None:
    try:
        return load_html(text)
    except Exception:  # lxml raises many types on pathological input
        log.debug("unparseable page", exc_info=True)
        return None


def _trafilatura_text(
    tree: lxml_html.HtmlElement,
    url: str | None,
    *,
    pruned: bool = False,
    favor_recall: bool = False,
) -> str:
    """trafilatura's text; ``pruned``: ``structure.prune_page`` already removed PRUNE_XPATH;
    ``favor_recall``: trafilatura's option of that name."""
    try:
        doc = trafilatura.bare_extraction(
            tree, prune_xpath=None if pruned else PRUNE_XPATH, options=_options(url, favor_recall)
        )
    except Exception:  # trafilatura is robust, but a crawl must not depend on it
        log.debug("trafilatura failed", exc_info=True)
        return ""
    if doc is None:
        return ""
    text = doc["text"] if isinstance(doc, dict) else doc.text  # a dict only with as_dict=True
    return normalise_text(text or "")


@cache
def _extractor(favor_recall: bool) -> Extractor:
    """trafilatura's options for our calls, made once a process: ``bare_extraction`` would
    build them for every page, reading its config file's values again (~50 us)."""
    return Extractor(output_format="python", comments=False, tables=True, recall=favor_recall)


def _options(url: str | None, favor_recall: bool) -> Extractor:
    """The options for one page: the process's, with the page's URL (as trafilatura's own
    recall retry copies them)."""
    options = copy.copy(_extractor(favor_recall))
    options.url = url
    options.source = url and url.encode("utf-8", "replace").decode("utf-8")
    return options


def _baseline_text(text: str) -> str:
    try:
        _, found, _ = trafilatura.baseline(text)
    except Exception:
        return ""
    return normalise_text(found or "")


def _main_text(source: str, text: str, url: str | None, is_article: bool) -> str:
    """trafilatura's ``text`` (of the pruned tree); relaxed for recall on the whole page
    when it found too little; then the baseline."""
    if len(text) >= MIN_ARTICLE_CHARS:
        return text
    relaxed_tree = _parse(source)
    if relaxed_tree is not None:
        relaxed = _trafilatura_text(relaxed_tree, url, favor_recall=True)
        if len(relaxed) > len(text):
            text = relaxed
    if len(text) < MIN_ARTICLE_CHARS and is_article:
        # The page says it is an article: take JSON-LD articleBody or its paragraphs.
        baseline = _baseline_text(source)
        if len(baseline) > len(text):
            text = baseline
    return text


def _fallback_date(tree: lxml_html.HtmlElement, url: str | None) -> datetime | None:
    try:
        found = htmldate.find_date(
            tree, url=url, original_date=True, outputformat="%Y-%m-%dT%H:%M:%S"
        )
    except Exception:
        return None
    return parse_date(found)


def extract_page(html: bytes | str, url: str | None, *, encoding: str | None = None) -> Extracted:
    """Extraction without site knowledge: what ``apply_site`` then finishes."""
    if isinstance(html, bytes | bytearray) and len(html) > MAX_HTML_CHARS:
        return Extracted(reason=TOO_LARGE, detail=f"{len(html)} bytes of HTML")
    source = decode_html(html, encoding)
    if not source.strip():
        return Extracted(reason=NOT_ARTICLE, detail="empty page")
    if len(source) > MAX_HTML_CHARS:
        return Extracted(reason=TOO_LARGE, detail=f"{len(source)} characters of HTML")
    if _looks_binary(source):
        return Extracted(reason=NOT_HTML, detail="binary content, not HTML")
    tree = _parse(source)
    if tree is None:
        return Extracted(reason=NOT_ARTICLE, detail="no HTML document could be parsed")

    meta = page_metadata(tree, url)
    evidence = page_evidence(source, tree)
    is_article = declares_article(tree)
    title = meta.title
    headlines = {_fold(h.text_content()) for h in tree.iter("h1")} | {_fold(title or "")}
    published = meta.published or _fallback_date(copy.deepcopy(tree), url)
    pruned = prune_page(tree)  # the metadata is read: the tree can lose its boilerplate
    with readability_tap() as tapped:  # trafilatura's readability pass: the second opinion
        # trafilatura extracts from a copy of the tree it is given: ``tree`` stays as
        # pruned for the readability passes below, which read a copy of their own only
        # when they run.
        first = _trafilatura_text(tree, url, pruned=True)
    second = tapped[0] if tapped else port_lines(tree)
    text = _main_text(source, first, url, is_article)
    primary = text.splitlines()
    found = None
    if len(text) >= MIN_ARTICLE_CHARS and (merged := agreed_merge(primary, second, _is_junk)):
        found = _article_blocks(merged, second, headlines)
    if found is None or _chars(found[0]) < MIN_ARTICLE_CHARS:
        # The cheap opinion settles nothing (issue 21): readability-lxml's own, which
        # keeps the right container more often (an old table layout's cells).
        second = readability_lines(tree)
        found = _article_blocks(merge(primary, second, _is_junk), second, headlines)
    blocks, changes, dropped = found
    dropped = pruned + [c for c in changes if c[0] != "gap_fill"] + dropped
    return Extracted(
        title=title,
        published=published,
        authors=meta.authors,
        language=meta.language,
        canonical_url=meta.canonical_url,
        top_image=meta.top_image,
        section=meta.section,
        summary=meta.summary,
        title_candidates=meta.title_candidates,
        blocks=blocks,
        dropped=dropped,
        looks_like_article=is_article,
        evidence=evidence,
    )


def _article_blocks(
    merged: tuple[list[str], list[tuple[str, str]]], second: list[Line], headlines: set[str]
) -> tuple[list[str], list[tuple[str, str]], list[tuple[str, str]]]:
    """(blocks, changes, dropped): trafilatura's lines as ``merged`` with readability's
    ``second`` opinion, cleaned of junk; readability's alone when trafilatura found no
    article text (only a footer, say) and readability found prose."""
    lines, changes = merged
    blocks, dropped = clean_lines(_without_headline(lines, headlines))
    if _chars(blocks) < MIN_ARTICLE_CHARS and second:
        alternative, alt_dropped = clean_lines(
            _without_headline([line.text for line in second], headlines)
        )
        if _chars(alternative) >= MIN_ARTICLE_CHARS and not _is_headline_list(alternative):
            changes = [("trafilatura_failed", line) for line in blocks]
            blocks, dropped = alternative, alt_dropped
    return blocks, changes, dropped


def _without_headline(lines: list[str], headlines: set[str]) -> list[str]:
    """The text without the headline repeated as its first paragraph."""
    return lines[1:] if lines and _fold(lines[0]) in headlines else lines


def _chars(blocks: list[str]) -> int:
    return len("\n".join(blocks))


def _is_junk(line: str) -> bool:
    return junk_rule(line) is not None


def declares_article(tree: lxml_html.HtmlElement) -> bool:
    """The page says it is one article: og:type, JSON-LD *Article, or a single ``<article>``.

    Index pages often wrap each teaser in an ``<article>``, so only a page
    with exactly one counts (or one marked up as ``articleBody``).
    """
    og_type = str(_OG_TYPE(tree) or "").lower()
    if og_type in _ARTICLE_OG_TYPES:
        return True
    if _LD_ARTICLE(tree):
        return True
    return len(_ARTICLES(tree)) == 1 or bool(ARTICLE_BODY(tree))


# Compiled once: a path given as a string is compiled again on every call (~7 us).
_OG_TYPE = etree.XPath("string(//meta[@property='og:type']/@content)")
_LD_ARTICLE = etree.XPath('//script[@type="application/ld+json"][contains(., "Article")]')
_ARTICLES = etree.XPath("//article")


# Typographic quotes fold to straight ones when comparing a headline with a line.
_QUOTE_FOLD = {0x2018: "'", 0x2019: "'", 0x201B: "'", 0x201C: '"', 0x201D: '"', 0x201E: '"'}


def _fold(text: str) -> str:
    return " ".join(text.translate(_QUOTE_FOLD).split()).casefold()


def _is_headline_list(blocks: list[str]) -> bool:
    """An index page: text made of short lines (headlines, teasers), little prose.

    A line is prose when it is long, or a sentence of some length: articles
    written in one-sentence paragraphs are prose too; headlines rarely end
    with a full stop.
    """
    prose = sum(len(b) for b in blocks if _is_prose(b))
    return prose < 0.4 * sum(len(b) for b in blocks)


def _is_prose(line: str) -> bool:
    words = len(line.split())
    return words >= 15 or (words >= 8 and line.rstrip("\"'”’»)").endswith((".", "!", "?")))


def apply_site(page: Extracted, boilerplate: frozenset[str] | set[str] = frozenset()) -> Extracted:
    """Drop the site's learned boilerplate, then decide whether an article is left."""
    if page.reason:
        return page
    kept, removed = remove_boilerplate(page.blocks, boilerplate)
    result = copy.copy(page)
    result.dropped = page.dropped + [("site_boilerplate", b) for b in removed]
    text = "\n".join(kept)
    if wall := judge(page.evidence, text):
        result.reason, result.detail = wall.kind, wall.reason
        return result
    if len(text) < MIN_ARTICLE_CHARS:
        result.reason, result.detail = NOT_ARTICLE, f"only {len(text)} characters of article text"
        return result
    if not page.looks_like_article and _is_headline_list(kept):
        result.reason, result.detail = NOT_ARTICLE, "a list of headlines, not an article"
        return result
    result.text = text
    result.language = page.language or detect_language(text)
    result.paywalled = page.evidence.paywalled
    result.content_hash = content_hash(text)
    result.wire_credit, result.dateline = wire_credit(kept, page.authors)
    return result


def extract_article(
    html: bytes | str,
    url: str | None,
    site: SiteKnowledge | None = None,
    *,
    encoding: str | None = None,
) -> Extracted:
    """Extract the article of one page, using what was learned about its site."""
    page = extract_page(html, url, encoding=encoding)
    return apply_site(page, site.boilerplate() if site else frozenset())
