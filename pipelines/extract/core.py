"""``extract_article``: the one entry point the pipeline and the CLI call."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import trafilatura

from pipelines.extract.sitelearn import SiteKnowledge

# Fewer characters than this and the page is not taken for an article.
MIN_ARTICLE_CHARS = 200


@dataclass
class Extracted:
    """Everything extraction learned about one page; ``text`` empty means no article."""

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
    blocks: list[str] = field(default_factory=list)  # paragraphs before site cleanup

    def as_dict(self) -> dict:
        return asdict(self)


def normalise_text(text: str) -> str:
    """NFC, one space between words, one blank-free newline between paragraphs."""
    lines = (" ".join(line.split()) for line in unicodedata.normalize("NFC", text).splitlines())
    return "\n".join(line for line in lines if line)


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def decode_html(html: bytes | str, encoding: str | None = None) -> str:
    if isinstance(html, str):
        return html
    for candidate in (encoding, "utf-8"):
        if not candidate:
            continue
        try:
            return html.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return html.decode("utf-8", errors="replace")


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def extract_article(
    html: bytes | str,
    url: str | None,
    site: SiteKnowledge | None = None,
    *,
    encoding: str | None = None,
) -> Extracted:
    """Extract the article of one page; never raises on bad input."""
    source = decode_html(html, encoding)
    if not source.strip():
        return Extracted(reason="not_article", detail="empty page")
    doc = trafilatura.bare_extraction(
        source,
        url=url,
        include_comments=False,
        include_tables=True,
        with_metadata=True,
    )
    if doc is None or not (doc.text or "").strip():
        return Extracted(reason="not_article", detail="no main text found")
    text = normalise_text(doc.text)
    result = Extracted(
        text=text,
        title=doc.title or None,
        published=_parse_date(doc.date),
        authors=[a.strip() for a in (doc.author or "").split(";") if a.strip()],
        language=doc.language,
        canonical_url=doc.url or url,
        top_image=doc.image or None,
        section=(doc.categories or [None])[0] if doc.categories else None,
        summary=doc.description or None,
        content_hash=content_hash(text),
    )
    if len(text) < MIN_ARTICLE_CHARS:
        result.reason, result.detail = "not_article", f"only {len(text)} characters of text"
        result.text = ""
    return result
