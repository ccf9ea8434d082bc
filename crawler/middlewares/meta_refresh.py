"""Meta-refresh redirects, read from the head of the page only.

Scrapy's ``MetaRefreshMiddleware`` looks for ``<meta http-equiv="refresh">``
in the first 4,096 characters of a page, but gets them from
``response.text``: the whole body decoded, and kept with the response while
it waits for extraction.  A real page is ~140 kB; on a crawl of such pages
the crawl process held ~15 MB of decoded text it never read (issue 21).
The same check here decodes only the first ``HEAD_BYTES`` of the body,
which hold those 4,096 characters in any encoding.  Most pages are not
decoded at all: the refresh Scrapy follows is a ``<meta>`` with an
``http-equiv`` attribute and ``refresh`` spelled out in its attributes; a head
in an ASCII-compatible encoding without ``refresh`` after ``http-equiv`` has
none (``may_refresh``), and the decoding and search (the page's encoding, its
``<base>``, w3lib's scan), ~0.1 ms a page, are skipped.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response

# Bytes that hold the first 4,096 characters a meta refresh is looked for in
# (a character is at most 4 bytes in UTF-8, UTF-16 and UTF-32).
HEAD_BYTES = 4 * 4096


def may_refresh(head: bytes) -> bool:
    """Whether the head of a page could hold a meta refresh: ``refresh`` after
    ``http-equiv``; always, when a NUL byte says the encoding is not ASCII-compatible
    (UTF-16, UTF-32)."""
    if b"\x00" in head:
        return True
    folded = head.lower()
    at = folded.find(b"http-equiv")
    return at >= 0 and folded.find(b"refresh", at) >= 0


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's ``MetaRefreshMiddleware``, shown only the head of each page."""

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        if not isinstance(response, HtmlResponse):
            return super().process_response(request, response)
        head_bytes = response.body[:HEAD_BYTES]
        if not may_refresh(head_bytes):
            return response
        if len(response.body) <= HEAD_BYTES:
            return super().process_response(request, response)
        head = response.replace(body=head_bytes)
        answer = super().process_response(request, head)
        return response if answer is head else answer
