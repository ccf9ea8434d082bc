"""URL identity: which URLs name the same page.

Feeds and sitemaps list one article under many spellings (tracking
parameters, fragments, ``www.``, trailing slashes).  ``url_key`` folds them
into one key, used to store a page once and to skip URLs already stored.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url


def clean_url(url: str) -> str:
    """The URL to request: tracking parameters and fragment removed, host lowercased."""
    try:
        normalized = normalize_url(url.strip())
    except ValueError:
        normalized = url.strip()
    parts = urlsplit(normalized)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def url_key(url: str) -> str:
    """A page's identity: ``clean_url`` without scheme, ``www.`` and trailing slash."""
    parts = urlsplit(clean_url(url))
    host = (parts.hostname or "").removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = parts.path.rstrip("/") or "/"
    return host + path + (f"?{parts.query}" if parts.query else "")


def outlet_of(url: str) -> str:
    """The publishing site of a URL (its host without ``www.``)."""
    return (urlsplit(url).hostname or "").removeprefix("www.")
