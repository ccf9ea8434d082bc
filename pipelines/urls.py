"""URL identity: which URLs name the same page.

Feeds and sitemaps list one article under many spellings (tracking
parameters, fragments, ``www.``, trailing slashes).  ``url_key`` folds them
into one key, used to store a page once and to skip URLs already stored.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit, urlunsplit

from courlan import normalize_url

# The key is UNIQUE (a btree index), and a btree index row holds at most
# ~2,700 bytes: a longer key would make its page impossible to store.  Keys
# over MAX_KEY_BYTES keep their first KEY_PREFIX_CHARS characters (at most
# 2,000 bytes even in 4-byte characters), "#" (never in a key: fragments are
# dropped) and the SHA-256 of the whole key.  Migration 0062 rewrote stored
# keys with the same rule (SQL function bounded_url_key): change both or neither.
MAX_KEY_BYTES = 2000
KEY_PREFIX_CHARS = 500


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
    return bounded_key(host + path + (f"?{parts.query}" if parts.query else ""))


def bounded_key(key: str) -> str:
    """``key``, or for one too long to index, its prefix and a digest of the whole."""
    data = key.encode("utf-8")
    if len(data) <= MAX_KEY_BYTES:
        return key
    return f"{key[:KEY_PREFIX_CHARS]}#{hashlib.sha256(data).hexdigest()}"


def outlet_of(url: str) -> str:
    """The publishing site of a URL (its host without ``www.``)."""
    return (urlsplit(url).hostname or "").removeprefix("www.")
