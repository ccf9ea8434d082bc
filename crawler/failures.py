"""Naming what went wrong with a request, for crawl-run records and logs."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer
from twisted.internet.error import ConnectError, ConnectionLost, DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from crawler.url_policy import UrlRefused

# (exception types, kind) in order of precedence.
_KINDS: list[tuple[tuple[type[BaseException], ...], str]] = [
    ((CannotResolveHostError, DNSLookupError), "dns"),
    ((DownloadTimeoutError, TwistedTimeoutError, TCPTimedOutError, TimeoutError), "timeout"),
    # Scrapy cancels a download that grows past DOWNLOAD_MAXSIZE.
    ((DownloadCancelledError, defer.CancelledError), "too_large"),
    ((DownloadConnectionRefusedError, ConnectError), "connection"),
    (
        (
            ResponseDataLossError,
            DownloadFailedError,
            ResponseFailed,
            ResponseNeverReceived,
            ConnectionLost,
        ),
        "connection",
    ),
]


def classify_failure(failure: Failure) -> tuple[str, str]:
    """(kind, message) for a failed request, kind being a short stable label."""
    exc = failure.value
    message = str(exc) or type(exc).__name__
    if failure.check(HttpError):
        status = exc.response.status
        return f"http_{status}", f"HTTP {status}"
    if failure.check(UrlRefused):
        # unsupported_scheme, bad_url, forbidden_address: the URL policy said no.
        return exc.kind, message
    for types, kind in _KINDS:
        if failure.check(*types):
            return kind, message
    if failure.check(IgnoreRequest):
        lowered = message.lower()
        if "redirect" in lowered:
            return "redirect_loop", message
        if "robots" in lowered:
            return "robots_disallowed", message
        return "ignored", message
    return type(exc).__name__.lower(), message
