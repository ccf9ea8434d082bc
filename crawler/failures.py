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

from wirewatch.pipelines.url_policy import UrlRefused

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


def cut_off_message(max_size: int = 0) -> str:
    """Scrapy cancels an oversized download with a bare exception (the sizes go to its log)."""
    limit = f" of {max_size:,} bytes" if max_size else ""
    return (
        f"response cut off: larger than the download limit{limit} "
        "(DOWNLOAD_MAXSIZE, [crawl] max_page_bytes)"
    )


def classify_failure(failure: Failure, max_size: int = 0) -> tuple[str, str]:
    """(kind, message) for a failed request, kind being a short stable label.

    ``max_size`` is the download limit the request had, named when it was cut off.
    """
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
            if kind == "too_large" and message == type(exc).__name__:
                message = cut_off_message(max_size)
            return kind, message
    if failure.check(IgnoreRequest):
        if "DOWNLOAD_MAXSIZE" in message:  # a Content-Encoding bomb, stopped while inflating
            return "too_large", message
        lowered = message.lower()
        if "redirect" in lowered:
            return "redirect_loop", message
        if "robots" in lowered:
            return "robots_disallowed", message
        return "ignored", message
    return type(exc).__name__.lower(), message
