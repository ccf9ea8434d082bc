"""Naming what went wrong with a request, for crawl-run records and logs."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer
from twisted.internet.error import (
    ConnectError,
    ConnectionLost,
    DNSLookupError,
    TCPTimedOutError,
)
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived


def classify_failure(failure: Failure) -> tuple[str, str]:
    """(kind, message) for a failed request, kind being a short stable label."""
    exc = failure.value
    if failure.check(HttpError):
        status = exc.response.status
        return f"http_{status}", f"HTTP {status}"
    if failure.check(DNSLookupError):
        return "dns", "host name could not be resolved"
    if failure.check(TwistedTimeoutError, TCPTimedOutError, TimeoutError):
        return "timeout", str(exc) or "timed out"
    if failure.check(ConnectError):
        return "connection", str(exc) or "could not connect"
    if failure.check(defer.CancelledError):
        # Scrapy cancels a download that grows past DOWNLOAD_MAXSIZE.
        return "too_large", str(exc) or "download cancelled (larger than the size limit?)"
    if failure.check(ResponseFailed, ResponseNeverReceived, ConnectionLost):
        return "connection", str(exc) or "connection lost"
    if failure.check(IgnoreRequest):
        message = str(exc) or "request ignored"
        if "redirect" in message.lower():
            return "redirect_loop", message
        if "robots" in message.lower():
            return "robots_disallowed", message
        return "ignored", message
    return type(exc).__name__.lower(), str(exc) or type(exc).__name__
